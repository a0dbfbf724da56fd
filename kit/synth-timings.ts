import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';

/** One phase of a synth: its own time (nested phases excluded) and what it counted. */
export interface SynthPhase {
  /** Milliseconds spent in this phase itself, nested phases excluded. */
  readonly ms: number;
  /** How many times the phase ran. */
  readonly runs: number;
  /** What the phase counted (esbuild runs, stacks from cache, ...). */
  readonly counts: Readonly<Record<string, number>>;
}

/** What {@link SynthTimings.snapshot} returns, and the file the CDK app writes for the benchmark. */
export interface SynthTimingsReport {
  /** Milliseconds from the process start to the first phase: loading and transpiling the app. */
  readonly loadMs: number;
  /** Milliseconds from the process start to the snapshot. */
  readonly totalMs: number;
  readonly phases: Readonly<Record<string, SynthPhase>>;
}

interface MutablePhase { ms: number; runs: number; counts: Record<string, number> }

/**
 * Where a synth spends its time, by phase, for the benchmark
 * (`npx projen bench:scale`). A phase's time excludes the phases nested in
 * it, so the phases add up to the synth. Costs two `performance.now()` calls
 * per phase: always on.
 */
export class SynthTimings {
  private readonly phases = new Map<string, MutablePhase>();
  /** Phases running now, innermost last, with when each last resumed. */
  private readonly active: Array<{ name: string; since: number }> = [];
  private firstPhaseAt?: number;

  /** Runs `fn` as phase `name` and returns its result. */
  public time<T>(name: string, fn: () => T): T {
    const now = performance.now();
    this.firstPhaseAt ??= now;
    const outer = this.active[this.active.length - 1];
    if (outer) this.add(outer.name, now - outer.since);
    this.active.push({ name, since: now });
    this.phase(name).runs++;
    try {
      return fn();
    } finally {
      const end = performance.now();
      const self = this.active.pop()!;
      this.add(self.name, end - self.since);
      if (outer) outer.since = end;
    }
  }

  /** Adds `n` to counter `counter` of phase `name`. */
  public count(name: string, counter: string, n = 1): void {
    const counts = this.phase(name).counts;
    counts[counter] = (counts[counter] ?? 0) + n;
  }

  /** The phases so far. */
  public snapshot(): SynthTimingsReport {
    const now = performance.now();
    return {
      loadMs: round(this.firstPhaseAt ?? now),
      totalMs: round(now),
      phases: Object.fromEntries([...this.phases].map(([name, p]) => [name, { ms: round(p.ms), runs: p.runs, counts: { ...p.counts } }])),
    };
  }

  /** Writes {@link snapshot} as JSON to `file`. */
  public write(file: string): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${JSON.stringify(this.snapshot(), null, 2)}\n`);
  }

  private phase(name: string): MutablePhase {
    let phase = this.phases.get(name);
    if (!phase) this.phases.set(name, phase = { ms: 0, runs: 0, counts: {} });
    return phase;
  }

  private add(name: string, ms: number): void {
    this.phase(name).ms += ms;
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/** The process's timings: main.ts, bundling and policy validation record into it. */
export const synthTimings = new SynthTimings();

/** The phase names the platform records, in the order a synth runs them. */
export const SYNTH_PHASES = {
  models: 'model validation',
  bundling: 'bundling',
  constructs: 'construct building',
  synthesis: 'CDK synthesis (templates, assets, CloudFormation schema check)',
  validation: (plugin: string) => `validation: ${plugin}`,
  /** Not a phase of the synth's thread: what its validation's worker threads spent beside it (counts only, in ms). */
  background: 'background validation threads',
} as const;
