/**
 * End-to-end suite (pipeline, pre-production environments): a payment goes
 * through payments, ledger and notifications as a merchant would see it.
 * Needs PAYMENTS_API_URL, LEDGER_API_URL, NOTIFICATIONS_API_URL.
 */
import { randomUUID } from 'node:crypto';
import { call, env, runChecks, urlOf } from './http';

const payments = env('PAYMENTS_API_URL');
const ledger = env('LEDGER_API_URL');
const notifications = env('NOTIFICATIONS_API_URL');

const run = randomUUID().slice(0, 8);
const merchantId = `e2e-merchant-${run}`;
const payerAccountId = `e2e-payer-${run}`;
const idempotencyKey = randomUUID();
const request = { merchantId, payerAccountId, amountMinor: 1234, currency: 'EUR', description: `e2e ${run}` };
let paymentId = '';

/** Later checks need the payment of the first: without it they fail at once (not after a minute of polling). */
function requirePayment(): string {
  if (!paymentId) throw new Error('no payment was created (see the first check)');
  return paymentId;
}

function expectStatus(actual: number, expected: number, body: unknown): void {
  if (actual !== expected) throw new Error(`status ${actual}, expected ${expected}: ${JSON.stringify(body)}`);
}

void runChecks([
  ['a merchant creates a payment', async () => {
    const { status, body } = await call(urlOf(payments, '/payments'), { method: 'POST', json: request, headers: { 'Idempotency-Key': idempotencyKey } });
    expectStatus(status, 201, body);
    paymentId = (body as { paymentId: string }).paymentId;
  }],
  ['retrying with the same Idempotency-Key returns the same payment', async () => {
    requirePayment();
    const { status, body } = await call(urlOf(payments, '/payments'), { method: 'POST', json: request, headers: { 'Idempotency-Key': idempotencyKey } });
    if (status >= 300 || (body as { paymentId?: string }).paymentId !== paymentId) {
      throw new Error(`status ${status}, body ${JSON.stringify(body)}; expected payment ${paymentId} again`);
    }
  }],
  ['the payment can be read back', async () => {
    requirePayment();
    const { status, body } = await call(urlOf(payments, `/payments/${encodeURIComponent(paymentId)}`));
    expectStatus(status, 200, body);
  }],
  ['the ledger debited the payer exactly once', async () => {
    const { status, body } = await call(urlOf(ledger, `/accounts/${encodeURIComponent(payerAccountId)}/balances`));
    expectStatus(status, 200, body);
    const eur = (body as { balances: Array<{ currency: string; balanceMinor: number }> }).balances.find(b => b.currency === 'EUR');
    if (eur?.balanceMinor !== -1234) throw new Error(`EUR balance ${eur?.balanceMinor}, expected -1234`);
  }],
  ['the merchant is notified (within a minute)', async () => {
    requirePayment();
    for (let attempt = 0; attempt < 20; attempt++) {
      const { status, body } = await call(urlOf(notifications, `/merchants/${encodeURIComponent(merchantId)}/notifications`));
      expectStatus(status, 200, body);
      if ((body as { notifications: Array<{ paymentId?: string }> }).notifications.some(n => n.paymentId === paymentId)) return;
      await new Promise(resolve => setTimeout(resolve, 3000));
    }
    throw new Error(`no notification for ${paymentId} after 60 s`);
  }],
]);
