import { IAMClient } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { LOCK_FILE } from '../load-organization';
import { Organization } from '../organization-model';
import { AwsCredentials } from './aws-clients';
import { AwsCallError, stopsTheRun } from './aws-errors';
import { BootstrapTarget, cdkBootstrapArgs } from './bootstrap-targets';
import { CdkRunner } from './cdk-runner';
import { executionPolicyArn, executionPolicyDocument } from './execution-policy';
import { ensureExecutionPolicy } from './execution-policy-sync';
import { notManagementAccount } from './management-account';
import { RetryOptions, withRetry } from './retry';

/** How one step of a bootstrap ended. */
export interface BootstrapStepResult {
  readonly accountName: string;
  readonly accountId: string;
  /** Set for `cdk-bootstrap` steps. */
  readonly region?: string;
  readonly step: 'assume-role' | 'execution-policy' | 'cdk-bootstrap';
  readonly status: 'done' | 'failed';
  readonly detail?: string;
}

/** Inputs of {@link runBootstrap}. */
export interface BootstrapOptions {
  readonly organization: Organization;
  /** Accounts and regions to bootstrap (see `bootstrapTargets`). */
  readonly targets: readonly BootstrapTarget[];
  /** STS with management-account credentials. */
  readonly sts: STSClient;
  /** The management account's own credentials (for its own bootstrap and CDK runs). */
  readonly callerCredentials: () => Promise<AwsCredentials>;
  /** An IAM client acting with `credentials`. */
  readonly iamFor: (credentials: AwsCredentials) => IAMClient;
  /** Role assumed in each member account: OrganizationAccountAccessRole or AWSControlTowerExecution. */
  readonly accessRoleName: string;
  /** Endpoint passed to the CDK CLI (an emulator). @default - AWS */
  readonly endpointUrl?: string;
  readonly runner: CdkRunner;
  /** @default 'aws' */
  readonly partition?: string;
  /** The environment the CDK CLI inherits (credentials and profiles are replaced). @default process.env */
  readonly baseEnv?: NodeJS.ProcessEnv;
  readonly retry?: RetryOptions;
  /** Progress callback. */
  readonly onStep?: (result: BootstrapStepResult) => void;
}

/**
 * CDK-bootstraps every target: for each account, assume the access role
 * (the management account uses the caller's own credentials), create or
 * update its execution policy, then `cdk bootstrap` each region with it and
 * the account's trust. A failure in one account is reported and the next goes on.
 */
export async function runBootstrap(options: BootstrapOptions): Promise<BootstrapStepResult[]> {
  const partition = options.partition ?? 'aws';
  const retry = options.retry ?? {};
  const identity = await withRetry(() => options.sts.send(new GetCallerIdentityCommand({})), retry);
  if (identity.Account !== options.organization.managementAccount.id) {
    throw notManagementAccount({ accountId: identity.Account ?? '(unknown)', arn: identity.Arn ?? '(unknown)' },
      options.organization.managementAccount.id, { recordedIn: LOCK_FILE });
  }
  const results: BootstrapStepResult[] = [];
  const record = (result: BootstrapStepResult) => {
    results.push(result);
    options.onStep?.(result);
  };
  // Expired credentials or a lost network fail every later account too: stop,
  // saying how far it got (bootstrapping again is safe: each step is idempotent).
  const stopped = (e: AwsCallError, account: string) => e.withNote(`bootstrap stopped at account ${account} after ${results.length} steps `
    + `(${results.filter(r => r.status === 'done').length} done): fix this, then run bootstrap again (it repeats done steps harmlessly)`);

  for (const target of options.targets) {
    const base = { accountName: target.accountName, accountId: target.accountId };
    let credentials: AwsCredentials;
    try {
      credentials = target.isManagement ? await options.callerCredentials() : await assumeAccessRole(target, options, partition, retry);
    } catch (e) {
      if (stopsTheRun(e)) throw stopped(e, target.accountName);
      record({ ...base, step: 'assume-role', status: 'failed', detail: failureDetail(e) });
      continue;
    }
    const policyArn = executionPolicyArn(target.accountId, partition);
    try {
      const outcome = await ensureExecutionPolicy(options.iamFor(credentials), target.accountId,
        executionPolicyDocument(target.kind, target.accountId, partition), { partition, retry });
      record({ ...base, step: 'execution-policy', status: 'done', detail: `${policyArn} ${outcome} (${target.kind})` });
    } catch (e) {
      if (stopsTheRun(e)) throw stopped(e, target.accountName);
      record({ ...base, step: 'execution-policy', status: 'failed', detail: failureDetail(e) });
      continue;
    }
    for (const region of target.regions) {
      const result = await options.runner(cdkBootstrapArgs(target, region, policyArn),
        cdkEnvironment(options.baseEnv ?? process.env, credentials, region, options.endpointUrl));
      record({
        ...base,
        region,
        step: 'cdk-bootstrap',
        status: result.exitCode === 0 ? 'done' : 'failed',
        detail: result.exitCode === 0
          ? `trusts ${target.trust.join(', ') || 'no other account'}`
          : `cdk bootstrap exited ${result.exitCode}: ${lastLines(result.output, 15)}`,
      });
    }
  }
  return results;
}

async function assumeAccessRole(target: BootstrapTarget, options: BootstrapOptions, partition: string, retry: RetryOptions): Promise<AwsCredentials> {
  const response = await withRetry(() => options.sts.send(new AssumeRoleCommand({
    RoleArn: `arn:${partition}:iam::${target.accountId}:role/${options.accessRoleName}`,
    RoleSessionName: 'platform-bootstrap',
    DurationSeconds: 3600,
  })), retry);
  const c = response.Credentials!;
  return { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken };
}

/**
 * The CDK CLI's environment: only the given credentials (a profile or the
 * caller's keys left in the environment would make it act in the wrong account).
 */
export function cdkEnvironment(base: NodeJS.ProcessEnv, credentials: AwsCredentials, region: string, endpointUrl?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const key of ['AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_SECURITY_TOKEN', 'AWS_ENDPOINT_URL']) delete env[key];
  env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
  env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
  if (credentials.sessionToken) env.AWS_SESSION_TOKEN = credentials.sessionToken;
  env.AWS_REGION = region;
  env.AWS_DEFAULT_REGION = region;
  if (endpointUrl) env.AWS_ENDPOINT_URL = endpointUrl;
  return env;
}

/** A failed step's detail: an {@link AwsCallError}'s line (it names the call and permission), else the error's name and message. */
function failureDetail(e: unknown): string {
  return e instanceof AwsCallError ? e.message : `${(e as Error).name}: ${(e as Error).message}`;
}

function lastLines(text: string, count: number): string {
  return text.trim().split('\n').slice(-count).join('\n');
}
