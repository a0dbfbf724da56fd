import { createHash } from 'node:crypto';
import * as cdk from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as securityhub from 'aws-cdk-lib/aws-securityhub';
import { Construct } from 'constructs';
import {
  Account,
  accountWithRole,
  ConfigError,
  CostSwitches,
  DECLARATION_FILE,
  effectiveCostSwitches,
  formatPath,
  GuardDutySwitches,
  Organization,
  ROOT_TARGET,
  SECURITY_HUB_STANDARDS,
} from '../accounts';
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

/** Which switch of `governance.costSwitches.<target>.guardDuty` turns each protection plan off (plans not listed have none). */
const PLAN_SWITCHES: Readonly<Record<string, keyof GuardDutySwitches>> = {
  S3_DATA_EVENTS: 's3DataEvents',
  EKS_AUDIT_LOGS: 'eksAuditLogs',
  EBS_MALWARE_PROTECTION: 'ebsMalwareProtection',
  RDS_LOGIN_EVENTS: 'rdsLoginEvents',
  LAMBDA_NETWORK_LOGS: 'lambdaNetworkLogs',
  RUNTIME_MONITORING: 'runtimeMonitoring',
  EKS_RUNTIME_MONITORING: 'runtimeMonitoring',
};

/** A protection plan's desired state in one account, as UpdateDetector and UpdateMemberDetectors take it. */
export interface GuardDutyFeatureStatus {
  readonly Name: string;
  readonly Status: 'ENABLED' | 'DISABLED';
  readonly AdditionalConfiguration?: ReadonlyArray<{ readonly Name: string; readonly Status: 'ENABLED' | 'DISABLED' }>;
}

/** A protection plan's organization-wide auto-enable, as UpdateOrganizationConfiguration takes it. */
export interface GuardDutyOrganizationFeature {
  readonly Name: string;
  readonly AutoEnable: 'ALL' | 'NEW' | 'NONE';
  readonly AdditionalConfiguration?: ReadonlyArray<{ readonly Name: string; readonly AutoEnable: 'ALL' | 'NEW' | 'NONE' }>;
}

/** Member accounts that get the same protection plans set one by one (UpdateMemberDetectors). */
export interface GuardDutyMemberOverride {
  /** 12-digit account ids, sorted. */
  readonly AccountIds: readonly string[];
  readonly Features: readonly GuardDutyFeatureStatus[];
}

/** What the GuardDuty organization configuration of each region applies. */
export interface GuardDutyOrganizationPlan {
  /** Organization-wide auto-enable of each plan, from the Root settings. */
  readonly features: readonly GuardDutyOrganizationFeature[];
  /** The administrator's own detector (it is not its own member). */
  readonly administratorFeatures: readonly GuardDutyFeatureStatus[];
  /** Members whose plans the organization-wide auto-enable does not guarantee, grouped by identical plans. */
  readonly memberOverrides: readonly GuardDutyMemberOverride[];
}

/** The plans of an account whose effective switches are `switches`: `base` narrowed by them. */
function planStatuses(base: readonly GuardDutyFeature[], switches: GuardDutySwitches): GuardDutyFeatureStatus[] {
  const on = (b: boolean): 'ENABLED' | 'DISABLED' => b ? 'ENABLED' : 'DISABLED';
  return base.map(f => {
    const key = PLAN_SWITCHES[f.name];
    const value = key ? switches[key] : undefined;
    const enabled = value === undefined ? true : key === 'runtimeMonitoring' ? value !== 'off' : value === true;
    // Self-managed Runtime Monitoring: the plan on, GuardDuty managing no agent.
    const agents = enabled && (key !== 'runtimeMonitoring' || value === undefined || value === 'agent-managed');
    return {
      Name: f.name,
      Status: on(enabled),
      ...(f.additionalConfiguration ? { AdditionalConfiguration: f.additionalConfiguration.map(c => ({ Name: c, Status: on(agents) })) } : {}),
    };
  });
}

/**
 * The GuardDuty configuration that gives every declared account the plans
 * its `governance.costSwitches` settings call for.
 *
 * Auto-enable is organization-wide, so it follows the Root settings: a plan
 * off at Root is not auto-enabled (NONE); a plan on at Root is auto-enabled
 * for ALL accounts, or only for NEW ones when some OU turns it off (ALL would
 * turn it back on in those accounts). Auto-enable never turns a plan off in
 * existing members, and NEW and NONE set nothing in them, so every member
 * whose plans ALL does not guarantee is set explicitly (UpdateMemberDetectors).
 * Accounts that join later get the Root settings until the next deployment.
 */
export function guardDutyOrganizationPlan(org: Organization, base: readonly GuardDutyFeature[]): GuardDutyOrganizationPlan {
  const switches = org.governance.costSwitches;
  const administrator = accountWithRole(org, 'security');
  const root = planStatuses(base, effectiveCostSwitches(switches).guardDuty);
  const members = [
    { id: org.managementAccount.id, ou: undefined as string | undefined },
    ...org.accounts.filter(a => a.id !== administrator.id).map(a => ({ id: a.id, ou: a.ou as string | undefined })),
  ].map(m => ({ id: m.id, plans: planStatuses(base, effectiveCostSwitches(switches, m.ou).guardDuty) }));

  const disabledSomewhere = (feature: number, additional?: number) => members.some(m => {
    const f = m.plans[feature];
    return additional === undefined ? f.Status === 'DISABLED' : f.AdditionalConfiguration?.[additional]?.Status === 'DISABLED';
  });
  const autoEnable = (enabledAtRoot: boolean, feature: number, additional?: number): 'ALL' | 'NEW' | 'NONE' =>
    !enabledAtRoot ? 'NONE' : disabledSomewhere(feature, additional) ? 'NEW' : 'ALL';
  const features: GuardDutyOrganizationFeature[] = root.map((f, i) => ({
    Name: f.Name,
    AutoEnable: autoEnable(f.Status === 'ENABLED', i),
    ...(f.AdditionalConfiguration
      ? { AdditionalConfiguration: f.AdditionalConfiguration.map((c, j) => ({ Name: c.Name, AutoEnable: autoEnable(c.Status === 'ENABLED', i, j) })) }
      : {}),
  }));

  // A member needs its plans set unless ALL auto-enables every one of them.
  const guaranteed = (plans: readonly GuardDutyFeatureStatus[]) => plans.every((f, i) =>
    f.Status === 'ENABLED' && features[i].AutoEnable === 'ALL'
    && (f.AdditionalConfiguration ?? []).every((c, j) => c.Status === 'ENABLED' && features[i].AdditionalConfiguration?.[j]?.AutoEnable === 'ALL'));
  const groups = new Map<string, { plans: GuardDutyFeatureStatus[]; ids: string[] }>();
  for (const m of members) {
    if (guaranteed(m.plans)) continue;
    const key = JSON.stringify(m.plans);
    const group = groups.get(key) ?? { plans: m.plans, ids: [] };
    group.ids.push(m.id);
    groups.set(key, group);
  }
  const memberOverrides = [...groups.entries()]
    .sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
    .map(([, g]) => ({ AccountIds: [...g.ids].sort(), Features: g.plans }));

  return {
    features,
    administratorFeatures: planStatuses(base, effectiveCostSwitches(switches, administrator.ou).guardDuty),
    memberOverrides,
  };
}

/** Properties of a {@link SecurityServicesStack}. */
export interface SecurityServicesStackProps extends cdk.StackProps {
  /** The resolved organization; the stack deploys to its `security` account. */
  readonly organization: Organization;
  /** Bundle of governance/handlers/guardduty-organization.ts. */
  readonly guardDutyOrganizationBundle: FunctionBundle;
  /**
   * Security Hub standards the root's central configuration policy enables,
   * unless the declaration sets them (`governance.costSwitches.Root.securityHub`).
   * @default DEFAULT_SECURITY_HUB_STANDARDS
   */
  readonly standards?: readonly SecurityHubStandard[];
  /**
   * GuardDuty protection plans auto-enabled for every account, which
   * `governance.costSwitches` narrow or turn off per OU (they never add one).
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
 *   gets it; OUs that choose other standards (`governance.costSwitches`) get
 *   a policy per distinct standards list, associated with them.
 * - GuardDuty auto-enabled for ALL member accounts (existing and new) with
 *   the protection plans above, in every allowed region, narrowed per OU by
 *   `governance.costSwitches` (see {@link guardDutyOrganizationPlan}).
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
    const standards = effectiveCostSwitches(org.governance.costSwitches).securityHubStandards
      ?? props.standards ?? DEFAULT_SECURITY_HUB_STANDARDS;
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

    const plan = guardDutyOrganizationPlan(org, props.guardDutyFeatures ?? DEFAULT_GUARDDUTY_FEATURES);
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
          Features: plan.features,
          AdministratorFeatures: plan.administratorFeatures,
          // Left out when empty, so an organization without cost switches keeps today's properties.
          ...(plan.memberOverrides.length > 0 ? { MemberOverrides: plan.memberOverrides } : {}),
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

    const policy = this.newConfigurationPolicy('ConfigurationPolicy', `${org.name}-baseline`,
      `Security Hub with ${standards.join(', ')} and every control, in every account and region of ${org.name}`, standards, organizationConfiguration);
    new securityhub.CfnPolicyAssociation(this, 'RootAssociation', {
      configurationPolicyId: policy.attrId,
      targetType: 'ROOT',
      targetId: org.rootId,
    });
    this.ouConfigurationPolicies(org, standards, policy, organizationConfiguration);
    return policy;
  }

  /** A configuration policy: Security Hub on, `standards`, every control; created once central configuration is on. */
  private newConfigurationPolicy(id: string, name: string, description: string, standards: readonly string[],
    organizationConfiguration: securityhub.CfnOrganizationConfiguration): securityhub.CfnConfigurationPolicy {
    const policy = new securityhub.CfnConfigurationPolicy(this, id, {
      name,
      description,
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
    return policy;
  }

  /**
   * One more configuration policy per distinct standards list that OUs
   * choose in `governance.costSwitches` (an OU choosing the root's list
   * shares the root's policy), associated with each such OU; Security Hub
   * applies an OU's association to the accounts and OUs below it that have
   * none of their own, which is the declaration's inheritance.
   */
  private ouConfigurationPolicies(org: Organization, rootStandards: readonly string[], rootPolicy: securityhub.CfnConfigurationPolicy,
    organizationConfiguration: securityhub.CfnOrganizationConfiguration): void {
    const key = (standards: readonly string[]) => [...new Set(standards)].sort().join(',');
    const policies = new Map<string, securityhub.CfnConfigurationPolicy>([[key(rootStandards), rootPolicy]]);
    const ous = Object.entries<CostSwitches>(org.governance.costSwitches)
      .filter(([target, switches]) => target !== ROOT_TARGET && switches.securityHub)
      .sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
    for (const [ou, switches] of ous) {
      // Catalog order, whatever the declaration's: the same list is the same policy.
      const standards = SECURITY_HUB_STANDARDS.filter(s => switches.securityHub!.standards.includes(s));
      let policy = policies.get(key(standards));
      if (!policy) {
        const digest = createHash('sha256').update(key(standards)).digest('hex').slice(0, 8);
        // The id (and name) derive from the standards list: changing an OU's list moves it to another policy, and a
        // policy no OU uses any more is deleted; the accounts then follow their new policy (nothing is lost).
        policy = this.newConfigurationPolicy(`ConfigurationPolicy-${digest}`, `${org.name}-standards-${digest}`, standards.length > 0
          ? `Security Hub with ${standards.join(', ')} and every control, for the OUs of ${org.name} that choose these standards`
          : `Security Hub with no standard, for the OUs of ${org.name} that choose none`, standards, organizationConfiguration);
        policies.set(key(standards), policy);
      }
      const unit = org.organizationalUnits.find(u => u.path === ou);
      if (!unit) throw new Error(`governance.costSwitches names OU "${ou}", which the organization does not have`);
      // The id derives from the OU path (OU names never contain "."): renaming or moving the OU replaces the
      // association, and its accounts follow their parent's policy for the moment between the two.
      new securityhub.CfnPolicyAssociation(this, `Association-${ou.split('/').join('.')}`, {
        configurationPolicyId: policy.attrId,
        targetType: 'ORGANIZATIONAL_UNIT',
        targetId: unit.id,
      });
    }
    const quota = org.governance.quotas.securityHubConfigurationPolicies;
    if (policies.size > quota) {
      throw new ConfigError([`${DECLARATION_FILE}: ${formatPath(['governance', 'costSwitches'])} needs ${policies.size} Security Hub `
        + `configuration policies (the root's and ${policies.size - 1} distinct standards lists of OUs); Security Hub allows ${quota} `
        + 'per organization (governance.quotas.securityHubConfigurationPolicies); give OUs the same standards lists so they share a policy, '
        + 'or raise the quota there once Service Quotas shows a higher value']);
    }
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
      actions: ['guardduty:UpdateOrganizationConfiguration', 'guardduty:UpdateDetector', 'guardduty:GetDetector', 'guardduty:UpdateMemberDetectors'],
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
