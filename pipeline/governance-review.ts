import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CloudFormationClient,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DescribeChangeSetCommand,
  DescribeChangeSetCommandOutput,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { ConfigError, formatValue } from '../accounts';
import { FlagSpec, readOptions } from '../kit';
import {
  codeBuildConsoleUrl,
  DescribeChangeSetJson,
  headline,
  REVIEW_FILES,
  reviewFailed,
  reviewOfChangeSet,
  reviewOfNewStack,
  ReviewedStack,
  StackReview,
  summaryMarkdown,
  TemplateJson,
} from './change-set-summary';
import { CLOUDFORMATION_LIMITS } from './pipeline-limits';

/*
 * The governance review (one approval for every governance stack): for each
 * stack of the governance stage's cloud assembly, a CloudFormation change set
 * of its template against the deployed stack, described and deleted again
 * (nothing executes); a stack that does not exist yet is summarized from its
 * template, so the review never leaves a REVIEW_IN_PROGRESS stack behind.
 * The summary (pipeline/change-set-summary.ts) goes to stdout (the CodeBuild
 * log), to $GITHUB_STEP_SUMMARY when set, and to --out-dir.
 */

/** Exit status: every change set was described. */
export const EXIT_OK = 0;
/** Exit status: a change set could not be created or described (the deployment would fail too). */
export const EXIT_FAILED = 1;
/** Exit status: bad arguments or assembly. */
export const EXIT_USAGE = 2;
/** Exit status: a bug in this script. */
export const EXIT_BUG = 3;

/** CloudFormation's limit of an inline template (TemplateBody); synth refuses a governance stack over it (governanceReviewProblems). */
export const TEMPLATE_BODY_LIMIT = CLOUDFORMATION_LIMITS.inlineTemplateBytes;

const FLAGS: Readonly<Record<string, FlagSpec>> = {
  '--assembly': { value: true, placeholder: '<dir>', help: 'the governance stage\'s cloud assembly (cdk.out/assembly-<pipeline>-Governance); required' },
  '--role': {
    value: true,
    placeholder: '<name>',
    help: 'role assumed in each stack\'s account other than the caller\'s own (default: the CDK deploy role of each stack, from the assembly)',
  },
  '--out-dir': { value: true, placeholder: '<dir>', help: `writes ${Object.values(REVIEW_FILES).join(', ')} there` },
  '--help': { value: false, help: 'show this help' },
};
const WHERE = 'command line';

/** The parsed command line. */
export interface ReviewArgs {
  readonly help: false;
  readonly assemblyDir: string;
  readonly roleName?: string;
  readonly outDir?: string;
}

/** Parses the command line; throws one {@link ConfigError} listing every bad argument. */
export function parseReviewArgs(argv: readonly string[]): ReviewArgs | { readonly help: true } {
  const { values, problems } = readOptions(argv, FLAGS, { '-h': '--help' }, WHERE);
  if (values.has('--help') && problems.length === 0) return { help: true };
  const assemblyDir = values.get('--assembly');
  if (!assemblyDir && !problems.some(p => p.startsWith(`${WHERE}: --assembly `))) {
    problems.push(`${WHERE}: --assembly is required; allowed: --assembly <dir>, the governance stage's cloud assembly`);
  }
  const roleName = values.get('--role');
  if (roleName !== undefined && !/^[\w+=,.@-]{1,64}$/.test(roleName)) {
    problems.push(`${WHERE}: --role ${formatValue(roleName)} is not an IAM role name; allowed: 1 to 64 letters, digits or +=,.@_-`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { help: false, assemblyDir: assemblyDir!, roleName, outDir: values.get('--out-dir') };
}

/** A stack of the governance stage, as the review needs it. */
export interface ReviewTarget extends ReviewedStack {
  /** Absolute path of its template. */
  readonly templateFile: string;
  /** Its CDK deploy role (`${AWS::Partition}` left in). */
  readonly deployRoleArn?: string;
  /** The CloudFormation execution role its deployment passes (`${AWS::Partition}` left in). */
  readonly executionRoleArn?: string;
}

/** The stacks of the stage assembly in `assemblyDir`, in manifest order. Throws a {@link ConfigError} naming the file when it is unusable. */
export function readReviewTargets(assemblyDir: string): ReviewTarget[] {
  const file = path.join(assemblyDir, 'manifest.json');
  let manifest: { artifacts?: Record<string, { type?: string; environment?: string; properties?: Record<string, unknown> }> };
  try {
    manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError([`${file}: cannot be read as JSON (${(e as Error).message}); allowed: the manifest.json of the governance stage's cloud assembly`]);
  }
  const targets: ReviewTarget[] = [];
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type !== 'aws:cloudformation:stack') continue;
    const env = /^aws:\/\/(\d{12})\/([a-z0-9-]+)$/.exec(artifact.environment ?? '');
    const props = artifact.properties ?? {};
    if (!env || typeof props.templateFile !== 'string') {
      throw new ConfigError([`${file}: artifacts.${id} has no account/region environment or template; allowed: stacks with an explicit account and region`]);
    }
    targets.push({
      stackName: typeof props.stackName === 'string' ? props.stackName : id,
      account: env[1],
      region: env[2],
      templateFile: path.join(assemblyDir, props.templateFile),
      deployRoleArn: typeof props.assumeRoleArn === 'string' ? props.assumeRoleArn : undefined,
      executionRoleArn: typeof props.cloudFormationExecutionRoleArn === 'string' ? props.cloudFormationExecutionRoleArn : undefined,
    });
  }
  if (targets.length === 0) throw new ConfigError([`${file}: holds no stack; allowed: the governance stage's cloud assembly`]);
  return targets;
}

/** How {@link reviewStack} talks to CloudFormation and waits. */
export interface ReviewStackOptions {
  /** Name of the review's change set (deleted once described). */
  readonly changeSetName: string;
  /** The execution role to pass (as `cdk deploy` does); undefined: the stack's own role is used. */
  readonly executionRoleArn?: string;
  /** @default 5000 */
  readonly pollMilliseconds?: number;
  /** @default 600000 (10 minutes) */
  readonly timeoutMilliseconds?: number;
}

const CAPABILITIES = ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'] as const;

/**
 * The review of one stack: a change set of its template (minified: the
 * review passes it inline, as CloudFormation allows up to
 * {@link TEMPLATE_BODY_LIMIT} bytes), every page of its description, then
 * the change set deleted; a stack that does not exist (or exists only as
 * REVIEW_IN_PROGRESS) is summarized from its template.
 */
export async function reviewStack(target: ReviewTarget, cloudFormation: CloudFormationClient, options: ReviewStackOptions): Promise<StackReview> {
  const template = JSON.parse(fs.readFileSync(target.templateFile, 'utf8')) as TemplateJson;
  const stack: ReviewedStack = { stackName: target.stackName, account: target.account, region: target.region };
  const status = await stackStatus(cloudFormation, target.stackName);
  if (status === undefined || status === 'REVIEW_IN_PROGRESS') return reviewOfNewStack(stack, template);
  const body = JSON.stringify(template);
  if (Buffer.byteLength(body) > TEMPLATE_BODY_LIMIT) {
    const reason = `${path.basename(target.templateFile)} is ${Buffer.byteLength(body)} bytes minified, over CloudFormation's `
      + `${TEMPLATE_BODY_LIMIT}-byte inline template limit: split the stack (governance/governance-stage.ts) or publish templates for the review`;
    return { stack, status: 'failed', reason };
  }
  await cloudFormation.send(new CreateChangeSetCommand({
    StackName: target.stackName,
    ChangeSetName: options.changeSetName,
    ChangeSetType: 'UPDATE',
    TemplateBody: body,
    Capabilities: [...CAPABILITIES],
    RoleARN: options.executionRoleArn,
    Description: 'Governance review: described for the approver, then deleted; never executed',
  }));
  try {
    const pages = await describeWhenCreated(cloudFormation, target.stackName, options);
    return reviewOfChangeSet(stack, pages);
  } finally {
    // Never executed: CloudFormation would delete it when the pipeline executes its own, but a failed run leaves nothing behind either.
    await cloudFormation.send(new DeleteChangeSetCommand({ StackName: target.stackName, ChangeSetName: options.changeSetName }));
  }
}

async function stackStatus(cloudFormation: CloudFormationClient, stackName: string): Promise<string | undefined> {
  try {
    const { Stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
    return Stacks?.[0]?.StackStatus;
  } catch (e) {
    // CloudFormation answers a missing stack with a ValidationError "Stack with id X does not exist".
    if (e instanceof Error && e.name === 'ValidationError' && /does not exist/.test(e.message)) return undefined;
    throw e;
  }
}

async function describeWhenCreated(
  cloudFormation: CloudFormationClient, stackName: string, options: ReviewStackOptions,
): Promise<DescribeChangeSetJson[]> {
  const poll = options.pollMilliseconds ?? 5000;
  const deadline = Date.now() + (options.timeoutMilliseconds ?? 600_000);
  const describe = (nextToken?: string): Promise<DescribeChangeSetCommandOutput> =>
    cloudFormation.send(new DescribeChangeSetCommand({ StackName: stackName, ChangeSetName: options.changeSetName, NextToken: nextToken }));
  let first = await describe();
  while (first.Status === 'CREATE_PENDING' || first.Status === 'CREATE_IN_PROGRESS') {
    if (Date.now() > deadline) return [{ Status: first.Status, StatusReason: 'the change set was still being created when the review gave up waiting' }];
    await new Promise(resolve => setTimeout(resolve, poll));
    first = await describe();
  }
  const pages: DescribeChangeSetJson[] = [first];
  for (let token = first.NextToken; token; token = pages[pages.length - 1].NextToken) pages.push(await describe(token));
  return pages;
}

/** Replaces `${AWS::Partition}` in an ARN of the manifest. */
function inPartition(arn: string, partition: string): string {
  return arn.replace('${AWS::Partition}', partition);
}

/** The CloudFormation client the review uses for `target`, and the execution role its change set passes (if any). */
export type ReviewClients = (target: ReviewTarget, roleName: string | undefined) => Promise<ReviewClient>;

/** A CloudFormation client of the review, and the execution role its change sets pass (if any). */
export interface ReviewClient {
  readonly client: CloudFormationClient;
  readonly executionRoleArn?: string;
}

/** What the CLI needs from outside (tests inject them). */
export interface ReviewCliDependencies {
  /** The CloudFormation client of `target`, with the credentials the review uses there. @default {@link clientsThroughRoles} */
  readonly cloudFormation?: ReviewClients;
  /** @default process.stdout */
  readonly stdout?: (text: string) => void;
  /** @default process.stderr */
  readonly stderr?: (line: string) => void;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** @default 5000 */
  readonly pollMilliseconds?: number;
}

/**
 * CloudFormation clients as the review runs them: with `roleName`, the
 * caller's own credentials in its own account and that role elsewhere (the
 * github engine's review roles, which may only create, describe and delete
 * change sets); without, each stack's CDK deploy role, as CDK Pipelines
 * deploys it (the CodePipeline engine).
 */
export function clientsThroughRoles(): ReviewClients {
  const sts = new STSClient({});
  let caller: Promise<{ account: string; partition: string }> | undefined;
  return async (target, roleName) => {
    caller ??= sts.send(new GetCallerIdentityCommand({})).then(id => ({ account: id.Account!, partition: id.Arn!.split(':')[1] }));
    const { account, partition } = await caller;
    const roleArn = roleName !== undefined
      ? (target.account === account ? undefined : `arn:${partition}:iam::${target.account}:role/${roleName}`)
      : inPartition(target.deployRoleArn ?? '', partition);
    if (roleArn === '') throw new ConfigError([`${target.stackName}: the assembly names no deploy role; allowed: --role <name>`]);
    if (roleArn === undefined) return { client: new CloudFormationClient({ region: target.region }) };
    const { Credentials: c } = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'governance-review', DurationSeconds: 3600 }));
    return {
      client: new CloudFormationClient({
        region: target.region,
        credentials: { accessKeyId: c!.AccessKeyId!, secretAccessKey: c!.SecretAccessKey!, sessionToken: c!.SessionToken, expiration: c!.Expiration },
      }),
      // Through the deploy role, the change set passes the execution role, as cdk deploy does; a review role keeps the stack's own.
      executionRoleArn: roleName === undefined && target.executionRoleArn ? inPartition(target.executionRoleArn, partition) : undefined,
    };
  };
}

/**
 * Runs the review with `argv`: every stack reviewed (in parallel: they are
 * independent until executed), the summary printed and written, and the exit
 * status: {@link EXIT_FAILED} when a change set failed, so nothing unsound
 * reaches the approver.
 */
export async function runReviewCli(argv: readonly string[], deps: ReviewCliDependencies = {}): Promise<number> {
  const stdout = deps.stdout ?? ((text: string) => process.stdout.write(text));
  const stderr = deps.stderr ?? ((line: string) => process.stderr.write(`${line}\n`));
  const env = deps.env ?? process.env;
  let args: ReviewArgs;
  let targets: ReviewTarget[];
  try {
    const parsed = parseReviewArgs(argv);
    if (parsed.help) {
      stdout(`Usage: npx tsx pipeline/governance-review.ts --assembly <dir> [--role <name>] [--out-dir <dir>]\n\n${
        Object.entries(FLAGS).map(([flag, spec]) => `  ${flag} ${spec.placeholder ?? ''}  ${spec.help}`).join('\n')}\n`);
      return EXIT_OK;
    }
    args = parsed;
    targets = readReviewTargets(args.assemblyDir);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    stderr(e.message);
    return EXIT_USAGE;
  }
  const clientOf = deps.cloudFormation ?? clientsThroughRoles();
  // Unique per run, so a rerun never collides with a change set a cancelled run left.
  const changeSetName = `governance-review-${env.CODEBUILD_BUILD_NUMBER ?? env.GITHUB_RUN_ID ?? Date.now()}`;
  const reviews = await Promise.all(targets.map(async (target): Promise<StackReview> => {
    try {
      const { client, executionRoleArn } = await clientOf(target, args.roleName);
      return await reviewStack(target, client, { changeSetName, executionRoleArn, pollMilliseconds: deps.pollMilliseconds });
    } catch (e) {
      if (!(e instanceof Error) || (!('$metadata' in e) && !(e instanceof ConfigError) && e.name !== 'CredentialsProviderError')) throw e;
      return { stack: { stackName: target.stackName, account: target.account, region: target.region }, status: 'failed', reason: `${e.name}: ${e.message}` };
    }
  }));
  const markdown = summaryMarkdown(reviews);
  stdout(markdown);
  if (env.GITHUB_STEP_SUMMARY) fs.appendFileSync(env.GITHUB_STEP_SUMMARY, markdown);
  if (args.outDir) {
    fs.mkdirSync(args.outDir, { recursive: true });
    fs.writeFileSync(path.join(args.outDir, REVIEW_FILES.summary), markdown);
    fs.writeFileSync(path.join(args.outDir, REVIEW_FILES.headline), headline(reviews));
    const url = env.CODEBUILD_BUILD_ARN ? codeBuildConsoleUrl(env.CODEBUILD_BUILD_ARN) : undefined;
    if (url) fs.writeFileSync(path.join(args.outDir, REVIEW_FILES.reviewUrl), url);
  }
  if (reviewFailed(reviews)) {
    stderr('A governance change set could not be created: fix it before anything is approved (see the summary above).');
    return EXIT_FAILED;
  }
  return EXIT_OK;
}

if (require.main === module) {
  runReviewCli(process.argv.slice(2)).then(code => { process.exitCode = code; }, (e: unknown) => {
    // A bug, not a user's mistake: keep the stack trace.
    console.error(e);
    process.exitCode = EXIT_BUG;
  });
}
