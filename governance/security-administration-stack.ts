import * as cdk from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as securityhub from 'aws-cdk-lib/aws-securityhub';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { Account, accountWithRole, Organization } from '../accounts';
import { tagPlatformStacks } from './platform-tags';
import {
  acknowledgeInlinePolicies,
  acknowledgeFindings,
  acknowledgeNoSecretsInEnvironment,
  acknowledgeNoVpc,
  acknowledgeWildcardResource,
  acknowledgeXRay,
  denyGrantsNotForAwsResources,
  FunctionBundle,
} from '../kit';

/** Service principals GuardDuty registers as delegated administrator for (the malware scans have their own). */
export const GUARDDUTY_SERVICE_PRINCIPALS = ['guardduty.amazonaws.com', 'malware-protection.guardduty.amazonaws.com'] as const;

/** Properties of a {@link HandlerProvider}. */
export interface HandlerProviderProps {
  /** The handler's bundle (built once per synth by the app). */
  readonly bundle: FunctionBundle;
  /** What the handler does, for the function's description. */
  readonly description: string;
  /** Everything the handler may do (least privilege). */
  readonly statements: readonly iam.PolicyStatement[];
  /** Acknowledgements of wildcard resources in `statements`: resource -> why. */
  readonly wildcardReasons?: Readonly<Record<string, string>>;
}

/**
 * A Lambda-backed custom resource provider (CDK provider framework) for a
 * governance handler: encrypted logs kept a year, X-Ray tracing, an explicit
 * least-privilege role, and the framework's own function locked down the
 * same way. One provider serves every region's resource of a stack.
 */
export class HandlerProvider extends Construct {
  /** What custom resources use as `serviceToken`. */
  public readonly serviceToken: string;
  /** The handler. */
  public readonly function: lambda.Function;
  /** The handler's role. */
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: HandlerProviderProps) {
    super(scope, id);
    const stack = cdk.Stack.of(this);
    const key = new kms.Key(this, 'LogKey', {
      description: `Encrypts the logs of ${this.node.path}`,
      enableKeyRotation: true,
    });
    key.addToResourcePolicy(new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': stack.formatArn({
            service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: cdk.ArnFormat.COLON_RESOURCE_NAME,
          }),
        },
      },
    }));
    key.addToResourcePolicy(denyGrantsNotForAwsResources());
    const logGroup = (logId: string) => new logs.LogGroup(this, logId, {
      encryptionKey: key,
      // A year of evidence of who changed the security services and when (PCI DSS 10.7).
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: cdk.RemovalPolicy.RETAIN,
    });

    const handlerLogs = logGroup('HandlerLogs');
    this.role = new iam.Role(this, 'HandlerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: props.description,
    });
    handlerLogs.grantWrite(this.role);
    for (const statement of props.statements) this.role.addToPrincipalPolicy(statement);
    const xray = 'X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) have no resource-level permissions';
    const wildcards = { ...props.wildcardReasons, '*': [xray, props.wildcardReasons?.['*']].filter(r => r).join('; ') };
    for (const [resource, reason] of Object.entries(wildcards)) {
      acknowledgeWildcardResource(this.role, resource, reason);
    }
    this.function = new lambda.Function(this, 'Handler', {
      description: props.description,
      code: lambda.Code.fromAsset(props.bundle.dir),
      handler: 'index.handler',
      // Matches the bundles' target (kit/bundle.ts BUNDLE_TARGET).
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      // A handler walks a few GuardDuty calls; the framework gives up after its own timeout.
      timeout: cdk.Duration.minutes(5),
      tracing: lambda.Tracing.ACTIVE,
      logGroup: handlerLogs,
      role: this.role,
      environment: { NODE_OPTIONS: '--enable-source-maps' },
    });
    acknowledgeCustomResourceFunction(this.function, this.role);

    const frameworkRole = new iam.Role(this, 'FrameworkRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Provider framework of ${this.node.path}`,
    });
    const frameworkLogs = logGroup('FrameworkLogs');
    frameworkLogs.grantWrite(frameworkRole);
    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.function,
      frameworkOnEventRole: frameworkRole,
      logGroup: frameworkLogs,
    });
    this.serviceToken = provider.serviceToken;
    // The framework function is aws-cdk-lib's; give it the same explicit settings as the handler.
    const frameworkFunction = provider.node.findChild('framework-onEvent') as lambda.Function;
    const cfnFramework = frameworkFunction.node.defaultChild as lambda.CfnFunction;
    cfnFramework.memorySize = 256;
    cfnFramework.tracingConfig = { mode: 'Active' };
    frameworkRole.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
      resources: ['*'],
    }));
    acknowledgeXRay(frameworkRole);
    acknowledgeWildcardResource(frameworkRole, `${this.function.functionArn}:*`,
      'The provider framework may invoke any version of its handler; the grant is aws-cdk-lib\'s');
    acknowledgeCustomResourceFunction(frameworkFunction, frameworkRole);
  }
}

/**
 * Findings a custom resource function cannot meaningfully fix: CloudFormation
 * invokes it synchronously (through the framework) a few times per
 * deployment and gets every failure back, and it reaches only AWS APIs.
 */
function acknowledgeCustomResourceFunction(fn: Construct, role: iam.Role): void {
  acknowledgeFindings(fn, ['Serverless-LambdaDLQ', 'CKV_AWS_116'],
    'Invoked synchronously by CloudFormation through the provider framework, which reports every failure to the stack; '
      + 'there is no asynchronous event to keep');
  acknowledgeFindings(fn, ['CKV_AWS_173'], 'Its only environment variable is NODE_OPTIONS (source maps): nothing to encrypt with a customer key');
  acknowledgeFindings(fn, ['CKV_AWS_115'], 'Invoked by CloudFormation a few times per deployment: nothing to reserve concurrency for');
  acknowledgeNoVpc(fn);
  acknowledgeNoSecretsInEnvironment(fn);
  acknowledgeInlinePolicies(role);
}

/** Properties of a {@link SecurityAdministrationStack}. */
export interface SecurityAdministrationStackProps extends cdk.StackProps {
  /** The resolved organization; its `security` account becomes the delegated administrator. */
  readonly organization: Organization;
  /** Bundle of governance/handlers/guardduty-admin.ts. */
  readonly guardDutyAdminBundle: FunctionBundle;
}

/**
 * Makes the security (audit) account the delegated administrator of
 * Security Hub (home region; central configuration then reaches the other
 * regions) and of GuardDuty in every allowed region (GuardDuty delegation is
 * regional and has no CloudFormation resource: one custom resource per
 * region). Deployed to the management account, in the home region: only the
 * management account may designate delegated administrators.
 */
export class SecurityAdministrationStack extends cdk.Stack {
  /** The delegated administrator of Security Hub and GuardDuty. */
  public readonly administrator: Account;
  /** The GuardDuty delegation of each allowed region. */
  public readonly guardDutyDelegations: Readonly<Record<string, cdk.CustomResource>>;

  constructor(scope: Construct, id: string, props: SecurityAdministrationStackProps) {
    const org = props.organization;
    super(scope, id, {
      description: `Security Hub and GuardDuty delegated administrator of organization ${org.name} (${org.id})`,
      ...props,
      env: { account: org.managementAccount.id, region: org.homeRegion },
    });
    tagPlatformStacks(this, org, 'governance');
    this.administrator = accountWithRole(org, 'security');

    // Replacing this resource (a new account id) removes and re-adds the delegation.
    new securityhub.CfnDelegatedAdmin(this, 'SecurityHubDelegatedAdmin', { adminAccountId: this.administrator.id });

    const provider = new HandlerProvider(this, 'GuardDutyAdmin', {
      bundle: props.guardDutyAdminBundle,
      description: `Makes account ${this.administrator.name} the GuardDuty delegated administrator in each allowed region`,
      statements: guardDutyAdminStatements(),
      wildcardReasons: {
        '*': 'GuardDuty\'s organization admin actions and the Organizations read actions GuardDuty makes with the caller\'s '
          + 'credentials (list/describe) have no resource-level permissions; the Organizations writes are limited to GuardDuty\'s service principals',
      },
    });

    const delegations: Record<string, cdk.CustomResource> = {};
    for (const region of org.allowedRegions) {
      // The id names the region: removing a region from the model removes its delegation.
      delegations[region] = new cdk.CustomResource(this, `GuardDutyDelegatedAdmin-${region}`, {
        serviceToken: provider.serviceToken,
        resourceType: 'Custom::GuardDutyDelegatedAdmin',
        properties: { Region: region, AdminAccountId: this.administrator.id },
      });
    }
    this.guardDutyDelegations = delegations;
  }
}

/**
 * What designating (and removing) the GuardDuty delegated administrator takes,
 * per https://docs.aws.amazon.com/guardduty/latest/ug/organizations_permissions.html:
 * GuardDuty enables trusted access and registers the administrator with the
 * caller's credentials, so the Organizations writes are granted, but only for
 * GuardDuty's service principals.
 */
export function guardDutyAdminStatements(): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      sid: 'GuardDutyDelegation',
      actions: [
        'guardduty:EnableOrganizationAdminAccount',
        'guardduty:DisableOrganizationAdminAccount',
        'guardduty:ListOrganizationAdminAccounts',
      ],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      sid: 'OrganizationsForGuardDutyOnly',
      actions: [
        'organizations:EnableAWSServiceAccess',
        'organizations:RegisterDelegatedAdministrator',
        'organizations:DeregisterDelegatedAdministrator',
      ],
      resources: ['*'],
      conditions: { StringEquals: { 'organizations:ServicePrincipal': [...GUARDDUTY_SERVICE_PRINCIPALS] } },
    }),
    new iam.PolicyStatement({
      sid: 'OrganizationsRead',
      actions: [
        'organizations:ListDelegatedAdministrators',
        'organizations:ListAWSServiceAccessForOrganization',
        'organizations:DescribeOrganizationalUnit',
        'organizations:DescribeAccount',
        'organizations:DescribeOrganization',
        'organizations:ListAccounts',
      ],
      resources: ['*'],
    }),
  ];
}
