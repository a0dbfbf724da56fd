import * as z from 'zod';
import { amountMinorSchema, currencySchema, idSchema } from '../../runtime';

/**
 * Payment lifecycle events, the messages the payment-events queue accepts
 * (declared as its messageSchema in ../service.ts). This service owns the
 * schema; senders build their messages themselves and declare them in their
 * contracts.ts, which the contract tests check against this schema. To add a
 * type: add it here, ship this service (an earlier wave), then the sender.
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
