import * as http from 'node:http';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { EdgeRoute } from '../../../services/edge-plan';
import { Edge, EdgeAccessLogEntry, EdgeOptions, EdgeServiceRoute, Invoker, startEdge, startEdgeAuthorizer } from '../../../services/local/edge';
import { freePort } from '../../../services/local/emulator';
import { FunctionHost, InvocationResult } from '../../../services/local/function-host';
import { ContractViolation } from '../../../services/local/gateway';
import { MonolithEcho, StandInMonolith, startStandInMonolith } from '../../../services/local/monolith';
import { startTokenIssuer, TokenIssuer } from '../../../services/local/token-issuer';

/** A function of a service, faked: records its events, answers what `answer` returns. */
function fakeFunction(answer: (event: APIGatewayProxyEvent) => unknown): Invoker & { events: APIGatewayProxyEvent[] } {
  const events: APIGatewayProxyEvent[] = [];
  return {
    events,
    invoke: async (event: unknown): Promise<InvocationResult> => {
      events.push(event as APIGatewayProxyEvent);
      const result = answer(event as APIGatewayProxyEvent);
      return result instanceof Error
        ? { ok: false, errorType: result.name, errorMessage: result.message, coldStart: false }
        : { ok: true, result, coldStart: false };
    },
  };
}

const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}) =>
  ({ statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

const getPayment = fakeFunction(event => json(200, { paymentId: event.pathParameters?.paymentId }, { 'x-served': 'getPayment' }));
const latestPayment = fakeFunction(() => json(200, { latest: true }));
const createPayment = fakeFunction(event => ({
  statusCode: 201, headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from(`created:${event.body}`).toString('base64'), isBase64Encoded: true,
}));
let balancesAnswer: (event: APIGatewayProxyEvent) => unknown = event => json(200, { accountId: event.pathParameters?.accountId, balances: [] });
const getBalances = fakeFunction(event => balancesAnswer(event));

/** The public routes of two services, as edge-plan.ts lists them, and their functions. */
const PUBLIC: Array<EdgeRoute & { method: string; path: string; host: Invoker; responseSchemas?: EdgeServiceRoute['responseSchemas'] }> = [
  { key: 'GET /payments/{paymentId}', service: 'payments', functionId: 'getPayment', scopes: ['payments/read'], method: 'GET', path: '/payments/{paymentId}', host: getPayment },
  { key: 'GET /payments/latest', service: 'payments', functionId: 'latestPayment', scopes: ['payments/read'], method: 'GET', path: '/payments/latest', host: latestPayment },
  { key: 'POST /payments', service: 'payments', functionId: 'createPayment', scopes: ['payments/write'], method: 'POST', path: '/payments', host: createPayment },
  {
    key: 'GET /accounts/{accountId}/balances',
    service: 'ledger',
    functionId: 'getBalances',
    scopes: ['ledger/read'],
    method: 'GET',
    path: '/accounts/{accountId}/balances',
    host: getBalances,
    responseSchemas: { 200: { type: 'object', required: ['accountId', 'balances'], properties: { accountId: { type: 'string' }, balances: { type: 'array' } } }, 404: undefined },
  },
];
const ROUTES: EdgeServiceRoute[] = PUBLIC.map(r => ({
  service: r.service,
  functionId: r.functionId,
  route: { method: r.method, path: r.path },
  host: r.host,
  timeoutSeconds: 10,
  responseSchemas: r.responseSchemas,
}));

let issuer: TokenIssuer;
let monolith: StandInMonolith;
let edge: Edge;
let base: string;
let token: string;
const authorizers = new Map<string, FunctionHost>();
const authorizerLog: string[] = [];
const accessLog: EdgeAccessLogEntry[] = [];
const violations: ContractViolation[] = [];

/** An edge of these routes; `overrides` change its options. */
function edgeOf(overrides: Partial<EdgeOptions> = {}): Promise<Edge> {
  return startEdge({
    stage: 'local',
    region: 'eu-west-1',
    accountId: '123456789012',
    routes: ROUTES,
    authorizers,
    onRequest: entry => accessLog.push(entry),
    onContractViolation: v => violations.push(v),
    ...overrides,
  });
}

beforeAll(async () => {
  issuer = await startTokenIssuer({ scopes: PUBLIC.flatMap(r => r.scopes) });
  monolith = await startStandInMonolith();
  for (const service of ['payments', 'ledger']) {
    authorizers.set(service, startEdgeAuthorizer({
      service, issuer: issuer.issuer, region: 'eu-west-1', routes: PUBLIC.filter(r => r.service === service),
    }, line => authorizerLog.push(line)));
  }
  // Their cold starts (the real authorizer, in its own execution environment) before the tests.
  await Promise.all([...authorizers.values()].map(a => a.invoke({ routeKey: 'GET /', headers: {}, requestContext: {} }, 'warm-up')));
  edge = await edgeOf({ monolithUrl: monolith.url });
  base = edge.url.replace(/\/$/, '');
  token = await issuer.mintToken({ clientId: 'merchant-1' });
}, 60_000);

afterAll(async () => {
  await edge?.stop();
  for (const authorizer of authorizers.values()) await authorizer.stop();
  await monolith?.stop();
  await issuer?.stop();
});

/** A request to the edge; `token` sends it as a bearer token. */
async function call(url: string, options: { method?: string; token?: string; headers?: Record<string, string>; body?: string } = {}) {
  const response = await fetch(url, {
    method: options.method ?? 'GET',
    headers: { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...options.headers },
    body: options.body,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: text.startsWith('{') ? JSON.parse(text) as Record<string, unknown> : undefined };
}

const lastEntry = () => accessLog[accessLog.length - 1];

describe('the local edge: public routes of services', () => {
  test('a token with the route\'s scope reaches the function as a payload 1.0 event carrying the authorizer\'s output', async () => {
    const answer = await call(`${base}/payments/pay_1%2D2?expand=receipt&x=1`, { token, headers: { 'x-merchant-trace': 't-1' } });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ paymentId: 'pay_1-2' });
    expect(answer.headers.get('x-served')).toBe('getPayment');
    expect(answer.headers.get('apigw-requestid')).toEqual(expect.any(String));
    const event = getPayment.events[getPayment.events.length - 1];
    expect(event).toMatchObject({
      resource: '/payments/{paymentId}',
      path: '/payments/pay_1%2D2',
      httpMethod: 'GET',
      pathParameters: { paymentId: 'pay_1-2' },
      queryStringParameters: { expand: 'receipt', x: '1' },
      headers: expect.objectContaining({ 'Authorization': `Bearer ${token}`, 'X-Merchant-Trace': 't-1' }),
      body: null,
      requestContext: {
        stage: 'local',
        resourcePath: '/payments/{paymentId}',
        authorizer: { lambda: { merchantId: 'merchant-1', clientId: 'merchant-1', scopes: 'ledger/read payments/read payments/write' } },
        identity: expect.objectContaining({ sourceIp: '127.0.0.1', userArn: null, accessKey: null }),
      },
    });
    expect(lastEntry()).toMatchObject({
      routeKey: 'GET /payments/{paymentId}', status: 200, merchantId: 'merchant-1', served_by: 'payments', path: '/local/payments/pay_1%2D2',
    });
  });

  test('literal segments win over parameters; the body goes to the function and a base64 answer comes back as bytes', async () => {
    expect((await call(`${base}/payments/latest`, { token })).body).toEqual({ latest: true });
    expect(latestPayment.events).toHaveLength(1);
    const created = await call(`${base}/payments`, { method: 'POST', token, headers: { 'content-type': 'application/json' }, body: '{"amountMinor":5}' });
    expect(created).toMatchObject({ status: 201, text: 'created:{"amountMinor":5}' });
    expect(created.headers.get('content-type')).toBe('application/octet-stream');
    expect(createPayment.events[0].body).toBe('{"amountMinor":5}');
  });

  test('without an Authorization header 401, as API Gateway answers a missing identity source: the authorizer is not called', async () => {
    const before = getPayment.events.length;
    const logged = authorizerLog.length;
    expect(await call(`${base}/payments/pay_1`)).toMatchObject({ status: 401, body: { message: 'Unauthorized' } });
    expect(await call(`${base}/payments/pay_1`, { headers: { authorization: '' } })).toMatchObject({ status: 401 });
    expect(getPayment.events).toHaveLength(before);
    expect(authorizerLog).toHaveLength(logged);
    expect(lastEntry()).toMatchObject({ routeKey: 'GET /payments/{paymentId}', status: 401, served_by: 'edge' });
  });

  test('a token the authorizer refuses answers 403 Forbidden, and its reason is in the authorizer\'s log', async () => {
    const other = await startTokenIssuer({ scopes: ['payments/read'] });
    try {
      const refused = [
        await issuer.mintToken({ clientId: 'merchant-1', scopes: ['ledger/read'] }),
        'not.a-real.token',
        await other.mintToken({ clientId: 'merchant-1', claims: { iss: issuer.issuer } }),
        await issuer.mintToken({ clientId: 'merchant-1', claims: { exp: Math.floor(Date.now() / 1000) - 60 } }),
      ];
      const before = getPayment.events.length;
      for (const bad of refused) {
        expect(await call(`${base}/payments/pay_1`, { token: bad })).toMatchObject({ status: 403, body: { message: 'Forbidden' } });
      }
      expect(getPayment.events).toHaveLength(before);
      expect(lastEntry()).toMatchObject({ status: 403, served_by: 'edge', routeKey: 'GET /payments/{paymentId}' });
      const reasons = authorizerLog.filter(l => l.includes('request refused')).map(l => (JSON.parse(l) as { reason: string }).reason);
      expect(reasons).toEqual(expect.arrayContaining([
        'missing scope for route GET /payments/{paymentId}: needs one of payments/read', 'malformed token', 'no key of the issuer matches the token (unknown kid)', 'the token has expired',
      ]));
    } finally {
      await other.stop();
    }
  });

  test('each service\'s routes go through its own authorizer, with its own route scopes', async () => {
    const ledgerOnly = await issuer.mintToken({ clientId: 'merchant-1', scopes: ['ledger/read'] });
    expect(await call(`${base}/accounts/merchant-1/balances`, { token: ledgerOnly })).toMatchObject({ status: 200, body: { accountId: 'merchant-1', balances: [] } });
    expect(lastEntry()).toMatchObject({ served_by: 'ledger', routeKey: 'GET /accounts/{accountId}/balances' });
  });

  test('answers are checked against the service\'s contract (and passed on, as deployed); a failing function answers 500', async () => {
    try {
      balancesAnswer = () => json(200, { accountId: 7 });
      expect((await call(`${base}/accounts/merchant-1/balances`, { token })).status).toBe(200);
      balancesAnswer = () => json(418, { message: 'teapot' });
      expect((await call(`${base}/accounts/merchant-1/balances`, { token })).status).toBe(418);
      expect(violations).toEqual([
        { service: 'ledger', operation: 'GET /accounts/{accountId}/balances', status: 200, problem: expect.stringMatching(/^the body does not match the contract's schema: .*balances/) },
        { service: 'ledger', operation: 'GET /accounts/{accountId}/balances', status: 418, problem: 'status 418 is not among the answers the contract declares (200, 404)' },
      ]);
      balancesAnswer = () => new Error('boom');
      expect(await call(`${base}/accounts/merchant-1/balances`, { token })).toMatchObject({ status: 500, body: { message: 'Internal Server Error' } });
      expect(lastEntry()).toMatchObject({ status: 500, served_by: 'ledger', functionError: 'Error: boom' });
    } finally {
      balancesAnswer = event => json(200, { accountId: event.pathParameters?.accountId, balances: [] });
      violations.length = 0;
    }
  });
});

describe('the local edge: everything else goes to the monolith', () => {
  test('method, path without the stage, query string, headers (Authorization included) and body, as they came', async () => {
    const answer = await call(`${base}/merchants/merchant-1/settlements?month=2026-11&tag=a&tag=b`, { token, headers: { 'x-merchant-trace': 't-2' } });
    expect(answer.status).toBe(200);
    const echo = answer.body as unknown as MonolithEcho;
    expect(echo).toMatchObject({
      served_by: 'monolith', method: 'GET', path: '/merchants/merchant-1/settlements', query: { month: '2026-11', tag: ['a', 'b'] }, body: '',
    });
    expect(echo.headers).toMatchObject({ 'authorization': `Bearer ${token}`, 'x-merchant-trace': 't-2', 'host': new URL(monolith.url).host });
    expect(lastEntry()).toMatchObject({ routeKey: 'ANY /{proxy+}', served_by: 'monolith', status: 200 });

    const refund = await call(`${base}/payments/pay_1/refunds`, { method: 'POST', token, headers: { 'content-type': 'application/json' }, body: '{"amountMinor":1}' });
    expect(refund.body).toMatchObject({ method: 'POST', path: '/payments/pay_1/refunds', body: '{"amountMinor":1}', headers: expect.objectContaining({ 'content-type': 'application/json' }) });
  });

  test('a service\'s path with a method it does not serve, and the stage\'s root, go to the monolith too', async () => {
    expect((await call(`${base}/payments/pay_1`, { method: 'DELETE' })).body).toMatchObject({ served_by: 'monolith', method: 'DELETE', path: '/payments/pay_1' });
    expect((await call(`${base}/?page=2`)).body).toMatchObject({ served_by: 'monolith', path: '/', query: { page: '2' } });
    expect(lastEntry()).toMatchObject({ routeKey: 'ANY /', served_by: 'monolith' });
    expect((await call(base)).body).toMatchObject({ path: '/' });
  });

  test('hop-by-hop headers stay on the edge', async () => {
    const echo = await new Promise<MonolithEcho>((resolve, reject) => {
      const req = http.request(`${base}/merchants/merchant-1/invoices`, {
        headers: { 'connection': 'keep-alive, x-hop', 'x-hop': 'one connection only', 'keep-alive': 'timeout=5', 'x-end-to-end': 'yes' },
      }, res => {
        let text = '';
        res.on('data', (chunk: Buffer) => { text += chunk.toString(); });
        res.on('end', () => resolve(JSON.parse(text) as MonolithEcho));
      });
      req.on('error', reject);
      req.end();
    });
    expect(echo.headers['x-end-to-end']).toBe('yes');
    for (const name of ['x-hop', 'keep-alive']) expect(echo.headers).not.toHaveProperty(name);
  });

  test('a path outside the stage answers 404, as API Gateway does', async () => {
    expect(await call(edge.url.replace('/local/', '/payments/pay_1'), { token })).toMatchObject({ status: 404, body: { message: 'Not Found' } });
    expect(await call(edge.url.replace('/local/', '/localx/merchants'), { token })).toMatchObject({ status: 404 });
    expect(lastEntry()).toMatchObject({ routeKey: '-', served_by: 'edge', status: 404 });
  });

  test('without a monolith other requests answer 404; an unreachable one 500; a stopped edge leaves no port behind', async () => {
    const alone = await edgeOf();
    const down = await edgeOf({ monolithUrl: `http://127.0.0.1:${await freePort()}` });
    try {
      const aloneBase = alone.url.replace(/\/$/, '');
      expect(await call(`${aloneBase}/merchants/merchant-1/settlements`, { token })).toMatchObject({ status: 404, body: { message: 'Not Found' } });
      expect((await call(`${aloneBase}/payments/pay_1`, { token })).status).toBe(200);
      expect(await call(`${down.url}merchants/merchant-1/settlements`)).toMatchObject({ status: 500, body: { message: 'Internal Server Error' } });
      expect(lastEntry()).toMatchObject({ served_by: 'monolith', status: 500, integrationError: expect.stringMatching(/could not be reached/) });
    } finally {
      await alone.stop();
      await down.stop();
    }
    await expect(fetch(alone.url)).rejects.toThrow();
  });
});
