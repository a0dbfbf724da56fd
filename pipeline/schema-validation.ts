import * as fs from 'node:fs';
import * as cdk from 'aws-cdk-lib';
import { SYNTH_PHASES, synthTimings, ValidationCache } from '../kit';

/** The installed aws-cdk-lib release: its rules, the rules it leaves out and its engine are part of every key. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const CDK_VERSION = (require('aws-cdk-lib/package.json') as { version: string }).version;

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
 * CDK's own CloudFormation schema and rule check (the `CloudFormation
 * Validate` plugin every `cdk synth` runs), with its results kept by
 * content: a template whose bytes, account and region are unchanged since
 * an earlier synth, under the same aws-cdk-lib release, takes its findings
 * from the cache; the others go to CDK's engine, together, in one call.
 *
 * Why: on the shipped app the check took half of a synth with nothing
 * changed (6 s of 12 s), for templates it had already checked. A subclass,
 * so CDK trusts it as its own (it may read the assembly) and runs it instead
 * of the default instance, never beside it; the templates not in the cache
 * go to one instance of CDK's plugin per process, whose engine starts once.
 * Its report is the one CDK's would give: the same plugin name, findings,
 * severities (cdk.json's `validateAgainstDefaultRules` still decides whether
 * errors fail synth) and the same merging of one finding over several
 * resources.
 */
export class CachedCloudFormationValidate extends cdk.CloudFormationValidatePlugin {
  constructor(private readonly cache: ValidationCache) {
    super();
  }

  public validate(context: cdk.IPolicyValidationContext): cdk.PolicyValidationPluginReport {
    return synthTimings.time(SYNTH_PHASES.validation(this.name), () => this.validateCached(context));
  }

  private validateCached(context: cdk.IPolicyValidationContext): cdk.PolicyValidationPluginReport {
    const phase = SYNTH_PHASES.validation(this.name);
    const templates = context.stackTemplates ?? [];
    const keys = templates.map(t => ValidationCache.key('cloudformation-validate', CDK_VERSION, this.version ?? '',
      t.accountId ?? '', t.region ?? '', fs.readFileSync(t.templatePath)));
    const stored = keys.map(key => this.cache.get<StoredViolation[]>(key));
    const missed = templates.filter((_, i) => stored[i] === undefined);
    synthTimings.count(phase, 'templates from cache', templates.length - missed.length);
    if (missed.length > 0) {
      synthTimings.count(phase, 'templates validated', missed.length);
      // CDK's check, once for all of them (its engine starts for the resource types they hold).
      const fresh = sharedCheck().validate({ ...context, templatePaths: missed.map(t => t.templatePath), stackTemplates: missed });
      templates.forEach((template, i) => {
        if (stored[i] !== undefined) return;
        stored[i] = storedOf(fresh.violations, template.templatePath);
        this.cache.set(keys[i], stored[i]);
      });
      this.cache.prune();
    }
    // In template order, a finding over several resources merged as CDK merges it.
    const violations: cdk.PolicyViolation[] = [];
    // By rule, severity and description: a lookup per finding, not a scan of all of them (thousands at 300 services).
    const merged = new Map<string, cdk.PolicyViolation>();
    templates.forEach((template, i) => {
      for (const finding of stored[i]!) {
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
export function cacheSchemaValidation(app: cdk.App, cache: ValidationCache): void {
  const builtin = (app as unknown as { _builtinCloudFormationValidation?: boolean })._builtinCloudFormationValidation;
  if (builtin === false || process.env.CDK_VALIDATION === 'false') return;
  cdk.Validations.of(app).addPlugins(new CachedCloudFormationValidate(cache));
}
