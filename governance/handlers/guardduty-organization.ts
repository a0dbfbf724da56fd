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
 * ones are reported (log and `SkippedFeatures`) instead of failing the deploy.
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
  UpdateDetectorCommand,
  UpdateOrganizationConfigurationCommand,
} from '@aws-sdk/client-guardduty';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { z } from 'zod';
import { guardDutyClientPerRegion, GuardDutyDependencies, ProviderResponse } from './guardduty-handler';

const AutoEnableSchema = z.enum(['ALL', 'NEW', 'NONE']);
const FeatureSchema = z.object({
  Name: z.enum(['S3_DATA_EVENTS', 'EKS_AUDIT_LOGS', 'EBS_MALWARE_PROTECTION', 'RDS_LOGIN_EVENTS', 'EKS_RUNTIME_MONITORING',
    'LAMBDA_NETWORK_LOGS', 'RUNTIME_MONITORING', 'AI_PROTECTION']),
  AutoEnable: AutoEnableSchema,
  AdditionalConfiguration: z.array(z.object({
    Name: z.enum(['EKS_ADDON_MANAGEMENT', 'ECS_FARGATE_AGENT_MANAGEMENT', 'EC2_AGENT_MANAGEMENT', 'RDS_DATA_RISK']),
    AutoEnable: AutoEnableSchema,
  })).optional(),
});

/** The resource's properties, as the stack sets them. */
export const GuardDutyOrganizationPropertiesSchema = z.object({
  // eslint-disable-next-line security/detect-unsafe-regex -- "-" delimits parts that never match it: linear; the input is an AWS region name from the custom resource's properties
  Region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, { error: 'is not a region name' }),
  /** Which member accounts GuardDuty enables: ALL (existing and new), NEW or NONE. */
  AutoEnableOrganizationMembers: AutoEnableSchema,
  /** Protection plans to auto-enable for the members (and enable for the administrator). */
  Features: z.array(FeatureSchema),
});
/** Properties of the GuardDuty organization configuration resource. */
export type GuardDutyOrganizationProperties = z.infer<typeof GuardDutyOrganizationPropertiesSchema>;
type Feature = z.infer<typeof FeatureSchema>;

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
  const enabled = applied.filter(f => f.AutoEnable !== 'NONE');
  if (enabled.length > 0) {
    // The administrator is not a member of itself: give its own detector the same plans.
    await gd.send(new UpdateDetectorCommand({
      DetectorId: detectorId,
      Enable: true,
      Features: enabled.map(f => ({
        Name: f.Name,
        Status: 'ENABLED',
        AdditionalConfiguration: f.AdditionalConfiguration
          ?.map(c => ({ Name: c.Name, Status: c.AutoEnable === 'NONE' ? 'DISABLED' : 'ENABLED' })),
      })),
    }));
  }
  log.info('Configured GuardDuty for the organization', {
    region: props.Region, detectorId, applied: applied.map(f => f.Name), skipped: skipped.map(f => f.Name),
  });
  return {
    PhysicalResourceId: organizationPhysicalId(props.Region),
    Data: { DetectorId: detectorId, SkippedFeatures: skipped.map(f => f.Name).join(',') },
  };
}

const logger = new Logger({ serviceName: 'governance-guardduty-organization' });
const clientFor = guardDutyClientPerRegion();

/** Lambda entry point (provider framework onEvent handler). */
export async function handler(event: CloudFormationCustomResourceEvent): Promise<ProviderResponse> {
  logger.info('Event', { requestType: event.RequestType, logicalResourceId: event.LogicalResourceId, properties: event.ResourceProperties });
  return handleGuardDutyOrganizationEvent(event, { client: clientFor, logger });
}
