/**
 * GET /merchants/{merchantId}/notifications?limit=n: the merchant's newest notifications first.
 *
 * A merchant (through the public edge) lists only its own: another merchant's
 * id answers 404, whether that merchant exists or not. A service (IAM) lists any.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { listed, StoredNotification } from './notification';
import {
  assertOwnedByCaller,
  callerOf,
  createDocumentClient,
  HttpError,
  httpHandler,
  idSchema,
  instrumented,
  json,
  parsePathParameters,
  parseQueryParameters,
  requireEnv,
} from '../../runtime';

const notificationsTable = requireEnv('TABLE_NOTIFICATIONS_NAME');
const db = createDocumentClient();

/** Notifications answered when `limit` is not given. */
export const DEFAULT_LIMIT = 20;
/** The most notifications one request may ask for. */
export const MAX_LIMIT = 100;

const ParametersSchema = z.object({ merchantId: idSchema('merchant id') });
const QuerySchema = z.object({
  limit: z.string()
    .regex(/^\d{1,3}$/, { error: `must be a whole number from 1 to ${MAX_LIMIT}` })
    .transform(Number)
    .pipe(z.int().min(1, { error: `must be a whole number from 1 to ${MAX_LIMIT}` }).max(MAX_LIMIT, { error: `must be a whole number from 1 to ${MAX_LIMIT}` }))
    .default(DEFAULT_LIMIT),
});

/** The Lambda entry point. */
export const handler = instrumented(httpHandler(async event => {
  const caller = callerOf(event);
  const { merchantId } = parsePathParameters(event, ParametersSchema);
  const { limit } = parseQueryParameters(event, QuerySchema);
  // Refused before reading: a merchant without notifications answers 200
  // (empty), so reading first would tell a merchant which merchants exist.
  assertOwnedByCaller(caller, merchantId, () => new HttpError(404, `Merchant ${merchantId} not found`));
  const page = await db.send(new QueryCommand({
    TableName: notificationsTable,
    KeyConditionExpression: 'merchantId = :merchantId',
    ExpressionAttributeValues: { ':merchantId': merchantId },
    // notificationId starts with the event time: descending is newest first.
    ScanIndexForward: false,
    Limit: limit,
  }));
  return json(200, { merchantId, notifications: listed((page.Items ?? []) as StoredNotification[], Date.now()) });
}));
