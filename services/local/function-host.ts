/**
 * Runs one service function of the local stage as Lambda runs it: its
 * handler module loaded once per execution environment (cold start), with
 * its own environment variables, invoked with an event and a context, and
 * stopped when its timeout passes. Here an execution environment is a worker
 * thread: `process.env` is the worker's own, so functions of different
 * services (whose variables differ) never see each other's.
 *
 * The handler is loaded from its TypeScript source (through tsx): a change
 * to the service's files ends the environment, and the next invocation
 * starts a new one with the new code, without restarting the stage.
 */
import { Worker } from 'node:worker_threads';

/** One function of the stage. */
export interface FunctionSpec {
  /** `<service>-<function id>`: the function's name (AWS_LAMBDA_FUNCTION_NAME). */
  readonly name: string;
  /** Absolute path of the handler's TypeScript file (it exports `handler`). */
  readonly handlerFile: string;
  /** The function's environment variables. */
  readonly environment: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
  readonly memoryMiB: number;
}

/** How an invocation ended. */
export type InvocationResult =
  | { readonly ok: true; readonly result: unknown; readonly coldStart: boolean }
  | { readonly ok: false; readonly errorType: string; readonly errorMessage: string; readonly coldStart: boolean };

/** The code of each worker: loads the handler, then answers invocations. */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { register } = require(workerData.tsxApi);
register();
let handler;
let initError;
try {
  const loaded = require(workerData.handlerFile);
  handler = loaded.handler;
  if (typeof handler !== 'function') initError = { errorType: 'Runtime.HandlerNotFound', errorMessage: workerData.handlerFile + ' does not export a function named handler' };
} catch (e) {
  initError = { errorType: 'Runtime.ImportModuleError', errorMessage: String((e && e.stack) || e) };
}
parentPort.on('message', async ({ id, event, deadline, requestId }) => {
  if (initError) return parentPort.postMessage({ id, ...initError });
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: workerData.name,
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:' + process.env.AWS_REGION + ':000000000000:function:' + workerData.name + ':live',
    memoryLimitInMB: String(workerData.memoryMiB),
    awsRequestId: requestId,
    logGroupName: '/aws/lambda/' + workerData.name,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined, fail: () => undefined, succeed: () => undefined,
  };
  try {
    const result = await handler(event, context);
    parentPort.postMessage({ id, result: result === undefined ? null : JSON.parse(JSON.stringify(result)) });
  } catch (e) {
    console.error(JSON.stringify({ level: 'ERROR', message: 'Invoke Error', function: workerData.name, errorType: (e && e.name) || 'Error', errorMessage: String((e && e.message) || e) }));
    parentPort.postMessage({ id, errorType: (e && e.name) || 'Error', errorMessage: String((e && e.message) || e) });
  }
});
`;

/** A function's execution environment and the invocations waiting on it. */
interface Environment {
  readonly worker: Worker;
  readonly pending: Map<number, { resolve: (r: InvocationResult) => void; timer: NodeJS.Timeout }>;
  invoked: boolean;
  /** Set when the code changed: ends once nothing is pending. */
  stale: boolean;
}

/** Runs the invocations of one function, one execution environment at a time. */
export class FunctionHost {
  private environment?: Environment;
  private nextId = 0;
  private stopped = false;

  /** @param log where the handler's output goes, a line at a time (its structured logs) @default - this process's stdout and stderr */
  constructor(public readonly spec: FunctionSpec, private readonly log?: (line: string) => void) {}

  /** Invokes the handler with `event`; resolves with its result, its error, or a timeout. */
  public invoke(event: unknown, requestId: string): Promise<InvocationResult> {
    if (this.stopped) return Promise.resolve({ ok: false, errorType: 'Local.Stopped', errorMessage: 'the local stage is stopping', coldStart: false });
    const env = this.environment && !this.environment.stale ? this.environment : this.start();
    const coldStart = !env.invoked;
    env.invoked = true;
    const id = this.nextId++;
    const timeoutMs = this.spec.timeoutSeconds * 1000;
    return new Promise<InvocationResult>(resolve => {
      const timer = setTimeout(() => {
        env.pending.delete(id);
        resolve({ ok: false, errorType: 'Sandbox.Timedout', errorMessage: `Task timed out after ${this.spec.timeoutSeconds}.00 seconds`, coldStart });
        // As Lambda: a timed-out environment is not reused.
        void this.end(env);
      }, timeoutMs);
      env.pending.set(id, {
        resolve: r => { clearTimeout(timer); resolve({ ...r, coldStart }); },
        timer,
      });
      env.worker.postMessage({ id, event, requestId, deadline: Date.now() + timeoutMs });
    });
  }

  /** The code changed: the next invocation starts a new environment (the current one ends when its invocations do). */
  public reload(): void {
    const env = this.environment;
    if (!env) return;
    env.stale = true;
    if (env.pending.size === 0) void this.end(env);
  }

  /** Ends the environment; pending invocations end as failed. */
  public async stop(): Promise<void> {
    this.stopped = true;
    if (this.environment) await this.end(this.environment);
  }

  private start(): Environment {
    const worker = new Worker(WORKER, {
      eval: true,
      env: { ...this.spec.environment },
      workerData: {
        handlerFile: this.spec.handlerFile,
        name: this.spec.name,
        memoryMiB: this.spec.memoryMiB,
        tsxApi: require.resolve('tsx/cjs/api'),
      },
      // As Lambda's memory setting bounds the function (the heap only, close enough to catch a leak); at least 256 MB,
      // for what the local stage adds (tsx, source maps) to a small function.
      resourceLimits: { maxOldGenerationSizeMb: Math.max(256, this.spec.memoryMiB) },
      stdout: this.log !== undefined,
      stderr: this.log !== undefined,
    });
    if (this.log) {
      for (const stream of [worker.stdout, worker.stderr]) forwardLines(stream, this.log);
    }
    const env: Environment = { worker, pending: new Map(), invoked: false, stale: false };
    worker.on('message', (message: { id: number; result?: unknown; errorType?: string; errorMessage?: string }) => {
      const waiting = env.pending.get(message.id);
      if (!waiting) return;
      env.pending.delete(message.id);
      waiting.resolve(message.errorType !== undefined
        ? { ok: false, errorType: message.errorType, errorMessage: message.errorMessage ?? '', coldStart: false }
        : { ok: true, result: message.result, coldStart: false });
      if (env.stale && env.pending.size === 0) void this.end(env);
    });
    const fail = (errorType: string, errorMessage: string) => {
      for (const [id, waiting] of env.pending) {
        clearTimeout(waiting.timer);
        env.pending.delete(id);
        waiting.resolve({ ok: false, errorType, errorMessage, coldStart: false });
      }
      if (this.environment === env) this.environment = undefined;
    };
    worker.on('error', e => fail('Runtime.ExitError', String(e.stack ?? e)));
    worker.on('exit', code => fail('Runtime.ExitError', `the execution environment exited (code ${code})`));
    this.environment = env;
    return env;
  }

  private async end(env: Environment): Promise<void> {
    if (this.environment === env) this.environment = undefined;
    await env.worker.terminate();
  }
}

/** Calls `log` with each line `stream` writes. */
function forwardLines(stream: NodeJS.ReadableStream, log: (line: string) => void): void {
  let rest = '';
  stream.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString()).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') log(line);
  });
  stream.on('end', () => { if (rest.trim() !== '') log(rest); });
}
