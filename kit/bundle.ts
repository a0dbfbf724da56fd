import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildSync, BuildOptions, version as ESBUILD_VERSION } from 'esbuild';
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
 * Bundles each entry (`name` -> TypeScript file) into `outdir/<name>/index.js`
 * with one esbuild run: minified, with a source map, CommonJS for the
 * Node.js 24 runtime, and the AWS SDK v3 left out because the runtime has it.
 *
 * The output depends only on the sources and the relative path between
 * `outdir` and them: keep `outdir` at the same place in the repository (for
 * example `.build/bundles`) and unchanged code keeps its asset hash on every
 * machine.
 *
 * Reused by content: next to the output, the bundle records what it was
 * built from (entries, esbuild's version and options, and a hash of every
 * input file esbuild read; a dependency under node_modules counts by its
 * package.json, so a new version of it counts as a change). When none of
 * that changed, the previous output is returned without running esbuild.
 * Otherwise `outdir` is emptied first, so a removed function leaves nothing
 * behind.
 */
export function bundleEntries(entries: Readonly<Record<string, string>>, outdir: string): Record<string, FunctionBundle> {
  return synthTimings.time(BUNDLING_PHASE, () => {
    const bundles = () => Object.fromEntries(Object.keys(entries).map(name => {
      const dir = path.join(outdir, name);
      return [name, { dir, bytes: fs.statSync(path.join(dir, 'index.js')).size }];
    }));
    const key = buildKey(entries, outdir);
    const recorded = readRecord(outdir);
    if (recorded && recorded.key === key && inputsUnchanged(recorded.inputs) && outputsPresent(entries, outdir)) {
      synthTimings.count(BUNDLING_PHASE, 'bundles reused', Object.keys(entries).length);
      return bundles();
    }
    fs.rmSync(outdir, { recursive: true, force: true });
    const result = buildSync({
      ...OPTIONS,
      entryPoints: Object.entries(entries).map(([name, file]) => ({ in: file, out: path.join(name, 'index') })),
      outdir,
      metafile: true,
    });
    if (result.errors.length > 0) {
      throw new Error(`esbuild failed: ${result.errors.map(e => e.text).join('; ')}`);
    }
    synthTimings.count(BUNDLING_PHASE, 'esbuild runs');
    synthTimings.count(BUNDLING_PHASE, 'bundles built', Object.keys(entries).length);
    // esbuild names inputs relative to the working directory.
    const inputs = Object.keys(result.metafile?.inputs ?? {}).map(f => path.resolve(f)).sort();
    writeRecord(outdir, { key, inputs: Object.fromEntries(inputs.map(f => [f, inputDigest(f)])) });
    return bundles();
  });
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
  const match = /^(.*[\\/]node_modules[\\/](?:@[^\\/]+[\\/])?[^\\/]+)[\\/]/.exec(file);
  return match ? path.join(match[1], 'package.json') : undefined;
}
