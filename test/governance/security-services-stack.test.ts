import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ConfigError } from '../../accounts';
import { DEFAULT_GUARDDUTY_FEATURES, SecurityServicesStack } from '../../governance';
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

  test('the handler configures only this account\'s detectors in the allowed regions', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap(p => p.Properties.PolicyDocument.Statement as Array<{ Sid?: string; Resource: unknown }>);
    const configure = statements.find(s => s.Sid === 'ConfigureDetectorAndOrganization');
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

describe('SecurityServicesStack under the project\'s policy validation', () => {
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
