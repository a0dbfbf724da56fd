/**
 * `npx projen new-service <name> [--wave <wave>]`: creates services/<name>/
 * with a manifest, a handler, its test and its OpenAPI contract, ready to
 * synthesize and pass its tests unchanged.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../../accounts';
import { FLAGS_FILE } from '../feature-flags';
import { writeFlagAccessors } from './flags';

/** Service names: what the manifest schema allows. */
export const SERVICE_NAME = /^[a-z][a-z0-9-]{0,29}$/;

/** Options of {@link createService}. */
export interface CreateServiceOptions {
  /** Absolute path of the services/ folder. */
  readonly servicesDir: string;
  readonly name: string;
  /** A wave declared in accounts/organization.ts. */
  readonly wave: string;
  /** The declared waves, to check `wave`. */
  readonly waves: readonly string[];
  /** The declared environments in promotion order (the example flag has a setting in each). */
  readonly environments: readonly string[];
}

/** The files of a new service, by path relative to its folder. */
export function renderServiceFiles(name: string, wave: string, environments: readonly string[]): Record<string, string> {
  // The example flag: on in the first environment only.
  const settings = environments.map((env, i) => `${/^[a-z][a-z0-9]*$/.test(env) ? env : `'${env}'`}: ${i === 0}`).join(', ');
  const title = name.split('-').map(w => w.charAt(0).toUpperCase() + w.slice(1)).join(' ');
  return {
    'service.ts': `import { defineService } from '../service-model';

/** ${title}: describe what the service owns here. */
export default defineService({
  name: '${name}',
  description: '${title} service',
  owner: 'team-${name}',
  costCenter: 'CC-0000',
  wave: '${wave}',
  // Who is told when the service's alarms fire (every environment it deploys to needs someone):
  // { email }, { webhook: 'https://...' }, { slack: { workspaceId, channelId } } or
  // { teams: { tenantId, teamId, channelId } }, each optionally limited to some environments. README, "On-call".
  onCall: [{ email: 'team-${name}-oncall@example.com' }],
  functions: {
    getStatus: {
      handler: 'src/get-status.ts',
      description: 'GET /${name}/status',
      route: { method: 'GET', path: '/${name}/status' },
      smokeTest: { expectStatus: [200] },
    },
  },
  // A feature flag, delivered by AWS AppConfig without a code deployment; src/get-status.ts reads it
  // through src/flags.generated.ts (npx projen flags rewrites it after a change here). README, "Feature flags".
  flags: {
    statusDetails: {
      description: 'Add runtime details to the status answer',
      environments: { ${settings} },
    },
  },
});
`,
    'src/get-status.ts': `import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { flags } from './flags.generated';

const logger = new Logger();

/** GET /${name}/status: tells the caller the service is up, and where (with details where flag statusDetails is on). */
export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  logger.info('status requested', { requestId: event.requestContext?.requestId });
  const details = await flags.statusDetails.for();
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      service: '${name}',
      environment: process.env.ENVIRONMENT ?? 'unknown',
      status: 'ok',
      ...(details ? { details: { node: process.version } } : {}),
    }),
  };
}
`,
    'test/get-status.test.ts': `import type { APIGatewayProxyEvent } from 'aws-lambda';
import { handler } from '../src/get-status';

test('GET /${name}/status answers 200 with the service and its environment', async () => {
  process.env.ENVIRONMENT = 'dev';
  const response = await handler({ requestContext: { requestId: 'r-1' } } as unknown as APIGatewayProxyEvent);
  expect(response.statusCode).toBe(200);
  expect(JSON.parse(response.body)).toEqual({ service: '${name}', environment: 'dev', status: 'ok' });
});
`,
    'api.yaml': `openapi: 3.0.3
info:
  title: ${name}
  version: '1.0.0'
  description: ${title} service. Every operation needs an AWS SigV4-signed request.
security:
  - sigv4: []
paths:
  /${name}/status:
    get:
      operationId: getStatus
      summary: Whether the service is up
      responses:
        '200':
          description: The service is up
          content:
            application/json:
              schema:
                type: object
                required: [service, environment, status]
                properties:
                  service: { type: string }
                  environment: { type: string }
                  status: { type: string, enum: [ok] }
                  details:
                    type: object
                    description: Where feature flag statusDetails is on
                    properties:
                      node: { type: string }
components:
  securitySchemes:
    sigv4:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: awsSigv4
`,
  };
}

/** Creates services/<name>/; refuses an invalid or existing name, or an unknown wave. Returns the files written. */
export function createService(options: CreateServiceOptions): string[] {
  const { name, wave, servicesDir } = options;
  const problems: string[] = [];
  if (!SERVICE_NAME.test(name)) {
    problems.push(`new-service: name ${JSON.stringify(name)} is not a valid service name; allowed: 1-30 lowercase letters, digits or hyphens, starting with a letter`);
  } else if (fs.existsSync(path.join(servicesDir, name))) {
    problems.push(`new-service: name "${name}" is taken: services/${name} already exists; allowed: a name no folder under services/ has`);
  }
  if (!options.waves.includes(wave)) {
    problems.push(`new-service: --wave "${wave}" is not declared in accounts/organization.ts (pipeline.waves); allowed: ${options.waves.join(', ')}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const dir = path.join(servicesDir, name);
  const written: string[] = [];
  for (const [file, content] of Object.entries(renderServiceFiles(name, wave, options.environments))) {
    const target = path.join(dir, file);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    // 'wx': never overwrite, even if the folder appeared meanwhile.
    fs.writeFileSync(target, content, { flag: 'wx' });
    written.push(path.posix.join('services', name, file));
  }
  // The typed accessors of the example flag, as `npx projen flags` writes them.
  if (writeFlagAccessors(dir, `services/${name}`) === 'written') written.push(path.posix.join('services', name, FLAGS_FILE));
  return written;
}

/** Parses `<name> [--wave <wave>]`. */
export function parseArguments(argv: readonly string[]): { name?: string; wave?: string; help: boolean } {
  const result: { name?: string; wave?: string; help: boolean } = { help: false };
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    // projen passes on the `--` of `npx projen new-service -- <name>`.
    if (arg === '--') continue;
    if (arg === '--help' || arg === '-h') result.help = true;
    else if (arg === '--wave') result.wave = argv[++i];
    else if (arg.startsWith('--wave=')) result.wave = arg.slice('--wave='.length);
    else if (arg.startsWith('-')) throw new ConfigError([`new-service: option ${JSON.stringify(arg)} is unknown; allowed: --wave <wave>, --help`]);
    else positional.push(arg);
  }
  if (positional.length > 1) throw new ConfigError([`new-service: got ${positional.length} names (${positional.join(', ')}); allowed: exactly one`]);
  result.name = positional[0];
  return result;
}

const USAGE = `Usage: npx projen new-service <name> [--wave <wave>]

Creates services/<name>/ (manifest with an example feature flag, handler, test, OpenAPI contract).
  <name>         1-30 lowercase letters, digits or hyphens, starting with a letter
  --wave <wave>  a wave of accounts/organization.ts (default: the first one)`;

if (require.main === module) {
  try {
    const args = parseArguments(process.argv.slice(2));
    if (args.help || !args.name) {
      console.log(USAGE);
      process.exitCode = args.help ? 0 : 1;
    } else {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const declaration = (require('../../accounts/organization') as {
        default: { pipeline: { waves?: string[] }; environments: { name: string }[] };
      }).default;
      const waves = declaration.pipeline.waves ?? ['default'];
      const written = createService({
        servicesDir: path.resolve(__dirname, '..'),
        name: args.name,
        wave: args.wave ?? waves[0],
        waves,
        environments: declaration.environments.map(e => e.name),
      });
      console.log(`Created ${written.length} files:\n${written.map(f => `  ${f}`).join('\n')}\nNext: npx projen test && npx projen synth`);
    }
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    console.error(e.message);
    process.exitCode = 1;
  }
}
