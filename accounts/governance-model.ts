import { z } from 'zod';

/**
 * The service control policy guardrails the governance stacks can attach,
 * by name (each is a pure function in governance/guardrails.ts).
 */
export const SERVICE_CONTROL_GUARDRAILS = [
  /** Member accounts cannot leave the organization and its guardrails. */
  'deny-leaving-organization',
  /** No action by an account's root user (the management account is never affected). */
  'deny-root-user',
  /** No regional action outside `allowedRegions` (global services exempt). */
  'deny-regions-outside-allow-list',
  /** CloudTrail, Config, GuardDuty, Security Hub and Access Analyzer cannot be stopped or deleted. */
  'protect-security-services',
  /** The platform, pipeline and CDK bootstrap roles change only through the pipeline, StackSets or break-glass. */
  'protect-platform-roles',
  /** No IAM users, login profiles or access keys: people use federated roles, machines use roles. */
  'deny-iam-users',
  /** Changes only by the pipeline's deployment roles, the workloads' own roles or break-glass. */
  'deny-changes-outside-pipeline',
  /** Everything denied but what Control Tower and break-glass need (accounts awaiting closure). */
  'deny-all',
] as const;
/** A service control policy guardrail. */
export type ServiceControlGuardrail = (typeof SERVICE_CONTROL_GUARDRAILS)[number];

/** The resource control policy guardrails (governance/resource-guardrails.ts). */
export const RESOURCE_CONTROL_GUARDRAILS = [
  /** S3, KMS, Secrets Manager and SQS reachable only by principals of the organization (and AWS services acting for it). */
  'deny-access-from-outside-organization',
  /** The same services refuse requests not sent over TLS. */
  'deny-insecure-transport',
] as const;
/** A resource control policy guardrail. */
export type ResourceControlGuardrail = (typeof RESOURCE_CONTROL_GUARDRAILS)[number];

/** How a Control Tower control acts: an SCP (preventive) or an AWS Config rule (detective). */
export type ControlBehavior = 'preventive' | 'detective';

/**
 * The Control Tower controls the model may enable, with their behaviour
 * (preventive controls become Control Tower-managed SCPs and take policy
 * slots). Regional identifiers `arn:aws:controltower:<region>::control/<id>`.
 * Proactive controls are not listed: the same Control Tower guard rules run
 * at every synth (pipeline/policy-validation.ts), before CloudFormation.
 */
export const CONTROL_CATALOG = {
  'AWS-GR_RESTRICT_ROOT_USER': { behavior: 'preventive', summary: 'Disallow actions as a root user' },
  'AWS-GR_RESTRICT_ROOT_USER_ACCESS_KEYS': { behavior: 'preventive', summary: 'Disallow creation of access keys for the root user' },
  'AWS-GR_RESTRICT_S3_CROSS_REGION_REPLICATION': { behavior: 'preventive', summary: 'Disallow cross-region replication of S3 buckets' },
  'AWS-GR_RESTRICT_S3_DELETE_WITHOUT_MFA': { behavior: 'preventive', summary: 'Disallow deleting S3 buckets without MFA' },
  'AWS-GR_ENCRYPTED_VOLUMES': { behavior: 'detective', summary: 'Detect unencrypted EBS volumes' },
  'AWS-GR_RDS_INSTANCE_PUBLIC_ACCESS_CHECK': { behavior: 'detective', summary: 'Detect public RDS instances' },
  'AWS-GR_RDS_SNAPSHOTS_PUBLIC_PROHIBITED': { behavior: 'detective', summary: 'Detect public RDS snapshots' },
  'AWS-GR_RDS_STORAGE_ENCRYPTED': { behavior: 'detective', summary: 'Detect unencrypted RDS storage' },
  'AWS-GR_RESTRICTED_COMMON_PORTS': { behavior: 'detective', summary: 'Detect security groups open to the internet on common ports' },
  'AWS-GR_RESTRICTED_SSH': { behavior: 'detective', summary: 'Detect SSH open to the internet' },
  'AWS-GR_ROOT_ACCOUNT_MFA_ENABLED': { behavior: 'detective', summary: 'Detect root users without MFA' },
  'AWS-GR_MFA_ENABLED_FOR_IAM_CONSOLE_ACCESS': { behavior: 'detective', summary: 'Detect console users without MFA' },
  'AWS-GR_IAM_USER_MFA_ENABLED': { behavior: 'detective', summary: 'Detect IAM users without MFA' },
  'AWS-GR_S3_BUCKET_PUBLIC_READ_PROHIBITED': { behavior: 'detective', summary: 'Detect publicly readable S3 buckets' },
  'AWS-GR_S3_BUCKET_PUBLIC_WRITE_PROHIBITED': { behavior: 'detective', summary: 'Detect publicly writable S3 buckets' },
  'AWS-GR_S3_VERSIONING_ENABLED': { behavior: 'detective', summary: 'Detect S3 buckets without versioning' },
  'AWS-GR_EBS_OPTIMIZED_INSTANCE': { behavior: 'detective', summary: 'Detect EC2 instances that are not EBS-optimized' },
} as const satisfies Record<string, { behavior: ControlBehavior; summary: string }>;
/** A Control Tower control of {@link CONTROL_CATALOG}. */
export type ControlId = keyof typeof CONTROL_CATALOG;
const CONTROL_IDS = Object.keys(CONTROL_CATALOG) as [ControlId, ...ControlId[]];

/** The policy target that is the organization's root (every member account). */
export const ROOT_TARGET = 'Root';

/**
 * AWS Organizations quotas the composed policies are checked against at
 * synth. Configurable because AWS has raised them before (SCPs: 5,120 to
 * 10,240 characters and 5 to 10 per target); raise them here only after
 * Service Quotas shows the new value for the organization.
 */
const PolicyQuotasSchema = z.strictObject({
  /** Characters in one SCP, measured on minified JSON (AWS strips whitespace outside strings). */
  serviceControlPolicyMaxChars: z.number().int().positive().default(10_240),
  /** SCPs directly attached to one root, OU or account, including FullAWSAccess and Control Tower's. */
  serviceControlPoliciesPerTarget: z.number().int().positive().default(10),
  /** Characters in one RCP. */
  resourceControlPolicyMaxChars: z.number().int().positive().default(5_120),
  /** RCPs directly attached to one target, including RCPFullAWSAccess. */
  resourceControlPoliciesPerTarget: z.number().int().positive().default(5),
  /** Characters in one tag policy. */
  tagPolicyMaxChars: z.number().int().positive().default(10_000),
  /** Tag policies directly attached to one target. */
  tagPoliciesPerTarget: z.number().int().positive().default(10),
  /**
   * SCPs Control Tower attaches to each OU it governs (its mandatory
   * preventive controls), counted against serviceControlPoliciesPerTarget;
   * an OU with elective preventive controls takes one more.
   */
  controlTowerPoliciesPerOu: z.number().int().min(0).default(1),
  /**
   * Security Hub configuration policies per organization (central
   * configuration): the root's policy plus one per distinct standards list
   * in costSwitches.
   */
  securityHubConfigurationPolicies: z.number().int().positive().default(20),
});

/**
 * The Security Hub standards a configuration policy may enable, by the path
 * of their ARN after `standards/` (`arn:<partition>:securityhub:<region>::standards/<path>`).
 * CIS 1.2.0 is left out: its ARN is a `ruleset`, not a standard; PCI DSS
 * 3.2.1 was retired by Security Hub in favour of 4.0.1.
 */
export const SECURITY_HUB_STANDARDS = [
  'aws-foundational-security-best-practices/v/1.0.0',
  'pci-dss/v/4.0.1',
  'cis-aws-foundations-benchmark/v/1.4.0',
  'cis-aws-foundations-benchmark/v/3.0.0',
  'cis-aws-foundations-benchmark/v/5.0.0',
  'nist-800-53/v/5.0.0',
  'aws-resource-tagging-standard/v/1.0.0',
] as const;
/** A Security Hub standard of {@link SECURITY_HUB_STANDARDS}. */
export type SecurityHubStandardPath = (typeof SECURITY_HUB_STANDARDS)[number];

/**
 * How GuardDuty Runtime Monitoring runs: on with GuardDuty managing its
 * security agent on EKS, ECS Fargate and EC2 (`agent-managed`, the default);
 * on, with the account's teams installing the agent themselves
 * (`self-managed`: no agent, no charge, where nobody installs it); or `off`.
 */
export const RUNTIME_MONITORING_MODES = ['agent-managed', 'self-managed', 'off'] as const;
/** A Runtime Monitoring mode. */
export type RuntimeMonitoringMode = (typeof RUNTIME_MONITORING_MODES)[number];

/** GuardDuty protection plans an OU may turn off (false) or back on (true); unset keys inherit. */
const GuardDutySwitchesSchema = z.strictObject({
  /** Runtime Monitoring: billed per vCPU-hour of the monitored EKS, ECS and EC2 workloads. */
  runtimeMonitoring: z.enum(RUNTIME_MONITORING_MODES).optional(),
  /** S3 Protection: billed per million S3 data events analysed. */
  s3DataEvents: z.boolean().optional(),
  /** EKS Protection (audit logs): billed per million EKS audit log events. */
  eksAuditLogs: z.boolean().optional(),
  /** Malware Protection for EC2: billed per GB of EBS volume data scanned. */
  ebsMalwareProtection: z.boolean().optional(),
  /** RDS Protection: billed per vCPU (ACU) of the monitored Aurora and RDS databases. */
  rdsLoginEvents: z.boolean().optional(),
  /** Lambda Protection: billed per GB of Lambda network activity analysed. */
  lambdaNetworkLogs: z.boolean().optional(),
});
/** The GuardDuty switches of one target, as declared (every key optional). */
export type GuardDutySwitches = z.output<typeof GuardDutySwitchesSchema>;

/** The baselines with a notable per-account cost that one target (Root or an OU) narrows or turns off. */
const CostSwitchesSchema = z.strictObject({
  /** GuardDuty protection plans. @default - the platform's plans (all on, agents managed) */
  guardDuty: GuardDutySwitchesSchema.optional(),
  /**
   * The Security Hub standards the target's accounts run ([] = Security Hub
   * on, no standard checks). Needs Security Hub central configuration, so at
   * least two allowedRegions. @default - the platform's standards (FSBP, PCI DSS)
   */
  securityHub: z.strictObject({ standards: z.array(z.enum(SECURITY_HUB_STANDARDS)) }).optional(),
});
/** The cost switches of one target. */
export type CostSwitches = z.output<typeof CostSwitchesSchema>;

const IamNameSchema = z.string().regex(/^[\w+=,.@-]{1,64}$/, {
  error: 'is not an IAM user or role name; allowed: 1-64 letters, digits or +=,.@_-',
});

const PercentSchema = z.number().positive().max(1000);

/** Schema of the `governance` section of `accounts/organization.ts`. */
export const GovernanceDeclarationSchema = z.strictObject({
  /**
   * Guardrails (SCPs) per target: `Root` or an OU path. A target inherits
   * its parents' guardrails, so list each guardrail where it first applies.
   */
  serviceControlPolicies: z.record(z.string(), z.array(z.enum(SERVICE_CONTROL_GUARDRAILS)).min(1)),
  /** Data-perimeter guardrails (RCPs) per target: `Root` or an OU path. */
  resourceControlPolicies: z.record(z.string(), z.array(z.enum(RESOURCE_CONTROL_GUARDRAILS)).min(1)).default({}),
  /**
   * IAM users of the management account allowed to assume the break-glass
   * role in every member account (with MFA). Kept to a few named people.
   */
  breakGlassUsers: z.array(IamNameSchema).min(1),
  /** Roles of the security account allowed to assume the read-only audit role in every member account. */
  auditRoles: z.array(IamNameSchema).min(1),
  /** Tags of the platform's own stacks (governance, pipelines); services tag theirs from their manifests. */
  platformTags: z.strictObject({
    owner: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, { error: 'is not a valid owner tag; allowed: 1-40 lowercase letters, digits or hyphens' }),
    costCenter: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, { error: 'is not a valid cost-center tag; allowed: 1-40 lowercase letters, digits or hyphens' }),
  }),
  controlTower: z.strictObject({
    /** Landing zone version (CreateLandingZone / UpdateLandingZone). */
    landingZoneVersion: z.string().regex(/^\d+\.\d+$/, { error: 'is not a landing zone version such as "3.3"' }).default('3.3'),
    /** Top-level OU Control Tower uses for the log-archive and security accounts. */
    securityOu: z.string().default('Security'),
    /** Top-level OU Control Tower sets up as its sandbox. @default - none */
    sandboxOu: z.string().optional(),
    /** Days the log-archive bucket keeps CloudTrail and Config logs. */
    logRetentionDays: z.number().int().min(1).max(36_500).default(365),
    /** Days the access-log bucket keeps its logs. */
    accessLogRetentionDays: z.number().int().min(1).max(36_500).default(3_650),
    /** Whether Control Tower manages IAM Identity Center (its baseline then parameterizes every OU's). */
    identityCenter: z.boolean().default(true),
    /** OUs left out of Control Tower (no baseline, no controls), e.g. `Suspended`. */
    unregisteredOus: z.array(z.string()).default([]),
    /** Controls enabled per OU path (children of an OU do not inherit controls). */
    controls: z.record(z.string(), z.array(z.enum(CONTROL_IDS)).min(1)).default({}),
  }),
  budgets: z.strictObject({
    /** Monthly cost budget of every account (USD) unless listed in `accounts`. */
    defaultMonthlyUsd: z.number().positive(),
    /** Monthly budget per account name (USD), including the management account's name. */
    accounts: z.record(z.string(), z.number().positive()).default({}),
    /** Alerts when actual spend passes these percentages of the budget. */
    actualThresholdsPercent: z.array(PercentSchema).min(1).default([80, 100]),
    /** Alert when forecast spend passes this percentage. */
    forecastThresholdPercent: PercentSchema.default(100),
    /** Who is told (SNS email subscriptions). */
    notificationEmails: z.array(z.email({ error: 'is not a valid email address' })).min(1),
  }),
  costAnomaly: z.strictObject({
    /** Alert on an anomaly whose total impact reaches this many USD... */
    thresholdUsd: z.number().positive().default(100),
    /** ... and this percentage above the expected spend. */
    thresholdPercent: PercentSchema.default(20),
    /**
     * The payer's existing AWS services monitor, if it has one (AWS creates
     * one in new accounts and allows one per account): alerts subscribe to it
     * instead of a new monitor, whose creation would fail.
     * @default - the cost baseline creates the monitor
     */
    existingServiceMonitorArn: z.string().regex(/^arn:aws[a-z-]*:ce::\d{12}:anomalymonitor\/[0-9a-f-]{36}$/, {
      error: 'is not a Cost Anomaly Detection monitor ARN; allowed: arn:aws:ce::<account>:anomalymonitor/<uuid>',
    }).optional(),
  }).prefault({}),
  quotas: PolicyQuotasSchema.prefault({}),
  /**
   * Baselines with a notable per-account cost (GuardDuty protection plans,
   * Security Hub standards), narrowed or turned off per target: `Root` or an
   * OU path. An account gets, for each key, the setting of its closest OU
   * (or Root) that sets it; unset everywhere means the platform's default.
   */
  costSwitches: z.record(z.string(), CostSwitchesSchema).default({}),
});

/** The governance section as written (defaults not yet applied). */
export type GovernanceDeclarationInput = z.input<typeof GovernanceDeclarationSchema>;
/** The validated governance section. */
export type GovernanceDeclaration = z.output<typeof GovernanceDeclarationSchema>;
/** The policy quotas in effect. */
export type PolicyQuotas = z.output<typeof PolicyQuotasSchema>;

/** What the governance references must resolve to (from the rest of the declaration). */
export interface GovernanceReferences {
  /** Every declared OU path. */
  readonly ouPaths: ReadonlySet<string>;
  /** Top-level OU names. */
  readonly topLevelOus: ReadonlySet<string>;
  /** Every declared account name, including the management account's. */
  readonly accountNames: ReadonlySet<string>;
  /** Accounts (name, OU path) that pipelines deploy to. */
  readonly environmentAccounts: ReadonlyArray<{ readonly name: string; readonly ou: string }>;
  /** The tooling account's OU path. */
  readonly toolingOu?: string;
  /** OU paths of the log-archive and security accounts. */
  readonly securityAccountOus: readonly string[];
  /** The organization's allowed regions (Security Hub central configuration needs two or more). */
  readonly allowedRegions: readonly string[];
}

/** Cross-checks the governance section against the rest of the declaration (zod superRefine step). */
export function checkGovernance(
  gov: GovernanceDeclaration,
  refs: GovernanceReferences,
  issue: (path: readonly PropertyKey[], message: string, showValue?: boolean) => void,
): void {
  const targets = [ROOT_TARGET, ...refs.ouPaths].join(', ');
  const ous = [...refs.ouPaths].join(', ');
  for (const field of ['serviceControlPolicies', 'resourceControlPolicies'] as const) {
    for (const [target, guardrails] of Object.entries<readonly string[]>(gov[field])) {
      if (target !== ROOT_TARGET && !refs.ouPaths.has(target)) {
        issue(['governance', field, target], `is not a policy target; allowed: ${targets}`, false);
      }
      guardrails.forEach((g, i) => {
        if (guardrails.indexOf(g) !== i) issue(['governance', field, target, i], 'is listed twice for this target');
      });
    }
  }
  // Guardrails that would lock the platform out of its own accounts.
  const scps = gov.serviceControlPolicies;
  const inherited = (ou: string | undefined, guardrail: ServiceControlGuardrail): string | undefined => {
    if (scps[ROOT_TARGET]?.includes(guardrail)) return ROOT_TARGET;
    const parts = ou?.split('/') ?? [];
    for (let i = 1; i <= parts.length; i++) {
      const path = parts.slice(0, i).join('/');
      if (scps[path]?.includes(guardrail)) return path;
    }
    return undefined;
  };
  const lockout = [
    ['deny-all', 'denies everything', [...refs.environmentAccounts.map(a => a.ou), ...(refs.toolingOu ? [refs.toolingOu] : []), ...refs.securityAccountOus]],
    ['deny-changes-outside-pipeline', 'denies changes outside the pipeline', [...(refs.toolingOu ? [refs.toolingOu] : []), ...refs.securityAccountOus]],
  ] as const;
  for (const [guardrail, effect, protectedOus] of lockout) {
    for (const ou of new Set(protectedOus)) {
      const at = inherited(ou, guardrail);
      if (at) {
        issue(['governance', 'serviceControlPolicies', at], `attaches "${guardrail}", which ${effect}, above OU "${ou}" `
          + 'that holds the tooling, security, log-archive or an environment\'s account; attach it to an OU without them', false);
      }
    }
  }

  const ct = gov.controlTower;
  for (const [field, ou] of [['securityOu', ct.securityOu], ['sandboxOu', ct.sandboxOu]] as const) {
    if (ou !== undefined && !refs.topLevelOus.has(ou)) {
      issue(['governance', 'controlTower', field], `is not a top-level OU; allowed: ${[...refs.topLevelOus].join(', ')}`);
    }
  }
  for (const ou of refs.securityAccountOus) {
    if (ou !== ct.securityOu) {
      issue(['governance', 'controlTower', 'securityOu'], `is not the OU of the log-archive and security accounts ("${ou}"); Control Tower keeps both in its security OU`);
    }
  }
  ct.unregisteredOus.forEach((ou, i) => {
    if (!refs.ouPaths.has(ou)) {issue(['governance', 'controlTower', 'unregisteredOus', i], `is not a declared OU; allowed: ${ous}`);} else if (ou === ct.securityOu || ou === ct.sandboxOu) {
      issue(['governance', 'controlTower', 'unregisteredOus', i], 'is set up by the landing zone itself and cannot be left out');
    }
  });
  const unregistered = new Set(ct.unregisteredOus);
  for (const ou of refs.ouPaths) {
    const parent = ou.includes('/') ? ou.slice(0, ou.lastIndexOf('/')) : undefined;
    if (parent && unregistered.has(parent) && !unregistered.has(ou)) {
      issue(['governance', 'controlTower', 'unregisteredOus'], `leaves out "${parent}" but not its child "${ou}"; `
        + 'Control Tower registers an OU only under a registered parent', false);
    }
  }
  for (const [ou, controls] of Object.entries(ct.controls)) {
    if (!refs.ouPaths.has(ou)) {
      issue(['governance', 'controlTower', 'controls', ou], `is not a declared OU; allowed: ${ous}`, false);
    } else if (unregistered.has(ou)) {
      issue(['governance', 'controlTower', 'controls', ou], 'is listed in unregisteredOus; controls apply only to OUs Control Tower governs', false);
    }
    controls.forEach((c, i) => {
      if (controls.indexOf(c) !== i) issue(['governance', 'controlTower', 'controls', ou, i], 'is listed twice for this OU');
    });
  }

  checkCostSwitches(gov, refs, issue);

  for (const name of Object.keys(gov.budgets.accounts)) {
    if (!refs.accountNames.has(name)) {
      issue(['governance', 'budgets', 'accounts', name], `is not a declared account; allowed: ${[...refs.accountNames].join(', ')}`, false);
    }
  }
  const thresholds = gov.budgets.actualThresholdsPercent;
  thresholds.forEach((t, i) => {
    if (thresholds.indexOf(t) !== i) issue(['governance', 'budgets', 'actualThresholdsPercent', i], 'is listed twice');
  });
}

function checkCostSwitches(
  gov: GovernanceDeclaration,
  refs: GovernanceReferences,
  issue: (path: readonly PropertyKey[], message: string, showValue?: boolean) => void,
): void {
  const targets = [ROOT_TARGET, ...refs.ouPaths].join(', ');
  for (const [target, switches] of Object.entries(gov.costSwitches)) {
    const here = ['governance', 'costSwitches', target];
    if (target !== ROOT_TARGET && !refs.ouPaths.has(target)) {
      issue(here, `is not a policy target; allowed: ${targets}`, false);
    }
    if (!switches.securityHub) continue;
    if (refs.allowedRegions.length < 2) {
      issue([...here, 'securityHub'], 'needs Security Hub central configuration, which needs at least two allowedRegions (this organization allows '
        + `only ${refs.allowedRegions.join(', ')}, so every account runs Security Hub's default standards through local configuration); `
        + 'add a region to allowedRegions or remove securityHub', false);
    }
    const standards = switches.securityHub.standards;
    standards.forEach((s, i) => {
      if (standards.indexOf(s) !== i) issue([...here, 'securityHub', 'standards', i], 'is listed twice for this target');
    });
  }
}

/** The settings in effect for one account, each key from the closest target that sets it. */
export interface EffectiveCostSwitches {
  /** Only the GuardDuty keys some target sets; the others stay at the platform's default. */
  readonly guardDuty: GuardDutySwitches;
  /** The Security Hub standards, when some target sets them. @default - the platform's standards */
  readonly securityHubStandards?: readonly SecurityHubStandardPath[];
  /** The target that set the Security Hub standards (`Root` or an OU path). */
  readonly securityHubTarget?: string;
}

/**
 * The cost switches in effect in OU `ou` (an OU path; undefined for an
 * account directly under the root, such as the management account): for
 * each key, the setting of the closest of the OU, its parents and Root
 * that sets it.
 */
export function effectiveCostSwitches(switches: Readonly<Record<string, CostSwitches>>, ou?: string): EffectiveCostSwitches {
  const parts = ou ? ou.split('/') : [];
  const chain = [ROOT_TARGET, ...parts.map((_, i) => parts.slice(0, i + 1).join('/'))];
  let guardDuty: GuardDutySwitches = {};
  let securityHubStandards: readonly SecurityHubStandardPath[] | undefined;
  let securityHubTarget: string | undefined;
  for (const target of chain) {
    const here = switches[target];
    if (!here) continue;
    const set = Object.fromEntries(Object.entries(here.guardDuty ?? {}).filter(([, v]) => v !== undefined));
    guardDuty = { ...guardDuty, ...set };
    if (here.securityHub) {
      securityHubStandards = here.securityHub.standards;
      securityHubTarget = target;
    }
  }
  return { guardDuty, ...(securityHubStandards ? { securityHubStandards, securityHubTarget } : {}) };
}
