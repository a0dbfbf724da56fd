/**
 * Journeys that need a service to misbehave (local stage): the stage's
 * control endpoint (LOCAL_STAGE_CONTROL_URL) makes the ledger slow or
 * refusing, and the emulator's queues (AWS_ENDPOINT_URL) take a poisoned
 * message. A deployed stage cannot be told to fail: without the control
 * endpoint the suite says so and checks nothing.
 * Needs PAYMENTS_API_URL, LEDGER_API_URL, NOTIFICATIONS_API_URL,
 * NOTIFICATIONS_QUEUE_PAYMENT_EVENTS_URL and its _DLQ_URL.
 */
import { randomUUID } from 'node:crypto';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { call, env, runChecks, urlOf } from './http';

const control = process.env.LOCAL_STAGE_CONTROL_URL;

/** Sets a fault on a route of the stage (see services/local/faults.ts). */
async function fault(body: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${control}/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (response.status !== 201) throw new Error(`the stage refused the fault: ${response.status} ${await response.text()}`);
}

async function clearFaults(): Promise<void> {
  await fetch(`${control}/faults`, { method: 'DELETE' });
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`no ${what} after ${timeoutMs / 1000} s`);
    await new Promise(resolve => setTimeout(resolve, 500));
  }
}

function expectStatus(actual: number, expected: number, body: unknown): void {
  if (actual !== expected) throw new Error(`status ${actual}, expected ${expected}: ${JSON.stringify(body)}`);
}

/** A merchant's payment request with fresh ids, and how to send it. */
function newPayment(payments: string) {
  const run = randomUUID().slice(0, 8);
  const request = { merchantId: `journey-merchant-${run}`, payerAccountId: `journey-payer-${run}`, amountMinor: 700, currency: 'EUR', description: `journey ${run}` };
  const key = randomUUID();
  const create = () => call(urlOf(payments, '/payments'), { method: 'POST', json: request, headers: { 'Idempotency-Key': key }, timeoutMs: 30_000 });
  return { request, create };
}

async function eurBalance(ledger: string, accountId: string): Promise<number | undefined> {
  const { status, body } = await call(urlOf(ledger, `/accounts/${encodeURIComponent(accountId)}/balances`));
  expectStatus(status, 200, body);
  return (body as { balances: Array<{ currency: string; balanceMinor: number }> }).balances.find(b => b.currency === 'EUR')?.balanceMinor;
}

async function notificationsOf(notifications: string, merchantId: string): Promise<Array<{ paymentId?: string }>> {
  const { status, body } = await call(urlOf(notifications, `/merchants/${encodeURIComponent(merchantId)}/notifications`));
  expectStatus(status, 200, body);
  return (body as { notifications: Array<{ paymentId?: string }> }).notifications;
}

if (!control) {
  console.log('skipped: these journeys make services misbehave, which only the local stage can (LOCAL_STAGE_CONTROL_URL is not set)');
} else {
  const payments = env('PAYMENTS_API_URL');
  const ledger = env('LEDGER_API_URL');
  const notifications = env('NOTIFICATIONS_API_URL');
  void runChecks([
    ['a payment retried after a ledger timeout is created once and booked once', async () => {
      const { request, create } = newPayment(payments);
      // payments gives up on the ledger after 5 s; the ledger books the transaction after 6.
      await fault({ service: 'ledger', method: 'POST', path: '/transactions', delayMs: 6_000, times: 1 });
      try {
        const first = await create();
        expectStatus(first.status, 502, first.body);
      } finally {
        await clearFaults();
      }
      await eventually('late booking in the ledger', () => eurBalance(ledger, request.payerAccountId), 15_000);
      const retry = await create();
      expectStatus(retry.status, 201, retry.body);
      const again = await create();
      if ((again.body as { paymentId?: string }).paymentId !== (retry.body as { paymentId?: string }).paymentId) {
        throw new Error(`a second retry gave another payment: ${JSON.stringify(again.body)}`);
      }
      const balance = await eurBalance(ledger, request.payerAccountId);
      if (balance !== -700) throw new Error(`EUR balance ${balance}, expected -700 (booked once)`);
    }],
    ['a payment the ledger refuses is answered 422 with the ledger\'s reason, and nothing is booked or announced', async () => {
      const { request, create } = newPayment(payments);
      await fault({ service: 'ledger', method: 'POST', path: '/transactions', respond: { status: 422, body: { message: 'account journey closed' } }, times: 1 });
      try {
        const refused = await create();
        expectStatus(refused.status, 422, refused.body);
        if (!JSON.stringify(refused.body).includes('account journey closed')) throw new Error(`the ledger's reason is missing: ${JSON.stringify(refused.body)}`);
      } finally {
        await clearFaults();
      }
      const balance = await eurBalance(ledger, request.payerAccountId);
      if (balance !== undefined) throw new Error(`EUR balance ${balance}, expected none`);
      await new Promise(resolve => setTimeout(resolve, 3_000));
      const sent = await notificationsOf(notifications, request.merchantId);
      if (sent.length) throw new Error(`the merchant was notified: ${JSON.stringify(sent)}`);
    }],
    ['a poisoned message lands in the dead-letter queue while the rest of its batch is processed', async () => {
      const queueUrl = env('NOTIFICATIONS_QUEUE_PAYMENT_EVENTS_URL');
      const deadLetterUrl = env('NOTIFICATIONS_QUEUE_PAYMENT_EVENTS_DLQ_URL');
      const sqs = new SQSClient({});
      try {
        const run = randomUUID().slice(0, 8);
        const merchantId = `journey-merchant-${run}`;
        const poison = `not a payment event ${run}`;
        const event = {
          eventId: `evt-${run}`,
          type: 'payment.created',
          occurredAt: new Date().toISOString(),
          payment: { paymentId: `pay_journey-${run}`, merchantId, payerAccountId: `journey-payer-${run}`, amountMinor: 500, currency: 'EUR' },
        };
        await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: poison }));
        await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(event) }));
        await eventually('notification of the good message', async () => {
          const sent = await notificationsOf(notifications, merchantId);
          return sent.some(n => n.paymentId === event.payment.paymentId) ? true : undefined;
        }, 20_000);
        // After maxReceiveCount failed deliveries (5, a 2 s visibility timeout locally).
        await eventually('poisoned message in the dead-letter queue', async () => {
          const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: deadLetterUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
          return received.Messages?.some(m => m.Body === poison) ? true : undefined;
        }, 45_000);
      } finally {
        sqs.destroy();
      }
    }],
  ]);
}
