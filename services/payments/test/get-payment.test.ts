import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
// First of our modules: sets the environment the handler reads when it loads.
import { ENV } from './environment';
import { apiEvent, lambdaContext, TestMerchant } from '../../runtime/testing';
import { ServiceManifestSchema } from '../../service-model';
import { smokeTestFor } from '../../smoke-test';
import manifest from '../service';
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

/** GETs a payment through the service's IAM API, or as `merchant` through the public edge. */
const get = (paymentId: string, merchant?: TestMerchant) =>
  handler(apiEvent({ resource: '/payments/{paymentId}', pathParameters: { paymentId }, merchant }), lambdaContext());

beforeEach(() => {
  db.reset();
});

test('answers 200 with the stored payment, read consistently, to a service (IAM)', async () => {
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

describe('a merchant (through the public edge)', () => {
  const merchant1 = { merchantId: 'merchant-1', scopes: ['payments/read'] };
  const merchant2 = { merchantId: 'merchant-2', scopes: ['payments/read'] };

  test('reads its own payment', async () => {
    db.on(GetCommand).resolves({ Item: PAYMENT });
    const response = await get(PAYMENT.paymentId, merchant1);
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual(PAYMENT);
  });

  test('gets for another merchant\'s payment exactly the answer for a payment that does not exist', async () => {
    db.on(GetCommand).resolves({});
    const missing = await get(PAYMENT.paymentId, merchant2);
    db.on(GetCommand).resolves({ Item: PAYMENT });
    const others = await get(PAYMENT.paymentId, merchant2);

    expect(others.statusCode).toBe(404);
    expect(JSON.parse(others.body)).toEqual({ message: `Payment ${PAYMENT.paymentId} not found` });
    expect(others).toEqual(missing);
  });

  test('the pre-traffic smoke request (merchant smoke-test asking for pay_smoke-test) gets the status the manifest expects, 404', async () => {
    db.on(GetCommand).resolves({});
    const smoke = smokeTestFor(ServiceManifestSchema.parse(manifest).functions.getPayment, 'dev');
    const response = await handler(smoke.event as APIGatewayProxyEvent, lambdaContext());
    expect(smoke.expectStatus).toEqual([404]);
    expect(response.statusCode).toBe(404);
  });

  test('is refused with 403, without reading, when the edge passes no valid merchant id', async () => {
    const response = await get(PAYMENT.paymentId, { merchantId: '' });
    expect(response.statusCode).toBe(403);
    expect(JSON.parse(response.body)).toEqual({ message: 'Forbidden' });
    expect(db.calls()).toHaveLength(0);
  });
});
