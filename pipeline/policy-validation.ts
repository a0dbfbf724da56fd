import * as fs from 'node:fs';
import * as path from 'node:path';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import * as cdk from 'aws-cdk-lib';
import { AwsSolutionsChecks, PCIDSS321Checks, ServerlessChecks } from 'cdk-nag';

/**
 * The policy validation every synth runs (locally, in CI and in the
 * pipeline's build): cdk-nag's AWS Solutions, PCI DSS 3.2.1 and Serverless
 * packs, and the AWS Control Tower proactive controls as cfn-guard rules
 * (`@cdklabs/cdk-validator-cfnguard`, all of them). Any finding that is
 * neither fixed nor acknowledged with a reason (`Validations.of(x).acknowledge`,
 * ids `cdk-validator-cfnguard::<rule>` for the guard rules) fails synth.
 */
export function addPolicyValidation(app: cdk.App): void {
  cdk.Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app),
    new PCIDSS321Checks(app),
    new ServerlessChecks(app),
    new ControlTowerGuardValidator(),
  );
}

/** The Control Tower rule files bundled with `@cdklabs/cdk-validator-cfnguard` (what `CfnGuardValidator` runs by default). */
const CONTROL_TOWER_RULES_DIR = path.join(
  path.dirname(require.resolve('@cdklabs/cdk-validator-cfnguard')), '..', 'rules', 'control-tower', 'cfn-guard');

/** One guard rule file and the resource types it inspects (`undefined`: it may inspect any resource). */
interface GuardRuleFile {
  readonly path: string;
  readonly types?: ReadonlySet<string>;
}

/**
 * `CfnGuardValidator` with every bundled Control Tower rule, run so that
 * cfn-guard only evaluates the rule files that can apply to each template.
 *
 * Why: cfn-guard evaluates every rule file against every template, and its
 * cost grows with rules x resources even when a rule finds nothing to check
 * (each rule still walks the template's resources to select its types). The
 * 237 bundled files cost ~1.1 s per 60 KB service template; fewer than 40 of
 * them name a resource type our templates contain. Each Control Tower rule
 * selects resources by the literal types it names and SKIPs a template
 * without them (scenario 1 of every rule), so leaving those files out for
 * that template changes no result: the same rules still check every resource
 * they can apply to. A rule file that names no type, or mentions `AWS::`
 * other than as a full literal type (a pattern, a prefix), always runs.
 *
 * Templates needing the same rule files share one cfn-guard invocation.
 * Violations are reported under `CfnGuardValidator`'s plugin name, so
 * acknowledgements read `cdk-validator-cfnguard::<rule name>`.
 */
export class ControlTowerGuardValidator implements cdk.IPolicyValidationPlugin {
  public readonly name = 'cdk-validator-cfnguard';
  public readonly version?: string;
  public readonly ruleIds?: string[];
  private readonly rules: readonly GuardRuleFile[];

  constructor() {
    const full = new CfnGuardValidator();
    this.version = full.version;
    this.ruleIds = full.ruleIds;
    this.rules = fs.readdirSync(CONTROL_TOWER_RULES_DIR, { recursive: true, encoding: 'utf8' })
      .filter(file => file.endsWith('.guard'))
      .sort()
      .map(file => readRuleFile(path.join(CONTROL_TOWER_RULES_DIR, file)));
  }

  /** The rule files cfn-guard evaluates for a template holding resources of these types. */
  public rulesFor(resourceTypes: ReadonlySet<string>): string[] {
    return this.rules.filter(r => !r.types || [...r.types].some(t => resourceTypes.has(t))).map(r => r.path);
  }

  public validate(context: cdk.IPolicyValidationContext): cdk.PolicyValidationPluginReport {
    const batches = new Map<string, { rules: string[]; templatePaths: string[] }>();
    for (const templatePath of context.templatePaths) {
      const rules = this.rulesFor(resourceTypesOf(templatePath));
      // No rule inspects any resource of this template: cfn-guard would SKIP every rule.
      if (rules.length === 0) continue;
      const key = rules.join('\n');
      const batch = batches.get(key);
      if (batch) batch.templatePaths.push(templatePath);
      else batches.set(key, { rules, templatePaths: [templatePath] });
    }
    const reports = [...batches.values()].map(batch =>
      new CfnGuardValidator({ controlTowerRulesEnabled: false, rules: batch.rules })
        .validate({ templatePaths: batch.templatePaths, appConstruct: context.appConstruct }));
    return {
      success: reports.every(r => r.success),
      // CfnGuardValidator leaves severity unset. Once any finding is
      // acknowledged, CDK re-derives success as "no violation of severity
      // error", so the unacknowledged ones would be printed yet pass synth.
      violations: reports.flatMap(r => r.violations).map(v => ({ ...v, severity: v.severity ?? 'error' })),
    };
  }
}

function readRuleFile(file: string): GuardRuleFile {
  const code = fs.readFileSync(file, 'utf8').split('\n').filter(line => !line.trimStart().startsWith('#')).join('\n');
  const types = code.match(/AWS::[A-Za-z0-9]+::[A-Za-z0-9]+/g) ?? [];
  const mentions = code.match(/AWS::/g) ?? [];
  return types.length > 0 && types.length === mentions.length ? { path: file, types: new Set(types) } : { path: file };
}

function resourceTypesOf(templatePath: string): Set<string> {
  const template = JSON.parse(fs.readFileSync(templatePath, 'utf8')) as { Resources?: Record<string, { Type?: string }> };
  return new Set(Object.values(template.Resources ?? {}).map(r => r.Type ?? ''));
}
