/**
 * The unit suite's growth with the number of services, for the scale
 * benchmark (`npx projen bench:scale -- --unit-suite 3,23`).
 *
 * For each N: a copy of the repository (what git tracks, and new files it
 * does not ignore) with N-3 generated services beside the 3 shipped ones,
 * and `npx jest --ci` run in it from nothing: no shared assemblies, no
 * bundles, no validation cache, and a jest cache of its own (transforms
 * too, as in a fresh clone). What the suite costs a platform for each
 * service it adds is the growth of that time from the smallest N.
 *
 * A few tests assert the shipped services by name (the sample list, the
 * shipped delivery plan): with generated services they fail, as they
 * should; the table counts them, and a failure at N=3 is a real one.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateServices } from './generate-services';
import { SHIPPED_SERVICES } from './scale-args';
import { median } from './scale-report';

/** What one unit-suite run measured. */
export interface UnitSuiteRow {
  /** Services in the copy, the shipped ones included. */
  readonly services: number;
  /** Seconds from starting jest to its exit (the median of the runs). */
  readonly wallSeconds: number;
  /** Jest's own figure: from its start to the last suite's end (the median of the runs). */
  readonly jestSeconds: number;
  readonly tests: number;
  readonly failedTests: number;
  /** Suites with a failing test, relative to the copy. */
  readonly failedSuites: readonly string[];
  readonly runs: number;
}

interface JestResult {
  readonly numTotalTests: number;
  readonly numFailedTests: number;
  readonly startTime: number;
  readonly testResults: ReadonlyArray<{ readonly name: string; readonly endTime: number; readonly status: string }>;
}

/** Copies `root` into `dir` (tracked files and untracked ones git does not ignore), with `node_modules` linked. */
export function copyRepository(root: string, dir: string): void {
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' });
  if (listed.status !== 0) throw new Error(`git ls-files in ${root} failed: ${listed.stderr.trim()}`);
  fs.rmSync(dir, { recursive: true, force: true });
  for (const file of listed.stdout.split('\0').filter(f => f !== '')) {
    const from = path.join(root, file);
    // Deleted in the working tree but still in the index.
    if (!fs.existsSync(from)) continue;
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.copyFileSync(from, path.join(dir, file));
  }
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
}

/** Runs the unit suite `runs` times in a copy of `root` with `services` services, each time from nothing. */
export function measureUnitSuite(root: string, copy: string, services: number, runs: number, log: (m: string) => void): UnitSuiteRow {
  copyRepository(root, copy);
  generateServices(path.join(copy, 'services'), services - SHIPPED_SERVICES);
  const results: Array<{ wall: number; result: JestResult }> = [];
  for (let run = 1; run <= runs; run++) {
    // From nothing, as in a fresh clone: no shared assemblies, bundles or validation cache, no jest cache.
    fs.rmSync(path.join(copy, '.build'), { recursive: true, force: true });
    const out = path.join(os.tmpdir(), `bench-unit-suite-${process.pid}-${services}-${run}.json`);
    const started = Date.now();
    const jest = spawnSync('npx', ['jest', '--ci', '--json', `--outputFile=${out}`, `--cacheDirectory=${path.join(copy, '.build', 'jest-cache')}`], {
      cwd: copy,
      encoding: 'utf8',
      // The copy's own test setup applies; CI=true as in .ci/run.
      env: { ...process.env, CI: 'true' },
      maxBuffer: 256 * 2 ** 20,
    });
    const wall = (Date.now() - started) / 1000;
    if (!fs.existsSync(out)) throw new Error(`jest wrote no results in ${copy} (exit ${jest.status}): ${jest.stderr.slice(-2000)}`);
    const result = JSON.parse(fs.readFileSync(out, 'utf8')) as JestResult;
    fs.rmSync(out, { force: true });
    log(`N=${services} unit suite run ${run}/${runs}: ${wall.toFixed(1)} s, ${result.numTotalTests} tests, ${result.numFailedTests} failed`);
    results.push({ wall, result });
  }
  const last = results[results.length - 1].result;
  return {
    services,
    wallSeconds: median(results.map(r => r.wall)),
    jestSeconds: median(results.map(r => (Math.max(...r.result.testResults.map(t => t.endTime)) - r.result.startTime) / 1000)),
    tests: last.numTotalTests,
    failedTests: last.numFailedTests,
    failedSuites: last.testResults.filter(t => t.status === 'failed').map(t => path.relative(copy, t.name)).sort(),
    runs,
  };
}

/** The markdown table of `rows`, with each row's growth per added service from the first (fewest services). */
export function renderUnitSuite(rows: readonly UnitSuiteRow[]): string {
  const sorted = [...rows].sort((a, b) => a.services - b.services);
  const base = sorted[0];
  const lines = [
    '| services | jest (s) | wall (s) | growth per added service (s) | tests | failed | failing suites |',
    '|---:|---:|---:|---:|---:|---:|---|',
    ...sorted.map(r => {
      const growth = r === base ? '' : ((r.jestSeconds - base.jestSeconds) / (r.services - base.services)).toFixed(2);
      return `| ${r.services} | ${r.jestSeconds.toFixed(1)} | ${r.wallSeconds.toFixed(1)} | ${growth} | ${r.tests} | ${r.failedTests} | ${r.failedSuites.join(', ')} |`;
    }),
  ];
  const notes = [
    `Unit suite (\`npx jest --ci\`) from nothing in a copy with generated services; ${base.runs} run(s) each, the median.`,
    'With generated services, the tests that name the shipped services (the sample list, the shipped plan) fail, as they should.',
  ];
  if (base.services === SHIPPED_SERVICES && base.failedTests > 0) notes.push(`WARNING: ${base.failedTests} test(s) failed with the shipped services alone.`);
  return [...lines, '', ...notes].join('\n');
}
