import * as z from 'zod';
import {
  errorResponse, ErrorLogger, formatPath, header, HttpError, httpHandler, json, parseJsonBody, parsePathParameters, parseQueryParameters,
} from '../../../services/runtime/http';
import { logger } from '../../../services/runtime/observability';
import { apiEvent, lambdaContext } from '../../../services/runtime/testing';

const Body = z.strictObject({
  name: z.string().min(1),
  items: z.array(z.strictObject({ quantity: z.int().positive() })).min(1),
});

function silentLogger(): jest.Mocked<ErrorLogger> {
  return { info: jest.fn(), error: jest.fn() } as unknown as jest.Mocked<ErrorLogger>;
}

/** What a handler throws, as a response. */
function refusal(f: () => unknown) {
  try {
    f();
  } catch (e) {
    return errorResponse(e, silentLogger());
  }
  throw new Error('expected a refusal');
}

describe('json', () => {
  test('answers JSON that is never cached', () => {
    expect(json(201, { id: 1 }, { location: '/x/1' })).toEqual({
      statusCode: 201,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store', 'location': '/x/1' },
      body: '{"id":1}',
    });
  });
});

describe('parseJsonBody', () => {
  test('returns the validated body', () => {
    expect(parseJsonBody(apiEvent({ body: { name: 'a', items: [{ quantity: 2 }] } }), Body)).toEqual({ name: 'a', items: [{ quantity: 2 }] });
  });

  test('decodes a base64 body', () => {
    const event = { body: Buffer.from('{"name":"a","items":[{"quantity":1}]}').toString('base64'), isBase64Encoded: true };
    expect(parseJsonBody(event, Body).name).toBe('a');
  });

  test('refuses a body that is not JSON with 400', () => {
    const response = refusal(() => parseJsonBody(apiEvent({ body: '{"name":' }), Body));
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toEqual({ message: 'Request body is not valid JSON' });
  });

  test('lists every problem with its path', () => {
    const response = refusal(() => parseJsonBody(apiEvent({ body: { name: '', items: [{ quantity: 1 }, { quantity: 0 }], extra: true } }), Body));
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toEqual({
      message: 'Invalid request body',
      errors: [
        { path: 'name', message: expect.stringContaining('>=1 characters') },
        { path: 'items[1].quantity', message: expect.stringContaining('>0') },
        { path: '', message: expect.stringContaining('"extra"') },
      ],
    });
  });

  test('treats a missing body as no value, which an object schema refuses', () => {
    const response = refusal(() => parseJsonBody(apiEvent(), Body));
    expect(JSON.parse(response.body)).toEqual({ message: 'Invalid request body', errors: [{ path: '', message: expect.stringContaining('expected object') }] });
  });
});

describe('parameters', () => {
  test('validates path parameters, refusing with 400', () => {
    const schema = z.object({ id: z.string().regex(/^pay_/, { error: 'is not a payment id' }) });
    expect(parsePathParameters(apiEvent({ pathParameters: { id: 'pay_1' } }), schema)).toEqual({ id: 'pay_1' });
    const response = refusal(() => parsePathParameters(apiEvent({ pathParameters: { id: 'x' } }), schema));
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toEqual({ message: 'Invalid path parameters', errors: [{ path: 'id', message: 'is not a payment id' }] });
  });

  test('validates query parameters; none at all is an empty object', () => {
    const schema = z.object({ limit: z.string().optional() });
    expect(parseQueryParameters(apiEvent(), schema)).toEqual({});
    expect(JSON.parse(refusal(() => parseQueryParameters(apiEvent({ queryStringParameters: { limit: '1' } }), z.object({ limit: z.number() }))).body).message)
      .toBe('Invalid query parameters');
  });

  test('finds headers whatever their case', () => {
    const event = apiEvent({ headers: { 'idempotency-key': 'k-1' } });
    expect(header(event, 'Idempotency-Key')).toBe('k-1');
    expect(header(event, 'X-Other')).toBeUndefined();
  });
});

describe('formatPath', () => {
  test('renders paths in accessor notation', () => {
    expect(formatPath([])).toBe('');
    expect(formatPath(['entries', 0, 'amountMinor'])).toBe('entries[0].amountMinor');
    expect(formatPath([0, 'a'])).toBe('[0].a');
  });
});

describe('errorResponse', () => {
  test('answers an HttpError with its status, message and details, logged as a refusal', () => {
    const log = silentLogger();
    const response = errorResponse(new HttpError(422, 'The ledger refused the payment', { reason: 'unbalanced' }), log);
    expect(response.statusCode).toBe(422);
    expect(JSON.parse(response.body)).toEqual({ message: 'The ledger refused the payment', reason: 'unbalanced' });
    expect(log.info).toHaveBeenCalledWith('request refused', { statusCode: 422, reason: 'The ledger refused the payment' });
    expect(log.error).not.toHaveBeenCalled();
  });

  test('answers any other error with a bare 500 and logs it with its stack', () => {
    const log = silentLogger();
    const error = new Error('AccessDeniedException: arn:aws:dynamodb:eu-west-1:123456789012:table/payments');
    const response = errorResponse(error, log);
    expect(response.statusCode).toBe(500);
    expect(response.body).toBe('{"message":"Internal server error"}');
    expect(log.error).toHaveBeenCalledWith('unhandled error', error);
  });

  test('logs a 5xx HttpError as a failure', () => {
    const log = silentLogger();
    expect(errorResponse(new HttpError(502, 'The ledger could not be reached'), log).statusCode).toBe(502);
    expect(log.error).toHaveBeenCalledWith('request failed', expect.objectContaining({ statusCode: 502 }));
  });
});

describe('httpHandler', () => {
  test('passes answers through and turns thrown errors into responses, logged with the function\'s logger', async () => {
    const info = jest.spyOn(logger, 'info').mockImplementation(() => undefined);
    const ok = httpHandler(async () => json(200, { ok: true }));
    expect((await ok(apiEvent(), lambdaContext())).statusCode).toBe(200);
    const refused = httpHandler(async () => {
      throw new HttpError(404, 'Payment pay_1 not found');
    });
    const response = await refused(apiEvent(), lambdaContext());
    expect(response).toEqual(json(404, { message: 'Payment pay_1 not found' }));
    expect(info).toHaveBeenCalledWith('request refused', { statusCode: 404, reason: 'Payment pay_1 not found' });
  });
});
