/**
 * A short summary of a V8 CPU profile (`node --cpu-prof`) for the scale
 * benchmark: where the app's time goes by package and by function.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The parts of a `.cpuprofile` the summary reads. */
export interface CpuProfile {
  readonly nodes: ReadonlyArray<{
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
    readonly children?: readonly number[];
  }>;
  /** Node id of each sample, in time order. */
  readonly samples: readonly number[];
  /** Microseconds from the previous sample (the first: from startTime). */
  readonly timeDeltas: readonly number[];
  readonly startTime?: number;
  readonly endTime?: number;
}

/** Self time of one package or function. */
export interface SelfTime {
  readonly name: string;
  readonly selfMs: number;
  /** Share of the profile's sampled time, 0-1. */
  readonly share: number;
}

/** What {@link summarizeProfile} returns. */
export interface ProfileSummary {
  /** Sampled time, ms. */
  readonly totalMs: number;
  /** By package: `node_modules/<pkg>`, a folder of the repository, `node: internals`, or V8's own entries (`(garbage collector)`...). */
  readonly packages: readonly SelfTime[];
  /** By function, with where it is (`<package or folder>/<file>:<line>`) and its package. */
  readonly functions: ReadonlyArray<SelfTime & { readonly where: string; readonly group: string }>;
}

/** The file a profile's script URL names, or undefined for internals and V8 entries. */
function fileOf(url: string): string | undefined {
  if (url.startsWith('file://')) return fileURLToPath(url);
  return url.startsWith('/') ? url : undefined;
}

const NODE_MODULES = `${path.sep}node_modules${path.sep}`;

/** The package under the last node_modules of `file`: `aws-cdk-lib`, `@cdklabs/cdk-validator-cfnguard`. */
function packageOf(file: string): { name: string; rest: string } | undefined {
  const at = file.lastIndexOf(NODE_MODULES);
  if (at < 0) return undefined;
  const parts = file.slice(at + NODE_MODULES.length).split(path.sep);
  const length = parts[0].startsWith('@') ? 2 : 1;
  return { name: parts.slice(0, length).join('/'), rest: parts.slice(length).join('/') };
}

/**
 * What a call frame counts under: `node_modules/<pkg>`, a top-level folder
 * (or file) of `root` such as `kit/` or `main.ts`, `node: internals`, V8's own
 * entries by their name (`(garbage collector)`, `(program)`, `(idle)`), a URL
 * scheme (`wasm:`), or `other`.
 */
export function groupOf(callFrame: { readonly functionName: string; readonly url: string }, root: string): string {
  const { url, functionName } = callFrame;
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node: internals';
  const file = fileOf(url);
  if (!file) return `${url.split(':')[0]}:`;
  const pkg = packageOf(file);
  if (pkg) return `node_modules/${pkg.name}`;
  const rel = path.relative(root, file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return 'other';
  const [first, ...rest] = rel.split(path.sep);
  return rest.length > 0 ? `${first}/` : first;
}

function whereOf(callFrame: { readonly url: string; readonly lineNumber: number }, root: string): string {
  const line = callFrame.lineNumber >= 0 ? `:${callFrame.lineNumber + 1}` : '';
  const file = fileOf(callFrame.url);
  if (!file) return callFrame.url === '' ? '' : `${callFrame.url}${line}`;
  const pkg = packageOf(file);
  if (pkg) return `${pkg.name}/${pkg.rest}${line}`;
  const rel = path.relative(root, file);
  return `${rel.startsWith('..') ? file : rel}${line}`;
}

function top(byName: ReadonlyMap<string, number>, totalMs: number, count: number): SelfTime[] {
  return [...byName].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, count)
    .map(([name, selfMs]) => ({ name, selfMs, share: totalMs > 0 ? selfMs / totalMs : 0 }));
}

/**
 * Self time by package and by function. A sample lasts until the next one
 * (the last until `endTime`), as Chrome DevTools counts it.
 */
export function summarizeProfile(profile: CpuProfile, root: string, counts = { packages: 15, functions: 20 }): ProfileSummary {
  const nodes = new Map(profile.nodes.map(n => [n.id, n]));
  const selfUs = new Map<number, number>();
  let at = profile.startTime ?? 0;
  const times = profile.timeDeltas.map(d => (at += d));
  for (let i = 0; i < profile.samples.length; i++) {
    const next = i + 1 < times.length ? times[i + 1] : profile.endTime ?? times[i];
    const us = Math.max(0, next - times[i]);
    selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + us);
  }
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const functionInfo = new Map<string, { name: string; where: string; group: string }>();
  let totalMs = 0;
  for (const [id, us] of selfUs) {
    const node = nodes.get(id);
    if (!node) continue;
    const ms = us / 1000;
    totalMs += ms;
    const group = groupOf(node.callFrame, root);
    byPackage.set(group, (byPackage.get(group) ?? 0) + ms);
    const name = node.callFrame.functionName || '(anonymous)';
    const where = whereOf(node.callFrame, root);
    const key = `${name}\0${where}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + ms);
    functionInfo.set(key, { name, where, group });
  }
  return {
    totalMs,
    packages: top(byPackage, totalMs, counts.packages),
    functions: top(byFunction, totalMs, counts.functions).map(f => ({ ...f, ...functionInfo.get(f.name)! })),
  };
}

const cell = (text: string) => text.replace(/\|/g, '\\|');
const percent = (share: number) => `${(share * 100).toFixed(1)}%`;

/** The summary as two markdown tables: packages, then functions. */
export function renderProfileSummary(summary: ProfileSummary, title: string): string {
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(' | ')} |`;
  return [
    `${title}: ${(summary.totalMs / 1000).toFixed(2)} s sampled`,
    '',
    line(['package (self time)', 'ms', 'share']),
    line(['---', '---:', '---:']),
    ...summary.packages.map(p => line([p.name, p.selfMs.toFixed(0), percent(p.share)])),
    '',
    line(['function (self time)', 'where', 'ms', 'share']),
    line(['---', '---', '---:', '---:']),
    ...summary.functions.map(f => line([f.name, f.where, f.selfMs.toFixed(0), percent(f.share)])),
  ].join('\n');
}
