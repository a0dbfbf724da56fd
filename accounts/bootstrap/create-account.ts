import {
  CreateAccountCommand,
  CreateAccountState,
  DescribeCreateAccountStatusCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { ORGANIZATION_ACCESS_ROLE_NAME } from '../platform-names';
import { realSleep, RetryOptions, Sleep, withRetry } from './retry';

/** How long and how often to poll an account creation. */
export interface CreateAccountWait {
  /** Give up (the creation goes on at AWS; a later run resumes it) after this long. @default 15 minutes */
  readonly timeoutMs?: number;
  /** First delay between polls; grows by half each poll. @default 5000 */
  readonly initialDelayMs?: number;
  /** Longest delay between polls. @default 30000 */
  readonly maxDelayMs?: number;
  /** @default realSleep */
  readonly sleep?: Sleep;
}

/** How an account creation ended. */
export type CreateAccountOutcome =
  | { readonly state: 'SUCCEEDED'; readonly accountId: string }
  | { readonly state: 'FAILED'; readonly reason: string; readonly message: string }
  | { readonly state: 'TIMED_OUT'; readonly requestId: string; readonly message: string };

/** What to do about each CreateAccount failure reason AWS reports. */
const FAILURE_ADVICE: Readonly<Record<string, string>> = {
  EMAIL_ALREADY_EXISTS: 'an AWS account outside this organization already uses this email: invite that account into the organization, or declare another email',
  ACCOUNT_LIMIT_EXCEEDED: 'the organization has as many accounts as its quota allows: ask AWS Support to raise it (Organizations "Default maximum number of accounts")',
  INVALID_EMAIL: 'AWS refused the email address: declare another one',
  CONCURRENT_ACCOUNT_MODIFICATION: 'another change to the organization was in progress: run apply again',
  INTERNAL_FAILURE: 'AWS failed internally: run apply again',
  GOVCLOUD_ACCOUNT_ALREADY_EXISTS: 'a GovCloud account already exists for this account',
  MISSING_BUSINESS_VALIDATION: 'the management account has not finished business validation with AWS',
  MISSING_PAYMENT_INSTRUMENT: 'the management account has no valid payment method',
  PENDING_BUSINESS_VALIDATION: 'the management account is still being validated by AWS: try again later',
  UNKNOWN_BUSINESS_VALIDATION: 'AWS could not validate the management account: contact AWS Support',
};

/** A human explanation of a CreateAccount failure reason. */
export function explainFailure(reason: string): string {
  return `${reason}: ${FAILURE_ADVICE[reason] ?? 'see DescribeCreateAccountStatus in the AWS documentation'}`;
}

/** Starts creating an account; returns the request id to poll. */
export async function startCreateAccount(
  client: OrganizationsClient,
  account: { readonly name: string; readonly email: string },
  retry: RetryOptions = {},
): Promise<string> {
  const response = await withRetry(() => client.send(new CreateAccountCommand({
    Email: account.email,
    AccountName: account.name,
    // The role the bootstrap tool assumes to CDK-bootstrap the account.
    RoleName: ORGANIZATION_ACCESS_ROLE_NAME,
    IamUserAccessToBilling: 'DENY',
  })), retry);
  return response.CreateAccountStatus!.Id!;
}

/**
 * Polls DescribeCreateAccountStatus until the creation ends, backing off
 * (creations take minutes; polling fast only spends the API's rate limit),
 * and gives up after a bounded wait, leaving the request for a later run.
 */
export async function waitForAccount(
  client: OrganizationsClient,
  requestId: string,
  wait: CreateAccountWait = {},
  retry: RetryOptions = {},
): Promise<CreateAccountOutcome> {
  const sleep = wait.sleep ?? realSleep;
  const timeoutMs = wait.timeoutMs ?? 15 * 60_000;
  let delay = wait.initialDelayMs ?? 5000;
  let waited = 0;
  for (;;) {
    const response = await withRetry(() => client.send(new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: requestId })),
      { sleep, ...retry });
    const status = response.CreateAccountStatus!;
    if (status.State === CreateAccountState.SUCCEEDED) return { state: 'SUCCEEDED', accountId: status.AccountId! };
    if (status.State === CreateAccountState.FAILED) {
      const reason = status.FailureReason ?? 'UNKNOWN';
      return { state: 'FAILED', reason, message: explainFailure(reason) };
    }
    if (waited >= timeoutMs) {
      return {
        state: 'TIMED_OUT',
        requestId,
        message: `still in progress after ${Math.round(waited / 1000)} s (request ${requestId}); AWS goes on creating it: run apply again to resume`,
      };
    }
    const pause = Math.min(delay, timeoutMs - waited, wait.maxDelayMs ?? 30_000);
    await sleep(pause);
    waited += pause;
    delay = Math.ceil(delay * 1.5);
  }
}
