/**
 * The payment model of the payments service: what a request may contain,
 * what is stored and answered, the receipt signature, and the table access.
 */
import { createHmac } from 'node:crypto';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { amountMinorSchema, currencySchema, HttpError, idSchema, isConditionalCheckFailed } from '../../runtime';

/** Payment ids: `pay_` and a UUID (any `pay_` id up to 100 characters is accepted on reads). */
export const PAYMENT_ID_PATTERN = /^pay_[A-Za-z0-9-]{1,100}$/;

/** The limits of this environment, from the manifest's variables. */
export interface PaymentLimits {
  /** SUPPORTED_CURRENCIES. */
  readonly currencies: readonly string[];
  /** Currencies behind a feature flag: valid here, accepted only where the flag is on (checked by the handler), never listed as allowed. */
  readonly flaggedCurrencies?: readonly string[];
  /** MAX_PAYMENT_AMOUNT_MINOR. */
  readonly maxAmountMinor: number;
}

/** Schema of the body of POST /payments under the given limits. */
export function newPaymentSchema(limits: PaymentLimits) {
  return z.strictObject({
    merchantId: idSchema('merchant id'),
    amountMinor: amountMinorSchema.max(limits.maxAmountMinor, {
      error: `must be at most ${limits.maxAmountMinor} (MAX_PAYMENT_AMOUNT_MINOR)`,
    }),
    currency: currencySchema.refine(c => limits.currencies.includes(c) || (limits.flaggedCurrencies ?? []).includes(c), {
      error: `is not supported; allowed: ${limits.currencies.join(', ')}`,
    }),
    payerAccountId: idSchema('account id'),
    description: z.string().min(1).max(500).optional(),
  }).refine(p => p.payerAccountId !== p.merchantId, {
    path: ['payerAccountId'],
    error: 'must differ from merchantId: a payment moves money from the payer to the merchant',
  });
}

/** A validated POST /payments body. */
export type NewPayment = z.output<ReturnType<typeof newPaymentSchema>>;

/** The signature a merchant can check a payment against. */
export interface Receipt {
  readonly algorithm: 'HMAC-SHA256';
  /** Hex HMAC-SHA256 of {@link receiptPayload}. */
  readonly signature: string;
}

/** A payment as stored and answered. */
export interface Payment extends NewPayment {
  readonly paymentId: string;
  /** Booked in the ledger (the transaction id is the payment id). */
  readonly status: 'booked';
  /** ISO 8601 UTC. */
  readonly createdAt: string;
  readonly receipt: Receipt;
}

/**
 * What a receipt signs: the fields that matter, one per line, in a fixed
 * order (documented in api.yaml so merchants can verify).
 */
export function receiptPayload(p: Omit<Payment, 'receipt'>): string {
  return ['payment-receipt/v1', p.paymentId, p.merchantId, p.payerAccountId, String(p.amountMinor), p.currency, p.createdAt].join('\n');
}

/** Signs a payment's receipt with the HMAC key. */
export function signReceipt(p: Omit<Payment, 'receipt'>, key: string | Uint8Array): Receipt {
  return { algorithm: 'HMAC-SHA256', signature: createHmac('sha256', key).update(receiptPayload(p)).digest('hex') };
}

/** Reads a payment (strongly consistent: a client may read right after creating). */
export async function findPayment(db: DynamoDBDocumentClient, table: string, paymentId: string): Promise<Payment | undefined> {
  const result = await db.send(new GetCommand({ TableName: table, Key: { paymentId }, ConsistentRead: true }));
  return result.Item as Payment | undefined;
}

/** Whether two payments are the same request (ids, amounts and parties). */
function sameRequest(a: Payment, b: Payment): boolean {
  return a.merchantId === b.merchantId && a.payerAccountId === b.payerAccountId && a.amountMinor === b.amountMinor
    && a.currency === b.currency && a.description === b.description;
}

/**
 * Stores a new payment, never overwriting one. When the id is taken (a retry
 * of a request whose first attempt stored it), answers the stored payment if
 * it is the same request, else 409.
 */
export async function insertPayment(db: DynamoDBDocumentClient, table: string, payment: Payment): Promise<Payment> {
  try {
    await db.send(new PutCommand({
      TableName: table,
      Item: payment,
      ConditionExpression: 'attribute_not_exists(paymentId)',
    }));
    return payment;
  } catch (error) {
    if (!isConditionalCheckFailed(error)) throw error;
  }
  const stored = await findPayment(db, table, payment.paymentId);
  if (stored && sameRequest(stored, payment)) return stored;
  throw new HttpError(409, `Payment ${payment.paymentId} already exists with different details`);
}
