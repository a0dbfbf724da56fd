import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
// First of our modules: sets the environment the handler reads when it loads.
import { ENV } from './environment';
import { apiEvent, lambdaContext, TestMerchant } from '../../runtime/testing';
import { ServiceManifestSchema } from '../../service-model';
import { smokeTestFor } from '../../smoke-test';
import manifest from '../service';
import { handler } from '../src/get-balances';

const db = mockClient(DynamoDBDocumentClient);

/** GETs an account's balances through the service's IAM API, or as `merchant` through the public edge. */
const get = (accountId: string, merchant?: TestMerchant) =>
  handler(apiEvent({ resource: '/accounts/{accountId}/balances', pathParameters: { accountId }, merchant }), lambdaContext());

beforeEach(() => {
  db.reset();
});

test('answers every currency of the account, reading all pages consistently, to a service (IAM)', async () => {
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

describe('a merchant (through the public edge)', () => {
  const merchant1 = { merchantId: 'merchant-1', scopes: ['ledger/read'] };

  test('reads the balances of its own account (named after the merchant)', async () => {
    db.on(QueryCommand).resolves({ Items: [{ accountId: 'merchant-1', currency: 'EUR', balanceMinor: 1234 }] });
    const response = await get('merchant-1', merchant1);
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ accountId: 'merchant-1', balances: [{ currency: 'EUR', balanceMinor: 1234 }] });
  });

  test.each(['merchant-2', 'payer-1', 'Merchant-1'])('gets 404 for account %s, without reading: whether it exists cannot leak', async accountId => {
    const response = await get(accountId, merchant1);
    expect(response.statusCode).toBe(404);
    expect(JSON.parse(response.body)).toEqual({ message: `Account ${accountId} not found` });
    expect(db.calls()).toHaveLength(0);
  });

  test('the pre-traffic smoke request (merchant smoke-test reading account smoke-test) gets the status the manifest expects, 200', async () => {
    db.on(QueryCommand).resolves({ Items: [] });
    const smoke = smokeTestFor(ServiceManifestSchema.parse(manifest).functions.getBalances, 'dev');
    const response = await handler(smoke.event as APIGatewayProxyEvent, lambdaContext());
    expect(smoke.expectStatus).toEqual([200]);
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ accountId: 'smoke-test', balances: [] });
  });

  test('is refused with 403, without reading, when the edge passes no valid merchant id', async () => {
    const response = await get('merchant-1', { merchantId: '' });
    expect(response.statusCode).toBe(403);
    expect(JSON.parse(response.body)).toEqual({ message: 'Forbidden' });
    expect(db.calls()).toHaveLength(0);
  });
});
