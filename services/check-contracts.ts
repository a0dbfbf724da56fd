/**
 * `npx projen contracts [-- <service> ...]`: checks consumer-driven contracts.
 * Without names, every consumer's expectations; with names, those where a
 * named service is the consumer or the provider: a provider's build checks
 * what every consumer relies on (`npx projen test:services` runs it so).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, LOCK_FILE, loadOrganization, runCommand } from '../accounts';
import { checkConsumerContracts, ContractCheck, loadConsumerContracts } from './consumer-contracts';
import { loadServices } from './load-services';
import { Service } from './service-model';
import declaration from '../accounts/organization';

const ROOT = path.resolve(__dirname, '..');

/** The services whose contracts.ts to load for `names`: the named ones and every service that depends on one. */
export function consumersInScope(services: readonly Service[], names: readonly string[] | undefined): Service[] {
  if (!names) return [...services];
  const known = services.map(s => s.manifest.name);
  const unknown = names.filter(n => !known.includes(n));
  if (unknown.length > 0) {
    throw new ConfigError(unknown.map(n => `npx projen contracts: "${n}" is not a service (no services/${n}/service.ts); allowed: ${known.join(', ')}`));
  }
  return services.filter(s => names.includes(s.manifest.name) || s.manifest.dependsOn.some(d => names.includes(d)));
}

/** The report: one line per expectation (and per problem), then a summary. */
export function report(checks: readonly ContractCheck[], names: readonly string[] | undefined): { text: string; ok: boolean } {
  const inScope = checks.filter(c => !names || names.includes(c.consumer) || names.includes(c.provider));
  const expectations = inScope.filter(c => c.operation !== 'calls');
  const broken = inScope.filter(c => c.problems.length > 0);
  const lines = inScope.flatMap(c => (c.operation === 'calls' && c.problems.length === 0 ? [] : [
    `${c.problems.length === 0 ? 'ok    ' : 'BROKEN'} ${c.consumer} -> ${c.provider} ${c.operation}`,
    ...c.problems.map(p => `         ${p}`),
  ]));
  const consumers = new Set(inScope.map(c => c.consumer)).size;
  const providers = new Set(inScope.map(c => c.provider)).size;
  const scope = names ? ` (consumers and providers among: ${names.join(', ')})` : '';
  const summary = broken.length === 0
    ? `contracts: ${expectations.length} expectation(s) of ${consumers} consumer(s) hold against ${providers} provider(s)${scope}`
    : `contracts: ${broken.length} broken of ${expectations.length} expectation(s)${scope}; fix the provider or the consumer (each line names the field)`;
  return { text: [...lines, summary].join('\n'), ok: broken.length === 0 };
}

function main(): void {
  const args = process.argv.slice(2).filter(a => a !== '--');
  if (args.includes('--help') || args.includes('-h')) {
    console.log(`Usage: npx projen contracts [<service>...]

Checks every consumer's expectations (services/<consumer>/contracts.ts) against its provider's api.yaml.
  <service>  only the contracts these services take part in, as consumer or provider (default: all)`);
    return;
  }
  const names = args.length > 0 ? [...new Set(args)] : undefined;
  const organization = loadOrganization({ declaration, lockText: fs.readFileSync(path.join(ROOT, LOCK_FILE), 'utf8') });
  const services = loadServices({ servicesDir: path.join(ROOT, 'services'), organization });
  const checks = checkConsumerContracts(loadConsumerContracts(consumersInScope(services, names)), { services });
  const { text, ok } = report(checks, names);
  console.log(text);
  if (!ok) process.exitCode = 1;
}

// A user's mistake is one clear line and exit code 1; a bug keeps its stack trace.
if (require.main === module) runCommand(main);
