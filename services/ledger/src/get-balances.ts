/** GET /accounts/{accountId}/balances: the account's balance in each currency it has used. */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { createDocumentClient, httpHandler, idSchema, instrumented, json, parsePathParameters, requireEnv } from '../../runtime';

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
  const { accountId } = parsePathParameters(event, ParametersSchema);
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
