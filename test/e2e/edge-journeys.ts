/**
 * Journeys through the public edge, as merchants call it (local stage): a
 * merchant gets an OAuth 2.0 access token (client credentials) and creates
 * and reads a payment through the edge; another merchant can neither read
 * it nor create payments in its name; a route no service serves reaches the
 * monolith as it was sent; requests without a valid token are refused as API
 * Gateway refuses them. The monolith check needs the stage's stand-in
 * monolith, which echoes requests (the stage started without --monolith-url).
 * Needs EDGE_URL and EDGE_TOKEN_URL: without them (no edge) the suite says so
 * and checks nothing.
 */
import { randomUUID } from 'node:crypto';
import { runChecks, urlOf } from './http';

const edge = process.env.EDGE_URL;
const tokenUrl = process.env.EDGE_TOKEN_URL;
/** Every local merchant's client secret (services/local/token-issuer.ts). */
const SECRET = 'local-secret';

const run = randomUUID().slice(0, 8);
const merchantA = `edge-merchant-a-${run}`;
const merchantB = `edge-merchant-b-${run}`;
const request = { merchantId: merchantA, payerAccountId: `edge-payer-${run}`, amountMinor: 4200, currency: 'EUR', description: `edge ${run}` };

/** An access token of `merchant` from the token endpoint (HTTP Basic client authentication); `scope` as requested. */
async function token(merchant: string, scope?: string): Promise<string> {
  const form = new URLSearchParams({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) });
  const response = await fetch(tokenUrl!, {
    method: 'POST',
    headers: { 'authorization': `Basic ${Buffer.from(`${merchant}:${SECRET}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
  const body = await response.json() as { access_token?: string; token_type?: string };
  if (response.status !== 200 || !body.access_token || body.token_type !== 'Bearer') {
    throw new Error(`the token endpoint answered ${response.status}: ${JSON.stringify(body)}`);
  }
  return body.access_token;
}

/** A JSON answer: a payment, an error, or what the stand-in monolith received. */
interface Answer {
  readonly [field: string]: unknown;
  readonly paymentId?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

interface CallOptions {
  readonly method?: string;
  /** Sent as a bearer token. */
  readonly token?: string;
  /** The Authorization header as is (instead of `token`). */
  readonly authorization?: string;
  readonly json?: unknown;
  readonly headers?: Record<string, string>;
}

/** A call to the edge, unsigned (merchants are not AWS principals): status and parsed body. */
async function call(route: string, options: CallOptions = {}): Promise<{ status: number; body: Answer }> {
  const authorization = options.authorization ?? (options.token ? `Bearer ${options.token}` : undefined);
  const response = await fetch(urlOf(edge!, route), {
    method: options.method ?? 'GET',
    headers: {
      ...(authorization ? { authorization } : {}),
      ...(options.json !== undefined ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
    },
    body: options.json === undefined ? undefined : JSON.stringify(options.json),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  let body: Answer;
  try {
    body = JSON.parse(text) as Answer;
  } catch {
    body = { text };
  }
  return { status: response.status, body };
}

function expectStatus(actual: { status: number; body: unknown }, expected: number): void {
  if (actual.status !== expected) throw new Error(`status ${actual.status}, expected ${expected}: ${JSON.stringify(actual.body)}`);
}

function expectEqual(actual: unknown, expected: unknown, what: string): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) throw new Error(`${what}: ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
}

if (!edge || !tokenUrl) {
  console.log('skipped: no public edge to call (EDGE_URL and EDGE_TOKEN_URL are not set: the first environment declares no edge)');
} else {
  let tokenA = '';
  let tokenB = '';
  let paymentId = '';
  /** Later checks need the payment of the first: without it they fail at once. */
  const requirePayment = () => {
    if (!paymentId) throw new Error('no payment was created through the edge (see the first check)');
    return paymentId;
  };
  void runChecks([
    ['a merchant gets a token (client credentials) and creates a payment through the edge', async () => {
      [tokenA, tokenB] = await Promise.all([token(merchantA), token(merchantB)]);
      const created = await call('/payments', { method: 'POST', token: tokenA, json: request, headers: { 'Idempotency-Key': randomUUID() } });
      expectStatus(created, 201);
      expectEqual(created.body.merchantId, merchantA, 'merchantId of the payment');
      paymentId = created.body.paymentId ?? '';
    }],
    ['the merchant reads its payment back through the edge', async () => {
      const read = await call(`/payments/${encodeURIComponent(requirePayment())}`, { token: tokenA });
      expectStatus(read, 200);
      expectEqual([read.body.paymentId, read.body.amountMinor], [paymentId, request.amountMinor], 'payment id and amount');
    }],
    ['another merchant reading it gets 404, the same answer as for a payment that does not exist', async () => {
      const stolen = await call(`/payments/${encodeURIComponent(requirePayment())}`, { token: tokenB });
      expectStatus(stolen, 404);
      const unknownId = `pay_${randomUUID()}`;
      const unknown = await call(`/payments/${unknownId}`, { token: tokenB });
      expectStatus(unknown, 404);
      expectEqual(stolen.body, JSON.parse(JSON.stringify(unknown.body).split(unknownId).join(paymentId)), 'the body for another merchant\'s payment');
    }],
    ['another merchant creating a payment in the first merchant\'s name is refused 403', async () => {
      const forged = await call('/payments', { method: 'POST', token: tokenB, json: { ...request, description: 'forged' }, headers: { 'Idempotency-Key': randomUUID() } });
      expectStatus(forged, 403);
    }],
    ['a route no service serves reaches the monolith with method, path, query, Authorization and body as sent', async () => {
      const settlements = await call(`/merchants/${merchantA}/settlements?month=2026-11`, { token: tokenA });
      expectStatus(settlements, 200);
      expectEqual(
        [settlements.body.served_by, settlements.body.method, settlements.body.path, settlements.body.query, settlements.body.headers?.authorization],
        ['monolith', 'GET', `/merchants/${merchantA}/settlements`, { month: '2026-11' }, `Bearer ${tokenA}`],
        'what the monolith received',
      );
      const webhook = { url: `https://merchant.example/${run}` };
      const put = await call(`/merchants/${merchantA}/webhook`, { method: 'PUT', token: tokenA, json: webhook });
      expectStatus(put, 200);
      expectEqual([put.body.method, put.body.path, put.body.body], ['PUT', `/merchants/${merchantA}/webhook`, JSON.stringify(webhook)], 'what the monolith received');
    }],
    ['without a token 401; a token without the route\'s scope or a garbage token 403, as API Gateway answers', async () => {
      const none = await call(`/payments/${encodeURIComponent(requirePayment())}`);
      expectStatus(none, 401);
      expectEqual(none.body, { message: 'Unauthorized' }, 'the answer without a token');
      const readOnly = await token(merchantA, 'payments/read');
      const unscoped = await call('/payments', { method: 'POST', token: readOnly, json: request, headers: { 'Idempotency-Key': randomUUID() } });
      expectStatus(unscoped, 403);
      expectEqual(unscoped.body, { message: 'Forbidden' }, 'the answer to a token without payments/write');
      const garbage = await call(`/payments/${encodeURIComponent(paymentId)}`, { authorization: 'Bearer not.a-real.token' });
      expectStatus(garbage, 403);
      expectEqual(garbage.body, { message: 'Forbidden' }, 'the answer to a garbage token');
    }],
  ]);
}
