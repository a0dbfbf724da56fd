import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { SecurityAdministrationStack } from '../../governance';
import { FunctionBundle } from '../../kit';
import { addPolicyValidation } from '../../pipeline';
import { loadSample } from '../fixtures/organization';
import { CACHED_VALIDATION } from '../fixtures/validation';

/** A stand-in for a handler bundle: synth only needs a folder to hash. */
function fakeBundle(name: string): FunctionBundle {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-`));
  fs.writeFileSync(path.join(dir, 'index.js'), 'exports.handler = async () => ({});\n');
  return { dir, bytes: 40 };
}

const AUDIT = '100000000002';
const REGIONS = ['eu-west-1', 'eu-central-1', 'us-east-1'];

describe('SecurityAdministrationStack', () => {
  const organization = loadSample(d => { d.allowedRegions = REGIONS; });
  const stack = new SecurityAdministrationStack(new cdk.App(), 'SecurityAdministration', {
    organization, guardDutyAdminBundle: fakeBundle('guardduty-admin'),
  });
  const template = Template.fromStack(stack);

  test('deploys to the management account in the home region', () => {
    expect(stack.account).toBe('100000000000');
    expect(stack.region).toBe('eu-west-1');
  });

  test('the security account becomes the Security Hub delegated administrator', () => {
    template.resourceCountIs('AWS::SecurityHub::DelegatedAdmin', 1);
    template.hasResourceProperties('AWS::SecurityHub::DelegatedAdmin', { AdminAccountId: AUDIT });
  });

  test('the security account becomes the GuardDuty delegated administrator in every allowed region, and only those', () => {
    const delegations = template.findResources('Custom::GuardDutyDelegatedAdmin');
    const properties = Object.values(delegations).map(r => r.Properties as { Region: string; AdminAccountId: string });
    expect(properties.map(p => p.Region).sort()).toEqual([...REGIONS].sort());
    expect(new Set(properties.map(p => p.AdminAccountId))).toEqual(new Set([AUDIT]));
  });

  test('one provider and one handler serve every region', () => {
    const handlers = template.findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.handler', Runtime: 'nodejs24.x' } });
    expect(Object.keys(handlers)).toHaveLength(1);
    const tokens = Object.values(template.findResources('Custom::GuardDutyDelegatedAdmin')).map(r => JSON.stringify(r.Properties.ServiceToken));
    expect(new Set(tokens).size).toBe(1);
  });

  test('the handler may change Organizations only for GuardDuty\'s service principals', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Action: ['organizations:EnableAWSServiceAccess', 'organizations:RegisterDelegatedAdministrator', 'organizations:DeregisterDelegatedAdministrator'],
          Condition: { StringEquals: { 'organizations:ServicePrincipal': ['guardduty.amazonaws.com', 'malware-protection.guardduty.amazonaws.com'] } },
        })]),
      },
    });
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap(p => (p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>));
    const actions = statements.flatMap(s => [s.Action].flat());
    expect(actions.filter(a => a.endsWith('*'))).toEqual([]);
    expect(actions).toEqual(expect.arrayContaining(['guardduty:EnableOrganizationAdminAccount', 'guardduty:DisableOrganizationAdminAccount']));
  });

  test('the handler logs are encrypted and kept a year', () => {
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 365, KmsKeyId: Match.anyValue() });
  });

  test('a model with another security account moves both delegations to it', () => {
    const moved = loadSample((d, lock) => { lock.accounts.audit = '100000000042'; });
    const t = Template.fromStack(new SecurityAdministrationStack(new cdk.App(), 'Moved', { organization: moved, guardDutyAdminBundle: fakeBundle('gd') }));
    t.hasResourceProperties('AWS::SecurityHub::DelegatedAdmin', { AdminAccountId: '100000000042' });
    t.allResourcesProperties('Custom::GuardDutyDelegatedAdmin', { AdminAccountId: '100000000042' });
  });
});

describe('SecurityAdministrationStack under the project\'s policy validation', () => {
  test('synthesizes with no unacknowledged AwsSolutions, PCI DSS, Serverless or Control Tower finding', () => {
    const app = new cdk.App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'security-administration-')) });
    addPolicyValidation(app, CACHED_VALIDATION);
    new SecurityAdministrationStack(app, 'SecurityAdministration', { organization: loadSample(), guardDutyAdminBundle: fakeBundle('gd') });
    expect(() => app.synth()).not.toThrow();
  });
});
