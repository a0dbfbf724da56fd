import { DescribeOrganizationCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { AwsCallError } from './aws-errors';
import { errorName, RetryOptions, withRetry } from './retry';

/** Who the credentials in use are. */
export interface CallerIdentity {
  readonly accountId: string;
  readonly arn: string;
}

/** Inputs of {@link checkManagementAccount}. */
export interface ManagementAccountCheck {
  readonly sts: STSClient;
  readonly organizations: OrganizationsClient;
  /** The management account the lock file records. @default - none yet (a first apply) */
  readonly lockedManagementAccountId?: string;
  /** Name of the lock file in messages. */
  readonly lockFile: string;
  readonly retry?: RetryOptions;
}

/**
 * Refuses credentials of any account but the organization's management
 * account, before the first Organizations call that only it may make (which
 * would otherwise fail as a puzzling access denied): a member account, or an
 * account in no organization while the lock file records one. An account in
 * no organization with no lock file is accepted: apply creates the organization.
 */
export async function checkManagementAccount(check: ManagementAccountCheck): Promise<CallerIdentity> {
  const identity = await withRetry(() => check.sts.send(new GetCallerIdentityCommand({})), check.retry);
  const caller: CallerIdentity = { accountId: identity.Account ?? '(unknown)', arn: identity.Arn ?? '(unknown)' };
  let managementAccountId: string | undefined;
  let organizationId: string | undefined;
  try {
    const organization = (await withRetry(() => check.organizations.send(new DescribeOrganizationCommand({})), check.retry)).Organization;
    managementAccountId = organization?.MasterAccountId;
    organizationId = organization?.Id;
  } catch (e) {
    if (errorName(e) !== 'AWSOrganizationsNotInUseException') throw e;
  }
  if (managementAccountId === undefined) {
    const locked = check.lockedManagementAccountId;
    if (locked !== undefined && locked !== caller.accountId) {
      throw new AwsCallError('not-management-account', `the credentials in use are for account ${caller.accountId} (${caller.arn}), `
        + `which is in no organization, but ${check.lockFile} records management account ${locked}: `
        + `use credentials of account ${locked} (pass --profile of the management account)`);
    }
    return caller;
  }
  if (managementAccountId !== caller.accountId) {
    throw notManagementAccount(caller, managementAccountId, { memberOf: organizationId });
  }
  return caller;
}

/**
 * The error for credentials of `caller` where those of `managementAccountId`
 * are needed; `memberOf` names the organization the caller's account is a
 * member of, `recordedIn` the file that names the management account.
 */
export function notManagementAccount(
  caller: CallerIdentity,
  managementAccountId: string,
  context: { readonly memberOf?: string; readonly recordedIn?: string } = {},
): AwsCallError {
  const member = context.memberOf ? `, a member account of organization ${context.memberOf},` : '';
  const source = context.recordedIn ? ` (${context.recordedIn} managementAccountId)` : '';
  return new AwsCallError('not-management-account', `the credentials in use are for account ${caller.accountId} (${caller.arn})${member} `
    + `not the management account ${managementAccountId}${source}: the tool needs credentials of account ${managementAccountId} `
    + '(pass --profile of the management account)');
}
