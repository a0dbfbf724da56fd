import { spawn } from 'node:child_process';
import * as path from 'node:path';

/** How a CDK CLI run ended. */
export interface CdkRunResult {
  readonly exitCode: number;
  /** stdout and stderr, interleaved. */
  readonly output: string;
}

/** Runs the CDK CLI; injectable so unit tests never spawn it. */
export type CdkRunner = (args: readonly string[], env: NodeJS.ProcessEnv) => Promise<CdkRunResult>;

/** The repository root: the pinned CDK CLI is in its node_modules. */
const REPO_ROOT = path.resolve(__dirname, '..', '..');

/**
 * The project's pinned CDK CLI (`npx --no-install cdk`, so a missing install
 * fails instead of downloading another version), run from the repository root.
 */
export const cliCdkRunner: CdkRunner = (args, env) => new Promise((resolve, reject) => {
  const child = spawn('npx', ['--no-install', 'cdk', ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.on('error', reject);
  child.on('close', code => resolve({ exitCode: code ?? 1, output }));
});
