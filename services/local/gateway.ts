/**
 * A service's API on a local HTTP port, in front of its real handlers, as
 * its deployed API Gateway REST API behaves: routes from the manifest under
 * the stage's path, IAM authorization (SigV4, see sigv4.ts), request
 * validation with the request models of its `api.yaml` (JSON Schema draft
 * 4, as API Gateway validates them), and API Gateway proxy events.
 */
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ValidateFunction } from 'ajv';
import Ajv from 'ajv-draft-04';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { FunctionHost } from './function-host';
import { KnownKeys, verifySignature } from './sigv4';
import { iamIdentity } from '../runtime/testing';

/** One route of the API and the function behind it. */
export interface GatewayRoute {
  readonly functionId: string;
  readonly route: { readonly method: string; readonly path: string };
  readonly host: FunctionHost;
  /** The route's request model (draft 4), if it takes a JSON body. */
  readonly requestSchema?: Readonly<Record<string, unknown>>;
  /** The route's answers in its contract: the body schema by status code (`undefined`: no JSON body). */
  readonly responseSchemas?: Readonly<Record<string, Readonly<Record<string, unknown>> | undefined>>;
}

/** An answer of a function that its service's contract (api.yaml) does not allow. */
export interface ContractViolation {
  readonly service: string;
  readonly operation: string;
  readonly status: number;
  readonly problem: string;
}

/** Options of {@link startGateway}. */
export interface GatewayOptions {
  readonly service: string;
  readonly stage: string;
  readonly region: string;
  readonly accountId: string;
  readonly routes: readonly GatewayRoute[];
  readonly keys: KnownKeys;
  readonly port: number;
  /** Called after each request (the stage prints it as an access log line). */
  readonly onRequest?: (entry: AccessLogEntry) => void;
  /** Called for each answer of a function that its contract does not allow (the answer is passed on, as deployed). */
  readonly onContractViolation?: (violation: ContractViolation) => void;
  /** Runs before the function is invoked (the stage's injected faults): may delay, or answer in its place. */
  readonly beforeInvoke?: (route: GatewayRoute) => Promise<{ status: number; body: string } | undefined>;
}

/** One line of the access log, as the deployed stage's access log fields. */
export interface AccessLogEntry {
  readonly service: string;
  readonly requestId: string;
  readonly httpMethod: string;
  readonly resourcePath: string;
  readonly path: string;
  readonly status: number;
  readonly caller?: string;
  readonly durationMs: number;
  readonly functionError?: string;
  readonly coldStart?: boolean;
}

/** A running gateway. */
export interface Gateway {
  /** The base URL, with the stage: `http://127.0.0.1:PORT/<stage>/`. */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** API Gateway's timeout for an integration. */
const INTEGRATION_TIMEOUT_MS = 29_000;

/** Starts the API of one service on `options.port` (0: any free port). */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validators = new Map<GatewayRoute, ValidateFunction>();
  for (const route of options.routes) {
    if (route.requestSchema) validators.set(route, ajv.compile(route.requestSchema));
  }
  /** Checks a function's answer against its route's contract. */
  const checkResponse = contractCheck(ajv, options.routes, (route, status, problem) => options.onContractViolation?.({
    service: options.service, operation: `${route.route.method} ${route.route.path}`, status, problem,
  }));
  const matchers = routeMatchers(options.routes);

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      handle(req, Buffer.concat(chunks).toString('utf8')).then(({ status, headers, body, entry }) => {
        res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-requestid': entry.requestId, ...headers });
        res.end(body);
        options.onRequest?.(entry);
      }, (error: unknown) => {
        // A bug of the stage, not of the service: answered as API Gateway answers its own failures, and logged.
        console.error(`local stage: ${options.service} ${req.method} ${req.url}:`, error);
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: 'Internal server error' }));
      });
    });
  });

  async function handle(req: http.IncomingMessage, body: string): Promise<{
    status: number; headers: Record<string, string>; body: string; entry: AccessLogEntry;
  }> {
    const started = performance.now();
    const requestId = randomUUID();
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://localhost');
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v ?? '']));
    let resourcePath = '';
    let caller: string | undefined;
    const answer = (status: number, payload: unknown, extra: Partial<AccessLogEntry> = {}, responseHeaders: Record<string, string> = {}) => ({
      status,
      headers: responseHeaders,
      body: typeof payload === 'string' ? payload : JSON.stringify(payload),
      entry: {
        service: options.service,
        requestId,
        httpMethod: method,
        resourcePath,
        path: url.pathname,
        status,
        caller,
        durationMs: Math.round(performance.now() - started),
        ...extra,
      },
    });

    // API Gateway answers an unknown stage, path or method as it answers an unsigned request.
    const prefix = `/${options.stage}`;
    const path = url.pathname === prefix ? '/' : url.pathname.startsWith(`${prefix}/`) ? url.pathname.slice(prefix.length) : undefined;
    const found = path === undefined ? undefined : findRoute(matchers, method, path);
    if (!found) return answer(403, { message: 'Missing Authentication Token' });
    resourcePath = found.route.route.path;

    const signature = await verifySignature({ method, url: req.url ?? '/', headers, body }, options.keys, options.region);
    if (!signature.ok) return answer(403, { message: signature.message });
    caller = signature.accessKeyId;

    const validate = validators.get(found.route);
    if (validate) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        return answer(400, { message: 'Invalid request body' });
      }
      if (!validate(parsed)) return answer(400, { message: 'Invalid request body' }, { functionError: ajv.errorsText(validate.errors) });
    }

    const injected = await options.beforeInvoke?.(found.route);
    if (injected) return answer(injected.status, injected.body, { functionError: 'injected by the local stage (a fault)' });
    const event = proxyEvent({ ...options, method, url, headers, body, requestId, route: found.route, pathParameters: found.pathParameters, caller });
    const invocation = await Promise.race([
      found.route.host.invoke(event, randomUUID()),
      new Promise<undefined>(resolve => setTimeout(() => resolve(undefined), INTEGRATION_TIMEOUT_MS).unref()),
    ]);
    if (invocation === undefined) return answer(504, { message: 'Endpoint request timed out' });
    if (!invocation.ok) {
      return answer(502, { message: 'Internal server error' }, { functionError: `${invocation.errorType}: ${invocation.errorMessage}`, coldStart: invocation.coldStart });
    }
    const result = invocation.result as { statusCode?: unknown; headers?: Record<string, unknown>; body?: unknown; isBase64Encoded?: boolean } | null;
    if (!result || typeof result.statusCode !== 'number') {
      return answer(502, { message: 'Internal server error' }, { functionError: 'Malformed Lambda proxy response', coldStart: invocation.coldStart });
    }
    const responseHeaders = Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)]));
    const responseBody = typeof result.body === 'string'
      ? (result.isBase64Encoded ? Buffer.from(result.body, 'base64').toString('utf8') : result.body)
      : '';
    checkResponse(found.route, result.statusCode, responseBody);
    return answer(result.statusCode, responseBody, { coldStart: invocation.coldStart }, responseHeaders);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/${options.stage}/`,
    port,
    stop: () => new Promise<void>(resolve => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/** What checking answers against a contract needs of a route. */
export interface ContractRoute {
  readonly route: { readonly method: string; readonly path: string };
  /** The route's answers in its contract: the body schema by status code (`undefined`: no JSON body). */
  readonly responseSchemas?: Readonly<Record<string, Readonly<Record<string, unknown>> | undefined>>;
}

/**
 * A check of functions' answers against their route's contract (api.yaml):
 * `report` is called when the status is not among the answers the contract
 * declares (nor `default`), or the body does not match the schema declared
 * for it. Routes without `responseSchemas` are not checked.
 */
export function contractCheck<R extends ContractRoute>(ajv: Ajv, routes: readonly R[],
  report: (route: R, status: number, problem: string) => void): (route: R, status: number, body: string) => void {
  const responseValidators = new Map<R, Map<string, ValidateFunction | undefined>>();
  for (const route of routes) {
    if (route.responseSchemas) {
      const byStatus = Object.entries(route.responseSchemas).map(([status, schema]) => [status, schema && ajv.compile(schema)] as const);
      responseValidators.set(route, new Map(byStatus));
    }
  }
  return (route, status, body) => {
    const byStatus = responseValidators.get(route);
    if (!byStatus) return;
    const violation = (problem: string) => report(route, status, problem);
    const key = byStatus.has(String(status)) ? String(status) : byStatus.has('default') ? 'default' : undefined;
    if (key === undefined) return violation(`status ${status} is not among the answers the contract declares (${[...byStatus.keys()].join(', ')})`);
    const validate = byStatus.get(key);
    if (!validate) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return violation('the body is not JSON');
    }
    if (!validate(parsed)) violation(`the body does not match the contract's schema: ${ajv.errorsText(validate.errors, { dataVar: 'body' })}`);
  };
}

/** A route with its path as a regular expression. */
export interface RouteMatcher<R extends ContractRoute> {
  readonly route: R;
  readonly pattern: RegExp;
  readonly names: readonly string[];
}

/** The matchers of `routes`, for {@link findRoute}. */
export function routeMatchers<R extends ContractRoute>(routes: readonly R[]): Array<RouteMatcher<R>> {
  return routes.map(route => ({ route, ...pathMatcher(route.route.path) }));
}

/** A regular expression for a route path: each `{name}` matches one segment. */
function pathMatcher(path: string): { pattern: RegExp; names: string[] } {
  const names: string[] = [];
  const source = path.split('/').map(segment => {
    const parameter = /^\{(.+)\}$/.exec(segment);
    if (!parameter) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    names.push(parameter[1]);
    return '([^/]+)';
  }).join('/');
  // eslint-disable-next-line security/detect-non-literal-regexp -- built from a route path of our own manifests, its parameters replaced and the rest escaped before it gets here
  return { pattern: new RegExp(`^${source}/?$`), names };
}

/** The route serving `method` and `path`; literal segments win over parameters, as in API Gateway. */
export function findRoute<R extends ContractRoute>(matchers: ReadonlyArray<RouteMatcher<R>>, method: string, path: string):
{ route: R; pathParameters: Record<string, string> } | undefined {
  const candidates = matchers
    .filter(m => m.route.route.method === method)
    .map(m => ({ m, match: m.pattern.exec(path) }))
    .filter((c): c is { m: RouteMatcher<R>; match: RegExpExecArray } => c.match !== null)
    .sort((a, b) => a.m.names.length - b.m.names.length);
  const best = candidates[0];
  if (!best) return undefined;
  return {
    route: best.m.route,
    pathParameters: Object.fromEntries(best.m.names.map((name, i) => [name, decodeURIComponent(best.match[i + 1])])),
  };
}

/**
 * The event API Gateway's Lambda proxy integration sends: REST API,
 * IAM-authorized by default; the public edge (HTTP API, payload format 1.0,
 * the same shape) gives its own API id, authorizer output and caller identity.
 */
export function proxyEvent(p: {
  readonly stage: string;
  readonly accountId: string;
  readonly service: string;
  readonly method: string;
  readonly url: URL;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly requestId: string;
  readonly route: { readonly functionId: string; readonly route: { readonly path: string } };
  readonly pathParameters: Record<string, string>;
  readonly caller?: string;
  /** @default `local-<service>` */
  readonly apiId?: string;
  /** What the route's authorizer passed on. @default null (IAM) */
  readonly authorizer?: APIGatewayProxyEvent['requestContext']['authorizer'];
  /** @default - the IAM identity of `caller` */
  readonly identity?: APIGatewayProxyEvent['requestContext']['identity'];
}): APIGatewayProxyEvent {
  const path = p.url.pathname.slice(p.stage.length + 1) || '/';
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [key, value] of p.url.searchParams) {
    query[key] = value;
    (multiQuery[key] ??= []).push(value);
  }
  const headers = Object.fromEntries(Object.entries(p.headers).map(([k, v]) => [canonicalHeaderName(k), v]));
  return {
    resource: p.route.route.path,
    path,
    httpMethod: p.method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: Object.keys(query).length ? query : null,
    multiValueQueryStringParameters: Object.keys(multiQuery).length ? multiQuery : null,
    pathParameters: Object.keys(p.pathParameters).length ? p.pathParameters : null,
    stageVariables: null,
    body: p.body === '' ? null : p.body,
    isBase64Encoded: false,
    requestContext: {
      accountId: p.accountId,
      apiId: p.apiId ?? `local-${p.service}`,
      authorizer: p.authorizer ?? null,
      protocol: 'HTTP/1.1',
      httpMethod: p.method,
      path: p.url.pathname,
      stage: p.stage,
      requestId: p.requestId,
      requestTimeEpoch: Date.now(),
      resourceId: p.route.functionId,
      resourcePath: p.route.route.path,
      identity: p.identity ?? iamIdentity({
        accessKey: p.caller ?? null,
        accountId: p.accountId,
        caller: p.caller ?? null,
        userAgent: p.headers['user-agent'] ?? null,
        userArn: p.caller ? `arn:aws:iam::${p.accountId}:user/${p.caller}` : null,
      }),
    },
  };
}

/** `content-type` -> `Content-Type`: how API Gateway passes header names it knows (handlers read them case-insensitively). */
function canonicalHeaderName(name: string): string {
  return name.split('-').map(part => part.charAt(0).toUpperCase() + part.slice(1)).join('-');
}
