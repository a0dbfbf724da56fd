import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
// First of our modules: sets the environment the handler reads when it loads.
import { ENV } from './environment';
import { metrics } from '../../runtime';
import { lambdaContext, sqsEvent } from '../../runtime/testing';
import type { PaymentEvent } from '../src/payment-event';
import { handler } from '../src/record-payment-event';

const db = mockClient(DynamoDBDocumentClient);

function paymentEvent(n: number, payment: Partial<PaymentEvent['payment']> = {}): PaymentEvent {
  return {
    eventId: `evt_${n}`,
    type: 'payment.created',
    occurredAt: `2026-01-02T03:04:0${n}.000Z`,
    payment: { paymentId: `pay_${n}`, merchantId: 'merchant-1', payerAccountId: 'payer-1', amountMinor: 1234, currency: 'EUR', ...payment },
  };
}

const putItems = () => db.commandCalls(PutCommand).map(c => c.args[0].input.Item);

beforeEach(() => {
  db.reset();
  db.on(PutCommand).resolves({});
});

test('records one notification per event, written only if new, and reports no failures', async () => {
  const addMetric = jest.spyOn(metrics, 'addMetric');
  const response = await handler(sqsEvent([paymentEvent(1), paymentEvent(2, { amountMinor: 500, currency: 'JPY', merchantId: 'merchant-2' })]), lambdaContext());

  expect(response).toEqual({ batchItemFailures: [] });
  expect(db).toHaveReceivedCommandTimes(PutCommand, 2);
  expect(db).toHaveReceivedCommandWith(PutCommand, {
    TableName: ENV.TABLE_NOTIFICATIONS_NAME,
    Item: {
      merchantId: 'merchant-1',
      notificationId: '2026-01-02T03:04:01.000Z#evt_1',
      eventId: 'evt_1',
      type: 'payment.created',
      paymentId: 'pay_1',
      amountMinor: 1234,
      currency: 'EUR',
      message: 'Payment pay_1 of 12.34 EUR received',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      expiresAt: expect.any(Number),
    },
    ConditionExpression: 'attribute_not_exists(notificationId)',
  });
  expect(putItems()).toContainEqual(expect.objectContaining({ merchantId: 'merchant-2', message: 'Payment pay_2 of 500 JPY received' }));
  expect(addMetric).toHaveBeenCalledWith('NotificationRecorded', 'Count', 1);
});

test('a redelivered event is ignored, not failed', async () => {
  const addMetric = jest.spyOn(metrics, 'addMetric');
  db.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
  const response = await handler(sqsEvent([paymentEvent(1)]), lambdaContext());
  expect(response).toEqual({ batchItemFailures: [] });
  expect(addMetric).toHaveBeenCalledWith('DuplicateEventIgnored', 'Count', 1);
});

test('malformed messages are reported as item failures, alone, and never written', async () => {
  const notAnEvent = { hello: 'world' };
  const wrongAmount = { ...paymentEvent(3), payment: { ...paymentEvent(3).payment, amountMinor: '12.34' } };
  const unknownType = { ...paymentEvent(4), type: 'payment.teleported' };
  const response = await handler(sqsEvent([paymentEvent(1), '{not json', notAnEvent, wrongAmount, unknownType]), lambdaContext());

  expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-2' }, { itemIdentifier: 'm-3' }, { itemIdentifier: 'm-4' }, { itemIdentifier: 'm-5' }] });
  expect(putItems()).toEqual([expect.objectContaining({ eventId: 'evt_1' })]);
});

test('a batch of only malformed messages is answered with its failures, not a function error', async () => {
  const response = await handler(sqsEvent(['{not json']), lambdaContext());
  expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }] });
});

test('a failed write fails only its message, which SQS then redelivers', async () => {
  db.on(PutCommand).callsFake(input => {
    if (input.Item.eventId === 'evt_2') throw new Error('ProvisionedThroughputExceededException');
    return {};
  });
  const response = await handler(sqsEvent([paymentEvent(1), paymentEvent(2)]), lambdaContext());
  expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-2' }] });
});

test('an empty batch (the pre-traffic smoke test) succeeds', async () => {
  await expect(handler({ Records: [] }, lambdaContext())).resolves.toEqual({ batchItemFailures: [] });
  expect(db.calls()).toHaveLength(0);
});

describe('retention', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  test('each notification expires NOTIFICATION_RETENTION_DAYS (90) after it is recorded, in epoch seconds (the table\'s TTL)', async () => {
    jest.useFakeTimers({ now: new Date('2026-03-01T12:00:00.500Z') });
    await handler(sqsEvent([paymentEvent(1)]), lambdaContext());
    const [item] = putItems();
    expect(item).toMatchObject({
      createdAt: '2026-03-01T12:00:00.500Z',
      expiresAt: Date.parse('2026-05-30T12:00:00.000Z') / 1000,
    });
  });

  test.each([
    ['0', 'environment variable NOTIFICATION_RETENTION_DAYS "0" is invalid: must be a whole number of days from 1 to 3650'],
    ['3651', 'environment variable NOTIFICATION_RETENTION_DAYS "3651" is invalid: must be a whole number of days from 1 to 3650'],
    ['', 'environment variable NOTIFICATION_RETENTION_DAYS is not set; the framework sets it from the service manifest (see runtimeVariables in services/service-model.ts)'],
  ])('a NOTIFICATION_RETENTION_DAYS of %p fails the cold start with a clear message', (value, message) => {
    process.env.NOTIFICATION_RETENTION_DAYS = value;
    try {
      // A fresh copy of the handler module: loading it is the cold start.
      jest.isolateModules(() => {
        expect(() => jest.requireActual('../src/record-payment-event')).toThrow(message);
      });
    } finally {
      process.env.NOTIFICATION_RETENTION_DAYS = ENV.NOTIFICATION_RETENTION_DAYS;
    }
  });
});
