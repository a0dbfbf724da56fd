import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bundleEntries, bundleGroups, BUNDLING_PHASE, synthTimings } from '../../kit';

/** Bundling counters so far in this process. */
const counts = () => ({ ...synthTimings.snapshot().phases[BUNDLING_PHASE]?.counts });
/** What `fn` added to the bundling counters. */
function countsOf(fn: () => void): Record<string, number> {
  const before = counts();
  fn();
  const after = counts();
  return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]).filter(([, v]) => v !== 0));
}

function sources(): { dir: string; entries: Record<string, string> } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-sources-'));
  fs.writeFileSync(path.join(dir, 'greeting.ts'), 'export const greeting = "hello";\n');
  fs.writeFileSync(path.join(dir, 'a.ts'), 'import { greeting } from "./greeting";\nexport const handler = async () => greeting;\n');
  fs.writeFileSync(path.join(dir, 'b.ts'), 'export const handler = async () => "b";\n');
  return { dir, entries: { a: path.join(dir, 'a.ts'), b: path.join(dir, 'b.ts') } };
}

describe('bundleEntries', () => {
  test('builds every entry with one esbuild run', () => {
    const { entries } = sources();
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bundles-'));
    let bundles: ReturnType<typeof bundleEntries> = {};
    expect(countsOf(() => bundles = bundleEntries(entries, outdir))).toEqual({ 'esbuild runs': 1, 'bundles built': 2 });
    expect(fs.readFileSync(path.join(bundles.a.dir, 'index.js'), 'utf8')).toContain('hello');
    expect(bundles.b.bytes).toBe(fs.statSync(path.join(outdir, 'b', 'index.js')).size);
  });

  test('many entries are built in runs of at most 32 (esbuild holds a run\'s outputs in memory), the same bytes as alone', () => {
    const { dir, entries } = sources();
    const many: Record<string, string> = { a: entries.a };
    for (let i = 0; i < 40; i++) {
      fs.writeFileSync(path.join(dir, `f${i}.ts`), `import { greeting } from "./greeting";\nexport const handler = async () => greeting + ${i};\n`);
      many[`f${i}`] = path.join(dir, `f${i}.ts`);
    }
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bundles-'));
    expect(countsOf(() => bundleEntries(many, outdir))).toEqual({ 'esbuild runs': 2, 'bundles built': 41 });
    expect(fs.readFileSync(path.join(outdir, 'f39', 'index.js'), 'utf8')).toContain('39');
    // Each entry's record names its own inputs, whichever run built it.
    const record = JSON.parse(fs.readFileSync(path.join(outdir, '.inputs.json'), 'utf8')) as { inputs: Record<string, string> };
    expect(Object.keys(record.inputs)).toEqual(expect.arrayContaining([path.join(dir, 'f0.ts'), path.join(dir, 'f39.ts')]));
    const alone = fs.mkdtempSync(path.join(os.tmpdir(), 'bundles-'));
    bundleEntries({ a: entries.a }, alone);
    expect(fs.readFileSync(path.join(alone, 'a', 'index.js'))).toEqual(fs.readFileSync(path.join(outdir, 'a', 'index.js')));
  });

  test('reuses the previous output while no input changed', () => {
    const { entries } = sources();
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bundles-'));
    const first = bundleEntries(entries, outdir);
    let again: ReturnType<typeof bundleEntries> = {};
    expect(countsOf(() => again = bundleEntries(entries, outdir))).toEqual({ 'bundles reused': 2 });
    expect(again).toEqual(first);
  });

  test('rebuilds when a file an entry imports changes, and the output has the change', () => {
    const { dir, entries } = sources();
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bundles-'));
    bundleEntries(entries, outdir);
    fs.writeFileSync(path.join(dir, 'greeting.ts'), 'export const greeting = "bonjour";\n');
    expect(countsOf(() => bundleEntries(entries, outdir))).toEqual({ 'esbuild runs': 1, 'bundles built': 2 });
    expect(fs.readFileSync(path.join(outdir, 'a', 'index.js'), 'utf8')).toContain('bonjour');
  });

  test('rebuilds when the entries change, leaving nothing of a removed function', () => {
    const { entries } = sources();
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bundles-'));
    bundleEntries(entries, outdir);
    expect(countsOf(() => bundleEntries({ a: entries.a }, outdir))).toEqual({ 'esbuild runs': 1, 'bundles built': 1 });
    expect(fs.existsSync(path.join(outdir, 'b'))).toBe(false);
  });

  test('rebuilds when an output was deleted', () => {
    const { entries } = sources();
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bundles-'));
    bundleEntries(entries, outdir);
    fs.rmSync(path.join(outdir, 'b', 'index.js'));
    expect(countsOf(() => bundleEntries(entries, outdir))).toEqual({ 'esbuild runs': 1, 'bundles built': 2 });
  });
});

describe('bundleGroups', () => {
  test('bundles every group that needs it with one esbuild run, and only those', () => {
    const one = sources();
    const two = sources();
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bundles-'));
    const groups = { one: { entries: one.entries, outdir: path.join(root, 'one') }, two: { entries: two.entries, outdir: path.join(root, 'two') } };
    expect(countsOf(() => bundleGroups(groups))).toEqual({ 'esbuild runs': 1, 'bundles built': 4 });
    fs.writeFileSync(path.join(two.dir, 'greeting.ts'), 'export const greeting = "hola";\n');
    expect(countsOf(() => bundleGroups(groups))).toEqual({ 'esbuild runs': 1, 'bundles built': 2, 'bundles reused': 2 });
    expect(fs.readFileSync(path.join(root, 'two', 'a', 'index.js'), 'utf8')).toContain('hola');
  });

  test('a group bundled with others has the same bytes as bundled alone (asset hashes do not depend on what else was built)', () => {
    const one = sources();
    const two = sources();
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bundles-'));
    const group = { entries: one.entries, outdir: path.join(root, 'one') };
    bundleGroups({ one: group, two: { entries: two.entries, outdir: path.join(root, 'two') } });
    const together = ['a/index.js', 'a/index.js.map', 'b/index.js'].map(f => fs.readFileSync(path.join(root, 'one', f), 'utf8'));
    fs.rmSync(root, { recursive: true });
    bundleGroups({ one: group });
    expect(['a/index.js', 'a/index.js.map', 'b/index.js'].map(f => fs.readFileSync(path.join(root, 'one', f), 'utf8'))).toEqual(together);
  });
});
