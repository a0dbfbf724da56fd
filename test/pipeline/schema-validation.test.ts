import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { synthTimings, ValidationCache } from '../../kit';
import { addPolicyValidation, cacheSchemaValidation, CachedCloudFormationValidate, SharedValidationWorkers, StackTemplate } from '../../pipeline';

const PLUGIN = 'CloudFormation Validate';

interface Report {
  readonly pluginReports: ReadonlyArray<{ readonly pluginName: string; readonly conclusion: string; readonly violations: readonly unknown[] }>;
}

/**
 * Runs `fn` with CDK's CloudFormation schema check on (test/setup.ts turns it off for every other test). CDK prints
 * the probe's findings as warnings on stderr: kept out of the test output, the tests read the report.
 */
function withSchemaCheck<T>(fn: () => T): T {
  const saved = process.env.CDK_VALIDATION;
  delete process.env.CDK_VALIDATION;
  const stderr = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    return fn();
  } finally {
    stderr.mockRestore();
    process.env.CDK_VALIDATION = saved;
  }
}

/**
 * An app of two stacks whose templates CDK's check faults: the same two
 * findings on a queue of each (merged over both resources in the report),
 * and, in B only, findings about the template itself (no resource: reported
 * on the stack).
 */
function probeApp(options: { cacheDir?: string; context?: Record<string, unknown>; visibility?: string } = {}): cdk.App {
  const app = new cdk.App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'schema-validation-')), context: options.context });
  if (options.cacheDir !== undefined) cacheSchemaValidation(app, new ValidationCache(options.cacheDir));
  for (const name of ['A', 'B']) {
    const stack = new cdk.Stack(app, name, { env: { account: '123456789012', region: 'eu-west-1' } });
    new cdk.CfnResource(stack, 'Queue', { type: 'AWS::SQS::Queue', properties: { VisibilityTimeout: options.visibility ?? 'abc', Bogus: 1 } });
    if (name === 'B') new cdk.CfnParameter(stack, 'Kind', { type: 'Nonsense' });
  }
  return app;
}

/** The schema check's part of the validation report, with the outdir and stack traces (they differ between apps) left out. */
function schemaReport(app: cdk.App): unknown {
  const report = JSON.parse(fs.readFileSync(path.join(app.outdir, 'validation-report.json'), 'utf8')) as Report;
  const schema = report.pluginReports.filter(r => r.pluginName === PLUGIN);
  return JSON.parse(JSON.stringify(schema, (key, value: unknown) => key === 'stackTraces' ? undefined : value));
}

/** What the schema check counted while `fn` ran. */
function countsOf(fn: () => void): Record<string, number> {
  const before = synthTimings.snapshot().phases[`validation: ${PLUGIN}`]?.counts ?? {};
  fn();
  const after = synthTimings.snapshot().phases[`validation: ${PLUGIN}`]?.counts ?? {};
  return Object.fromEntries(Object.entries(after).map(([k, n]) => [k, n - (before[k] ?? 0)]).filter(([, n]) => n !== 0));
}

describe('CDK\'s CloudFormation schema check, results kept by content', () => {
  test('reports what CDK\'s own check reports, on the first synth and from the cache', () => {
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'schema-cache-'));
    withSchemaCheck(() => {
      const uncached = probeApp();
      uncached.synth();
      const expected = schemaReport(uncached);
      // The probe really has findings of each kind: on resources (merged over both stacks) and on a stack.
      expect(JSON.stringify(expected)).toContain('"constructPath":"B"');
      expect(JSON.stringify(expected)).toMatch(/"constructPath":"A\/Queue".*"constructPath":"B\/Queue"/);

      const first = probeApp({ cacheDir });
      expect(countsOf(() => first.synth())).toEqual({ 'templates validated': 2 });
      expect(schemaReport(first)).toEqual(expected);

      const second = probeApp({ cacheDir });
      expect(countsOf(() => second.synth())).toEqual({ 'templates from cache': 2 });
      expect(schemaReport(second)).toEqual(expected);
    });
  });

  test('a changed template is checked again, and its new finding reported; the unchanged one comes from the cache', () => {
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'schema-cache-'));
    withSchemaCheck(() => {
      probeApp({ cacheDir }).synth();
      const changed = probeApp({ cacheDir, visibility: 'soon' });
      expect(countsOf(() => changed.synth())).toEqual({ 'templates validated': 2 });
      expect(JSON.stringify(schemaReport(changed))).toContain('\'soon\' is not of type \'integer\'');
    });
  });

  test('with validateAgainstDefaultRules, a finding read from the cache still fails synth', () => {
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'schema-cache-'));
    const context = { '@aws-cdk/core:validateAgainstDefaultRules': true };
    withSchemaCheck(() => {
      expect(() => probeApp({ cacheDir, context }).synth()).toThrow(/F3002/);
      const again = probeApp({ cacheDir, context });
      let message = '';
      expect(countsOf(() => {
        try {
          again.synth();
        } catch (e) {
          message = (e as Error).message;
        }
      })).toEqual({ 'templates from cache': 2 });
      expect(message).toContain('ERROR VisibilityTimeout: \'abc\' is not of type \'integer\' (CloudFormation Validate)');
      expect(message).toContain('Acknowledge with \'CloudFormation-Validate::F3002\'');
    });
  });

  test('runs where CDK would run its own: not with CDK_VALIDATION=false or builtinCloudFormationValidation off', () => {
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'schema-cache-'));
    const plugins = (app: cdk.App) => (app as unknown as { _validationPlugins: unknown[] })._validationPlugins;
    // test/setup.ts sets CDK_VALIDATION=false.
    const off = new cdk.App();
    cacheSchemaValidation(off, new ValidationCache(cacheDir));
    expect(plugins(off)).toEqual([]);
    withSchemaCheck(() => {
      const builtinOff = new cdk.App({ builtinCloudFormationValidation: false });
      cacheSchemaValidation(builtinOff, new ValidationCache(cacheDir));
      expect(plugins(builtinOff)).toEqual([]);

      const on = new cdk.App();
      addPolicyValidation(on, { cacheDir });
      expect(plugins(on).filter(p => p instanceof CachedCloudFormationValidate)).toHaveLength(1);
      // Without a cache there is nothing to keep: CDK runs its own.
      const uncached = new cdk.App();
      addPolicyValidation(uncached);
      expect(plugins(uncached).filter(p => p instanceof cdk.CloudFormationValidatePlugin)).toEqual([]);
    });
  });

  // One worker thread for the tests below (CDK's engine takes a second to start in each): held while they run.
  const keeper = new SharedValidationWorkers(1);
  beforeAll(() => {
    keeper.addUser();
    keeper.get();
  });
  afterAll(() => keeper.finish());

  /** `app`'s schema check, with a new cache, starting its thread for any template prefetched. */
  const backgroundChecked = (app: cdk.App, workers: SharedValidationWorkers, prefetchBatch = 1) => {
    const plugin = new CachedCloudFormationValidate(new ValidationCache(fs.mkdtempSync(path.join(os.tmpdir(), 'schema-cache-'))), workers, prefetchBatch);
    cdk.Validations.of(app).addPlugins(plugin);
    return plugin;
  };

  /** The probe's templates as `app` wrote them, as CDK gives them to its check (what a pipeline's early stage synth prefetches). */
  const probeTemplates = (app: cdk.App): StackTemplate[] => ['A', 'B'].map(name => ({
    stackConstructPath: name, templatePath: path.join(app.outdir, `${name}.template.json`), accountId: '123456789012', region: 'eu-west-1',
  }));

  /** A probe synthesized by CDK's own check (its report expected), and a probe app whose check runs on a thread of its own. */
  const backgroundProbe = () => {
    const reference = probeApp();
    reference.synth();
    const workers = new SharedValidationWorkers(1);
    const app = probeApp();
    return { reference, expected: schemaReport(reference), workers, app, plugin: backgroundChecked(app, workers) };
  };

  test('templates checked in the background while the app is built: CDK\'s report, and the thread released after', () => {
    withSchemaCheck(() => {
      const { reference, expected, workers, app, plugin } = backgroundProbe();
      // The same bytes as this app will write: the background results are its own.
      plugin.prefetch(probeTemplates(reference));
      expect(workers.started).toBeDefined();
      expect(countsOf(() => app.synth())).toEqual({ 'templates validated in the background': 2 });
      expect(schemaReport(app)).toEqual(expected);
      expect(workers.started).toBeUndefined();
    });
  });

  test('a background check reads the template as it was when prefetched (a snapshot), not as rewritten since', () => {
    withSchemaCheck(() => {
      const { reference: original, expected, app, plugin } = backgroundProbe();
      // Prefetched, then rewritten at once with a finding less (CDK's engine takes a second to start: the check has not read it yet).
      const changed = probeApp({ visibility: '30' });
      changed.synth();
      plugin.prefetch(probeTemplates(original));
      for (const t of probeTemplates(original)) fs.copyFileSync(path.join(changed.outdir, path.basename(t.templatePath)), t.templatePath);
      // The app writes the original bytes: their findings, not the rewritten files'.
      expect(countsOf(() => app.synth())).toEqual({ 'templates validated in the background': 2 });
      expect(schemaReport(app)).toEqual(expected);
    });
  });

  test('a template that differs from the one prefetched is checked again, with its own findings', () => {
    withSchemaCheck(() => {
      const prefetched = probeApp();
      prefetched.synth();
      const workers = new SharedValidationWorkers(1);
      const app = probeApp({ visibility: 'soon' });
      const plugin = backgroundChecked(app, workers);
      plugin.prefetch(probeTemplates(prefetched));
      expect(countsOf(() => app.synth())).toEqual({ 'templates validated': 2 });
      expect(JSON.stringify(schemaReport(app))).toContain('\'soon\' is not of type \'integer\'');
    });
  });

  test('a few templates (an edit\'s) start no thread: they are checked on the synth\'s thread', () => {
    withSchemaCheck(() => {
      const prefetched = probeApp();
      prefetched.synth();
      const workers = new SharedValidationWorkers(1);
      const app = probeApp();
      backgroundChecked(app, workers, 16).prefetch(probeTemplates(prefetched), { final: true });
      expect(workers.started).toBeUndefined();
      expect(countsOf(() => app.synth())).toEqual({ 'templates validated': 2 });
      expect(schemaReport(app)).toEqual(schemaReport(prefetched));
    });
  });
});
