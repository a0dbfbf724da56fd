import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import * as cdk from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';
import type * as CdkNag from 'cdk-nag';
import { IConstruct } from 'constructs';
import { SYNTH_PHASES, synthTimings, ValidationCache } from '../kit';
import { cacheSchemaValidation, CachedCloudFormationValidate } from './schema-validation';
import { GuardJob, JobReport, scratchRoot, SharedValidationWorkers, ValidationWorkers } from './validation-workers';

/** How {@link addPolicyValidation} validates. */
export interface PolicyValidationOptions {
  /**
   * Keeps each template's results in this folder by content (template bytes,
   * rules and their versions, the acknowledgements cdk-nag reads), and
   * reuses them while none of that changes; CDK's own CloudFormation schema
   * check too (see {@link CachedCloudFormationValidate}). A cached result
   * reports its findings again: the cache saves time, never a finding.
   * @default - no cache: every template is validated
   */
  readonly cacheDir?: string;
  /**
   * Threads the Control Tower checks run on (the synth's own and background
   * ones). One runs them all on the synth's thread: where other processes
   * already keep every core busy (a test runner's workers), more threads
   * only add their start-up.
   * @default - one per CPU core
   */
  readonly concurrency?: number;
}

/**
 * The policy validation every synth runs (locally, in CI and in the
 * pipeline's build): cdk-nag's AWS Solutions, PCI DSS 3.2.1 and Serverless
 * packs, and the AWS Control Tower proactive controls as cfn-guard rules
 * (`@cdklabs/cdk-validator-cfnguard`, all of them). Any finding that is
 * neither fixed nor acknowledged with a reason (`Validations.of(x).acknowledge`,
 * ids `cdk-validator-cfnguard::<rule>` for the guard rules) fails synth.
 */
export function addPolicyValidation(app: cdk.App, options: PolicyValidationOptions = {}): void {
  const cache = options.cacheDir === undefined ? undefined : new ValidationCache(options.cacheDir);
  // Loaded here, when an app is validated: cdk-nag takes about 0.4 s to load, and most importers of this module never
  // validate (each jest suite pays it again).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const nag = require('cdk-nag') as typeof CdkNag;
  const concurrency = Math.max(1, options.concurrency ?? os.availableParallelism());
  // Background threads shared by the Control Tower checks and CDK's schema check (the synth's own thread is the last core).
  const workers = new SharedValidationWorkers(concurrency - 1, runGuardJob);
  const guard = new ControlTowerGuardValidator({ cache, concurrency, workers });
  let schema: CachedCloudFormationValidate | undefined;
  cdk.Validations.of(app).addPlugins(
    // The templates whose schema check has not started yet start in the background now, while cdk-nag runs here.
    // The last templates to check: then the thread checking them (with CDK's engine, hundreds of MB) stops.
    new NagPackValidator(new nag.AwsSolutionsChecks(app), cache, context => schema?.prefetch(context.stackTemplates ?? [], { final: true })),
    new NagPackValidator(new nag.PCIDSS321Checks(app), cache),
    new NagPackValidator(new nag.ServerlessChecks(app), cache),
    guard,
  );
  // CDK's own CloudFormation schema check, which runs in every synth anyway: its results kept by content too. Added
  // last: CDK runs the plugins in order, and the check waits for what started in the background meanwhile.
  if (cache) schema = cacheSchemaValidation(app, cache, workers);
  validated.set(app, { guard, schema });
}

/** The plugins of each app {@link addPolicyValidation} was given that check templates as soon as they are written. */
const validated = new WeakMap<IConstruct, { guard: ControlTowerGuardValidator; schema?: CachedCloudFormationValidate }>();

/**
 * Starts the Control Tower checks and CDK's schema check of `stage`'s
 * templates in the background, if its app is validated: for a stage a
 * pipeline has already synthesized (CDK Pipelines synthesizes each stage it
 * adds, while the rest of the app is still being built). The checks then
 * run on the other cores while this thread builds constructs, and the app's
 * validation takes their results for every template still the same. A
 * no-op without policy validation.
 */
export function prefetchPolicyValidation(stage: cdk.Stage): void {
  const plugins = validated.get(stage.node.root);
  if (!plugins) return;
  // The stage's assembly is cached: synth() here writes nothing new.
  const stacks = stage.synth().stacksRecursively;
  plugins.guard.prefetch(stacks.map(s => s.templateFullPath));
  plugins.schema?.prefetch(stacks.map(s => ({
    stackConstructPath: s.hierarchicalId,
    templatePath: s.templateFullPath,
    // As CDK gives them to its check.
    accountId: s.environment.account === cxapi.UNKNOWN_ACCOUNT ? undefined : s.environment.account,
    region: s.environment.region === cxapi.UNKNOWN_REGION ? undefined : s.environment.region,
  })));
}

/** The installed cdk-nag release: part of every cache key of its packs. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const NAG_VERSION = (require('cdk-nag/package.json') as { version: string }).version;

/**
 * A cdk-nag pack run one stack at a time, so that a stack whose inputs are
 * unchanged since a previous synth takes its results from the cache.
 *
 * cdk-nag walks the construct tree, not the templates: its findings for a
 * stack depend on the stack's resources (what its template holds), on their
 * paths in the stack and logical ids (findings name them), and on the
 * acknowledgements on each resource and its ancestors. The cache key holds
 * all three, and the findings are kept with paths relative to the stack: a
 * stack placed elsewhere in the app (another pipeline engine or topology
 * nests its stages differently) reads the same entry, its findings placed
 * under its own path. Reported under the pack's own name, so
 * acknowledgements and the validation report read as before.
 */
export class NagPackValidator implements cdk.IPolicyValidationPlugin {
  public readonly name: string;
  public readonly version?: string;
  public readonly ruleIds?: string[];

  /**
   * @param before called with the context before the pack runs (to start
   * work that can run in the background meanwhile)
   */
  constructor(
    private readonly pack: CdkNag.NagPack,
    private readonly cache?: ValidationCache,
    private readonly before?: (context: cdk.IPolicyValidationContext) => void,
  ) {
    this.name = pack.name;
    this.version = pack.version;
    this.ruleIds = pack.ruleIds;
  }

  public validate(context: cdk.IPolicyValidationContext): cdk.PolicyValidationPluginReport {
    this.before?.(context);
    return synthTimings.time(SYNTH_PHASES.validation(this.name), () => this.validateStacks(context));
  }

  private validateStacks(context: cdk.IPolicyValidationContext): cdk.PolicyValidationPluginReport {
    const root = (context as { appConstruct?: IConstruct }).appConstruct;
    // What cdk-nag's own validate() needs too; CDK provides it since 2.262.
    if (!root) throw new Error(`${this.name}: the validation context has no construct tree (appConstruct)`);
    const violations: cdk.PolicyViolation[] = [];
    for (const [stack, resources] of resourcesByStack(root)) {
      const digest = this.cache ? stackDigest(stack, resources) : undefined;
      const key = digest === undefined ? undefined : ValidationCache.key('cdk-nag/2', NAG_VERSION, this.name, this.version ?? '', digest);
      const stored = key === undefined ? undefined : this.cache!.get<cdk.PolicyViolation[]>(key);
      let found: cdk.PolicyViolation[];
      if (stored) {
        found = relocated(stored, rel => rel === '' ? stack.node.path : `${stack.node.path}/${rel}`);
        synthTimings.count(SYNTH_PHASES.validation(this.name), 'stacks from cache');
      } else {
        // cdk-nag walks the children of the scope it is given: these resources, and nothing of another stack.
        found = this.pack.validateScope({ node: { children: resources } } as unknown as IConstruct).violations;
        synthTimings.count(SYNTH_PHASES.validation(this.name), 'stacks validated');
        const inStack = relocated(found, where => relativeTo(stack, where));
        // A finding on a construct outside the stack (none is expected) would not be placed right: not kept.
        const outside = inStack.some(v => v.violatingResources.some(r => r.constructPath === OUTSIDE));
        if (key !== undefined && !outside) this.cache!.set(key, inStack);
      }
      violations.push(...found);
    }
    this.cache?.prune();
    return { success: violations.length === 0, violations: mergedByRule(violations) };
  }

}

const stacksOfTree = new WeakMap<IConstruct, Map<cdk.Stack, cdk.CfnResource[]>>();
/** Every CfnResource of the tree under `root`, by the stack it belongs to (once per tree: the packs share it). */
function resourcesByStack(root: IConstruct): Map<cdk.Stack, cdk.CfnResource[]> {
  const known = stacksOfTree.get(root);
  if (known) return known;
  const byStack = new Map<cdk.Stack, cdk.CfnResource[]>();
  stacksOfTree.set(root, byStack);
  for (const node of root.node.findAll()) {
    if (!cdk.CfnResource.isCfnResource(node)) continue;
    const stack = cdk.Stack.of(node);
    let list = byStack.get(stack);
    if (!list) byStack.set(stack, list = []);
    list.push(node);
  }
  return byStack;
}

/** Marks a path outside the stack in {@link relativeTo}'s result. */
const OUTSIDE = '\u0000outside\u0000';

/** `path` relative to `stack`'s (`''`: the stack itself), or {@link OUTSIDE} for a construct above it. */
function relativeTo(stack: cdk.Stack, where: string): string {
  const base = stack.node.path;
  if (where === base) return '';
  return where.startsWith(`${base}/`) ? where.slice(base.length + 1) : OUTSIDE;
}

/** `violations` with each resource's construct path mapped by `place`. */
function relocated(violations: readonly cdk.PolicyViolation[], place: (path: string) => string): cdk.PolicyViolation[] {
  return violations.map(v => ({
    ...v,
    violatingResources: v.violatingResources.map(r => (r.constructPath === undefined ? r : { ...r, constructPath: place(r.constructPath) })),
  }));
}

const digests = new WeakMap<cdk.Stack, string | undefined>();
/**
 * What cdk-nag's findings for `stack` depend on, hashed: its template, the
 * paths in the stack and logical ids of its resources, and the
 * acknowledgements on them and their ancestors (inside the stack by path,
 * above it as ancestors of all). Undefined when the template is not on disk.
 */
function stackDigest(stack: cdk.Stack, resources: readonly cdk.CfnResource[]): string | undefined {
  if (digests.has(stack)) return digests.get(stack);
  const template = templateBytes(stack);
  const ids = resources.map(r => `${relativeTo(stack, r.node.path)}\t${stack.resolve(r.logicalId)}`).sort().join('\n');
  const digest = template && ValidationCache.key(template, ids, acknowledgementsOf(stack, resources));
  digests.set(stack, digest);
  return digest;
}

/** The acknowledgements cdk-nag reads for `resources`: on each of them and on every ancestor, with where they are. */
function acknowledgementsOf(stack: cdk.Stack, resources: readonly cdk.CfnResource[]): string {
  const seen = new Set<IConstruct>();
  const lines: string[] = [];
  for (const resource of resources) {
    for (let node: IConstruct | undefined = resource; node && !seen.has(node); node = node.node.scope) {
      seen.add(node);
      for (const entry of node.node.metadata) {
        if (entry.type === cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY) {
          lines.push(`${relativeTo(stack, node.node.path)}\t${JSON.stringify(entry.data)}`);
        }
      }
    }
  }
  return lines.sort().join('\n');
}

/** The synthesized template of `stack`, or undefined when it is not on disk. */
function templateBytes(stack: cdk.Stack): Buffer | undefined {
  const outdir = cdk.Stage.of(stack)?.outdir;
  if (!outdir) return undefined;
  try {
    return fs.readFileSync(path.join(outdir, stack.templateFile));
  } catch {
    return undefined;
  }
}

/** One violation per rule, its resources from every stack together (as one whole-app run reports them). */
function mergedByRule(violations: readonly cdk.PolicyViolation[]): cdk.PolicyViolation[] {
  const byRule = new Map<string, cdk.PolicyViolation>();
  for (const v of violations) {
    const merged = byRule.get(v.ruleName);
    if (merged) byRule.set(v.ruleName, { ...merged, violatingResources: [...merged.violatingResources, ...v.violatingResources] });
    else byRule.set(v.ruleName, v);
  }
  return [...byRule.values()];
}

/** The Control Tower rule files bundled with `@cdklabs/cdk-validator-cfnguard` (what `CfnGuardValidator` runs by default). */
const CONTROL_TOWER_RULES_DIR = path.join(
  path.dirname(require.resolve('@cdklabs/cdk-validator-cfnguard')), '..', 'rules', 'control-tower', 'cfn-guard');

/** One guard rule file, the resource types it inspects (`undefined`: it may inspect any resource), and its content's hash. */
interface GuardRuleFile {
  readonly path: string;
  readonly types?: ReadonlySet<string>;
  /**
   * The types without which every rule of the file SKIPs a template (see
   * {@link selectingTypes}): the file applies to a template holding one of
   * them; it reads resources of all its `types`. @default - `types`
   */
  readonly selects?: ReadonlySet<string>;
  readonly digest: string;
}

/** Properties of a {@link ControlTowerGuardValidator}. */
export interface ControlTowerGuardValidatorProps {
  /** Where results are kept by template content and rules. @default - none: every template is validated */
  readonly cache?: ValidationCache;
  /**
   * cfn-guard processes run at once, each on its share of the templates.
   * @default - one per CPU core
   */
  readonly concurrency?: number;
  /**
   * Templates {@link ControlTowerGuardValidator.prefetch} gathers before it
   * starts checking them in the background (each cfn-guard process costs
   * about 50 ms to start, per group of rule files).
   * @default 48
   */
  readonly prefetchBatch?: number;
  /**
   * Background threads shared with the app's other plugins.
   * @default - its own: `concurrency` - 1 threads
   */
  readonly workers?: SharedValidationWorkers;
}

/** What CfnGuardValidator reports. */
type GuardReport = JobReport;

/** Templates {@link ControlTowerGuardValidator.prefetch} gathers before it starts checking them. */
const PREFETCH_BATCH_TEMPLATES = 48;

/** What checking one template takes. */
interface GuardPlan {
  /** Covers everything the findings depend on: cfn-guard's version, the rule files applied, the template bytes. */
  readonly key: string;
  readonly rules: readonly GuardRuleFile[];
  readonly template: GuardTemplate;
}

/** Templates (or their trimmed copies) to check, by the rule files that check them. */
type Batches = Map<string, { rules: string[]; templatePaths: string[] }>;

/**
 * `CfnGuardValidator` with every bundled Control Tower rule, run so that
 * cfn-guard only evaluates the rule files that can apply to each template,
 * only for templates whose results are not cached, on every core.
 *
 * Why: cfn-guard evaluates every rule file against every template, and its
 * cost grows with rules x templates (about 12 ms per pair here) even when a
 * rule finds nothing to check. The 237 bundled files cost ~1.1 s per 60 KB
 * service template; fewer than 40 of them name a resource type our
 * templates contain. Each Control Tower rule selects resources by the
 * literal types it names and SKIPs a template without them (scenario 1 of
 * every rule), so leaving those files out for that template changes no
 * result: the same rules still check every resource they can apply to. A
 * rule file that names no type, or mentions `AWS::` other than as a full
 * literal type (a pattern, a prefix), always runs.
 *
 * A template's results depend only on its bytes and the rule files applied:
 * with a cache, a template unchanged since an earlier synth is not validated
 * again, and its findings are reported from the cache. The rest are split
 * across cfn-guard processes that run in parallel (worker threads, each
 * running `CfnGuardValidator` on its share).
 *
 * Violations are reported under `CfnGuardValidator`'s plugin name, so
 * acknowledgements read `cdk-validator-cfnguard::<rule name>`.
 */
export class ControlTowerGuardValidator implements cdk.IPolicyValidationPlugin {
  public readonly name = 'cdk-validator-cfnguard';
  public readonly version?: string;
  public readonly ruleIds?: string[];
  private readonly rules: readonly GuardRuleFile[];
  private readonly cache?: ValidationCache;
  private readonly concurrency: number;
  private readonly prefetchBatch: number;
  /** Findings by key, of every template checked by this validator (in this synth). */
  private readonly results = new Map<string, cdk.PolicyViolation[]>();
  /** The template each trimmed copy was made from (and each template from itself). */
  private readonly originalOf = new Map<string, string>();
  /** Where trimmed copies go until validate() ends. */
  private scratchDir?: string;
  /** Where checks started by {@link prefetch} run. */
  private readonly workers: SharedValidationWorkers;
  /** Checks started by {@link prefetch}, running: their jobs and the templates they check, by key. */
  private background?: { readonly ids: number[]; readonly keys: Map<string, string> };
  /** Templates given to {@link prefetch} and not started yet. */
  private pending: { keys: Map<string, string>; batches: Batches } = { keys: new Map(), batches: new Map() };

  constructor(props: ControlTowerGuardValidatorProps = {}) {
    const full = new CfnGuardValidator();
    this.version = full.version;
    this.ruleIds = full.ruleIds;
    this.cache = props.cache;
    this.concurrency = Math.max(1, props.concurrency ?? os.availableParallelism());
    this.prefetchBatch = Math.max(1, props.prefetchBatch ?? PREFETCH_BATCH_TEMPLATES);
    this.workers = props.workers ?? new SharedValidationWorkers(this.concurrency - 1, runGuardJob);
    this.workers.addUser();
    this.rules = fs.readdirSync(CONTROL_TOWER_RULES_DIR, { recursive: true, encoding: 'utf8' })
      .filter(file => file.endsWith('.guard'))
      .sort()
      .map(file => readRuleFile(path.join(CONTROL_TOWER_RULES_DIR, file)));
  }

  /** The rule files cfn-guard evaluates for a template holding resources of these types. */
  public rulesFor(resourceTypes: ReadonlySet<string>): string[] {
    return this.rulesOf(resourceTypes).map(r => r.path);
  }

  /**
   * Starts checking these templates in the background (worker threads,
   * leaving this thread a core), for templates written before the app's
   * synth: a pipeline's stages are synthesized while its constructs are
   * built. {@link validate} then takes their results if the template is
   * still the same (same key), and validates it again otherwise.
   */
  public prefetch(templatePaths: readonly string[]): void {
    // A single thread checks everything in validate().
    if (!this.workers.available) return;
    for (const templatePath of templatePaths) {
      const plan = this.planOf(templatePath);
      if (!plan || this.results.has(plan.key) || this.background?.keys.has(plan.key) || this.pending.keys.has(plan.key)) continue;
      if (this.cache?.get(plan.key)) continue;
      this.pending.keys.set(plan.key, templatePath);
      this.addToBatches(this.pending.batches, templatePath, plan);
    }
    // Each cfn-guard process costs about 50 ms to start and read its rules: start them for many templates at once.
    if (this.pending.keys.size < this.prefetchBatch) return;
    const pool = this.workers.get();
    const background = this.background ??= { ids: [] as number[], keys: new Map<string, string>() };
    for (const [key, templatePath] of this.pending.keys) background.keys.set(key, templatePath);
    laneJobs([...this.pending.batches.values()], pool.lanes).forEach((jobs, lane) => {
      for (const job of jobs) background.ids.push(pool.post(job, lane));
    });
    this.pending = { keys: new Map(), batches: new Map() };
  }

  public validate(context: cdk.IPolicyValidationContext): cdk.PolicyValidationPluginReport {
    return synthTimings.time(SYNTH_PHASES.validation(this.name), () => {
      try {
        return this.validateTemplates(context.templatePaths);
      } finally {
        this.background = undefined;
        this.workers.finish();
        if (this.scratchDir) fs.rmSync(this.scratchDir, { recursive: true, force: true });
        this.scratchDir = undefined;
      }
    });
  }

  private validateTemplates(templatePaths: readonly string[]): cdk.PolicyValidationPluginReport {
    const phase = SYNTH_PHASES.validation(this.name);
    if (this.background) {
      const done = this.background.keys.size;
      this.collect(this.workers.get().wait(this.background.ids), this.background.keys);
      synthTimings.count(phase, 'templates validated while constructs were built', done);
    }
    const violations: cdk.PolicyViolation[] = [];
    // Templates prefetched but not started yet are checked with the rest.
    const batches: Batches = this.pending.batches;
    const keys = new Map<string, string>(this.pending.keys);
    this.pending = { keys: new Map(), batches: new Map() };
    // The templates of this synth whose findings come from this run (a template changed since its prefetch has another key).
    const reported = new Map<string, string>();
    for (const templatePath of templatePaths) {
      const plan = this.planOf(templatePath);
      // No rule inspects any resource of this template: cfn-guard would SKIP every rule.
      if (!plan) continue;
      if (keys.has(plan.key)) {
        reported.set(plan.key, templatePath);
        continue;
      }
      const known = this.results.get(plan.key) ?? this.cache?.get<cdk.PolicyViolation[]>(plan.key);
      if (known) {
        if (!this.results.has(plan.key)) synthTimings.count(phase, 'templates from cache');
        violations.push(...known.map(v => ({ ...v, violatingResources: v.violatingResources.map(r => ({ ...r, templatePath })) })));
        continue;
      }
      keys.set(plan.key, templatePath);
      reported.set(plan.key, templatePath);
      this.addToBatches(batches, templatePath, plan);
    }
    const lanes = laneJobs([...batches.values()], this.concurrency);
    synthTimings.count(phase, 'templates validated', keys.size);
    synthTimings.count(phase, 'cfn-guard runs', lanes.reduce((n, l) => n + l.length, 0));
    this.collect(runGuardJobs(lanes, this.workers.started), keys);
    for (const [key, templatePath] of reported) {
      violations.push(...this.results.get(key)!.map(v => ({ ...v, violatingResources: v.violatingResources.map(r => ({ ...r, templatePath })) })));
    }
    this.cache?.prune();
    return {
      success: violations.length === 0,
      violations: mergedByRule(violations),
    };
  }

  /** Files the findings of `reports` (run for the templates `keys` names, by key) under each template's key, in memory and in the cache. */
  private collect(reports: readonly GuardReport[], keys: ReadonlyMap<string, string>): void {
    const byTemplate = new Map<string, cdk.PolicyViolation[]>([...keys.values()].map(t => [t, []]));
    for (const v of reports.flatMap(r => r.violations)) {
      for (const resource of v.violatingResources) {
        const templatePath = this.originalOf.get(resource.templatePath) ?? resource.templatePath;
        // CfnGuardValidator leaves severity unset. Once any finding is
        // acknowledged, CDK re-derives success as "no violation of severity
        // error", so the unacknowledged ones would be printed yet pass synth.
        byTemplate.get(templatePath)?.push({ ...v, severity: v.severity ?? 'error', violatingResources: [{ ...resource, templatePath: '' }] });
      }
    }
    for (const [key, templatePath] of keys) {
      const found = mergedByRule(byTemplate.get(templatePath) ?? []);
      this.results.set(key, found);
      this.cache?.set(key, found);
    }
  }

  /** What checking `templatePath` takes: its cache key, the rules that apply, the template. Undefined when no rule applies. */
  private planOf(templatePath: string): GuardPlan | undefined {
    const bytes = fs.readFileSync(templatePath);
    const template = JSON.parse(bytes.toString('utf8')) as GuardTemplate;
    const rules = this.rulesOf(new Set(Object.values(template.Resources ?? {}).map(r => r.Type ?? '')));
    if (rules.length === 0) return undefined;
    return { key: ValidationCache.key('cfn-guard', this.version ?? '', ...rules.map(r => r.digest), bytes), rules, template };
  }

  /** Adds `templatePath` to the batches of its rule groups, each group reading a copy with only the resources it selects. */
  private addToBatches(batches: Batches, templatePath: string, plan: GuardPlan): void {
    this.scratchDir ??= fs.mkdtempSync(path.join(scratchRoot(), 'lz-guard-'));
    const index = this.originalOf.size;
    for (const [group, rules] of groupedByTypes(plan.rules)) {
      const data = group === ANY_TYPE ? templatePath : trimmedCopy(plan.template, rules[0].types!, path.join(this.scratchDir, `${index}-${rules[0].digest}.json`));
      this.originalOf.set(data, templatePath);
      const batchKey = rules.map(r => r.path).join('\n');
      const batch = batches.get(batchKey);
      if (batch) batch.templatePaths.push(data);
      else batches.set(batchKey, { rules: rules.map(r => r.path), templatePaths: [data] });
    }
  }

  private rulesOf(resourceTypes: ReadonlySet<string>): GuardRuleFile[] {
    return this.rules.filter(r => !r.types || [...r.selects ?? r.types].some(t => resourceTypes.has(t)));
  }
}

/** Reads a rule file: the types it names (when it names them only as literal types) and the types it selects by. */
export function readRuleFile(file: string): GuardRuleFile {
  const text = fs.readFileSync(file, 'utf8');
  const code = text.split('\n').filter(line => !line.trimStart().startsWith('#')).join('\n');
  const types = code.match(/AWS::[A-Za-z0-9]+::[A-Za-z0-9]+/g) ?? [];
  const mentions = code.match(/AWS::/g) ?? [];
  const digest = ValidationCache.key(path.basename(file), text);
  if (types.length === 0 || types.length !== mentions.length) return { path: file, digest };
  return { path: file, types: new Set(types), selects: selectingTypes(code), digest };
}

const GUARD_TYPE = String.raw`(?:%(\w+)|"(AWS::[A-Za-z0-9]+::[A-Za-z0-9]+)"|'(AWS::[A-Za-z0-9]+::[A-Za-z0-9]+)')`;

/**
 * The resource types without which every rule of a Control Tower rule file
 * SKIPs a template, or undefined when the file is not of the form this
 * knows (then it applies wherever a type it names is present).
 *
 * Why: 39 of the 237 bundled files name types they only follow references
 * to (the log group of an OpenSearch domain, the role of an RDS instance):
 * a template with the role but no RDS instance made cfn-guard evaluate
 * them, on every role, to SKIP. Selecting by the types a file's rules
 * require took the bytes cfn-guard reads at 100 services (each template's
 * copy, once per rule file) from 51.8 MB to 31.6 MB.
 *
 * The form (every rule file bundled today has it): each rule evaluated on
 * its own (no parameters) is either
 * - `rule <name> when is_cfn_template(<doc>) %<var> not empty { ... }`,
 *   where `let <var> = Resources.*[ Type == <type> or Type == <type> ... ]`
 *   (a type a literal or a `let` constant): with no resource of those
 *   types, the `when` fails and the rule SKIPs; or
 * - `rule <name> when is_cfn_hook(...)`: it reads CloudFormation hook input
 *   (`<doc>.<type>.resourceProperties`), which a template never holds.
 * Anything else (a rule without `when`, another condition) and the file
 * counts as selecting by every type it names.
 */
export function selectingTypes(code: string): ReadonlySet<string> | undefined {
  const constants = new Map([...code.matchAll(/^let\s+(\w+)\s*=\s*["'](AWS::[A-Za-z0-9]+::[A-Za-z0-9]+)["']\s*$/gm)].map(m => [m[1], m[2]]));
  const typeOf = (m: RegExpMatchArray, at: number) => (m[at] !== undefined ? constants.get(m[at]) : m[at + 1] ?? m[at + 2]);
  const filters = new Map<string, string[] | undefined>();
  // eslint-disable-next-line security/detect-non-literal-regexp -- built from a constant (GUARD_TYPE), not from input; it parses the pinned guard rule files
  const filterPattern = new RegExp(String.raw`^let\s+(\w+)\s*=\s*Resources(?:\.\*)?\[\s*(Type\s*==\s*${GUARD_TYPE}(?:\s+or\s+Type\s*==\s*${GUARD_TYPE})*)\s*\]`, 'gm');
  for (const m of code.matchAll(filterPattern)) {
    // eslint-disable-next-line security/detect-non-literal-regexp -- built from a constant (GUARD_TYPE), not from input; it parses the pinned guard rule files
    const types = [...m[2].matchAll(new RegExp(String.raw`Type\s*==\s*${GUARD_TYPE}`, 'g'))].map(t => typeOf(t, 1));
    filters.set(m[1], types.every(t => t !== undefined) ? types as string[] : undefined);
  }
  const selects = new Set<string>();
  let rules = 0;
  // eslint-disable-next-line security/detect-unsafe-regex -- a lazy match up to the first "{" over the pinned guard rule files of a dependency, not over input
  for (const rule of code.matchAll(/^rule\s+\w+\s*(when\b[\s\S]*?)?\{/gm)) {
    rules++;
    const condition = (rule[1] ?? '').replace(/\s+/g, ' ').trim();
    if (/^when is_cfn_hook\(/.test(condition)) continue;
    const template = /^when is_cfn_template\((?:%\w+|this)\) %(\w+) not empty$/.exec(condition);
    const types = template ? filters.get(template[1]) : undefined;
    if (!types) return undefined;
    types.forEach(t => selects.add(t));
  }
  return rules > 0 && selects.size > 0 ? selects : undefined;
}

/** The parts of a template cfn-guard reads. */
interface GuardTemplate {
  readonly Resources?: Record<string, GuardResource>;
  readonly [section: string]: unknown;
}

/** A resource of a template, as far as trimming reads it. */
interface GuardResource {
  readonly Type?: string;
  readonly Metadata?: Record<string, unknown>;
  readonly [key: string]: unknown;
}

/** The group of rule files that name no type, or a pattern: they read whole templates. */
const ANY_TYPE = '*';

/** `rules` by the resource types they name (one group per distinct set; {@link ANY_TYPE} for the untyped). */
function groupedByTypes(rules: readonly GuardRuleFile[]): Map<string, GuardRuleFile[]> {
  const groups = new Map<string, GuardRuleFile[]>();
  for (const rule of rules) {
    const group = rule.types ? [...rule.types].sort().join(',') : ANY_TYPE;
    groups.set(group, [...(groups.get(group) ?? []), rule]);
  }
  return groups;
}

/**
 * Writes `template` with only the resources of `types` to `file`, without
 * CDK's own metadata (see {@link withoutCdkMetadata}), every other section
 * kept, and returns `file`.
 *
 * Why: cfn-guard's time for a rule file grows with the size of the template
 * (each query walks every resource), whatever the rule selects; a Control
 * Tower rule reads only resources of the types it names (see
 * ControlTowerGuardValidator), so a copy holding just those gives the same
 * findings, with the same logical ids, for a fraction of the time (measured:
 * the findings differ only in the line and column numbers of messages).
 */
function trimmedCopy(template: GuardTemplate, types: ReadonlySet<string>, file: string): string {
  const resources = Object.fromEntries(Object.entries(template.Resources ?? {})
    .filter(([, r]) => types.has(r.Type ?? ''))
    .map(([id, r]) => [id, withoutCdkMetadata(r)]));
  fs.writeFileSync(file, JSON.stringify({ ...template, Resources: resources }));
  return file;
}


/**
 * `resource` without the metadata CDK writes for itself (`aws:cdk:path`,
 * `aws:asset:*`: a tenth of what cfn-guard read at 100 services): no
 * Control Tower rule reads a resource's `Metadata` (other keys, which a
 * rule could read, are kept), and findings name resources by logical id.
 */
function withoutCdkMetadata(resource: GuardResource): GuardResource {
  if (!resource.Metadata) return resource;
  const { Metadata: metadata, ...rest } = resource;
  const kept = Object.fromEntries(Object.entries(metadata).filter(([key]) => !key.startsWith('aws:')));
  return Object.keys(kept).length ? { ...rest, Metadata: kept } : rest;
}

/**
 * Templates per cfn-guard run at most. A run costs about 50 ms to start
 * whatever it checks: a batch is split only when it is large (cfn-guard's
 * results for a template do not depend on the others). Splitting each
 * batch in one job per lane, as before, doubled the runs on 2 cores (79
 * instead of 40 for 28 templates) though the synth's thread ends up running
 * the other lane's jobs when the worker is busy with the schema check.
 */
const TEMPLATES_PER_GUARD_RUN = 64;

/**
 * The batches' work in `lanes` lists of jobs of about equal cost (rule files
 * x templates), one list per cfn-guard process running at once: each batch
 * is one job (or several of at most {@link TEMPLATES_PER_GUARD_RUN}
 * templates); the jobs then go, largest first, to the lane with the least
 * work.
 */
function laneJobs(batches: ReadonlyArray<{ rules: string[]; templatePaths: string[] }>, lanes: number): GuardJob[][] {
  const jobs: GuardJob[] = [];
  for (const batch of batches) {
    const parts = Math.ceil(batch.templatePaths.length / TEMPLATES_PER_GUARD_RUN);
    const size = Math.ceil(batch.templatePaths.length / parts);
    for (let i = 0; i < batch.templatePaths.length; i += size) {
      jobs.push({ kind: 'guard', rules: batch.rules, templatePaths: batch.templatePaths.slice(i, i + size) });
    }
  }
  const cost = (job: GuardJob) => job.rules.length * job.templatePaths.length;
  const work = Array.from({ length: Math.min(lanes, jobs.length) }, () => ({ cost: 0, jobs: [] as GuardJob[] }));
  for (const job of [...jobs].sort((a, b) => cost(b) - cost(a))) {
    const lane = work.reduce((least, l) => (l.cost < least.cost ? l : least));
    lane.cost += cost(job);
    lane.jobs.push(job);
  }
  return work.map(l => l.jobs);
}

/** Runs one job with `CfnGuardValidator` in this thread. */
function runGuardJob(job: GuardJob): GuardReport {
  // CfnGuardValidator reads only the template paths of its context.
  return new CfnGuardValidator({ controlTowerRulesEnabled: false, rules: [...job.rules] })
    .validate({ templatePaths: [...job.templatePaths] } as unknown as cdk.IPolicyValidationContextBeta1);
}

/**
 * Runs each lane's jobs, the lanes at once, and returns their reports: the
 * first lane in this thread, each other in a worker thread.
 */
function runGuardJobs(lanes: readonly GuardJob[][], started?: ValidationWorkers): GuardReport[] {
  if (lanes.length <= 1) return (lanes[0] ?? []).map(runGuardJob);
  // The app's background threads if they run (as many as the other lanes), else threads for this run.
  const pool = started ?? new ValidationWorkers(lanes.length - 1, runGuardJob);
  try {
    const ids = lanes.slice(1).flatMap((jobs, i) => jobs.map(job => pool.post(job, i)));
    const reports = lanes[0].map(runGuardJob);
    return [...reports, ...pool.wait(ids)];
  } finally {
    if (pool !== started) pool.close();
  }
}
