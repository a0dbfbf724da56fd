/**
 * POST /transactions: books a balanced transaction atomically (the record
 * and every balance change in one DynamoDB transaction). Replaying a
 * transaction id answers the stored transaction (200) when its entries are
 * the same, and 409 when they differ.
 *
 * Internal: only services (IAM) book transactions. A merchant reaching it
 * through the public edge is refused with 403 before anything is read.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { balanceDeltas, imbalances, NewTransactionSchema, sameEntries, Transaction } from './transaction';
import {
  callerOf,
  cancellationReasons,
  createDocumentClient,
  HttpError,
  httpHandler,
  instrumented,
  json,
  logger,
  metrics,
  parseJsonBody,
  requireEnv,
} from '../../runtime';

const transactionsTable = requireEnv('TABLE_TRANSACTIONS_NAME');
const balancesTable = requireEnv('TABLE_BALANCES_NAME');
const db = createDocumentClient();

/**
 * Attempts when DynamoDB cancels because another transaction touched the
 * same balance (TransactionConflict): busy merchant accounts are credited
 * by every payment, so conflicts are expected under load.
 */
const MAX_ATTEMPTS = 3;

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** Writes the transaction and its balance updates; false when the transaction id already exists. */
async function write(transaction: Transaction): Promise<boolean> {
  const now = transaction.createdAt;
  for (let attempt = 1; ; attempt++) {
    try {
      await db.send(new TransactWriteCommand({
        TransactItems: [
          // First, so its cancellation reason is reasons[0].
          { Put: { TableName: transactionsTable, Item: transaction, ConditionExpression: 'attribute_not_exists(transactionId)' } },
          ...balanceDeltas(transaction.entries).map(d => ({
            Update: {
              TableName: balancesTable,
              Key: { accountId: d.accountId, currency: d.currency },
              UpdateExpression: 'ADD balanceMinor :delta SET updatedAt = :now, lastTransactionId = :transactionId',
              ExpressionAttributeValues: { ':delta': d.deltaMinor, ':now': now, ':transactionId': transaction.transactionId },
            },
          })),
        ],
      }));
      return true;
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (!reasons) throw error;
      if (reasons[0] === 'ConditionalCheckFailed') return false;
      if (!reasons.includes('TransactionConflict')) throw error;
      if (attempt >= MAX_ATTEMPTS) {
        throw new HttpError(503, 'The accounts are being updated by other transactions; retry shortly');
      }
      logger.warn('transaction conflict, retrying', { attempt });
      await sleep(attempt * (20 + Math.random() * 30));
    }
  }
}

/** The Lambda entry point. */
export const handler = instrumented(httpHandler(async event => {
  if (callerOf(event).kind === 'merchant') {
    throw new HttpError(403, 'POST /transactions is internal: only services of the organization (IAM-signed requests) may book transactions');
  }
  const input = parseJsonBody(event, NewTransactionSchema);
  logger.appendKeys({ transactionId: input.transactionId });

  const unbalanced = imbalances(input.entries);
  if (unbalanced.length > 0) {
    const detail = unbalanced.map(i => `${i.currency} (debits ${i.debitsMinor}, credits ${i.creditsMinor})`).join('; ');
    throw new HttpError(422, `Debits and credits differ in ${detail}`, { imbalances: unbalanced });
  }

  const transaction: Transaction = { ...input, createdAt: new Date().toISOString() };
  if (await write(transaction)) {
    metrics.addMetric('TransactionPosted', MetricUnit.Count, 1);
    logger.info('transaction posted', { entries: transaction.entries.length });
    return json(201, transaction);
  }

  const stored = (await db.send(new GetCommand({
    TableName: transactionsTable,
    Key: { transactionId: input.transactionId },
    ConsistentRead: true,
  }))).Item as Transaction | undefined;
  if (stored && sameEntries(stored.entries, input.entries)) {
    metrics.addMetric('TransactionReplayed', MetricUnit.Count, 1);
    logger.info('transaction replayed');
    return json(200, stored);
  }
  throw new HttpError(409, `Transaction ${input.transactionId} already exists with different entries`);
}));
