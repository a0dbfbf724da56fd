/**
 * Custom resource handler (CDK provider framework, management account):
 * makes an account the GuardDuty delegated administrator of the
 * organization in one region. GuardDuty delegation is per region and
 * CloudFormation has no resource for it.
 *
 * Idempotent: an account that already is the administrator is left alone,
 * so a re-run (or a stack created after a manual delegation) succeeds.
 * Another account already delegated fails with a message saying what to do,
 * rather than silently leaving the wrong account in charge.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import {
  AdminStatus,
  DisableOrganizationAdminAccountCommand,
  EnableOrganizationAdminAccountCommand,
  GuardDutyClient,
  paginateListOrganizationAdminAccounts,
} from '@aws-sdk/client-guardduty';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { z } from 'zod';
import { guardDutyClientPerRegion, GuardDutyDependencies, ProviderResponse } from './guardduty-handler';

/** The resource's properties, as the stack sets them (CloudFormation passes strings). */
export const GuardDutyAdminPropertiesSchema = z.object({
  /** Region whose GuardDuty gets the administrator. */
  // eslint-disable-next-line security/detect-unsafe-regex -- "-" delimits parts that never match it: linear; the input is an AWS region name from the custom resource's properties
  Region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, { error: 'is not a region name' }),
  /** The account to make delegated administrator. */
  AdminAccountId: z.string().regex(/^\d{12}$/, { error: 'is not a 12-digit account id' }),
});
/** Properties of the GuardDuty delegated administrator resource. */
export type GuardDutyAdminProperties = z.infer<typeof GuardDutyAdminPropertiesSchema>;

/** What the handler talks to; tests pass mocked clients. */
export type GuardDutyAdminDependencies = GuardDutyDependencies;

/** The physical id of the delegation in a region (stable across updates of the account). */
export function adminPhysicalId(region: string): string {
  return `guardduty-delegated-admin-${region}`;
}

function parseProperties(raw: unknown, field: string): GuardDutyAdminProperties {
  const parsed = GuardDutyAdminPropertiesSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(i => `${i.path.join('.')} ${i.message}`).join('; ');
    throw new Error(`${field}: ${problems}`);
  }
  return parsed.data;
}

async function enabledAdmins(gd: GuardDutyClient): Promise<string[]> {
  const admins: string[] = [];
  for await (const page of paginateListOrganizationAdminAccounts({ client: gd }, {})) {
    for (const admin of page.AdminAccounts ?? []) {
      if (admin.AdminStatus === AdminStatus.ENABLED && admin.AdminAccountId) admins.push(admin.AdminAccountId);
    }
  }
  return admins;
}

/** Handles one CloudFormation event for the delegation in one region. */
export async function handleGuardDutyAdminEvent(
  event: CloudFormationCustomResourceEvent,
  deps: GuardDutyAdminDependencies,
): Promise<ProviderResponse> {
  const props = parseProperties(event.ResourceProperties, 'ResourceProperties');
  const { Region: region, AdminAccountId: target } = props;
  const gd = deps.client(region);
  const log = deps.logger;
  const admins = await enabledAdmins(gd);

  if (event.RequestType === 'Delete') {
    if (admins.includes(target)) {
      log.info('Removing the GuardDuty delegated administrator', { region, adminAccountId: target });
      await gd.send(new DisableOrganizationAdminAccountCommand({ AdminAccountId: target }));
    } else {
      log.info('Account is not the GuardDuty delegated administrator; nothing to remove', { region, adminAccountId: target, admins });
    }
    return { PhysicalResourceId: event.PhysicalResourceId };
  }

  const physicalResourceId = adminPhysicalId(region);
  const response = { PhysicalResourceId: physicalResourceId, Data: { AdminAccountId: target } };
  if (admins.includes(target)) {
    log.info('Account already is the GuardDuty delegated administrator', { region, adminAccountId: target });
    return response;
  }
  const previous = event.RequestType === 'Update'
    ? parseProperties(event.OldResourceProperties, 'OldResourceProperties')
    : undefined;
  for (const other of admins) {
    // Moving the delegation this resource made (same region) to the new account.
    if (previous && previous.Region === region && previous.AdminAccountId === other) {
      log.info('Moving the GuardDuty delegated administrator', { region, from: other, to: target });
      await gd.send(new DisableOrganizationAdminAccountCommand({ AdminAccountId: other }));
    } else {
      throw new Error(`GuardDuty in ${region} already has delegated administrator ${other}, not ${target} as the organization model `
        + `declares; remove that delegation (guardduty disable-organization-admin-account --admin-account-id ${other} --region ${region}) and deploy again`);
    }
  }
  log.info('Making the account the GuardDuty delegated administrator', { region, adminAccountId: target });
  await gd.send(new EnableOrganizationAdminAccountCommand({ AdminAccountId: target }));
  return response;
}

const logger = new Logger({ serviceName: 'governance-guardduty-admin' });
const clientFor = guardDutyClientPerRegion();

/** Lambda entry point (provider framework onEvent handler). */
export async function handler(event: CloudFormationCustomResourceEvent): Promise<ProviderResponse> {
  logger.info('Event', { requestType: event.RequestType, logicalResourceId: event.LogicalResourceId, properties: event.ResourceProperties });
  return handleGuardDutyAdminEvent(event, { client: clientFor, logger });
}
