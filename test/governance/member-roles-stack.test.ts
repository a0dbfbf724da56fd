import { runSimulation } from '@cloud-copilot/iam-simulate';
import * as cdk from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ADMINISTRATOR } from './simulate';
import { accountWithRole } from '../../accounts';
import { MemberRolesStack, MemberTemplate } from '../../governance';
import { addPolicyValidation } from '../../pipeline';
import { loadSample } from '../fixtures/organization';
import { CACHED_VALIDATION } from '../fixtures/validation';

const org = loadSample();
const app = new cdk.App();
addPolicyValidation(app, CACHED_VALIDATION);
const stack = new MemberRolesStack(app, 'MemberRoles', { organization: org, templateValidation: a => addPolicyValidation(a, CACHED_VALIDATION) });
const template = Template.fromStack(stack);
const security = accountWithRole(org, 'security');
const tooling = accountWithRole(org, 'tooling');
const prod = org.accounts.find(a => a.name === 'prod')!;
const mgmt = org.managementAccount.id;

describe('MemberRolesStack', () => {
  test('rolls each role set out through a service-managed, auto-deploying StackSet from the management account', () => {
    expect(stack.account).toBe(mgmt);
    const sets = template.findResources('AWS::CloudFormation::StackSet');
    expect(Object.values(sets).map(s => [s.Properties.StackSetName, s.Properties.StackInstancesGroup])).toEqual([
      ['testorg-audit-role', [{ DeploymentTargets: { OrganizationalUnitIds: ['r-test'] }, Regions: ['eu-west-1'] }]],
      ['testorg-break-glass-role', [{ DeploymentTargets: { OrganizationalUnitIds: ['r-test'] }, Regions: ['eu-west-1'] }]],
      // Only where the environments' accounts are.
      ['testorg-pipeline-observer-role', [{
        DeploymentTargets: { OrganizationalUnitIds: ['ou-test-workldev', 'ou-test-wrkldprd'] }, Regions: ['eu-west-1'],
      }]],
    ]);
    for (const set of Object.values(sets)) {
      expect(set.Properties).toMatchObject({
        PermissionModel: 'SERVICE_MANAGED',
        AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
        Capabilities: ['CAPABILITY_NAMED_IAM'],
      });
    }
  });

  test('the templates are self-contained: no bootstrap version check, so new accounts can take them', () => {
    for (const body of Object.values(template.findResources('AWS::CloudFormation::StackSet')).map(s => JSON.parse(s.Properties.TemplateBody))) {
      expect(body.Parameters?.BootstrapVersion).toBeUndefined();
      expect(body.Rules).toBeUndefined();
    }
  });

  test('the break-glass role has one-hour sessions and administrator access', () => {
    const role = roleIn(stack.templates['break-glass-role']);
    expect(role.RoleName).toBe('platform-break-glass');
    expect(role.MaxSessionDuration).toBe(3600);
    expect(JSON.stringify(role.ManagedPolicyArns)).toContain(':iam::aws:policy/AdministratorAccess');
  });

  test('the audit role reads configuration, not data', () => {
    const role = roleIn(stack.templates['audit-role']);
    const policies = JSON.stringify(role.ManagedPolicyArns);
    expect(policies).toContain('policy/SecurityAudit');
    expect(policies).toContain('policy/job-function/ViewOnlyAccess');
    expect(policies).not.toContain('ReadOnlyAccess"');
  });

  test('the observer role may only describe alarms and read the services\' parameters', () => {
    const policy = Object.values(stack.templates['pipeline-observer-role'].Resources).find(r => r.Type === 'AWS::IAM::ManagedPolicy')!;
    const statements = (policy.Properties!.PolicyDocument as { Statement: Array<{ Action: unknown }> }).Statement;
    expect(statements.map(s => s.Action)).toEqual(['cloudwatch:DescribeAlarms', ['ssm:GetParameter', 'ssm:GetParameters']]);
    expect(JSON.stringify(statements)).toContain(':parameter/testorg/*/services/*');
  });
});

/** The one role of a StackSet template. */
function roleIn(body: MemberTemplate): Record<string, unknown> {
  const roles = Object.values(body.Resources).filter(r => r.Type === 'AWS::IAM::Role');
  expect(roles).toHaveLength(1);
  return roles[0].Properties!;
}

/** Whether `principal` may assume the role of `set` in `account`, given the request context. */
async function mayAssume(set: string, account: string, principal: string, context: Record<string, string> = {}): Promise<string> {
  const role = roleIn(stack.templates[set]);
  const result = await runSimulation({
    request: {
      principal,
      action: 'sts:AssumeRole',
      resource: { resource: `arn:aws:iam::${account}:role/${String(role.RoleName)}`, accountId: account },
      contextVariables: { 'aws:PrincipalArn': principal, 'aws:PrincipalAccount': principal.split(':')[4], ...context },
    },
    identityPolicies: ADMINISTRATOR,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: role.AssumeRolePolicyDocument,
  }, {});
  if (result.resultType === 'error') throw new Error(JSON.stringify(result.errors));
  return result.overallResult;
}

describe('who may assume each role (trust policies, simulated)', () => {
  const auditor = `arn:aws:iam::${security.id}:role/Auditor`;
  const breakGlassUser = `arn:aws:iam::${mgmt}:user/break-glass`;
  const freshMfa = { 'aws:MultiFactorAuthPresent': 'true', 'aws:MultiFactorAuthAge': '120' };

  test('the security account\'s audit role may assume the audit role in a prod account', async () => {
    expect(await mayAssume('audit-role', prod.id, auditor)).toBe('Allowed');
  });
  test('another role of the security account may not', async () => {
    expect(await mayAssume('audit-role', prod.id, `arn:aws:iam::${security.id}:role/Developer`)).not.toBe('Allowed');
  });
  test('a same-named role in another account may not', async () => {
    expect(await mayAssume('audit-role', prod.id, `arn:aws:iam::${tooling.id}:role/Auditor`)).not.toBe('Allowed');
  });

  test('a named break-glass user with a fresh MFA sign-in may assume break-glass', async () => {
    expect(await mayAssume('break-glass-role', prod.id, breakGlassUser, freshMfa)).toBe('Allowed');
  });
  test('the same user without MFA may not', async () => {
    expect(await mayAssume('break-glass-role', prod.id, breakGlassUser, { 'aws:MultiFactorAuthPresent': 'false' })).not.toBe('Allowed');
    expect(await mayAssume('break-glass-role', prod.id, breakGlassUser)).not.toBe('Allowed');
  });
  test('nor with an MFA sign-in older than 15 minutes', async () => {
    expect(await mayAssume('break-glass-role', prod.id, breakGlassUser, { 'aws:MultiFactorAuthPresent': 'true', 'aws:MultiFactorAuthAge': '3600' }))
      .not.toBe('Allowed');
  });
  test('another management-account user with MFA may not', async () => {
    expect(await mayAssume('break-glass-role', prod.id, `arn:aws:iam::${mgmt}:user/alice`, freshMfa)).not.toBe('Allowed');
  });
  test('a federated administrator of the management account may not', async () => {
    expect(await mayAssume('break-glass-role', prod.id, `arn:aws:iam::${mgmt}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0a1b`, freshMfa))
      .not.toBe('Allowed');
  });

  test('the pipeline\'s CodeBuild roles and the github test role may assume the observer role', async () => {
    expect(await mayAssume('pipeline-observer-role', prod.id, `arn:aws:iam::${tooling.id}:role/ServicePipeline-PipelineBakeTimeprodRole1A2B-XYZ`))
      .toBe('Allowed');
    expect(await mayAssume('pipeline-observer-role', prod.id, `arn:aws:iam::${tooling.id}:role/GitHubIntegrationTestRole`)).toBe('Allowed');
  });
  test('other roles of the tooling account may not', async () => {
    expect(await mayAssume('pipeline-observer-role', prod.id, `arn:aws:iam::${tooling.id}:role/GitHubActionRole`)).not.toBe('Allowed');
  });
  test('a same-named role outside the tooling account may not', async () => {
    expect(await mayAssume('pipeline-observer-role', prod.id, `arn:aws:iam::${prod.id}:role/GitHubIntegrationTestRole`)).not.toBe('Allowed');
  });
});
