import { defineContracts } from '../consumer-contracts';
import { ledgerTransaction } from './src/ledger-client';
import type { Payment } from './src/payment';
import { paymentCreatedEvent } from './src/payment-event';

/**
 * What payments sends to other services and what it relies on in their
 * answers. The requests and messages are built by the same code the handlers
 * run, so a change on either side that breaks the other fails the contract
 * tests (`npx projen contracts`), in this service's build and in the
 * providers' builds.
 */
const payment: Payment = {
  paymentId: 'pay_5b0f3c1e-8a57-4a52-9b1f-2f1f7c4f0a11',
  merchantId: 'merchant-1',
  payerAccountId: 'payer-1',
  amountMinor: 1234,
  currency: 'EUR',
  description: 'Order 42',
  status: 'booked',
  createdAt: '2026-12-01T10:00:00.000Z',
  receipt: { algorithm: 'HMAC-SHA256', signature: '0'.repeat(64) },
};

export default defineContracts({
  requests: [{
    provider: 'ledger',
    operation: 'POST /transactions',
    description: 'Books each payment: debit the payer, credit the merchant (src/ledger-client.ts)',
    request: { body: ledgerTransaction(payment) },
    responses: {
      // Booked (201), or already booked by an earlier try (200): nothing read.
      201: {},
      200: {},
      // Refusals: the ledger's message is the reason given to the merchant.
      400: { message: 'string' },
      409: { message: 'string' },
      422: { message: 'string' },
    },
  }],
  messages: [{
    provider: 'notifications',
    queue: 'payment-events',
    description: 'Announces each payment (src/payment-event.ts)',
    message: paymentCreatedEvent(payment),
  }],
});
