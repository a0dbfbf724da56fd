/**
 * GET /accounts/{accountId}/balances: the account's balance in each currency it has used.
 *
 * A merchant's account is named after the merchant (payments credits account
 * `merchantId`), so a merchant (through the public edge) reads only the
 * account of its own id; any other answers 404, whether it exists or not. A
 * service (IAM) reads any account.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
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
  requireEnv,
} from '../../runtime';

const balancesTable = requireEnv('TABLE_BALANCES_NAME');
const db = createDocumentClient();

const ParametersSchema = z.object({ accountId: idSchema('account id') });

/** One currency's balance. */
export interface Balance {
  readonly currency: string;
  /** Credits minus debits, in minor units. */
  readonly balanceMinor: number;
}

/** The Lambda entry point. */
export const handler = instrumented(httpHandler(async event => {
  const caller = callerOf(event);
  const { accountId } = parsePathParameters(event, ParametersSchema);
  // Refused before reading: an account that never moved money answers 200
  // (empty), so reading first would tell a merchant which accounts exist.
  assertOwnedByCaller(caller, accountId, () => new HttpError(404, `Account ${accountId} not found`));
  const balances: Balance[] = [];
  let exclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await db.send(new QueryCommand({
      TableName: balancesTable,
      KeyConditionExpression: 'accountId = :accountId',
      ExpressionAttributeValues: { ':accountId': accountId },
      // Right after a posting, callers expect to see it.
      ConsistentRead: true,
      ExclusiveStartKey: exclusiveStartKey,
    }));
    for (const item of page.Items ?? []) {
      balances.push({ currency: String(item.currency), balanceMinor: Number(item.balanceMinor) });
    }
    exclusiveStartKey = page.LastEvaluatedKey;
  } while (exclusiveStartKey);
  // The sort key is the currency: already in currency order.
  return json(200, { accountId, balances });
}));
