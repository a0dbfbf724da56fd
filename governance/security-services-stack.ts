import * as cdk from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as securityhub from 'aws-cdk-lib/aws-securityhub';
import { Construct } from 'constructs';
import { Account, accountWithRole, Organization } from '../accounts';
import { FunctionBundle } from '../kit';
import { tagPlatformStacks } from './platform-tags';
import { GUARDDUTY_SERVICE_PRINCIPALS, HandlerProvider } from './security-administration-stack';

/**
 * A Security Hub standard, by the path of its ARN after `standards/`
 * (`arn:<partition>:securityhub:<region>::standards/<path>`).
 */
export type SecurityHubStandard = string;

/**
 * The standards every account runs: AWS Foundational Security Best
 * Practices, and PCI DSS (v4.0.1, the version Security Hub offers since
 * PCI DSS 3.2.1 was retired) for a payments business.
 */
export const DEFAULT_SECURITY_HUB_STANDARDS: readonly SecurityHubStandard[] = [
  'aws-foundational-security-best-practices/v/1.0.0',
  'pci-dss/v/4.0.1',
];

/** One GuardDuty protection plan to auto-enable for the organization's accounts. */
export interface GuardDutyFeature {
  /** Plan name, as `UpdateOrganizationConfiguration` takes it (e.g. `S3_DATA_EVENTS`). */
  readonly name: string;
  /** Sub-settings of the plan (e.g. agent management of Runtime Monitoring). @default - none */
  readonly additionalConfiguration?: readonly string[];
}

/**
 * Protection plans for every account. Runtime Monitoring includes EKS
 * runtime threat detection (GuardDuty rejects EKS_RUNTIME_MONITORING next to
 * it), with GuardDuty managing its agent on EKS, ECS Fargate and EC2.
 * Plans a region does not offer are skipped there (see the handler).
 */
export const DEFAULT_GUARDDUTY_FEATURES: readonly GuardDutyFeature[] = [
  { name: 'S3_DATA_EVENTS' },
  { name: 'EKS_AUDIT_LOGS' },
  { name: 'EBS_MALWARE_PROTECTION' },
  { name: 'RDS_LOGIN_EVENTS' },
  { name: 'LAMBDA_NETWORK_LOGS' },
  { name: 'RUNTIME_MONITORING', additionalConfiguration: ['EKS_ADDON_MANAGEMENT', 'ECS_FARGATE_AGENT_MANAGEMENT', 'EC2_AGENT_MANAGEMENT'] },
];

/** Properties of a {@link SecurityServicesStack}. */
export interface SecurityServicesStackProps extends cdk.StackProps {
  /** The resolved organization; the stack deploys to its `security` account. */
  readonly organization: Organization;
  /** Bundle of governance/handlers/guardduty-organization.ts. */
  readonly guardDutyOrganizationBundle: FunctionBundle;
  /**
   * Security Hub standards the central configuration policy enables.
   * @default DEFAULT_SECURITY_HUB_STANDARDS
   */
  readonly standards?: readonly SecurityHubStandard[];
  /**
   * GuardDuty protection plans auto-enabled for every account.
   * @default DEFAULT_GUARDDUTY_FEATURES
   */
  readonly guardDutyFeatures?: readonly GuardDutyFeature[];
}

/**
 * The organization's threat detection and posture management, configured
 * from the security (audit) account, the delegated administrator
 * (SecurityAdministrationStack must be deployed first):
 *
 * - Security Hub central configuration: findings of the other allowed
 *   regions aggregated into the home region, and one configuration policy
 *   (Security Hub on, the standards above, every control) associated with the
 *   organization root, so every account and region, including new ones,
 *   gets it.
 * - GuardDuty auto-enabled for ALL member accounts (existing and new) with
 *   the protection plans above, in every allowed region.
 */
export class SecurityServicesStack extends cdk.Stack {
  /** The account the stack deploys to. */
  public readonly administrator: Account;
  /**
   * The configuration policy associated with the root (central configuration);
   * none in an organization with one allowed region (local configuration).
   */
  public readonly configurationPolicy?: securityhub.CfnConfigurationPolicy;
  /** GuardDuty's organization configuration in each allowed region. */
  public readonly guardDutyConfigurations: Readonly<Record<string, cdk.CustomResource>>;

  constructor(scope: Construct, id: string, props: SecurityServicesStackProps) {
    const org = props.organization;
    const administrator = accountWithRole(org, 'security');
    super(scope, id, {
      description: `Security Hub central configuration and GuardDuty for every account of organization ${org.name} (${org.id})`,
      ...props,
      env: { account: administrator.id, region: org.homeRegion },
    });
    tagPlatformStacks(this, org, 'governance');
    this.administrator = administrator;

    const linkedRegions = org.allowedRegions.filter(r => r !== org.homeRegion);
    const standards = props.standards ?? DEFAULT_SECURITY_HUB_STANDARDS;
    if (linkedRegions.length > 0) {
      this.configurationPolicy = this.centralConfiguration(org, linkedRegions, standards);
    } else {
      // One allowed region: central configuration needs cross-Region aggregation, and an aggregator needs a region to link
      // (CloudFormation's FindingAggregator has no "none" mode). Local configuration instead: Security Hub, with its default
      // standards, enabled in every account that joins the organization, in the one region there is.
      new securityhub.CfnOrganizationConfiguration(this, 'OrganizationConfiguration', {
        configurationType: 'LOCAL',
        autoEnable: true,
        autoEnableStandards: 'DEFAULT',
      });
    }

    const features = props.guardDutyFeatures ?? DEFAULT_GUARDDUTY_FEATURES;
    const provider = new HandlerProvider(this, 'GuardDutyOrganization', {
      bundle: props.guardDutyOrganizationBundle,
      description: 'Auto-enables GuardDuty and its protection plans for every account of the organization, in each allowed region',
      statements: guardDutyOrganizationStatements(this, org.allowedRegions),
      wildcardReasons: {
        '*': 'guardduty:ListDetectors and guardduty:CreateDetector act on no existing detector, so they take no resource ARN',
        ...Object.fromEntries(org.allowedRegions.map(region => [detectorArns(this, region),
          `The administrator's detector in ${region}: its id is only known at deploy time (found or created by the handler)`])),
        [guardDutyServiceLinkedRoles(this)]: 'Only GuardDuty\'s service-linked roles (iam:AWSServiceName condition); their names are set by AWS',
      },
    });
    const configurations: Record<string, cdk.CustomResource> = {};
    for (const region of org.allowedRegions) {
      // The id names the region: a region dropped from the model stops being configured (GuardDuty is left running there).
      configurations[region] = new cdk.CustomResource(this, `GuardDutyOrganizationConfiguration-${region}`, {
        serviceToken: provider.serviceToken,
        resourceType: 'Custom::GuardDutyOrganizationConfiguration',
        properties: {
          Region: region,
          AutoEnableOrganizationMembers: 'ALL',
          Features: features.map(f => ({
            Name: f.name,
            AutoEnable: 'ALL',
            ...(f.additionalConfiguration ? { AdditionalConfiguration: f.additionalConfiguration.map(c => ({ Name: c, AutoEnable: 'ALL' })) } : {}),
          })),
        },
      });
    }
    this.guardDutyConfigurations = configurations;
  }

  /**
   * Security Hub's central configuration from the aggregation (home) region:
   * findings of the other allowed regions linked, one configuration policy
   * (Security Hub, `standards`, every control) associated with the root.
   */
  private centralConfiguration(org: Organization, linkedRegions: readonly string[],
    standards: readonly string[]): securityhub.CfnConfigurationPolicy {
    // Central configuration is set up in the aggregation (home) region.
    const aggregator = new securityhub.CfnFindingAggregator(this, 'FindingAggregator', {
      regionLinkingMode: 'SPECIFIED_REGIONS',
      regions: [...linkedRegions],
    });
    const organizationConfiguration = new securityhub.CfnOrganizationConfiguration(this, 'OrganizationConfiguration', {
      configurationType: 'CENTRAL',
      // Central configuration requires both off: the configuration policy enables Security Hub and its standards instead.
      autoEnable: false,
      autoEnableStandards: 'NONE',
    });
    organizationConfiguration.addResourceDependency(aggregator);

    const policy = new securityhub.CfnConfigurationPolicy(this, 'ConfigurationPolicy', {
      name: `${org.name}-baseline`,
      description: `Security Hub with ${standards.join(', ')} and every control, in every account and region of ${org.name}`,
      configurationPolicy: {
        securityHub: {
          serviceEnabled: true,
          // Standard ARNs name the home region; the policy applies them in every linked region.
          enabledStandardIdentifiers: standards.map(s => `arn:${this.partition}:securityhub:${this.region}::standards/${s}`),
          // No control disabled: every control is on, including controls Security Hub adds later.
          securityControlsConfiguration: { disabledSecurityControlIdentifiers: [] },
        },
      },
    });
    policy.addResourceDependency(organizationConfiguration);
    new securityhub.CfnPolicyAssociation(this, 'RootAssociation', {
      configurationPolicyId: policy.attrId,
      targetType: 'ROOT',
      targetId: org.rootId,
    });
    return policy;
  }
}

/**
 * What the organization-configuration handler does in the administrator
 * account: find or create its detector in each region, configure the
 * organization and its own detector, and let GuardDuty create its
 * service-linked roles (first detector, malware protection).
 */
export function guardDutyOrganizationStatements(stack: cdk.Stack, regions: readonly string[]): iam.PolicyStatement[] {
  const detectors = regions.map(region => detectorArns(stack, region));
  return [
    // ListDetectors and CreateDetector act on no existing resource.
    new iam.PolicyStatement({ sid: 'FindOrCreateDetector', actions: ['guardduty:ListDetectors', 'guardduty:CreateDetector'], resources: ['*'] }),
    new iam.PolicyStatement({
      sid: 'ConfigureDetectorAndOrganization',
      actions: ['guardduty:UpdateOrganizationConfiguration', 'guardduty:UpdateDetector', 'guardduty:GetDetector'],
      resources: detectors,
    }),
    new iam.PolicyStatement({
      sid: 'GuardDutyServiceLinkedRoles',
      actions: ['iam:CreateServiceLinkedRole'],
      resources: [guardDutyServiceLinkedRoles(stack)],
      conditions: { StringEquals: { 'iam:AWSServiceName': [...GUARDDUTY_SERVICE_PRINCIPALS] } },
    }),
  ];
}

/** Every GuardDuty detector of the stack's account in `region`. */
function detectorArns(stack: cdk.Stack, region: string): string {
  return `arn:${stack.partition}:guardduty:${region}:${stack.account}:detector/*`;
}

/** GuardDuty's service-linked roles in the stack's account. */
function guardDutyServiceLinkedRoles(stack: cdk.Stack): string {
  return `arn:${stack.partition}:iam::${stack.account}:role/aws-service-role/*guardduty.amazonaws.com/*`;
}
