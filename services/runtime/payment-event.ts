import * as z from 'zod';
import { idSchema } from './ids';
import { amountMinorSchema, currencySchema } from './money';

/**
 * Payment lifecycle events, sent by payments to the notifications queue.
 * The consumer (notifications, an earlier wave) deploys first: add a type
 * here, ship the consumer, then the producer.
 */
export const PAYMENT_EVENT_TYPES = ['payment.created'] as const;

/**
 * The contract of a payment event message body. Unknown fields are
 * tolerated (and dropped), so the producer may add some before consumers use them.
 */
export const PaymentEventSchema = z.object({
  eventId: z.string().min(1).max(128),
  type: z.enum(PAYMENT_EVENT_TYPES),
  /** ISO 8601 UTC; with eventId, orders and deduplicates events. */
  occurredAt: z.iso.datetime(),
  payment: z.object({
    paymentId: z.string().regex(/^pay_[A-Za-z0-9-]{1,100}$/, { error: 'is not a payment id (pay_...)' }),
    merchantId: idSchema('merchant id'),
    payerAccountId: idSchema('account id'),
    amountMinor: amountMinorSchema,
    currency: currencySchema,
    description: z.string().max(500).optional(),
  }),
});

/** A payment event, as sent and as received. */
export type PaymentEvent = z.infer<typeof PaymentEventSchema>;
