import * as path from 'node:path';
import * as readline from 'node:readline/promises';
import { IAMClient } from '@aws-sdk/client-iam';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { STSClient } from '@aws-sdk/client-sts';
import { ConfigError, parseWith } from '../config-error';
import { DECLARATION_FILE, LOCK_FILE, loadOrganization } from '../load-organization';
import shippedDeclaration from '../organization';
import { OrganizationDeclarationSchema } from '../organization-model';
import { AwsConnection, iamClient, organizationsClient, stsClient } from './aws-clients';
import { AwsCallError } from './aws-errors';
import { bootstrapTargets } from './bootstrap-targets';
import { runBootstrap } from './cdk-bootstrap';
import { CdkRunner, cliCdkRunner } from './cdk-runner';
import { ACCESS_ROLES, CliOptions, helpText, parseCliArgs } from './cli-args';
import { CreateAccountWait } from './create-account';
import { fileLockStore, LockStore, readLock, writeLock } from './lock-store';
import { checkManagementAccount } from './management-account';
import { readOrganizationState } from './organization-state';
import { applyPlan } from './reconcile-apply';
import { computePlan } from './reconcile-plan';
import { applySummaryText, bootstrapPlanText, bootstrapStepText, planJson, planText, stepText } from './report';
import { RetryOptions } from './retry';
import { explainCredentialsFailure, translateAwsErrors, TranslateOptions } from './translate-aws-errors';

/** Exit status: done, or nothing to do. */
export const EXIT_OK = 0;
/** Exit status: some change failed or was blocked, or AWS refused the credentials, a permission or the connection. */
export const EXIT_INCOMPLETE = 1;
/** Exit status: bad arguments, declaration or lock file. */
export const EXIT_USAGE = 2;

/** What the CLI talks to; every part injectable so tests run it without AWS or a terminal. */
export interface CliDependencies {
  /** The declaration object. @default the export of accounts/organization.ts */
  readonly declaration?: unknown;
  readonly stdout?: (text: string) => void;
  readonly stderr?: (text: string) => void;
  /** Asks a yes/no question; undefined when stdin is not a terminal. @default readline on a TTY */
  readonly confirm?: (question: string) => Promise<boolean>;
  readonly organizations?: (connection: AwsConnection) => OrganizationsClient;
  readonly sts?: (connection: AwsConnection) => STSClient;
  readonly iam?: (connection: AwsConnection) => IAMClient;
  readonly runner?: CdkRunner;
  readonly lockStore?: (file: string) => LockStore;
  readonly wait?: CreateAccountWait;
  readonly retry?: RetryOptions;
  readonly env?: NodeJS.ProcessEnv;
}

const REPO_ROOT = path.resolve(__dirname, '..', '..');

/**
 * Runs the tool with `argv` (the arguments after `--`) and returns its exit
 * status. A {@link ConfigError} is printed as its message, without a stack
 * trace; an {@link AwsCallError} (credentials, access denied, the wrong
 * account, an unreachable endpoint) too, as one line, with exit status 1.
 */
export async function runCli(argv: readonly string[], deps: CliDependencies = {}): Promise<number> {
  const stderr = deps.stderr ?? ((text: string) => process.stderr.write(`${text}\n`));
  try {
    return await run(argv, deps, stderr);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    stderr(e.message);
    return e instanceof AwsCallError ? EXIT_INCOMPLETE : EXIT_USAGE;
  }
}

async function run(argv: readonly string[], deps: CliDependencies, stderr: (text: string) => void): Promise<number> {
  const stdout = deps.stdout ?? ((text: string) => process.stdout.write(`${text}\n`));
  const options = parseCliArgs(argv);
  if (options.help || !options.command) {
    stdout(helpText());
    return EXIT_OK;
  }
  const json = options.output === 'json';
  // Progress goes to stderr, so stdout holds only the result (one JSON document with --output json).
  const progress = (text: string) => { if (!json) stderr(text); };
  const declaration = parseWith(OrganizationDeclarationSchema, deps.declaration ?? shippedDeclaration, DECLARATION_FILE);
  const lockPath = options.lockFile ? path.resolve(options.lockFile) : path.join(REPO_ROOT, LOCK_FILE);
  const lockStore = (deps.lockStore ?? ((file: string) => fileLockStore(file, options.lockFile ?? LOCK_FILE)))(lockPath);
  const connection: AwsConnection = { profile: options.profile, region: options.region ?? declaration.homeRegion, endpointUrl: options.endpointUrl };
  // Every client, injected ones included, words AWS errors as one line; the
  // caller's ARN (known once checked) names who was denied.
  let callerArn: string | undefined;
  const translate: TranslateOptions = { profile: options.profile ?? (deps.env ?? process.env).AWS_PROFILE, callerArn: async () => callerArn };
  const organizations = () => translateAwsErrors((deps.organizations ?? organizationsClient)(connection), translate);
  let stsInstance: STSClient | undefined;
  const sts = () => (stsInstance ??= translateAwsErrors((deps.sts ?? stsClient)(connection), translate));
  const checkCaller = async (client: OrganizationsClient, lockedManagementAccountId: string | undefined) => {
    const caller = await checkManagementAccount({
      sts: sts(), organizations: client, lockedManagementAccountId, lockFile: lockStore.name, retry: deps.retry,
    });
    callerArn = caller.arn;
  };
  // loadOrganization validates the declaration as written: give it the input, not the parsed output (parsing is not idempotent).
  const context = { declaration: deps.declaration ?? shippedDeclaration, lockStore, connection, stdout, stderr, progress, sts, checkCaller };

  switch (options.command) {
    case 'plan': {
      const client = organizations();
      await checkCaller(client, readLock(lockStore)?.managementAccountId);
      const state = await readOrganizationState(client, deps.retry);
      const plan = computePlan(declaration, state, { allowMoves: options.allowMoves, currentLock: readLock(lockStore), lockFile: lockStore.name });
      stdout(json ? JSON.stringify({ command: 'plan', ...planJson(plan) }, undefined, 2) : planText(plan));
      return EXIT_OK;
    }
    case 'lock': {
      const client = organizations();
      await checkCaller(client, readLock(lockStore)?.managementAccountId);
      const state = await readOrganizationState(client, deps.retry);
      const plan = computePlan(declaration, state, { currentLock: readLock(lockStore), lockFile: lockStore.name });
      if (!plan.lock) throw new ConfigError(['the credentials in use belong to no organization: run apply first (or pass --profile of the management account)']);
      const written = writeLock(lockStore, plan.lock);
      const missing = plan.changes.filter(c => c.kind === 'create-ou' || c.kind === 'create-account' || c.kind === 'await-account').length;
      if (json) {
        stdout(JSON.stringify({ command: 'lock', written, lockFile: lockStore.name, lock: plan.lock, missing, notes: plan.notes }, undefined, 2));
      } else {
        stdout(`${written ? 'Wrote' : 'Unchanged:'} ${lockStore.name}${missing > 0 ? ` (${missing} declared OUs or accounts do not exist yet: run apply)` : ''}`);
        for (const note of plan.notes) stdout(`  - ${note}`);
      }
      return EXIT_OK;
    }
    case 'apply': {
      const client = organizations();
      await checkCaller(client, readLock(lockStore)?.managementAccountId);
      const preview = computePlan(declaration, await readOrganizationState(client, deps.retry),
        { allowMoves: options.allowMoves, currentLock: readLock(lockStore), lockFile: lockStore.name });
      progress(planText(preview));
      if (preview.changes.length > 0 && !await confirmed(options, deps, `Make these ${preview.changes.length} changes?`)) {
        stderr('Nothing changed.');
        return EXIT_INCOMPLETE;
      }
      const result = await applyPlan({
        declaration,
        organizations: client,
        lockStore,
        allowMoves: options.allowMoves,
        wait: { timeoutMs: options.createTimeoutMinutes * 60_000, ...deps.wait },
        retry: deps.retry,
        onStep: step => progress(stepText(step)),
      });
      const failed = result.steps.some(s => s.status !== 'done') || result.remaining.blocked.length > 0;
      stdout(json
        ? JSON.stringify({ command: 'apply', steps: result.steps, remaining: planJson(result.remaining) }, undefined, 2)
        : applySummaryText(result.steps, result.remaining, lockStore.name));
      return failed ? EXIT_INCOMPLETE : EXIT_OK;
    }
    case 'bootstrap':
      return bootstrap(options, deps, { ...context, organizations });
  }
}

async function bootstrap(
  options: CliOptions,
  deps: CliDependencies,
  context: {
    /** The declaration as written (input of the schema). */
    readonly declaration: unknown;
    readonly lockStore: LockStore;
    readonly connection: AwsConnection;
    readonly stdout: (text: string) => void;
    readonly stderr: (text: string) => void;
    readonly progress: (text: string) => void;
    readonly organizations: () => OrganizationsClient;
    readonly sts: () => STSClient;
    readonly checkCaller: (client: OrganizationsClient, lockedManagementAccountId: string | undefined) => Promise<void>;
  },
): Promise<number> {
  const { lockStore, connection } = context;
  const lockText = lockStore.read();
  if (lockText === undefined) throw new ConfigError([`${lockStore.name}: does not exist; run apply (or lock) first`]);
  const organization = loadOrganization({ declaration: context.declaration, lockText, lockFile: lockStore.name });
  const declared = [organization.managementAccount.name, ...organization.accounts.map(a => a.name)];
  const unknown = options.accounts.filter(name => !declared.includes(name));
  if (unknown.length > 0) {
    throw new ConfigError(unknown.map(name => `command line: --account "${name}" is not a declared account; allowed: ${declared.join(', ')}`));
  }
  await context.checkCaller(context.organizations(), organization.managementAccount.id);
  const targets = bootstrapTargets(organization).filter(t => options.accounts.length === 0 || options.accounts.includes(t.accountName));
  const accessRoleName = ACCESS_ROLES[options.accessRole];
  context.progress(bootstrapPlanText(targets, accessRoleName));
  if (!await confirmed(options, deps, `Bootstrap ${targets.length} account(s)?`)) {
    context.stderr('Nothing changed.');
    return EXIT_INCOMPLETE;
  }
  const sts = context.sts();
  const results = await runBootstrap({
    organization,
    targets,
    sts,
    // The CDK CLI gets the caller's resolved credentials as static keys in its environment.
    callerCredentials: async () => {
      // Resolved outside any call, so outside the error translation of the client.
      const c = await sts.config.credentials().catch((e: unknown) => {
        throw explainCredentialsFailure(e, options.profile ?? (deps.env ?? process.env).AWS_PROFILE, 'cdk bootstrap of the management account');
      });
      return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken };
    },
    iamFor: credentials => (deps.iam ?? iamClient)({ ...connection, credentials }),
    accessRoleName,
    endpointUrl: connection.endpointUrl,
    runner: deps.runner ?? cliCdkRunner,
    baseEnv: deps.env,
    retry: deps.retry,
    onStep: step => context.progress(bootstrapStepText(step)),
  });
  const failed = results.filter(r => r.status === 'failed').length;
  context.stdout(options.output === 'json'
    ? JSON.stringify({ command: 'bootstrap', targets, results }, undefined, 2)
    : `Bootstrap: ${results.length - failed} steps done, ${failed} failed.`);
  return failed > 0 ? EXIT_INCOMPLETE : EXIT_OK;
}

async function confirmed(options: CliOptions, deps: CliDependencies, question: string): Promise<boolean> {
  if (options.yes) return true;
  const confirm = deps.confirm ?? (process.stdin.isTTY ? askOnTerminal : undefined);
  if (!confirm) {
    throw new ConfigError([`command line: ${options.command} changes AWS and stdin is not a terminal to confirm it: pass --yes`]);
  }
  return confirm(question);
}

async function askOnTerminal(question: string): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then(code => { process.exitCode = code; }, (e: unknown) => {
    // A bug, not a user's mistake: keep the stack trace.
    console.error(e);
    process.exitCode = 3;
  });
}
