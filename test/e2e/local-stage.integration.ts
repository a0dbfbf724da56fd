/**
 * The local stage (services/local) on moto server, with the shipped
 * services: what a caller sees (SigV4, request validation, routes), the
 * queue consumer's partial batch failures, a handler change picked up
 * without a restart, and the end-to-end suite failing on a broken handler.
 *
 * The stage runs a copy of services/ inside the repository (so the
 * handlers resolve node_modules): the tests edit handlers in the copy.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
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

  test('a poisoned message ends in the dead-letter queue after maxReceiveCount deliveries; the others of its batch are processed', async () => {
    const queue = stage.services.find(s => s.name === 'notifications')!.resources.queues['payment-events'];
    const sqs = new SQSClient({ endpoint: stage.emulator.url, region: stage.region, credentials: stage.credentials });
    try {
      const merchantId = `merchant-${Date.now()}`;
      const event = {
        eventId: `evt-${Date.now()}`,
        type: 'payment.created',
        occurredAt: new Date().toISOString(),
        payment: { paymentId: 'pay_local-1', merchantId, payerAccountId: 'payer-1', amountMinor: 500, currency: 'EUR' },
      };
      await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'not json at all' }));
      await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: JSON.stringify(event) }));
      const notifications = await waitFor('the notification', async () => {
        const { body } = await call(urlOf('notifications', `/merchants/${merchantId}/notifications`));
        return body.notifications.length ? body.notifications : undefined;
      });
      expect(notifications).toEqual([expect.objectContaining({ paymentId: 'pay_local-1' })]);
      // maxReceiveCount 5, a 2 s visibility timeout: in the dead-letter queue after about 10 s.
      const dead = await waitFor('the dead-letter queue', async () => {
        const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.deadLetterUrl, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['All'] }));
        return received.Messages?.length ? received.Messages : undefined;
      }, 40_000);
      expect(dead.map(m => m.Body)).toEqual(['not json at all']);
      expect(Number(dead[0].Attributes?.ApproximateReceiveCount)).toBeGreaterThanOrEqual(5);
      const batches = logged('batch');
      expect(batches.some(b => b.failed === 1 && b.messages >= 1)).toBe(true);
    } finally {
      sqs.destroy();
    }
  }, 60_000);

  test('a payment retried after a ledger timeout is created once and booked once (the stage delays the ledger)', async () => {
    const run = Date.now();
    const request = { merchantId: `m-${run}`, payerAccountId: `payer-${run}`, amountMinor: 700, currency: 'EUR' };
    const create = () => signedFetch(urlOf('payments', '/payments'), {
      method: 'POST',
      json: request,
      headers: { 'Idempotency-Key': `key-${run}` },
      region: stage.region,
      credentials: async () => stage.credentials,
      timeoutMs: 20_000,
    }).then(async r => ({ status: r.status, body: await r.json() as { paymentId?: string } }));
    const balance = async () => (await call(urlOf('ledger', `/accounts/${request.payerAccountId}/balances`))).body.balances
      .find((b: { currency: string }) => b.currency === 'EUR')?.balanceMinor as number | undefined;

    // payments gives up on the ledger after 5 s (signedFetch's timeout); the ledger books the transaction after 6.
    stage.delay('ledger', 'POST', '/transactions', 6_000);
    try {
      const first = await create();
      expect(first.status).toBe(502);
    } finally {
      stage.clearFaults();
    }
    expect(await waitFor('the late booking', async () => balance())).toBe(-700);
    const retry = await create();
    expect(retry.status).toBe(201);
    expect(retry.body.paymentId).toMatch(/^pay_/);
    expect((await create()).body.paymentId).toBe(retry.body.paymentId);
    expect(await balance()).toBe(-700);
  }, 60_000);

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
