/**
 * The events payments announces on notifications' payment-events queue.
 * notifications owns the message schema (its queue's messageSchema); this
 * side builds what it sends, and ../contracts.ts declares it, so the
 * contract tests check every field sent against notifications' schema.
 */
import type { Payment } from './payment';
import { deterministicUuid } from '../../runtime';

/** `payment.created`, as payments sends it. */
export interface PaymentCreatedEvent {
  /** Derived from the payment: a resend carries the same id, so notifications recognises it. */
  readonly eventId: string;
  readonly type: 'payment.created';
  /** ISO 8601 UTC; with eventId, orders and deduplicates events. */
  readonly occurredAt: string;
  readonly payment: Pick<Payment, 'paymentId' | 'merchantId' | 'payerAccountId' | 'amountMinor' | 'currency' | 'description'>;
}

/** The `payment.created` event of a stored payment. */
export function paymentCreatedEvent(payment: Payment): PaymentCreatedEvent {
  const { paymentId, merchantId, payerAccountId, amountMinor, currency, description } = payment;
  return {
    eventId: `evt_${deterministicUuid('payment.created', paymentId)}`,
    type: 'payment.created',
    occurredAt: payment.createdAt,
    payment: { paymentId, merchantId, payerAccountId, amountMinor, currency, description },
  };
}
