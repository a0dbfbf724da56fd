import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tracer } from './observability';

/** A DynamoDB client traced by X-Ray; share one per function. */
export function createDynamoDBClient(): DynamoDBClient {
  return tracer.captureAWSv3Client(new DynamoDBClient({}));
}

/** A document client (plain JavaScript values) over `client`; undefined attributes are left out. */
export function createDocumentClient(client: DynamoDBClient = createDynamoDBClient()): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

/** Whether a PutItem/UpdateItem/DeleteItem failed only because its condition did not hold. */
export function isConditionalCheckFailed(error: unknown): boolean {
  return errorName(error) === 'ConditionalCheckFailedException';
}

/**
 * The cancellation reason codes of a failed TransactWriteItems, one per
 * item in request order (`None` for items that were fine), or undefined when
 * `error` is not a cancelled transaction.
 */
export function cancellationReasons(error: unknown): string[] | undefined {
  if (errorName(error) !== 'TransactionCanceledException') return undefined;
  const reasons = (error as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons ?? [];
  return reasons.map(r => r.Code ?? 'None');
}
