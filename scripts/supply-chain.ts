/**
 * `npx projen scan:deps`: the supply-chain checks every build runs on the
 * dependency tree, in this order:
 *
 * 1. registry signatures and provenance attestations of every installed
 *    package (`npm audit signatures`): an invalid or missing signature fails;
 * 2. a CycloneDX SBOM of the production and dev tree, written from
 *    node_modules and package-lock.json (no resolution, no network);
 * 3. every component's licence against an allow-list, except packages
 *    declared dev-only, which any licence may have but only as dev
 *    dependencies (the AGPL policy simulator the tests use);
 * 4. no dev-only package inside a Lambda bundle (esbuild metafiles, the
 *    bundles' input records and source maps, their text).
 *
 * Every problem is one line; exit 1 when any check fails.
 *
 *   tsx scripts/supply-chain.ts [--sbom <file>] [--allow <SPDX,...>] [--dev-only <pkg,...>] [--bundles <dir>] [--signatures required|if-reachable]
 */
import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, runCommand } from '../accounts';
import { readFlags } from '../kit';

const ROOT = path.resolve(__dirname, '..');
const WHERE = 'npx projen scan:deps';

// ---------------------------------------------------------------------------
// Licence expressions (SPDX)
// ---------------------------------------------------------------------------

/** A parsed SPDX licence expression. */
export type LicenceExpression =
  | { readonly id: string; readonly exception?: string }
  | { readonly op: 'AND' | 'OR'; readonly left: LicenceExpression; readonly right: LicenceExpression };

/**
 * Parses an SPDX expression (`MIT`, `(MIT OR Apache-2.0)`, `Apache-2.0 AND MIT`,
 * `GPL-2.0-only WITH Classpath-exception-2.0`); AND binds tighter than OR.
 * Returns undefined for text that is not one (`SEE LICENSE IN LICENSE.md`).
 */
export function parseLicenceExpression(text: string): LicenceExpression | undefined {
  const tokens = text.replace(/[()]/g, ' $& ').trim().split(/\s+/).filter(Boolean);
  let at = 0;
  const keyword = (word: string) => tokens[at]?.toUpperCase() === word;
  const isId = (token: string | undefined) => token !== undefined && /^[A-Za-z0-9.:+-]+$/.test(token)
    && !['AND', 'OR', 'WITH'].includes(token.toUpperCase());
  const term = (): LicenceExpression | undefined => {
    if (tokens[at] === '(') {
      at++;
      const inner = or();
      if (!inner || tokens[at] !== ')') return undefined;
      at++;
      return inner;
    }
    const id = tokens[at];
    if (!isId(id)) return undefined;
    at++;
    if (!keyword('WITH')) return { id };
    at++;
    const exception = tokens[at];
    if (!isId(exception)) return undefined;
    at++;
    return { id, exception };
  };
  const binary = (op: 'AND' | 'OR', operand: () => LicenceExpression | undefined) => (): LicenceExpression | undefined => {
    let left = operand();
    while (left && keyword(op)) {
      at++;
      const right = operand();
      left = right && { op, left, right };
    }
    return left;
  };
  const and = binary('AND', term);
  const or = binary('OR', and);
  const parsed = tokens.length > 0 ? or() : undefined;
  return parsed && at === tokens.length ? parsed : undefined;
}

/** Allow-list entries as compared: SPDX ids match case-insensitively. */
function normalised(licence: string): string {
  return licence.trim().replace(/\s+/g, ' ').toLowerCase();
}

/**
 * Whether a licence (an SPDX id or expression) is allowed by `allow`: an OR
 * passes when one alternative is allowed, an AND when all are. `X WITH exc`
 * passes when `X` is allowed (an exception only adds permissions) or the
 * whole `X WITH exc` is listed; `X+` when `X` is. Text that is no SPDX
 * expression passes only when listed as it is.
 */
export function licenceAllowed(licence: string, allow: Iterable<string>): boolean {
  const allowed = new Set([...allow].map(normalised));
  if (allowed.has(normalised(licence))) return true;
  const parsed = parseLicenceExpression(licence);
  const allows = (e: LicenceExpression): boolean => {
    if ('op' in e) return e.op === 'AND' ? allows(e.left) && allows(e.right) : allows(e.left) || allows(e.right);
    const id = normalised(e.id);
    return allowed.has(id) || (id.endsWith('+') && allowed.has(id.slice(0, -1)))
      || (e.exception !== undefined && allowed.has(`${id} with ${normalised(e.exception)}`));
  };
  return parsed !== undefined && allows(parsed);
}

// ---------------------------------------------------------------------------
// The SBOM's components
// ---------------------------------------------------------------------------

/** One licence entry of a CycloneDX component (the fields read here). */
interface CycloneDxLicence {
  readonly expression?: string;
  readonly license?: { readonly id?: string; readonly name?: string };
}

/** A CycloneDX component as cyclonedx-npm writes it (the fields read here). */
export interface CycloneDxComponent {
  readonly name: string;
  readonly group?: string;
  readonly version?: string;
  readonly licenses?: readonly CycloneDxLicence[];
  readonly properties?: ReadonlyArray<{ readonly name: string; readonly value?: string }>;
  /** Packages installed inside this one (node_modules nesting). */
  readonly components?: readonly CycloneDxComponent[];
}

/** A CycloneDX BOM (the fields read here). */
export interface CycloneDxBom {
  readonly bomFormat?: string;
  readonly specVersion?: string;
  readonly components?: readonly CycloneDxComponent[];
}

/** Whether a package is needed at run time or only to build and test. */
export type DependencyScope = 'production' | 'dev';

/** One package of the tree (every installed copy of the same name and version counts once). */
export interface PackageUse {
  /** The package name, with its scope (`@cloud-copilot/iam-simulate`). */
  readonly name: string;
  readonly version: string;
  /** Each licence the SBOM declares (SPDX id, expression or free text); all of them apply. */
  readonly licences: readonly string[];
  /** Production when any copy of it is (cyclonedx-npm marks dev-only ones `cdx:npm:package:development`). */
  readonly scope: DependencyScope;
}

/** cyclonedx-npm's mark of a package that only dev dependencies need (npm's `dev` flag). */
const DEV_PROPERTY = 'cdx:npm:package:development';

/** Every package of a CycloneDX SBOM, nested components included, sorted by name and version. */
export function packagesOf(bom: CycloneDxBom): PackageUse[] {
  const byId = new Map<string, PackageUse>();
  const visit = (components: readonly CycloneDxComponent[] | undefined) => {
    for (const c of components ?? []) {
      const name = c.group ? `${c.group}/${c.name}` : c.name;
      const version = c.version ?? '';
      const licences = (c.licenses ?? []).map(l => l.expression ?? l.license?.id ?? l.license?.name ?? '').filter(Boolean);
      const dev = (c.properties ?? []).some(p => p.name === DEV_PROPERTY && p.value === 'true');
      const previous = byId.get(`${name}@${version}`);
      byId.set(`${name}@${version}`, {
        name,
        version,
        licences: previous?.licences.length ? previous.licences : licences,
        scope: previous?.scope === 'production' || !dev ? 'production' : 'dev',
      });
      visit(c.components);
    }
  };
  visit(bom.components);
  return [...byId.values()].sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
}

/** A package's licences as one expression: several declared licences all apply. */
export function licenceOf(pkg: PackageUse): string {
  return pkg.licences.length === 1 ? pkg.licences[0] : pkg.licences.map(l => `(${l})`).join(' AND ');
}

/** What the licence check needs besides the packages. */
export interface LicencePolicy {
  /** SPDX ids (or expressions) allowed. */
  readonly allow: readonly string[];
  /** Packages allowed whatever their licence, as long as only dev dependencies need them. */
  readonly devOnly: readonly string[];
  /**
   * `name@version` -> how production dependencies reach it, for dev-only
   * packages `npm ls --omit=dev` finds (a second opinion on the SBOM's scope).
   * @default - the SBOM's scope only
   */
  readonly productionPaths?: ReadonlyMap<string, string>;
}

/** What the licence check found. */
export interface LicenceOutcome {
  /** One line per package that fails. */
  readonly problems: readonly string[];
  /** Dev-only packages accepted (as dev dependencies) whatever their licence. */
  readonly devOnlyAccepted: readonly PackageUse[];
}

/**
 * Checks every package's licence against the allow-list; a dev-only package
 * passes whatever its licence unless production dependencies need it.
 */
export function checkLicences(packages: readonly PackageUse[], policy: LicencePolicy): LicenceOutcome {
  const devOnly = new Set(policy.devOnly);
  const problems: string[] = [];
  const devOnlyAccepted: PackageUse[] = [];
  for (const pkg of packages) {
    const id = `${pkg.name}@${pkg.version}`;
    const licence = pkg.licences.length > 0 ? licenceOf(pkg) : 'no licence declared';
    if (devOnly.has(pkg.name)) {
      const via = policy.productionPaths?.get(id);
      if (pkg.scope === 'production' || via) {
        problems.push(`${id} (${licence}) is dev-only (--dev-only) but a production dependency${via ? `: ${via}` : ''}`);
      } else {
        devOnlyAccepted.push(pkg);
      }
    } else if (pkg.licences.length === 0) {
      problems.push(`${id}: no licence declared (${pkg.scope} dependency)`);
    } else if (!licenceAllowed(licence, policy.allow)) {
      problems.push(`${id}: licence ${licence} is not allowed (${pkg.scope} dependency)`);
    }
  }
  // A dev-only package npm ls reaches from production that the SBOM does not list (it always should).
  const listed = new Set(packages.map(p => `${p.name}@${p.version}`));
  for (const [id, via] of policy.productionPaths ?? []) {
    if (!listed.has(id)) problems.push(`${id} is dev-only (--dev-only) but a production dependency: ${via}`);
  }
  return { problems, devOnlyAccepted };
}

/**
 * For each allow-list entry, the packages that fail without it (alone): what
 * each entry is there for. An entry no package needs can go.
 */
export function licenceNeeds(packages: readonly PackageUse[], allow: readonly string[], devOnly: readonly string[] = []): Map<string, PackageUse[]> {
  const skip = new Set(devOnly);
  const passing = packages.filter(p => !skip.has(p.name) && p.licences.length > 0 && licenceAllowed(licenceOf(p), allow));
  return new Map(allow.map(entry => {
    const others = allow.filter(a => a !== entry);
    return [entry, passing.filter(p => !licenceAllowed(licenceOf(p), others))];
  }));
}

/** The output of `npm ls --json --all` (the fields read here). */
export interface NpmLsNode {
  readonly name?: string;
  readonly version?: string;
  readonly dependencies?: Readonly<Record<string, NpmLsNode>>;
}

/**
 * Where in an `npm ls --omit=dev --all --json` tree each of `names` is:
 * `name@version` -> the shortest path from the project (`app > a > name@version`).
 */
export function productionPaths(tree: NpmLsNode, names: readonly string[]): Map<string, string> {
  const wanted = new Set(names);
  const found = new Map<string, string>();
  const seen = new Set<string>();
  let level: Array<[NpmLsNode, string]> = [[tree, tree.name ?? 'project']];
  while (level.length > 0) {
    const next: Array<[NpmLsNode, string]> = [];
    for (const [node, trail] of level) {
      for (const [name, child] of Object.entries(node.dependencies ?? {})) {
        const id = `${name}@${child.version ?? ''}`;
        if (wanted.has(name) && !found.has(id)) found.set(id, `${trail} > ${id}`);
        if (!seen.has(id)) {
          seen.add(id);
          next.push([child, `${trail} > ${name}`]);
        }
      }
    }
    level = next;
  }
  return found;
}

// ---------------------------------------------------------------------------
// Bundles
// ---------------------------------------------------------------------------

/** A module of a dev-only package found in a bundle. */
export interface BundledModule {
  /** The dev-only package. */
  readonly pkg: string;
  /** The module's path as the evidence names it. */
  readonly module: string;
}

/** The packages a module path is inside: `a/node_modules/@s/x/node_modules/y/i.js` -> `@s/x`, `y`. */
export function packagesOfModulePath(modulePath: string): string[] {
  return [...modulePath.replace(/\\/g, '/').matchAll(/node_modules\/(@[^/\s"'`]+\/[^/\s"'`]+|[^@/\s"'`][^/\s"'`]*)\//g)].map(m => m[1]);
}

function devOnlyModules(modulePaths: Iterable<string>, devOnly: readonly string[]): BundledModule[] {
  const wanted = new Set(devOnly);
  const found: BundledModule[] = [];
  for (const module of modulePaths) {
    for (const pkg of new Set(packagesOfModulePath(module))) if (wanted.has(pkg)) found.push({ pkg, module });
  }
  return found;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Dev-only modules among an esbuild metafile's inputs (what esbuild read and,
 * per output, what went into it), or among the inputs kit/bundle.ts records
 * next to a bundle (`.inputs.json`: `{ inputs: { <file>: <digest> } }`).
 */
export function devOnlyInMetafile(metafile: unknown, devOnly: readonly string[]): BundledModule[] {
  if (!isRecord(metafile)) return [];
  const inputs = isRecord(metafile.inputs) ? Object.keys(metafile.inputs) : [];
  const outputs = isRecord(metafile.outputs) ? Object.values(metafile.outputs) : [];
  const outputInputs = outputs.flatMap(o => (isRecord(o) && isRecord(o.inputs) ? Object.keys(o.inputs) : []));
  return devOnlyModules(new Set([...inputs, ...outputInputs]), devOnly);
}

/** Dev-only modules among a source map's sources. */
export function devOnlyInSourceMap(sourceMap: unknown, devOnly: readonly string[]): BundledModule[] {
  const sources = isRecord(sourceMap) && Array.isArray(sourceMap.sources) ? sourceMap.sources.filter(s => typeof s === 'string') : [];
  return devOnlyModules(sources, devOnly);
}

/**
 * Dev-only module paths (`node_modules/<pkg>/`) in a bundle's text. esbuild
 * names each module in a comment only when it does not minify: a minified
 * bundle shows none, so its metafile or source map is the evidence.
 */
export function devOnlyInText(text: string, devOnly: readonly string[]): BundledModule[] {
  const paths = [...text.replace(/\\\\|\\/g, '/').matchAll(/node_modules\/(?:@[^/\s"'`]+\/[^/\s"'`]+|[^@/\s"'`][^/\s"'`]*)\//g)].map(m => m[0]);
  return devOnlyModules(new Set(paths), devOnly);
}

/** What a bundle scan read, and what it found. */
export interface BundleScan {
  /** Folders holding an `index.js`. */
  readonly bundles: number;
  readonly metafiles: number;
  /** kit/bundle.ts's `.inputs.json` records. */
  readonly inputRecords: number;
  readonly sourceMaps: number;
  readonly scripts: number;
  /** Bundles whose only evidence is their text (no source map, metafile or input record beside them). */
  readonly textOnly: number;
  /** One line per file and dev-only package. */
  readonly problems: readonly string[];
}

/** An esbuild metafile by its name: `meta.json`, `metafile.json`, `index.meta.json`, `.meta.json`. */
const METAFILE_NAME = /(^|[.\-_])meta(file)?\.json$/i;
/** What kit/bundle.ts writes next to each group of bundles. */
const INPUT_RECORD = '.inputs.json';

/** Reads every piece of evidence under `dir` for modules of `devOnly` packages. */
export function scanBundles(dir: string, devOnly: readonly string[], shown: (file: string) => string = f => f): BundleScan {
  const files = (fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }))
    .map(f => path.join(dir, f)).filter(f => fs.statSync(f, { throwIfNoEntry: false })?.isFile()).sort();
  const problems: string[] = [];
  const report = (file: string, found: readonly BundledModule[], what: string) => {
    for (const pkg of new Set(found.map(f => f.pkg))) {
      const modules = found.filter(f => f.pkg === pkg);
      problems.push(`${shown(file)}: ${what} ${modules.length} module${modules.length === 1 ? '' : 's'} of dev-only ${pkg} (${modules[0].module}${
        modules.length > 1 ? ', ...' : ''})`);
    }
  };
  const counts = { metafiles: 0, inputRecords: 0, sourceMaps: 0, scripts: 0 };
  // What each bundle (index.js) is described by besides its text: a source map beside it, or a metafile or
  // input record in its folder or a folder above (kit/bundle.ts writes one per group of bundles).
  const mapped = new Set<string>();
  const recordedDirs: string[] = [];
  for (const file of files) {
    const base = path.basename(file);
    // A package's own files shipped in the bundle folder (node_modules/<pkg>/... under it).
    report(file, devOnlyModules([path.relative(dir, file)], devOnly), 'ships');
    if (base === INPUT_RECORD || METAFILE_NAME.test(base)) {
      const json = readJson(file);
      const esbuildMetafile = isRecord(json) && isRecord(json.inputs) && isRecord(json.outputs);
      if (!(esbuildMetafile || (base === INPUT_RECORD && isRecord(json) && isRecord(json.inputs)))) continue;
      counts[esbuildMetafile ? 'metafiles' : 'inputRecords']++;
      recordedDirs.push(path.dirname(file) + path.sep);
      report(file, devOnlyInMetafile(json, devOnly), 'records');
    } else if (base.endsWith('.js.map')) {
      const json = readJson(file);
      // A map that is not one leaves its bundle with its text only.
      if (!isRecord(json) || !Array.isArray(json.sources)) continue;
      counts.sourceMaps++;
      mapped.add(file.slice(0, -'.map'.length));
      report(file, devOnlyInSourceMap(json, devOnly), 'maps');
    } else if (/\.[cm]?js$/.test(base)) {
      counts.scripts++;
      report(file, devOnlyInText(fs.readFileSync(file, 'utf8'), devOnly), 'names');
    }
  }
  const entries = files.filter(f => path.basename(f) === 'index.js');
  const textOnly = entries.filter(f => !mapped.has(f) && !recordedDirs.some(d => f.startsWith(d))).length;
  return { bundles: entries.length, ...counts, textOnly, problems };
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------
// npm audit signatures
// ---------------------------------------------------------------------------

/** What `npm audit signatures` reported. */
export interface SignatureAudit {
  readonly audited: number;
  readonly verifiedSignatures: number;
  readonly verifiedAttestations: number;
  /** One line per problem (a missing or invalid signature or attestation, or why nothing was verified). */
  readonly problems: readonly string[];
}

/** The codes of errors that mean a host could not be reached. */
const NETWORK_CODES = /^(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|ERR_SOCKET_TIMEOUT|ECONNABORTED)$/;

/** Reads the human output of `npm audit signatures --no-color` (npm 10 and 11) and its exit status. */
export function readSignatureAudit(stdout: string, stderr: string, status: number | null): SignatureAudit {
  const count = (pattern: RegExp) => Number(pattern.exec(stdout)?.[1] ?? 0);
  const audited = count(/^audited (\d+) packages? in/m);
  const verifiedSignatures = count(/^(\d+) packages? (?:has an|has a|have) verified registry signatures?/m);
  const verifiedAttestations = count(/^(\d+) packages? (?:has an|has a|have) verified attestations?/m);
  const problems: string[] = [];
  let section: string | undefined;
  for (const line of stdout.split('\n')) {
    const header = /^\d+ packages? (?:has an|has a|have) (missing|invalid) (registry signatures?|attestations?)/.exec(line);
    if (header) {
      section = `${header[1]} ${header[2].replace(/s$/, '')}`;
      continue;
    }
    if (/^audited |verified/.test(line)) section = undefined;
    const pkg = /^(\S+@\S+) \(([^)]+)\)\s*$/.exec(line);
    if (section && pkg) problems.push(`${pkg[1]}: ${section} (${pkg[2]})`);
  }
  const npmError = stderr.split('\n').map(l => /^npm (?:ERR!|error) ?(.*)$/.exec(l)?.[1]?.trim() ?? '').filter(Boolean);
  const code = npmError.map(l => /^code (\S+)/.exec(l)?.[1]).find(Boolean);
  if (code && NETWORK_CODES.test(code)) {
    const url = npmError.map(l => /request to (\S+) failed/.exec(l)?.[1]).find(Boolean);
    const host = url ? new URL(url).host : 'the registry';
    problems.push(`cannot reach ${host} (${code}${url ? `, ${url}` : ''}): npm audit signatures needs the npm registry and Sigstore's TUF repository `
      + '(tuf-repo-cdn.sigstore.dev); nothing was verified');
  } else if (status !== 0 && problems.length === 0) {
    const message = npmError.find(l => !/^(code|errno|syscall) |^A complete log/.test(l)) ?? (stderr.trim().split('\n').pop() || `exit ${status}`);
    problems.push(`npm audit signatures failed: ${message}`);
  } else if (status === 0 && audited === 0) {
    problems.push('npm audit signatures verified nothing (no "audited N packages" in its output)');
  }
  return { audited, verifiedSignatures, verifiedAttestations, problems };
}

// ---------------------------------------------------------------------------
// The command
// ---------------------------------------------------------------------------

/** One step's result as printed: a summary, then one line per problem. */
interface StepResult {
  readonly summary: string;
  readonly problems: readonly string[];
  readonly notes?: readonly string[];
}

const FLAGS = {
  '--sbom': { value: true, help: 'where to write the CycloneDX JSON SBOM', placeholder: '<file>' },
  '--allow': { value: true, repeatable: true, help: 'the licences allowed (SPDX ids, comma-separated)', placeholder: '<SPDX,...>' },
  '--dev-only': { value: true, repeatable: true, help: 'packages allowed whatever their licence, only as dev dependencies', placeholder: '<pkg,...>' },
  '--bundles': { value: true, repeatable: true, help: 'a folder of Lambda bundles that must hold no dev-only package', placeholder: '<dir>' },
  '--signatures': {
    value: true,
    help: 'required (default: the check fails when Sigstore cannot be reached) or if-reachable (a machine without it: warns and skips)',
    placeholder: '<required|if-reachable>',
  },
} as const;

/** The host of Sigstore's TUF repository, which `npm audit signatures` needs to verify attestations. */
export const SIGSTORE_TUF_HOST = 'tuf-repo-cdn.sigstore.dev';

/**
 * The environment for npm and cyclonedx-npm: NODE_ENV=production or an npm
 * `omit` setting would leave dev dependencies out of the audit and the SBOM,
 * so those are dropped, and dev dependencies included unless `args` omits them
 * (npm's `include` wins over `--omit`).
 */
function npmEnv(args: readonly string[]): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, npm_config_color: 'false' };
  delete env.NODE_ENV;
  delete env.npm_config_omit;
  delete env.npm_config_production;
  delete env.npm_config_include;
  if (!args.includes('--omit=dev')) env.npm_config_include = 'dev';
  return env;
}

function run(command: string, args: readonly string[]): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { cwd: ROOT, env: npmEnv(args), encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  if (result.error) throw new ConfigError([`${WHERE}: cannot run ${command}: ${result.error.message}`]);
  return result;
}

function auditSignatures(mode: 'required' | 'if-reachable'): StepResult {
  // Resolved before npm tries: npm would retry an unresolvable host for over a minute.
  if (mode === 'if-reachable' && spawnSync('getent', ['hosts', SIGSTORE_TUF_HOST]).status !== 0) {
    return {
      summary: `not checked: ${SIGSTORE_TUF_HOST} (Sigstore's TUF repository) does not resolve from this machine`,
      problems: [],
      notes: ['WARNING: registry signatures and provenance are not verified here; the pipelines\' builds verify them (--signatures required)'],
    };
  }
  const result = run('npm', ['audit', 'signatures', '--no-color']);
  const audit = readSignatureAudit(result.stdout, result.stderr, result.status);
  return {
    summary: audit.audited === 0 ? 'nothing verified'
      : `${plural(audit.audited, 'package')} audited, ${audit.verifiedSignatures} verified registry signatures, ${audit.verifiedAttestations} verified attestations`,
    problems: audit.problems,
  };
}

function writeSbom(file: string): StepResult & { bom?: CycloneDxBom } {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.rmSync(file, { force: true });
  // From node_modules and the lock file through `npm ls`: no resolution, no network. Reproducible: no timestamp or
  // random serial number, so two builds of the same tree give the same file.
  const result = run(path.join(ROOT, 'node_modules', '.bin', 'cyclonedx-npm'), [
    '--output-format', 'JSON', '--spec-version', '1.6', '--output-reproducible', '--output-file', file, path.join(ROOT, 'package.json'),
  ]);
  if (result.status !== 0 || !fs.existsSync(file)) {
    const lines = result.stderr.split('\n').map(l => l.trim()).filter(Boolean);
    const reason = lines.find(l => /^npm (?:ERR!|error) (?!code |errno |A complete log)/.test(l)) ?? lines.filter(l => !/^(INFO|DEBUG)/.test(l)).pop();
    return { summary: 'not written', problems: [`cyclonedx-npm failed (exit ${result.status}): ${reason ?? 'no message'}`] };
  }
  const bom = readJson(file) as CycloneDxBom | undefined;
  if (!bom || bom.bomFormat !== 'CycloneDX') return { summary: 'unreadable', problems: [`${display(file)} is not a CycloneDX JSON document`] };
  const packages = packagesOf(bom);
  const dev = packages.filter(p => p.scope === 'dev').length;
  return {
    summary: `${display(file)}, CycloneDX ${bom.specVersion}, ${packages.length} components (${packages.length - dev} production, ${dev} dev)`,
    problems: packages.length === 0 ? [`${display(file)} lists no components: is node_modules installed (npm ci)?`] : [],
    bom,
  };
}

function checkLicenceStep(bom: CycloneDxBom | undefined, allow: readonly string[], devOnly: readonly string[]): StepResult {
  if (!bom) return { summary: 'not checked', problems: ['no SBOM to check (step 2 failed)'] };
  if (allow.length === 0) return { summary: 'not checked', problems: [`no allow-list: pass --allow <SPDX,...> (${WHERE})`] };
  const packages = packagesOf(bom);
  let paths = new Map<string, string>();
  if (devOnly.length > 0) {
    const ls = run('npm', ['ls', '--omit=dev', '--all', '--json']);
    const tree = readJsonText(ls.stdout);
    if (!isRecord(tree)) return { summary: 'not checked', problems: [`npm ls --omit=dev failed (exit ${ls.status}): ${ls.stderr.trim().split('\n')[0]}`] };
    paths = productionPaths(tree as NpmLsNode, devOnly);
  }
  const outcome = checkLicences(packages, { allow, devOnly, productionPaths: paths });
  const needs = licenceNeeds(packages, allow, devOnly);
  const installed = new Set(packages.map(p => p.name));
  const notes = [
    `needed by (packages failing without that entry alone): ${[...needs].map(([entry, by]) =>
      `${entry} ${by.length}${by.length > 0 && by.length <= 3 ? ` (${by.map(p => `${p.name}@${p.version}`).join(', ')})` : ''}`).join(', ')}`,
    ...[...needs].filter(([, by]) => by.length === 0).map(([entry]) => `${entry} is on the allow-list but no package needs it alone`),
    ...devOnly.filter(name => !installed.has(name)).map(name => `--dev-only ${name} is not installed`),
  ];
  const accepted = outcome.devOnlyAccepted.map(p => `${p.name}@${p.version} (${licenceOf(p) || 'no licence'})`);
  return {
    summary: `${packages.length} packages against ${allow.length} allowed licences: ${outcome.problems.length} not allowed`
      + (accepted.length > 0 ? `; dev-only, as dev dependencies: ${accepted.join(', ')}` : ''),
    problems: outcome.problems,
    notes,
  };
}

function checkBundleStep(dirs: readonly string[], devOnly: readonly string[]): StepResult {
  if (dirs.length === 0) return { summary: 'not checked (no --bundles <dir>)', problems: [] };
  const problems: string[] = [];
  const parts: string[] = [];
  for (const dir of dirs) {
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
      problems.push(`${display(dir)}: no such folder; run the synth first (npx projen synth)`);
      continue;
    }
    const scan = scanBundles(dir, devOnly, display);
    if (scan.bundles === 0) problems.push(`${display(dir)}: no bundle (index.js) found; run the synth first (npx projen synth)`);
    problems.push(...scan.problems);
    parts.push(`${display(dir)}: ${plural(scan.bundles, 'bundle')}, ${plural(scan.metafiles, 'esbuild metafile')}, `
      + `${plural(scan.inputRecords, 'input record')}, ${plural(scan.sourceMaps, 'source map')}, ${plural(scan.scripts, 'script')} read`
      + `${scan.textOnly > 0 ? `, ${plural(scan.textOnly, 'bundle')} checked by text only` : ''}`);
  }
  const what = devOnly.length > 0 ? `no module of ${devOnly.join(', ')} may be bundled` : 'no --dev-only package to look for';
  return { summary: `${what}; ${parts.join('; ')}`, problems };
}

function readJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function display(file: string): string {
  const relative = path.relative(ROOT, file);
  return relative && !relative.startsWith('..') ? relative : file;
}

function list(values: readonly string[] | undefined, flag: string, problems: string[]): string[] {
  const items = (values ?? []).flatMap(v => v.split(',')).map(v => v.trim());
  if (items.some(i => i === '')) problems.push(`${WHERE}: ${flag} has an empty entry (${JSON.stringify((values ?? []).join(','))}); give a comma-separated list`);
  return [...new Set(items.filter(Boolean))];
}

function main(): void {
  const read = readFlags(process.argv.slice(2), FLAGS, {}, WHERE);
  const problems = [...read.problems, ...read.positionals.map(p => `${WHERE}: unexpected argument ${JSON.stringify(p)}; allowed: ${Object.keys(FLAGS).join(', ')}`)];
  const allow = list(read.values.get('--allow'), '--allow', problems);
  const devOnly = list(read.values.get('--dev-only'), '--dev-only', problems);
  const signatures = read.values.get('--signatures')?.at(-1) ?? 'required';
  if (signatures !== 'required' && signatures !== 'if-reachable') {
    problems.push(`${WHERE}: --signatures ${JSON.stringify(signatures)} is not a mode; allowed: required, if-reachable`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const sbomFile = path.resolve(ROOT, read.values.get('--sbom')?.at(-1) ?? '.build/reports/sbom.cdx.json');
  const bundleDirs = (read.values.get('--bundles') ?? []).map(d => path.resolve(ROOT, d));

  let bom: CycloneDxBom | undefined;
  const steps: Array<[string, () => StepResult]> = [
    ['registry signatures and provenance', () => auditSignatures(signatures as 'required' | 'if-reachable')],
    ['SBOM', () => {
      const result = writeSbom(sbomFile);
      bom = result.bom;
      return result;
    }],
    ['licences', () => checkLicenceStep(bom, allow, devOnly)],
    ['dev-only packages in bundles', () => checkBundleStep(bundleDirs, devOnly)],
  ];
  const failed: string[] = [];
  steps.forEach(([name, step], i) => {
    const start = performance.now();
    const result = step();
    const seconds = ((performance.now() - start) / 1000).toFixed(1);
    console.log(`[${i + 1}/${steps.length}] ${name}: ${result.problems.length > 0 ? 'FAILED' : 'ok'} in ${seconds} s: ${result.summary}`);
    for (const note of result.notes ?? []) console.log(`  note: ${note}`);
    for (const problem of result.problems) console.log(`  FAILED ${problem}`);
    if (result.problems.length > 0) failed.push(name);
  });
  if (failed.length > 0) {
    console.log(`supply chain: ${failed.length} of ${steps.length} checks failed (${failed.join(', ')})`);
    process.exitCode = 1;
  } else {
    console.log(`supply chain: all ${steps.length} checks passed`);
  }
}

if (require.main === module) runCommand(main);
