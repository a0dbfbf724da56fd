/**
 * The public edge on the local stage: one HTTP port that behaves as the
 * environment's edge (services/edge-stack.ts and services/edge-routes.ts,
 * an API Gateway HTTP API) does for merchants:
 *
 * - each public route of a running service (`route.scopes`, see
 *   services/edge-plan.ts) goes through that service's own instance of the
 *   platform's authorizer (services/edge/authorizer.ts, the deployed handler,
 *   run as a function of the stage with the variables the service stack
 *   gives it: the local token issuer instead of the Cognito user pool), then
 *   to the service's function as an API Gateway proxy event of payload
 *   format 1.0 with the authorizer's output in `requestContext.authorizer.lambda`.
 *   A request without an Authorization header answers 401, as API Gateway
 *   does for a missing identity source, without calling the authorizer; a
 *   refused one answers 403. Answers are checked against the service's
 *   contract (api.yaml), as the service's own local API does;
 * - every other request goes to the monolith (the stand-in, services/local/monolith.ts,
 *   or the URL given) with method, path (without the stage), query string,
 *   headers (Authorization included; hop-by-hop ones dropped, `host`
 *   rewritten) and body as they came, and its answer streams back. Without a
 *   monolith they answer 404, as an edge that declares none.
 *
 * Like the deployed stage, the URL has the stage in its path:
 * `http://127.0.0.1:PORT/local/`.
 *
 * What differs from the deployed edge: no authorizer cache (API Gateway keeps
 * an answer 300 s per token and route: here a token is checked on every
 * request), no throttling, no custom domain, and request bodies are passed
 * to functions as UTF-8 text (the services' routes take JSON).
 */
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import Ajv from 'ajv-draft-04';
import type { APIGatewayProxyEvent, APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { FunctionHost, InvocationResult } from './function-host';
import { ContractRoute, ContractViolation, contractCheck, findRoute, proxyEvent, routeMatchers } from './gateway';
import type { EdgeRoute } from '../edge-plan';
import { iamIdentity } from '../runtime/testing';

/** What the edge needs of a function host: something to invoke. */
export type Invoker = Pick<FunctionHost, 'invoke'>;

/** A public route of a service on the edge, and the function behind it. */
export interface EdgeServiceRoute extends ContractRoute {
  readonly service: string;
  readonly functionId: string;
  readonly route: { readonly method: string; readonly path: string };
  readonly host: Invoker;
  /** The function's timeout: the route's integration timeout follows it, as services/edge-routes.ts sets it. */
  readonly timeoutSeconds: number;
}

/** Options of {@link startEdge}. */
export interface EdgeOptions {
  /** The stage, first segment of every path. */
  readonly stage: string;
  readonly region: string;
  readonly accountId: string;
  readonly routes: readonly EdgeServiceRoute[];
  /** Each service's instance of the edge authorizer ({@link startEdgeAuthorizer}), by service name; every service of `routes` needs one. */
  readonly authorizers: ReadonlyMap<string, Invoker>;
  /** Base URL of the monolith (http or https), without a trailing slash. @default - none: other requests answer 404 */
  readonly monolithUrl?: string;
  /** @default 0 - a free port */
  readonly port?: number;
  /** Called after each request (the stage prints it as an access log line). */
  readonly onRequest?: (entry: EdgeAccessLogEntry) => void;
  /** Called for each answer of a function that its contract does not allow (the answer is passed on, as deployed). */
  readonly onContractViolation?: (violation: ContractViolation) => void;
  /** Runs before a function is invoked (the stage's injected faults): may delay, or answer in its place. */
  readonly beforeInvoke?: (route: EdgeServiceRoute) => Promise<{ status: number; body: string } | undefined>;
}

/** One line of the edge's access log, with the fields of the deployed stage's access log that matter here. */
export interface EdgeAccessLogEntry {
  readonly requestId: string;
  readonly httpMethod: string;
  /** The path as requested, with the stage. */
  readonly path: string;
  /** The route that matched: a service's `METHOD /path`, the monolith's `ANY /{proxy+}` or `ANY /`; `-` for none. */
  readonly routeKey: string;
  readonly status: number;
  /** The merchant the authorizer verified. */
  readonly merchantId?: string;
  readonly durationMs: number;
  /** Who answered: the service, `monolith`, or `edge` (refused or not found before reaching either). */
  readonly served_by: string;
  /** Why the authorizer could not answer (it failed, not refused: refusals are in its own log, with the reason). */
  readonly authorizerError?: string;
  readonly functionError?: string;
  /** Why the monolith could not be reached. */
  readonly integrationError?: string;
  readonly coldStart?: boolean;
}

/** A running edge. */
export interface Edge {
  /** The base URL, with the stage: `http://127.0.0.1:PORT/<stage>/`. */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** The platform's authorizer handler, deployed once per service with public routes. */
export const EDGE_AUTHORIZER_HANDLER = path.join(__dirname, '..', 'edge', 'authorizer.ts');

/** API Gateway's limit for an HTTP API integration. */
const MAX_INTEGRATION_TIMEOUT_MS = 30_000;

/** A service's instance of the edge authorizer: what {@link startEdgeAuthorizer} needs. */
export interface EdgeAuthorizerSpec {
  readonly service: string;
  /** The token issuer (the local one: services/local/token-issuer.ts). */
  readonly issuer: string;
  readonly region: string;
  /** The service's public routes (services/edge-plan.ts publicRoutes). */
  readonly routes: readonly EdgeRoute[];
}

/**
 * The variables of a service's authorizer, as services/edge-routes.ts sets
 * them for a Cognito user pool (access tokens, the app client is the
 * merchant), with the local token issuer in the pool's place.
 */
export function edgeAuthorizerEnvironment(spec: EdgeAuthorizerSpec): Record<string, string> {
  const { service, issuer, region, routes } = spec;
  return {
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    EDGE_ISSUER: issuer,
    EDGE_TOKEN_USE: 'access',
    EDGE_MERCHANT_CLAIM: 'client_id',
    ROUTE_SCOPES: JSON.stringify(Object.fromEntries(routes.map(r => [r.key, [...r.scopes]]))),
    POWERTOOLS_SERVICE_NAME: `${service}-edge-authorizer`,
    // Refusals are logged at INFO with their reason; DEBUG adds the authorized requests.
    POWERTOOLS_LOG_LEVEL: 'DEBUG',
    AWS_LAMBDA_FUNCTION_NAME: `${service}-edge-authorizer`,
    NODE_OPTIONS: '--enable-source-maps',
  };
}

/**
 * A service's instance of the edge authorizer, as a function of the stage
 * (its own execution environment and variables, 5 s timeout and 256 MB as
 * deployed), verifying tokens of the spec's issuer for the service's public routes.
 * Its environment starts on the first request (a cold start), like any function of the stage.
 */
export function startEdgeAuthorizer(spec: EdgeAuthorizerSpec, log?: (line: string) => void): FunctionHost {
  return new FunctionHost({
    name: `${spec.service}-edge-authorizer`,
    handlerFile: EDGE_AUTHORIZER_HANDLER,
    environment: edgeAuthorizerEnvironment(spec),
    timeoutSeconds: 5,
    memoryMiB: 256,
  }, log);
}

/** Headers that describe one connection, not the request: never forwarded (RFC 9110 section 7.6.1). */
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade',
]);

/** `headers` without the hop-by-hop ones (those the Connection header names too). */
function endToEnd(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const named = new Set(String(headers.connection ?? '').split(',').map(h => h.trim().toLowerCase()).filter(Boolean));
  return Object.fromEntries(Object.entries(headers).filter(([name, value]) => value !== undefined && !HOP_BY_HOP.has(name) && !named.has(name)));
}

const json = (body: unknown) => JSON.stringify(body);
/** API Gateway's own answers. */
const ANSWERS = {
  notFound: { status: 404, body: json({ message: 'Not Found' }) },
  unauthorized: { status: 401, body: json({ message: 'Unauthorized' }) },
  forbidden: { status: 403, body: json({ message: 'Forbidden' }) },
  internalError: { status: 500, body: json({ message: 'Internal Server Error' }) },
  unavailable: { status: 503, body: json({ message: 'Service Unavailable' }) },
} as const;

/** Starts the edge on `options.port` (0: any free port). */
export async function startEdge(options: EdgeOptions): Promise<Edge> {
  const missing = [...new Set(options.routes.map(r => r.service))].filter(s => !options.authorizers.has(s));
  if (missing.length) throw new Error(`the local edge needs an authorizer for ${missing.join(', ')}`);
  const monolith = options.monolithUrl === undefined ? undefined : new URL(options.monolithUrl);
  const monolithAgent = monolith && new (monolith.protocol === 'https:' ? https.Agent : http.Agent)({ keepAlive: true });
  const matchers = routeMatchers(options.routes);
  // Quiet: each service's own local API compiled (and warned about) the same schemas already.
  const ajv = new Ajv({ allErrors: true, strict: false, logger: false });
  const checkResponse = contractCheck(ajv, options.routes, (route, status, problem) => options.onContractViolation?.({
    service: route.service, operation: `${route.route.method} ${route.route.path}`, status, problem,
  }));
  const apiId = 'local-edge';

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // A bug of the stage, not of a service: answered as API Gateway answers its own failures, and logged.
      console.error(`local edge: ${req.method} ${req.url}:`, error);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res.writeHead(ANSWERS.internalError.status, { 'content-type': 'application/json' });
      res.end(ANSWERS.internalError.body);
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = performance.now();
    const requestId = randomUUID();
    const method = req.method ?? 'GET';
    const target = req.url ?? '/';
    // Concatenated, not resolved: a request target such as //elsewhere/x stays a path.
    const url = new URL(`http://localhost${target}`);
    const rawPath = target.split('?')[0];
    const search = target.includes('?') ? target.slice(target.indexOf('?')) : '';
    const log = (entry: Omit<EdgeAccessLogEntry, 'requestId' | 'httpMethod' | 'path' | 'durationMs'>) => options.onRequest?.({
      requestId, httpMethod: method, path: url.pathname, durationMs: Math.round(performance.now() - started), ...entry,
    });
    const send = (answer: { status: number; body: string | Buffer }, headers: http.OutgoingHttpHeaders = {}) => {
      res.writeHead(answer.status, { 'content-type': 'application/json', ...headers, 'apigw-requestid': requestId });
      res.end(answer.body);
    };

    // The stage is the first segment; a path outside it reaches no route.
    const prefix = `/${options.stage}`;
    const stagePath = rawPath === prefix ? '/' : rawPath.startsWith(`${prefix}/`) ? rawPath.slice(prefix.length) : undefined;
    if (stagePath === undefined) {
      req.resume();
      send(ANSWERS.notFound);
      return log({ routeKey: '-', status: 404, served_by: 'edge' });
    }
    const found = findRoute(matchers, method, stagePath);
    if (!found) {
      const routeKey = stagePath === '/' ? 'ANY /' : 'ANY /{proxy+}';
      if (!monolith) {
        req.resume();
        send(ANSWERS.notFound);
        return log({ routeKey: '-', status: 404, served_by: 'edge' });
      }
      return forward(req, res, `${stagePath}${search}`, requestId, entry => log({ routeKey, served_by: 'monolith', ...entry }));
    }

    const route = found.route;
    const routeKey = `${route.route.method} ${route.route.path}`;
    const body = await readBody(req);
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v ?? '']));
    const sourceIp = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');

    // The identity source is the Authorization header: without one API Gateway answers 401 and never calls the authorizer.
    if (!headers.authorization?.trim()) {
      send(ANSWERS.unauthorized);
      return log({ routeKey, status: 401, served_by: 'edge' });
    }
    const authorization = await options.authorizers.get(route.service)!.invoke(authorizerEvent({
      ...options, apiId, method, url, headers, requestId, routeKey, pathParameters: found.pathParameters, sourceIp,
    }), randomUUID());
    const allowed = authorizerContext(authorization);
    if ('error' in allowed) {
      send(ANSWERS.internalError);
      return log({ routeKey, status: 500, served_by: 'edge', authorizerError: allowed.error });
    }
    if (!allowed.context) {
      send(ANSWERS.forbidden);
      return log({ routeKey, status: 403, served_by: 'edge' });
    }
    const merchantId = allowed.context.merchantId;
    const served = { routeKey, merchantId, served_by: route.service };

    const injected = await options.beforeInvoke?.(route);
    if (injected) {
      send(injected);
      return log({ ...served, status: injected.status, functionError: 'injected by the local stage (a fault)' });
    }
    const event = proxyEvent({
      stage: options.stage,
      accountId: options.accountId,
      service: route.service,
      apiId,
      method,
      url,
      headers,
      body,
      requestId,
      route,
      pathParameters: found.pathParameters,
      authorizer: { lambda: allowed.context },
      identity: merchantIdentity(sourceIp, headers['user-agent']),
    });
    const timeoutMs = Math.min(route.timeoutSeconds * 1000 + 500, MAX_INTEGRATION_TIMEOUT_MS);
    const invocation = await Promise.race([
      route.host.invoke(event, randomUUID()),
      new Promise<undefined>(resolve => setTimeout(() => resolve(undefined), timeoutMs).unref()),
    ]);
    if (invocation === undefined) {
      send(ANSWERS.unavailable);
      return log({ ...served, status: 503, functionError: `no answer within the integration timeout (${timeoutMs} ms)` });
    }
    if (!invocation.ok) {
      send(ANSWERS.internalError);
      return log({ ...served, status: 500, functionError: `${invocation.errorType}: ${invocation.errorMessage}`, coldStart: invocation.coldStart });
    }
    const answer = proxyResult(invocation.result);
    if (!answer) {
      send(ANSWERS.internalError);
      return log({ ...served, status: 500, functionError: 'Malformed Lambda proxy response', coldStart: invocation.coldStart });
    }
    checkResponse(route, answer.status, answer.body.toString('utf8'));
    send(answer, answer.headers);
    return log({ ...served, status: answer.status, coldStart: invocation.coldStart });
  }

  /** Sends the request to the monolith as it came, and its answer back as it comes. */
  function forward(req: http.IncomingMessage, res: http.ServerResponse, pathAndQuery: string, requestId: string,
    log: (entry: { status: number; integrationError?: string }) => void): Promise<void> {
    const base = monolith!;
    const client = (base.protocol === 'https:' ? https : http) as typeof http;
    const sourceIp = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
    const headers: http.OutgoingHttpHeaders = {
      ...endToEnd(req.headers),
      host: base.host,
      // As API Gateway adds to requests it sends to HTTP integrations.
      forwarded: `for=${sourceIp};host=${req.headers.host ?? ''};proto=http`,
    };
    return new Promise<void>(resolve => {
      let done = false;
      const fail = (answer: { status: number; body: string }, integrationError: string) => {
        if (done) return;
        done = true;
        if (res.headersSent) {
          res.destroy();
        } else {
          res.writeHead(answer.status, { 'content-type': 'application/json', 'apigw-requestid': requestId });
          res.end(answer.body);
        }
        log({ status: answer.status, integrationError });
        resolve();
      };
      const upstream = client.request({
        protocol: base.protocol,
        hostname: base.hostname,
        port: base.port,
        // Concatenated, never resolved: a path such as //elsewhere stays a path of the monolith.
        path: `${base.pathname.replace(/\/$/, '')}${pathAndQuery}`,
        method: req.method,
        headers,
        agent: monolithAgent,
      }, response => {
        res.writeHead(response.statusCode ?? 502, { ...endToEnd(response.headers), 'apigw-requestid': requestId });
        response.pipe(res);
        response.on('error', e => fail(ANSWERS.internalError, `the monolith's answer broke off: ${e.message}`));
        res.on('finish', () => {
          if (done) return;
          done = true;
          log({ status: response.statusCode ?? 502 });
          resolve();
        });
      });
      upstream.setTimeout(MAX_INTEGRATION_TIMEOUT_MS, () => {
        upstream.destroy();
        fail(ANSWERS.unavailable, `the monolith did not answer within ${MAX_INTEGRATION_TIMEOUT_MS} ms`);
      });
      upstream.on('error', e => fail(ANSWERS.internalError, `the monolith (${base.origin}) could not be reached: ${e.message}`));
      res.on('close', () => {
        if (done) return;
        // The caller went away first: so does the request to the monolith.
        done = true;
        upstream.destroy();
        log({ status: res.statusCode, integrationError: 'the caller closed the connection before the answer was complete' });
        resolve();
      });
      req.pipe(upstream);
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/${options.stage}/`,
    port,
    stop: () => new Promise<void>(resolve => {
      server.close(() => resolve());
      server.closeAllConnections();
      monolithAgent?.destroy();
    }),
  };
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The event an HTTP API sends a REQUEST authorizer (payload format 2.0), with the service stack's identity sources. */
function authorizerEvent(p: {
  readonly stage: string;
  readonly region: string;
  readonly accountId: string;
  readonly apiId: string;
  readonly method: string;
  readonly url: URL;
  readonly headers: Record<string, string>;
  readonly requestId: string;
  readonly routeKey: string;
  readonly pathParameters: Record<string, string>;
  readonly sourceIp: string;
}): APIGatewayRequestAuthorizerEventV2 {
  const query: Record<string, string> = {};
  for (const [key, value] of p.url.searchParams) query[key] = key in query ? `${query[key]},${value}` : value;
  const now = new Date();
  const domainName = p.headers.host ?? '127.0.0.1';
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: `arn:aws:execute-api:${p.region}:${p.accountId}:${p.apiId}/${p.stage}/${p.method}${p.url.pathname.slice(p.stage.length + 1)}`,
    identitySource: [p.headers.authorization, p.routeKey],
    routeKey: p.routeKey,
    rawPath: p.url.pathname,
    rawQueryString: p.url.search.slice(1),
    cookies: (p.headers.cookie ?? '').split(';').map(c => c.trim()).filter(Boolean),
    headers: p.headers,
    queryStringParameters: query,
    requestContext: {
      accountId: p.accountId,
      apiId: p.apiId,
      domainName,
      domainPrefix: domainName.split('.')[0],
      http: { method: p.method, path: p.url.pathname, protocol: 'HTTP/1.1', sourceIp: p.sourceIp, userAgent: p.headers['user-agent'] ?? '' },
      requestId: p.requestId,
      routeKey: p.routeKey,
      stage: p.stage,
      time: requestTime(now),
      timeEpoch: now.getTime(),
    },
    pathParameters: p.pathParameters,
    stageVariables: {},
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `02/Dec/2026:16:06:28 +0000`: how API Gateway writes `requestContext.time`. */
function requestTime(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:`
    + `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`;
}

/** What the authorizer answered: its context when it allowed, none when it refused, an error when it failed. */
function authorizerContext(invocation: InvocationResult):
{ context?: { merchantId: string; scopes: string; clientId: string } } | { error: string } {
  if (!invocation.ok) return { error: `${invocation.errorType}: ${invocation.errorMessage}` };
  const result = invocation.result as { isAuthorized?: unknown; context?: Record<string, unknown> } | null;
  if (!result || typeof result.isAuthorized !== 'boolean') return { error: 'the authorizer\'s answer has no isAuthorized' };
  if (!result.isAuthorized) return {};
  const context = result.context ?? {};
  // API Gateway passes context values on as strings.
  return { context: { merchantId: String(context.merchantId ?? ''), scopes: String(context.scopes ?? ''), clientId: String(context.clientId ?? '') } };
}

/** A merchant calling through the edge: no IAM identity, only where the request came from. */
function merchantIdentity(sourceIp: string, userAgent: string | undefined): APIGatewayProxyEvent['requestContext']['identity'] {
  return { ...iamIdentity({ accountId: '', caller: null, userArn: null, userAgent: userAgent ?? null }), accountId: null, sourceIp };
}

/** A function's answer in payload format 1.0, as bytes and headers; undefined when it is not one. */
function proxyResult(result: unknown): { status: number; headers: http.OutgoingHttpHeaders; body: Buffer } | undefined {
  const r = result as {
    statusCode?: unknown; headers?: Record<string, unknown>; multiValueHeaders?: Record<string, unknown[]>; body?: unknown; isBase64Encoded?: boolean;
  } | null;
  if (!r || typeof r.statusCode !== 'number') return undefined;
  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(r.headers ?? {})) headers[name.toLowerCase()] = String(value);
  for (const [name, values] of Object.entries(r.multiValueHeaders ?? {})) {
    if (Array.isArray(values)) headers[name.toLowerCase()] = values.map(String);
  }
  const text = typeof r.body === 'string' ? r.body : '';
  return { status: r.statusCode, headers, body: r.isBase64Encoded ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8') };
}
