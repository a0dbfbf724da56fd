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
import { handler } from '../src/list-notifications';

const db = mockClient(DynamoDBDocumentClient);

const NOTIFICATION = {
  merchantId: 'merchant-1',
  notificationId: '2026-01-02T03:04:05.000Z#evt_1',
  eventId: 'evt_1',
  type: 'payment.created',
  paymentId: 'pay_1',
  amountMinor: 1234,
  currency: 'EUR',
  message: 'Payment pay_1 of 12.34 EUR received',
  createdAt: '2026-01-02T03:04:06.000Z',
};

/** Lists a merchant's notifications through the service's IAM API, or as `merchant` through the public edge. */
const list = (merchantId: string, queryStringParameters?: Record<string, string>, merchant?: TestMerchant) => handler(apiEvent({
  resource: '/merchants/{merchantId}/notifications',
  pathParameters: { merchantId },
  queryStringParameters,
  merchant,
}), lambdaContext());

beforeEach(() => {
  db.reset();
  db.on(QueryCommand).resolves({ Items: [NOTIFICATION] });
});

test('answers the merchant\'s newest 20 notifications by default, to a service (IAM)', async () => {
  const response = await list('merchant-1');
  expect(response.statusCode).toBe(200);
  expect(JSON.parse(response.body)).toEqual({ merchantId: 'merchant-1', notifications: [NOTIFICATION] });
  expect(db).toHaveReceivedCommandWith(QueryCommand, {
    TableName: ENV.TABLE_NOTIFICATIONS_NAME,
    KeyConditionExpression: 'merchantId = :merchantId',
    ExpressionAttributeValues: { ':merchantId': 'merchant-1' },
    ScanIndexForward: false,
    Limit: 20,
  });
});

test.each(['1', '100'])('honours limit=%s', async limit => {
  await list('merchant-1', { limit });
  expect(db).toHaveReceivedCommandWith(QueryCommand, { Limit: Number(limit) });
});

test('answers an empty list for a merchant without notifications (the smoke test)', async () => {
  db.on(QueryCommand).resolves({ Items: [] });
  const response = await list('smoke-test');
  expect(response.statusCode).toBe(200);
  expect(JSON.parse(response.body)).toEqual({ merchantId: 'smoke-test', notifications: [] });
});

test.each(['0', '101', '-1', '2.5', 'ten', ''])('refuses limit=%p with 400, without reading', async limit => {
  const response = await list('merchant-1', { limit });
  expect(response.statusCode).toBe(400);
  expect(JSON.parse(response.body)).toEqual({
    message: 'Invalid query parameters',
    errors: [{ path: 'limit', message: 'must be a whole number from 1 to 100' }],
  });
  expect(db.calls()).toHaveLength(0);
});

test('refuses a malformed merchant id with 400', async () => {
  const response = await list('merchant 1');
  expect(response.statusCode).toBe(400);
  expect(JSON.parse(response.body).errors).toEqual([
    { path: 'merchantId', message: 'is not a valid merchant id; allowed: 1-64 letters, digits, "_" or "-", starting with a letter or digit' },
  ]);
});

test('lists neither the expiry (not in the API) nor notifications expired but not yet deleted by the table\'s TTL', async () => {
  const now = Math.floor(Date.now() / 1000);
  db.on(QueryCommand).resolves({ Items: [{ ...NOTIFICATION, expiresAt: now + 3600 }, { ...NOTIFICATION, notificationId: 'old', expiresAt: now - 3600 }] });
  const response = await list('merchant-1');
  expect(JSON.parse(response.body)).toEqual({ merchantId: 'merchant-1', notifications: [NOTIFICATION] });
});

describe('a merchant (through the public edge)', () => {
  const merchant1 = { merchantId: 'merchant-1', scopes: ['notifications/read'] };

  test('lists its own notifications', async () => {
    const response = await list('merchant-1', { limit: '5' }, merchant1);
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ merchantId: 'merchant-1', notifications: [NOTIFICATION] });
    expect(db).toHaveReceivedCommandWith(QueryCommand, { ExpressionAttributeValues: { ':merchantId': 'merchant-1' }, Limit: 5 });
  });

  test.each(['merchant-2', 'Merchant-1', 'smoke-test'])('gets 404 for merchant %s, without reading: whether it exists cannot leak', async merchantId => {
    const response = await list(merchantId, undefined, merchant1);
    expect(response.statusCode).toBe(404);
    expect(JSON.parse(response.body)).toEqual({ message: `Merchant ${merchantId} not found` });
    expect(db.calls()).toHaveLength(0);
  });

  test('the pre-traffic smoke request (merchant smoke-test listing its own) gets the status the manifest expects, 200', async () => {
    db.on(QueryCommand).resolves({ Items: [] });
    const smoke = smokeTestFor(ServiceManifestSchema.parse(manifest).functions.listNotifications, 'dev');
    const response = await handler(smoke.event as APIGatewayProxyEvent, lambdaContext());
    expect(smoke.expectStatus).toEqual([200]);
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ merchantId: 'smoke-test', notifications: [] });
  });

  test('is refused with 403, without reading, when the edge passes no valid merchant id', async () => {
    const response = await list('merchant-1', undefined, { merchantId: '' });
    expect(response.statusCode).toBe(403);
    expect(JSON.parse(response.body)).toEqual({ message: 'Forbidden' });
    expect(db.calls()).toHaveLength(0);
  });
});
