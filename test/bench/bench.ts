/**
 * The project's benchmark: `npx projen bench`.
 *
 * Times what a developer and CI wait for, each run several times on this
 * machine (median and spread): the CDK app's synth through the CDK CLI, the
 * same synth in process (no CLI, no tsx start-up), the unit tests, and the
 * type check. Prints a table; not part of the test suite (timings there
 * would make tests flaky).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const runs = Number(process.env.BENCH_RUNS ?? 3);

interface Measure { readonly name: string; readonly command: string[] }

const measures: Measure[] = [
  { name: 'cdk synth (CLI, tsx app)', command: ['npx', 'cdk', 'synth', '-q', '-o', path.join(os.tmpdir(), 'bench-cdk.out')] },
  { name: 'synth in process', command: ['npx', 'tsx', path.join('test', 'bench', 'synth-once.ts')] },
  { name: 'jest (all unit tests)', command: ['npx', 'jest', '--ci', '--silent'] },
  { name: 'tsc --noEmit (app + tests)', command: ['npx', 'tsc', '--noEmit', '-p', 'tsconfig.dev.json'] },
];

function time(command: string[]): { seconds: number; maxRssMiB?: number } {
  // GNU time reports the peak memory of the process tree's largest process.
  const timeBin = fs.existsSync('/usr/bin/time') ? ['/usr/bin/time', '-f', '%M'] : [];
  const start = process.hrtime.bigint();
  const result = spawnSync(timeBin[0] ?? command[0], [...timeBin.slice(1), ...(timeBin.length ? command : command.slice(1))], {
    cwd: root, encoding: 'utf8', env: { ...process.env, CI: 'true' },
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0) {
    throw new Error(`${command.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
  const kib = timeBin.length ? Number(result.stderr.trim().split('\n').pop()) : NaN;
  return { seconds, maxRssMiB: Number.isFinite(kib) ? kib / 1024 : undefined };
}

console.log(`benchmark: ${runs} runs each, ${os.cpus().length} cores, node ${process.version}`);
console.log('measure                          median s   min s   max s   peak RSS MiB');
for (const m of measures) {
  const samples = Array.from({ length: runs }, () => time(m.command));
  const secs = samples.map(s => s.seconds).sort((a, b) => a - b);
  const rss = Math.max(...samples.map(s => s.maxRssMiB ?? 0));
  console.log(`${m.name.padEnd(32)} ${secs[Math.floor(secs.length / 2)].toFixed(2).padStart(8)} ${secs[0].toFixed(2).padStart(7)} `
    + `${secs[secs.length - 1].toFixed(2).padStart(7)} ${rss ? rss.toFixed(0).padStart(14) : '             -'}`);
}
