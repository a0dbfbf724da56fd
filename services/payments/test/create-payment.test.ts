import { createHmac } from 'node:crypto';
import { clearCaches } from '@aws-lambda-powertools/parameters';
import {
  AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  PutItemCommandInput,
  UpdateItemCommand,
  UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
// First of our modules: sets the environment the handler reads when it loads.
import { ENV } from './environment';
import { metrics } from '../../runtime';
import { apiEvent, lambdaContext, TestMerchant } from '../../runtime/testing';
import { ServiceManifestSchema } from '../../service-model';
import { smokeTestFor } from '../../smoke-test';
import manifest from '../service';
import { handler } from '../src/create-payment';

const SIGNING_KEY = 'receipt-signing-key-for-tests';
const VALID = { merchantId: 'merchant-1', amountMinor: 1234, currency: 'EUR', payerAccountId: 'payer-1', description: 'Order 42' };

const db = mockClient(DynamoDBDocumentClient);
const idempotencyDb = mockClient(DynamoDBClient);
const sqs = mockClient(SQSClient);
const secrets = mockClient(SecretsManagerClient);
let fetchMock: jest.SpiedFunction<typeof fetch>;

/**
 * The idempotency table in memory, with the conditions the Powertools
 * DynamoDB layer relies on, so replays and concurrent requests really happen.
 */
const idempotencyItems = new Map<string, Record<string, AttributeValue>>();

function putIdempotencyRecord(input: PutItemCommandInput) {
  const item = input.Item!;
  const names = input.ExpressionAttributeNames!;
  const values = input.ExpressionAttributeValues!;
  const existing = idempotencyItems.get(item[names['#id']].S!);
  const number = (v: AttributeValue | undefined) => Number(v?.N);
  const replaceable = !existing
    || number(existing[names['#expiry']]) < number(values[':now'])
    || (existing[names['#status']].S === 'INPROGRESS' && number(existing[names['#in_progress_expiry']]) < number(values[':now_in_millis']));
  if (!replaceable) throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: existing });
  idempotencyItems.set(item[names['#id']].S!, item);
  return {};
}

function updateIdempotencyRecord(input: UpdateItemCommandInput) {
  const id = input.Key!.id.S!;
  const item = { ...idempotencyItems.get(id) };
  for (const assignment of input.UpdateExpression!.replace(/^SET /, '').split(', ')) {
    const [name, value] = assignment.split(' = ');
    item[input.ExpressionAttributeNames![name]] = input.ExpressionAttributeValues![value];
  }
  idempotencyItems.set(id, item);
  return {};
}

/** POSTs `body` with the Idempotency-Key `key` (none when null), through the IAM API unless `merchant` is given. */
function request(body: unknown, key: string | null = 'key-1', headerName = 'Idempotency-Key', merchant?: TestMerchant) {
  return handler(apiEvent({
    method: 'POST',
    resource: '/payments',
    headers: { 'content-type': 'application/json', ...(key === null ? {} : { [headerName]: key }) },
    body,
    merchant,
  }), lambdaContext());
}

/** POSTs `body` as `merchantId` through the public edge. */
const requestAs = (merchantId: string, body: unknown, key: string | null = 'key-1') =>
  request(body, key, 'Idempotency-Key', { merchantId, scopes: ['payments/write'] });

const ledgerAnswer = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const bodyOf = (response: { body: string }) => JSON.parse(response.body);
const ledgerRequests = () => fetchMock.mock.calls.map(([url, init]) => ({
  url: String(url),
  method: init?.method,
  headers: init?.headers as Record<string, string>,
  body: JSON.parse(String(init?.body)),
}));
const sentEvents = () => sqs.commandCalls(SendMessageCommand).map(c => JSON.parse(c.args[0].input.MessageBody!));

beforeEach(() => {
  db.reset();
  idempotencyDb.reset();
  sqs.reset();
  secrets.reset();
  clearCaches();
  idempotencyItems.clear();

  db.on(PutCommand).resolves({});
  idempotencyDb.on(PutItemCommand).callsFake(putIdempotencyRecord);
  idempotencyDb.on(UpdateItemCommand).callsFake(updateIdempotencyRecord);
  idempotencyDb.on(GetItemCommand).callsFake(input => ({ Item: idempotencyItems.get(input.Key.id.S) }));
  idempotencyDb.on(DeleteItemCommand).callsFake(input => {
    idempotencyItems.delete(input.Key.id.S);
    return {};
  });
  sqs.on(SendMessageCommand).resolves({ MessageId: 'message-1' });
  secrets.on(GetSecretValueCommand).resolves({ SecretString: SIGNING_KEY });
  // The ledger books what it is sent (201).
  fetchMock = jest.spyOn(globalThis, 'fetch').mockImplementation(async (_url, init) => ledgerAnswer(201, JSON.parse(String(init?.body))));
});

afterEach(() => {
  fetchMock.mockRestore();
});

describe('a new payment', () => {
  test('is booked in the ledger, stored, announced and answered 201 with a verifiable receipt (a service, IAM)', async () => {
    const addMetric = jest.spyOn(metrics, 'addMetric');
    const response = await request(VALID);

    expect(response.statusCode).toBe(201);
    const payment = bodyOf(response);
    expect(payment).toEqual({
      ...VALID,
      paymentId: expect.stringMatching(/^pay_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
      status: 'booked',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      receipt: { algorithm: 'HMAC-SHA256', signature: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    const signed = ['payment-receipt/v1', payment.paymentId, 'merchant-1', 'payer-1', '1234', 'EUR', payment.createdAt].join('\n');
    expect(payment.receipt.signature).toBe(createHmac('sha256', SIGNING_KEY).update(signed).digest('hex'));
    expect(secrets).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: ENV.SECRET_RECEIPT_SIGNING_KEY_ARN });

    expect(ledgerRequests()).toEqual([{
      url: `${ENV.LEDGER_API_URL}/transactions`,
      method: 'POST',
      headers: expect.objectContaining({
        'authorization': expect.stringMatching(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=.*, Signature=[0-9a-f]{64}$/),
        'x-amz-security-token': ENV.AWS_SESSION_TOKEN,
      }),
      body: {
        transactionId: payment.paymentId,
        description: `Payment ${payment.paymentId} to merchant merchant-1`,
        entries: [
          { accountId: 'payer-1', direction: 'debit', amountMinor: 1234, currency: 'EUR' },
          { accountId: 'merchant-1', direction: 'credit', amountMinor: 1234, currency: 'EUR' },
        ],
      },
    }]);

    expect(db.calls()).toHaveLength(1);
    expect(db).toHaveReceivedCommandWith(PutCommand, {
      TableName: ENV.TABLE_PAYMENTS_NAME,
      Item: payment,
      ConditionExpression: 'attribute_not_exists(paymentId)',
    });

    expect(sqs).toHaveReceivedCommandWith(SendMessageCommand, {
      QueueUrl: ENV.NOTIFICATIONS_QUEUE_PAYMENT_EVENTS_URL,
      MessageAttributes: { type: { DataType: 'String', StringValue: 'payment.created' } },
    });
    const [event] = sentEvents();
    expect(event).toEqual({
      eventId: expect.stringMatching(/^evt_/),
      type: 'payment.created',
      occurredAt: payment.createdAt,
      payment: { paymentId: payment.paymentId, merchantId: 'merchant-1', payerAccountId: 'payer-1', amountMinor: 1234, currency: 'EUR', description: 'Order 42' },
    });
    expect(addMetric).toHaveBeenCalledWith('PaymentCreated', 'Count', 1);
  });

  test('accepts the Idempotency-Key header in any case, and no description', async () => {
    const { description: _, ...withoutDescription } = VALID;
    const response = await request(withoutDescription, 'key-1', 'idempotency-key');
    expect(response.statusCode).toBe(201);
    expect(bodyOf(response)).not.toHaveProperty('description');
  });
});

describe('idempotency', () => {
  test('the same key and body replays the first answer without booking, storing or announcing again', async () => {
    const first = await request(VALID);
    const second = await request(VALID);
    expect(second.statusCode).toBe(201);
    expect(bodyOf(second)).toEqual(bodyOf(first));
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(db).toHaveReceivedCommandTimes(PutCommand, 1);
    expect(sqs).toHaveReceivedCommandTimes(SendMessageCommand, 1);
  });

  test('the same key with a different body is refused with 422', async () => {
    await request(VALID);
    const response = await request({ ...VALID, amountMinor: 999 });
    expect(response.statusCode).toBe(422);
    expect(bodyOf(response)).toEqual({ message: 'This Idempotency-Key was already used with a different request body' });
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });

  test('keys are scoped per merchant: another merchant may use the same key for its own payment', async () => {
    const first = bodyOf(await request(VALID));
    const other = await request({ ...VALID, merchantId: 'merchant-2' });
    expect(other.statusCode).toBe(201);
    expect(bodyOf(other).paymentId).not.toBe(first.paymentId);
  });

  test('a request whose key is still being processed is answered 409', async () => {
    let concurrent: Awaited<ReturnType<typeof handler>> | undefined;
    fetchMock.mockImplementationOnce(async (_url, init) => {
      concurrent = await request(VALID);
      return ledgerAnswer(201, JSON.parse(String(init?.body)));
    });
    expect((await request(VALID)).statusCode).toBe(201);
    expect(concurrent?.statusCode).toBe(409);
    expect(bodyOf(concurrent!)).toEqual({ message: 'A request with this Idempotency-Key is still in progress; retry later' });
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });

  test('a retry after a partial failure reuses the payment: the ledger replays it and nothing is booked twice', async () => {
    sqs.on(SendMessageCommand).rejectsOnce(new Error('SQS is unavailable')).resolves({ MessageId: 'message-2' });
    const failed = await request(VALID);
    expect(failed.statusCode).toBe(500);
    expect(failed.body).toBe('{"message":"Internal server error"}');
    // The key is free again for the retry.
    expect(idempotencyItems.size).toBe(0);

    const stored = db.commandCalls(PutCommand)[0].args[0].input.Item;
    db.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    db.on(GetCommand).resolves({ Item: stored });
    fetchMock.mockImplementation(async (_url, init) => ledgerAnswer(200, JSON.parse(String(init?.body))));

    const retried = await request(VALID);
    expect(retried.statusCode).toBe(201);
    expect(bodyOf(retried)).toEqual(stored);
    const [firstBooking, secondBooking] = ledgerRequests();
    expect(secondBooking.body.transactionId).toBe(firstBooking.body.transactionId);
    expect(db).toHaveReceivedCommandWith(GetCommand, {
      TableName: ENV.TABLE_PAYMENTS_NAME, Key: { paymentId: stored!.paymentId }, ConsistentRead: true,
    });
    const [firstEvent, secondEvent] = sentEvents();
    expect(secondEvent).toEqual(firstEvent);
  });
});

describe('invalid requests are refused with 400 before anything happens', () => {
  afterEach(() => {
    expect(fetchMock).not.toHaveBeenCalled();
    expect(db.calls()).toHaveLength(0);
    expect(idempotencyDb.calls()).toHaveLength(0);
    expect(sqs.calls()).toHaveLength(0);
  });

  test('without an Idempotency-Key header (the smoke test: empty body, no key)', async () => {
    const response = await request({}, null);
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toEqual({
      message: 'Missing Idempotency-Key header',
      errors: [{ path: 'headers.Idempotency-Key', message: 'is required: a unique key per payment, reused on retries' }],
    });
  });

  test('with a malformed Idempotency-Key', async () => {
    const response = await request(VALID, 'has spaces');
    expect(bodyOf(response)).toEqual({
      message: 'Invalid Idempotency-Key header',
      errors: [{ path: 'headers.Idempotency-Key', message: 'must be 1-255 printable ASCII characters without spaces (a UUID is a good choice)' }],
    });
  });

  test('with an empty body, naming every missing field', async () => {
    const response = await request({});
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response).errors.map((e: { path: string }) => e.path)).toEqual(['merchantId', 'amountMinor', 'currency', 'payerAccountId']);
  });

  test('with a body that is not JSON', async () => {
    expect(bodyOf(await request('{"merchantId":'))).toEqual({ message: 'Request body is not valid JSON' });
  });

  test.each([
    ['a fractional amount', { amountMinor: 12.5 }, 'amountMinor', 'must be a whole number of minor units (e.g. cents)'],
    ['a zero amount', { amountMinor: 0 }, 'amountMinor', 'must be positive'],
    ['an amount above MAX_PAYMENT_AMOUNT_MINOR', { amountMinor: 5_000_001 }, 'amountMinor', 'must be at most 5000000 (MAX_PAYMENT_AMOUNT_MINOR)'],
    ['an unsupported currency', { currency: 'CHF' }, 'currency', 'is not supported; allowed: EUR, GBP, USD'],
    ['a lowercase currency', { currency: 'eur' }, 'currency', 'is not an ISO 4217 currency code; allowed: three uppercase letters, e.g. EUR'],
    ['a payer that is the merchant', { payerAccountId: 'merchant-1' }, 'payerAccountId', 'must differ from merchantId: a payment moves money from the payer to the merchant'],
    ['a malformed merchant id', { merchantId: 'merchant 1' }, 'merchantId', 'is not a valid merchant id; allowed: 1-64 letters, digits, "_" or "-", starting with a letter or digit'],
    ['an unknown field', { tip: 100 }, '', 'Unrecognized key: "tip"'],
  ])('with %s', async (_, change, path, message) => {
    const response = await request({ ...VALID, ...change });
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toEqual({ message: 'Invalid request body', errors: [{ path, message }] });
  });
});

describe('when the ledger does not book the payment', () => {
  afterEach(() => {
    expect(db.calls()).toHaveLength(0);
    expect(sqs.calls()).toHaveLength(0);
    // Nothing is remembered for the key: the same request may be retried.
    expect(idempotencyItems.size).toBe(0);
  });

  test('a refusal is answered 422 with the ledger\'s reason, and nothing is stored or announced', async () => {
    fetchMock.mockResolvedValue(ledgerAnswer(409, { message: 'Transaction pay_x already exists with different entries' }));
    const response = await request(VALID);
    expect(response.statusCode).toBe(422);
    expect(bodyOf(response)).toEqual({ message: 'The ledger refused the payment', reason: 'Transaction pay_x already exists with different entries' });
  });

  test.each([
    ['fails (500)', () => ledgerAnswer(500, { message: 'Internal server error' })],
    ['denies our signature (403)', () => ledgerAnswer(403, { message: 'User is not authorized' })],
    ['throttles (429)', () => new Response('Too Many Requests', { status: 429 })],
  ])('a ledger that %s is answered 502', async (_, answer) => {
    fetchMock.mockResolvedValue(answer());
    const response = await request(VALID);
    expect(response.statusCode).toBe(502);
    expect(bodyOf(response)).toEqual({ message: 'The ledger failed to book the payment; retry with the same Idempotency-Key' });
  });

  test('an unreachable ledger is answered 502', async () => {
    fetchMock.mockRejectedValue(new TypeError('fetch failed'));
    const response = await request(VALID);
    expect(response.statusCode).toBe(502);
    expect(bodyOf(response)).toEqual({ message: 'The ledger could not be reached; retry with the same Idempotency-Key' });
  });
});

test('a signing key that cannot be read fails the request with a bare 500 before anything is booked', async () => {
  secrets.on(GetSecretValueCommand).rejects(new Error('AccessDeniedException: not allowed to read arn:aws:secretsmanager:...'));
  const response = await request(VALID);
  expect(response.statusCode).toBe(500);
  expect(response.body).toBe('{"message":"Internal server error"}');
  expect(fetchMock).not.toHaveBeenCalled();
  expect(db.calls()).toHaveLength(0);
});

describe('JPY, behind feature flag acceptJpy (on for merchant-1 only here)', () => {
  const JPY = { ...VALID, amountMinor: 5000, currency: 'JPY' };

  test('a merchant the flag is on for pays in JPY: booked and stored as any payment', async () => {
    const response = await requestAs('merchant-1', JPY);
    expect(response.statusCode).toBe(201);
    expect(bodyOf(response)).toMatchObject({ ...JPY, status: 'booked' });
    expect(ledgerRequests()[0].body.entries).toContainEqual({ accountId: 'merchant-1', direction: 'credit', amountMinor: 5000, currency: 'JPY' });
  });

  test('for any other merchant JPY is refused exactly as an unsupported currency, before anything is booked', async () => {
    const response = await requestAs('merchant-2', { ...JPY, merchantId: 'merchant-2' });
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toEqual({ message: 'Invalid request body', errors: [{ path: 'currency', message: 'is not supported; allowed: EUR, GBP, USD' }] });
    expect(fetchMock).not.toHaveBeenCalled();
    expect(db.calls()).toHaveLength(0);
  });

  test('a service booking for a merchant gets the flag of that merchant, not its own', async () => {
    expect((await request({ ...JPY, merchantId: 'merchant-2', payerAccountId: 'payer-1' })).statusCode).toBe(400);
    expect((await request(JPY)).statusCode).toBe(201);
  });
});

describe('a merchant (through the public edge)', () => {
  test('creates a payment to itself: booked, stored and announced for the token\'s merchant, answered 201', async () => {
    const response = await requestAs('merchant-1', VALID);
    expect(response.statusCode).toBe(201);
    const payment = bodyOf(response);
    expect(payment).toMatchObject({ ...VALID, status: 'booked' });
    expect(ledgerRequests()[0].body.entries).toContainEqual({ accountId: 'merchant-1', direction: 'credit', amountMinor: 1234, currency: 'EUR' });
    expect(db).toHaveReceivedCommandWith(PutCommand, { TableName: ENV.TABLE_PAYMENTS_NAME, Item: payment });
    expect(sentEvents()[0].payment.merchantId).toBe('merchant-1');
  });

  test('gets the same payment id as a service booking for it with the same key: the idempotency key is scoped to the verified merchant', async () => {
    const asMerchant = bodyOf(await requestAs('merchant-1', VALID));
    const asService = await request(VALID);
    expect(asService.statusCode).toBe(201);
    expect(bodyOf(asService)).toEqual(asMerchant);
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });

  describe('is refused with 403 before anything happens', () => {
    afterEach(() => {
      expect(secrets.calls()).toHaveLength(0);
      expect(fetchMock).not.toHaveBeenCalled();
      expect(db.calls()).toHaveLength(0);
      expect(idempotencyDb.calls()).toHaveLength(0);
      expect(sqs.calls()).toHaveLength(0);
    });

    test('when the body\'s merchantId is another merchant\'s: the token wins', async () => {
      const response = await requestAs('merchant-2', VALID);
      expect(response.statusCode).toBe(403);
      expect(bodyOf(response)).toEqual({
        message: 'merchantId "merchant-1" is not the merchant of the access token; a merchant may create payments only to itself',
      });
    });

    test('when the edge passes no valid merchant id', async () => {
      const response = await requestAs('not a merchant', VALID);
      expect(response.statusCode).toBe(403);
      expect(bodyOf(response)).toEqual({ message: 'Forbidden' });
    });
  });

  test('with an empty body is refused with 400, naming the missing fields: validation comes before the merchant check', async () => {
    const response = await requestAs('merchant-2', {});
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response).errors.map((e: { path: string }) => e.path)).toEqual(['merchantId', 'amountMinor', 'currency', 'payerAccountId']);
    expect(fetchMock).not.toHaveBeenCalled();
    expect(db.calls()).toHaveLength(0);
  });

  test('the pre-traffic smoke request (merchant smoke-test, an empty body) gets the status the manifest expects, 400', async () => {
    const smoke = smokeTestFor(ServiceManifestSchema.parse(manifest).functions.createPayment, 'dev');
    const response = await handler(smoke.event as APIGatewayProxyEvent, lambdaContext());
    expect(smoke.expectStatus).toEqual([400]);
    expect(response.statusCode).toBe(400);
    expect(fetchMock).not.toHaveBeenCalled();
    expect(db.calls()).toHaveLength(0);
    expect(sqs.calls()).toHaveLength(0);
  });
});
