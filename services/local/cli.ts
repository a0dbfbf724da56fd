/**
 * `npx projen local [-- --only payments,ledger] [--port 4100] [--emulator-port 4566] [--monolith-url http://localhost:8080]`:
 * starts the local stage and keeps it running until Ctrl-C (or SIGTERM).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, LOCK_FILE, loadOrganization } from '../../accounts';
import declaration from '../../accounts/organization';
import { FlagSpec, readFlags } from '../../kit';
import { loadServices } from '../load-services';
import { LocalStageError } from './emulator';
import { LocalStage, startLocalStage } from './stage';
import { LOCAL_CLIENT_SECRET } from './token-issuer';

const ROOT = path.resolve(__dirname, '..', '..');
const WHERE = 'npx projen local';

const FLAGS: Readonly<Record<string, FlagSpec>> = {
  '--only': { value: true, placeholder: '<service,...>', help: 'run only these services (and the services they depend on); default: every service' },
  '--port': { value: true, placeholder: '<port>', help: 'port of the first service\'s API; the others follow in name order (default 4100)' },
  '--emulator-port': { value: true, placeholder: '<port>', help: 'port of the AWS API emulator, moto server (default: a free port)' },
  '--monolith-url': {
    value: true,
    placeholder: '<url>',
    help: 'where the local edge sends routes no service serves, e.g. your monolith at http://localhost:8080 (default: a stand-in that echoes requests)',
  },
  '--help': { value: false, help: 'show this help' },
};
const ALIASES: Readonly<Record<string, string>> = { '-h': '--help' };

/** What the command line asks for. */
export interface LocalArgs {
  readonly help: boolean;
  readonly only?: string[];
  readonly port: number;
  readonly emulatorPort?: number;
  /** The monolith behind the local edge, without a trailing slash. */
  readonly monolithUrl?: string;
}

/** Reads the command line; throws a {@link ConfigError} listing every problem. */
export function parseLocalArgs(argv: readonly string[]): LocalArgs {
  const read = readFlags(argv, FLAGS, ALIASES, WHERE);
  const problems = [...read.problems];
  if (read.positionals.length) problems.push(`${WHERE}: ${JSON.stringify(read.positionals[0])} is not an option; allowed: ${Object.keys(FLAGS).join(', ')}`);
  const port = (flag: string, fallback?: number): number | undefined => {
    const text = read.values.get(flag)?.[0];
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < 1024 || n > 65535) {
      problems.push(`${WHERE}: ${flag} ${JSON.stringify(text)} is not a port; allowed: a number from 1024 to 65535`);
      return undefined;
    }
    return n;
  };
  const only = read.values.get('--only')?.[0];
  const names = only?.split(',').map(s => s.trim()).filter(Boolean);
  if (only !== undefined && !names?.length) problems.push(`${WHERE}: --only ${JSON.stringify(only)} names no service; allowed: service names separated by commas, e.g. payments,ledger`);
  const monolith = read.values.get('--monolith-url')?.[0];
  const monolithUrl = monolith === undefined ? undefined : baseUrl(monolith);
  if (monolith !== undefined && monolithUrl === undefined) {
    problems.push(`${WHERE}: --monolith-url ${JSON.stringify(monolith)} is not an http(s) base URL; allowed: http:// or https:// with a host, without query or fragment, e.g. http://localhost:8080`);
  }
  const args = {
    help: read.values.has('--help'), only: names, port: port('--port', 4100)!, emulatorPort: port('--emulator-port'), monolithUrl,
  };
  if (problems.length && !args.help) throw new ConfigError(problems);
  return args;
}

/** `text` as a base URL without a trailing slash, if it is an http(s) URL with a host and no query or fragment. */
function baseUrl(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname || url.search || url.hash || text.includes('?') || text.includes('#')) return undefined;
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

export function helpText(): string {
  const width = Math.max(...Object.entries(FLAGS).map(([flag, spec]) => `${flag} ${spec.placeholder ?? ''}`.length));
  return [
    `Usage: ${WHERE} [-- options]`,
    '',
    'Runs the services here: their tables, queues, secrets and parameters in moto server, their APIs on local ports',
    'in front of their handlers (SigV4 and request validation as deployed), their queue consumers fed from their queues;',
    'with an edge declared, the public edge (merchants\' tokens from a local issuer) in front of their public routes and the monolith.',
    '',
    ...Object.entries(FLAGS).map(([flag, spec]) => `  ${`${flag} ${spec.placeholder ?? ''}`.padEnd(width)}  ${spec.help}`),
  ].join('\n');
}

/** The table printed at start: each service, its URL, routes and consumers. */
export function describeStage(stage: LocalStage): string {
  const rows: string[][] = [['service', 'route or consumer', 'URL']];
  for (const s of stage.services) {
    for (const r of s.routes) rows.push([s.name, `${r.method} ${r.path} (${r.functionId})`, `${s.url!.replace(/\/$/, '')}${r.path}`]);
    for (const c of s.consumers) rows.push([s.name, `queue ${c.queue} (${c.functionId})`, s.resources.queues[c.queue].url]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map(r => r[i].length)));
  const lines = rows.map(r => r.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd());
  lines.splice(1, 0, widths.map(w => '-'.repeat(w)).join('  '));
  return [
    ...lines,
    '',
    `AWS API emulator (moto server): ${stage.emulator.url}   region ${stage.region}`,
    'Sign requests with SigV4 for execute-api using these credentials (the handlers use them too):',
    ...Object.entries(stage.clientEnvironment()).map(([k, v]) => `  export ${k}=${v}`),
    '',
    ...describeEdge(stage),
    ...describeFlags(stage),
    'Handler changes are picked up on the next request. Ctrl-C stops the stage.',
  ].join('\n');
}

/** How to call the public edge, when the stage has one: its URLs and a curl example a merchant would run. */
export function describeEdge(stage: LocalStage): string[] {
  const edge = stage.edge;
  if (!edge) return [];
  const base = edge.url.replace(/\/$/, '');
  return [
    `Public edge (merchants' API, OAuth 2.0 tokens): ${edge.url}`,
    `  routes no service serves go to ${!edge.monolithUrl ? 'no monolith (they answer 404)'
      : edge.standInMonolith ? `a stand-in monolith that echoes each request, ${edge.monolithUrl} (--monolith-url to use yours)`
        : `the monolith at ${edge.monolithUrl}`}`,
    `Token endpoint (client credentials grant): ${edge.tokenUrl}`,
    `  every merchant id is a client, with the secret ${LOCAL_CLIENT_SECRET}, e.g.:`,
    `  TOKEN=$(curl -s -u merchant-1:${LOCAL_CLIENT_SECRET} -d grant_type=client_credentials ${edge.tokenUrl} | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')`,
    `  curl -H "Authorization: Bearer $TOKEN" ${base}/payments/pay_00000000-0000-8000-8000-000000000000   # 404 unless merchant-1 created it`,
    '',
  ];
}

/** How to read and flip the feature flags, when a service on the stage declares some: the URLs, the files, curl examples. */
export function describeFlags(stage: Pick<LocalStage, 'flagsUrl' | 'flags'>): string[] {
  const services = Object.entries(stage.flags);
  if (services.length === 0) return [];
  const shown = (file: string) => {
    const relative = path.relative(process.cwd(), file);
    return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
  };
  const [service, { names }] = services[0];
  const example = `${stage.flagsUrl}/${service}/${names[0]}`;
  return [
    `Feature flags (the manifests' local settings; a flip reaches the functions within a second): ${stage.flagsUrl}`,
    ...services.map(([name, s]) => `  ${name} (${s.names.join(', ')}): GET ${stage.flagsUrl}/${name}   file ${shown(s.file)}`),
    '  flip one with a setting in the manifest\'s shape (true, false, or { value, targeting? }), e.g.:',
    `  curl -X PUT -d false ${example}`,
    `  curl -X PUT -d '{"value":false,"targeting":{"merchants":["merchant-1"],"percent":10}}' ${example}`,
    '',
  ];
}

async function main(): Promise<void> {
  const args = parseLocalArgs(process.argv.slice(2));
  if (args.help) {
    console.log(helpText());
    return;
  }
  const organization = loadOrganization({ declaration, lockText: fs.readFileSync(path.join(ROOT, LOCK_FILE), 'utf8') });
  const services = loadServices({ servicesDir: path.join(ROOT, 'services'), organization });
  const stage = await startLocalStage({
    organization,
    services,
    only: args.only,
    port: args.port,
    emulatorPort: args.emulatorPort,
    monolithUrl: args.monolithUrl,
    log: line => console.log(line),
  });
  console.log(describeStage(stage));
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the local stage`);
    void stage.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

if (require.main === module) {
  main().catch((e: unknown) => {
    if (e instanceof ConfigError || e instanceof LocalStageError) {
      console.error(e.message);
      process.exit(1);
    }
    throw e;
  });
}
