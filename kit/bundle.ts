import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildSync, BuildOptions, BuildResult, stop as stopEsbuild, version as ESBUILD_VERSION } from 'esbuild';
import { synthTimings } from './synth-timings';

/** A bundled function: the folder to deploy (index.js and its source map). */
export interface FunctionBundle {
  /** Absolute path of the folder holding `index.js`. */
  readonly dir: string;
  /** Size of `index.js` in bytes. */
  readonly bytes: number;
}

/** The Lambda runtime these bundles target. */
export const BUNDLE_TARGET = 'node24';

/** The synth phase bundling records its time and counts under. */
export const BUNDLING_PHASE = 'bundling';

/**
 * Entry points per esbuild run. esbuild holds every output of a run in
 * memory until the run ends: at 100 services, one run of 203 entry points
 * grew its process to 2.6 GB (and kept it for the rest of the synth), runs
 * of 34 to 0.6 GB, in the same time (8.6 s and 8.9 s).
 */
const MAX_ENTRIES_PER_RUN = 32;

/** What each bundle records of its inputs, next to its output (`<outdir>/.inputs.json`). */
const INPUTS_FILE = '.inputs.json';

/** esbuild's options for every bundle (entry points and outdir aside): part of the reuse key. */
const OPTIONS: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: BUNDLE_TARGET,
  format: 'cjs',
  minify: true,
  sourcemap: 'linked',
  sourcesContent: false,
  legalComments: 'none',
  external: ['@aws-sdk/*'],
  logLevel: 'silent',
};

/**
 * Bundles each entry (`name` -> TypeScript file) into `outdir/<name>/index.js`:
 * minified, with a source map, CommonJS for the Node.js 24 runtime, and the
 * AWS SDK v3 left out because the runtime has it. See {@link bundleGroups}.
 */
export function bundleEntries(entries: Readonly<Record<string, string>>, outdir: string): Record<string, FunctionBundle> {
  return bundleGroups({ bundle: { entries, outdir } }).bundle;
}

/** Entries bundled together into one folder (a service's functions). */
export interface BundleGroup {
  /** Function name -> TypeScript entry file. */
  readonly entries: Readonly<Record<string, string>>;
  /** Where `<name>/index.js` goes, for each entry. */
  readonly outdir: string;
}

/**
 * Bundles groups of entries (`group.outdir/<name>/index.js` for each entry)
 * with one esbuild run for all the groups that need it.
 *
 * The output depends only on the sources and the relative path between an
 * outdir and them: keep outdirs at the same place in the repository (for
 * example `.build/bundles/<service>`) and unchanged code keeps its asset
 * hash on every machine. Bundling one group alone or with others gives the
 * same bytes (each entry is bundled on its own; no code is split).
 *
 * Reused by content: next to each group's output, the bundle records what it
 * was built from (entries, esbuild's version and options, and a hash of
 * every input file esbuild read; a dependency under node_modules counts by
 * its package.json, so a new version of it counts as a change). A group
 * none of whose inputs changed keeps its previous output without esbuild.
 * The others have their outdir emptied first, so a removed function leaves
 * nothing behind.
 */
export function bundleGroups<K extends string>(groups: Readonly<Record<K, BundleGroup>>): Record<K, Record<string, FunctionBundle>> {
  return synthTimings.time(BUNDLING_PHASE, () => {
    const all = Object.entries(groups) as Array<[K, BundleGroup]>;
    const keys = new Map(all.map(([id, g]) => [id, buildKey(g.entries, g.outdir)]));
    const stale = all.filter(([id, g]) => {
      const recorded = readRecord(g.outdir);
      return !(recorded && recorded.key === keys.get(id) && inputsUnchanged(recorded.inputs) && outputsPresent(g.entries, g.outdir));
    });
    const reused = all.filter(([id]) => !stale.some(([s]) => s === id));
    synthTimings.count(BUNDLING_PHASE, 'bundles reused', reused.reduce((n, [, g]) => n + Object.keys(g.entries).length, 0));
    if (stale.length > 0) build(stale.map(([id, g]) => ({ ...g, key: keys.get(id)! })));
    return Object.fromEntries(all.map(([id, g]) => [id, Object.fromEntries(Object.keys(g.entries).map(name => {
      const dir = path.join(g.outdir, name);
      return [name, { dir, bytes: fs.statSync(path.join(dir, 'index.js')).size }];
    }))])) as Record<K, Record<string, FunctionBundle>>;
  });
}

/** One esbuild run for `groups`, each into its emptied outdir, then each group's record of its inputs. */
function build(groups: ReadonlyArray<BundleGroup & { key: string }>): void {
  for (const g of groups) fs.rmSync(g.outdir, { recursive: true, force: true });
  // esbuild writes under one outdir: the deepest folder holding every group's.
  const root = commonFolder(groups.map(g => path.resolve(g.outdir)));
  const entryPoints = groups.flatMap(g => Object.entries(g.entries)
    .map(([name, file]) => ({ in: file, out: path.relative(root, path.join(path.resolve(g.outdir), name, 'index')) })));
  const results: BuildResult[] = [];
  try {
    for (let i = 0; i < entryPoints.length; i += MAX_ENTRIES_PER_RUN) {
      const result = buildSync({ ...OPTIONS, entryPoints: entryPoints.slice(i, i + MAX_ENTRIES_PER_RUN), outdir: root, metafile: true });
      if (result.errors.length > 0) {
        throw new Error(`esbuild failed: ${result.errors.map(e => e.text).join('; ')}`);
      }
      synthTimings.count(BUNDLING_PHASE, 'esbuild runs');
      results.push(result);
    }
  } finally {
    // esbuild's process keeps the memory of its largest run until it ends: ended now, not with the synth (the next
    // bundling starts another).
    void stopEsbuild();
  }
  synthTimings.count(BUNDLING_PHASE, 'bundles built', entryPoints.length);
  // esbuild names files relative to the working directory.
  const outputs = results.flatMap(result => Object.entries(result.metafile?.outputs ?? {}))
    .map(([file, output]) => [path.resolve(file), Object.keys(output.inputs)] as const);
  for (const g of groups) {
    const inside = path.resolve(g.outdir) + path.sep;
    const inputs = [...new Set(outputs.filter(([file]) => file.startsWith(inside)).flatMap(([, files]) => files.map(f => path.resolve(f))))].sort();
    writeRecord(g.outdir, { key: g.key, inputs: Object.fromEntries(inputs.map(f => [f, inputDigest(f)])) });
  }
}

function commonFolder(dirs: readonly string[]): string {
  let common = dirs[0];
  while (!dirs.every(d => d === common || d.startsWith(common + path.sep))) common = path.dirname(common);
  return common;
}

interface BundleRecord {
  readonly key: string;
  /** Every input file (absolute) and its digest when the bundle was built. */
  readonly inputs: Readonly<Record<string, string>>;
}

function buildKey(entries: Readonly<Record<string, string>>, outdir: string): string {
  const sorted = Object.entries(entries).sort(([a], [b]) => a.localeCompare(b)).map(([name, file]) => [name, path.resolve(file)]);
  return createHash('sha256').update(JSON.stringify({ esbuild: ESBUILD_VERSION, options: OPTIONS, entries: sorted, outdir: path.resolve(outdir) })).digest('hex');
}

function readRecord(outdir: string): BundleRecord | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(outdir, INPUTS_FILE), 'utf8')) as BundleRecord;
  } catch {
    return undefined;
  }
}

function writeRecord(outdir: string, record: BundleRecord): void {
  fs.writeFileSync(path.join(outdir, INPUTS_FILE), JSON.stringify(record));
}

function outputsPresent(entries: Readonly<Record<string, string>>, outdir: string): boolean {
  return Object.keys(entries).every(name => fs.existsSync(path.join(outdir, name, 'index.js')));
}

function inputsUnchanged(inputs: Readonly<Record<string, string>>): boolean {
  return Object.entries(inputs).every(([file, digest]) => inputDigest(file) === digest);
}

/**
 * A digest of one input file: its content, or for a file of a package under
 * node_modules, that package's package.json (its name and version), which is
 * cheaper than hashing every file of it. Memoized by path, size and
 * modification time, since bundles share inputs.
 */
function inputDigest(file: string): string {
  const source = packageJsonOf(file) ?? file;
  let stat: fs.Stats;
  try {
    stat = fs.statSync(source);
  } catch {
    return 'missing';
  }
  const memo = `${source}\0${stat.size}\0${stat.mtimeMs}`;
  let digest = digests.get(memo);
  if (digest === undefined) {
    digest = createHash('sha256').update(fs.readFileSync(source)).digest('hex');
    digests.set(memo, digest);
  }
  return digest;
}
const digests = new Map<string, string>();

/** `.../node_modules/<name>/package.json` or `.../node_modules/@scope/<name>/package.json` of a file under node_modules. */
function packageJsonOf(file: string): string | undefined {
  // eslint-disable-next-line security/detect-unsafe-regex -- path separators delimit the groups, which never match one: linear; the input is a path esbuild reports
  const match = /^(.*[\\/]node_modules[\\/](?:@[^\\/]+[\\/])?[^\\/]+)[\\/]/.exec(file);
  return match ? path.join(match[1], 'package.json') : undefined;
}
