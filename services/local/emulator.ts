/**
 * The AWS API emulator of the local stage and of the integration tests:
 * moto server, from the project's own virtual environment (`.venv/`, which
 * `npx projen moto:install` fills with the pinned release).
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

/** The repository this file belongs to. */
const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** Where `npx projen moto:install` puts moto server. */
export const MOTO_SERVER_BIN = path.join(REPO_ROOT, '.venv', 'bin', 'moto_server');

/**
 * A mistake the person starting the local stage can fix (moto missing, a
 * port taken, an unknown service): printed as one line, never with a stack.
 */
export class LocalStageError extends Error {
  public readonly name = 'LocalStageError';
}

/** A moto server this process started. */
export interface Emulator {
  readonly port: number;
  /** `http://127.0.0.1:PORT`: what the SDK clients of the stage and of the handlers use. */
  readonly url: string;
  /** `http://localhost:PORT` (the CDK CLI needs a host name, not an address). */
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** Options of {@link startEmulator}. */
export interface EmulatorOptions {
  /** @default - a free loopback port */
  readonly port?: number;
  /** @default 30000 */
  readonly timeoutMs?: number;
  /** @default MOTO_SERVER_BIN */
  readonly bin?: string;
}

/**
 * Starts a fresh moto server on a loopback port and waits until it answers.
 * Throws a {@link LocalStageError} when moto is not installed or the port is
 * taken, and an Error when it does not start within the timeout.
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const bin = options.bin ?? MOTO_SERVER_BIN;
  const timeoutMs = options.timeoutMs ?? 30_000;
  if (!fs.existsSync(bin)) {
    const relative = path.relative(process.cwd(), bin);
    const shown = relative === '' || relative.startsWith('..') ? bin : relative;
    throw new LocalStageError(`moto server is not installed (${shown} is missing): run npx projen moto:install`);
  }
  const port = options.port ?? await freePort();
  if (options.port !== undefined) await assertPortFree(port, 'the AWS API emulator (--emulator-port)');
  const child = spawn(bin, ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  stopOnExit(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  let exited = false;
  child.on('exit', () => { exited = true; });

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new Error(`moto server exited at start:\n${output}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/moto-api/data.json`);
      if (response.ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`moto server did not answer on port ${port} within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise(resolve => setTimeout(resolve, 100));
  }
  return { port, url: `http://127.0.0.1:${port}`, endpoint: `http://localhost:${port}`, stop: () => stopChild(child) };
}

/** Children to stop if this process exits without stopping them (an uncaught error, process.exit()). */
const children = new Set<ChildProcess>();
let exitHookInstalled = false;

function stopOnExit(child: ChildProcess): void {
  children.add(child);
  child.on('exit', () => children.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const c of children) c.kill('SIGKILL');
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise(resolve => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** Throws a {@link LocalStageError} naming `what` when something listens on `port` already. */
export function assertPortFree(port: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (e: NodeJS.ErrnoException) => {
      reject(e.code === 'EADDRINUSE'
        ? new LocalStageError(`port ${port} for ${what} is taken by another process: stop it, or choose another port`)
        : e);
    });
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}
