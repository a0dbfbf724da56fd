// First: Powertools instances read the environment when their module loads.
import './quiet-environment';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { errorResponse, ErrorLogger, HttpError } from '../../../services/runtime/http';
import { assertOwnedByCaller, Caller, callerOf, CallerLogger, ownedByCaller } from '../../../services/runtime/merchant';
import { apiEvent } from '../../../services/runtime/testing';

// A made-up JWT, signed by nothing.
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJtLTEifQ.c2lnbmF0dXJl'; // gitleaks:allow

/** An event from the edge whose authorizer output is `authorizer`, with the merchant's token in its headers. */
function edgeEvent(authorizer: unknown): APIGatewayProxyEvent {
  const event = apiEvent({ resource: '/payments/{paymentId}', pathParameters: { paymentId: 'pay_1' }, headers: { Authorization: `Bearer ${TOKEN}` } });
  return { ...event, requestContext: { ...event.requestContext, authorizer: authorizer as APIGatewayProxyEvent['requestContext']['authorizer'] } };
}

function silentLogger(): jest.Mocked<CallerLogger> {
  return { error: jest.fn() };
}

/** What `f` throws, as the response the handler answers. */
function refusal(f: () => unknown) {
  try {
    f();
  } catch (e) {
    return errorResponse(e, { info: jest.fn(), error: jest.fn() } as unknown as ErrorLogger);
  }
  throw new Error('expected a refusal');
}

const MERCHANT: Caller = { kind: 'merchant', merchantId: 'm-1', scopes: ['payments/read'] };
const SERVICE: Caller = { kind: 'service', principal: 'arn:aws:sts::123456789012:assumed-role/payments/fn' };

describe('callerOf', () => {
  test('an edge request is the merchant its authorizer verified, with the token\'s scopes', () => {
    const event = apiEvent({ merchant: { merchantId: 'm-1', scopes: ['payments/read', 'payments/write'] } });
    expect(event.requestContext.authorizer).toEqual({ lambda: { merchantId: 'm-1', scopes: 'payments/read payments/write', clientId: 'm-1' } });
    expect(callerOf(event)).toEqual({ kind: 'merchant', merchantId: 'm-1', scopes: ['payments/read', 'payments/write'] });
  });

  test('accepts the authorizer context flattened onto requestContext.authorizer (payload format 1.0)', () => {
    const event = edgeEvent({ merchantId: 'm-2', scopes: 'notifications/read', clientId: 'm-2', principalId: 'm-2', integrationLatency: 12 });
    expect(callerOf(event)).toEqual({ kind: 'merchant', merchantId: 'm-2', scopes: ['notifications/read'] });
  });

  test.each([
    ['missing', undefined, []],
    ['empty', '', []],
    ['space-padded', '  a/read   b/write ', ['a/read', 'b/write']],
  ])('%s scopes are read as a list', (_, scopes, expected) => {
    expect(callerOf(edgeEvent({ lambda: { merchantId: 'm-1', scopes } }))).toEqual({ kind: 'merchant', merchantId: 'm-1', scopes: expected });
  });

  test('a request through the IAM API is a service, named by the ARN that signed it', () => {
    expect(callerOf(apiEvent())).toEqual({ kind: 'service', principal: 'arn:aws:sts::123456789012:assumed-role/caller/test' });
  });

  test('the pre-traffic hook\'s request on an internal route (no authorizer, no identity ARN) is a service without principal', () => {
    // As services/service-stack.ts (smokeTestFor) renders it.
    const hookEvent = { requestContext: { stage: 'dev', requestId: 'pre-traffic-smoke-test', identity: { caller: 'pre-traffic-hook' } } };
    expect(callerOf(hookEvent as unknown as APIGatewayProxyEvent)).toEqual({ kind: 'service', principal: null });
  });

  test('nothing in the request but the authorizer output names the merchant', () => {
    const event = apiEvent({
      merchant: { merchantId: 'm-1' },
      pathParameters: { merchantId: 'm-2' },
      queryStringParameters: { merchantId: 'm-2' },
      headers: { 'x-merchant-id': 'm-2' },
      body: { merchantId: 'm-2' },
    });
    expect(callerOf(event)).toMatchObject({ kind: 'merchant', merchantId: 'm-1' });
  });

  describe('an authorizer output without a valid merchant (a misconfigured edge) is refused with 403, never taken for a service', () => {
    test.each([
      ['no merchantId', { lambda: { scopes: 'payments/read', clientId: 'c-1' } }, 'merchantId: merchant id must be a string'],
      ['an empty merchantId', { lambda: { merchantId: '', scopes: '' } }, 'merchantId: is not a valid merchant id; allowed: 1-64 letters, digits, "_" or "-", starting with a letter or digit'],
      ['a malformed merchantId', { merchantId: '../m-2', scopes: '' }, 'merchantId: is not a valid merchant id; allowed: 1-64 letters, digits, "_" or "-", starting with a letter or digit'],
      ['a merchantId that is not a string', { lambda: { merchantId: 42 } }, 'merchantId: merchant id must be a string'],
      ['scopes that are not a string', { lambda: { merchantId: 'm-1', scopes: ['payments/read'] } }, 'scopes: must be a space-separated string'],
      ['a null lambda context', { lambda: null }, 'context: Invalid input: expected object, received null'],
      ['only what API Gateway adds', { principalId: 'm-1', integrationLatency: 3 }, 'merchantId: merchant id must be a string'],
      ['an empty object', {}, 'merchantId: merchant id must be a string'],
    ])('%s', (_, authorizer, problem) => {
      const log = silentLogger();
      const response = refusal(() => callerOf(edgeEvent(authorizer), log));
      expect(response.statusCode).toBe(403);
      expect(JSON.parse(response.body)).toEqual({ message: 'Forbidden' });
      expect(log.error).toHaveBeenCalledTimes(1);
      expect(log.error).toHaveBeenCalledWith('the edge authorizer passed no valid merchant context; request refused', expect.objectContaining({
        problems: [problem],
      }));
    });

    test('the log line names the fields and the problem, never values, headers or the token', () => {
      const log = silentLogger();
      const event = edgeEvent({ lambda: { merchantId: `Bearer ${TOKEN}`, scopes: 'payments/read', clientId: 'c-1' } });
      expect(() => callerOf(event, log)).toThrow(HttpError);
      expect(log.error).toHaveBeenCalledWith(expect.any(String), {
        fields: ['merchantId', 'scopes', 'clientId'],
        problems: ['merchantId: is not a valid merchant id; allowed: 1-64 letters, digits, "_" or "-", starting with a letter or digit'],
      });
      const logged = JSON.stringify(log.error.mock.calls);
      expect(logged).not.toContain(TOKEN);
      expect(logged).not.toContain('payments/read');
    });
  });
});

describe('ownedByCaller', () => {
  test('a merchant owns only its own resources', () => {
    expect(ownedByCaller(MERCHANT, 'm-1')).toBe(true);
    expect(ownedByCaller(MERCHANT, 'm-2')).toBe(false);
    // Exact: no prefix or case folding.
    expect(ownedByCaller(MERCHANT, 'M-1')).toBe(false);
    expect(ownedByCaller(MERCHANT, 'm-10')).toBe(false);
  });

  test('a service (IAM, inside the organization) may act on any merchant\'s', () => {
    expect(ownedByCaller(SERVICE, 'm-1')).toBe(true);
    expect(ownedByCaller({ kind: 'service', principal: null }, 'm-2')).toBe(true);
  });
});

describe('assertOwnedByCaller', () => {
  const notFound = () => new HttpError(404, 'Payment pay_1 not found');

  test('answers another merchant\'s resource exactly as a missing one', () => {
    const refused = refusal(() => assertOwnedByCaller(MERCHANT, 'm-2', notFound));
    const missing = errorResponse(notFound(), { info: jest.fn(), error: jest.fn() } as unknown as ErrorLogger);
    expect(refused).toEqual(missing);
    expect(refused.statusCode).toBe(404);
  });

  test('lets a merchant reach its own and a service reach any', () => {
    expect(() => assertOwnedByCaller(MERCHANT, 'm-1', notFound)).not.toThrow();
    expect(() => assertOwnedByCaller(SERVICE, 'm-2', notFound)).not.toThrow();
  });
});
