import * as cdk from 'aws-cdk-lib';
import * as controltower from 'aws-cdk-lib/aws-controltower';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { accountWithRole, CONTROL_TOWER_EXECUTION_ROLE_NAME, Organization, OU_PATH_SEPARATOR } from '../accounts';
import { ControlTowerPlan, laneDependencies, planControlTower } from './control-tower-plan';
import { OrganizationTrailAlarms } from './organization-trail-alarms';
import { acknowledgeFindings, acknowledgeWildcardResource, denyGrantsNotForAwsResources } from '../kit';

/** Identifier of the OU-level `AWSControlTowerBaseline` (same in every region and partition). */
export const CONTROL_TOWER_BASELINE_ID = '17BSJV3IGJ2QSGA2';
/** Identifier of the `IdentityCenterBaseline` the landing zone enables when it manages IAM Identity Center. */
export const IDENTITY_CENTER_BASELINE_ID = 'LN25R72TTG6IGPTQ';
/** Name of the organization trail the landing zone creates in the home region (its KMS key policy names it). */
export const CONTROL_TOWER_TRAIL_NAME = 'aws-controltower-BaselineCloudTrail';

/**
 * Control operations in progress at once. AWS Control Tower documents a
 * limit on concurrent control operations across the console and the API
 * ("Limitations and quotas", https://docs.aws.amazon.com/controltower/latest/userguide/limits.html):
 * 10 for a long time, now 100 (20 of them proactive). 10 keeps us well under
 * it even when someone works in the console, and still enables a typical
 * set of controls in a few rounds.
 */
export const DEFAULT_CONTROL_CONCURRENCY = 10;

/** Construct id of the singleton function behind every `AwsCustomResource` of a stack. */
const LOOKUP_PROVIDER_ID = `AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`;

/** Properties of a {@link ControlTowerStack}. */
export interface ControlTowerStackProps extends cdk.StackProps {
  /** The resolved organization: accounts, OU ids and `governance.controlTower`. */
  readonly organization: Organization;
  /**
   * Most `CfnEnabledControl` operations CloudFormation runs at once; the
   * others wait in dependency chains.
   * @default DEFAULT_CONTROL_CONCURRENCY (10)
   */
  readonly maxConcurrentControlOperations?: number;
}

/**
 * The AWS Control Tower landing zone of the organization, derived from
 * `governance.controlTower`: the service roles CreateLandingZone requires,
 * a customer-managed KMS key for CloudTrail and Config, the landing zone
 * (governed regions, security and sandbox OUs, log-archive and audit
 * accounts, retention, organization CloudTrail), an `AWSControlTowerBaseline`
 * registering every other governed OU, and the elective controls per OU.
 *
 * Deployed to the management account in the home region. Prerequisites
 * (done by the bootstrap tool): all features enabled in Organizations, the
 * log-archive and audit accounts exist in the security OU.
 */
export class ControlTowerStack extends cdk.Stack {
  /** The landing zone. */
  public readonly landingZone: controltower.CfnLandingZone;
  /** The key encrypting the landing zone's CloudTrail and Config logs. */
  public readonly logKey: kms.Key;
  /** The service roles the landing zone runs with, by role name. */
  public readonly serviceRoles: Readonly<Record<string, iam.Role>>;
  /** The `AWSControlTowerBaseline` of each OU registered by baseline, by OU path. */
  public readonly enabledBaselines: ReadonlyMap<string, controltower.CfnEnabledBaseline>;
  /** Enabled controls per OU path, in model order. */
  public readonly enabledControls: ReadonlyMap<string, readonly controltower.CfnEnabledControl[]>;
  /** What was derived from the model. */
  public readonly plan: ControlTowerPlan;
  /** Alarms on the landing zone's organization trail (break-glass use, root activity). */
  public readonly trailAlarms: OrganizationTrailAlarms;
  /**
   * ARN of the landing zone's Identity Center enabled baseline (looked up at
   * deploy time); undefined when the landing zone does not manage Identity Center.
   */
  public readonly identityCenterEnabledBaselineArn?: string;

  constructor(scope: Construct, id: string, props: ControlTowerStackProps) {
    const org = props.organization;
    super(scope, id, {
      description: `AWS Control Tower landing zone, OU baselines and controls of organization ${org.name} (${org.id})`,
      ...props,
      env: { account: org.managementAccount.id, region: org.homeRegion },
    });
    const ct = org.governance.controlTower;
    this.plan = planControlTower(org);
    const concurrency = props.maxConcurrentControlOperations ?? DEFAULT_CONTROL_CONCURRENCY;

    this.serviceRoles = this.createServiceRoles(org);
    this.logKey = this.createLogKey(org);

    // The organization CloudTrail (log-file validation on, delivered to the
    // log-archive account) and Config are set up by the landing zone itself:
    // `centralizedLogging`. Manifest schema of landing zone 3.x:
    // https://docs.aws.amazon.com/controltower/latest/userguide/lz-api-launch.html
    const manifest: Record<string, unknown> = {
      governedRegions: [...org.allowedRegions],
      organizationStructure: {
        security: { name: ct.securityOu },
        ...(ct.sandboxOu ? { sandbox: { name: ct.sandboxOu } } : {}),
      },
      centralizedLogging: {
        accountId: accountWithRole(org, 'log-archive').id,
        configurations: {
          loggingBucket: { retentionDays: ct.logRetentionDays },
          accessLoggingBucket: { retentionDays: ct.accessLogRetentionDays },
          kmsKeyArn: this.logKey.keyArn,
        },
        enabled: true,
      },
      securityRoles: { accountId: accountWithRole(org, 'security').id },
      accessManagement: { enabled: ct.identityCenter },
    };
    // Stable id: a new logical id would decommission the landing zone and set up another.
    this.landingZone = new controltower.CfnLandingZone(this, 'LandingZone', {
      version: ct.landingZoneVersion,
      manifest,
    });
    // Deleting the stack must not decommission the landing zone (that takes
    // governance off every account); decommissioning is a deliberate runbook step.
    this.landingZone.applyRemovalPolicy(cdk.RemovalPolicy.RETAIN);
    for (const role of Object.values(this.serviceRoles)) this.landingZone.node.addDependency(role);
    this.landingZone.node.addDependency(this.logKey);

    if (ct.identityCenter) {
      this.identityCenterEnabledBaselineArn = this.lookUpIdentityCenterBaseline();
    }

    // Break-glass use and root activity anywhere in the organization, from the trail's log group.
    this.trailAlarms = new OrganizationTrailAlarms(this, 'TrailAlarms', { organization: org });
    this.trailAlarms.node.addDependency(this.landingZone);

    this.enabledBaselines = this.registerOus(org);
    this.enabledControls = this.enableControls(org, concurrency);
  }

  /**
   * The roles CreateLandingZone requires in the management account, with the
   * trust and permissions AWS documents
   * (https://docs.aws.amazon.com/controltower/latest/userguide/access-control-managing-permissions.html,
   * https://docs.aws.amazon.com/controltower/latest/userguide/walkthrough-api-setup.html).
   * Names and the `/service-role/` path are fixed: Control Tower looks them up by ARN.
   */
  private createServiceRoles(org: Organization): Record<string, iam.Role> {
    const role = (name: string, service: string, policies: iam.IManagedPolicy[], description: string) => {
      const r = new iam.Role(this, name, {
        roleName: name,
        path: '/service-role/',
        assumedBy: new iam.ServicePrincipal(service),
        managedPolicies: policies,
        description,
      });
      // The landing zone is retained with the stack; so are the roles it runs with.
      r.applyRemovalPolicy(cdk.RemovalPolicy.RETAIN);
      return r;
    };
    const policy = (policyId: string, statements: iam.PolicyStatement[]) => {
      const p = new iam.ManagedPolicy(this, policyId, { statements, path: '/service-role/' });
      p.applyRemovalPolicy(cdk.RemovalPolicy.RETAIN);
      return p;
    };

    // Control Tower itself. ec2:DescribeAvailabilityZones has no resource-level permissions.
    const adminPolicy = policy('AWSControlTowerAdminPolicy', [new iam.PolicyStatement({
      actions: ['ec2:DescribeAvailabilityZones'],
      resources: ['*'],
    })]);
    cdk.Validations.of(adminPolicy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'Documented AWSControlTowerAdmin permission: ec2:DescribeAvailabilityZones supports no resource-level permissions',
    });
    const admin = role('AWSControlTowerAdmin', 'controltower.amazonaws.com', [
      adminPolicy,
      iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSControlTowerServiceRolePolicy'),
    ], 'AWS Control Tower manages the landing zone with this role');
    cdk.Validations.of(admin).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSControlTowerServiceRolePolicy]',
      reason: 'Required by Control Tower (documented prerequisite of CreateLandingZone); AWS keeps this policy in step with each landing zone version',
    });

    // CloudTrail delivers the organization trail to CloudWatch Logs. The
    // documented policy allows the log group in any region and account; the
    // trail and its log group live in the management account's home region only.
    const trailLogStreams = `arn:${this.partition}:logs:${org.homeRegion}:${org.managementAccount.id}:log-group:aws-controltower/CloudTrailLogs:*`;
    const trailPolicy = policy('AWSControlTowerCloudTrailRolePolicy', [new iam.PolicyStatement({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [trailLogStreams],
    })]);
    acknowledgeWildcardResource(trailPolicy, trailLogStreams,
      'CloudTrail names the log streams of Control Tower\'s log group itself; the grant is limited to that one log group');
    const trail = role('AWSControlTowerCloudTrailRole', 'cloudtrail.amazonaws.com', [trailPolicy],
      'CloudTrail publishes the Control Tower organization trail to CloudWatch Logs with this role');

    // CloudFormation StackSets (self-managed) deploy Control Tower's
    // baselines into each enrolled account through its execution role.
    const executionRoles = `arn:${this.partition}:iam::*:role/${CONTROL_TOWER_EXECUTION_ROLE_NAME}`;
    const stackSetPolicy = policy('AWSControlTowerStackSetRolePolicy', [new iam.PolicyStatement({
      actions: ['sts:AssumeRole'],
      resources: [executionRoles],
    })]);
    acknowledgeWildcardResource(stackSetPolicy, executionRoles, 'Documented AWSControlTowerStackSetRole permission: the execution '
      + 'role of every enrolled account, including accounts enrolled after this deploy');
    const stackSet = role('AWSControlTowerStackSetRole', 'cloudformation.amazonaws.com', [stackSetPolicy],
      'CloudFormation StackSets deploy Control Tower baselines to enrolled accounts with this role');

    const configAggregator = role('AWSControlTowerConfigAggregatorRoleForOrganizations', 'config.amazonaws.com', [
      iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSConfigRoleForOrganizations'),
    ], 'AWS Config aggregates the configuration of every account of the organization with this role');
    cdk.Validations.of(configAggregator).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSConfigRoleForOrganizations]',
      reason: 'Required by Control Tower (documented prerequisite of CreateLandingZone): the organization read access a Config aggregator needs, maintained by AWS',
    });

    return {
      AWSControlTowerAdmin: admin,
      AWSControlTowerCloudTrailRole: trail,
      AWSControlTowerStackSetRole: stackSet,
      AWSControlTowerConfigAggregatorRoleForOrganizations: configAggregator,
    };
  }

  /**
   * Customer-managed key for the landing zone's CloudTrail and Config logs,
   * with the statements Control Tower documents
   * (https://docs.aws.amazon.com/controltower/latest/userguide/configure-kms-keys.html).
   * Control Tower requires a symmetric, single-region key in the management account.
   */
  private createLogKey(org: Organization): kms.Key {
    // Stable id: replacing the key would leave the logs encrypted under the old one.
    const key = new kms.Key(this, 'LogKey', {
      description: `Encrypts the AWS Control Tower CloudTrail and Config logs of organization ${org.name}`,
      alias: `alias/${org.name}-control-tower-logs`,
      enableKeyRotation: true,
      removalPolicy: cdk.RemovalPolicy.RETAIN,
    });
    key.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'Allow Config to use KMS for encryption',
      principals: [new iam.ServicePrincipal('config.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: ['*'],
    }));
    key.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'Allow CloudTrail to use KMS for encryption',
      principals: [new iam.ServicePrincipal('cloudtrail.amazonaws.com')],
      actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
      resources: ['*'],
      conditions: {
        StringEquals: {
          'aws:SourceArn': `arn:${this.partition}:cloudtrail:${org.homeRegion}:${org.managementAccount.id}:trail/${CONTROL_TOWER_TRAIL_NAME}`,
        },
        StringLike: {
          'kms:EncryptionContext:aws:cloudtrail:arn': `arn:${this.partition}:cloudtrail:*:${org.managementAccount.id}:trail/*`,
        },
      },
    }));
    // Control Tower proactive control CT.KMS.PR.3: only AWS services may
    // hold grants on the key. Control Tower, CloudTrail and Config use the
    // key policy above, not grants.
    key.addToResourcePolicy(denyGrantsNotForAwsResources());
    return key;
  }

  /**
   * The ARN of the Identity Center enabled baseline, which the landing zone
   * creates, so it is only known at deploy time: ListEnabledBaselines filtered
   * on the IdentityCenterBaseline, as AWS documents for EnableBaseline
   * (https://docs.aws.amazon.com/controltower/latest/userguide/baseline-api-examples.html).
   */
  private lookUpIdentityCenterBaseline(): string {
    const call: cr.AwsSdkCall = {
      service: 'ControlTower',
      action: 'listEnabledBaselines',
      parameters: { filter: { baselineIdentifiers: [this.baselineArn(IDENTITY_CENTER_BASELINE_ID)] } },
      // No Identity Center baseline leaves this path empty, which should fail the
      // deploy rather than register OUs without Identity Center (not tested against AWS).
      physicalResourceId: cr.PhysicalResourceId.fromResponse('enabledBaselines.0.arn'),
      outputPaths: ['enabledBaselines.0.arn'],
    };
    // Its own role and log group (instead of the provider's defaults) so the
    // function gets no AWS managed or inline policy and keeps its logs a
    // bounded time, encrypted with the landing zone's log key.
    const logGroupName = '/platform/control-tower/identity-center-baseline-lookup';
    const logGroup = new logs.LogGroup(this, 'IdentityCenterBaselineLookupLogs', {
      logGroupName,
      retention: logs.RetentionDays.ONE_YEAR,
      encryptionKey: this.logKey,
      removalPolicy: cdk.RemovalPolicy.DESTROY,
    });
    const logGroupArn = `arn:${this.partition}:logs:${this.region}:${this.account}:log-group:${logGroupName}`;
    this.logKey.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'Allow CloudWatch Logs to encrypt the lookup function logs',
      principals: [new iam.ServicePrincipal(`logs.${this.region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': logGroupArn } },
    }));
    const lookupPolicy = new iam.ManagedPolicy(this, 'IdentityCenterBaselineLookupPolicy', {
      statements: [
        new iam.PolicyStatement({ actions: ['controltower:ListEnabledBaselines'], resources: ['*'] }),
        new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [`${logGroupArn}:*`] }),
      ],
    });
    cdk.Validations.of(lookupPolicy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'controltower:ListEnabledBaselines is a List action without resource-level permissions; the function can read nothing else',
    });
    acknowledgeWildcardResource(lookupPolicy, `${logGroupArn}:*`, 'Log streams of the function\'s own log group, named by Lambda at run time');
    const lookupRole = new iam.Role(this, 'IdentityCenterBaselineLookupRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      managedPolicies: [lookupPolicy],
      description: 'Reads the ARN of the landing zone\'s Identity Center enabled baseline at deploy time',
    });
    const lookup = new cr.AwsCustomResource(this, 'IdentityCenterBaselineLookup', {
      onCreate: call,
      onUpdate: call,
      role: lookupRole,
      logGroup,
      memorySize: 256,
      timeout: cdk.Duration.minutes(1),
      installLatestAwsSdk: false,
    });
    lookup.node.addDependency(logGroup);
    const fn = this.node.findChild(LOOKUP_PROVIDER_ID).node.defaultChild as cdk.CfnResource;
    const acknowledge = (ids: readonly string[], reason: string) => acknowledgeFindings(fn, ids, reason);
    acknowledge(['PCI.DSS.321-LambdaInsideVPC', 'cdk-validator-cfnguard::lambda_inside_vpc_check', 'CKV_AWS_117'],
      'Calls only the Control Tower API (over TLS, with IAM), once per deploy; there is no VPC resource to reach, so a VPC adds NAT or endpoints without narrowing exposure');
    acknowledge(['Serverless-LambdaDLQ', 'CKV_AWS_116'], 'CloudFormation invokes this custom resource provider and fails the deploy on error; a failed lookup is retried by redeploying, so a dead-letter queue would hold nothing to act on');
    acknowledge(['Serverless-LambdaTracing'], 'A single Control Tower API call per deploy, logged by the provider; a trace would add nothing');
    acknowledge(['CKV_AWS_115'], 'aws-cdk-lib\'s singleton provider, invoked once per deploy by CloudFormation: nothing to reserve concurrency for');
    lookup.node.addDependency(this.landingZone);
    return lookup.getResponseField('enabledBaselines.0.arn');
  }

  /**
   * One `AWSControlTowerBaseline` per OU to register. Control Tower runs one
   * OU operation at a time ("Concurrent operations for organizational units:
   * 1, not adjustable", https://docs.aws.amazon.com/controltower/latest/userguide/request-an-increase.html),
   * so the baselines form a single chain, parents before children; each
   * also depends on its parent's registration (baseline or landing zone).
   */
  private registerOus(org: Organization): Map<string, controltower.CfnEnabledBaseline> {
    const baselines = new Map<string, controltower.CfnEnabledBaseline>();
    let previous: cdk.CfnResource = this.landingZone;
    for (const ou of this.plan.baselineOus) {
      // The id follows the OU path: renaming an OU de-registers and re-registers it.
      const baseline = new controltower.CfnEnabledBaseline(this, `Baseline-${constructIdOf(ou.path)}`, {
        baselineIdentifier: this.baselineArn(CONTROL_TOWER_BASELINE_ID),
        baselineVersion: this.plan.baselineVersion,
        targetIdentifier: this.ouArn(org, ou.id),
        parameters: this.identityCenterEnabledBaselineArn
          ? [{ key: 'IdentityCenterEnabledBaselineArn', value: this.identityCenterEnabledBaselineArn }]
          : undefined,
      });
      const parent = ou.parentPath ? baselines.get(ou.parentPath) : undefined;
      baseline.addResourceDependency(parent ?? this.landingZone);
      if (previous !== parent) baseline.addResourceDependency(previous);
      baselines.set(ou.path, baseline);
      previous = baseline;
    }
    return baselines;
  }

  /**
   * One `CfnEnabledControl` per (OU, control) of the model. Controls start
   * after every OU registration (Control Tower allows control operations to
   * overlap, but not with OU operations), and run in `concurrency` chains.
   */
  private enableControls(org: Organization, concurrency: number): Map<string, controltower.CfnEnabledControl[]> {
    const byPath = new Map(org.organizationalUnits.map(ou => [ou.path, ou]));
    const lastRegistration: cdk.CfnResource = [...this.enabledBaselines.values()].at(-1) ?? this.landingZone;
    const waitsFor = laneDependencies(this.plan.controls.length, concurrency);
    const all: controltower.CfnEnabledControl[] = [];
    const controls = new Map<string, controltower.CfnEnabledControl[]>();
    this.plan.controls.forEach(({ ouPath, controlId }, i) => {
      const ou = byPath.get(ouPath)!;
      const control = new controltower.CfnEnabledControl(this, `Control-${constructIdOf(ouPath)}-${controlId}`, {
        controlIdentifier: `arn:${this.partition}:controltower:${org.homeRegion}::control/${controlId}`,
        targetIdentifier: this.ouArn(org, ou.id),
      });
      control.addResourceDependency(this.enabledBaselines.get(ouPath) ?? this.landingZone);
      const before = waitsFor[i];
      control.addResourceDependency(before === undefined ? lastRegistration : all[before]);
      all.push(control);
      controls.set(ouPath, [...(controls.get(ouPath) ?? []), control]);
    });
    return controls;
  }

  private baselineArn(baselineId: string): string {
    return `arn:${this.partition}:controltower:${this.region}::baseline/${baselineId}`;
  }

  private ouArn(org: Organization, ouId: string): string {
    return `arn:${this.partition}:organizations::${org.managementAccount.id}:ou/${org.id}/${ouId}`;
  }
}

/** `Workloads/Prod` as a construct id part: `Workloads-Prod`. */
function constructIdOf(ouPath: string): string {
  return ouPath.split(OU_PATH_SEPARATOR).join('-').replace(/\s+/g, '');
}
