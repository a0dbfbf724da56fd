import type { Payment } from './payment';
import { EnvironmentError, HttpError, logger, signedFetch } from '../../runtime';

/** Ledger answers that mean "this payment cannot be booked" rather than "the ledger is broken". */
const REFUSALS = new Set([400, 409, 422]);

/** The balanced ledger transaction of a payment: debit the payer, credit the merchant's account (named after the merchant). */
export function ledgerTransaction(payment: Payment) {
  const { paymentId, merchantId, payerAccountId, amountMinor, currency } = payment;
  return {
    transactionId: paymentId,
    description: `Payment ${paymentId} to merchant ${merchantId}`,
    entries: [
      { accountId: payerAccountId, direction: 'debit', amountMinor, currency },
      { accountId: merchantId, direction: 'credit', amountMinor, currency },
    ],
  };
}

async function reasonOf(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const message = (JSON.parse(text) as { message?: unknown }).message;
    if (typeof message === 'string') return message;
  } catch {
    // not JSON: fall through
  }
  return text.slice(0, 500) || response.statusText;
}

/**
 * Books a payment in the ledger (POST /transactions, SigV4-signed). The
 * transaction id is the payment id, so a retry is answered from the
 * ledger's record instead of booking twice.
 *
 * Throws 422 when the ledger refuses the transaction and 502 when it fails or
 * cannot be reached (the caller may retry with the same Idempotency-Key).
 */
export async function bookInLedger(ledgerApiUrl: string, payment: Payment): Promise<void> {
  let response: Response;
  try {
    response = await signedFetch(`${ledgerApiUrl.replace(/\/+$/, '')}/transactions`, { method: 'POST', json: ledgerTransaction(payment) });
  } catch (error) {
    if (error instanceof EnvironmentError) throw error;
    logger.error('ledger unreachable', error as Error);
    throw new HttpError(502, 'The ledger could not be reached; retry with the same Idempotency-Key');
  }
  if (response.ok) return;
  const reason = await reasonOf(response);
  if (REFUSALS.has(response.status)) {
    throw new HttpError(422, 'The ledger refused the payment', { reason });
  }
  // 401/403 (our permissions), 429 and 5xx are not the payer's doing.
  logger.error('ledger failed', { ledgerStatus: response.status, reason });
  throw new HttpError(502, 'The ledger failed to book the payment; retry with the same Idempotency-Key');
}
