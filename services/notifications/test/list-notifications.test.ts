import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
// First of our modules: sets the environment the handler reads when it loads.
import { ENV } from './environment';
import { apiEvent, lambdaContext } from '../../runtime/testing';
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

const list = (merchantId: string, queryStringParameters?: Record<string, string>) => handler(apiEvent({
  resource: '/merchants/{merchantId}/notifications',
  pathParameters: { merchantId },
  queryStringParameters,
}), lambdaContext());

beforeEach(() => {
  db.reset();
  db.on(QueryCommand).resolves({ Items: [NOTIFICATION] });
});

test('answers the merchant\'s newest 20 notifications by default', async () => {
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
