import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { loadOrganization, OrganizationDeclarationInput } from '../../accounts';
import shippedDeclaration from '../../accounts/organization';
import { DEFAULT_GUARDDUTY_FEATURES, guardDutyOrganizationPlan, SecurityServicesStack } from '../../governance';
import { FunctionBundle } from '../../kit';
import { addPolicyValidation } from '../../pipeline';
import { loadSample, REPO_ROOT } from '../fixtures/organization';
import { problemsOf } from '../fixtures/problems';
import { CACHED_VALIDATION } from '../fixtures/validation';

/** A stand-in for a handler bundle: synth only needs a folder to hash. */
function fakeBundle(name: string): FunctionBundle {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-`));
  fs.writeFileSync(path.join(dir, 'index.js'), 'exports.handler = async () => ({});\n');
  return { dir, bytes: 40 };
}

/** A template value with `Fn::Join` and the partition resolved, as CloudFormation would in the aws partition. */
function resolved(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(resolved);
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (Array.isArray(v['Fn::Join'])) {
      const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
      return parts.map(resolved).join(sep);
    }
    if (v.Ref === 'AWS::Partition') return 'aws';
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolved(x)]));
  }
  return value;
}

const AUDIT = '100000000002';
const REGIONS = ['eu-west-1', 'eu-central-1', 'us-east-1'];

describe('SecurityServicesStack', () => {
  const organization = loadSample(d => { d.allowedRegions = REGIONS; });
  const stack = new SecurityServicesStack(new cdk.App(), 'SecurityServices', {
    organization, guardDutyOrganizationBundle: fakeBundle('guardduty-organization'),
  });
  const template = Template.fromStack(stack);
  const only = (type: string) => {
    const found = Object.entries(template.findResources(type));
    expect(found).toHaveLength(1);
    return { id: found[0][0], resource: found[0][1] };
  };

  test('deploys to the security (delegated administrator) account in the home region', () => {
    expect(stack.account).toBe(AUDIT);
    expect(stack.region).toBe('eu-west-1');
  });

  test('aggregates the findings of every other allowed region into the home region', () => {
    const { resource } = only('AWS::SecurityHub::FindingAggregator');
    expect(resource.Properties).toEqual({ RegionLinkingMode: 'SPECIFIED_REGIONS', Regions: ['eu-central-1', 'us-east-1'] });
  });

  test('switches the organization to central configuration, after the aggregator exists', () => {
    const aggregator = only('AWS::SecurityHub::FindingAggregator');
    const { resource } = only('AWS::SecurityHub::OrganizationConfiguration');
    expect(resource.Properties).toEqual({ ConfigurationType: 'CENTRAL', AutoEnable: false, AutoEnableStandards: 'NONE' });
    expect(resource.DependsOn).toEqual([aggregator.id]);
  });

  test('the configuration policy enables Security Hub with FSBP and PCI DSS (home-region ARNs) and every control', () => {
    const organizationConfiguration = only('AWS::SecurityHub::OrganizationConfiguration');
    const { resource } = only('AWS::SecurityHub::ConfigurationPolicy');
    expect(resolved(resource.Properties.ConfigurationPolicy)).toEqual({
      SecurityHub: {
        ServiceEnabled: true,
        EnabledStandardIdentifiers: [
          'arn:aws:securityhub:eu-west-1::standards/aws-foundational-security-best-practices/v/1.0.0',
          'arn:aws:securityhub:eu-west-1::standards/pci-dss/v/4.0.1',
        ],
        SecurityControlsConfiguration: { DisabledSecurityControlIdentifiers: [] },
      },
    });
    expect(resource.DependsOn).toEqual([organizationConfiguration.id]);
  });

  test('the policy is associated with the organization root, so every account and new ones get it', () => {
    const policy = only('AWS::SecurityHub::ConfigurationPolicy');
    const { resource } = only('AWS::SecurityHub::PolicyAssociation');
    expect(resource.Properties).toEqual({
      TargetType: 'ROOT',
      TargetId: 'r-test',
      ConfigurationPolicyId: { 'Fn::GetAtt': [policy.id, 'Id'] },
    });
  });

  test('other standards can be chosen', () => {
    const t = Template.fromStack(new SecurityServicesStack(new cdk.App(), 'Cis', {
      organization, guardDutyOrganizationBundle: fakeBundle('gd'), standards: ['cis-aws-foundations-benchmark/v/3.0.0'],
    }));
    const policy = Object.values(t.findResources('AWS::SecurityHub::ConfigurationPolicy'))[0];
    expect(resolved(policy.Properties.ConfigurationPolicy.SecurityHub.EnabledStandardIdentifiers))
      .toEqual(['arn:aws:securityhub:eu-west-1::standards/cis-aws-foundations-benchmark/v/3.0.0']);
  });

  test('GuardDuty is auto-enabled for ALL member accounts in every allowed region, and only those', () => {
    const configurations = Object.values(template.findResources('Custom::GuardDutyOrganizationConfiguration')).map(r => r.Properties);
    expect(configurations.map(p => p.Region).sort()).toEqual([...REGIONS].sort());
    for (const p of configurations) expect(p.AutoEnableOrganizationMembers).toBe('ALL');
  });

  test('with S3 data events, malware protection, Lambda network logs and Runtime Monitoring (never next to EKS runtime monitoring)', () => {
    const features = Object.values(template.findResources('Custom::GuardDutyOrganizationConfiguration'))[0].Properties.Features as
      Array<{ Name: string; AutoEnable: string; AdditionalConfiguration?: Array<{ Name: string; AutoEnable: string }> }>;
    expect(features.map(f => f.Name)).toEqual(expect.arrayContaining(['S3_DATA_EVENTS', 'EBS_MALWARE_PROTECTION', 'LAMBDA_NETWORK_LOGS', 'RUNTIME_MONITORING']));
    expect(features.map(f => f.Name)).not.toContain('EKS_RUNTIME_MONITORING');
    expect(new Set(features.map(f => f.AutoEnable))).toEqual(new Set(['ALL']));
    expect(features.find(f => f.Name === 'RUNTIME_MONITORING')?.AdditionalConfiguration).toEqual(expect.arrayContaining([
      { Name: 'ECS_FARGATE_AGENT_MANAGEMENT', AutoEnable: 'ALL' },
    ]));
    expect(features).toHaveLength(DEFAULT_GUARDDUTY_FEATURES.length);
  });

  test('the handler configures only this account\'s detectors (its own, the organization\'s and its members\') in the allowed regions', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap(p => p.Properties.PolicyDocument.Statement as Array<{ Sid?: string; Action: unknown; Resource: unknown }>);
    const configure = statements.find(s => s.Sid === 'ConfigureDetectorAndOrganization');
    expect(configure?.Action).toEqual(expect.arrayContaining(['guardduty:UpdateOrganizationConfiguration', 'guardduty:UpdateDetector',
      'guardduty:UpdateMemberDetectors']));
    expect(resolved(configure?.Resource)).toEqual(REGIONS.map(r => `arn:aws:guardduty:${r}:${AUDIT}:detector/*`));
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Action: 'iam:CreateServiceLinkedRole',
          Condition: { StringEquals: { 'iam:AWSServiceName': ['guardduty.amazonaws.com', 'malware-protection.guardduty.amazonaws.com'] } },
        })]),
      },
    });
  });

  test('an organization with one allowed region: no aggregator (nothing to link), local configuration enabling Security Hub '
    + 'and its default standards in every new account; GuardDuty in that region', () => {
    const single = loadSample(d => {
      d.allowedRegions = ['eu-west-1'];
      d.environments.forEach(e => { e.regions = ['eu-west-1']; });
    });
    const singleStack = new SecurityServicesStack(new cdk.App(), 'Single', { organization: single, guardDutyOrganizationBundle: fakeBundle('gd') });
    const t = Template.fromStack(singleStack);
    for (const type of ['AWS::SecurityHub::FindingAggregator', 'AWS::SecurityHub::ConfigurationPolicy', 'AWS::SecurityHub::PolicyAssociation']) {
      t.resourceCountIs(type, 0);
    }
    t.resourceCountIs('AWS::SecurityHub::OrganizationConfiguration', 1);
    t.hasResourceProperties('AWS::SecurityHub::OrganizationConfiguration', { ConfigurationType: 'LOCAL', AutoEnable: true, AutoEnableStandards: 'DEFAULT' });
    expect(singleStack.configurationPolicy).toBeUndefined();
    expect(Object.keys(singleStack.guardDutyConfigurations)).toEqual(['eu-west-1']);
  });
});

const MANAGEMENT = '100000000000';
const LOG_ARCHIVE = '100000000001';
const TOOLING = '100000000003';
const DEV = '100000000004';
const PROD = '100000000005';
const ALL_PLANS = ['S3_DATA_EVENTS', 'EKS_AUDIT_LOGS', 'EBS_MALWARE_PROTECTION', 'RDS_LOGIN_EVENTS', 'LAMBDA_NETWORK_LOGS', 'RUNTIME_MONITORING'];
const AGENTS = ['EKS_ADDON_MANAGEMENT', 'ECS_FARGATE_AGENT_MANAGEMENT', 'EC2_AGENT_MANAGEMENT'];
type Switches = NonNullable<OrganizationDeclarationInput['governance']['costSwitches']>;

/** The plans of one account: every plan on with its agents managed, but `off` plans and the agents as `agents` says. */
function plans(off: readonly string[] = [], agents: 'ENABLED' | 'DISABLED' = 'ENABLED') {
  return ALL_PLANS.map(name => ({
    Name: name,
    Status: off.includes(name) ? 'DISABLED' : 'ENABLED',
    ...(name === 'RUNTIME_MONITORING'
      ? { AdditionalConfiguration: AGENTS.map(c => ({ Name: c, Status: off.includes(name) ? 'DISABLED' : agents })) }
      : {}),
  }));
}

/** The organization-wide auto-enable: `ALL` for every plan and agent, but as `autoEnable` says. */
function autoEnable(autoEnableOf: Readonly<Record<string, string>> = {}, agents?: string) {
  return ALL_PLANS.map(name => ({
    Name: name,
    AutoEnable: autoEnableOf[name] ?? 'ALL',
    ...(name === 'RUNTIME_MONITORING' ? { AdditionalConfiguration: AGENTS.map(c => ({ Name: c, AutoEnable: agents ?? autoEnableOf[name] ?? 'ALL' })) } : {}),
  }));
}

function stackWith(costSwitches?: Switches, change?: (d: OrganizationDeclarationInput) => void): SecurityServicesStack {
  const org = loadSample(d => {
    d.allowedRegions = REGIONS;
    if (costSwitches) d.governance.costSwitches = costSwitches;
    change?.(d);
  });
  return new SecurityServicesStack(new cdk.App(), 'SecurityServices', { organization: org, guardDutyOrganizationBundle: fakeBundle('gd') });
}

/** The GuardDuty configuration's properties in the home region (every region's are the same). */
function guardDutyProperties(stack: SecurityServicesStack): Record<string, unknown> {
  const properties = Object.values(Template.fromStack(stack).findResources('Custom::GuardDutyOrganizationConfiguration')).map(r => r.Properties);
  const { Region: _, ...rest } = properties.find(p => p.Region === 'eu-west-1');
  for (const p of properties) expect({ ...p, Region: undefined, ServiceToken: undefined }).toEqual({ ...rest, ServiceToken: undefined });
  return rest;
}

describe('cost switches: defaults stay as today', () => {
  test('without cost switches, and with empty ones, the templates are the same', () => {
    const without = Template.fromStack(stackWith()).toJSON();
    expect(Template.fromStack(stackWith({})).toJSON()).toEqual(without);
  });

  test('without cost switches every plan is auto-enabled for ALL accounts, agents managed, no member is set one by one, '
    + 'and the administrator gets every plan', () => {
    const p = guardDutyProperties(stackWith());
    expect(p.AutoEnableOrganizationMembers).toBe('ALL');
    // Exactly what the stack sent before cost switches existed.
    expect(p.Features).toEqual(DEFAULT_GUARDDUTY_FEATURES.map(f => ({
      Name: f.name,
      AutoEnable: 'ALL',
      ...(f.additionalConfiguration ? { AdditionalConfiguration: f.additionalConfiguration.map(c => ({ Name: c, AutoEnable: 'ALL' })) } : {}),
    })));
    expect(p).not.toHaveProperty('MemberOverrides');
    expect(p.AdministratorFeatures).toEqual(plans());
  });

  test('without cost switches Security Hub has one configuration policy (FSBP, PCI DSS) associated with the root only', () => {
    const t = Template.fromStack(stackWith());
    t.resourceCountIs('AWS::SecurityHub::ConfigurationPolicy', 1);
    t.resourceCountIs('AWS::SecurityHub::PolicyAssociation', 1);
    t.hasResourceProperties('AWS::SecurityHub::PolicyAssociation', { TargetType: 'ROOT', TargetId: 'r-test' });
  });
});

describe('cost switches: GuardDuty', () => {
  const members = [MANAGEMENT, LOG_ARCHIVE, TOOLING, DEV, PROD];

  test('a plan off at Root is auto-enabled for no account, and turned off in every member and the administrator (auto-enable does not)', () => {
    const p = guardDutyProperties(stackWith({ Root: { guardDuty: { runtimeMonitoring: 'off', ebsMalwareProtection: false } } }));
    expect(p.Features).toEqual(autoEnable({ RUNTIME_MONITORING: 'NONE', EBS_MALWARE_PROTECTION: 'NONE' }));
    expect(p.MemberOverrides).toEqual([{ AccountIds: members, Features: plans(['RUNTIME_MONITORING', 'EBS_MALWARE_PROTECTION']) }]);
    expect(p.AdministratorFeatures).toEqual(plans(['RUNTIME_MONITORING', 'EBS_MALWARE_PROTECTION']));
  });

  test('self-managed Runtime Monitoring at Root: the plan on for ALL, agent management auto-enabled for none and turned off in every account', () => {
    const p = guardDutyProperties(stackWith({ Root: { guardDuty: { runtimeMonitoring: 'self-managed' } } }));
    expect(p.Features).toEqual(autoEnable({}, 'NONE'));
    expect(p.MemberOverrides).toEqual([{ AccountIds: members, Features: plans([], 'DISABLED') }]);
    expect(p.AdministratorFeatures).toEqual(plans([], 'DISABLED'));
  });

  test('a plan one OU turns off is auto-enabled for NEW accounts only (ALL would turn it back on there); '
    + 'every member gets its plans set, grouped by identical plans, ids sorted', () => {
    const p = guardDutyProperties(stackWith({ 'Workloads/Dev': { guardDuty: { runtimeMonitoring: 'off', s3DataEvents: false } } }));
    expect(p.Features).toEqual(autoEnable({ RUNTIME_MONITORING: 'NEW', S3_DATA_EVENTS: 'NEW' }));
    expect(p.MemberOverrides).toEqual([
      { AccountIds: [DEV], Features: plans(['S3_DATA_EVENTS', 'RUNTIME_MONITORING']) },
      { AccountIds: [MANAGEMENT, LOG_ARCHIVE, TOOLING, PROD], Features: plans() },
    ]);
    // The administrator (Security OU) keeps every plan.
    expect(p.AdministratorFeatures).toEqual(plans());
  });

  test('settings inherit down the OU tree key by key; a child OU can turn a plan back on', () => {
    const p = guardDutyProperties(stackWith({
      'Workloads': { guardDuty: { runtimeMonitoring: 'off', lambdaNetworkLogs: false } },
      'Workloads/Prod': { guardDuty: { runtimeMonitoring: 'agent-managed' } },
    }));
    const overrides = p.MemberOverrides as Array<{ AccountIds: string[]; Features: unknown }>;
    const of = (id: string) => overrides.find(o => o.AccountIds.includes(id))?.Features;
    expect(of(DEV)).toEqual(plans(['RUNTIME_MONITORING', 'LAMBDA_NETWORK_LOGS']));
    expect(of(PROD)).toEqual(plans(['LAMBDA_NETWORK_LOGS']));
    expect(of(MANAGEMENT)).toEqual(plans());
    expect(overrides.flatMap(o => o.AccountIds).sort()).toEqual([...members].sort());
  });

  test('the security account\'s OU settings apply to the administrator\'s own detector, which is never a member override', () => {
    const p = guardDutyProperties(stackWith({ Security: { guardDuty: { rdsLoginEvents: false } } }));
    expect(p.AdministratorFeatures).toEqual(plans(['RDS_LOGIN_EVENTS']));
    const overrides = p.MemberOverrides as Array<{ AccountIds: string[] }>;
    expect(overrides.flatMap(o => o.AccountIds)).not.toContain(AUDIT);
    expect(overrides.find(o => o.AccountIds.includes(LOG_ARCHIVE))).toEqual({ AccountIds: [LOG_ARCHIVE], Features: plans(['RDS_LOGIN_EVENTS']) });
  });

  test('the plan is deterministic: the same declaration gives the same overrides, whatever the order of the switches', () => {
    const a = loadSample(d => { d.governance.costSwitches = { 'Workloads/Dev': { guardDuty: { s3DataEvents: false } }, 'Infrastructure': { guardDuty: { eksAuditLogs: false } } }; });
    const b = loadSample(d => { d.governance.costSwitches = { 'Infrastructure': { guardDuty: { eksAuditLogs: false } }, 'Workloads/Dev': { guardDuty: { s3DataEvents: false } } }; });
    expect(guardDutyOrganizationPlan(a, DEFAULT_GUARDDUTY_FEATURES)).toEqual(guardDutyOrganizationPlan(b, DEFAULT_GUARDDUTY_FEATURES));
  });
});

describe('cost switches: Security Hub', () => {
  const FSBP = 'aws-foundational-security-best-practices/v/1.0.0';
  const PCI = 'pci-dss/v/4.0.1';
  const CIS = 'cis-aws-foundations-benchmark/v/3.0.0';
  const standardArns = (standards: readonly string[]) => standards.map(s => `arn:aws:securityhub:eu-west-1::standards/${s}`);
  const policies = (t: Template) => Object.entries(t.findResources('AWS::SecurityHub::ConfigurationPolicy'))
    .map(([id, r]) => ({ id, standards: resolved(r.Properties.ConfigurationPolicy.SecurityHub.EnabledStandardIdentifiers), resource: r }));
  const associations = (t: Template) => Object.values(t.findResources('AWS::SecurityHub::PolicyAssociation')).map(r => r.Properties);

  test('an OU choosing other standards gets its own policy, associated with the OU (by its id from the lock file)', () => {
    const t = Template.fromStack(stackWith({ 'Workloads/Dev': { securityHub: { standards: [FSBP] } } }));
    const found = policies(t);
    expect(found.map(p => p.standards)).toEqual(expect.arrayContaining([standardArns([FSBP, PCI]), standardArns([FSBP])]));
    const dev = found.find(p => JSON.stringify(p.standards) === JSON.stringify(standardArns([FSBP])))!;
    expect(dev.id).toMatch(/^ConfigurationPolicy[0-9a-f]{8}/);
    expect(dev.resource.DependsOn).toHaveLength(1);
    expect(associations(t)).toEqual(expect.arrayContaining([
      { TargetType: 'ORGANIZATIONAL_UNIT', TargetId: 'ou-test-workldev', ConfigurationPolicyId: { 'Fn::GetAtt': [dev.id, 'Id'] } },
      expect.objectContaining({ TargetType: 'ROOT', TargetId: 'r-test' }),
    ]));
  });

  test('OUs choosing the same standards (in any order) share one policy; an empty list is Security Hub with no standard', () => {
    const t = Template.fromStack(stackWith({
      'Workloads/Dev': { securityHub: { standards: [CIS, FSBP] } },
      'Infrastructure': { securityHub: { standards: [FSBP, CIS] } },
      'Security': { securityHub: { standards: [] } },
    }));
    const found = policies(t);
    expect(found).toHaveLength(3);
    expect(found.map(p => p.standards)).toEqual(expect.arrayContaining([standardArns([FSBP, CIS]), []]));
    const shared = found.find(p => JSON.stringify(p.standards) === JSON.stringify(standardArns([FSBP, CIS])))!;
    const ous = associations(t).filter(a => JSON.stringify(a.ConfigurationPolicyId) === JSON.stringify({ 'Fn::GetAtt': [shared.id, 'Id'] }));
    expect(ous.map(a => a.TargetId).sort()).toEqual(['ou-test-infrastr', 'ou-test-workldev']);
    const none = found.find(p => JSON.stringify(p.standards) === '[]')!;
    expect(none.resource.Properties.ConfigurationPolicy.SecurityHub.ServiceEnabled).toBe(true);
  });

  test('a Root setting changes the root policy\'s standards; a child OU choosing the root\'s list is associated with the root policy', () => {
    const stack = stackWith({
      'Root': { securityHub: { standards: [FSBP] } },
      'Workloads': { securityHub: { standards: [FSBP, PCI] } },
      'Workloads/Dev': { securityHub: { standards: [FSBP] } },
    });
    const t = Template.fromStack(stack);
    const found = policies(t);
    expect(found).toHaveLength(2);
    const root = found.find(p => p.id === stack.getLogicalId(stack.configurationPolicy!))!;
    expect(root.standards).toEqual(standardArns([FSBP]));
    expect(associations(t)).toEqual(expect.arrayContaining([
      { TargetType: 'ORGANIZATIONAL_UNIT', TargetId: 'ou-test-workldev', ConfigurationPolicyId: { 'Fn::GetAtt': [root.id, 'Id'] } },
    ]));
  });

  test('policy and association ids derive from the standards list and the OU, so they are the same in every synth', () => {
    const ids = (t: Template) => [...Object.keys(t.findResources('AWS::SecurityHub::ConfigurationPolicy')),
      ...Object.keys(t.findResources('AWS::SecurityHub::PolicyAssociation'))].sort();
    const a = Template.fromStack(stackWith({ 'Workloads/Dev': { securityHub: { standards: [CIS] } }, 'Workloads/Prod': { securityHub: { standards: [FSBP] } } }));
    const b = Template.fromStack(stackWith({ 'Workloads/Prod': { securityHub: { standards: [FSBP] } }, 'Workloads/Dev': { securityHub: { standards: [CIS] } } }));
    expect(ids(a)).toEqual(ids(b));
    expect(ids(a).filter(id => id.startsWith('Association'))).toHaveLength(2);
  });

  test('more distinct standards lists than Security Hub\'s configuration policy quota fail synth naming the count, the limit and the fix', () => {
    expect(problemsOf(() => stackWith({
      'Workloads/Dev': { securityHub: { standards: [CIS] } },
      'Workloads/Prod': { securityHub: { standards: [FSBP] } },
    }, d => { d.governance.quotas = { securityHubConfigurationPolicies: 2 }; }))).toEqual([
      'accounts/organization.ts: governance.costSwitches needs 3 Security Hub configuration policies (the root\'s and 2 distinct standards '
      + 'lists of OUs); Security Hub allows 2 per organization (governance.quotas.securityHubConfigurationPolicies); give OUs the same '
      + 'standards lists so they share a policy, or raise the quota there once Service Quotas shows a higher value',
    ]);
  });
});

describe('SecurityServicesStack under the project\'s policy validation', () => {
  test('the shipped organization with the cost switches its declaration shows as an example synthesizes with no unacknowledged finding', () => {
    const app = new cdk.App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'security-services-shipped-')) });
    addPolicyValidation(app, CACHED_VALIDATION);
    const declaration = structuredClone(shippedDeclaration);
    // As commented in accounts/organization.ts.
    declaration.governance.costSwitches = {
      Sandbox: {
        guardDuty: { runtimeMonitoring: 'off', ebsMalwareProtection: false },
        securityHub: { standards: ['aws-foundational-security-best-practices/v/1.0.0'] },
      },
    };
    const org = loadOrganization({ declaration, lockText: fs.readFileSync(path.join(REPO_ROOT, 'accounts', 'accounts.lock.json'), 'utf8') });
    const stack = new SecurityServicesStack(app, 'SecurityServices', { organization: org, guardDutyOrganizationBundle: fakeBundle('gd') });
    const sandbox = Template.fromStack(stack).findResources('AWS::SecurityHub::PolicyAssociation', { Properties: { TargetId: 'ou-exmp-sandbox1' } });
    expect(Object.keys(sandbox)).toHaveLength(1);
    expect(guardDutyProperties(stack).MemberOverrides).toEqual(expect.arrayContaining([
      expect.objectContaining({ AccountIds: ['999999999999'] }),
    ]));
    expect(() => app.synth()).not.toThrow();
  });

  test('an organization with cost switches synthesizes with no unacknowledged finding', () => {
    const app = new cdk.App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'security-services-switches-')) });
    addPolicyValidation(app, CACHED_VALIDATION);
    const org = loadSample(d => {
      d.governance.costSwitches = {
        'Root': { guardDuty: { runtimeMonitoring: 'self-managed' } },
        'Workloads/Dev': { guardDuty: { runtimeMonitoring: 'off', ebsMalwareProtection: false }, securityHub: { standards: ['aws-foundational-security-best-practices/v/1.0.0'] } },
      };
    });
    new SecurityServicesStack(app, 'SecurityServices', { organization: org, guardDutyOrganizationBundle: fakeBundle('gd') });
    expect(() => app.synth()).not.toThrow();
  });

  test('an organization with one allowed region synthesizes with no unacknowledged finding', () => {
    const app = new cdk.App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'security-services-single-')) });
    addPolicyValidation(app, CACHED_VALIDATION);
    const single = loadSample(d => {
      d.allowedRegions = ['eu-west-1'];
      d.environments.forEach(e => { e.regions = ['eu-west-1']; });
    });
    new SecurityServicesStack(app, 'SecurityServices', { organization: single, guardDutyOrganizationBundle: fakeBundle('gd') });
    expect(() => app.synth()).not.toThrow();
  });

  test('synthesizes with no unacknowledged AwsSolutions, PCI DSS, Serverless or Control Tower finding', () => {
    const app = new cdk.App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'security-services-')) });
    addPolicyValidation(app, CACHED_VALIDATION);
    new SecurityServicesStack(app, 'SecurityServices', { organization: loadSample(), guardDutyOrganizationBundle: fakeBundle('gd') });
    expect(() => app.synth()).not.toThrow();
  });
});
