/**
 * The post-deploy suites (smoke per service, end-to-end, load), run against
 * the local stage exactly as the pipeline runs them against a deployed
 * stage: the same scripts, told where the services are by the same
 * variables (`<SERVICE>_API_URL`, `API_URL`), signing with the credentials in
 * the environment; and the journeys only the local stage can run (faults,
 * the public edge with the local token issuer: `EDGE_URL`, `EDGE_TOKEN_URL`, and
 * feature flags flipped while the stage runs: `LOCAL_STAGE_FLAGS_URL`).
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { LocalStage } from '../../services/local/stage';

/** One suite's run. */
export interface SuiteRun {
  readonly name: string;
  readonly exitCode: number;
  readonly output: string;
  readonly seconds: number;
}

const HERE = __dirname;

/** The suites of a stage: a smoke run per service with routes, the end-to-end suites (the edge's and the flags' too), a short load test. */
export function localSuites(stage: LocalStage): Array<{ name: string; file: string; env: Record<string, string> }> {
  return [
    ...stage.services.filter(s => s.url).map(s => ({
      name: `smoke ${s.name}`,
      file: path.join(HERE, '..', 'integration', 'smoke.ts'),
      env: { SERVICE: s.name, API_URL: s.url! },
    })),
    { name: 'end-to-end: payment flow', file: path.join(HERE, 'payment-flow.ts'), env: {} },
    { name: 'end-to-end: merchants through the edge', file: path.join(HERE, 'edge-journeys.ts'), env: {} },
    { name: 'end-to-end: journeys with faults', file: path.join(HERE, 'journeys.ts'), env: {} },
    { name: 'end-to-end: feature flags flipped on the stage', file: path.join(HERE, 'flag-journeys.ts'), env: {} },
    { name: 'load: ledger balances', file: path.join(HERE, 'load.ts'), env: { LOAD_REQUESTS: '200', LOAD_CONCURRENCY: '10' } },
  ];
}

/** Runs `file` with tsx in a child process with the stage's client variables and `env`. */
export function runSuite(stage: LocalStage, name: string, file: string, env: Record<string, string>): Promise<SuiteRun> {
  const started = performance.now();
  return new Promise(resolve => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      env: { ...process.env, NODE_NO_WARNINGS: '1', ...stage.clientEnvironment(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.on('close', code => resolve({ name, exitCode: code ?? 1, output, seconds: (performance.now() - started) / 1000 }));
  });
}

/** Runs every suite of {@link localSuites}, one after the other. */
export async function runLocalSuites(stage: LocalStage): Promise<SuiteRun[]> {
  const runs: SuiteRun[] = [];
  for (const suite of localSuites(stage)) runs.push(await runSuite(stage, suite.name, suite.file, suite.env));
  return runs;
}
