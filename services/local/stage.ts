/**
 * The local stage: every service (or the ones asked for, with what they
 * depend on) running on this machine, from the same validated models synth
 * uses. Data stores in the AWS API emulator (moto server), each service's
 * API on a local port in front of its real handlers, each queue consumer fed
 * from its queue, and the environment variables of each function as
 * deployed, pointing at the local URLs and resources. When the environment
 * the stage mirrors (the first) declares a public edge, the edge too: a
 * token issuer in the merchants' Cognito pool's place, each service's
 * authorizer, the monolith (a stand-in unless a URL is given) behind every
 * route no service serves (see edge.ts). The feature flags of each service
 * that declares some, in a file of the stage's state folder, changed while
 * it runs through the control endpoint (see flags.ts).
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Organization } from '../../accounts';
import { readResponseSchemas } from '../api-contract';
import { publicRoutes } from '../edge-plan';
import { CONTRACT_FILE } from '../load-services';
import { flagVariables } from '../runtime/flag-names';
import { envName, runtimeVariables, Service } from '../service-model';
import { EdgeAccessLogEntry, EdgeServiceRoute, startEdge, startEdgeAuthorizer } from './edge';
import { assertPortFree, Emulator, freePort, LocalStageError, startEmulator } from './emulator';
import { Faults, startControl } from './faults';
import { FLAGS_PATH, LocalFlags } from './flags';
import { FunctionHost } from './function-host';
import { AccessLogEntry, ContractViolation, Gateway, GatewayRoute, startGateway } from './gateway';
import { startStandInMonolith } from './monolith';
import { BatchLogEntry, startQueuePoller } from './queue-poller';
import { createServiceResources, EmulatorTarget, publishServiceParameters, ServiceResources } from './resources';
import { startTokenIssuer } from './token-issuer';

/** The stage name in the local URLs, and the ENVIRONMENT functions see. */
export const LOCAL_STAGE = 'local';

/** The account id in local ARNs and events (moto's default). */
const LOCAL_ACCOUNT_ID = '123456789012';

/**
 * Where stages keep their state while they run, one folder each: the
 * repository's working folder (gitignored, like the stage's log), so that
 * it is at hand, never in the tracked tree.
 */
export const LOCAL_STATE_ROOT = path.resolve(__dirname, '..', '..', '.build', 'local-stage');

/** Options of {@link startLocalStage}. */
export interface LocalStageOptions {
  readonly organization: Organization;
  /** Every service of the repository (loadServices). */
  readonly services: readonly Service[];
  /** Run only these services, and the services they depend on. @default - every service */
  readonly only?: readonly string[];
  /**
   * The port of the first service's API; the others follow in name order
   * (by every service of the repository, so a service keeps its port
   * whatever `only` selects). 0: free ports. @default 0
   */
  readonly port?: number;
  /** @default - a free port */
  readonly emulatorPort?: number;
  /** Where access logs, batch logs and reloads go, one JSON line each. @default - nowhere */
  readonly log?: (line: string) => void;
  /** Reload a service's functions when its files change. @default true */
  readonly watch?: boolean;
  /** @default - moto from .venv */
  readonly emulatorBin?: string;
  /**
   * Where the local edge sends requests no service serves (when the first
   * environment declares an edge): a monolith running on this machine, say.
   * @default - a stand-in that echoes each request (services/local/monolith.ts), when the edge declares a monolith
   */
  readonly monolithUrl?: string;
  /**
   * Where the stage keeps its state while it runs (`flags/<service>.json`:
   * the flags its functions read). Left in place when the stage stops.
   * @default - a new folder under {@link LOCAL_STATE_ROOT}, removed when the stage stops
   */
  readonly stateDir?: string;
}

/** The public edge as it runs on the stage (see services/local/edge.ts). */
export interface LocalEdge {
  /** Merchants' base URL, with the stage: `http://127.0.0.1:PORT/local/`. */
  readonly url: string;
  /** Where merchants get access tokens (client credentials; see services/local/token-issuer.ts). */
  readonly tokenUrl: string;
  /** The tokens' issuer (`iss`), whose JWKS the authorizers read. */
  readonly issuer: string;
  /** Where requests no service serves go; undefined when the edge declares no monolith and none was given (they answer 404). */
  readonly monolithUrl?: string;
  /** Whether `monolithUrl` is the stand-in that echoes requests (services/local/monolith.ts), not one given. */
  readonly standInMonolith: boolean;
}

/** A service as it runs on the stage. */
export interface LocalService {
  readonly name: string;
  /** Base URL with the stage (`http://127.0.0.1:PORT/local/`); undefined without routes. */
  readonly url?: string;
  readonly routes: ReadonlyArray<{ readonly method: string; readonly path: string; readonly functionId: string }>;
  readonly consumers: ReadonlyArray<{ readonly queue: string; readonly functionId: string }>;
  readonly resources: ServiceResources;
}

/** A running local stage. */
export interface LocalStage {
  readonly services: readonly LocalService[];
  readonly emulator: Emulator;
  readonly region: string;
  /** The function hosts, by `<service>.<function id>`. */
  readonly functions: ReadonlyMap<string, FunctionHost>;
  /** The credentials the APIs accept (and the handlers and emulator use). */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Faults in front of routes (a delay, an answer in the function's place), for the journeys; see faults.ts. */
  readonly faults: Faults;
  /** Where clients set faults: `POST /faults`, `DELETE /faults` (LOCAL_STAGE_CONTROL_URL). */
  readonly controlUrl: string;
  /** The public edge, when the first environment (the one the stage mirrors) declares one. */
  readonly edge?: LocalEdge;
  /** The folder of the stage's state (see {@link LocalStageOptions.stateDir}). */
  readonly stateDir: string;
  /**
   * Where clients read and flip feature flags (LOCAL_STAGE_FLAGS_URL, on the control endpoint):
   * `GET <flagsUrl>/<service>`, `PUT <flagsUrl>/<service>/<flag>` with a setting as the body.
   */
  readonly flagsUrl: string;
  /** Each service that declares flags: its flags file (its functions' FEATURE_FLAGS_FILE) and its flags' names. */
  readonly flags: Readonly<Record<string, { readonly file: string; readonly names: readonly string[] }>>;
  /** The answers of functions that their service's contract did not allow, so far (each is also logged). */
  contractViolations(): readonly ContractViolation[];
  /**
   * Variables for a client of the stage: `<SERVICE>_API_URL`, `<SERVICE>_QUEUE_<QUEUE>_URL` and `..._DLQ_URL`,
   * LOCAL_STAGE_CONTROL_URL, LOCAL_STAGE_FLAGS_URL, AWS_REGION, the credentials, AWS_ENDPOINT_URL, and with an edge EDGE_URL and EDGE_TOKEN_URL.
   */
  clientEnvironment(): Record<string, string>;
  stop(): Promise<void>;
}

/** The services to run: `only` and everything they depend on, in name order. */
export function selectServices(services: readonly Service[], only?: readonly string[]): Service[] {
  if (!only) return [...services];
  const byName = new Map(services.map(s => [s.manifest.name, s]));
  const unknown = only.filter(name => !byName.has(name));
  if (unknown.length) {
    throw new LocalStageError(`--only: unknown service ${unknown.map(n => `'${n}'`).join(', ')}; allowed: ${[...byName.keys()].join(', ')}`);
  }
  const selected = new Set<string>();
  const add = (name: string) => {
    if (selected.has(name)) return;
    selected.add(name);
    const m = byName.get(name)!.manifest;
    for (const dep of [...m.dependsOn, ...Object.values(m.functions).flatMap(f => f.calls)]) add(dep);
  };
  only.forEach(add);
  return services.filter(s => selected.has(s.manifest.name));
}

/** Starts the stage; on failure, stops whatever it started. */
export async function startLocalStage(options: LocalStageOptions): Promise<LocalStage> {
  const selected = selectServices(options.services, options.only);
  const mirrored = options.organization.environments[0];
  if (options.monolithUrl !== undefined && !mirrored.edge) {
    throw new LocalStageError(`--monolith-url: environment ${mirrored.name} (the one the local stage mirrors) declares no edge in accounts/organization.ts, so nothing would call the monolith; declare environments[0].edge, or leave --monolith-url out`);
  }
  const log = options.log ?? (() => undefined);
  const region = options.organization.homeRegion;
  const credentials = { accessKeyId: 'AKIALOCALSTAGE000000', secretAccessKey: randomBytes(30).toString('base64url') };

  // Ports first: each function's environment names its dependencies' URLs.
  const allNames = options.services.map(s => s.manifest.name).sort();
  const hasApi = (s: Service) => Object.values(s.manifest.functions).some(f => f.route);
  const ports = new Map<string, number>();
  for (const s of selected.filter(hasApi)) {
    if (!options.port) {
      ports.set(s.manifest.name, await freePort());
      continue;
    }
    const port = options.port + allNames.indexOf(s.manifest.name);
    await assertPortFree(port, `the ${s.manifest.name} API (--port ${options.port} + its place in name order)`);
    ports.set(s.manifest.name, port);
  }

  const emulator = await startEmulator({ port: options.emulatorPort, bin: options.emulatorBin });
  const started: Array<{ stop(): Promise<void> }> = [emulator];
  const stopAll = async () => {
    // Last started, first stopped: the watcher and the pollers before the functions they feed, the emulator last.
    for (const s of [...started].reverse()) await s.stop().catch(() => undefined);
  };
  try {
    const target: EmulatorTarget = { endpoint: emulator.url, region, credentials };
    const resources = new Map<string, ServiceResources>();
    for (const s of selected) resources.set(s.manifest.name, await createServiceResources(target, s.manifest));

    let stateDir = options.stateDir;
    if (stateDir === undefined) {
      fs.mkdirSync(LOCAL_STATE_ROOT, { recursive: true });
      const created = fs.mkdtempSync(path.join(LOCAL_STATE_ROOT, 'stage-'));
      started.push({ stop: async () => fs.rmSync(created, { recursive: true, force: true }) });
      stateDir = created;
    }
    // Written before any function starts: a function finding no file would serve every flag's default for 5 seconds.
    const flags = new LocalFlags({
      services: selected,
      environments: options.organization.environments.map(e => e.name),
      dir: path.join(stateDir, 'flags'),
    });

    const apiUrl = (name: string) => (ports.has(name) ? `http://127.0.0.1:${ports.get(name)}/${LOCAL_STAGE}/` : undefined);
    const functions = new Map<string, FunctionHost>();
    const faults = new Faults();
    const violations: ContractViolation[] = [];
    const gateways = new Map<string, Gateway>();
    const edgeRoutes: EdgeServiceRoute[] = [];
    const flagsFile = (service: string) => flags.fileOf(service);
    for (const s of selected) {
      const m = s.manifest;
      const environments = functionEnvironments(s, {
        organization: options.organization, region, credentials, emulatorUrl: emulator.url, resources, apiUrl, flagsFile,
      });
      const routes: GatewayRoute[] = [];
      const contract = path.join(s.dir, CONTRACT_FILE);
      const responseSchemas = fs.existsSync(contract) ? readResponseSchemas(fs.readFileSync(contract, 'utf8'), m) : {};
      for (const [fnId, fn] of Object.entries(m.functions)) {
        const host = new FunctionHost({
          name: `${m.name}-${fnId}`,
          handlerFile: path.join(s.dir, fn.handler),
          environment: environments[fnId],
          timeoutSeconds: fn.timeoutSeconds ?? m.timeoutSeconds,
          memoryMiB: fn.memoryMiB ?? m.memoryMiB,
        }, options.log);
        functions.set(`${m.name}.${fnId}`, host);
        started.push(host);
        if (fn.route) {
          routes.push({ functionId: fnId, route: fn.route, host, requestSchema: s.requestSchemas[fnId], responseSchemas: responseSchemas[fnId] });
        }
        if (fn.route?.scopes) {
          edgeRoutes.push({
            service: m.name,
            functionId: fnId,
            route: { method: fn.route.method, path: fn.route.path },
            host,
            timeoutSeconds: fn.timeoutSeconds ?? m.timeoutSeconds,
            responseSchemas: responseSchemas[fnId],
          });
        }
      }
      if (routes.length === 0) continue;
      const gateway = await startGateway({
        service: m.name,
        stage: LOCAL_STAGE,
        region,
        accountId: LOCAL_ACCOUNT_ID,
        routes,
        keys: new Map([[credentials.accessKeyId, credentials.secretAccessKey]]),
        port: ports.get(m.name)!,
        onRequest: (entry: AccessLogEntry) => log(JSON.stringify({ type: 'request', ...entry })),
        onContractViolation: (violation: ContractViolation) => {
          violations.push(violation);
          log(JSON.stringify({ type: 'contract', ...violation }));
        },
        beforeInvoke: route => faults.apply(m.name, route.route.method, route.route.path),
      });
      gateways.set(m.name, gateway);
      started.push(gateway);
    }

    // The edge of the environment the stage mirrors (the first: the one whose per-environment values functions get).
    let edge: LocalEdge | undefined;
    const declared = mirrored.edge;
    if (declared) {
      const routes = selected.flatMap(publicRoutes);
      const issuer = await startTokenIssuer({
        scopes: routes.flatMap(r => r.scopes),
        accessTokenMinutes: declared.identity.provider === 'cognito' ? declared.identity.accessTokenMinutes : undefined,
      });
      started.push(issuer);
      let monolithUrl = options.monolithUrl;
      if (monolithUrl === undefined && declared.monolithUrl) {
        const standIn = await startStandInMonolith();
        started.push(standIn);
        monolithUrl = standIn.url;
      }
      const authorizers = new Map<string, FunctionHost>();
      for (const name of new Set(routes.map(r => r.service))) {
        const own = routes.filter(r => r.service === name);
        const authorizer = startEdgeAuthorizer({ service: name, issuer: issuer.issuer, region, routes: own }, options.log);
        authorizers.set(name, authorizer);
        started.push(authorizer);
      }
      const server = await startEdge({
        stage: LOCAL_STAGE,
        region,
        accountId: LOCAL_ACCOUNT_ID,
        routes: edgeRoutes,
        authorizers,
        monolithUrl,
        onRequest: (entry: EdgeAccessLogEntry) => log(JSON.stringify({ type: 'edge', ...entry })),
        onContractViolation: (violation: ContractViolation) => {
          violations.push(violation);
          log(JSON.stringify({ type: 'contract', ...violation }));
        },
        beforeInvoke: route => faults.apply(route.service, route.route.method, route.route.path),
      });
      started.push(server);
      edge = { url: server.url, tokenUrl: issuer.tokenUrl, issuer: issuer.issuer, monolithUrl, standInMonolith: monolithUrl !== options.monolithUrl };
    }

    for (const s of selected) {
      for (const [fnId, fn] of Object.entries(s.manifest.functions)) {
        if (!fn.queue) continue;
        const queue = resources.get(s.manifest.name)!.queues[fn.queue];
        started.push(startQueuePoller({
          target,
          queueUrl: queue.url,
          queueArn: queue.arn,
          batchSize: s.manifest.queues[fn.queue].batchSize,
          host: functions.get(`${s.manifest.name}.${fnId}`)!,
          onBatch: (entry: BatchLogEntry) => log(JSON.stringify({ type: 'batch', queue: fn.queue, ...entry })),
        }));
      }
    }

    for (const s of selected) {
      const name = s.manifest.name;
      await publishServiceParameters(target, options.organization.name, LOCAL_STAGE, s.manifest, gateways.get(name)?.url, resources.get(name)!);
    }

    if (options.watch ?? true) started.push(watchSources(selected, functions, log));

    const services: LocalService[] = selected.map(s => ({
      name: s.manifest.name,
      url: gateways.get(s.manifest.name)?.url,
      routes: Object.entries(s.manifest.functions).flatMap(([functionId, fn]) => (fn.route ? [{ ...fn.route, functionId }] : [])),
      consumers: Object.entries(s.manifest.functions).flatMap(([functionId, fn]) => (fn.queue ? [{ queue: fn.queue, functionId }] : [])),
      resources: resources.get(s.manifest.name)!,
    }));
    const control = await startControl(faults, new Set(services.flatMap(s => s.routes.map(r => `${s.name} ${r.method} ${r.path}`))), flags);
    started.push(control);
    const flagsUrl = `${control.url}${FLAGS_PATH}`;
    return {
      services,
      emulator,
      region,
      credentials,
      functions,
      clientEnvironment: () => ({
        AWS_REGION: region,
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        AWS_ENDPOINT_URL: emulator.url,
        LOCAL_STAGE_CONTROL_URL: control.url,
        LOCAL_STAGE_FLAGS_URL: flagsUrl,
        ...(edge ? { EDGE_URL: edge.url, EDGE_TOKEN_URL: edge.tokenUrl } : {}),
        ...Object.fromEntries(services.filter(s => s.url).map(s => [`${envName(s.name)}_API_URL`, s.url!])),
        // The queues, for journeys that send to one or read its dead-letter queue (through the emulator).
        ...Object.fromEntries(services.flatMap(s => Object.entries(s.resources.queues).flatMap(([queue, q]) => [
          [runtimeVariables.queueUrl(s.name, queue), q.url],
          [`${runtimeVariables.queueUrl(s.name, queue).replace(/_URL$/, '')}_DLQ_URL`, q.deadLetterUrl],
        ]))),
      }),
      faults,
      controlUrl: control.url,
      edge,
      stateDir,
      flagsUrl,
      flags: Object.fromEntries(flags.services().map(name => [name, { file: flags.fileOf(name)!, names: flags.flagsOf(name) }])),
      contractViolations: () => [...violations],
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

/** What {@link functionEnvironments} needs to know of the stage. */
interface StageFacts {
  readonly organization: Organization;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly emulatorUrl: string;
  readonly resources: ReadonlyMap<string, ServiceResources>;
  readonly apiUrl: (service: string) => string | undefined;
  /** The flags file of a service, undefined when it declares no flags. @default - no service has one */
  readonly flagsFile?: (service: string) => string | undefined;
}

/**
 * The variables of each function of `service` by function id, as
 * services/service-stack.ts sets them when deployed, with local values: its
 * tables and secrets, the URLs of the APIs and queues it calls, and where
 * its feature flags are (in place of AppConfig's application and environment).
 */
export function functionEnvironments(service: Service, stage: StageFacts): Record<string, Record<string, string>> {
  const m = service.manifest;
  const own = stage.resources.get(m.name)!;
  const firstEnvironment = stage.organization.environments[0].name;
  const base: Record<string, string> = {
    AWS_REGION: stage.region,
    AWS_DEFAULT_REGION: stage.region,
    AWS_ACCESS_KEY_ID: stage.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: stage.credentials.secretAccessKey,
    // Every SDK client of the handlers calls the emulator.
    AWS_ENDPOINT_URL: stage.emulatorUrl,
    POWERTOOLS_SERVICE_NAME: m.name,
    POWERTOOLS_METRICS_NAMESPACE: stage.organization.name,
    POWERTOOLS_LOG_LEVEL: 'DEBUG',
    // No X-Ray daemon here, and nothing to send metrics to.
    POWERTOOLS_TRACE_ENABLED: 'false',
    POWERTOOLS_METRICS_DISABLED: 'true',
    [runtimeVariables.environment]: LOCAL_STAGE,
    // A value per environment: the first environment's (the one closest to a developer's).
    ...Object.fromEntries(Object.entries(m.environment).map(([k, v]) => [k, typeof v === 'string' ? v : v[firstEnvironment]])),
    NODE_OPTIONS: '--enable-source-maps',
  };
  // services/runtime/flags.ts reads this file, again at most every second: a flip on the stage shows within one.
  const flagsFile = stage.flagsFile?.(m.name);
  if (flagsFile) base[flagVariables.file] = flagsFile;
  return Object.fromEntries(Object.entries(m.functions).map(([fnId, fn]) => {
    const environment: Record<string, string> = { ...base, AWS_LAMBDA_FUNCTION_NAME: `${m.name}-${fnId}` };
    for (const table of Object.keys(fn.tables)) environment[runtimeVariables.table(table)] = own.tables[table];
    for (const secret of fn.secrets) environment[runtimeVariables.secret(secret)] = own.secrets[secret];
    for (const dep of fn.calls) {
      const depResources = stage.resources.get(dep);
      if (!depResources) throw new Error(`${m.name}.${fnId} calls ${dep}, which the stage did not select`);
      const url = stage.apiUrl(dep);
      if (url) environment[runtimeVariables.apiUrl(dep)] = url;
      for (const [queue, q] of Object.entries(depResources.queues)) environment[runtimeVariables.queueUrl(dep, queue)] = q.url;
    }
    return [fnId, environment];
  }));
}

/**
 * Reloads a service's functions when a file of its folder changes, and
 * every function when the shared runtime (services/runtime) does: the next
 * invocation loads the new code.
 */
function watchSources(services: readonly Service[], functions: ReadonlyMap<string, FunctionHost>,
  log: (line: string) => void): { stop(): Promise<void> } {
  const watchers: fs.FSWatcher[] = [];
  const reload = (prefix: string, file: string) => {
    for (const [id, host] of functions) if (id.startsWith(prefix)) host.reload();
    log(JSON.stringify({ type: 'reload', functions: prefix || 'all', file }));
  };
  for (const s of services) {
    watchers.push(fs.watch(s.dir, { recursive: true }, (_, file) => {
      if (file && /\.(ts|json|yaml)$/.test(file)) reload(`${s.manifest.name}.`, path.join(s.folder, file));
    }));
  }
  const runtime = path.join(path.dirname(services[0]?.dir ?? __dirname), 'runtime');
  if (fs.existsSync(runtime)) {
    watchers.push(fs.watch(runtime, { recursive: true }, (_, file) => { if (file?.endsWith('.ts')) reload('', path.join('services/runtime', file)); }));
  }
  return { stop: async () => watchers.forEach(w => w.close()) };
}
