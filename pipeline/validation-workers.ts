import * as fs from 'node:fs';
import * as os from 'node:os';
import { MessageChannel, MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type * as cdk from 'aws-cdk-lib';
import { SYNTH_PHASES, synthTimings } from '../kit';

/** A cfn-guard run: rule files and the templates they apply to. */
export interface GuardJob {
  readonly kind: 'guard';
  readonly rules: readonly string[];
  readonly templatePaths: readonly string[];
}

/** CDK's CloudFormation schema check of these templates (what CDK would give its plugin for them). */
export interface SchemaJob {
  readonly kind: 'schema';
  /**
   * No schema job is expected after this one: once it and any posted
   * before it have run, the thread holding CDK's engine (hundreds of MB)
   * stops, and the synth's thread runs the guard jobs it had not started.
   */
  readonly final?: boolean;
  /**
   * The templates are snapshots this job owns: removed once checked (they
   * live in memory, /dev/shm, and at 300 services add up to about 90 MB).
   */
  readonly removeAfter?: boolean;
  readonly stackTemplates: ReadonlyArray<{
    readonly stackConstructPath: string;
    readonly templatePath: string;
    readonly accountId?: string;
    readonly region?: string;
  }>;
}

export type ValidationJob = GuardJob | SchemaJob;

/** What a job's validator reported. */
export type JobReport = cdk.PolicyValidationPluginReportBeta1;

/**
 * Jobs whose start is claimed through shared memory (a job's slot: 0 not
 * started, {@link CLAIMED_BY_WORKER}, {@link CLAIMED_HERE}); later ones run
 * where they are posted, unclaimed.
 */
const CLAIM_SLOTS = 65_536;
const CLAIMED_BY_WORKER = 1;
const CLAIMED_HERE = 2;

/**
 * A worker thread's code. Jobs posted to it wait in its own queues and run
 * one at a time, schema jobs first (only a worker can run them: the
 * synth's thread never starts CDK's engine); a guard job runs only if the
 * synth's thread has not claimed it meanwhile (it runs the guard jobs still
 * waiting when it needs their results, instead of waiting for them). Each
 * answer goes to the worker's port and raises the shared counter, which
 * wakes the synth's thread.
 *
 * Guard jobs run `CfnGuardValidator` (cfn-guard processes); schema jobs run
 * CDK's `CloudFormationValidatePlugin`, one instance per thread: its engine
 * takes seconds and hundreds of MB to start, so it starts once, on first use.
 */
const WORKER = `
const fs = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');
const { port, signal, claims, guardModule, cdkModule } = workerData;
const queues = { schema: [], guard: [] };
let scheduled = false;
/** After the final schema job this thread takes no more guard jobs: the synth's thread will stop it. */
let retiring = false;
let schemaCheck;
/** Every resource type of the templates this thread's schema check has seen. */
const seenTypes = new Set();
/**
 * CDK's check starts its engine again (seconds) whenever a call holds a resource type the running engine was not
 * started for, and then starts it for that call's types only: with the templates of each stage checked as the stage
 * is written, types alternating between calls started it again and again. Started for every type seen so far, it
 * starts again only when a new type appears. The types choose only which of CDK's extra rules load (each applies to
 * resources of its own type), so the findings are the same.
 */
function startEngineFor(templatePaths) {
  if (typeof schemaCheck.initializeEngine !== 'function') return;
  const before = seenTypes.size;
  for (const file of templatePaths) {
    for (const resource of Object.values(JSON.parse(fs.readFileSync(file, 'utf8')).Resources ?? {})) {
      if (resource && typeof resource.Type === 'string') seenTypes.add(resource.Type);
    }
  }
  if (seenTypes.size > before) schemaCheck.initializeEngine(new Set(seenTypes));
}
function run(job) {
  if (job.kind === 'guard') {
    const { CfnGuardValidator } = require(guardModule);
    return new CfnGuardValidator({ controlTowerRulesEnabled: false, rules: job.rules }).validate({ templatePaths: job.templatePaths });
  }
  // A final job may hold nothing (every template was started before): it only tells this thread it can stop.
  if (job.stackTemplates.length === 0) return { success: true, violations: [] };
  schemaCheck ??= new (require(cdkModule).CloudFormationValidatePlugin)();
  startEngineFor(job.stackTemplates.map(t => t.templatePath));
  try {
    return schemaCheck.validate({ stackTemplates: job.stackTemplates, templatePaths: job.stackTemplates.map(t => t.templatePath) });
  } finally {
    if (job.removeAfter) for (const t of job.stackTemplates) fs.rmSync(t.templatePath, { force: true });
  }
}
function next() {
  scheduled = false;
  const { id, job } = queues.schema.shift() ?? (retiring ? undefined : queues.guard.shift()) ?? {};
  if (job === undefined) return;
  if (job.final) retiring = true;
  // Between jobs, the event loop takes the jobs posted meanwhile.
  if (queues.schema.length + (retiring ? 0 : queues.guard.length) > 0) schedule();
  if (id < claims.length && Atomics.compareExchange(claims, id, 0, ${CLAIMED_BY_WORKER}) !== 0) return;
  const started = performance.now();
  let answer;
  try {
    answer = { id, report: run(job) };
  } catch (e) {
    answer = { id, error: String((e && e.stack) || e) };
  }
  port.postMessage({ ...answer, kind: job.kind, final: job.final === true, ms: performance.now() - started });
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
}
function schedule() {
  if (!scheduled) setImmediate(next);
  scheduled = true;
}
parentPort.on('message', message => {
  queues[message.job.kind].push(message);
  schedule();
});
`;

/**
 * Worker threads running validation jobs while this thread does other work
 * (builds constructs, runs cdk-nag). Policy validation plugins are
 * synchronous: {@link wait} blocks on an atomic counter that the workers
 * raise, and reads their answers with `receiveMessageOnPort`, without the
 * event loop. While it waits, it runs the guard jobs no worker has started
 * yet itself.
 *
 * Schema jobs all go to the first thread, so CDK's engine is started once
 * whatever the number of threads, and they run before its guard jobs.
 */
export class ValidationWorkers {
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private readonly claims = new Int32Array(new SharedArrayBuffer(4 * CLAIM_SLOTS));
  private readonly workers: Array<{ worker: Worker; port: MessagePort }>;
  /** Answers received and not yet taken, by job id. */
  private readonly answers = new Map<number, { report?: JobReport; error?: string }>();
  /** Guard jobs posted and not answered, by id: this thread may run them itself. */
  private readonly guardJobs = new Map<number, GuardJob>();
  /** Schema jobs posted and not answered. */
  private schemaJobs = 0;
  /** Whether the final schema job has run (see {@link SchemaJob.final}). */
  private finalSeen = false;
  /** Whether the first thread (the schema checks') has stopped. */
  private retired = false;
  private nextId = 0;
  /** Milliseconds the threads spent on each kind of job. */
  public readonly busy = { guard: 0, schema: 0 };

  /**
   * @param lanes worker threads to start
   * @param runHere runs a guard job on this thread (for those it claims while it waits)
   * @param modules where the threads load `CfnGuardValidator` and CDK's
   * `CloudFormationValidatePlugin` from @default - the installed
   * `@cdklabs/cdk-validator-cfnguard` and `aws-cdk-lib`
   */
  constructor(
    public readonly lanes: number,
    private readonly runHere?: (job: GuardJob) => JobReport,
    modules: { readonly guard: string; readonly cdk: string } = { guard: require.resolve('@cdklabs/cdk-validator-cfnguard'), cdk: require.resolve('aws-cdk-lib') },
  ) {
    const workerData = { guardModule: modules.guard, cdkModule: modules.cdk, claims: this.claims };
    this.workers = Array.from({ length: lanes }, () => {
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(WORKER, { eval: true, workerData: { ...workerData, port: port2, signal: this.signal }, transferList: [port2] });
      // A synth that fails before validation must still exit.
      worker.unref();
      return { worker, port: port1 };
    });
  }

  /** Whether schema jobs can still be posted (not after the final one has run). */
  public get checksSchemas(): boolean {
    return !this.retired;
  }

  /**
   * Starts `job` on thread `lane` (schema jobs: always the first) and
   * returns its id for {@link wait}. A guard job for a thread that has
   * stopped goes to another, or waits for this thread to run it in wait().
   */
  public post(job: ValidationJob, lane = 0): number {
    const id = this.nextId++;
    if (job.kind === 'schema') {
      if (this.retired) throw new Error('schema job posted after the final one: check it on this thread');
      this.schemaJobs++;
      // Without a thread here to take over its guard jobs, the first thread never stops.
      this.workers[0].worker.postMessage({ id, job: this.runHere ? job : { ...job, final: false } });
      return id;
    }
    if (this.runHere && id < CLAIM_SLOTS) this.guardJobs.set(id, job);
    const live = this.retired ? this.workers.slice(1) : this.workers;
    if (live.length > 0) live[lane % live.length].worker.postMessage({ id, job });
    else if (!this.guardJobs.has(id)) throw new Error('guard job posted with no thread to run it');
    return id;
  }

  /** Waits for the jobs `ids` and returns their reports, in the same order. A job that failed throws. */
  public wait(ids: readonly number[]): JobReport[] {
    for (;;) {
      const seen = Atomics.load(this.signal, 0);
      // Each answer is posted before the counter is raised: a count seen here covers the answers read below.
      this.receive();
      const missing = ids.filter(id => !this.answers.has(id));
      if (missing.length === 0) break;
      // A guard job no worker has started: run it here rather than wait for it.
      const id = missing.find(i => this.guardJobs.has(i) && Atomics.compareExchange(this.claims, i, 0, CLAIMED_HERE) === 0);
      if (id !== undefined) {
        const job = this.guardJobs.get(id)!;
        this.guardJobs.delete(id);
        this.answers.set(id, { report: this.runHere!(job) });
        continue;
      }
      Atomics.wait(this.signal, 0, seen);
    }
    return ids.map(id => {
      const { report, error } = this.answers.get(id)!;
      this.answers.delete(id);
      if (!report) throw new Error(`policy validation failed in a worker thread: ${error ?? 'no report'}`);
      return report;
    });
  }

  public close(): void {
    // What ran beside the synth's thread (its time is not in any phase of the synth's own).
    synthTimings.count(SYNTH_PHASES.background, 'cfn-guard ms', Math.round(this.busy.guard));
    synthTimings.count(SYNTH_PHASES.background, 'schema check ms', Math.round(this.busy.schema));
    for (const { worker, port } of this.workers) {
      port.close();
      void worker.terminate();
    }
  }

  /** Takes the answers the workers have posted. */
  private receive(): void {
    for (const { port } of this.workers) {
      for (let answer = receiveMessageOnPort(port); answer; answer = receiveMessageOnPort(port)) {
        const { id, kind, ms, final, ...rest } = answer.message as {
          id: number; kind: ValidationJob['kind']; ms: number; final: boolean; report?: JobReport; error?: string;
        };
        this.busy[kind] += ms;
        this.guardJobs.delete(id);
        this.answers.set(id, rest);
        if (kind === 'schema') this.schemaJobs--;
        this.finalSeen ||= final;
      }
    }
    // The schema checks are over: their thread (and CDK's engine in it) stops. It started no guard job since the final
    // schema job: those it held are run elsewhere (claimed by this thread in wait()).
    if (this.finalSeen && this.schemaJobs === 0 && !this.retired) {
      this.retired = true;
      void this.workers[0].worker.terminate();
    }
  }
}

/** The threads of this process, shared by every app validated in it at once, and the apps using them. */
const processPool: { workers?: ValidationWorkers; readonly holders: Set<SharedValidationWorkers> } = { holders: new Set() };

/**
 * The background threads of one app's validation, shared by its plugins
 * (the Control Tower checks and CDK's schema check): started by the first
 * that needs them, released when every plugin that uses them has finished
 * its validation of the app.
 *
 * The threads themselves are the process's: an app synthesized while
 * another is being built (the member roles' templates, synthesized inside
 * the governance stage) posts to the same threads, so CDK's engine (hundreds
 * of MB) is started once, not once per app. They stop when no app holds
 * them.
 */
export class SharedValidationWorkers {
  private holding = false;
  private users = 0;
  private finished = 0;

  /**
   * @param lanes threads to start (the synth's own thread is not one of them)
   * @param runHere runs a guard job on the synth's thread (see {@link ValidationWorkers})
   */
  constructor(public readonly lanes: number, private readonly runHere?: (job: GuardJob) => JobReport) {}

  /** Whether there are threads to run on (none with a concurrency of one). */
  public get available(): boolean {
    return this.lanes > 0;
  }

  /** A plugin that will call {@link finish} at the end of each of its validations. */
  public addUser(): void {
    this.users++;
  }

  /** The threads, started now if no app holds them yet. */
  public get(): ValidationWorkers {
    if (!this.available) throw new Error('no background threads: concurrency is 1');
    processPool.workers ??= new ValidationWorkers(this.lanes, this.runHere);
    processPool.holders.add(this);
    this.holding = true;
    return processPool.workers;
  }

  /** The threads if this app holds them. */
  public get started(): ValidationWorkers | undefined {
    return this.holding ? processPool.workers : undefined;
  }

  /** Whether this app is the only one holding the threads (only then may it end the schema checks: see {@link SchemaJob.final}). */
  public get alone(): boolean {
    return this.holding && processPool.holders.size === 1;
  }

  /** One user is done with this validation: when all are, the app lets go of the threads (stopped if no other app holds them). */
  public finish(): void {
    if (++this.finished < this.users) return;
    this.finished = 0;
    if (!this.holding) return;
    this.holding = false;
    processPool.holders.delete(this);
    if (processPool.holders.size > 0) return;
    processPool.workers?.close();
    processPool.workers = undefined;
  }
}

/**
 * Where validation's scratch files go (trimmed copies, snapshots of
 * templates checked in the background): memory (/dev/shm) where there is
 * one, since a large synth writes thousands of them and file creation on
 * this machine's disk costs about half a millisecond each; else the temp
 * folder.
 */
export function scratchRoot(): string {
  try {
    fs.accessSync('/dev/shm', fs.constants.W_OK);
    return '/dev/shm';
  } catch {
    return os.tmpdir();
  }
}
