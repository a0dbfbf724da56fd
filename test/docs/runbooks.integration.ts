/**
 * Every command a runbook names exists (issue 17, item 4): each distinct
 * `npx projen` command of docs/runbooks/*.md runs once, with --help or as a
 * dry run that changes nothing and needs no AWS credentials (see
 * `probeFor`), and must exit 0 having run as that task.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { commandProblems, distinctProbes, loadTasks, Probe, projenCommands, ROOT, RUNBOOKS_DIR } from './runbooks';

/** Two cores: two commands at a time (each is mostly a node start-up). */
const CONCURRENCY = 2;

interface Outcome {
  readonly command: string;
  readonly where: readonly string[];
  readonly code: number | null;
  readonly output: string;
  readonly matched: boolean;
}

function run(probe: Probe & { readonly where: readonly string[] }): Promise<Outcome> {
  return new Promise(resolve => {
    // No AWS credentials reach the commands: a probe that called AWS would fail, not act.
    const env: NodeJS.ProcessEnv = { ...process.env, AWS_PROFILE: '', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_SESSION_TOKEN: '', CI: 'true' };
    const child = spawn('npx', [...probe.argv], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
    child.on('close', code => resolve({
      command: `npx ${probe.argv.join(' ')}`, where: probe.where, code, output, matched: probe.expect.test(output),
    }));
  });
}

async function runAll(probes: ReadonlyArray<Probe & { readonly where: readonly string[] }>): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(probes.length);
  let next = 0;
  const worker = async () => {
    while (next < probes.length) {
      const i = next++;
      outcomes[i] = await run(probes[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, probes.length) }, worker));
  return outcomes;
}

test('every npx projen command of the runbooks exists and runs (with --help, or as a dry run), once each', async () => {
  const tasks = loadTasks();
  const dir = path.join(ROOT, RUNBOOKS_DIR);
  const commands = fs.readdirSync(dir).filter(f => f.endsWith('.md')).sort()
    .flatMap(f => projenCommands(fs.readFileSync(path.join(dir, f), 'utf8'), `${RUNBOOKS_DIR}/${f}`));
  expect(commandProblems(commands, tasks)).toEqual([]);
  const probes = distinctProbes(commands, tasks);
  expect(probes.length).toBeGreaterThan(10);

  const started = Date.now();
  const outcomes = await runAll(probes);
  // The list and the time, for whoever reads the CI log.
  console.log(`${outcomes.length} distinct runbook commands in ${((Date.now() - started) / 1000).toFixed(1)} s:\n`
    + outcomes.map(o => `  ${o.code === 0 && o.matched ? 'ok ' : 'BAD'} ${o.command}`).join('\n'));

  const failures = outcomes.filter(o => o.code !== 0 || !o.matched).map(o =>
    `${o.command} (from ${o.where.join(', ')}): exit ${o.code}${o.matched ? '' : ', output does not show the task ran'}\n${o.output.split('\n').slice(-15).join('\n')}`);
  expect(failures).toEqual([]);
});
