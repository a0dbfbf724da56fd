/**
 * The tests of a service pipeline's build, bounded by its services rather
 * than by the platform: `npx projen test:services -- <service> [...]`.
 *
 * 1. Type check of what that build runs: the app (main.ts and everything it
 *    imports: the framework), the post-deploy suites, and the named services'
 *    folders. Other services' folders are not part of it.
 * 2. Their handler tests (jest; JUnit results in test-reports/ as with `projen test`).
 * 3. Lint of their folders (no fixes: the build fails on a finding).
 * 4. The consumer contracts where they are consumer or provider: a provider's
 *    build checks what every consumer relies on (`npx projen contracts`).
 *
 * The whole unit suite runs in the platform pipeline, on every change to the
 * framework, the tests or any manifest.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..');

/** Thrown for a bad argument: printed as one line, exit code 2. */
class UsageError extends Error {}

/** The services to test: every argument must name a folder of services/ with a service.ts. */
export function parseServices(args: readonly string[], servicesDir: string): string[] {
  if (args.length === 0) throw new UsageError('test:services: name at least one service, e.g. npx projen test:services -- payments');
  const known = fs.readdirSync(servicesDir, { withFileTypes: true })
    .filter(e => e.isDirectory() && fs.existsSync(path.join(servicesDir, e.name, 'service.ts'))).map(e => e.name).sort();
  for (const arg of args) {
    if (!known.includes(arg)) throw new UsageError(`test:services: "${arg}" is not a service (no services/${arg}/service.ts); allowed: ${known.join(', ')}`);
  }
  return [...new Set(args)].sort();
}

/** A tsconfig (written under .build/) that type-checks the app, the post-deploy suites and `services`. */
export function scopedTsconfig(services: readonly string[]): object {
  return {
    extends: '../tsconfig.dev.json',
    files: ['../main.ts', '../test/integration/smoke.ts', '../test/e2e/payment-flow.ts', '../test/e2e/load.ts'],
    include: services.map(s => `../services/${s}/**/*.ts`),
  };
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): void {
  console.error(`\n> ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

function main(): void {
  // projen passes the `--` of `npx projen test:services -- payments` through.
  const args = process.argv.slice(2).filter(a => a !== '--');
  if (args.includes('--help') || args.includes('-h')) {
    console.log(`Usage: npx projen test:services -- <service>...

The type check, unit tests, lint and contracts of the named services only (what a service pipeline's build runs).`);
    return;
  }
  const services = parseServices(args, path.join(root, 'services'));
  const tsconfig = path.join(root, '.build', 'tsconfig.services.json');
  fs.mkdirSync(path.dirname(tsconfig), { recursive: true });
  fs.writeFileSync(tsconfig, JSON.stringify(scopedTsconfig(services), null, 2));
  run('npx', ['tsc', '--noEmit', '-p', tsconfig]);
  run('npx', ['jest', '--ci', '--passWithNoTests', ...services.map(s => `services/${s}/`)]);
  run('npx', ['eslint', '--ext', '.ts', '--no-error-on-unmatched-pattern', ...services.map(s => `services/${s}`)], { ESLINT_USE_FLAT_CONFIG: 'false' });
  run('npx', ['tsx', 'services/check-contracts.ts', ...services]);
  console.error(`\ntest:services: ${services.join(', ')} passed the type check, their tests, lint and the contracts they take part in`);
}

if (require.main === module) {
  try {
    main();
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(e.message);
    process.exitCode = 2;
  }
}
