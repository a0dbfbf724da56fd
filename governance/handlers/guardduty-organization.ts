/**
 * Custom resource handler (CDK provider framework, GuardDuty delegated
 * administrator account): in one region, finds (or creates) the
 * administrator's detector, turns on auto-enable for every member account of
 * the organization with the requested protection plans, and enables the same
 * plans on the administrator's own detector (it is not its own member).
 *
 * No CloudFormation resource does this: `UpdateOrganizationConfiguration`
 * needs the detector id of the administrator in each region.
 *
 * Some protection plans are not offered in every region: when GuardDuty
 * rejects the full set, the plans are applied one at a time and the rejected
 * ones are reported (log and `SkippedFeatures`) instead of failing the deploy;
 * they are left out of the administrator's and the members' plans too.
 *
 * Members whose plans differ from what the organization-wide auto-enable
 * guarantees (`governance.costSwitches`: an OU turning a plan off, or Root
 * turning one off, which auto-enable never does in existing members) are set
 * one group at a time with UpdateMemberDetectors, at most 50 accounts a call.
 * An account GuardDuty cannot process (not a member yet: a new account is
 * enrolled by auto-enable within 24 hours; suspended; closed) is reported
 * (log and `UnprocessedAccounts`) without failing the deploy: failing would
 * roll back the whole governance stage for an account that the next
 * deployment sets anyway, and it would block the fix for every other account.
 *
 * Delete leaves GuardDuty as it is: turning threat detection off for the
 * organization must be a deliberate act, not a side effect of a stack change.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import {
  BadRequestException,
  CreateDetectorCommand,
  FindingPublishingFrequency,
  GuardDutyClient,
  OrganizationFeatureConfiguration,
  paginateListDetectors,
  DetectorFeatureConfiguration,
  MemberFeaturesConfiguration,
  UnprocessedAccount,
  UpdateDetectorCommand,
  UpdateMemberDetectorsCommand,
  UpdateOrganizationConfigurationCommand,
} from '@aws-sdk/client-guardduty';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { z } from 'zod';
import { guardDutyClientPerRegion, GuardDutyDependencies, ProviderResponse } from './guardduty-handler';

/** UpdateMemberDetectors takes at most 50 account ids a call (GuardDuty API reference). */
export const MEMBER_DETECTORS_PER_CALL = 50;

const AutoEnableSchema = z.enum(['ALL', 'NEW', 'NONE']);
const StatusSchema = z.enum(['ENABLED', 'DISABLED']);
const FeatureNameSchema = z.enum(['S3_DATA_EVENTS', 'EKS_AUDIT_LOGS', 'EBS_MALWARE_PROTECTION', 'RDS_LOGIN_EVENTS', 'EKS_RUNTIME_MONITORING',
  'LAMBDA_NETWORK_LOGS', 'RUNTIME_MONITORING', 'AI_PROTECTION']);
const AdditionalNameSchema = z.enum(['EKS_ADDON_MANAGEMENT', 'ECS_FARGATE_AGENT_MANAGEMENT', 'EC2_AGENT_MANAGEMENT', 'RDS_DATA_RISK']);
const FeatureSchema = z.object({
  Name: FeatureNameSchema,
  AutoEnable: AutoEnableSchema,
  AdditionalConfiguration: z.array(z.object({ Name: AdditionalNameSchema, AutoEnable: AutoEnableSchema })).optional(),
});
/** A plan's state in one account (the administrator's detector, or members'). */
const FeatureStatusSchema = z.object({
  Name: FeatureNameSchema,
  Status: StatusSchema,
  AdditionalConfiguration: z.array(z.object({ Name: AdditionalNameSchema, Status: StatusSchema })).optional(),
});

/** The resource's properties, as the stack sets them. */
export const GuardDutyOrganizationPropertiesSchema = z.object({
  // eslint-disable-next-line security/detect-unsafe-regex -- "-" delimits parts that never match it: linear; the input is an AWS region name from the custom resource's properties
  Region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, { error: 'is not a region name' }),
  /** Which member accounts GuardDuty enables: ALL (existing and new), NEW or NONE. */
  AutoEnableOrganizationMembers: AutoEnableSchema,
  /** Protection plans to auto-enable for the members. */
  Features: z.array(FeatureSchema),
  /**
   * The plans of the administrator's own detector. Absent in properties
   * written before cost switches (a rollback sends them): the plans `Features`
   * auto-enables, as then.
   */
  AdministratorFeatures: z.array(FeatureStatusSchema).optional(),
  /** Members set one by one (UpdateMemberDetectors), grouped by identical plans. */
  MemberOverrides: z.array(z.object({
    AccountIds: z.array(z.string().regex(/^\d{12}$/, { error: 'is not a 12-digit account id' })).min(1),
    Features: z.array(FeatureStatusSchema).min(1),
  })).default([]),
});
/** Properties of the GuardDuty organization configuration resource. */
export type GuardDutyOrganizationProperties = z.infer<typeof GuardDutyOrganizationPropertiesSchema>;
type Feature = z.infer<typeof FeatureSchema>;
type FeatureStatus = z.infer<typeof FeatureStatusSchema>;

/** What the handler talks to; tests pass mocked clients. */
export type GuardDutyOrganizationDependencies = GuardDutyDependencies;

/** The physical id of the configuration in a region. */
export function organizationPhysicalId(region: string): string {
  return `guardduty-organization-configuration-${region}`;
}

/** The administrator's detector in the region, created when there is none (designation normally creates it). */
async function findOrCreateDetector(gd: GuardDutyClient, region: string, log: Logger): Promise<string> {
  for await (const page of paginateListDetectors({ client: gd }, {})) {
    const id = page.DetectorIds?.[0];
    if (id) {
      log.info('Found the detector', { region, detectorId: id });
      return id;
    }
  }
  const created = await gd.send(new CreateDetectorCommand({
    Enable: true,
    // Findings reach Security Hub and EventBridge within 15 minutes instead of 6 hours.
    FindingPublishingFrequency: FindingPublishingFrequency.FIFTEEN_MINUTES,
  }));
  if (!created.DetectorId) throw new Error(`GuardDuty in ${region} created a detector but returned no id`);
  log.info('Created a detector', { region, detectorId: created.DetectorId });
  return created.DetectorId;
}

/** Applies the organization configuration; returns the plans GuardDuty accepted and those it rejected. */
async function configureOrganization(gd: GuardDutyClient, detectorId: string, props: GuardDutyOrganizationProperties, log: Logger):
Promise<{ applied: Feature[]; skipped: Feature[] }> {
  const update = (features?: Feature[]) => gd.send(new UpdateOrganizationConfigurationCommand({
    DetectorId: detectorId,
    // GuardDuty takes either this or the legacy AutoEnable, never both.
    AutoEnableOrganizationMembers: props.AutoEnableOrganizationMembers,
    Features: features as OrganizationFeatureConfiguration[] | undefined,
  }));
  try {
    await update(props.Features);
    return { applied: props.Features, skipped: [] };
  } catch (e) {
    if (!(e instanceof BadRequestException) || props.Features.length === 0) throw e;
    log.warn('GuardDuty rejected the full set of protection plans; applying them one at a time', { region: props.Region, error: e.message });
  }
  // Member enrolment alone: if this is rejected too, the problem is not a plan (e.g. not the administrator).
  await update();
  const applied: Feature[] = [];
  const skipped: Feature[] = [];
  for (const feature of props.Features) {
    try {
      await update([feature]);
      applied.push(feature);
    } catch (e) {
      if (!(e instanceof BadRequestException)) throw e;
      log.warn('Protection plan not available here; skipped', { region: props.Region, feature: feature.Name, error: e.message });
      skipped.push(feature);
    }
  }
  return { applied, skipped };
}

/** Handles one CloudFormation event for the configuration in one region. */
export async function handleGuardDutyOrganizationEvent(
  event: CloudFormationCustomResourceEvent,
  deps: GuardDutyOrganizationDependencies,
): Promise<ProviderResponse> {
  const parsed = GuardDutyOrganizationPropertiesSchema.safeParse(event.ResourceProperties);
  if (!parsed.success) {
    throw new Error(`ResourceProperties: ${parsed.error.issues.map(i => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  }
  const props = parsed.data;
  const log = deps.logger;
  if (event.RequestType === 'Delete') {
    log.info('Leaving GuardDuty enabled for the organization (turn it off deliberately, not by deleting a stack)', { region: props.Region });
    return { PhysicalResourceId: event.PhysicalResourceId };
  }

  const gd = deps.client(props.Region);
  const detectorId = await findOrCreateDetector(gd, props.Region, log);
  const { applied, skipped } = await configureOrganization(gd, detectorId, props, log);
  // A plan the region does not offer is sent to no detector either.
  const offered = (features: readonly FeatureStatus[]) => features.filter(f => !skipped.some(s => s.Name === f.Name));

  // The administrator is not a member of itself: its own detector gets its plans explicitly.
  const administrator = offered(props.AdministratorFeatures ?? applied.filter(f => f.AutoEnable !== 'NONE').map(f => ({
    Name: f.Name,
    Status: 'ENABLED' as const,
    AdditionalConfiguration: f.AdditionalConfiguration?.map(c => ({ Name: c.Name, Status: c.AutoEnable === 'NONE' ? 'DISABLED' as const : 'ENABLED' as const })),
  })));
  if (administrator.length > 0) {
    await gd.send(new UpdateDetectorCommand({ DetectorId: detectorId, Enable: true, Features: administrator as DetectorFeatureConfiguration[] }));
  }

  const unprocessed = await overrideMembers(gd, detectorId, props, offered, log);
  log.info('Configured GuardDuty for the organization', {
    region: props.Region,
    detectorId,
    applied: applied.map(f => f.Name),
    skipped: skipped.map(f => f.Name),
    overriddenAccounts: props.MemberOverrides.reduce((n, o) => n + o.AccountIds.length, 0),
    unprocessedAccounts: unprocessed.length,
  });
  return {
    PhysicalResourceId: organizationPhysicalId(props.Region),
    Data: {
      DetectorId: detectorId,
      SkippedFeatures: skipped.map(f => f.Name).join(','),
      UnprocessedAccounts: unprocessed.map(a => `${a.AccountId}: ${a.Result}`).join('; '),
    },
  };
}

/**
 * Sets the plans of the members in `MemberOverrides`, group by group, at
 * most {@link MEMBER_DETECTORS_PER_CALL} accounts a call; returns the
 * accounts GuardDuty could not process (logged, not thrown: see the file's comment).
 */
async function overrideMembers(gd: GuardDutyClient, detectorId: string, props: GuardDutyOrganizationProperties,
  offered: (features: readonly FeatureStatus[]) => FeatureStatus[], log: Logger): Promise<UnprocessedAccount[]> {
  const unprocessed: UnprocessedAccount[] = [];
  for (const group of props.MemberOverrides) {
    const features = offered(group.Features);
    if (features.length === 0) continue;
    for (let i = 0; i < group.AccountIds.length; i += MEMBER_DETECTORS_PER_CALL) {
      const accountIds = group.AccountIds.slice(i, i + MEMBER_DETECTORS_PER_CALL);
      const result = await gd.send(new UpdateMemberDetectorsCommand({
        DetectorId: detectorId,
        AccountIds: accountIds,
        Features: features as MemberFeaturesConfiguration[],
      }));
      for (const account of result.UnprocessedAccounts ?? []) {
        log.warn('GuardDuty could not set this member\'s protection plans; the next deployment tries again', {
          region: props.Region, accountId: account.AccountId, reason: account.Result,
        });
        unprocessed.push(account);
      }
    }
  }
  return unprocessed;
}

const logger = new Logger({ serviceName: 'governance-guardduty-organization' });
const clientFor = guardDutyClientPerRegion();

/** Lambda entry point (provider framework onEvent handler). */
export async function handler(event: CloudFormationCustomResourceEvent): Promise<ProviderResponse> {
  logger.info('Event', { requestType: event.RequestType, logicalResourceId: event.LogicalResourceId, properties: event.ResourceProperties });
  return handleGuardDutyOrganizationEvent(event, { client: clientFor, logger });
}
