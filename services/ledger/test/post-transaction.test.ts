import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
// First of our modules: sets the environment the handler reads when it loads.
import { ENV } from './environment';
import { metrics } from '../../runtime';
import { apiEvent, lambdaContext } from '../../runtime/testing';
import { handler } from '../src/post-transaction';
import { MAX_ENTRIES } from '../src/transaction';

const db = mockClient(DynamoDBDocumentClient);

const PAYMENT = {
  transactionId: 'pay_0b7e5c1a-1111-8222-9333-444455556666',
  description: 'Payment to merchant-1',
  entries: [
    { accountId: 'payer-1', direction: 'debit', amountMinor: 1234, currency: 'EUR' },
    { accountId: 'merchant-1', direction: 'credit', amountMinor: 1234, currency: 'EUR' },
  ],
};

const post = (body: unknown) => handler(apiEvent({ method: 'POST', resource: '/transactions', body }), lambdaContext());
const bodyOf = (response: { body: string }) => JSON.parse(response.body);
const cancelled = (...codes: string[]) => new TransactionCanceledException({
  message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`,
  $metadata: {},
  CancellationReasons: codes.map(Code => ({ Code })),
});

beforeEach(() => {
  db.reset();
  db.on(TransactWriteCommand).resolves({});
});

describe('a balanced transaction', () => {
  test('is written atomically: the record if new, and each balance change, answered 201', async () => {
    const addMetric = jest.spyOn(metrics, 'addMetric');
    const response = await post(PAYMENT);

    expect(response.statusCode).toBe(201);
    const transaction = bodyOf(response);
    expect(transaction).toEqual({ ...PAYMENT, createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) });
    expect(db.calls()).toHaveLength(1);
    expect(db).toHaveReceivedCommandWith(TransactWriteCommand, {
      TransactItems: [
        { Put: { TableName: ENV.TABLE_TRANSACTIONS_NAME, Item: transaction, ConditionExpression: 'attribute_not_exists(transactionId)' } },
        {
          Update: {
            TableName: ENV.TABLE_BALANCES_NAME,
            Key: { accountId: 'payer-1', currency: 'EUR' },
            UpdateExpression: 'ADD balanceMinor :delta SET updatedAt = :now, lastTransactionId = :transactionId',
            ExpressionAttributeValues: { ':delta': -1234, ':now': transaction.createdAt, ':transactionId': PAYMENT.transactionId },
          },
        },
        {
          Update: {
            TableName: ENV.TABLE_BALANCES_NAME,
            Key: { accountId: 'merchant-1', currency: 'EUR' },
            UpdateExpression: 'ADD balanceMinor :delta SET updatedAt = :now, lastTransactionId = :transactionId',
            ExpressionAttributeValues: { ':delta': 1234, ':now': transaction.createdAt, ':transactionId': PAYMENT.transactionId },
          },
        },
      ],
    });
    expect(addMetric).toHaveBeenCalledWith('TransactionPosted', 'Count', 1);
  });

  test('updates each (account, currency) once, with its net change', async () => {
    await post({
      transactionId: 'tx-fx',
      entries: [
        { accountId: 'alice', direction: 'debit', amountMinor: 1000, currency: 'EUR' },
        { accountId: 'desk', direction: 'credit', amountMinor: 1000, currency: 'EUR' },
        { accountId: 'desk', direction: 'debit', amountMinor: 860, currency: 'GBP' },
        { accountId: 'alice', direction: 'credit', amountMinor: 850, currency: 'GBP' },
        { accountId: 'alice', direction: 'credit', amountMinor: 10, currency: 'GBP' },
      ],
    });
    const items = db.commandCalls(TransactWriteCommand)[0].args[0].input.TransactItems!;
    expect(items.slice(1).map(i => [i.Update!.Key, i.Update!.ExpressionAttributeValues![':delta']])).toEqual([
      [{ accountId: 'alice', currency: 'EUR' }, -1000],
      [{ accountId: 'desk', currency: 'EUR' }, 1000],
      [{ accountId: 'desk', currency: 'GBP' }, -860],
      [{ accountId: 'alice', currency: 'GBP' }, 860],
    ]);
  });

  test('is retried when another transaction touched the same balance, and succeeds', async () => {
    db.on(TransactWriteCommand).rejectsOnce(cancelled('None', 'None', 'TransactionConflict')).resolves({});
    const response = await post(PAYMENT);
    expect(response.statusCode).toBe(201);
    expect(db).toHaveReceivedCommandTimes(TransactWriteCommand, 2);
  });

  test('is answered 503 when conflicts persist', async () => {
    db.on(TransactWriteCommand).rejects(cancelled('None', 'TransactionConflict', 'None'));
    const response = await post(PAYMENT);
    expect(response.statusCode).toBe(503);
    expect(bodyOf(response)).toEqual({ message: 'The accounts are being updated by other transactions; retry shortly' });
    expect(db).toHaveReceivedCommandTimes(TransactWriteCommand, 3);
  });
});

describe('a replayed transaction id', () => {
  beforeEach(() => {
    db.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None', 'None'));
  });

  test('with the same entries (in any order) answers the stored transaction with 200 and changes nothing', async () => {
    const stored = { ...PAYMENT, createdAt: '2026-01-02T03:04:05.678Z' };
    db.on(GetCommand).resolves({ Item: stored });
    const response = await post({ ...PAYMENT, entries: [...PAYMENT.entries].reverse() });
    expect(response.statusCode).toBe(200);
    expect(bodyOf(response)).toEqual(stored);
    expect(db).toHaveReceivedCommandWith(GetCommand, {
      TableName: ENV.TABLE_TRANSACTIONS_NAME, Key: { transactionId: PAYMENT.transactionId }, ConsistentRead: true,
    });
    expect(db).toHaveReceivedCommandTimes(TransactWriteCommand, 1);
  });

  test('with different entries is refused with 409', async () => {
    db.on(GetCommand).resolves({ Item: { ...PAYMENT, entries: PAYMENT.entries.map(e => ({ ...e, amountMinor: 999 })), createdAt: '2026-01-02T03:04:05.678Z' } });
    const response = await post(PAYMENT);
    expect(response.statusCode).toBe(409);
    expect(bodyOf(response)).toEqual({ message: `Transaction ${PAYMENT.transactionId} already exists with different entries` });
  });
});

describe('an unbalanced transaction', () => {
  test('is refused with 422 naming each currency and both sums, and nothing is written', async () => {
    const response = await post({
      transactionId: 'tx-1',
      entries: [
        { accountId: 'a', direction: 'debit', amountMinor: 1000, currency: 'EUR' },
        { accountId: 'b', direction: 'credit', amountMinor: 900, currency: 'EUR' },
        { accountId: 'a', direction: 'debit', amountMinor: 5, currency: 'USD' },
        { accountId: 'b', direction: 'credit', amountMinor: 5, currency: 'USD' },
      ],
    });
    expect(response.statusCode).toBe(422);
    expect(bodyOf(response)).toEqual({
      message: 'Debits and credits differ in EUR (debits 1000, credits 900)',
      imbalances: [{ currency: 'EUR', debitsMinor: 1000, creditsMinor: 900 }],
    });
    expect(db.calls()).toHaveLength(0);
  });
});

describe('invalid requests are refused with 400, writing nothing', () => {
  afterEach(() => {
    expect(db.calls()).toHaveLength(0);
  });

  test('an empty body (the smoke test) names every missing field', async () => {
    const response = await post({});
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response).errors.map((e: { path: string }) => e.path)).toEqual(['transactionId', 'entries']);
  });

  test.each([
    ['a single entry', { entries: [PAYMENT.entries[0]] }, 'entries', 'must have at least 2 entries: a transaction moves money from one account to another'],
    ['an unknown direction', { entries: [{ ...PAYMENT.entries[0], direction: 'withdraw' }, PAYMENT.entries[1]] }, 'entries[0].direction', 'Invalid option: expected one of "debit"|"credit"'],
    ['a negative amount', { entries: [PAYMENT.entries[0], { ...PAYMENT.entries[1], amountMinor: -1234 }] }, 'entries[1].amountMinor', 'must be positive'],
    ['a fractional amount', { entries: [PAYMENT.entries[0], { ...PAYMENT.entries[1], amountMinor: 12.34 }] }, 'entries[1].amountMinor', 'must be a whole number of minor units (e.g. cents)'],
    ['a malformed currency', { entries: [PAYMENT.entries[0], { ...PAYMENT.entries[1], currency: 'euro' }] }, 'entries[1].currency', 'is not an ISO 4217 currency code; allowed: three uppercase letters, e.g. EUR'],
    ['a malformed transaction id', { transactionId: 'tx 1' }, 'transactionId', 'is not a valid transaction id; allowed: 1-128 letters, digits, "_" or "-", starting with a letter or digit'],
  ])('%s', async (_, change, path, message) => {
    const response = await post({ ...PAYMENT, ...change });
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toEqual({ message: 'Invalid request body', errors: [{ path, message }] });
  });

  test('more entries than one DynamoDB transaction can hold', async () => {
    const entries = Array.from({ length: MAX_ENTRIES + 1 }, (_, i) => ({
      accountId: `account-${i}`, direction: i % 2 === 0 ? 'debit' : 'credit', amountMinor: 1, currency: 'EUR',
    }));
    const response = await post({ transactionId: 'tx-big', entries });
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response).errors).toEqual([{
      path: 'entries',
      message: 'must have at most 99 entries: a transaction is booked in one DynamoDB transaction (at most 100 items)',
    }]);
  });
});

test('the largest allowed transaction fits one DynamoDB transaction (at most 100 items)', async () => {
  const entries = Array.from({ length: MAX_ENTRIES }, (_, i) => ({
    accountId: `account-${i}`, direction: i === 0 ? 'debit' : 'credit', amountMinor: i === 0 ? MAX_ENTRIES - 1 : 1, currency: 'EUR',
  }));
  expect((await post({ transactionId: 'tx-max', entries })).statusCode).toBe(201);
  expect(db.commandCalls(TransactWriteCommand)[0].args[0].input.TransactItems).toHaveLength(100);
});

test('a failing write is answered with a bare 500', async () => {
  db.on(TransactWriteCommand).rejects(new Error('ValidationException: Transaction request cannot include multiple operations on one item'));
  const response = await post(PAYMENT);
  expect(response.statusCode).toBe(500);
  expect(response.body).toBe('{"message":"Internal server error"}');
});

describe('a merchant (through the public edge)', () => {
  test('is refused with 403 (booking is internal to the organization), and nothing is read or written', async () => {
    const response = await handler(apiEvent({
      method: 'POST',
      resource: '/transactions',
      body: PAYMENT,
      merchant: { merchantId: 'merchant-1', scopes: ['ledger/write'] },
    }), lambdaContext());
    expect(response.statusCode).toBe(403);
    expect(bodyOf(response)).toEqual({
      message: 'POST /transactions is internal: only services of the organization (IAM-signed requests) may book transactions',
    });
    expect(db.calls()).toHaveLength(0);
  });
});
