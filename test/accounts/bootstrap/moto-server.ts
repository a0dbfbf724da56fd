import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { REPO_ROOT } from '../../fixtures/organization';

/** A moto server this test file started. */
export interface MotoServer {
  /** `http://localhost:PORT` (the CDK CLI needs localhost, not 127.0.0.1). */
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** Where `npx projen moto:install` puts moto. */
export const MOTO_SERVER_BIN = path.join(REPO_ROOT, '.venv', 'bin', 'moto_server');

/**
 * Starts a fresh moto server on a free loopback port and waits until it
 * answers. Throws (so the suite fails, never skips) when moto is not
 * installed or does not start within `timeoutMs`.
 */
export async function startMotoServer(timeoutMs = 30_000): Promise<MotoServer> {
  if (!fs.existsSync(MOTO_SERVER_BIN)) {
    throw new Error(`moto server is not installed (${MOTO_SERVER_BIN} is missing): run npx projen moto:install`);
  }
  const port = await freePort();
  const child = spawn(MOTO_SERVER_BIN, ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
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
      await stop(child);
      throw new Error(`moto server did not answer on port ${port} within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise(resolve => setTimeout(resolve, 200));
  }
  return { endpoint: `http://localhost:${port}`, stop: () => stop(child) };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise(resolve => child.on('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** A port nobody listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}
