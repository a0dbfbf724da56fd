import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CloudFormationClient, DescribeStacksCommand, ListStacksCommand, ListStacksCommandOutput } from '@aws-sdk/client-cloudformation';
import { ConfigError, formatValue, isKnownRegion, problem, SERVICE_PIPELINE_STACK_NAME } from '../accounts';
import { FlagSpec, readOptions } from '../kit';

/*
 * Creates the service pipeline stacks of a sharded topology that do not exist
 * yet, from the cloud assembly the platform pipeline synthesized. It never
 * updates or deletes a stack: each service pipeline updates itself
 * (self-mutation), so a second updater would race it, and CloudFormation
 * refuses concurrent updates of one stack.
 */

/** Exit status: every needed creation succeeded (orphans and busy stacks are only reported). */
export const EXIT_OK = 0;
/** Exit status: a creation failed, or a desired stack is stuck after a failed creation. */
export const EXIT_FAILED = 1;
/** Exit status: bad arguments, or an unreadable or invalid assembly manifest. */
export const EXIT_USAGE = 2;
/** Exit status: a bug in this script (printed with its stack trace). */
export const EXIT_BUG = 3;

/** The stack name prefix of the service pipelines: `ServicePipeline-<shard>`. */
export const DEFAULT_PREFIX = `${SERVICE_PIPELINE_STACK_NAME}-`;

/** `cdk deploy --concurrency`: new pipelines are independent, so a few are created at once. */
export const DEPLOY_CONCURRENCY = 4;

const STACK_ARTIFACT = 'aws:cloudformation:stack';

/*
 * CodePipeline's support stacks: `<pipelineStack>-support-<region>` (cross-region
 * replication bucket) and `<pipelineStack>-support-<account>` (cross-account roles).
 * They are dependencies of a pipeline stack, deployed along with it, not pipelines.
 */
// eslint-disable-next-line security/detect-unsafe-regex -- anchored at the end and "-" delimits parts that never match it: linear; the input is a stack name of our own assembly
const SUPPORT_STACK = /-support-([a-z]{2}(-[a-z]+)+-\d+|\d{12})$/;

/** True for a CodePipeline cross-region or cross-account support stack name. */
export function isSupportStackName(stackName: string): boolean {
  return SUPPORT_STACK.test(stackName);
}

// ---------------------------------------------------------------------------
// Command line

/** The parsed command line of a reconcile run. */
export interface ReconcileArgs {
  readonly help: false;
  /** Folder holding `manifest.json` of the cloud assembly (e.g. `cdk.out`). */
  readonly assemblyDir: string;
  /**
   * Stack name prefix of the service pipelines.
   * @default DEFAULT_PREFIX (`ServicePipeline-`)
   */
  readonly prefix: string;
  /**
   * Region of the service pipeline stacks.
   * @default - the AWS_REGION environment variable, else the region of the desired stacks
   */
  readonly region?: string;
  /** Print the plan and change nothing. */
  readonly dryRun: boolean;
}

/** `--help` was asked for: print {@link reconcileHelpText} and do nothing else. */
export interface HelpRequest {
  readonly help: true;
}

const FLAGS: Readonly<Record<string, FlagSpec>> = {
  '--assembly': { value: true, placeholder: '<dir>', help: 'folder holding manifest.json of the CDK cloud assembly (e.g. cdk.out); required' },
  '--prefix': { value: true, placeholder: '<prefix>', help: `stack name prefix of the service pipelines (default ${DEFAULT_PREFIX})` },
  '--region': { value: true, placeholder: '<region>', help: 'region of the pipeline stacks (default: AWS_REGION, else the region of the desired stacks)' },
  '--dry-run': { value: false, help: 'print the plan, change nothing' },
  '--help': { value: false, help: 'show this help' },
};

const ALIASES: Readonly<Record<string, string>> = { '-h': '--help' };

const WHERE = 'command line';

// CloudFormation stack names: a letter, then letters, digits and hyphens.
const STACK_NAME_PREFIX = /^[A-Za-z][A-Za-z0-9-]{0,99}$/;

/** The help text of the command. */
export function reconcileHelpText(): string {
  const width = Math.max(...Object.entries(FLAGS).map(([flag, spec]) => `${flag} ${spec.placeholder ?? ''}`.length));
  return [
    'Usage: npx tsx pipeline/reconcile-pipelines.ts --assembly <dir> [--prefix ServicePipeline-] [--region <region>] [--dry-run]',
    '',
    'Creates the service pipeline stacks of the assembly that do not exist in CloudFormation yet.',
    'Never updates an existing one (each pipeline updates itself) and never deletes anything:',
    'stacks no longer in the assembly are reported as orphans.',
    '',
    'Options:',
    ...Object.entries(FLAGS).map(([flag, spec]) => `  ${`${flag} ${spec.placeholder ?? ''}`.padEnd(width)}  ${spec.help}`),
    '',
    `Exit status: ${EXIT_OK} every needed creation succeeded, ${EXIT_FAILED} a creation failed or a stack needs fixing by hand,`,
    `${EXIT_USAGE} bad arguments or assembly.`,
  ].join('\n');
}

/**
 * Parses the command line. Throws one {@link ConfigError} listing every bad
 * argument, each naming the flag, the bad value and what is allowed.
 */
export function parseReconcileArgs(argv: readonly string[]): ReconcileArgs | HelpRequest {
  const { values, problems } = readOptions(argv, FLAGS, ALIASES, WHERE);

  if (values.has('--help') && problems.length === 0) return { help: true };

  const assemblyDir = values.get('--assembly');
  if (assemblyDir === undefined) {
    if (!problems.some(p => p.startsWith(`${WHERE}: --assembly `))) {
      problems.push(`${WHERE}: --assembly is required; allowed: --assembly <dir>, a folder holding manifest.json of a CDK cloud assembly (e.g. cdk.out)`);
    }
  } else if (assemblyDir.trim() === '') {
    problems.push(`${WHERE}: --assembly ${formatValue(assemblyDir)} is empty; allowed: a folder holding manifest.json of a CDK cloud assembly (e.g. cdk.out)`);
  }
  const prefix = values.get('--prefix') ?? DEFAULT_PREFIX;
  if (!STACK_NAME_PREFIX.test(prefix)) {
    problems.push(`${WHERE}: --prefix ${formatValue(prefix)} is not a stack name prefix; allowed: a letter, then letters, digits or "-" (at most 100), e.g. ${DEFAULT_PREFIX}`);
  }
  const region = values.get('--region');
  if (region !== undefined && !isKnownRegion(region)) {
    problems.push(`${WHERE}: --region ${formatValue(region)} is not an AWS region; allowed: a region such as eu-west-1 (see accounts/regions.ts)`);
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return { help: false, assemblyDir: assemblyDir!, prefix, region, dryRun: values.has('--dry-run') };
}

// ---------------------------------------------------------------------------
// Cloud assembly

/** A CloudFormation stack of the cloud assembly. */
export interface AssemblyStack {
  /** Artifact id in `manifest.json`. */
  readonly artifactId: string;
  /** CloudFormation stack name: `properties.stackName`, else the artifact id. */
  readonly stackName: string;
  /**
   * What `cdk deploy` matches a stack pattern against: the display name, else
   * the artifact id. They differ for support stacks (`cross-region-stack-<account>:<region>`
   * displayed, `..._<region>` as id), so selecting by artifact id would miss them.
   */
  readonly selector: string;
  /** Region of its `aws://<account>/<region>` environment; undefined when environment-agnostic. */
  readonly region?: string;
  /** Artifact ids it depends on (stacks and asset manifests). */
  readonly dependencies: readonly string[];
}

/** The stacks of a cloud assembly, as far as reconciling pipelines needs them. */
export interface PipelineAssembly {
  /** Path of the manifest read, for messages. */
  readonly manifestFile: string;
  /** Every stack artifact, by artifact id. */
  readonly stacks: ReadonlyMap<string, AssemblyStack>;
  /** The service pipeline stacks: prefixed names, support stacks left out; sorted by name. */
  readonly desired: readonly AssemblyStack[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads the top-level `manifest.json` of the cloud assembly in `assemblyDir`
 * (stages' nested assemblies hold service stacks, never pipelines). Throws a
 * {@link ConfigError} naming the file when it is unreadable or malformed.
 */
export function readPipelineAssembly(assemblyDir: string, prefix: string): PipelineAssembly {
  const file = path.join(assemblyDir, 'manifest.json');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new ConfigError([`${file}: cannot be read (${reason}); allowed: --assembly must be a folder holding a CDK cloud assembly (the output of cdk synth, e.g. cdk.out)`]);
  }
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch (e) {
    throw new ConfigError([`${file}: is not valid JSON (${(e as Error).message}); allowed: the manifest.json cdk synth writes`]);
  }
  if (!isRecord(manifest)) throw new ConfigError([problem(file, [], undefined, 'is not an object; allowed: the manifest.json cdk synth writes')]);
  const artifacts = manifest.artifacts;
  // An app without stacks has no artifacts field at all.
  if (artifacts !== undefined && !isRecord(artifacts)) {
    throw new ConfigError([problem(file, ['artifacts'], artifacts, 'is not an object of artifacts by id')]);
  }

  const problems: string[] = [];
  const stacks = new Map<string, AssemblyStack>();
  for (const [artifactId, artifact] of Object.entries(artifacts ?? {})) {
    const at = (...rest: PropertyKey[]) => ['artifacts', artifactId, ...rest];
    if (!isRecord(artifact)) {
      problems.push(problem(file, at(), artifact, 'is not an object'));
      continue;
    }
    if (typeof artifact.type !== 'string') {
      problems.push(problem(file, at('type'), artifact.type, 'is not a string (an artifact type such as "aws:cloudformation:stack")'));
      continue;
    }
    if (artifact.type !== STACK_ARTIFACT) continue;
    const stack = readStackArtifact(file, artifactId, artifact, at, problems);
    if (stack) stacks.set(artifactId, stack);
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const desired = [...stacks.values()]
    .filter(s => s.stackName.startsWith(prefix) && !isSupportStackName(s.stackName))
    .sort((a, b) => a.stackName.localeCompare(b.stackName));
  const seen = new Map<string, string>();
  for (const stack of desired) {
    const other = seen.get(stack.stackName);
    if (other !== undefined) {
      problems.push(problem(file, ['artifacts', stack.artifactId, 'properties', 'stackName'], stack.stackName,
        `is also the stack name of artifact ${formatValue(other)}; allowed: one stack per service pipeline name`));
    }
    seen.set(stack.stackName, stack.artifactId);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { manifestFile: file, stacks, desired };
}

function readStackArtifact(
  file: string,
  artifactId: string,
  artifact: Record<string, unknown>,
  at: (...rest: PropertyKey[]) => PropertyKey[],
  problems: string[],
): AssemblyStack | undefined {
  const before = problems.length;
  let region: string | undefined;
  const environment = artifact.environment;
  if (environment !== undefined) {
    const match = typeof environment === 'string' ? /^aws:\/\/([^/]+)\/([^/]+)$/.exec(environment) : null;
    if (!match) {
      problems.push(problem(file, at('environment'), environment, 'is not an environment; allowed: "aws://<account>/<region>"'));
    } else if (match[2] !== 'unknown-region') {
      region = match[2];
    }
  }
  const properties = artifact.properties;
  let stackName = artifactId;
  if (properties !== undefined && !isRecord(properties)) {
    problems.push(problem(file, at('properties'), properties, 'is not an object'));
  } else if (properties?.stackName !== undefined) {
    if (typeof properties.stackName !== 'string' || properties.stackName === '') {
      problems.push(problem(file, at('properties', 'stackName'), properties.stackName, 'is not a stack name (a non-empty string)'));
    } else {
      stackName = properties.stackName;
    }
  }
  const displayName = artifact.displayName;
  if (displayName !== undefined && typeof displayName !== 'string') {
    problems.push(problem(file, at('displayName'), displayName, 'is not a string'));
  }
  const dependencies = artifact.dependencies ?? [];
  if (!Array.isArray(dependencies) || dependencies.some(d => typeof d !== 'string')) {
    problems.push(problem(file, at('dependencies'), dependencies, 'is not a list of artifact ids (strings)'));
  }
  if (problems.length > before) return undefined;
  return {
    artifactId,
    stackName,
    selector: typeof displayName === 'string' ? displayName : artifactId,
    region,
    dependencies: dependencies as string[],
  };
}

/**
 * The region to reconcile: `--region`, else AWS_REGION, else the one region
 * of the desired stacks. Throws a {@link ConfigError} when none can be found
 * or the desired stacks span several.
 */
export function resolveRegion(flagRegion: string | undefined, env: NodeJS.ProcessEnv, assembly: PipelineAssembly): string {
  if (flagRegion !== undefined) return flagRegion;
  const envRegion = env.AWS_REGION;
  if (envRegion !== undefined && envRegion !== '') {
    if (!isKnownRegion(envRegion)) {
      throw new ConfigError([`environment: AWS_REGION ${formatValue(envRegion)} is not an AWS region; allowed: a region such as eu-west-1, or pass --region`]);
    }
    return envRegion;
  }
  const regions = [...new Set(assembly.desired.flatMap(s => (s.region ? [s.region] : [])))].sort();
  if (regions.length === 1) return regions[0];
  if (regions.length === 0) {
    throw new ConfigError([`${WHERE}: --region is missing, AWS_REGION is not set and ${assembly.manifestFile} has no service pipeline stack with a region; allowed: pass --region <region>`]);
  }
  throw new ConfigError([`${assembly.manifestFile}: the service pipeline stacks are in several regions (${regions.join(', ')}); allowed: pass --region <region> to pick one`]);
}

// ---------------------------------------------------------------------------
// CloudFormation state

/*
 * States of a stack whose first creation failed: CloudFormation can neither
 * update it nor create another of the same name until it is deleted.
 */
const FAILED_CREATION_STATES: ReadonlySet<string> = new Set(['ROLLBACK_COMPLETE', 'ROLLBACK_FAILED', 'CREATE_FAILED']);

/**
 * The service pipeline stacks in the client's region, by name, with their
 * status: prefixed names, support stacks and deleted stacks left out.
 */
export async function listPipelineStacks(cloudFormation: CloudFormationClient, prefix: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  let nextToken: string | undefined;
  do {
    const page: ListStacksCommandOutput = await cloudFormation.send(new ListStacksCommand({ NextToken: nextToken }));
    for (const summary of page.StackSummaries ?? []) {
      const name = summary.StackName;
      const status = summary.StackStatus;
      // ListStacks keeps deleted stacks for 90 days, possibly several under one name.
      if (!name || !status || status === 'DELETE_COMPLETE') continue;
      if (!name.startsWith(prefix) || isSupportStackName(name)) continue;
      if (!found.has(name)) found.set(name, status);
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return found;
}

/** The current status of `stackName`, or undefined when it does not exist. */
async function describeStatus(cloudFormation: CloudFormationClient, stackName: string): Promise<string | undefined> {
  try {
    const response = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
    return response.Stacks?.[0]?.StackStatus;
  } catch (e) {
    // DescribeStacks answers a missing stack with a ValidationError, not an empty list.
    if (e instanceof Error && /does not exist/.test(e.message)) return undefined;
    throw e;
  }
}

// ---------------------------------------------------------------------------
// Reconcile

/** What a `cdk deploy` run reported. */
export interface DeployOutcome {
  readonly ok: boolean;
  /** Why it failed, or its captured output, when known. */
  readonly output?: string;
}

/** Deploys the given stacks (`cdk deploy` stack selectors) from the assembly, in one run. */
export type DeployStacks = (stackSelectors: readonly string[]) => Promise<DeployOutcome>;

/** One stack in the report. */
export interface PipelineStackEntry {
  readonly stackName: string;
  /** Its artifact id in the assembly; absent for orphans. */
  readonly artifactId?: string;
  /** Its CloudFormation status; absent when it does not exist. */
  readonly status?: string;
  /** What happened or was found and, when someone must act, what to do. */
  readonly detail: string;
}

/** The outcome of {@link reconcilePipelines}. */
export interface ReconcileResult {
  readonly region: string;
  readonly dryRun: boolean;
  /** Desired stacks that did not exist: the ones to create (created or not, e.g. in a dry run). */
  readonly toCreate: readonly PipelineStackEntry[];
  /** Created by this run. */
  readonly created: readonly PipelineStackEntry[];
  /** Existing desired stacks, left to their own self-mutation. */
  readonly present: readonly PipelineStackEntry[];
  /** Desired stacks with an operation in progress; not touched. */
  readonly busy: readonly PipelineStackEntry[];
  /** Existing stacks no longer in the assembly; reported, never deleted. */
  readonly orphaned: readonly PipelineStackEntry[];
  /** Creations that failed, and desired stacks stuck after a failed creation or deletion. */
  readonly failed: readonly PipelineStackEntry[];
  /** The single `cdk deploy` run; absent when nothing needed creating, or in a dry run. */
  readonly deploy?: DeployOutcome & { readonly stackSelectors: readonly string[] };
}

/** Inputs of {@link reconcilePipelines}. */
export interface ReconcileOptions {
  /** Folder holding `manifest.json` of the cloud assembly. */
  readonly assemblyDir: string;
  /**
   * Stack name prefix of the service pipelines.
   * @default DEFAULT_PREFIX
   */
  readonly prefix?: string;
  /** Region of the pipeline stacks; `cloudFormation` must be a client of this region. */
  readonly region: string;
  /**
   * Print the plan and change nothing.
   * @default false
   */
  readonly dryRun?: boolean;
  readonly cloudFormation: CloudFormationClient;
  /** Creates stacks; called at most once per run, never in a dry run. */
  readonly deploy: DeployStacks;
  /** Receives the progress and report lines. */
  readonly log: (line: string) => void;
}

/**
 * Creates the service pipeline stacks that are in the assembly but not in
 * CloudFormation, leaves existing ones to their self-mutation, and reports
 * orphans, busy stacks and failures. Never updates or deletes a stack.
 * Throws a {@link ConfigError} for an unreadable or inconsistent assembly.
 */
export async function reconcilePipelines(options: ReconcileOptions): Promise<ReconcileResult> {
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const dryRun = options.dryRun ?? false;
  const { region, cloudFormation, log } = options;
  const assembly = readPipelineAssembly(options.assemblyDir, prefix);

  // ListStacks sees one region: a pipeline stack elsewhere would look missing on every
  // run and be deployed again, which is the update this script must never make.
  const elsewhere = assembly.desired.filter(s => s.region !== undefined && s.region !== region);
  if (elsewhere.length > 0) {
    throw new ConfigError(elsewhere.map(s => problem(assembly.manifestFile, ['artifacts', s.artifactId, 'environment'], `aws://.../${s.region}`,
      `is not in region ${region}, the one being reconciled; allowed: service pipeline stacks of one region (pass --region ${s.region}, or check AWS_REGION)`)));
  }

  const existing = await listPipelineStacks(cloudFormation, prefix);
  log(`Service pipeline stacks (${prefix}*) in ${region}: ${assembly.desired.length} in ${assembly.manifestFile}, ${existing.size} in CloudFormation.`);

  const toCreate: PipelineStackEntry[] = [];
  const present: PipelineStackEntry[] = [];
  const busy: PipelineStackEntry[] = [];
  const failed: PipelineStackEntry[] = [];
  for (const stack of assembly.desired) {
    const status = existing.get(stack.stackName);
    const entry = { stackName: stack.stackName, artifactId: stack.artifactId, status };
    if (status === undefined) {
      toCreate.push({ ...entry, detail: 'missing; to be created' });
    } else if (status.endsWith('_IN_PROGRESS')) {
      busy.push({ ...entry, detail: busyDetail(status) });
    } else if (FAILED_CREATION_STATES.has(status)) {
      failed.push({ ...entry, detail: failedCreationDetail(stack.stackName, status, region) });
    } else if (status === 'DELETE_FAILED') {
      failed.push({ ...entry, detail: 'a deletion failed and CloudFormation can only delete it now. Fix: finish deleting it (see its events for what blocked it), then re-run the platform pipeline to re-create it' });
    } else {
      present.push({ ...entry, detail: 'exists; not updated here, left to its own self-mutation (a second updater would race it)' });
    }
  }

  const desiredNames = new Set(assembly.desired.map(s => s.stackName));
  const orphaned: PipelineStackEntry[] = [...existing.entries()]
    .filter(([name]) => !desiredNames.has(name))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([stackName, status]) => ({ stackName, status, detail: orphanDetail(stackName, prefix) }));

  const selectors = deploySelection(assembly, toCreate.map(e => e.artifactId!), new Set(existing.keys()));
  const created: PipelineStackEntry[] = [];
  let deploy: ReconcileResult['deploy'];
  if (toCreate.length > 0 && !dryRun) {
    log(`Creating ${toCreate.length} stack(s) with one cdk deploy of: ${selectors.join(' ')}`);
    let outcome: DeployOutcome;
    try {
      outcome = await options.deploy(selectors);
    } catch (e) {
      outcome = { ok: false, output: e instanceof Error ? e.message : String(e) };
    }
    deploy = { ...outcome, stackSelectors: selectors };
    if (outcome.ok) {
      created.push(...toCreate.map(e => ({ ...e, detail: 'created; its new pipeline starts itself and deploys the service' })));
    } else {
      // One cdk deploy for all: find out which of its stacks made it.
      for (const entry of toCreate) {
        let status: string | undefined;
        try {
          status = await describeStatus(cloudFormation, entry.stackName);
        } catch (e) {
          failed.push({ ...entry, detail: `cdk deploy failed and its state is unknown (DescribeStacks: ${e instanceof Error ? e.message : String(e)}); see the cdk deploy output above, then re-run the platform pipeline` });
          continue;
        }
        if (status === 'CREATE_COMPLETE') {
          created.push({ ...entry, status, detail: 'created (before cdk deploy failed on another stack); its new pipeline starts itself and deploys the service' });
        } else {
          failed.push({ ...entry, status, detail: creationFailedDetail(entry.stackName, status, region, outcome.output) });
        }
      }
    }
  }

  const result: ReconcileResult = {
    region,
    dryRun,
    toCreate: dryRun ? toCreate.map(e => ({ ...e, detail: `missing; a real run creates it (cdk deploy selection: ${selectors.join(' ')})` })) : toCreate,
    created,
    present,
    busy,
    orphaned,
    failed,
    deploy,
  };
  for (const line of reconcileReport(result)) log(line);
  return result;
}

/**
 * The `cdk deploy` selection creating the stacks `artifactIds`: them and
 * their stack dependencies (support stacks), dependencies first, but no
 * existing service pipeline stack, which its own self-mutation updates.
 * Deployed with `--exclusively`, so the CLI adds nothing else.
 */
export function deploySelection(assembly: PipelineAssembly, artifactIds: readonly string[], existingStackNames: ReadonlySet<string>): string[] {
  const desired = new Set(assembly.desired.map(s => s.artifactId));
  const ordered: AssemblyStack[] = [];
  const visited = new Set<string>();
  const visit = (artifactId: string) => {
    if (visited.has(artifactId)) return;
    visited.add(artifactId);
    const stack = assembly.stacks.get(artifactId);
    // Asset manifests are not stacks; cdk deploy publishes a selected stack's assets itself.
    if (!stack) return;
    if (desired.has(artifactId) && existingStackNames.has(stack.stackName)) return;
    stack.dependencies.forEach(visit);
    ordered.push(stack);
  };
  artifactIds.forEach(visit);
  return ordered.map(s => s.selector);
}

function busyDetail(status: string): string {
  const hint = status === 'REVIEW_IN_PROGRESS'
    ? ' (a change set of its creation was never executed: execute or delete it if this persists)'
    : '';
  return `an operation is in progress; not touched, the next run checks it again${hint}`;
}

function failedCreationDetail(stackName: string, status: string, region: string): string {
  // A failed rollback left resources CloudFormation could not delete: the deletion must skip them.
  const retain = status === 'ROLLBACK_FAILED' ? ', retaining the resources it names as undeletable' : '';
  return 'its first creation failed, so CloudFormation can neither update nor re-create it. '
    + `Fix: read its events for the cause, delete the stack (aws cloudformation delete-stack --stack-name ${stackName} --region ${region}, or the console${retain}), `
    + 'then re-run the platform pipeline';
}

function creationFailedDetail(stackName: string, status: string | undefined, region: string, output: string | undefined): string {
  const why = output ? ` (${output.trim().split('\n').slice(-1)[0]})` : '';
  if (status === undefined) {
    return `creation failed${why}; the stack does not exist. Fix: see the cdk deploy output above, fix the cause, then re-run the platform pipeline`;
  }
  if (FAILED_CREATION_STATES.has(status)) return `creation failed${why}; ${failedCreationDetail(stackName, status, region)}`;
  return `creation did not finish${why}; it is ${status}. Fix: see the cdk deploy output above, then re-run the platform pipeline once it is no longer in progress`;
}

function orphanDetail(stackName: string, prefix: string): string {
  const shard = stackName.slice(prefix.length);
  return 'not in the assembly (its service folder was removed?). Nothing was deleted: this pipeline stack and the stacks it deployed '
    + `(${shard}-<env>-<region> in the workload accounts) remain, and production data is retained. `
    + `To remove them, move traffic away first, then delete them by hand: npx cdk destroy, or delete the stacks in CloudFormation (the service stacks, then ${stackName})`;
}

/** The human report of a run: one line per stack, grouped, then a summary line. */
export function reconcileReport(result: ReconcileResult): string[] {
  const lines: string[] = [];
  const group = (title: string, mark: string, entries: readonly PipelineStackEntry[]) => {
    if (entries.length === 0) return;
    lines.push(`${title} (${entries.length}):`);
    for (const e of entries) lines.push(`  ${mark} ${e.stackName}${e.status ? ` (${e.status})` : ''}: ${e.detail}`);
  };
  if (result.dryRun) group('Would create', '+', result.toCreate);
  group('Created', '+', result.created);
  group('Present, left to their own self-mutation', '=', result.present);
  group('Busy', '~', result.busy);
  group('Orphaned, not deleted', '?', result.orphaned);
  group('Failed', '!', result.failed);
  const counts = [
    result.dryRun ? `${result.toCreate.length} to create` : `${result.created.length} created`,
    `${result.present.length} present`,
    `${result.busy.length} busy`,
    `${result.orphaned.length} orphaned`,
    `${result.failed.length} failed`,
  ].join(', ');
  lines.push(result.dryRun
    ? `Dry run in ${result.region}: ${counts}; nothing was changed.`
    : `Summary for ${result.region}: ${counts}.`);
  return lines;
}

/** The exit status of a run: {@link EXIT_FAILED} when anything failed, else {@link EXIT_OK}. */
export function reconcileExitCode(result: ReconcileResult): number {
  return result.failed.length > 0 || result.deploy?.ok === false ? EXIT_FAILED : EXIT_OK;
}

// ---------------------------------------------------------------------------
// CLI

/** The arguments of the single `cdk deploy` run creating `stackSelectors`. */
export function cdkDeployArgs(assemblyDir: string, stackSelectors: readonly string[]): string[] {
  return [
    'cdk', 'deploy',
    '--app', assemblyDir,
    '--require-approval', 'never',
    '--concurrency', String(DEPLOY_CONCURRENCY),
    // Without it the CLI also deploys every upstream stack, which may be an existing
    // pipeline stack: that is an update racing the pipeline's self-mutation.
    '--exclusively',
    ...stackSelectors,
  ];
}

/** A {@link DeployStacks} running `npx cdk deploy` on the assembly, output shown as it runs. */
export function cdkDeploy(assemblyDir: string): DeployStacks {
  return stackSelectors => new Promise(resolve => {
    const child = spawn('npx', cdkDeployArgs(assemblyDir, stackSelectors), { stdio: 'inherit' });
    // 'error' (npx missing) may come without 'close'; a settled promise ignores the second.
    child.on('error', e => resolve({ ok: false, output: `could not run npx cdk deploy: ${e.message}` }));
    child.on('close', (code, signal) => resolve(code === 0
      ? { ok: true }
      : { ok: false, output: `npx cdk deploy ${signal ? `was stopped by ${signal}` : `exited with code ${code}`}` }));
  });
}

/** What the CLI talks to; every part injectable so tests run it without AWS or a CDK CLI. */
export interface ReconcileCliDependencies {
  /** @default a CloudFormationClient of the region */
  readonly cloudFormation?: (region: string) => CloudFormationClient;
  /** @default {@link cdkDeploy} */
  readonly deploy?: (assemblyDir: string) => DeployStacks;
  /** @default process.stdout */
  readonly stdout?: (line: string) => void;
  /** @default process.stderr */
  readonly stderr?: (line: string) => void;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Runs the command with `argv` and returns its exit status. A
 * {@link ConfigError} is printed as its message, without a stack trace, and
 * gives {@link EXIT_USAGE}; an AWS error reading the stacks gives {@link EXIT_FAILED}.
 */
export async function runReconcileCli(argv: readonly string[], deps: ReconcileCliDependencies = {}): Promise<number> {
  const stdout = deps.stdout ?? ((line: string) => process.stdout.write(`${line}\n`));
  const stderr = deps.stderr ?? ((line: string) => process.stderr.write(`${line}\n`));
  try {
    const args = parseReconcileArgs(argv);
    if (args.help) {
      stdout(reconcileHelpText());
      return EXIT_OK;
    }
    const region = resolveRegion(args.region, deps.env ?? process.env, readPipelineAssembly(args.assemblyDir, args.prefix));
    const cloudFormation = (deps.cloudFormation ?? ((r: string) => new CloudFormationClient({ region: r })))(region);
    let result: ReconcileResult;
    try {
      result = await reconcilePipelines({
        assemblyDir: args.assemblyDir,
        prefix: args.prefix,
        region,
        dryRun: args.dryRun,
        cloudFormation,
        deploy: (deps.deploy ?? cdkDeploy)(args.assemblyDir),
        log: stdout,
      });
    } catch (e) {
      // Credentials, permissions, throttling: an operational failure to report, not a bug.
      if (!isAwsError(e)) throw e;
      stderr(`CloudFormation in ${region}: ${e.name}: ${e.message}; nothing was created`);
      return EXIT_FAILED;
    }
    return reconcileExitCode(result);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    stderr(e.message);
    return EXIT_USAGE;
  }
}

/** SDK service errors carry `$metadata`; credential errors are named so. */
function isAwsError(e: unknown): e is Error {
  return e instanceof Error && ('$metadata' in e || e.name === 'CredentialsProviderError');
}

if (require.main === module) {
  runReconcileCli(process.argv.slice(2)).then(code => { process.exitCode = code; }, (e: unknown) => {
    // A bug, not a user's mistake: keep the stack trace.
    console.error(e);
    process.exitCode = EXIT_BUG;
  });
}
