/**
 * `npx projen flags [-- [--dir <folder>] <service> ...]`: writes each service's typed flag
 * accessors (`src/flags.generated.ts`) from the flags of its manifest, and
 * removes the file of a service that declares none. Synth refuses accessors
 * that are out of date, naming this command. Only the manifests are read
 * (not the checks against the organization), so it runs on a manifest synth
 * would still refuse for another reason.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, parseWith, runCommand } from '../../accounts';
import { FLAGS_FILE, flagsRuntimeImport, renderFlagAccessors } from '../feature-flags';
import { MANIFEST_FILE } from '../load-services';
import { ServiceManifestSchema } from '../service-model';

const ROOT = path.resolve(__dirname, '..', '..');

/** What happened to one service's accessors. */
export type FlagsOutcome = 'written' | 'unchanged' | 'removed' | 'none';

/** Writes (or removes) the accessors of the service in `dir`; `display` names it in messages. */
export function writeFlagAccessors(dir: string, display: string, load: (file: string) => unknown = requireDefault): FlagsOutcome {
  const manifest = parseWith(ServiceManifestSchema, load(path.join(dir, MANIFEST_FILE)), `${display}/${MANIFEST_FILE}`);
  const file = path.join(dir, FLAGS_FILE);
  const text = renderFlagAccessors(manifest, flagsRuntimeImport(dir));
  const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  if (text === undefined) {
    if (current === undefined) return 'none';
    fs.rmSync(file);
    return 'removed';
  }
  if (current === text) return 'unchanged';
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return 'written';
}

function requireDefault(file: string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports, security/detect-non-literal-require -- loads a service manifest of this repository, as npx projen flags does: code the repository owns
  return (require(file) as { default?: unknown }).default;
}

function main(): void {
  // `--dir <folder>`: the services of another folder (the test fixtures: test/fixtures/services).
  const args = process.argv.slice(2).filter(a => a !== '--');
  if (args.includes('--help') || args.includes('-h')) {
    console.log(`Usage: npx projen flags [<service>...] [--dir <folder>]

Writes each service's src/flags.generated.ts (typed accessors of the flags its manifest declares).
  <service>       services to write (default: every service)
  --dir <folder>  the services of another folder (default: services)`);
    return;
  }
  const dirFlag = args.indexOf('--dir');
  const display = dirFlag >= 0 ? args[dirFlag + 1] : 'services';
  if (display === undefined || display.startsWith('--')) throw new ConfigError(['npx projen flags: --dir needs a folder, e.g. --dir test/fixtures/services']);
  const servicesDir = path.resolve(ROOT, display);
  if (!fs.existsSync(servicesDir)) throw new ConfigError([`npx projen flags: --dir ${display} does not exist`]);
  const all = fs.readdirSync(servicesDir, { withFileTypes: true })
    .filter(e => e.isDirectory() && fs.existsSync(path.join(servicesDir, e.name, MANIFEST_FILE)))
    .map(e => e.name).sort();
  const names = args.filter((_, i) => dirFlag < 0 || (i !== dirFlag && i !== dirFlag + 1));
  const unknown = names.filter(n => !all.includes(n));
  if (unknown.length > 0) {
    throw new ConfigError(unknown.map(n => `npx projen flags: "${n}" is not a service (no ${display}/${n}/${MANIFEST_FILE}); allowed: ${all.join(', ')}`));
  }
  const problems: string[] = [];
  for (const name of names.length > 0 ? names : all) {
    try {
      const outcome = writeFlagAccessors(path.join(servicesDir, name), `${display}/${name}`);
      if (outcome !== 'none') console.log(`${outcome.padEnd(9)} ${display}/${name}/${FLAGS_FILE}`);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      problems.push(...e.problems);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
}

// A user's mistake is one clear line and exit code 1; a bug keeps its stack trace.
if (require.main === module) runCommand(main);
