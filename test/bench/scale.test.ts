import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CpuProfile, groupOf, renderProfileSummary, summarizeProfile } from './cpu-profile';
import { HelpRequested, parseArgs } from './scale-args';
import {
  assemblyCounts,
  editCounts,
  feedbackFigures,
  FeedbackSteps,
  orderedPhases,
  phaseRows,
  renderFeedback,
  StepResult,
} from './scale-report';
import { renderUnitSuite, UnitSuiteRow } from './unit-suite';
import { SynthTimingsReport } from '../../kit/synth-timings';

describe('the scale benchmark command line', () => {
  test('runs the feedback sequence by default and profiles nothing', () => {
    const options = parseArgs(['--', '--services', '3']);
    expect(options).toMatchObject({ services: [3], feedback: true, cpuProf: false });
  });

  test('--feedback off skips the feedback sequence; --feedback=on keeps it', () => {
    expect(parseArgs(['--feedback', 'off']).feedback).toBe(false);
    expect(parseArgs(['--feedback=on']).feedback).toBe(true);
  });

  test('--cpu-prof is a switch: the flag after it is read as a flag', () => {
    const options = parseArgs(['--cpu-prof', '--services', '3,10']);
    expect(options).toMatchObject({ cpuProf: true, services: [3, 10] });
  });

  test('a --feedback value other than on or off names the flag, the value and what is allowed', () => {
    expect(() => parseArgs(['--feedback', 'maybe']))
      .toThrow('--feedback "maybe" is not allowed; allowed: on or off (off skips the floors and the feedback synths)');
  });

  test('--feedback without a value says it needs one', () => {
    expect(() => parseArgs(['--feedback', '--cpu-prof'])).toThrow('--feedback needs a value; allowed: on or off');
  });

  test('--cpu-prof with a value is refused', () => {
    expect(() => parseArgs(['--cpu-prof=yes'])).toThrow('--cpu-prof "yes": --cpu-prof takes no value; allowed: no value');
  });

  test('an unknown flag lists the flags, the new ones included', () => {
    expect(() => parseArgs(['--profile'])).toThrow(/"--profile" is not a flag of this benchmark; allowed: .*--feedback, --cpu-prof, --unit-suite$/);
  });

  test('--unit-suite takes numbers of services in all, none below the shipped ones; without it the synths run', () => {
    expect(parseArgs(['--unit-suite', '3,23,23']).unitSuite).toEqual([3, 23]);
    expect(parseArgs(['--services', '3']).unitSuite).toBeUndefined();
    expect(() => parseArgs(['--unit-suite', '3,1'])).toThrow('--unit-suite "1" is not a number of services (the 3 shipped ones included); allowed: an integer >= 3');
  });

  test('--services below the shipped services is refused', () => {
    expect(() => parseArgs(['--services', '2'])).toThrow('--services "2" is not a number of services (the 3 shipped ones included); allowed: an integer >= 3');
  });

  test('--help asks for the usage', () => {
    expect(() => parseArgs(['--help'])).toThrow(HelpRequested);
  });
});

/** A timings report as the app writes it. */
function report(loadMs: number, phases: Record<string, number>, counts: Record<string, Record<string, number>> = {}): SynthTimingsReport {
  const total = loadMs + Object.values(phases).reduce((a, b) => a + b, 0) + 50;
  return {
    loadMs,
    totalMs: total,
    phases: Object.fromEntries(Object.entries(phases).map(([name, ms]) => [name, { ms, runs: 1, counts: counts[name] ?? {} }])),
  };
}

function step(seconds: number, timings?: SynthTimingsReport, exitCode = 0): StepResult {
  return { seconds, samples: [seconds], peakMiB: 500, exitCode, errors: exitCode === 0 ? [] : ['refused'], timings };
}

const SYNTHESIS = 'CDK synthesis (templates, assets, CloudFormation schema check)';
const full = report(800, {
  [SYNTHESIS]: 4000,
  'validation: cdk-validator-cfnguard': 3000,
  'model validation': 100,
  'validation: Serverless': 70,
  'validation: AwsSolutions': 700,
  'validation: CloudFormation Validate': 900,
  'bundling': 600,
  'construct building': 5000,
  'background validation threads': 0,
}, {
  'bundling': { 'esbuild runs': 1, 'bundles built': 2, 'bundles reused': 7 },
  'validation: cdk-validator-cfnguard': { 'templates validated': 2, 'templates validated while constructs were built': 4, 'templates from cache': 17 },
  'validation: AwsSolutions': { 'stacks validated': 3, 'stacks from cache': 22 },
  'validation: Serverless': { 'stacks from cache': 25 },
  'validation: CloudFormation Validate': { 'templates validated': 1, 'templates validated in the background': 3, 'templates from cache': 21 },
  'background validation threads': { 'cfn-guard ms': 1500, 'schema check ms': 2049 },
});
const floorA = report(800, { 'model validation': 100, 'bundling': 600, 'construct building': 4000, [SYNTHESIS]: 3500 });

describe('the per-phase table', () => {
  test('phases come in the order a synth runs them, each plugin before the CDK synthesis that runs it', () => {
    expect(orderedPhases([floorA, full, undefined])).toEqual([
      'model validation', 'bundling', 'construct building',
      'validation: AwsSolutions', 'validation: Serverless', 'validation: cdk-validator-cfnguard', 'validation: CloudFormation Validate',
      SYNTHESIS,
    ]);
  });

  test('each column adds up to its wall time: phases, time outside them and the CLI overhead', () => {
    const rows = phaseRows([step(16, floorA), step(20, full)]);
    const total = rows.find(r => r.label === 'total (wall)')!;
    const parts = rows.filter(r => r !== total);
    for (const column of [0, 1]) {
      const sum = parts.reduce((n, r) => n + (r.ms[column] ?? 0), 0);
      expect(sum).toBeCloseTo(total.ms[column]!, 6);
    }
    expect(rows.find(r => r.label === 'CLI overhead (wall - app total)')!.ms).toEqual([16000 - floorA.totalMs, 20000 - full.totalMs]);
  });

  test('a phase a synth did not run is empty in its column, not zero', () => {
    const rows = phaseRows([step(16, floorA), step(20, full)]);
    expect(rows.find(r => r.label === 'validation: cfn-guard, Control Tower rules')!.ms).toEqual([undefined, 3000]);
  });

  test('a failed step shows only its wall time', () => {
    const rows = phaseRows([step(3, floorA, 1)]);
    expect(rows.filter(r => r.ms[0] !== undefined).map(r => r.label)).toEqual(['total (wall)']);
  });

  test('the synth after an edit reports what was rebuilt and what came from the caches', () => {
    expect(editCounts(full)).toEqual({
      esbuildRuns: 1,
      bundlesBuilt: 2,
      bundlesReused: 7,
      guard: { validated: 6, fromCache: 17 },
      nag: { AwsSolutions: { validated: 3, fromCache: 22 }, Serverless: { validated: 0, fromCache: 25 } },
      schema: { validated: 4, fromCache: 21 },
    });
  });

  test('ratios, per-stack and per-resource times come from the wall times', () => {
    const steps: Partial<FeedbackSteps> = {
      floorAFirst: step(16, floorA), floorASecond: step(8, floorA), first: step(20, full), second: step(10, full),
    };
    const figures = feedbackFigures({ ...steps, floorB: step(4) }, { stacks: 20, resources: 800 });
    expect(figures.ratios).toEqual({ firstToFloorAFirst: 1.25, secondToFloorASecond: 1.25, firstToFloorB: 5 });
    expect(figures.firstMsPerStack).toBe(1000);
    expect(figures.firstMsPerResource).toBe(25);
    expect(figures.floorAValidationPhases).toEqual([]);
  });

  test('a floor A that ran a validation plugin is flagged', () => {
    const leaky = report(800, { 'construct building': 4000, 'validation: AwsSolutions': 10 });
    expect(feedbackFigures({ floorAFirst: step(16, leaky) }).floorAValidationPhases).toEqual(['validation: AwsSolutions']);
    expect(renderFeedback({ floorAFirst: step(16, leaky) }, { editedFile: 'x.ts' }))
      .toContain('WARNING: floor A ran validation: AwsSolutions: the preload did not remove our plugins');
  });

  test('renders a markdown table in seconds with the lines under it', () => {
    const text = renderFeedback({
      floorAFirst: step(16, floorA),
      floorASecond: step(8, floorA),
      first: step(20, full),
      second: step(10, full),
      afterEdit: step(11, full),
      floorB: step(4, report(700, { [SYNTHESIS]: 1500 })),
    }, { assembly: { stacks: 20, resources: 800 }, editedFile: 'services/payments/src/create-payment.ts', profiled: true });
    const lines = text.split('\n');
    expect(lines[0]).toBe('| phase (s) | floor A first | floor A second | first synth (cpu-profiled) | second synth | after one handler edit '
      + '| floor B (plain app via tsx) |');
    expect(lines).toContain('| loading and transpiling the app | 0.80 | 0.80 | 0.80 | 0.80 | 0.80 | 0.70 |');
    expect(lines).toContain('| validation: cdk-nag AwsSolutions | - | - | 0.70 | 0.70 | 0.70 | - |');
    expect(lines).toContain('| validation: CDK\'s CloudFormation schema check | - | - | 0.90 | 0.90 | 0.90 | - |');
    // The worker threads' time is beside the synth's thread, not a phase of it.
    expect(text).not.toContain('| background validation threads');
    expect(lines).toContain('- beside the synth\'s thread (worker threads): floor A first -, floor A second -, '
      + 'first synth cfn-guard 1.5 s + schema check 2.0 s, second synth cfn-guard 1.5 s + schema check 2.0 s, '
      + 'after one handler edit cfn-guard 1.5 s + schema check 2.0 s, floor B (plain app via tsx) -');
    expect(lines).toContain('| total (wall) | 16.00 | 8.00 | 20.00 | 10.00 | 11.00 | 4.00 |');
    expect(lines).toContain('- first / floor A first: 1.25x; second / floor A second: 1.25x');
    expect(lines).toContain('- floor B: 4.00 s; first synth / floor B: 5.00x');
    expect(lines).toContain('- first synth: 20 stacks, 800 resources; 1000 ms per stack, 25.0 ms per resource');
    expect(text).toContain('- after editing services/payments/src/create-payment.ts: esbuild runs 1, bundles built 2, reused 7; '
      + 'cfn-guard templates 6 validated / 17 from cache; cdk-nag stacks: AwsSolutions 3 validated / 22 from cache, '
      + 'Serverless 0 validated / 25 from cache; CloudFormation schema check templates 4 validated / 21 from cache');
  });
});

describe('the CPU profile summary', () => {
  const root = '/work/copy';
  const frame = (functionName: string, url: string, lineNumber = 0) => ({ functionName, url, lineNumber });
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame('(root)', ''), children: [2, 3, 4, 5, 6] },
      { id: 2, callFrame: frame('synthesize', 'file:///work/main/node_modules/aws-cdk-lib/core/lib/stack.js', 9) },
      { id: 3, callFrame: frame('validate', 'file:///work/main/node_modules/@cdklabs/cdk-validator-cfnguard/lib/plugin.js', 19) },
      { id: 4, callFrame: frame('bundleGroups', 'file:///work/copy/kit/bundle.ts', 79) },
      { id: 5, callFrame: frame('readFileSync', 'node:fs', 440) },
      { id: 6, callFrame: frame('(garbage collector)', '') },
    ],
    // Each sample lasts until the next one; the last until endTime.
    samples: [2, 3, 2, 4, 5, 6],
    timeDeltas: [0, 1000, 3000, 1000, 500, 500],
    startTime: 0,
    endTime: 6500,
  };

  test('groups frames by package, repository folder, node internals and V8 entries', () => {
    expect(groupOf(frame('f', 'file:///work/main/node_modules/@aws-cdk/x/lib/a.js'), root)).toBe('node_modules/@aws-cdk/x');
    expect(groupOf(frame('f', '/work/copy/node_modules/yaml/dist/index.js'), root)).toBe('node_modules/yaml');
    expect(groupOf(frame('main', 'file:///work/copy/main.ts'), root)).toBe('main.ts');
    expect(groupOf(frame('f', 'file:///work/copy/pipeline/policy-validation.ts'), root)).toBe('pipeline/');
    expect(groupOf(frame('f', 'node:internal/modules/cjs/loader'), root)).toBe('node: internals');
    expect(groupOf(frame('(program)', ''), root)).toBe('(program)');
    expect(groupOf(frame('f', 'wasm://wasm/0012'), root)).toBe('wasm:');
  });

  test('adds self time per package and per function, a sample lasting until the next', () => {
    const summary = summarizeProfile(profile, root);
    expect(summary.totalMs).toBeCloseTo(6.5);
    expect(summary.packages.map(p => [p.name, p.selfMs])).toEqual([
      ['node_modules/@cdklabs/cdk-validator-cfnguard', 3],
      ['node_modules/aws-cdk-lib', 1 + 1],
      ['(garbage collector)', 0.5],
      ['kit/', 0.5],
      ['node: internals', 0.5],
    ]);
    expect(summary.functions[0]).toMatchObject({ name: 'validate', where: '@cdklabs/cdk-validator-cfnguard/lib/plugin.js:20', selfMs: 3 });
    expect(summary.functions.find(f => f.name === 'bundleGroups')).toMatchObject({ where: 'kit/bundle.ts:80', group: 'kit/' });
  });

  test('keeps the top entries only', () => {
    const summary = summarizeProfile(profile, root, { packages: 2, functions: 1 });
    expect(summary.packages).toHaveLength(2);
    expect(summary.functions).toHaveLength(1);
  });

  test('renders a package table and a function table', () => {
    const text = renderProfileSummary(summarizeProfile(profile, root), 'CPU profile');
    expect(text.split('\n')).toEqual(expect.arrayContaining([
      'CPU profile: 0.01 s sampled',
      '| node_modules/@cdklabs/cdk-validator-cfnguard | 3 | 46.2% |',
      '| validate | @cdklabs/cdk-validator-cfnguard/lib/plugin.js:20 | 3 | 46.2% |',
    ]));
  });
});

describe('assemblyCounts', () => {
  test('counts the stacks and resources of nested assemblies too', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-assembly-'));
    try {
      const write = (file: string, json: unknown) => {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), JSON.stringify(json));
      };
      write('manifest.json', {
        artifacts: {
          'Pipeline': { type: 'aws:cloudformation:stack', properties: { templateFile: 'Pipeline.template.json' } },
          'Assets': { type: 'cdk:asset-manifest', properties: { file: 'Pipeline.assets.json' } },
          'assembly-Stage': { type: 'cdk:cloud-assembly', properties: { directoryName: 'assembly-Stage' } },
        },
      });
      write('Pipeline.template.json', { Resources: { A: {}, B: {} } });
      write('assembly-Stage/manifest.json', {
        artifacts: {
          One: { type: 'aws:cloudformation:stack', properties: { templateFile: 'One.template.json' } },
          Two: { type: 'aws:cloudformation:stack', properties: { templateFile: 'Two.template.json' } },
        },
      });
      write('assembly-Stage/One.template.json', { Resources: { C: {} } });
      write('assembly-Stage/Two.template.json', {});
      expect(assemblyCounts(dir)).toEqual({ stacks: 3, resources: 3 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the unit suite table', () => {
  const row = (services: number, jestSeconds: number, failedSuites: string[] = []): UnitSuiteRow => ({
    services, jestSeconds, wallSeconds: jestSeconds + 1, tests: 800, failedTests: failedSuites.length, failedSuites, runs: 1,
  });

  test('gives each row\'s growth per added service from the row with the fewest services', () => {
    const table = renderUnitSuite([row(23, 55), row(3, 50), row(13, 58, ['test/main.test.ts'])]);
    expect(table.split('\n').slice(2, 5)).toEqual([
      '| 3 | 50.0 | 51.0 |  | 800 | 0 |  |',
      '| 13 | 58.0 | 59.0 | 0.80 | 800 | 1 | test/main.test.ts |',
      '| 23 | 55.0 | 56.0 | 0.25 | 800 | 0 |  |',
    ]);
    expect(table).not.toContain('WARNING');
  });

  test('warns when the suite fails with the shipped services alone', () => {
    expect(renderUnitSuite([row(3, 50, ['test/main.test.ts'])])).toContain('WARNING: 1 test(s) failed with the shipped services alone.');
  });
});
