/**
 * POST /payments: validate, book in the ledger, store, sign, announce.
 *
 * Idempotent per (merchantId, Idempotency-Key): the first answer is kept 24
 * hours and replayed; the same key with another body is refused (422). The
 * payment id is derived from the merchant and the key, so even a retry after
 * a partial failure (or after the record expired) reuses the ledger
 * transaction, the stored payment and the event id instead of booking twice.
 *
 * A merchant (through the public edge) creates payments only to itself: the
 * body's merchantId must be its access token's (403 otherwise). A service
 * (IAM) may create them for any merchant.
 */
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyInconsistentStateError,
  IdempotencyValidationError,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import * as z from 'zod';
import { flags } from './flags.generated';
import { bookInLedger } from './ledger-client';
import { insertPayment, NewPayment, newPaymentSchema, Payment, signReceipt } from './payment';
import { paymentCreatedEvent } from './payment-event';
import {
  callerOf,
  createDocumentClient,
  createDynamoDBClient,
  currencySchema,
  deterministicUuid,
  header,
  HttpError,
  httpHandler,
  instrumented,
  json,
  logger,
  metrics,
  ownedByCaller,
  parseJsonBody,
  requireEnv,
  tracer,
} from '../../runtime';

// Read at cold start: a missing variable fails the init, so the pre-traffic
// smoke test catches it before any traffic shifts.
const config = {
  paymentsTable: requireEnv('TABLE_PAYMENTS_NAME'),
  idempotencyTable: requireEnv('TABLE_IDEMPOTENCY_NAME'),
  signingKeyArn: requireEnv('SECRET_RECEIPT_SIGNING_KEY_ARN'),
  ledgerApiUrl: requireEnv('LEDGER_API_URL', z.url()),
  eventsQueueUrl: requireEnv('NOTIFICATIONS_QUEUE_PAYMENT_EVENTS_URL', z.url()),
  limits: {
    currencies: requireEnv('SUPPORTED_CURRENCIES', z.string().transform(s => s.split(',').map(c => c.trim())).pipe(z.array(currencySchema).min(1))),
    maxAmountMinor: requireEnv('MAX_PAYMENT_AMOUNT_MINOR', z.coerce.number().pipe(z.int().positive())),
  },
};

/** Currencies behind a feature flag: valid in a body, then accepted only for merchants the flag is on for. */
const FLAGGED_CURRENCIES: Readonly<Record<string, typeof flags.acceptJpy>> = { JPY: flags.acceptJpy };

const bodySchema = newPaymentSchema({ ...config.limits, flaggedCurrencies: Object.keys(FLAGGED_CURRENCIES) });
const dynamodb = createDynamoDBClient();
const db = createDocumentClient(dynamodb);
const sqs = tracer.captureAWSv3Client(new SQSClient({}));

/** Idempotency keys as clients send them: printable ASCII, at most 255 characters. */
const IdempotencyKeySchema = z.string().regex(/^[\x21-\x7E]{1,255}$/, {
  error: 'must be 1-255 printable ASCII characters without spaces (a UUID is a good choice)',
});

/** What is made idempotent: the key scoped to the merchant, and the body it must match. */
interface PaymentRequest {
  readonly merchantId: string;
  readonly idempotencyKey: string;
  readonly payment: NewPayment;
}

const idempotencyConfig = new IdempotencyConfig({
  // Scoped per merchant: two merchants may pick the same key.
  eventKeyJmesPath: '[merchantId, idempotencyKey]',
  // The same key with a different body is an error, not a replay.
  payloadValidationJmesPath: 'payment',
  expiresAfterSeconds: 24 * 60 * 60,
  throwOnNoIdempotencyKey: true,
});

/** The receipt signing key; cached five minutes, so rotation takes effect within that. */
async function signingKey(): Promise<string | Uint8Array> {
  const key = await getSecret(config.signingKeyArn, { maxAge: 300 });
  if (key === undefined || key.length === 0) {
    throw new Error(`secret ${config.signingKeyArn} has no value to sign receipts with`);
  }
  return key;
}

/** Sends `payment.created`; the event id is derived from the payment, so a resend is recognised downstream. */
async function announce(payment: Payment): Promise<void> {
  const event = paymentCreatedEvent(payment);
  await sqs.send(new SendMessageCommand({
    QueueUrl: config.eventsQueueUrl,
    MessageBody: JSON.stringify(event),
    MessageAttributes: { type: { DataType: 'String', StringValue: event.type } },
  }));
}

async function createPayment(request: PaymentRequest): Promise<Payment> {
  const paymentId = `pay_${deterministicUuid('payment', request.merchantId, request.idempotencyKey)}`;
  logger.appendKeys({ paymentId });
  // The key first: without it nothing may be booked.
  const key = await signingKey();
  const unsigned = { paymentId, ...request.payment, status: 'booked' as const, createdAt: new Date().toISOString() };
  const payment: Payment = { ...unsigned, receipt: signReceipt(unsigned, key) };

  await bookInLedger(config.ledgerApiUrl, payment);
  const stored = await insertPayment(db, config.paymentsTable, payment);
  await announce(stored);

  metrics.addMetric('PaymentCreated', MetricUnit.Count, 1);
  logger.info('payment created', { amountMinor: stored.amountMinor, currency: stored.currency });
  return stored;
}

const createPaymentOnce = makeIdempotent(createPayment, {
  persistenceStore: new DynamoDBPersistenceLayer({ tableName: config.idempotencyTable, awsSdkV3Client: dynamodb }),
  config: idempotencyConfig,
  // Stable across function renames and versions (the default includes the function name).
  keyPrefix: 'payments.createPayment',
});

/** Maps what the idempotency layer refuses to responses. */
function idempotencyRefusal(error: unknown): HttpError | undefined {
  if (error instanceof IdempotencyValidationError) {
    return new HttpError(422, 'This Idempotency-Key was already used with a different request body');
  }
  if (error instanceof IdempotencyAlreadyInProgressError || error instanceof IdempotencyInconsistentStateError) {
    return new HttpError(409, 'A request with this Idempotency-Key is still in progress; retry later');
  }
  return undefined;
}

/** The Lambda entry point. */
export const handler = instrumented(httpHandler(async (event, context) => {
  const caller = callerOf(event);
  const idempotencyKey = header(event, 'Idempotency-Key');
  if (idempotencyKey === undefined) {
    throw new HttpError(400, 'Missing Idempotency-Key header', {
      errors: [{ path: 'headers.Idempotency-Key', message: 'is required: a unique key per payment, reused on retries' }],
    });
  }
  const keyCheck = IdempotencyKeySchema.safeParse(idempotencyKey);
  if (!keyCheck.success) {
    throw new HttpError(400, 'Invalid Idempotency-Key header', {
      errors: keyCheck.error.issues.map(i => ({ path: 'headers.Idempotency-Key', message: i.message })),
    });
  }
  // Validation first: the smoke request (an empty body, as merchant
  // smoke-test on the edge) must be answered 400.
  const payment = parseJsonBody(event, bodySchema);
  // The token wins: a merchant never books a payment to another merchant.
  if (!ownedByCaller(caller, payment.merchantId)) {
    throw new HttpError(403, `merchantId "${payment.merchantId}" is not the merchant of the access token; a merchant may create payments only to itself`);
  }
  // Verified: the token's merchant for a merchant, the body's for a service.
  const merchantId = caller.kind === 'merchant' ? caller.merchantId : payment.merchantId;
  logger.appendKeys({ merchantId });
  // Off for this merchant: the currency is refused exactly as an unsupported one is.
  const flag = Object.hasOwn(FLAGGED_CURRENCIES, payment.currency) ? FLAGGED_CURRENCIES[payment.currency] : undefined;
  if (flag && !(await flag.for(merchantId))) {
    throw new HttpError(400, 'Invalid request body', {
      errors: [{ path: 'currency', message: `is not supported; allowed: ${config.limits.currencies.join(', ')}` }],
    });
  }

  idempotencyConfig.registerLambdaContext(context);
  try {
    return json(201, await createPaymentOnce({ merchantId, idempotencyKey, payment }));
  } catch (error) {
    throw idempotencyRefusal(error) ?? error;
  }
}));
