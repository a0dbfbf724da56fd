import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
// First of our modules: sets the environment the handler reads when it loads.
import { ENV } from './environment';
import { apiEvent, lambdaContext } from '../../runtime/testing';
import { handler } from '../src/get-balances';

const db = mockClient(DynamoDBDocumentClient);

const get = (accountId: string) =>
  handler(apiEvent({ resource: '/accounts/{accountId}/balances', pathParameters: { accountId } }), lambdaContext());

beforeEach(() => {
  db.reset();
});

test('answers every currency of the account, reading all pages consistently', async () => {
  db.on(QueryCommand)
    .resolvesOnce({
      Items: [{ accountId: 'merchant-1', currency: 'EUR', balanceMinor: 1234, updatedAt: '2026-01-02T03:04:05.678Z' }],
      LastEvaluatedKey: { accountId: 'merchant-1', currency: 'EUR' },
    })
    .resolvesOnce({ Items: [{ accountId: 'merchant-1', currency: 'GBP', balanceMinor: -50 }] });

  const response = await get('merchant-1');
  expect(response.statusCode).toBe(200);
  expect(JSON.parse(response.body)).toEqual({
    accountId: 'merchant-1',
    balances: [{ currency: 'EUR', balanceMinor: 1234 }, { currency: 'GBP', balanceMinor: -50 }],
  });
  expect(db).toHaveReceivedCommandTimes(QueryCommand, 2);
  expect(db).toHaveReceivedNthSpecificCommandWith(1, QueryCommand, {
    TableName: ENV.TABLE_BALANCES_NAME,
    KeyConditionExpression: 'accountId = :accountId',
    ExpressionAttributeValues: { ':accountId': 'merchant-1' },
    ConsistentRead: true,
  });
  expect(db).toHaveReceivedNthSpecificCommandWith(2, QueryCommand, { ExclusiveStartKey: { accountId: 'merchant-1', currency: 'EUR' } });
});

test('answers an empty list for an account that never moved money (the smoke test)', async () => {
  db.on(QueryCommand).resolves({ Items: [] });
  const response = await get('smoke-test');
  expect(response.statusCode).toBe(200);
  expect(JSON.parse(response.body)).toEqual({ accountId: 'smoke-test', balances: [] });
});

test('refuses a malformed account id with 400, without reading', async () => {
  const response = await get('a/b');
  expect(response.statusCode).toBe(400);
  expect(JSON.parse(response.body)).toEqual({
    message: 'Invalid path parameters',
    errors: [{ path: 'accountId', message: 'is not a valid account id; allowed: 1-64 letters, digits, "_" or "-", starting with a letter or digit' }],
  });
  expect(db.calls()).toHaveLength(0);
});
