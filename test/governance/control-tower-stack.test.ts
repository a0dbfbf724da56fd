import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { IConstruct } from 'constructs';
import { ConfigError, Organization } from '../../accounts';
import { ControlTowerStack, laneDependencies, planControlTower } from '../../governance';
import { addPolicyValidation } from '../../pipeline';
import { loadSample, loadShippedOrganization } from '../fixtures/organization';
import { CACHED_VALIDATION } from '../fixtures/validation';

type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] };

/** Renders `Fn::Join` values (`{ Ref: AWS::Partition }` as `aws`) so ARNs read as strings. */
function str(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (Array.isArray(v['Fn::Join'])) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(p => (typeof p === 'object' && p && (p as { Ref?: string }).Ref === 'AWS::Partition' ? 'aws' : str(p))).join(sep);
  }
  return JSON.stringify(value);
}

function synth(organization: Organization, props: { maxConcurrentControlOperations?: number } = {}) {
  const stack = new ControlTowerStack(new cdk.App(), 'ControlTower', { organization, ...props });
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const logicalId = (construct: IConstruct) => stack.getLogicalId(construct as cdk.CfnElement);
  /** OU path (by the lock's OU id) of a target ARN. */
  const ouPathOf = (target: unknown) => {
    const id = str(target).split('/').at(-1);
    return organization.organizationalUnits.find(ou => ou.id === id)?.path;
  };
  const baselineOus = () => ofType('AWS::ControlTower::EnabledBaseline').map(([, r]) => ouPathOf(r.Properties.TargetIdentifier));
  const controlsOf = (ouPath: string) => ofType('AWS::ControlTower::EnabledControl')
    .filter(([, r]) => ouPathOf(r.Properties.TargetIdentifier) === ouPath)
    .map(([, r]) => str(r.Properties.ControlIdentifier).split('/').at(-1));
  return { stack, template, resources, ofType, logicalId, baselineOus, controlsOf };
}

describe('ControlTowerStack (sample organization)', () => {
  const organization = loadSample();
  const { stack, template, resources, ofType, logicalId, baselineOus, controlsOf } = synth(organization);
  const landingZoneId = logicalId(stack.landingZone);
  const manifest = ofType('AWS::ControlTower::LandingZone')[0][1].Properties.Manifest as Record<string, any>;

  test('deploys to the management account in the home region', () => {
    expect(stack.account).toBe('100000000000');
    expect(stack.region).toBe('eu-west-1');
  });

  test('the landing zone governs exactly the allowed regions, at the model\'s version', () => {
    template.resourceCountIs('AWS::ControlTower::LandingZone', 1);
    template.hasResourceProperties('AWS::ControlTower::LandingZone', { Version: '3.3' });
    expect(manifest.governedRegions).toEqual(['eu-west-1', 'eu-central-1']);
  });

  test('the manifest names the security OU and, without a sandbox OU in the model, no sandbox', () => {
    expect(manifest.organizationStructure).toEqual({ security: { name: 'Security' } });
  });

  test('logs go to the log-archive account with the model\'s retention, encrypted with the stack\'s key', () => {
    expect(manifest.centralizedLogging).toEqual({
      accountId: '100000000001',
      configurations: {
        loggingBucket: { retentionDays: 365 },
        accessLoggingBucket: { retentionDays: 3650 },
        kmsKeyArn: { 'Fn::GetAtt': [logicalId(stack.logKey.node.defaultChild as cdk.CfnElement), 'Arn'] },
      },
      enabled: true,
    });
  });

  test('the audit roles go to the security account and Identity Center is managed', () => {
    expect(manifest.securityRoles).toEqual({ accountId: '100000000002' });
    expect(manifest.accessManagement).toEqual({ enabled: true });
  });

  test('the landing zone survives stack deletion', () => {
    expect(resources[landingZoneId]).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  test('the log key rotates and lets Config and only Control Tower\'s trail use it', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'Allow Config to use KMS for encryption',
            Principal: { Service: 'config.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          }),
          Match.objectLike({
            Sid: 'Allow CloudTrail to use KMS for encryption',
            Principal: { Service: 'cloudtrail.amazonaws.com' },
            Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
            Condition: {
              StringEquals: { 'aws:SourceArn': Match.anyValue() },
              StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': Match.anyValue() },
            },
          }),
        ]),
      },
    });
    const statements = (ofType('AWS::KMS::Key')[0][1].Properties.KeyPolicy as { Statement: Array<Record<string, any>> }).Statement;
    const trail = statements.find(s => s.Sid === 'Allow CloudTrail to use KMS for encryption')!;
    expect(str(trail.Condition.StringEquals['aws:SourceArn'])).toBe('arn:aws:cloudtrail:eu-west-1:100000000000:trail/aws-controltower-BaselineCloudTrail');
    expect(str(trail.Condition.StringLike['kms:EncryptionContext:aws:cloudtrail:arn'])).toBe('arn:aws:cloudtrail:*:100000000000:trail/*');
  });

  test.each([
    ['AWSControlTowerAdmin', 'controltower.amazonaws.com'],
    ['AWSControlTowerCloudTrailRole', 'cloudtrail.amazonaws.com'],
    ['AWSControlTowerStackSetRole', 'cloudformation.amazonaws.com'],
    ['AWSControlTowerConfigAggregatorRoleForOrganizations', 'config.amazonaws.com'],
  ])('%s exists under /service-role/, trusted by %s only, before the landing zone', (roleName, service) => {
    const [id, role] = ofType('AWS::IAM::Role').find(([, r]) => r.Properties.RoleName === roleName)!;
    expect(role.Properties.Path).toBe('/service-role/');
    expect(role.Properties.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: service } }],
    });
    expect(resources[landingZoneId].DependsOn).toContain(id);
  });

  test('the roles carry the documented permissions', () => {
    const managedPolicies = (roleName: string) => {
      const [, role] = ofType('AWS::IAM::Role').find(([, r]) => r.Properties.RoleName === roleName)!;
      return (role.Properties.ManagedPolicyArns as unknown[]).map(arn => {
        const ref = (arn as { Ref?: string }).Ref;
        return ref ? resources[ref].Properties.PolicyDocument : str(arn);
      });
    };
    expect(managedPolicies('AWSControlTowerAdmin')).toEqual([
      { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ec2:DescribeAvailabilityZones', Resource: '*' }] },
      'arn:aws:iam::aws:policy/service-role/AWSControlTowerServiceRolePolicy',
    ]);
    expect(managedPolicies('AWSControlTowerConfigAggregatorRoleForOrganizations'))
      .toEqual(['arn:aws:iam::aws:policy/service-role/AWSConfigRoleForOrganizations']);
    const [stackSet] = managedPolicies('AWSControlTowerStackSetRole') as Array<{ Statement: Array<Record<string, unknown>> }>;
    expect(stackSet.Statement.map(s => [s.Action, str(s.Resource)])).toEqual([['sts:AssumeRole', 'arn:aws:iam::*:role/AWSControlTowerExecution']]);
    const [trail] = managedPolicies('AWSControlTowerCloudTrailRole') as Array<{ Statement: Array<Record<string, unknown>> }>;
    expect(trail.Statement.map(s => [s.Action, str(s.Resource)])).toEqual([[
      ['logs:CreateLogStream', 'logs:PutLogEvents'],
      'arn:aws:logs:eu-west-1:100000000000:log-group:aws-controltower/CloudTrailLogs:*',
    ]]);
  });

  test('every declared OU but the security OU is registered with an AWSControlTowerBaseline 4.0', () => {
    expect(baselineOus()).toEqual(['Infrastructure', 'Workloads', 'Workloads/Dev', 'Workloads/Prod']);
    for (const [, baseline] of ofType('AWS::ControlTower::EnabledBaseline')) {
      expect(str(baseline.Properties.BaselineIdentifier)).toBe('arn:aws:controltower:eu-west-1::baseline/17BSJV3IGJ2QSGA2');
      expect(baseline.Properties.BaselineVersion).toBe('4.0');
    }
    expect([...stack.enabledBaselines.keys()]).toEqual(['Infrastructure', 'Workloads', 'Workloads/Dev', 'Workloads/Prod']);
  });

  test('a baseline targets its OU by organization and OU id from the lock file', () => {
    const prod = stack.enabledBaselines.get('Workloads/Prod')!;
    expect(str(resources[logicalId(prod)].Properties.TargetIdentifier))
      .toBe('arn:aws:organizations::100000000000:ou/o-testorg123/ou-test-wrkldprd');
  });

  test('a child OU is registered after its parent, a top-level OU after the landing zone', () => {
    const dependsOn = (ou: string) => resources[logicalId(stack.enabledBaselines.get(ou)!)].DependsOn ?? [];
    const workloads = logicalId(stack.enabledBaselines.get('Workloads')!);
    expect(dependsOn('Workloads/Dev')).toContain(workloads);
    expect(dependsOn('Workloads/Prod')).toContain(workloads);
    expect(dependsOn('Infrastructure')).toEqual([landingZoneId]);
    expect(dependsOn('Workloads')).toContain(landingZoneId);
  });

  test('OU registrations run one at a time, in a single chain', () => {
    const chain = [...stack.enabledBaselines.values()].map(logicalId);
    chain.slice(1).forEach((id, i) => expect(resources[id].DependsOn).toContain(chain[i]));
  });

  test('each baseline gets the Identity Center enabled baseline looked up after the landing zone is created', () => {
    const [lookupId, lookup] = ofType('Custom::AWS')[0];
    expect(lookup.DependsOn).toContain(landingZoneId);
    const create = JSON.parse(str(lookup.Properties.Create)) as Record<string, any>;
    expect(create).toMatchObject({ service: 'ControlTower', action: 'listEnabledBaselines' });
    expect(create.parameters.filter.baselineIdentifiers).toEqual(['arn:aws:controltower:eu-west-1::baseline/LN25R72TTG6IGPTQ']);
    for (const [, baseline] of ofType('AWS::ControlTower::EnabledBaseline')) {
      expect(baseline.Properties.Parameters).toEqual([{
        Key: 'IdentityCenterEnabledBaselineArn',
        Value: { 'Fn::GetAtt': [lookupId, 'enabledBaselines.0.arn'] },
      }]);
    }
  });

  test('the lookup may only list enabled baselines and write its own logs', () => {
    const [, fn] = ofType('AWS::Lambda::Function')[0];
    const roleId = (fn.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
    const role = resources[roleId];
    expect(role.Properties.AssumeRolePolicyDocument).toMatchObject({ Statement: [{ Principal: { Service: 'lambda.amazonaws.com' } }] });
    const statements = (role.Properties.ManagedPolicyArns as Array<{ Ref: string }>)
      .flatMap(p => (resources[p.Ref].Properties.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement);
    expect(statements.map(s => [s.Action, str(s.Resource)])).toEqual([
      ['controltower:ListEnabledBaselines', '*'],
      [['logs:CreateLogStream', 'logs:PutLogEvents'], 'arn:aws:logs:eu-west-1:100000000000:log-group:/platform/control-tower/identity-center-baseline-lookup:*'],
    ]);
    template.resourceCountIs('AWS::IAM::Policy', 0);
  });

  test('prod gets every dev control and more', () => {
    expect(controlsOf('Workloads/Dev')).toEqual(['AWS-GR_S3_BUCKET_PUBLIC_READ_PROHIBITED']);
    expect(controlsOf('Workloads/Prod')).toEqual(['AWS-GR_S3_BUCKET_PUBLIC_READ_PROHIBITED', 'AWS-GR_RESTRICT_S3_DELETE_WITHOUT_MFA']);
    expect(controlsOf('Infrastructure')).toEqual([]);
    expect(controlsOf('Workloads')).toEqual([]);
  });

  test('control ARNs are regional identifiers in the home region', () => {
    const prod = stack.enabledControls.get('Workloads/Prod')!;
    expect(str(resources[logicalId(prod[1])].Properties.ControlIdentifier))
      .toBe('arn:aws:controltower:eu-west-1::control/AWS-GR_RESTRICT_S3_DELETE_WITHOUT_MFA');
    expect(str(resources[logicalId(prod[1])].Properties.TargetIdentifier))
      .toBe('arn:aws:organizations::100000000000:ou/o-testorg123/ou-test-wrkldprd');
  });

  test('a control waits for its OU\'s baseline and for every OU registration to finish', () => {
    const lastBaseline = logicalId([...stack.enabledBaselines.values()].at(-1)!);
    const [devControl] = stack.enabledControls.get('Workloads/Dev')!;
    expect(resources[logicalId(devControl)].DependsOn).toEqual(expect.arrayContaining([
      logicalId(stack.enabledBaselines.get('Workloads/Dev')!), lastBaseline,
    ]));
  });
});

describe('ControlTowerStack control serialization', () => {
  // Twelve controls over three OUs: more than fit in the default ten lanes.
  const organization = loadSample(d => {
    d.governance.controlTower = {
      controls: {
        'Infrastructure': ['AWS-GR_RESTRICT_ROOT_USER_ACCESS_KEYS', 'AWS-GR_ROOT_ACCOUNT_MFA_ENABLED', 'AWS-GR_RESTRICT_ROOT_USER', 'AWS-GR_IAM_USER_MFA_ENABLED'],
        'Workloads/Dev': ['AWS-GR_RESTRICT_ROOT_USER_ACCESS_KEYS', 'AWS-GR_ROOT_ACCOUNT_MFA_ENABLED', 'AWS-GR_RESTRICT_ROOT_USER', 'AWS-GR_IAM_USER_MFA_ENABLED'],
        'Workloads/Prod': ['AWS-GR_RESTRICT_ROOT_USER_ACCESS_KEYS', 'AWS-GR_ROOT_ACCOUNT_MFA_ENABLED', 'AWS-GR_RESTRICT_ROOT_USER', 'AWS-GR_IAM_USER_MFA_ENABLED'],
      },
    };
  });
  const controlDependencies = (s: ReturnType<typeof synth>) => {
    const controls = [...s.stack.enabledControls.values()].flat().map(s.logicalId);
    return { controls, dependsOn: (i: number) => s.resources[controls[i]].DependsOn ?? [] };
  };

  test('by default at most ten control operations run at once: the eleventh waits for the first', () => {
    const s = synth(organization);
    const { controls, dependsOn } = controlDependencies(s);
    expect(controls).toHaveLength(12);
    const lastBaseline = s.logicalId([...s.stack.enabledBaselines.values()].at(-1)!);
    for (let i = 0; i < 10; i++) expect(dependsOn(i)).toContain(lastBaseline);
    expect(dependsOn(10)).toContain(controls[0]);
    expect(dependsOn(11)).toContain(controls[1]);
    expect(dependsOn(9).filter(d => controls.includes(d))).toEqual([]);
  });

  test('with one lane, each control waits for the one before it', () => {
    const s = synth(organization, { maxConcurrentControlOperations: 1 });
    const { controls, dependsOn } = controlDependencies(s);
    controls.slice(1).forEach((_, i) => expect(dependsOn(i + 1)).toContain(controls[i]));
  });
});

describe('ControlTowerStack with a sandbox OU, an unregistered OU and no Identity Center', () => {
  const organization = loadSample((d, lock) => {
    d.organizationalUnits.push({ name: 'Sandbox' }, { name: 'Suspended' });
    lock.organizationalUnits.Sandbox = 'ou-test-sandbox1';
    lock.organizationalUnits.Suspended = 'ou-test-suspend1';
    d.governance.controlTower = {
      sandboxOu: 'Sandbox',
      unregisteredOus: ['Suspended'],
      identityCenter: false,
      logRetentionDays: 400,
      accessLogRetentionDays: 730,
      controls: { Sandbox: ['AWS-GR_RESTRICT_ROOT_USER_ACCESS_KEYS'], Security: ['AWS-GR_ROOT_ACCOUNT_MFA_ENABLED'] },
    };
  });
  const { stack, ofType, resources, logicalId, baselineOus, controlsOf } = synth(organization);
  const manifest = ofType('AWS::ControlTower::LandingZone')[0][1].Properties.Manifest as Record<string, any>;

  test('the manifest names the sandbox OU, the retention and leaves Identity Center alone', () => {
    expect(manifest.organizationStructure).toEqual({ security: { name: 'Security' }, sandbox: { name: 'Sandbox' } });
    expect(manifest.centralizedLogging.configurations.loggingBucket).toEqual({ retentionDays: 400 });
    expect(manifest.centralizedLogging.configurations.accessLoggingBucket).toEqual({ retentionDays: 730 });
    expect(manifest.accessManagement).toEqual({ enabled: false });
  });

  test('neither the OUs the landing zone sets up nor unregistered OUs get a baseline', () => {
    expect(baselineOus()).toEqual(['Infrastructure', 'Workloads', 'Workloads/Dev', 'Workloads/Prod']);
    expect(stack.plan.governedOus.map(g => [g.ou.path, g.registeredBy])).toEqual(expect.arrayContaining([
      ['Security', 'landing-zone'], ['Sandbox', 'landing-zone'],
    ]));
    expect(stack.plan.governedOus.map(g => g.ou.path)).not.toContain('Suspended');
  });

  test('without Identity Center there is no lookup and no baseline parameter', () => {
    expect(ofType('Custom::AWS')).toEqual([]);
    expect(ofType('AWS::Lambda::Function')).toEqual([]);
    expect(stack.identityCenterEnabledBaselineArn).toBeUndefined();
    for (const [, baseline] of ofType('AWS::ControlTower::EnabledBaseline')) expect(baseline.Properties.Parameters).toBeUndefined();
  });

  test('controls on the landing zone\'s own OUs wait for the landing zone', () => {
    expect(controlsOf('Sandbox')).toEqual(['AWS-GR_RESTRICT_ROOT_USER_ACCESS_KEYS']);
    expect(controlsOf('Security')).toEqual(['AWS-GR_ROOT_ACCOUNT_MFA_ENABLED']);
    const [sandboxControl] = stack.enabledControls.get('Sandbox')!;
    expect(resources[logicalId(sandboxControl)].DependsOn).toContain(logicalId(stack.landingZone));
  });
});

describe('planControlTower', () => {
  test('a landing zone version without a known baseline version fails, naming the field and the allowed versions', () => {
    const organization = loadSample(d => {
      d.governance.controlTower = { landingZoneVersion: '9.9' };
    });
    expect(() => planControlTower(organization)).toThrow(ConfigError);
    expect(() => planControlTower(organization)).toThrow(
      /governance\.controlTower\.landingZoneVersion "9\.9" has no known AWSControlTowerBaseline version; allowed: .*3\.2, 3\.3/);
  });

  test('landing zone 3.0 registers OUs with baseline 3.0', () => {
    expect(planControlTower(loadSample(d => {
      d.governance.controlTower = { landingZoneVersion: '3.0' };
    })).baselineVersion).toBe('3.0');
  });

  test('lanes: item i waits for item i - lanes', () => {
    expect(laneDependencies(5, 2)).toEqual([undefined, undefined, 0, 1, 2]);
    expect(() => laneDependencies(3, 0)).toThrow('lanes must be a positive integer, got 0');
  });
});

describe('ControlTowerStack under the policy validation of every synth', () => {
  test('the shipped organization\'s stack synthesizes with no unacknowledged finding', () => {
    const app = new cdk.App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'control-tower-validation-')) });
    addPolicyValidation(app, CACHED_VALIDATION);
    new ControlTowerStack(app, 'ControlTower', { organization: loadShippedOrganization() });
    // Throws, listing the findings, if any is neither fixed nor acknowledged.
    const assembly = app.synth();
    const report = JSON.parse(fs.readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8')) as {
      pluginReports: Array<{ pluginName: string; violations: unknown[]; suppressedViolations: Array<{ ruleName: string }> }>;
    };
    for (const plugin of report.pluginReports) expect(plugin.violations).toEqual([]);
    // The only guard rule acknowledged is "Lambda in a VPC" for the deploy-time lookup.
    expect(report.pluginReports.flatMap(p => p.suppressedViolations.map(v => v.ruleName))).toEqual(['lambda_inside_vpc_check']);
  });
});
