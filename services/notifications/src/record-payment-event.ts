/**
 * Consumes payment-events: one notification per event. Redelivered events
 * are ignored (conditional put). A malformed message is reported as a batch
 * item failure, alone: SQS redelivers it until maxReceiveCount, then moves it
 * to the dead-letter queue, while the rest of the batch is done.
 *
 * Each notification carries `expiresAt` (the table's TTL attribute): the
 * time it is recorded plus NOTIFICATION_RETENTION_DAYS (the manifest's).
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { notificationFor, RetentionDaysSchema } from './notification';
import { PaymentEvent, PaymentEventSchema } from './payment-event';
import {
  createDocumentClient,
  fieldErrors,
  instrumented,
  isConditionalCheckFailed,
  logger,
  metrics,
  requireEnv,
} from '../../runtime';

const notificationsTable = requireEnv('TABLE_NOTIFICATIONS_NAME');
// Read at cold start: a missing or malformed retention fails the init, so
// the pre-traffic smoke test stops the deployment before any traffic shifts.
const retentionDays = requireEnv('NOTIFICATION_RETENTION_DAYS', RetentionDaysSchema);
const db = createDocumentClient();
const processor = new BatchProcessor(EventType.SQS, { logger });

/** A message that can never be processed: retrying will not help. */
class MalformedEventError extends Error {
  public readonly name = 'MalformedEventError';
}

function parseEvent(record: SQSRecord): PaymentEvent {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch {
    throw new MalformedEventError(`message ${record.messageId} is not JSON`);
  }
  const parsed = PaymentEventSchema.safeParse(body);
  if (!parsed.success) {
    // The issues, never the body: it carries account ids.
    logger.error('malformed payment event', { messageId: record.messageId, errors: fieldErrors(parsed.error) });
    throw new MalformedEventError(`message ${record.messageId} is not a payment event`);
  }
  return parsed.data;
}

async function recordEvent(record: SQSRecord): Promise<void> {
  const notification = notificationFor(parseEvent(record), new Date(), retentionDays);
  const fields = { messageId: record.messageId, eventId: notification.eventId, merchantId: notification.merchantId };
  try {
    await db.send(new PutCommand({
      TableName: notificationsTable,
      Item: notification,
      ConditionExpression: 'attribute_not_exists(notificationId)',
    }));
  } catch (error) {
    if (!isConditionalCheckFailed(error)) throw error;
    metrics.addMetric('DuplicateEventIgnored', MetricUnit.Count, 1);
    logger.info('duplicate event ignored', fields);
    return;
  }
  metrics.addMetric('NotificationRecorded', MetricUnit.Count, 1);
  logger.info('notification recorded', fields);
}

/** The Lambda entry point. */
export const handler = instrumented(async (event: SQSEvent, context): Promise<SQSBatchResponse> => {
  const response = await processPartialResponse(event, recordEvent, processor, {
    context,
    // A batch of only bad messages is still a partial answer, not a function
    // error: errors would fail the deployment alarms, and SQS retries them anyway.
    throwOnFullBatchFailure: false,
  });
  if (response.batchItemFailures.length > 0) {
    metrics.addMetric('EventsFailed', MetricUnit.Count, response.batchItemFailures.length);
  }
  return response;
});
