/** GET /payments/{paymentId}: the payment, or 404 (also for another merchant's payment). */
import * as z from 'zod';
import { findPayment, PAYMENT_ID_PATTERN } from './payment';
import {
  assertOwnedByCaller,
  callerOf,
  createDocumentClient,
  HttpError,
  httpHandler,
  instrumented,
  json,
  parsePathParameters,
  requireEnv,
} from '../../runtime';

const paymentsTable = requireEnv('TABLE_PAYMENTS_NAME');
const db = createDocumentClient();

const ParametersSchema = z.object({
  paymentId: z.string().regex(PAYMENT_ID_PATTERN, { error: 'is not a payment id; allowed: pay_ followed by up to 100 letters, digits or hyphens' }),
});

/** The Lambda entry point. */
export const handler = instrumented(httpHandler(async event => {
  const caller = callerOf(event);
  const { paymentId } = parsePathParameters(event, ParametersSchema);
  // One answer for "no such payment" and "another merchant's": a merchant
  // must not learn which payment ids exist.
  const notFound = () => new HttpError(404, `Payment ${paymentId} not found`);
  const payment = await findPayment(db, paymentsTable, paymentId);
  if (!payment) throw notFound();
  assertOwnedByCaller(caller, payment.merchantId, notFound);
  return json(200, payment);
}));
