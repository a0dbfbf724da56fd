/**
 * The scale benchmark: `npx projen bench:scale` (or `npx tsx test/bench/scale.ts`).
 *
 * How the delivery plan behaves as the number of services grows, for each
 * pipeline topology and engine: synth time and memory, the size of the
 * pipelines against their hard limits (CloudFormation resources per stack,
 * CodePipeline actions per stage, GitHub workflow size), a service
 * pipeline's own scoped build, and the modelled lead time of a change to
 * payments. Each N runs in a temporary copy of the repository with N-3
 * generated services beside the 3 shipped ones. Prints a markdown table on
 * stdout, progress on stderr, and writes the rows as JSON to
 * .build/bench-scale.json. Not part of the test suite.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { generateServices } from './generate-services';
import { PLATFORM_PIPELINE_STACK_NAME } from '../../accounts';
import {
  CloudFormationTemplateJson,
  codePipelineLeadTime,
  LeadTime,
  shardStackName,
  SINGLE_SHARD_ID,
  workflowFileName,
  workflowLeadTime,
} from '../../pipeline';

const ROOT = path.resolve(__dirname, '..', '..');
const SCALE_DIR = path.join(ROOT, '.build', 'scale');
const JSON_OUT = path.join(ROOT, '.build', 'bench-scale.json');

/** What a copy needs to synthesize: the app, its declarations, and the post-deploy suites the pipelines reference. */
const COPIED = ['accounts', 'governance', 'kit', 'pipeline', 'services', 'main.ts', 'cdk.json', 'package.json',
  'tsconfig.json', 'tsconfig.dev.json', 'test/e2e', 'test/integration'];
const SHIPPED_SERVICES = 3;
/** The service whose change the lead time follows, and whose pipeline the scoped synth builds. */
const CHANGED_SERVICE = 'payments';
/** The shipped organization's bake time (accounts/organization.ts: bakeTimeMinutes 10). */
const LEAD_TIME_DURATIONS = { bake: 600 };
/**
 * The build of the changed service's pipeline, less its synth: runner start,
 * `npm ci` from the cache, the audit and the tests (seconds, an assumption
 * like the lead-time model's other durations). The synth part is what this
 * benchmark measures: the scoped synth of that pipeline's own build (in
 * `single`, the whole app).
 */
const BUILD_WITHOUT_SYNTH_SECONDS = 180;
// Generous, so a large N measures the synth rather than V8's default heap limit.
const NODE_OPTIONS = '--max-old-space-size=16384';

const TOPOLOGIES = ['single', 'per-service', 'per-owner'] as const;
const ENGINES = ['codepipeline', 'github'] as const;
type Topology = typeof TOPOLOGIES[number];
type Engine = typeof ENGINES[number];

interface Options {
  readonly services: number[];
  readonly topologies: Topology[];
  readonly engines: Engine[];
  readonly runs: number;
  /** `pipeline.iamRoleQuota` written into the copies' organization. @default - the shipped one's */
  readonly iamRoleQuota?: number;
}

const USAGE = `usage: npx tsx test/bench/scale.ts [--services 3,30,300] [--topology single,per-service] [--engine codepipeline,github] [--runs 1]
  --services  total services per run, including the ${SHIPPED_SERVICES} shipped ones (integers >= ${SHIPPED_SERVICES}); default 3,30,300
  --topology  any of ${TOPOLOGIES.join(', ')}; default single,per-service
  --engine    any of ${ENGINES.join(', ')}; default codepipeline,github
  --runs      times each synth runs; the median time and the highest peak memory are reported (integer >= 1); default 1
  --iam-role-quota  the tooling account's IAM roles quota written into the copies' organization (1000-5000); default: the shipped one's
Copies go to .build/scale/n<N>/ (the previous run's copies are deleted first); rows also go to .build/bench-scale.json.`;

/** A mistake in the command line: printed with the usage, without a stack trace, exit 2. */
class UsageError extends Error {}
/** `--help`: the usage on stdout, exit 0. */
class HelpRequested extends Error {}

function listOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T[] {
  const items = value.split(',').map(s => s.trim());
  const bad = items.filter(i => !(allowed as readonly string[]).includes(i));
  if (bad.length > 0 || items.length === 0) {
    throw new UsageError(`${flag} ${JSON.stringify(value)}: ${bad.map(b => JSON.stringify(b)).join(', ') || 'empty'} is not allowed; allowed: a comma-separated list of ${allowed.join(', ')}`);
  }
  return [...new Set(items)] as T[];
}

function integerOf(flag: string, item: string, min: number, what: string): number {
  if (!/^\d+$/.test(item.trim()) || Number(item) < min) {
    throw new UsageError(`${flag} ${JSON.stringify(item)} is not ${what}; allowed: an integer >= ${min}`);
  }
  return Number(item);
}

const ALLOWED: Record<string, string> = {
  '--services': `a comma-separated list of integers >= ${SHIPPED_SERVICES}, e.g. 3,30,300`,
  '--topology': `a comma-separated list of ${TOPOLOGIES.join(', ')}`,
  '--engine': `a comma-separated list of ${ENGINES.join(', ')}`,
  '--runs': 'an integer >= 1',
  '--iam-role-quota': 'an integer from 1000 to 5000 (the tooling account\'s IAM roles quota written into the copies\' organization)',
};

function iamRoleQuotaOf(value: string): number {
  const quota = integerOf('--iam-role-quota', value, 1000, 'an IAM roles quota');
  if (quota > 5000) throw new UsageError(`--iam-role-quota ${JSON.stringify(value)} is above what AWS allows; allowed: ${ALLOWED['--iam-role-quota']}`);
  return quota;
}

/** Reads the command line: `--flag value` or `--flag=value`. */
export function parseArgs(argv: readonly string[]): Options {
  const values: Record<string, string> = {};
  const known = Object.keys(ALLOWED);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    // `npx projen bench:scale -- --services 3` passes the `--` on.
    if (arg === '--') continue;
    if (arg === '--help' || arg === '-h') throw new HelpRequested();
    const eq = arg.indexOf('=');
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    if (!known.includes(flag)) {
      throw new UsageError(`${JSON.stringify(arg)} is not a flag of this benchmark; allowed: ${known.join(', ')}`);
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '' || (eq < 0 && value.startsWith('--'))) {
      throw new UsageError(`${flag} needs a value; allowed: ${ALLOWED[flag]}`);
    }
    values[flag] = value;
  }
  const services = (values['--services'] ?? '3,30,300').split(',')
    .map(s => integerOf('--services', s, SHIPPED_SERVICES, `a number of services (the ${SHIPPED_SERVICES} shipped ones included)`));
  return {
    services: [...new Set(services)],
    topologies: listOf('--topology', values['--topology'] ?? 'single,per-service', TOPOLOGIES),
    engines: listOf('--engine', values['--engine'] ?? 'codepipeline,github', ENGINES),
    runs: integerOf('--runs', values['--runs'] ?? '1', 1, 'a number of runs'),
    iamRoleQuota: values['--iam-role-quota'] === undefined ? undefined : iamRoleQuotaOf(values['--iam-role-quota']),
  };
}

/** One run of a command: wall time, peak RSS and outcome. */
interface Timed {
  readonly seconds: number;
  /** Peak resident set of the largest process of the tree (GNU time), MiB. */
  readonly peakMiB?: number;
  readonly exitCode: number;
  /** On failure: the problems the synth printed, without stack frames. */
  readonly errors: string[];
}

const TIME_BIN = '/usr/bin/time';

function runTimed(cwd: string, args: readonly string[]): Timed {
  const command = ['npx', 'cdk', ...args];
  const withTime = fs.existsSync(TIME_BIN);
  const start = process.hrtime.bigint();
  const result = spawnSync(withTime ? TIME_BIN : command[0], withTime ? ['-f', '%M', ...command] : command.slice(1), {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS, CI: 'true' },
    // The app prints a summary naming every stack: large at a large N.
    maxBuffer: 1024 * 1024 * 1024,
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.error) throw result.error;
  const lines = (result.stderr ?? '').split('\n').map(l => l.trimEnd()).filter(l => l.trim() !== '');
  // GNU time prints %M last, after "Command exited with non-zero status N" on failure.
  const kib = withTime ? Number(lines.pop()) : NaN;
  const exitCode = result.status ?? 1;
  const errors = exitCode === 0 ? [] : errorLines(lines);
  return { seconds, peakMiB: Number.isFinite(kib) ? kib / 1024 : undefined, exitCode, errors };
}

/**
 * The problems of a failed synth: a user mistake prints one line per problem;
 * stack frames, the CDK CLI's own wrapping and GNU time's status line go.
 */
function errorLines(lines: readonly string[]): string[] {
  // The synth's own summary (printed before its validation fails) is not an error.
  const summary = lines.findIndex(l => l.startsWith('Synthesized organization'));
  const afterSummary = summary < 0 ? lines : lines.slice(summary).filter(l => !/^ {2}\S/.test(l) && !l.startsWith('Synthesized organization'));
  return afterSummary.filter(l => !/^\s+at /.test(l)
    && !/^Command exited with non-zero status/.test(l)
    && !/Subprocess exited with error/.test(l)
    && !/^Node\.js v\d/.test(l)
    && !/^\s*\^+\s*$/.test(l)).slice(0, 50);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** `runs` runs of the same synth: median time, highest peak, the last run's outcome. */
function repeat(runs: number, label: string, before: () => void, run: () => Timed): Timed & { samples: number[] } {
  const samples: Timed[] = [];
  for (let i = 0; i < runs; i++) {
    before();
    const t = run();
    log(`${label}: run ${i + 1}/${runs} ${t.seconds.toFixed(1)} s, ${t.peakMiB?.toFixed(0) ?? '?'} MiB, exit ${t.exitCode}`);
    samples.push(t);
    // A refusal is deterministic: repeating it measures nothing new.
    if (t.exitCode !== 0) break;
  }
  const last = samples[samples.length - 1];
  const peaks = samples.flatMap(s => (s.peakMiB === undefined ? [] : [s.peakMiB]));
  return {
    ...last,
    seconds: median(samples.map(s => s.seconds)),
    peakMiB: peaks.length ? Math.max(...peaks) : undefined,
    samples: samples.map(s => Number(s.seconds.toFixed(2))),
  };
}

function log(message: string): void {
  process.stderr.write(`[bench:scale] ${message}\n`);
}

/** Recreates `.build/scale/n<N>/`: a copy of the repository with N-3 generated services. */
function prepareCopy(n: number, iamRoleQuota?: number): string {
  const dir = path.join(SCALE_DIR, `n${n}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (const entry of COPIED) {
    fs.cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  const servicesDir = path.join(dir, 'services');
  const shipped = fs.readdirSync(servicesDir).filter(d => fs.existsSync(path.join(servicesDir, d, 'service.ts')));
  if (shipped.length !== SHIPPED_SERVICES) {
    log(`warning: the repository has ${shipped.length} services (${shipped.join(', ')}), not ${SHIPPED_SERVICES}; N counts them all`);
  }
  generateServices(servicesDir, n - shipped.length);
  if (iamRoleQuota !== undefined) {
    const file = path.join(dir, 'accounts', 'organization.ts');
    const text = fs.readFileSync(file, 'utf8');
    const anchor = /^( *)engine: '[a-z]+',\n/m;
    if (!anchor.test(text)) throw new Error(`${file}: no "engine:" line in pipeline to add iamRoleQuota after`);
    fs.writeFileSync(file, text.replace(anchor, (line, indent: string) => `${line}${indent}iamRoleQuota: ${iamRoleQuota},\n`));
  }
  return dir;
}

/**
 * A hash of a copy's repository files (generated services left out): other
 * people edit the working tree while a long benchmark runs, and rows are only
 * comparable when their copies hold the same code.
 */
function sourceHash(copy: string): string {
  const hash = createHash('sha256');
  const visit = (rel: string) => {
    const abs = path.join(copy, rel);
    if (fs.statSync(abs).isDirectory()) {
      for (const entry of fs.readdirSync(abs).sort()) {
        if (!(rel === 'services' && /^svc-\d+$/.test(entry))) visit(path.join(rel, entry));
      }
    } else {
      hash.update(`${rel}\0`).update(fs.readFileSync(abs)).update('\0');
    }
  };
  COPIED.forEach(visit);
  return hash.digest('hex').slice(0, 12);
}

function gitHead(): string | undefined {
  const result = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/** What the cloud assembly's pipeline stacks look like. */
interface AssemblyStats {
  readonly servicePipelines: number;
  readonly platformPipeline: boolean;
  readonly largestPipelineStack?: { readonly name: string; readonly resources: number };
  readonly codeBuildProjects: { readonly total: number; readonly maxPerPipeline: number };
  readonly largestStageActions?: { readonly pipeline: string; readonly stage: string; readonly actions: number };
  readonly maxStages: number;
}

interface StackArtifact { readonly name: string; readonly template: CloudFormationTemplateJson }

/** The top-level stacks of a cloud assembly (stage stacks live in nested assemblies and are not listed). */
function topLevelStacks(outdir: string): StackArtifact[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8')) as {
    artifacts?: Record<string, { type: string; displayName?: string; properties?: { templateFile?: string; stackName?: string } }>;
  };
  return Object.entries(manifest.artifacts ?? {})
    .filter(([, a]) => a.type === 'aws:cloudformation:stack' && a.properties?.templateFile)
    .map(([id, a]) => ({
      name: a.properties?.stackName ?? a.displayName ?? id,
      template: JSON.parse(fs.readFileSync(path.join(outdir, a.properties!.templateFile!), 'utf8')) as CloudFormationTemplateJson,
    }));
}

type Resources = NonNullable<CloudFormationTemplateJson['Resources']>;
const resourcesOf = (t: CloudFormationTemplateJson): Resources => t.Resources ?? {};
const countOfType = (t: CloudFormationTemplateJson, type: string) => Object.values(resourcesOf(t)).filter(r => r.Type === type).length;

/** The pipeline stacks: top-level stacks holding a CodePipeline, except the governance pipeline's. */
function pipelineStacks(stacks: readonly StackArtifact[]): StackArtifact[] {
  return stacks.filter(s => s.name !== 'GovernancePipeline' && countOfType(s.template, 'AWS::CodePipeline::Pipeline') > 0);
}

function assemblyStats(stacks: readonly StackArtifact[]): AssemblyStats {
  const pipelines = pipelineStacks(stacks);
  let largestPipelineStack: AssemblyStats['largestPipelineStack'];
  let largestStageActions: AssemblyStats['largestStageActions'];
  let maxStages = 0;
  const projects = pipelines.map(p => countOfType(p.template, 'AWS::CodeBuild::Project'));
  for (const p of pipelines) {
    const resources = Object.keys(resourcesOf(p.template)).length;
    if (!largestPipelineStack || resources > largestPipelineStack.resources) largestPipelineStack = { name: p.name, resources };
    for (const res of Object.values(resourcesOf(p.template)).filter(r => r.Type === 'AWS::CodePipeline::Pipeline')) {
      const stages = ((res.Properties as { Stages?: Array<{ Name: string; Actions?: unknown[] }> } | undefined)?.Stages ?? []);
      maxStages = Math.max(maxStages, stages.length);
      for (const stage of stages) {
        const actions = stage.Actions?.length ?? 0;
        if (!largestStageActions || actions > largestStageActions.actions) largestStageActions = { pipeline: p.name, stage: stage.Name, actions };
      }
    }
  }
  return {
    servicePipelines: pipelines.filter(p => p.name !== PLATFORM_PIPELINE_STACK_NAME).length,
    platformPipeline: pipelines.some(p => p.name === PLATFORM_PIPELINE_STACK_NAME),
    largestPipelineStack,
    codeBuildProjects: { total: projects.reduce((a, b) => a + b, 0), maxPerPipeline: projects.length ? Math.max(...projects) : 0 },
    largestStageActions,
    maxStages,
  };
}

/** What the github engine wrote into `.github/workflows`. */
interface WorkflowStats {
  readonly files: number;
  readonly servicePipelines: number;
  readonly platformPipeline: boolean;
  readonly largest?: { readonly file: string; readonly bytes: number };
  readonly maxJobs?: { readonly file: string; readonly jobs: number };
}

function workflowStats(dir: string, topology: Topology): WorkflowStats {
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter(f => f.endsWith('.yml')).sort() : [];
  let largest: WorkflowStats['largest'];
  let maxJobs: WorkflowStats['maxJobs'];
  for (const file of files) {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    const bytes = Buffer.byteLength(text);
    if (!largest || bytes > largest.bytes) largest = { file, bytes };
    const jobs = Object.keys((parse(text) as { jobs?: Record<string, unknown> } | null)?.jobs ?? {}).length;
    if (!maxJobs || jobs > maxJobs.jobs) maxJobs = { file, jobs };
  }
  const platformFile = topology === 'single' ? undefined : workflowFileName(topology);
  return {
    files: files.length,
    servicePipelines: files.filter(f => f !== platformFile).length,
    platformPipeline: platformFile !== undefined && files.includes(platformFile),
    largest,
    maxJobs,
  };
}

/** A timed synth: median seconds of its runs, each run's seconds, highest peak. */
interface SynthResult {
  readonly seconds: number;
  readonly samples: number[];
  readonly peakMiB?: number;
  readonly exitCode: number;
}

/** One row of the report: one (N, topology, engine). */
interface Row {
  readonly services: number;
  readonly topology: Topology;
  readonly engine: Engine;
  readonly synth: SynthResult;
  /** Empty when the synth succeeded; else the problems it printed (a refusal of a plan over the limits is a result). */
  readonly errors: string[];
  readonly pipelines?: { readonly service: number; readonly platform: boolean };
  readonly assembly?: AssemblyStats;
  readonly workflows?: WorkflowStats;
  /** The scoped synth of payments' pipeline (its own build); run when the full synth succeeded. */
  readonly scoped?: SynthResult & { readonly shard: string; readonly errors: string[] };
  readonly leadTime?: { readonly minutes: number; readonly approvals: number; readonly stages: LeadTime['stages'] } | { readonly error: string };
}

/** The shard whose pipeline deploys payments: what its own build scopes to. */
function shardOfChanged(copy: string, topology: Topology): string {
  if (topology === 'single') return SINGLE_SHARD_ID;
  if (topology === 'per-service') return CHANGED_SERVICE;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const manifest = (require(path.join(copy, 'services', CHANGED_SERVICE, 'service.ts')) as { default: { owner: string } }).default;
  return manifest.owner;
}

function leadTimeOf(copy: string, outdir: string, topology: Topology, engine: Engine, shard: string, synthSeconds: number): Row['leadTime'] {
  const options = { changedService: CHANGED_SERVICE, durations: { ...LEAD_TIME_DURATIONS, build: BUILD_WITHOUT_SYNTH_SECONDS + synthSeconds } };
  try {
    let lead: LeadTime;
    if (engine === 'github') {
      const file = path.join(copy, '.github', 'workflows', workflowFileName(topology, shard));
      lead = workflowLeadTime(fs.readFileSync(file, 'utf8'), options);
    } else {
      const name = shardStackName(topology, shard);
      const stack = topLevelStacks(outdir).find(s => s.name === name);
      if (!stack) throw new Error(`no stack ${name} in ${outdir}`);
      lead = codePipelineLeadTime(stack.template, options);
    }
    return { minutes: lead.totalSeconds / 60, approvals: lead.approvals, stages: lead.stages };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

function measure(copy: string, n: number, topology: Topology, engine: Engine, runs: number): Row {
  const label = `N=${n} ${topology}/${engine}`;
  const context = ['-c', `pipeline:topology=${topology}`, '-c', `pipeline:engine=${engine}`];
  const workflows = path.join(copy, '.github', 'workflows');
  const outdir = path.join(copy, `cdk.out-${topology}-${engine}`);
  const synth = repeat(runs, `${label} synth`, () => {
    fs.rmSync(outdir, { recursive: true, force: true });
    // Each engine/topology's full synth owns the workflows folder: start it empty so what is counted is this synth's.
    fs.rmSync(workflows, { recursive: true, force: true });
  }, () => runTimed(copy, ['synth', '-q', ...context, '-o', outdir]));
  const row: Row = {
    services: n,
    topology,
    engine,
    synth: { seconds: synth.seconds, samples: synth.samples, peakMiB: synth.peakMiB, exitCode: synth.exitCode },
    errors: synth.errors,
  };
  if (synth.exitCode !== 0) {
    for (const e of synth.errors) log(`${label}: ${e}`);
    return row;
  }

  const assembly = assemblyStats(topLevelStacks(outdir));
  const workflowsWritten = engine === 'github' ? workflowStats(workflows, topology) : undefined;
  const pipelines = workflowsWritten
    ? { service: workflowsWritten.servicePipelines, platform: workflowsWritten.platformPipeline }
    : { service: assembly.servicePipelines, platform: assembly.platformPipeline };
  const shard = shardOfChanged(copy, topology);
  const scopedOut = `${outdir}-scoped`;
  const scoped = repeat(runs, `${label} scoped synth (pipeline:${shard})`,
    () => fs.rmSync(scopedOut, { recursive: true, force: true }),
    () => runTimed(copy, ['synth', '-q', ...context, '-c', `platform:scope=pipeline:${shard}`, '-o', scopedOut]));
  for (const e of scoped.errors) log(`${label} scoped: ${e}`);
  // The changed service's pipeline builds with its scoped synth.
  const leadTime = leadTimeOf(copy, outdir, topology, engine, shard, scoped.seconds);
  return {
    ...row,
    pipelines,
    assembly,
    workflows: workflowsWritten,
    scoped: { shard, seconds: scoped.seconds, samples: scoped.samples, peakMiB: scoped.peakMiB, exitCode: scoped.exitCode, errors: scoped.errors },
    leadTime,
  };
}

const HEADER = ['N', 'topology', 'engine', 'synth s', 'peak MiB', 'pipelines (svc+platform)', 'largest pipeline stack resources',
  'CodeBuild projects (total / max)', 'largest stage actions', 'max stages', 'workflows (files / largest KB / max jobs)',
  'scoped synth s', 'lead time min (approvals)', 'result'];

function tableRow(r: Row): string[] {
  const dash = '-';
  const a = r.assembly;
  const hasPipelineStacks = a !== undefined && (a.servicePipelines > 0 || a.platformPipeline);
  const w = r.workflows;
  const lead = r.leadTime;
  const scoped = r.scoped;
  const result = r.synth.exitCode === 0
    ? (scoped && scoped.exitCode !== 0 ? `ok; scoped synth failed: ${scoped.errors.join(' / ')}` : 'ok')
    : `refused (exit ${r.synth.exitCode}): ${r.errors.slice(0, 3).join(' / ')}${r.errors.length > 3 ? ` / ... (${r.errors.length} lines)` : ''}`;
  return [
    String(r.services), r.topology, r.engine,
    r.synth.seconds.toFixed(1),
    r.synth.peakMiB?.toFixed(0) ?? dash,
    r.pipelines ? `${r.pipelines.service}${r.pipelines.platform ? ' + 1' : ''}` : dash,
    hasPipelineStacks && a.largestPipelineStack ? String(a.largestPipelineStack.resources) : dash,
    hasPipelineStacks ? `${a.codeBuildProjects.total} / ${a.codeBuildProjects.maxPerPipeline}` : dash,
    hasPipelineStacks && a.largestStageActions ? String(a.largestStageActions.actions) : dash,
    hasPipelineStacks ? String(a.maxStages) : dash,
    w ? `${w.files} / ${((w.largest?.bytes ?? 0) / 1024).toFixed(1)} / ${w.maxJobs?.jobs ?? 0}` : dash,
    scoped && scoped.exitCode === 0 ? scoped.seconds.toFixed(1) : scoped ? 'failed' : dash,
    lead ? ('error' in lead ? `error: ${lead.error}` : `${lead.minutes.toFixed(0)} (${lead.approvals})`) : dash,
    result.replace(/\|/g, '\\|'),
  ];
}

function markdown(rows: readonly Row[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(HEADER), line(HEADER.map(() => '---')), ...rows.map(r => line(tableRow(r)))].join('\n');
}

function main(argv: readonly string[]): void {
  const options = parseArgs(argv);
  log(`N ${options.services.join(', ')}; topologies ${options.topologies.join(', ')}; engines ${options.engines.join(', ')}; `
    + `${options.runs} run(s) each; ${os.cpus().length} cores, node ${process.version}`);
  // The copies left by a previous run describe another bench-scale.json: none is kept.
  fs.rmSync(SCALE_DIR, { recursive: true, force: true });
  // Every copy first, within seconds of each other: the working tree may change during a long run.
  const copies = new Map<number, { dir: string; source: string }>();
  for (const n of options.services) {
    log(`N=${n}: copying the repository to ${path.relative(ROOT, path.join(SCALE_DIR, `n${n}`))} with ${n - SHIPPED_SERVICES} generated services`);
    const dir = prepareCopy(n, options.iamRoleQuota);
    copies.set(n, { dir, source: sourceHash(dir) });
  }
  const sources = [...new Set([...copies.values()].map(c => c.source))];
  if (sources.length > 1) {
    log(`warning: the working tree changed while the copies were made (source hashes ${sources.join(', ')}): rows of different N may hold different code`);
  }
  const rows: Row[] = [];
  const write = () => {
    fs.mkdirSync(path.dirname(JSON_OUT), { recursive: true });
    fs.writeFileSync(JSON_OUT, `${JSON.stringify({
      date: new Date().toISOString(),
      machine: { cores: os.cpus().length, node: process.version, memoryMiB: Math.round(os.totalmem() / 2 ** 20) },
      options,
      gitHead: gitHead(),
      // The copies' code, which may include uncommitted changes: compare runs by this, not by the commit.
      sourceHashes: Object.fromEntries([...copies].map(([n, c]) => [`n${n}`, c.source])),
      leadTimeDurations: { ...LEAD_TIME_DURATIONS, build: `${BUILD_WITHOUT_SYNTH_SECONDS} + the scoped synth of the row` },
      rows,
    }, null, 2)}\n`);
  };
  for (const n of options.services) {
    const copy = copies.get(n)!.dir;
    for (const topology of options.topologies) {
      for (const engine of options.engines) {
        rows.push(measure(copy, n, topology, engine, options.runs));
        // Written after every row, so a long run interrupted keeps what it measured.
        write();
      }
    }
  }
  process.stdout.write(`${markdown(rows)}\n`);
  log(`rows written to ${path.relative(ROOT, JSON_OUT)}`);
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    if (e instanceof HelpRequested) {
      process.stdout.write(`${USAGE}\n`);
    } else {
      // A wrong flag is the user's mistake: say which and what is allowed, no stack trace.
      if (!(e instanceof UsageError)) throw e;
      process.stderr.write(`${e.message}\n${USAGE}\n`);
      process.exitCode = 2;
    }
  }
}
