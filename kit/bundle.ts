import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildSync } from 'esbuild';

/** A bundled function: the folder to deploy (index.js and its source map). */
export interface FunctionBundle {
  /** Absolute path of the folder holding `index.js`. */
  readonly dir: string;
  /** Size of `index.js` in bytes. */
  readonly bytes: number;
}

/** The Lambda runtime these bundles target. */
export const BUNDLE_TARGET = 'node24';

/**
 * Bundles each entry (`name` -> TypeScript file) into `outdir/<name>/index.js`
 * with one esbuild run: minified, with a source map, CommonJS for the
 * Node.js 24 runtime, and the AWS SDK v3 left out because the runtime has it.
 *
 * `outdir` is emptied first, so a removed function leaves nothing behind. The
 * output depends only on the sources and the relative path between `outdir`
 * and them: keep `outdir` at the same place in the repository (for example
 * `.build/bundles`) and unchanged code keeps its asset hash on every machine.
 */
export function bundleEntries(entries: Readonly<Record<string, string>>, outdir: string): Record<string, FunctionBundle> {
  fs.rmSync(outdir, { recursive: true, force: true });
  const result = buildSync({
    entryPoints: Object.entries(entries).map(([name, file]) => ({ in: file, out: path.join(name, 'index') })),
    outdir,
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
  });
  if (result.errors.length > 0) {
    throw new Error(`esbuild failed: ${result.errors.map(e => e.text).join('; ')}`);
  }
  return Object.fromEntries(Object.keys(entries).map(name => {
    const dir = path.join(outdir, name);
    return [name, { dir, bytes: fs.statSync(path.join(dir, 'index.js')).size }];
  }));
}
