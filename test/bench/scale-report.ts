/**
 * The scale benchmark's per-phase report (test/bench/scale.ts): where each
 * synth of a row spends its time, against the two floors. Pure functions
 * over the timings the app writes (kit/synth-timings.ts), apart from
 * {@link assemblyCounts}, which reads a cloud assembly.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
// The module itself, not kit/index.ts: the index loads cdk-nag and aws-cdk-lib, which the tests of this file do not need.
import { SYNTH_PHASES, SynthTimingsReport } from '../../kit/synth-timings';

/** One step of a row: a command run `runs` times. */
export interface StepResult {
  /** Median wall time of the runs, seconds. */
  readonly seconds: number;
  /** Each run's wall time, seconds. */
  readonly samples: number[];
  /** Highest peak resident set of the runs (largest process of the tree), MiB. */
  readonly peakMiB?: number;
  readonly exitCode: number;
  /** On failure: the problems the command printed. */
  readonly errors: string[];
  /** The phases the app wrote in the run of median wall time (the lower middle for an even number of runs). */
  readonly timings?: SynthTimingsReport;
  /** That run's wall time, seconds: what the timings add up to with the CLI's own time. */
  readonly timedRunSeconds?: number;
}

/** The synths of one row's feedback sequence, in the order they run (the first synth is the row's synth). */
export interface FeedbackSteps {
  /** Our policy validation plugins ignored, from no bundles and no validation cache. */
  readonly floorAFirst: StepResult;
  /** The same again: bundles reused. */
  readonly floorASecond: StepResult;
  /** Every validation, from no bundles and no validation cache. */
  readonly first: StepResult;
  /** The same again, nothing changed. */
  readonly second: StepResult;
  /** After appending a comment line to one payments handler. */
  readonly afterEdit: StepResult;
  /** A plain CDK app with only the same Lambda functions, one stack per (service, environment, region) (test/bench/floor-b.ts). */
  readonly floorB: StepResult;
}

/** What a synth after editing one handler redid and reused. */
export interface EditCounts {
  readonly esbuildRuns: number;
  readonly bundlesBuilt: number;
  readonly bundlesReused: number;
  /** cfn-guard: templates checked, and taken from the cache. */
  readonly guard: { readonly validated: number; readonly fromCache: number };
  /** cdk-nag, by pack: stacks checked, and taken from the cache. */
  readonly nag: Readonly<Record<string, { readonly validated: number; readonly fromCache: number }>>;
  /** CDK's CloudFormation schema check (cached by content): templates checked, and taken from the cache. */
  readonly schema: { readonly validated: number; readonly fromCache: number };
}

/** The median of `values` (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The plugin name of the Control Tower guard rules (pipeline/policy-validation.ts). */
const GUARD_PLUGIN = 'cdk-validator-cfnguard';
/** The plugin name of CDK's CloudFormation schema check (pipeline/schema-validation.ts keeps its results). */
const SCHEMA_PLUGIN = 'CloudFormation Validate';
const VALIDATION_PREFIX = SYNTH_PHASES.validation('');
/** cdk-nag packs in the order pipeline/policy-validation.ts adds them; other plugins follow by name. */
const KNOWN_PLUGINS = ['AwsSolutions', 'PCI.DSS.321', 'Serverless', GUARD_PLUGIN, SCHEMA_PLUGIN];

/** The validation phases of a report (`validation: <plugin>`). */
export function validationPhases(report: SynthTimingsReport): string[] {
  return Object.keys(report.phases).filter(p => p.startsWith(VALIDATION_PREFIX));
}

/** What the synth after a handler edit counted (0 for a counter it did not record). */
export function editCounts(report: SynthTimingsReport): EditCounts {
  const count = (phase: string, counter: string) => report.phases[phase]?.counts[counter] ?? 0;
  const guard = SYNTH_PHASES.validation(GUARD_PLUGIN);
  const schema = SYNTH_PHASES.validation(SCHEMA_PLUGIN);
  return {
    esbuildRuns: count(SYNTH_PHASES.bundling, 'esbuild runs'),
    bundlesBuilt: count(SYNTH_PHASES.bundling, 'bundles built'),
    bundlesReused: count(SYNTH_PHASES.bundling, 'bundles reused'),
    guard: {
      // Templates a background check took while constructs were built were validated too.
      validated: count(guard, 'templates validated') + count(guard, 'templates validated while constructs were built'),
      fromCache: count(guard, 'templates from cache'),
    },
    nag: Object.fromEntries(validationPhases(report).filter(p => p !== guard && p !== schema).sort(byPlugin)
      .map(p => [p.slice(VALIDATION_PREFIX.length), { validated: count(p, 'stacks validated'), fromCache: count(p, 'stacks from cache') }])),
    schema: {
      validated: count(schema, 'templates validated') + count(schema, 'templates validated in the background'),
      fromCache: count(schema, 'templates from cache'),
    },
  };
}

function pluginRank(phase: string): number {
  const i = KNOWN_PLUGINS.indexOf(phase.slice(VALIDATION_PREFIX.length));
  return i < 0 ? KNOWN_PLUGINS.length : i;
}

const byPlugin = (a: string, b: string) => pluginRank(a) - pluginRank(b) || a.localeCompare(b);

/** The phases of these reports in the order a synth runs them: models, bundling, constructs, each plugin, synthesis, then any other. */
export function orderedPhases(reports: ReadonlyArray<SynthTimingsReport | undefined>): string[] {
  const seen = [...new Set(reports.flatMap(r => (r ? Object.keys(r.phases) : [])))];
  const fixedBefore = [SYNTH_PHASES.models, SYNTH_PHASES.bundling, SYNTH_PHASES.constructs];
  const plugins = seen.filter(p => p.startsWith(VALIDATION_PREFIX)).sort(byPlugin);
  // The worker threads' time is not the synth thread's: counted, not a row (see renderFeedback).
  const known = new Set<string>([...fixedBefore, SYNTH_PHASES.synthesis, SYNTH_PHASES.background, ...plugins]);
  return [...fixedBefore, ...plugins, SYNTH_PHASES.synthesis, ...seen.filter(p => !known.has(p))];
}

function phaseLabel(phase: string): string {
  if (phase === SYNTH_PHASES.synthesis) return 'CDK synthesis (templates, assets, CloudFormation schema check)';
  if (!phase.startsWith(VALIDATION_PREFIX)) return phase;
  const plugin = phase.slice(VALIDATION_PREFIX.length);
  if (plugin === GUARD_PLUGIN) return 'validation: cfn-guard, Control Tower rules';
  if (plugin === SCHEMA_PLUGIN) return 'validation: CDK\'s CloudFormation schema check';
  return KNOWN_PLUGINS.includes(plugin) ? `validation: cdk-nag ${plugin}` : phase;
}

/** One row of the per-phase table: a label and, per column, milliseconds (undefined: not measured or did not run). */
export interface PhaseRow {
  readonly label: string;
  readonly ms: ReadonlyArray<number | undefined>;
}

/**
 * The per-phase breakdown of `steps`: loading the app, each phase, the app's
 * time outside any phase, the CLI's own time (wall less the app's total),
 * and the wall time; each column adds up to its total.
 */
export function phaseRows(steps: ReadonlyArray<StepResult | undefined>): PhaseRow[] {
  const reports = steps.map(s => (s && s.exitCode === 0 ? s.timings : undefined));
  const wallMs = steps.map(s => (s ? (s.timedRunSeconds ?? s.seconds) * 1000 : undefined));
  const phases = orderedPhases(reports);
  const inPhases = reports.map(r => (r ? Object.values(r.phases).reduce((n, p) => n + p.ms, 0) : undefined));
  return [
    { label: 'loading and transpiling the app', ms: reports.map(r => r?.loadMs) },
    ...phases.map(phase => ({ label: phaseLabel(phase), ms: reports.map(r => r?.phases[phase]?.ms) })),
    { label: 'app, outside any phase', ms: reports.map((r, i) => (r ? r.totalMs - r.loadMs - inPhases[i]! : undefined)) },
    { label: 'CLI overhead (wall - app total)', ms: reports.map((r, i) => (r ? wallMs[i]! - r.totalMs : undefined)) },
    { label: 'total (wall)', ms: wallMs },
  ];
}

/** Column titles of the per-phase table, in {@link FeedbackSteps} order. */
export const STEP_TITLES: Readonly<Record<keyof FeedbackSteps, string>> = {
  floorAFirst: 'floor A first',
  floorASecond: 'floor A second',
  first: 'first synth',
  second: 'second synth',
  afterEdit: 'after one handler edit',
  floorB: 'floor B (plain app via tsx)',
};
const COLUMNS: ReadonlyArray<keyof FeedbackSteps> = ['floorAFirst', 'floorASecond', 'first', 'second', 'afterEdit', 'floorB'];

/** What the row's report derives from its steps (also written to bench-scale.json). */
export interface FeedbackFigures {
  /** first synth / floor A first, second synth / floor A second, first synth / floor B (wall times). */
  readonly ratios: { readonly firstToFloorAFirst?: number; readonly secondToFloorASecond?: number; readonly firstToFloorB?: number };
  /** The first synth's wall time per stack and per resource of its cloud assembly (nested assemblies included), ms. */
  readonly firstMsPerStack?: number;
  readonly firstMsPerResource?: number;
  readonly edit?: EditCounts;
  /** Validation phases that ran in a floor A synth (none expected). */
  readonly floorAValidationPhases: string[];
}

/** The step, when it ran and succeeded. */
const ok = (s: StepResult | undefined): StepResult | undefined => (s !== undefined && s.exitCode === 0 ? s : undefined);
const ratio = (a: StepResult | undefined, b: StepResult | undefined) => {
  const [x, y] = [ok(a), ok(b)];
  return x && y && y.seconds > 0 ? x.seconds / y.seconds : undefined;
};

/** The ratios, per-stack and per-resource times and edit counts of a row. */
export function feedbackFigures(steps: Partial<FeedbackSteps>, assembly?: { readonly stacks: number; readonly resources: number }): FeedbackFigures {
  const first = ok(steps.first);
  const firstMs = first ? first.seconds * 1000 : undefined;
  const afterEdit = ok(steps.afterEdit);
  return {
    ratios: {
      firstToFloorAFirst: ratio(steps.first, steps.floorAFirst),
      secondToFloorASecond: ratio(steps.second, steps.floorASecond),
      firstToFloorB: ratio(steps.first, steps.floorB),
    },
    firstMsPerStack: firstMs !== undefined && assembly && assembly.stacks > 0 ? firstMs / assembly.stacks : undefined,
    firstMsPerResource: firstMs !== undefined && assembly && assembly.resources > 0 ? firstMs / assembly.resources : undefined,
    edit: afterEdit?.timings ? editCounts(afterEdit.timings) : undefined,
    floorAValidationPhases: [steps.floorAFirst, steps.floorASecond].flatMap(s => (s?.timings ? validationPhases(s.timings) : [])),
  };
}

const seconds = (ms: number | undefined) => (ms === undefined ? '-' : (ms / 1000).toFixed(2));
const times = (r: number | undefined) => (r === undefined ? '-' : `${r.toFixed(2)}x`);

/** The edit counts in one line. */
export function renderEditCounts(edit: EditCounts): string {
  const nag = Object.entries(edit.nag).map(([pack, c]) => `${pack} ${c.validated} validated / ${c.fromCache} from cache`).join(', ');
  return `esbuild runs ${edit.esbuildRuns}, bundles built ${edit.bundlesBuilt}, reused ${edit.bundlesReused}; `
    + `cfn-guard templates ${edit.guard.validated} validated / ${edit.guard.fromCache} from cache; cdk-nag stacks: ${nag || 'none'}; `
    + `CloudFormation schema check templates ${edit.schema.validated} validated / ${edit.schema.fromCache} from cache`;
}

function floorB(step: StepResult | undefined): string {
  if (!step) return '-';
  return step.exitCode === 0 ? `${step.seconds.toFixed(2)} s` : `failed (exit ${step.exitCode}): ${step.errors.slice(0, 2).join(' / ')}`;
}

/** What {@link renderFeedback} shows besides the steps. */
export interface FeedbackContext {
  /** The first synth's cloud assembly: stacks (nested assemblies included) and resources. */
  readonly assembly?: { readonly stacks: number; readonly resources: number };
  /** The handler the edit step changed, relative to the copy. */
  readonly editedFile: string;
  /** Whether the first synth ran under the CPU profiler. */
  readonly profiled?: boolean;
}

/** The per-phase table of a row (seconds) and the lines under it. */
/** What a step's validation worker threads spent, by kind of job: '-' when none ran. */
function backgroundSeconds(step: StepResult | undefined): string {
  const counts = step?.timings?.phases[SYNTH_PHASES.background]?.counts;
  if (!counts) return '-';
  return `cfn-guard ${((counts['cfn-guard ms'] ?? 0) / 1000).toFixed(1)} s + schema check ${((counts['schema check ms'] ?? 0) / 1000).toFixed(1)} s`;
}

export function renderFeedback(steps: Partial<FeedbackSteps>, context: FeedbackContext): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  const columns = COLUMNS.map(c => steps[c]);
  const titles = COLUMNS.map(c => {
    const step = steps[c];
    const title = c === 'first' && context.profiled ? `${STEP_TITLES[c]} (cpu-profiled)` : STEP_TITLES[c];
    return step && step.exitCode !== 0 ? `${title} (failed, exit ${step.exitCode})` : title;
  });
  const f = feedbackFigures(steps, context.assembly);
  const peaks = COLUMNS.map((c, i) => `${STEP_TITLES[c]} ${columns[i]?.peakMiB?.toFixed(0) ?? '-'}`).join(', ');
  const lines = [
    line(['phase (s)', ...titles]),
    line(['---', ...titles.map(() => '---:')]),
    ...phaseRows(columns).map(r => line([r.label, ...r.ms.map(seconds)])),
    '',
    `- first / floor A first: ${times(f.ratios.firstToFloorAFirst)}; second / floor A second: ${times(f.ratios.secondToFloorASecond)}`,
    `- floor B: ${floorB(steps.floorB)}; `
      + `first synth / floor B: ${times(f.ratios.firstToFloorB)}`,
    `- first synth: ${context.assembly ? `${context.assembly.stacks} stacks, ${context.assembly.resources} resources; ` : ''}`
      + `${f.firstMsPerStack === undefined ? '-' : f.firstMsPerStack.toFixed(0)} ms per stack, `
      + `${f.firstMsPerResource === undefined ? '-' : f.firstMsPerResource.toFixed(1)} ms per resource`,
    `- peak MiB: ${peaks}`,
    `- beside the synth's thread (worker threads): ${COLUMNS.map((c, i) => `${STEP_TITLES[c]} ${backgroundSeconds(columns[i])}`).join(', ')}`,
    `- after editing ${context.editedFile}: ${f.edit ? renderEditCounts(f.edit) : '-'}`,
  ];
  if (f.floorAValidationPhases.length > 0) {
    lines.push(`- WARNING: floor A ran ${[...new Set(f.floorAValidationPhases)].join(', ')}: the preload did not remove our plugins`);
  }
  return lines.join('\n');
}

interface ManifestJson {
  readonly artifacts?: Record<string, {
    readonly type: string;
    readonly properties?: { readonly templateFile?: string; readonly directoryName?: string };
  }>;
}

/**
 * Stacks and resources of the cloud assembly in `outdir`, nested
 * assemblies (pipeline stages, `assembly-*`) included.
 */
export function assemblyCounts(outdir: string): { stacks: number; resources: number } {
  let stacks = 0;
  let resources = 0;
  const visited = new Set<string>();
  const visit = (dir: string) => {
    const resolved = path.resolve(dir);
    if (visited.has(resolved)) return;
    visited.add(resolved);
    const manifest = JSON.parse(fs.readFileSync(path.join(resolved, 'manifest.json'), 'utf8')) as ManifestJson;
    for (const artifact of Object.values(manifest.artifacts ?? {})) {
      if (artifact.type === 'aws:cloudformation:stack' && artifact.properties?.templateFile) {
        const template = JSON.parse(fs.readFileSync(path.join(resolved, artifact.properties.templateFile), 'utf8')) as { Resources?: object };
        stacks++;
        resources += Object.keys(template.Resources ?? {}).length;
      } else if (artifact.type === 'cdk:cloud-assembly' && artifact.properties?.directoryName) {
        visit(path.join(resolved, artifact.properties.directoryName));
      }
    }
  };
  visit(outdir);
  return { stacks, resources };
}
