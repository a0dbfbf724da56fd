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
 *
 * With --feedback on (the default), each row also runs the developer's loop
 * against two floors and prints where each synth spends its time, by phase
 * (test/bench/scale-report.ts): floor A (the same app, our policy validation
 * plugins ignored: test/bench/floor-a.cjs) first from nothing and then warm,
 * the first full synth from no bundles and no validation cache, a second one
 * with nothing changed, one after editing a payments handler, and floor B (a
 * plain CDK app with only the same Lambda functions: test/bench/floor-b.ts).
 * With --cpu-prof, the first full synth runs under V8's profiler and the
 * app's profile is summarized (test/bench/cpu-profile.ts).
 *
 * With --unit-suite, it measures the unit suite instead: its time from
 * nothing with each number of services, and its growth per added service
 * (test/bench/unit-suite.ts).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { renderProfileSummary, summarizeProfile, CpuProfile, ProfileSummary } from './cpu-profile';
import { generateServices } from './generate-services';
import { Engine, HelpRequested, Options, parseArgs, SHIPPED_SERVICES, Topology, USAGE, UsageError } from './scale-args';
import { assemblyCounts, feedbackFigures, FeedbackFigures, FeedbackSteps, median, renderFeedback, StepResult } from './scale-report';
import { measureUnitSuite, renderUnitSuite, UnitSuiteRow } from './unit-suite';
import { PLATFORM_PIPELINE_STACK_NAME } from '../../accounts';
import { SynthTimingsReport } from '../../kit';
import { SYNTH_TIMINGS_ENV } from '../../main';
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
const UNIT_SUITE_JSON_OUT = path.join(ROOT, '.build', 'bench-unit-suite.json');

/** What a copy needs to synthesize: the app, its declarations, and the post-deploy suites the pipelines reference. */
const COPIED = ['accounts', 'governance', 'kit', 'pipeline', 'services', 'main.ts', 'cdk.json', 'package.json',
  'tsconfig.json', 'tsconfig.dev.json', 'test/e2e', 'test/integration'];
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

/** One run of a command: wall time, peak RSS and outcome. */
interface Timed {
  readonly seconds: number;
  /**
   * Peak memory of the run, MiB: the resident memory of all its processes at
   * once (the app, esbuild's service, cfn-guard, the CDK CLI), sampled every
   * 250 ms; where /proc is missing, the largest process's (GNU time).
   */
  readonly peakMiB?: number;
  /** The processes alive at the peak, largest first ("<MiB> MiB <command>"). */
  readonly peakProcesses?: string[];
  readonly exitCode: number;
  /** On failure: the problems the synth printed, without stack frames. */
  readonly errors: string[];
  /** The phases the app wrote (PLATFORM_SYNTH_TIMINGS), when it was asked to. */
  readonly timings?: SynthTimingsReport;
}

const TIME_BIN = '/usr/bin/time';

/** How a synth runs, besides its arguments. */
interface RunOptions {
  /** Where the app writes its phases (PLATFORM_SYNTH_TIMINGS). @default - not written */
  readonly timingsFile?: string;
  /** Node options added to {@link NODE_OPTIONS} for every process of the run. @default - none */
  readonly nodeOptions?: readonly string[];
  /** Environment variables added for the run. @default - none */
  readonly env?: Readonly<Record<string, string>>;
}

/** Runs `command` in `cwd` under GNU time; reads the timings file the app wrote, if one was asked for. */
function runTimed(cwd: string, command: readonly string[], options: RunOptions = {}): Timed {
  const withTime = fs.existsSync(TIME_BIN);
  if (options.timingsFile) fs.rmSync(options.timingsFile, { force: true });
  const memory = sampleTreeMemory();
  const start = process.hrtime.bigint();
  const result = spawnSync(withTime ? TIME_BIN : command[0], withTime ? ['-f', '%M', ...command] : command.slice(1), {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      NODE_OPTIONS: [NODE_OPTIONS, ...options.nodeOptions ?? []].join(' '),
      CI: 'true',
      ...(options.timingsFile ? { [SYNTH_TIMINGS_ENV]: options.timingsFile } : {}),
      ...options.env,
    },
    // The app prints a summary naming every stack: large at a large N.
    maxBuffer: 1024 * 1024 * 1024,
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const tree = memory?.stop();
  if (result.error) throw result.error;
  const lines = (result.stderr ?? '').split('\n').map(l => l.trimEnd()).filter(l => l.trim() !== '');
  // GNU time prints %M last, after "Command exited with non-zero status N" on failure.
  const kib = withTime ? Number(lines.pop()) : NaN;
  const exitCode = result.status ?? 1;
  const errors = exitCode === 0 ? [] : errorLines(lines);
  const timings = options.timingsFile && fs.existsSync(options.timingsFile)
    ? JSON.parse(fs.readFileSync(options.timingsFile, 'utf8')) as SynthTimingsReport
    : undefined;
  const peakKiB = tree?.kib ?? kib;
  const peakProcesses = tree?.processes.map(line => {
    const [processKiB, ...rest] = line.split(' ');
    return `${(Number(processKiB) / 1024).toFixed(0)} MiB ${rest.join(' ')}`;
  });
  return { seconds, peakMiB: Number.isFinite(peakKiB) ? peakKiB / 1024 : undefined, peakProcesses, exitCode, errors, timings };
}

const TREE_MEMORY = path.join(__dirname, 'tree-memory.cjs');

/**
 * Starts sampling the memory of every process this one starts from now on
 * (test/bench/tree-memory.cjs); `stop()` ends it and returns the peak, KiB.
 * Undefined without /proc.
 */
function sampleTreeMemory(): { stop(): { kib: number; processes: string[] } | undefined } | undefined {
  if (!fs.existsSync('/proc/self/status')) return undefined;
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-memory-')), 'peak');
  const sampler = spawn(process.execPath, [TREE_MEMORY, String(process.pid), file, '250'], { stdio: 'ignore' });
  return {
    stop() {
      sampler.kill();
      try {
        const processes = fs.existsSync(`${file}.processes`) ? fs.readFileSync(`${file}.processes`, 'utf8').split('\n') : [];
        return { kib: Number(fs.readFileSync(file, 'utf8')), processes };
      } catch {
        return undefined;
      } finally {
        fs.rmSync(path.dirname(file), { recursive: true, force: true });
      }
    },
  };
}

/** `npx cdk <args>` in `cwd`, timed. */
function runCdk(cwd: string, args: readonly string[], options: RunOptions = {}): Timed {
  return runTimed(cwd, ['npx', 'cdk', ...args], options);
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

/**
 * `runs` runs of the same command (`run` gets the run's index): median time,
 * highest peak, the last run's outcome, and the timings of the run of median
 * time (the lower middle for an even number of runs).
 */
function repeat(runs: number, label: string, before: () => void, run: (i: number) => Timed): StepResult {
  const samples: Timed[] = [];
  for (let i = 0; i < runs; i++) {
    before();
    const t = run(i);
    log(`${label}: run ${i + 1}/${runs} ${t.seconds.toFixed(1)} s, ${t.peakMiB?.toFixed(0) ?? '?'} MiB, exit ${t.exitCode}`);
    if (t.peakProcesses?.length) log(`  at the peak: ${t.peakProcesses.join('; ')}`);
    samples.push(t);
    // A refusal is deterministic: repeating it measures nothing new.
    if (t.exitCode !== 0) break;
  }
  const last = samples[samples.length - 1];
  const peaks = samples.flatMap(s => (s.peakMiB === undefined ? [] : [s.peakMiB]));
  const timed = [...samples].sort((a, b) => a.seconds - b.seconds)[Math.floor((samples.length - 1) / 2)];
  return {
    exitCode: last.exitCode,
    errors: last.errors,
    seconds: median(samples.map(s => s.seconds)),
    peakMiB: peaks.length ? Math.max(...peaks) : undefined,
    samples: samples.map(s => Number(s.seconds.toFixed(2))),
    timings: last.exitCode === 0 ? timed.timings : undefined,
    timedRunSeconds: last.exitCode === 0 && timed.timings ? Number(timed.seconds.toFixed(3)) : undefined,
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
  /** The full synth (with --feedback on, from no bundles and no validation cache; with --cpu-prof, under the profiler). */
  readonly synth: SynthResult;
  /** Empty when the synth succeeded; else the problems it printed (a refusal of a plan over the limits is a result). */
  readonly errors: string[];
  readonly pipelines?: { readonly service: number; readonly platform: boolean };
  readonly assembly?: AssemblyStats;
  readonly workflows?: WorkflowStats;
  /** The scoped synth of payments' pipeline (its own build); run when the full synth succeeded. */
  readonly scoped?: SynthResult & { readonly shard: string; readonly errors: string[] };
  readonly leadTime?: { readonly minutes: number; readonly approvals: number; readonly stages: LeadTime['stages'] } | { readonly error: string };
  /** The floors and feedback synths (--feedback on), with their phases. */
  readonly feedback?: Feedback;
  /** The app's CPU profile during the full synth (--cpu-prof). */
  readonly cpuProfile?: { readonly file: string; readonly profiles: number; readonly summary: ProfileSummary } | { readonly error: string };
}

/** What a row's feedback sequence measured. */
interface Feedback {
  readonly steps: Partial<FeedbackSteps>;
  /** The handler the edit step changed, relative to the copy. */
  readonly editedFile: string;
  /** The first synth's cloud assembly, nested assemblies included. */
  readonly firstAssembly?: { readonly stacks: number; readonly resources: number };
  readonly figures: FeedbackFigures;
}

/** The shard whose pipeline deploys payments: what its own build scopes to. */
function shardOfChanged(copy: string, topology: Topology): string {
  if (topology === 'single') return SINGLE_SHARD_ID;
  if (topology === 'per-service') return CHANGED_SERVICE;
  return changedManifest(copy).owner;
}

function changedManifest(copy: string): { owner: string; functions: Record<string, { handler: string }> } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(path.join(copy, 'services', CHANGED_SERVICE, 'service.ts')) as { default: ReturnType<typeof changedManifest> }).default;
}

/** The source of the changed service's first function in `copy`, as its manifest names it (`functions[...].handler`). */
function changedHandler(copy: string): string {
  const first = Object.values(changedManifest(copy).functions)[0];
  if (!first) throw new Error(`services/${CHANGED_SERVICE}/service.ts: no function to edit`);
  return path.join(copy, 'services', CHANGED_SERVICE, first.handler);
}

/**
 * Runs `run` with a code change appended to `file` (a new exported constant:
 * it survives minification, so the bundle, its asset hash and the templates
 * deploying it change, as with a real edit), then puts the file back.
 */
function withEditedFile<T>(file: string, run: () => T): T {
  const original = fs.readFileSync(file);
  // A new value each time, so that no bundle recorded earlier matches the edited source.
  fs.appendFileSync(file, `\nexport const benchScaleEdit = '${new Date().toISOString()}';\n`);
  try {
    return run();
  } finally {
    fs.writeFileSync(file, original);
  }
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

/** The preload that makes a synth floor A (our validation plugins ignored). */
const FLOOR_A_PRELOAD = path.join(__dirname, 'floor-a.cjs');
/** The plain CDK app of floor B, run with tsx in a copy. */
const FLOOR_B_SCRIPT = path.join(__dirname, 'floor-b.ts');

/** Deletes what makes a synth warm: built bundles and cached validation results (main.ts's BUNDLE_DIR and VALIDATION_CACHE_DIR). */
function removeCaches(copy: string): void {
  fs.rmSync(path.join(copy, '.build', 'bundles'), { recursive: true, force: true });
  fs.rmSync(path.join(copy, '.build', 'validation-cache'), { recursive: true, force: true });
}

/** Quoted for NODE_OPTIONS, which splits on spaces outside double quotes. */
const quoted = (file: string) => JSON.stringify(file);

/** The preload that profiles where NODE_OPTIONS may not carry --cpu-prof. */
const CPU_PROF_PRELOAD = path.join(__dirname, 'cpu-prof.cjs');

/**
 * How a run writes CPU profiles into `dir`: node's own --cpu-prof where
 * NODE_OPTIONS may carry it, else (Node 20 refuses it there) a preload that
 * runs the same V8 profiler (test/bench/cpu-prof.cjs).
 */
function cpuProfiling(dir: string): RunOptions {
  return process.allowedNodeEnvironmentFlags.has('--cpu-prof')
    ? { nodeOptions: ['--cpu-prof', `--cpu-prof-dir=${quoted(dir)}`] }
    : { nodeOptions: ['--require', quoted(CPU_PROF_PRELOAD)], env: { BENCH_CPU_PROF_DIR: dir } };
}

/** The summary of the largest profile of `dir`: the app's process (the CLI, npx and tsx's launcher sample far less). */
function appProfile(dir: string, copy: string): Row['cpuProfile'] {
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter(f => f.endsWith('.cpuprofile')) : [];
  const largest = files.map(f => ({ f, size: fs.statSync(path.join(dir, f)).size })).sort((a, b) => b.size - a.size)[0];
  if (!largest) return { error: `no .cpuprofile in ${path.relative(ROOT, dir)}` };
  const file = path.join(dir, largest.f);
  const text = fs.readFileSync(file, 'utf8');
  if (!text.includes('/main.ts')) log(`warning: the largest profile ${path.relative(ROOT, file)} names no main.ts: it may not be the app's`);
  return { file: path.relative(ROOT, file), profiles: files.length, summary: summarizeProfile(JSON.parse(text) as CpuProfile, copy) };
}

function measure(copy: string, n: number, topology: Topology, engine: Engine, options: Options): Row {
  const { runs } = options;
  const label = `N=${n} ${topology}/${engine}`;
  const rowId = `${topology}-${engine}`;
  const context = ['-c', `pipeline:topology=${topology}`, '-c', `pipeline:engine=${engine}`];
  const workflows = path.join(copy, '.github', 'workflows');
  const outdir = path.join(copy, `cdk.out-${rowId}`);
  const timingsFile = (step: string) => (i: number) => path.join(copy, '.build', 'bench-timings', `${rowId}-${step}-${i + 1}.json`);
  const synthArgs = ['synth', '-q', ...context];
  const steps: { -readonly [K in keyof FeedbackSteps]?: StepResult } = {};
  const editedFile = changedHandler(copy);
  const feedback = (): Feedback => {
    const firstAssembly = steps.first?.exitCode === 0 ? assemblyCounts(outdir) : undefined;
    return { steps, editedFile: path.relative(copy, editedFile), firstAssembly, figures: feedbackFigures(steps, firstAssembly) };
  };

  if (options.feedback) {
    // Floor A: the same app, our policy validation plugins ignored; first from nothing, then with its bundles.
    const floorOut = `${outdir}-floor-a`;
    const floorA = (step: string) => (i: number) =>
      runCdk(copy, [...synthArgs, '-o', floorOut], { timingsFile: timingsFile(step)(i), nodeOptions: ['--require', quoted(FLOOR_A_PRELOAD)] });
    steps.floorAFirst = repeat(runs, `${label} floor A, first`, () => {
      removeCaches(copy);
      fs.rmSync(floorOut, { recursive: true, force: true });
    }, floorA('floor-a-first'));
    steps.floorASecond = repeat(runs, `${label} floor A, second`, () => undefined, floorA('floor-a-second'));
    for (const phase of feedbackFigures(steps).floorAValidationPhases) log(`${label}: WARNING: floor A ran ${phase}`);
  }

  const profileDir = path.join(copy, '.build', 'cpu-prof', rowId);
  const synth = repeat(runs, `${label} synth${options.feedback ? ' (first: no bundles, no validation cache)' : ''}`, () => {
    fs.rmSync(outdir, { recursive: true, force: true });
    // Each engine/topology's full synth owns the workflows folder: start it empty so what is counted is this synth's.
    fs.rmSync(workflows, { recursive: true, force: true });
    if (options.feedback) removeCaches(copy);
    if (options.cpuProf) fs.rmSync(profileDir, { recursive: true, force: true });
  }, i => runCdk(copy, [...synthArgs, '-o', outdir], { timingsFile: timingsFile('first')(i), ...options.cpuProf ? cpuProfiling(profileDir) : {} }));
  steps.first = synth;
  const row: Row = {
    services: n,
    topology,
    engine,
    synth: { seconds: synth.seconds, samples: synth.samples, peakMiB: synth.peakMiB, exitCode: synth.exitCode },
    errors: synth.errors,
    cpuProfile: options.cpuProf ? appProfile(profileDir, copy) : undefined,
  };
  if (synth.exitCode !== 0) {
    for (const e of synth.errors) log(`${label}: ${e}`);
    return options.feedback ? { ...row, feedback: feedback() } : row;
  }

  const assembly = assemblyStats(topLevelStacks(outdir));
  const workflowsWritten = engine === 'github' ? workflowStats(workflows, topology) : undefined;
  const pipelines = workflowsWritten
    ? { service: workflowsWritten.servicePipelines, platform: workflowsWritten.platformPipeline }
    : { service: assembly.servicePipelines, platform: assembly.platformPipeline };

  if (options.feedback) {
    // As a developer runs it again: bundles, validation cache and cdk.out kept.
    steps.second = repeat(runs, `${label} second synth`, () => undefined,
      i => runCdk(copy, [...synthArgs, '-o', outdir], { timingsFile: timingsFile('second')(i) }));
    // Floor B while the bundles are those of the unedited sources.
    const floorBOut = `${outdir}-floor-b`;
    steps.floorB = repeat(runs, `${label} floor B`, () => fs.rmSync(floorBOut, { recursive: true, force: true }),
      i => runTimed(copy, ['npx', 'tsx', FLOOR_B_SCRIPT, floorBOut], { timingsFile: timingsFile('floor-b')(i) }));
    for (const e of steps.floorB.errors) log(`${label} floor B: ${e}`);
  }

  const shard = shardOfChanged(copy, topology);
  const scopedOut = `${outdir}-scoped`;
  const scoped = repeat(runs, `${label} scoped synth (pipeline:${shard})`,
    () => fs.rmSync(scopedOut, { recursive: true, force: true }),
    () => runCdk(copy, [...synthArgs, '-c', `platform:scope=pipeline:${shard}`, '-o', scopedOut]));
  for (const e of scoped.errors) log(`${label} scoped: ${e}`);
  // The changed service's pipeline builds with its scoped synth.
  const leadTime = leadTimeOf(copy, outdir, topology, engine, shard, scoped.seconds);

  if (options.feedback) {
    // Last: the sources are put back afterwards, but the bundles of the edit stay until the next synth rebuilds them.
    steps.afterEdit = repeat(runs, `${label} after editing ${path.relative(copy, editedFile)}`, () => undefined,
      i => withEditedFile(editedFile, () => runCdk(copy, [...synthArgs, '-o', outdir], { timingsFile: timingsFile('after-edit')(i) })));
  }
  return {
    ...row,
    pipelines,
    assembly,
    workflows: workflowsWritten,
    scoped: { shard, seconds: scoped.seconds, samples: scoped.samples, peakMiB: scoped.peakMiB, exitCode: scoped.exitCode, errors: scoped.errors },
    leadTime,
    feedback: options.feedback ? feedback() : undefined,
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

/** A row's per-phase table and CPU profile summary, under a heading; empty when it has neither. */
function rowDetails(r: Row): string {
  const parts: string[] = [];
  if (r.feedback) {
    const { steps, firstAssembly, editedFile } = r.feedback;
    parts.push(renderFeedback(steps, { assembly: firstAssembly, editedFile, profiled: r.cpuProfile !== undefined }));
  }
  if (r.cpuProfile) {
    parts.push('error' in r.cpuProfile
      ? `CPU profile: ${r.cpuProfile.error}`
      : renderProfileSummary(r.cpuProfile.summary, `CPU profile of the app during the first synth (${r.cpuProfile.file}, the largest of ${r.cpuProfile.profiles})`));
  }
  return parts.length === 0 ? '' : [`### N=${r.services} ${r.topology}/${r.engine}`, ...parts].join('\n\n');
}

/** `--unit-suite`: the unit suite's time for each number of services, and its growth per added service. */
function mainUnitSuite(options: Options): void {
  const counts = options.unitSuite!;
  log(`unit suite with ${counts.join(', ')} services; ${options.runs} run(s) each; ${os.cpus().length} cores, node ${process.version}`);
  const rows: UnitSuiteRow[] = [];
  for (const n of counts) {
    const copy = path.join(SCALE_DIR, `unit-n${n}`);
    log(`N=${n}: copying the repository to ${path.relative(ROOT, copy)} with ${n - SHIPPED_SERVICES} generated services`);
    rows.push(measureUnitSuite(ROOT, copy, n, options.runs, log));
    fs.mkdirSync(path.dirname(UNIT_SUITE_JSON_OUT), { recursive: true });
    fs.writeFileSync(UNIT_SUITE_JSON_OUT, `${JSON.stringify({
      date: new Date().toISOString(),
      machine: { cores: os.cpus().length, node: process.version, memoryMiB: Math.round(os.totalmem() / 2 ** 20) },
      gitHead: gitHead(),
      rows,
    }, null, 2)}\n`);
  }
  process.stdout.write(`${renderUnitSuite(rows)}\n`);
  log(`rows written to ${path.relative(ROOT, UNIT_SUITE_JSON_OUT)}`);
}

function main(argv: readonly string[]): void {
  const options = parseArgs(argv);
  if (options.unitSuite) {
    mainUnitSuite(options);
    return;
  }
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
        rows.push(measure(copy, n, topology, engine, options));
        // Written after every row, so a long run interrupted keeps what it measured.
        write();
      }
    }
  }
  process.stdout.write(`${markdown(rows)}\n`);
  for (const details of rows.map(rowDetails).filter(d => d !== '')) process.stdout.write(`\n${details}\n`);
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
