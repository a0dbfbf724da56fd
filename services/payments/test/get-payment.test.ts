import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
// First of our modules: sets the environment the handler reads when it loads.
import { ENV } from './environment';
import { apiEvent, lambdaContext } from '../../runtime/testing';
import { handler } from '../src/get-payment';

const db = mockClient(DynamoDBDocumentClient);

const PAYMENT = {
  paymentId: 'pay_0b7e5c1a-1111-8222-9333-444455556666',
  merchantId: 'merchant-1',
  payerAccountId: 'payer-1',
  amountMinor: 1234,
  currency: 'EUR',
  status: 'booked',
  createdAt: '2026-01-02T03:04:05.678Z',
  receipt: { algorithm: 'HMAC-SHA256', signature: 'ab'.repeat(32) },
};

const get = (paymentId: string) =>
  handler(apiEvent({ resource: '/payments/{paymentId}', pathParameters: { paymentId } }), lambdaContext());

beforeEach(() => {
  db.reset();
});

test('answers 200 with the stored payment, read consistently', async () => {
  db.on(GetCommand).resolves({ Item: PAYMENT });
  const response = await get(PAYMENT.paymentId);
  expect(response.statusCode).toBe(200);
  expect(JSON.parse(response.body)).toEqual(PAYMENT);
  expect(db).toHaveReceivedCommandWith(GetCommand, {
    TableName: ENV.TABLE_PAYMENTS_NAME, Key: { paymentId: PAYMENT.paymentId }, ConsistentRead: true,
  });
});

test('answers 404 for an unknown payment (the smoke test asks for pay_smoke-test)', async () => {
  db.on(GetCommand).resolves({});
  const response = await get('pay_smoke-test');
  expect(response.statusCode).toBe(404);
  expect(JSON.parse(response.body)).toEqual({ message: 'Payment pay_smoke-test not found' });
});

test('refuses an id that is not a payment id with 400, without reading', async () => {
  const response = await get('12345');
  expect(response.statusCode).toBe(400);
  expect(JSON.parse(response.body)).toEqual({
    message: 'Invalid path parameters',
    errors: [{ path: 'paymentId', message: 'is not a payment id; allowed: pay_ followed by up to 100 letters, digits or hyphens' }],
  });
  expect(db.calls()).toHaveLength(0);
});

test('answers a failing read with a bare 500', async () => {
  db.on(GetCommand).rejects(new Error('ProvisionedThroughputExceededException on table payments-table'));
  const response = await get(PAYMENT.paymentId);
  expect(response.statusCode).toBe(500);
  expect(response.body).toBe('{"message":"Internal server error"}');
});
