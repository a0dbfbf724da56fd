/**
 * The local stage (services/local) on moto server, with the shipped
 * services: what a caller sees (SigV4, request validation, routes), its
 * fault control, a handler change picked up without a restart, the
 * end-to-end suite failing on a broken handler, and the public edge in
 * front of services and the monolith. (The journeys through faults, the
 * dead-letter queue included, and through the edge run in `npx projen test:e2e`.)
 *
 * The stage runs a copy of services/ inside the repository (so the
 * handlers resolve node_modules): the tests edit handlers in the copy.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runSuite } from './local-suites';
import { loadServices } from '../../services';
import { LocalStage, startLocalStage } from '../../services/local/stage';
import { signedFetch } from '../../services/runtime';
import { loadShippedOrganization, REPO_ROOT } from '../fixtures/organization';

const COPY = path.join(REPO_ROOT, '.build', 'local-stage-test', 'services');
const SUITE = path.join(__dirname, 'payment-flow.ts');
const lines: string[] = [];
let stage: LocalStage;
/** The stage's JSON log lines of `type` (request, batch, reload), from line `from` on. */
const logged = (type: string, from = 0): any[] => lines.slice(from).filter(l => l.startsWith('{')).map(l => JSON.parse(l)).filter(l => l.type === type);

/** A signed call with the stage's credentials. */
async function call(url: string, options: { method?: string; json?: unknown; secret?: string } = {}): Promise<{ status: number; body: any }> {
  const credentials = { ...stage.credentials, ...(options.secret ? { secretAccessKey: options.secret } : {}) };
  const response = await signedFetch(url, { method: options.method, json: options.json, region: stage.region, credentials: async () => credentials });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

const urlOf = (service: string, route: string) => `${stage.services.find(s => s.name === service)!.url!.replace(/\/$/, '')}${route}`;

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(resolve => setTimeout(resolve, 250));
  }
}

beforeAll(async () => {
  fs.rmSync(path.dirname(COPY), { recursive: true, force: true });
  fs.cpSync(path.join(REPO_ROOT, 'services'), COPY, { recursive: true, filter: src => !src.includes(`${path.sep}test${path.sep}`) });
  // The manifests' schema (services/service-model.ts) reads the on-call schema from the models next to it.
  fs.cpSync(path.join(REPO_ROOT, 'accounts'), path.join(path.dirname(COPY), 'accounts'), { recursive: true });
  const organization = loadShippedOrganization();
  const services = loadServices({ servicesDir: COPY, organization });
  stage = await startLocalStage({ organization, services, port: 0, log: line => lines.push(line) });
});

afterAll(async () => {
  await stage?.stop();
  fs.rmSync(path.dirname(COPY), { recursive: true, force: true });
});

describe('the local stage', () => {
  test('runs every shipped service: each API on its own port under the local stage, the consumer on its queue', () => {
    expect(stage.services.map(s => s.name)).toEqual(['ledger', 'notifications', 'payments']);
    for (const s of stage.services) expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/local\/$/);
    expect(stage.services.find(s => s.name === 'notifications')!.consumers).toEqual([{ queue: 'payment-events', functionId: 'recordPaymentEvent' }]);
  });

  test('answers only requests signed with SigV4 by a known key, as the deployed API', async () => {
    const url = urlOf('ledger', '/accounts/acc-1/balances');
    const unsigned = await fetch(url);
    expect(unsigned.status).toBe(403);
    expect(await unsigned.json()).toEqual({ message: 'Missing Authentication Token' });
    const wrongSecret = await call(url, { secret: 'not-the-secret' });
    expect(wrongSecret.status).toBe(403);
    expect(wrongSecret.body.message).toMatch(/^The request signature we calculated does not match/);
    const signed = await call(url);
    expect(signed).toEqual({ status: 200, body: { accountId: 'acc-1', balances: [] } });
  });

  test('an unknown path or method is refused like an unsigned request; path parameters reach the handler decoded', async () => {
    expect((await call(urlOf('ledger', '/nowhere'))).status).toBe(403);
    expect((await call(urlOf('ledger', '/accounts/acc-1/balances'), { method: 'DELETE' })).status).toBe(403);
    expect((await call(urlOf('ledger', '/accounts/acc%2D2/balances'))).body.accountId).toBe('acc-2');
  });

  test('validates request bodies against the api.yaml model before the handler runs', async () => {
    const before = lines.length;
    const refused = await call(urlOf('payments', '/payments'), { method: 'POST', json: { amountMinor: 'ten' } });
    expect(refused).toEqual({ status: 400, body: { message: 'Invalid request body' } });
    const entry = logged('request', before)[0];
    expect(entry).toMatchObject({ service: 'payments', status: 400, resourcePath: '/payments' });
    expect(entry.functionError).toMatch(/amountMinor|required/);
  });

  test('the control endpoint sets faults on routes of the stage only, and clears them', async () => {
    const post = (body: unknown) => fetch(`${stage.controlUrl}/faults`, { method: 'POST', body: JSON.stringify(body) })
      .then(async r => ({ status: r.status, body: await r.json() as { message?: string } }));
    expect(await post({ service: 'ledger', method: 'POST', path: '/nowhere', delayMs: 1 })).toEqual({
      status: 400, body: { message: expect.stringMatching(/^no route ledger POST \/nowhere on this stage; allowed: ledger POST \/transactions, /) },
    });
    expect((await post({ service: 'ledger', method: 'GET', path: '/accounts/{accountId}/balances' })).body.message).toBe('fault: a fault needs delayMs or respond');
    const teapot = { service: 'ledger', method: 'GET', path: '/accounts/{accountId}/balances', respond: { status: 418, body: { message: 'teapot' } }, times: 1 };
    expect((await post(teapot)).status).toBe(201);
    expect(await call(urlOf('ledger', '/accounts/acc-1/balances'))).toEqual({ status: 418, body: { message: 'teapot' } });
    // Once only (times: 1).
    expect((await call(urlOf('ledger', '/accounts/acc-1/balances'))).status).toBe(200);
    expect((await post({ ...teapot, times: undefined })).status).toBe(201);
    expect((await fetch(`${stage.controlUrl}/faults`, { method: 'DELETE' })).status).toBe(204);
    expect((await call(urlOf('ledger', '/accounts/acc-1/balances'))).status).toBe(200);
  });

  test('an answer its service\'s contract does not allow is reported, naming the service, operation, status and field', async () => {
    const handler = path.join(COPY, 'ledger', 'src', 'get-balances.ts');
    const original = fs.readFileSync(handler, 'utf8');
    expect(original).toContain('return json(200, { accountId, balances });');
    const before = stage.contractViolations().length;
    try {
      fs.writeFileSync(handler, original.replace('return json(200, { accountId, balances });', 'return json(200, { accountId, balances: String(balances.length) });'));
      await waitFor('the reload', async () => (logged('reload').some(l => l.file.endsWith('get-balances.ts')) ? true : undefined));
      expect((await call(urlOf('ledger', '/accounts/acc-9/balances'))).status).toBe(200);
      expect(stage.contractViolations().slice(before)).toEqual([{
        service: 'ledger', operation: 'GET /accounts/{accountId}/balances', status: 200, problem: "the body does not match the contract's schema: body/balances must be array",
      }]);
    } finally {
      fs.writeFileSync(handler, original);
    }
  });

  test('the edge answers a public route to a merchant with a token, and passes a route no service serves to the monolith', async () => {
    const edge = stage.edge!;
    expect(edge.standInMonolith).toBe(true);
    expect(stage.clientEnvironment()).toMatchObject({ EDGE_URL: edge.url, EDGE_TOKEN_URL: edge.tokenUrl });
    const granted = await fetch(edge.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'merchant-int', client_secret: 'local-secret', scope: 'ledger/read' }).toString(),
    });
    expect(granted.status).toBe(200);
    const authorization = `Bearer ${(await granted.json() as { access_token: string }).access_token}`;
    const balances = await fetch(`${edge.url}accounts/merchant-int/balances`, { headers: { authorization } });
    expect({ status: balances.status, body: await balances.json() }).toEqual({ status: 200, body: { accountId: 'merchant-int', balances: [] } });
    const settlements = await fetch(`${edge.url}merchants/merchant-int/settlements?month=2026-11`, { headers: { authorization } });
    expect(await settlements.json()).toMatchObject({
      served_by: 'monolith', method: 'GET', path: '/merchants/merchant-int/settlements', query: { month: '2026-11' }, headers: { authorization },
    });
    expect(logged('edge').map(l => [l.routeKey, l.status, l.served_by])).toEqual([
      ['GET /accounts/{accountId}/balances', 200, 'ledger'], ['ANY /{proxy+}', 200, 'monolith'],
    ]);
  });

  test('the end-to-end suite passes; a broken handler makes it fail, and the fix is picked up without a restart', async () => {
    const passing = await runSuite(stage, 'payment flow', SUITE, {});
    expect(passing.output).toContain('5 passed, 0 failed');
    expect(passing.exitCode).toBe(0);

    const handler = path.join(COPY, 'ledger', 'src', 'post-transaction.ts');
    const original = fs.readFileSync(handler, 'utf8');
    try {
      fs.writeFileSync(handler, `${original}\nthrow new Error('deliberately broken');\n`);
      await waitFor('the reload', async () => (logged('reload').some(l => l.file.endsWith('post-transaction.ts')) ? true : undefined));
      const failing = await runSuite(stage, 'payment flow', SUITE, {});
      expect(failing.exitCode).toBe(1);
      expect(failing.output).toMatch(/FAIL a merchant creates a payment: status 50\d/);
    } finally {
      fs.writeFileSync(handler, original);
    }
    await new Promise(resolve => setTimeout(resolve, 500));
    const fixed = await runSuite(stage, 'payment flow', SUITE, {});
    expect(fixed.exitCode).toBe(0);
  }, 120_000);
});
