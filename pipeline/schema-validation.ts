import * as fs from 'node:fs';
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { SYNTH_PHASES, synthTimings, ValidationCache } from '../kit';
import { scratchRoot, SharedValidationWorkers } from './validation-workers';

/** The installed aws-cdk-lib release: its rules, the rules it leaves out and its engine are part of every key. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const CDK_VERSION = (require('aws-cdk-lib/package.json') as { version: string }).version;

/**
 * The release of the engine CDK's check runs (`@aws/cloudformation-validate`, bundled with aws-cdk-lib), read from its
 * package file: the check's own `version` loads the engine's 9 MB WebAssembly module, which this thread may never need.
 */
const CHECK_VERSION = (() => {
  const cdkDir = path.dirname(require.resolve('aws-cdk-lib/package.json'));
  const file = require.resolve('@aws/cloudformation-validate/package.json', { paths: [cdkDir] });
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
})();

/** One finding of a template, as kept in the cache: independent of where the template and its stack are. */
interface StoredViolation {
  readonly ruleName: string;
  readonly description: string;
  readonly severity?: string;
  readonly fix?: string;
  readonly ruleMetadata?: { readonly [key: string]: string };
  readonly resources: ReadonlyArray<{
    /** The resource it is about; absent for a finding about the template as a whole (reported on its stack). */
    readonly resourceLogicalId?: string;
    readonly locations: readonly string[];
  }>;
}

/**
 * Templates to check before a background thread is worth starting for them:
 * an edit's (a service's 4 stacks) are checked on the synth's thread. A
 * thread, aws-cdk-lib and CDK's engine in it cost seconds and hundreds of MB
 * (at 100 services, the synth after one edit that started one for its 4
 * templates peaked at 1,973 MiB, its first synth at 1,567).
 */
const SCHEMA_PREFETCH_BATCH = 16;

/** A template as CDK gives it to its check. */
export interface StackTemplate {
  readonly stackConstructPath: string;
  readonly templatePath: string;
  readonly accountId?: string;
  readonly region?: string;
}

/**
 * CDK's own CloudFormation schema and rule check (the `CloudFormation
 * Validate` plugin every `cdk synth` runs), with its results kept by
 * content: a template whose bytes, account and region are unchanged since
 * an earlier synth, under the same aws-cdk-lib release, takes its findings
 * from the cache. The others go to CDK's engine: those written before the
 * app's validation (a pipeline's stages) on a worker thread while the app
 * is still being built ({@link CachedCloudFormationValidate.prefetch}), the
 * rest together, on that thread if it runs, else on the synth's.
 *
 * Why: on the shipped app the check took half of a synth with nothing
 * changed (6 s of 12 s), for templates it had already checked. A subclass,
 * so CDK trusts it as its own (it may read the assembly) and runs it instead
 * of the default instance, never beside it; the templates not in the cache
 * go to one instance of CDK's plugin per thread, whose engine starts once.
 * Its report is the one CDK's would give: the same plugin name, findings,
 * severities (cdk.json's `validateAgainstDefaultRules` still decides whether
 * errors fail synth) and the same merging of one finding over several
 * resources.
 */
export class CachedCloudFormationValidate extends cdk.CloudFormationValidatePlugin {
  /** Findings of templates read from the cache or checked in the background during this synth, by key. */
  private readonly known = new Map<string, StoredViolation[]>();
  /** Checks started by {@link prefetch}: the job checking each key. */
  private readonly running = new Map<string, number>();
  /** Each background job's templates: their key, and the snapshot the job reads. */
  private readonly jobs = new Map<number, Array<{ readonly key: string; readonly templatePath: string }>>();
  /** Where snapshots of the templates checked in the background go until validate() ends. */
  private scratchDir?: string;
  /** Templates prefetched and not started yet (fewer than {@link prefetchBatch} before the thread starts), by key. */
  private pending = new Map<string, StackTemplate>();

  /**
   * @param workers background threads to check templates on while the app
   * is built ({@link prefetch}) @default - none: every template is checked
   * in validate(), on the synth's thread
   * @param prefetchBatch templates {@link prefetch} gathers before it starts
   * the thread @default 16
   */
  constructor(
    private readonly cache: ValidationCache,
    private readonly workers?: SharedValidationWorkers,
    private readonly prefetchBatch = SCHEMA_PREFETCH_BATCH,
  ) {
    super();
    workers?.addUser();
  }

  /**
   * Starts checking these templates in the background (the first of the
   * app's validation threads, where CDK's engine starts once), for
   * templates written before the app's validation: a pipeline's stages are
   * synthesized while the rest of the app is built, and the other
   * templates can be checked while cdk-nag runs. Each template is checked
   * as it is now (a snapshot of its bytes, under the key of those bytes):
   * validate() takes the result only while the template is the same. A
   * no-op without background threads, and for templates in the cache.
   */
  public prefetch(templates: readonly StackTemplate[], options: { readonly final?: boolean } = {}): void {
    if (!this.workers?.available) return;
    for (const template of templates) {
      const bytes = fs.readFileSync(template.templatePath);
      const key = keyOf(template, bytes);
      if (this.pending.has(key) || this.known.has(key) || this.running.has(key)) continue;
      const stored = this.cache.get<StoredViolation[]>(key);
      if (stored !== undefined) {
        this.known.set(key, stored);
        continue;
      }
      this.scratchDir ??= fs.mkdtempSync(path.join(scratchRoot(), 'lz-schema-'));
      const snapshot = path.join(this.scratchDir, `${key}.template.json`);
      fs.writeFileSync(snapshot, bytes);
      this.pending.set(key, { ...template, templatePath: snapshot });
    }
    const started = this.workers.started;
    // The last schema checks of this app end the thread's (and free CDK's engine in it), unless another app uses it.
    const final = options.final === true && (started === undefined || this.workers.alone);
    // Not worth a thread for a few templates (an edit's): validate() checks them here at the end.
    if (started === undefined && this.pending.size < this.prefetchBatch) return;
    if (this.pending.size === 0) {
      // Nothing more to check: the thread can stop.
      if (final && started?.checksSchemas) started.post({ kind: 'schema', stackTemplates: [], final });
      return;
    }
    const pool = this.workers.get();
    // The schema checks there have ended (an earlier app's final ones): validate() checks these itself.
    if (!pool.checksSchemas) return;
    const todo = this.pending;
    this.pending = new Map();
    const id = pool.post({ kind: 'schema', stackTemplates: [...todo.values()], final: final && this.workers.alone, removeAfter: true });
    this.jobs.set(id, [...todo].map(([key, template]) => ({ key, templatePath: template.templatePath })));
    for (const key of todo.keys()) this.running.set(key, id);
  }

  public validate(context: cdk.IPolicyValidationContext): cdk.PolicyValidationPluginReport {
    return synthTimings.time(SYNTH_PHASES.validation(this.name), () => {
      try {
        return this.validateCached(context);
      } finally {
        this.known.clear();
        this.pending.clear();
        this.running.clear();
        this.jobs.clear();
        if (this.scratchDir) fs.rmSync(this.scratchDir, { recursive: true, force: true });
        this.scratchDir = undefined;
        this.workers?.finish();
      }
    });
  }

  private validateCached(context: cdk.IPolicyValidationContext): cdk.PolicyValidationPluginReport {
    const phase = SYNTH_PHASES.validation(this.name);
    const templates = context.stackTemplates ?? [];
    const keys = templates.map(t => keyOf(t, fs.readFileSync(t.templatePath)));
    // The background checks of these templates (a template changed since its check started has another key).
    const jobs = [...new Set(keys.flatMap(key => this.running.get(key) ?? []))];
    if (jobs.length > 0) {
      this.collect(jobs);
      synthTimings.count(phase, 'templates validated in the background', keys.filter(key => this.running.has(key)).length);
    }
    const stored = keys.map(key => this.known.get(key) ?? this.cache.get<StoredViolation[]>(key));
    const missed = templates.filter((_, i) => stored[i] === undefined);
    synthTimings.count(phase, 'templates from cache', keys.filter((key, i) => stored[i] !== undefined && !this.running.has(key)).length);
    if (missed.length > 0) {
      synthTimings.count(phase, 'templates validated', missed.length);
      // CDK's check, once for all of them (its engine starts for the resource types they hold): on the background
      // thread where it runs (its engine is started there), else here.
      const started = this.workers?.started;
      const fresh = started?.checksSchemas
        ? started.wait([started.post({ kind: 'schema', stackTemplates: missed })])[0]
        : sharedCheck().validate({ ...context, templatePaths: missed.map(t => t.templatePath), stackTemplates: missed });
      templates.forEach((template, i) => {
        if (stored[i] !== undefined) return;
        stored[i] = storedOf(fresh.violations, template.templatePath);
        this.cache.set(keys[i], stored[i]);
      });
    }
    this.cache.prune();
    return mergedReport(templates, stored as StoredViolation[][]);
  }

  /** Waits for the background `jobs` and files their findings by key, in memory and in the cache. */
  private collect(jobs: readonly number[]): void {
    const reports = this.workers!.get().wait(jobs);
    jobs.forEach((id, i) => {
      for (const { key, templatePath } of this.jobs.get(id)!) {
        const found = storedOf(reports[i].violations, templatePath);
        this.known.set(key, found);
        this.cache.set(key, found);
      }
    });
  }
}

/** The cache key of `template`'s check: aws-cdk-lib's release, the check's version, account, region and template bytes. */
function keyOf(template: StackTemplate, bytes: Buffer): string {
  return ValidationCache.key('cloudformation-validate', CDK_VERSION, CHECK_VERSION, template.accountId ?? '', template.region ?? '', bytes);
}

/** The report of `templates`' findings, in template order, a finding over several resources merged as CDK merges it. */
function mergedReport(templates: readonly StackTemplate[], stored: ReadonlyArray<readonly StoredViolation[]>): cdk.PolicyValidationPluginReport {
  const violations: cdk.PolicyViolation[] = [];
  // By rule, severity and description: a lookup per finding, not a scan of all of them (thousands at 300 services).
  const merged = new Map<string, cdk.PolicyViolation>();
  templates.forEach((template, i) => {
    for (const finding of stored[i]) {
      const resources = finding.resources.map(r => ({
        resourceLogicalId: r.resourceLogicalId,
        // A finding about no resource is reported on the stack, as CDK does.
        constructPath: r.resourceLogicalId === undefined ? template.stackConstructPath : undefined,
        templatePath: template.templatePath,
        locations: [...r.locations],
      }));
      const id = JSON.stringify([finding.ruleName, finding.severity, finding.description]);
      const same = merged.get(id);
      if (same) {
        same.violatingResources.push(...resources);
      } else {
        const violation: cdk.PolicyViolation = {
          ruleName: finding.ruleName,
          description: finding.description,
          severity: finding.severity,
          fix: finding.fix,
          ruleMetadata: finding.ruleMetadata,
          violatingResources: resources,
        };
        merged.set(id, violation);
        violations.push(violation);
      }
    }
  });
  return { success: violations.every(v => v.severity !== 'error' && v.severity !== 'fatal'), violations };
}

/** The findings of `fresh` about the template at `templatePath`, without its place. */
function storedOf(fresh: readonly cdk.PolicyViolation[], templatePath: string): StoredViolation[] {
  const stored: StoredViolation[] = [];
  for (const v of fresh) {
    const resources = v.violatingResources.filter(r => r.templatePath === templatePath)
      .map(r => ({ resourceLogicalId: r.resourceLogicalId, locations: [...r.locations] }));
    if (resources.length === 0) continue;
    stored.push({ ruleName: v.ruleName, description: v.description, severity: v.severity, fix: v.fix, ruleMetadata: v.ruleMetadata, resources });
  }
  return stored;
}

let check: cdk.CloudFormationValidatePlugin | undefined;
/**
 * CDK's check, one per process for every app and cache: its engine takes
 * seconds to start, so it is started once and kept. The instance CDK keeps
 * for the apps that run its own (test apps), where this release has one.
 */
function sharedCheck(): cdk.CloudFormationValidatePlugin {
  const cdkOwn = (cdk.CloudFormationValidatePlugin as unknown as { _singletonInstance?: () => cdk.CloudFormationValidatePlugin })._singletonInstance;
  // Asked each time: CDK may replace its instance.
  if (typeof cdkOwn === 'function') return cdkOwn.call(cdk.CloudFormationValidatePlugin);
  check ??= new cdk.CloudFormationValidatePlugin();
  return check;
}

/**
 * Makes `app`'s CloudFormation schema check keep its results in `cache`,
 * where CDK would run it: not when the app was built with
 * `builtinCloudFormationValidation: false` or the environment sets
 * `CDK_VALIDATION=false` (CDK's own switches, respected as CDK does).
 */
export function cacheSchemaValidation(
  app: cdk.App, cache: ValidationCache, workers?: SharedValidationWorkers,
): CachedCloudFormationValidate | undefined {
  const builtin = (app as unknown as { _builtinCloudFormationValidation?: boolean })._builtinCloudFormationValidation;
  if (builtin === false || process.env.CDK_VALIDATION === 'false') return undefined;
  const plugin = new CachedCloudFormationValidate(cache, workers);
  cdk.Validations.of(app).addPlugins(plugin);
  return plugin;
}
