// Imported first by the handler tests: handler modules read their
// configuration when they load.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTestEnvironment } from '../../runtime/testing';

/**
 * The feature flags the handlers read (as the local stage serves them, from
 * a file): acceptJpy off, but on for merchant-1 (an allow-list).
 */
export const FLAGS_FILE = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'payments-flags-')), 'flags.json');
fs.writeFileSync(FLAGS_FILE, JSON.stringify({ acceptJpy: { enabled: false, merchants: ['merchant-1'], percent: 0, targetValue: 'true' } }));

/** The variables the framework would set for the payments functions. */
export const ENV = {
  TABLE_PAYMENTS_NAME: 'payments-table',
  TABLE_IDEMPOTENCY_NAME: 'idempotency-table',
  SECRET_RECEIPT_SIGNING_KEY_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:receipt-signing-key-AbCdEf',
  LEDGER_API_URL: 'https://ledger123.execute-api.eu-west-1.amazonaws.com/test',
  NOTIFICATIONS_QUEUE_PAYMENT_EVENTS_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/notifications-payment-events',
  SUPPORTED_CURRENCIES: 'EUR,GBP,USD',
  MAX_PAYMENT_AMOUNT_MINOR: '5000000',
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'test-secret-access-key',
  AWS_SESSION_TOKEN: 'test-session-token',
} as const;

setTestEnvironment({ ...ENV, POWERTOOLS_SERVICE_NAME: 'payments', FEATURE_FLAGS_FILE: FLAGS_FILE });
