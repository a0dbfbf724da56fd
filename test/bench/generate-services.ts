/**
 * Synthetic services for the scale benchmark (test/bench/scale.ts): copies of
 * a template service (ledger) that load like real ones, so a synth of N
 * services costs what N real services would.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';

/** How many generated services share one owner, so `per-owner` has a pipeline per ten services. */
export const SERVICES_PER_TEAM = 10;

/** One generated service. */
export interface GeneratedService {
  /** Folder and manifest name, `svc-0001`. */
  readonly name: string;
  /** Manifest `owner`, `team-<k>`. */
  readonly owner: string;
  /** Its route paths, each the template's behind `/<name>`. */
  readonly routes: readonly string[];
}

/** Name of the `i`th generated service (1-based): `svc-0001`. */
export function generatedServiceName(i: number): string {
  return `svc-${String(i).padStart(4, '0')}`;
}

/** Owner of the `i`th generated service (1-based): `team-1` for the first ten, `team-2` for the next ten... */
export function generatedServiceOwner(i: number): string {
  return `team-${Math.ceil(i / SERVICES_PER_TEAM)}`;
}

/** The route paths a service's manifest declares, read from the manifest itself (not parsed from text). */
export function manifestRoutes(serviceDir: string): string[] {
  // Requiring a .ts file works under tsx, which runs the benchmark; it is how main.ts reads manifests too.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const manifest = (require(path.join(serviceDir, 'service.ts')) as { default?: { functions?: Record<string, { route?: { path: string } }> } }).default;
  return Object.values(manifest?.functions ?? {}).flatMap(fn => (fn.route ? [fn.route.path] : []));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Replaces what `pattern` matches in `text` by `replacement`, checking it
 * matched exactly `expected` times (at least once when undefined): a template
 * whose text no longer looks as expected fails here, naming the file and what
 * was looked for, instead of generating services that collide.
 */
function replaceChecked(text: string, pattern: RegExp, replacement: string, file: string, what: string, expected?: number): string {
  const count = [...text.matchAll(pattern)].length;
  if (expected === undefined ? count === 0 : count !== expected) {
    throw new Error(`${file}: found ${what} ${count} time(s); expected ${expected ?? 'at least once'} (the scale benchmark rewrites it in each generated service)`);
  }
  return text.replace(pattern, replacement);
}

/**
 * Writes services `svc-0001` ... `svc-<count>` into `servicesDir`, each a copy
 * of `servicesDir/<template>` with the folder and manifest `name` renamed, the
 * owner set to `team-<k>` (ten services per team), every route path prefixed
 * with `/<name>` in both service.ts and api.yaml (the loader refuses a route
 * owned twice, and a manifest and contract that disagree), and without the
 * template's `test/` folder. Everything else of the template is kept.
 */
export function generateServices(servicesDir: string, count: number, template = 'ledger'): GeneratedService[] {
  const templateDir = path.join(servicesDir, template);
  const routes = manifestRoutes(templateDir);
  const manifestText = fs.readFileSync(path.join(templateDir, 'service.ts'), 'utf8');
  const contractFile = path.join(templateDir, 'api.yaml');
  const contractText = fs.existsSync(contractFile) ? fs.readFileSync(contractFile, 'utf8') : undefined;
  const templateTests = path.join(templateDir, 'test');
  const display = (file: string) => `services/${template}/${file}`;

  const generated: GeneratedService[] = [];
  for (let i = 1; i <= count; i++) {
    const name = generatedServiceName(i);
    const owner = generatedServiceOwner(i);
    const dir = path.join(servicesDir, name);
    const prefixed = (route: string) => `/${name}${route}`;
    fs.cpSync(templateDir, dir, {
      recursive: true,
      filter: src => src !== templateTests && !src.startsWith(templateTests + path.sep),
    });

    let manifest = replaceChecked(manifestText, new RegExp(`(\\bname:\\s*)(['"])${escapeRegExp(template)}\\2`, 'g'),
      `$1$2${name}$2`, display('service.ts'), `name: '${template}'`, 1);
    manifest = replaceChecked(manifest, /(\bowner:\s*)(['"])[^'"\n]*\2/g, `$1$2${owner}$2`, display('service.ts'), 'owner: \'...\'', 1);
    for (const route of routes) {
      manifest = replaceChecked(manifest, new RegExp(`(\\bpath:\\s*)(['"])${escapeRegExp(route)}\\2`, 'g'),
        `$1$2${prefixed(route)}$2`, display('service.ts'), `path: '${route}'`);
    }
    fs.writeFileSync(path.join(dir, 'service.ts'), manifest);

    if (contractText !== undefined) {
      // Path keys sit one level under `paths:`; the parse below checks the result.
      let contract = contractText.replace(/^(\s*title:\s*)(['"]?)[^'"\n]*\2\s*$/m, `$1${name}`);
      for (const route of routes) {
        contract = replaceChecked(contract, new RegExp(`^(\\s+)${escapeRegExp(route)}:(\\s*)$`, 'gm'),
          `$1${prefixed(route)}:$2`, display('api.yaml'), `the path key ${route}:`, 1);
      }
      const paths = Object.keys((parse(contract) as { paths?: Record<string, unknown> }).paths ?? {}).sort();
      const expected = routes.map(prefixed).sort();
      const missing = expected.filter(p => !paths.includes(p));
      if (missing.length > 0) {
        throw new Error(`services/${name}/api.yaml: paths ${missing.join(', ')} missing after prefixing; has ${paths.join(', ')}`);
      }
      fs.writeFileSync(path.join(dir, 'api.yaml'), contract);
    }
    generated.push({ name, owner, routes: routes.map(prefixed) });
  }
  return generated;
}
