import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  CompactSign, createLocalJWKSet, exportJWK, generateKeyPair, SignJWT,
  type CryptoKey, type JSONWebKeySet, type JWK, type JWTPayload, type JWTVerifyGetKey,
} from 'jose';
import type * as AuthorizerModule from '../../../services/edge/authorizer';
import { routeScopesParameterName } from '../../../services/edge/route-scopes';
import { EnvironmentError } from '../../../services/runtime/env';
import { setTestEnvironment } from '../../../services/runtime/testing';

const ISSUER = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_EdgeTest1';
const ROUTE_SCOPES = {
  'GET /payments/{paymentId}': ['payments/read'],
  'POST /payments': ['payments/write'],
  'GET /balances': ['ledger/read', 'payments/read'],
};
/** A merchant's Cognito app client id (26 lowercase letters and digits). */
const CLIENT_ID = '4f2kq8mz1r7tx0b3c5d6e9g1ha';

// The module builds its handler from the environment when it loads (a bad
// value fails the cold start), so a valid environment comes first.
setTestEnvironment({ EDGE_ISSUER: ISSUER, EDGE_TOKEN_USE: 'access', ROUTE_SCOPES: JSON.stringify(ROUTE_SCOPES) });
const authorizerModule = '../../../services/edge/authorizer';
const {
  createAuthorizer, loadConfig, ORIGIN_SECRET_CACHE_MS, ROUTE_SCOPES_CACHE, secretsManagerOrigin, ssmRouteScopes,
} = jest.requireActual<typeof AuthorizerModule>(authorizerModule);

/** The Cognito configuration the service stack renders. */
const COGNITO_ENV = { EDGE_ISSUER: ISSUER, EDGE_TOKEN_USE: 'access', ROUTE_SCOPES: JSON.stringify(ROUTE_SCOPES) };

/** A signing key of an issuer, with its public JWK as the JWKS publishes it. */
interface SigningKey {
  readonly alg: string;
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
}

async function signingKey(alg: 'RS256' | 'ES256' | 'PS256', kid: string): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg);
  return { alg, kid, privateKey, jwk: { ...await exportJWK(publicKey), kid, alg, use: 'sig' } };
}

let issuerKey: SigningKey;
let ecKey: SigningKey;
let strangerKey: SigningKey;
let jwks: JSONWebKeySet;
let keys: JWTVerifyGetKey;

beforeAll(async () => {
  issuerKey = await signingKey('RS256', 'cognito-key-1');
  ecKey = await signingKey('ES256', 'external-ec-1');
  strangerKey = await signingKey('RS256', 'stranger-1');
  jwks = { keys: [issuerKey.jwk, ecKey.jwk] };
  keys = createLocalJWKSet(jwks);
});

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The claims of a Cognito access token from the client credentials grant. */
function cognitoClaims(overrides: JWTPayload = {}): JWTPayload {
  const now = nowSeconds();
  return {
    sub: CLIENT_ID,
    token_use: 'access',
    scope: 'payments/read payments/write',
    auth_time: now - 60,
    iss: ISSUER,
    exp: now + 3600,
    iat: now - 60,
    version: 2,
    jti: 'b1f7a3c2-9d8e-4f6a-8b5c-1e2d3f4a5b6c',
    client_id: CLIENT_ID,
    ...overrides,
  };
}

/** Signs `claims` (a claim set to undefined is left out) with `key` (the issuer's by default). */
async function sign(claims: JWTPayload, options: { key?: SigningKey; kid?: string } = {}): Promise<string> {
  const key = options.key ?? issuerKey;
  const payload = Object.fromEntries(Object.entries(claims).filter(([, value]) => value !== undefined));
  return new SignJWT(payload).setProtectedHeader({ alg: key.alg, kid: options.kid ?? key.kid }).sign(key.privateKey);
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A token that is not signed by an asymmetric key: `alg: none`, or HS256 with a shared secret. */
async function unsignedToken(alg: 'none' | 'HS256'): Promise<string> {
  if (alg === 'none') return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(cognitoClaims())}.`;
  return new SignJWT(cognitoClaims()).setProtectedHeader({ alg: 'HS256', kid: issuerKey.kid })
    .sign(new TextEncoder().encode('a-shared-secret-of-at-least-32-bytes!'));
}

/** What a REQUEST authorizer event (payload format 2.0) is built from. */
interface EventOptions {
  /** @default 'GET /payments/{paymentId}' */
  readonly routeKey?: string;
  /** The Authorization header; undefined leaves it out. */
  readonly authorization?: string;
  /** The origin header CloudFront adds; undefined leaves it out. */
  readonly origin?: string;
}

/** A REQUEST authorizer event as an HTTP API sends it (payload format 2.0: lowercase header names). */
function authorizerEvent(options: EventOptions = {}): APIGatewayRequestAuthorizerEventV2 {
  const routeKey = options.routeKey ?? 'GET /payments/{paymentId}';
  const [method, route] = routeKey.split(' ');
  const rawPath = (route ?? '/').replace('{paymentId}', 'pay_01HZX3');
  const headers: Record<string, string> = {
    'accept': 'application/json',
    'host': 'api.dev.example-fintech.com',
    'user-agent': 'merchant-sdk/1.4',
    'x-amzn-trace-id': 'Root=1-66a0b1c2-0123456789abcdef01234567',
    'x-forwarded-for': '203.0.113.7',
    'x-forwarded-port': '443',
    'x-forwarded-proto': 'https',
  };
  if (options.authorization !== undefined) headers.authorization = options.authorization;
  if (options.origin !== undefined) headers['x-origin-verify'] = options.origin;
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: `arn:aws:execute-api:eu-west-1:123456789012:edge123/$default/${method}${route ?? ''}`,
    identitySource: options.authorization !== undefined ? [options.authorization, routeKey] : [routeKey],
    routeKey,
    rawPath,
    rawQueryString: '',
    cookies: [],
    headers,
    requestContext: {
      accountId: '123456789012',
      apiId: 'edge123',
      domainName: 'api.dev.example-fintech.com',
      domainPrefix: 'api',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'merchant-sdk/1.4' },
      requestId: 'Yx1AbCdEfGhIjK=',
      routeKey,
      stage: '$default',
      time: '01/Jan/2026:12:00:00 +0000',
      timeEpoch: 1767268800000,
    },
    pathParameters: route?.includes('{paymentId}') ? { paymentId: 'pay_01HZX3' } : {},
  };
}

/** A logger that records its calls. */
function recordingLogger() {
  return { debug: jest.fn(), info: jest.fn(), error: jest.fn() };
}

/** Runs one request through an authorizer built from `env` and `keySource`. */
async function authorize(event: APIGatewayRequestAuthorizerEventV2, env: Record<string, string> = COGNITO_ENV, keySource?: JWTVerifyGetKey) {
  const log = recordingLogger();
  const result = await createAuthorizer(loadConfig(env), keySource ?? keys, log)(event);
  return { result, log };
}

/** Every log line of `log`, serialized. */
const logText = (log: ReturnType<typeof recordingLogger>) =>
  JSON.stringify([...log.debug.mock.calls, ...log.info.mock.calls, ...log.error.mock.calls]);

/** The signature of a compact JWS (its third part). */
const signatureOf = (token: string) => token.split('.')[2];

/**
 * Asserts the request was refused with `{ isAuthorized: false }` and one info
 * line with `reason` and the route, and that no log line holds the token.
 */
function expectRefused(outcome: Awaited<ReturnType<typeof authorize>>, reason: string, token?: string, routeKey = 'GET /payments/{paymentId}') {
  expect(outcome.result).toEqual({ isAuthorized: false });
  expect(outcome.log.info).toHaveBeenCalledTimes(1);
  expect(outcome.log.info).toHaveBeenCalledWith('request refused', expect.objectContaining({ reason, routeKey }));
  expect(outcome.log.error).not.toHaveBeenCalled();
  if (token) {
    expect(logText(outcome.log)).not.toContain(token);
    if (signatureOf(token)) expect(logText(outcome.log)).not.toContain(signatureOf(token));
  }
}

describe('allowed requests', () => {
  test('a Cognito client credentials access token with the route\'s scope is allowed, with the merchant in the context', async () => {
    const token = await sign(cognitoClaims());
    const outcome = await authorize(authorizerEvent({ authorization: `Bearer ${token}` }));
    expect(outcome.result).toEqual({
      isAuthorized: true,
      context: { merchantId: CLIENT_ID, scopes: 'payments/read payments/write', clientId: CLIENT_ID },
    });
    expect(outcome.log.info).not.toHaveBeenCalled();
    expect(outcome.log.error).not.toHaveBeenCalled();
    expect(logText(outcome.log)).not.toContain(signatureOf(token));
  });

  test('one of the route\'s scopes is enough', async () => {
    const token = await sign(cognitoClaims({ scope: 'ledger/read' }));
    const outcome = await authorize(authorizerEvent({ routeKey: 'GET /balances', authorization: `Bearer ${token}` }));
    expect(outcome.result).toMatchObject({ isAuthorized: true, context: { scopes: 'ledger/read' } });
  });

  test.each(['bearer', 'BEARER', 'Bearer  '])('the %p scheme is accepted whatever its case', async scheme => {
    const token = await sign(cognitoClaims());
    const outcome = await authorize(authorizerEvent({ authorization: `${scheme} ${token}` }));
    expect(outcome.result.isAuthorized).toBe(true);
  });

  test('the scp claim of external issuers, as an array, is read as the token\'s scopes', async () => {
    const token = await sign(cognitoClaims({ scope: undefined, scp: ['payments/read', 'payments/refund'] }));
    const outcome = await authorize(authorizerEvent({ authorization: `Bearer ${token}` }));
    expect(outcome.result).toMatchObject({ isAuthorized: true, context: { scopes: 'payments/read payments/refund' } });
  });

  test('an external issuer\'s token: audience checked, merchant from a custom claim, client from sub, ES256 signature', async () => {
    const env = {
      EDGE_ISSUER: 'https://login.partner-idp.example/',
      EDGE_AUDIENCE: 'https://api.example-fintech.com',
      EDGE_MERCHANT_CLAIM: 'https://example-fintech.com/merchant_id',
      ROUTE_SCOPES: JSON.stringify(ROUTE_SCOPES),
    };
    const token = await sign({
      'iss': 'https://login.partner-idp.example/',
      'sub': 'Ab12Cd34@clients',
      'aud': ['https://api.example-fintech.com', 'https://login.partner-idp.example/userinfo'],
      'iat': nowSeconds() - 10,
      'exp': nowSeconds() + 600,
      'scp': 'payments/read',
      'https://example-fintech.com/merchant_id': 'merchant_0042',
    }, { key: ecKey });
    const outcome = await authorize(authorizerEvent({ authorization: `Bearer ${token}` }), env);
    expect(outcome.result).toEqual({
      isAuthorized: true,
      context: { merchantId: 'merchant_0042', scopes: 'payments/read', clientId: 'Ab12Cd34@clients' },
    });
  });
});

describe('refused requests', () => {
  test.each([
    ['no Authorization header', undefined, 'no Authorization header'],
    ['an empty Authorization header', '', 'no Authorization header'],
    ['a Basic credential', 'Basic bWVyY2hhbnQ6c2VjcmV0', 'the Authorization header is not a Bearer token'],
    ['the Bearer scheme alone', 'Bearer', 'the Authorization header is not a Bearer token'],
    ['a bearer token that is not a JWT', 'Bearer 2YotnFZFEjr1zKsicMWpAA', 'the bearer token is not a JWT'],
    ['two bearer tokens', 'Bearer a.b.c, Bearer d.e.f', 'the bearer token is not a JWT'],
    ['a JWT whose header is not JSON', 'Bearer bm90IGpzb24.e30.c2ln', 'malformed token'],
    ['a JWT with a garbled signature', 'Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6ImNvZ25pdG8ta2V5LTEifQ.e30.c2ln', 'bad signature'],
  ])('%s', async (_, authorization, reason) => {
    expectRefused(await authorize(authorizerEvent({ authorization })), reason);
  });

  test('a JWT sent without the Bearer scheme is refused, and not logged as if it were the scheme', async () => {
    const token = await sign(cognitoClaims());
    expectRefused(await authorize(authorizerEvent({ authorization: token })), 'the Authorization header is not a Bearer token', token);
  });

  test('a token signed by another key under the issuer\'s kid has a bad signature', async () => {
    const token = await sign(cognitoClaims(), { key: strangerKey, kid: issuerKey.kid });
    expectRefused(await authorize(authorizerEvent({ authorization: `Bearer ${token}` })), 'bad signature', token);
  });

  test('a token signed by a key the issuer does not publish is refused', async () => {
    const token = await sign(cognitoClaims(), { key: strangerKey });
    expectRefused(await authorize(authorizerEvent({ authorization: `Bearer ${token}` })),
      'no key of the issuer matches the token (unknown kid)', token);
  });

  test.each(['none', 'HS256'] as const)('an %s token is refused: only asymmetric algorithms are allowed', async alg => {
    const token = await unsignedToken(alg);
    expectRefused(await authorize(authorizerEvent({ authorization: `Bearer ${token}` })),
      'the token\'s algorithm is not allowed (allowed: RS256, ES256)', token);
  });

  test('a PS256 token is refused, though its RSA key is published', async () => {
    const psKey = await signingKey('PS256', 'pss-1');
    const token = await sign(cognitoClaims(), { key: psKey });
    const outcome = await authorize(authorizerEvent({ authorization: `Bearer ${token}` }), COGNITO_ENV, createLocalJWKSet({ keys: [psKey.jwk] }));
    expectRefused(outcome, 'the token\'s algorithm is not allowed (allowed: RS256, ES256)', token);
  });

  test('an expired token is refused', async () => {
    const token = await sign(cognitoClaims({ iat: nowSeconds() - 7200, exp: nowSeconds() - 3600 }));
    expectRefused(await authorize(authorizerEvent({ authorization: `Bearer ${token}` })), 'the token has expired', token);
  });

  test('a token without exp is refused: it would never expire', async () => {
    const token = await sign(cognitoClaims({ exp: undefined }));
    expectRefused(await authorize(authorizerEvent({ authorization: `Bearer ${token}` })), 'the token has no exp claim', token);
  });

  test('a token that is not yet valid is refused', async () => {
    const token = await sign(cognitoClaims({ nbf: nowSeconds() + 600 }));
    expectRefused(await authorize(authorizerEvent({ authorization: `Bearer ${token}` })), 'the token is not yet valid', token);
  });

  test('a token of another issuer (another user pool) is refused', async () => {
    const token = await sign(cognitoClaims({ iss: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Another99' }));
    expectRefused(await authorize(authorizerEvent({ authorization: `Bearer ${token}` })), 'wrong issuer', token);
  });

  test('a Cognito ID token is refused when EDGE_TOKEN_USE is access', async () => {
    const token = await sign(cognitoClaims({ token_use: 'id', aud: CLIENT_ID }));
    expectRefused(await authorize(authorizerEvent({ authorization: `Bearer ${token}` })), 'the token\'s token_use "id" is not "access"', token);
  });

  describe('with EDGE_AUDIENCE', () => {
    const env = { EDGE_ISSUER: ISSUER, EDGE_AUDIENCE: 'https://api.example-fintech.com', ROUTE_SCOPES: JSON.stringify(ROUTE_SCOPES) };

    test('a token for another audience is refused', async () => {
      const token = await sign(cognitoClaims({ aud: 'https://api.other-company.example' }));
      expectRefused(await authorize(authorizerEvent({ authorization: `Bearer ${token}` }), env), 'wrong audience', token);
    });

    test('a token without aud is refused', async () => {
      const token = await sign(cognitoClaims());
      expectRefused(await authorize(authorizerEvent({ authorization: `Bearer ${token}` }), env), 'the token has no aud claim', token);
    });

    test('a token for the audience is accepted', async () => {
      const token = await sign(cognitoClaims({ aud: 'https://api.example-fintech.com' }));
      expect((await authorize(authorizerEvent({ authorization: `Bearer ${token}` }), env)).result.isAuthorized).toBe(true);
    });
  });

  test('a token without the merchant claim is refused', async () => {
    const token = await sign(cognitoClaims({ client_id: undefined }));
    expectRefused(await authorize(authorizerEvent({ authorization: `Bearer ${token}` })), 'the token has no client_id claim (the merchant id)', token);
  });

  test.each([
    ['with characters outside the id pattern', 'merchant 42; drop'],
    ['starting with a dash', '-merchant'],
    ['longer than 64 characters', 'm'.repeat(65)],
    ['that is not a string', 42],
  ])('a merchant claim %s is refused, and its value is not logged', async (_, value) => {
    const token = await sign(cognitoClaims({ client_id: value }));
    const outcome = await authorize(authorizerEvent({ authorization: `Bearer ${token}` }));
    expectRefused(outcome, 'the token\'s client_id claim is not a valid merchant id', token);
    expect(logText(outcome.log)).not.toContain(String(value));
  });

  test('a custom EDGE_MERCHANT_CLAIM is required in the token', async () => {
    const token = await sign(cognitoClaims());
    expectRefused(await authorize(authorizerEvent({ authorization: `Bearer ${token}` }), { ...COGNITO_ENV, EDGE_MERCHANT_CLAIM: 'merchant_id' }),
      'the token has no merchant_id claim (the merchant id)', token);
  });

  test('a token without any of the route\'s scopes is refused, naming the route and the merchant', async () => {
    const token = await sign(cognitoClaims({ scope: 'payments/read' }));
    const outcome = await authorize(authorizerEvent({ routeKey: 'POST /payments', authorization: `Bearer ${token}` }));
    expectRefused(outcome, 'missing scope for route POST /payments: needs one of payments/write', token, 'POST /payments');
    expect(outcome.log.info).toHaveBeenCalledWith('request refused', expect.objectContaining({ merchantId: CLIENT_ID }));
  });

  test('a token without scopes is refused', async () => {
    const token = await sign(cognitoClaims({ scope: undefined }));
    expectRefused(await authorize(authorizerEvent({ authorization: `Bearer ${token}` })),
      'missing scope for route GET /payments/{paymentId}: needs one of payments/read', token);
  });

  test.each([
    ['scope as an array (OAuth 2.0 says a space-separated string)', { scope: ['payments/read'] }],
    ['scp as a number', { scope: undefined, scp: 42 }],
  ])('a malformed scope claim is refused: %s', async (_, claims) => {
    const token = await sign(cognitoClaims(claims));
    expectRefused(await authorize(authorizerEvent({ authorization: `Bearer ${token}` })), 'the token\'s scope or scp claim is malformed', token);
  });

  test('a JWT whose claims are not a JSON object is malformed', async () => {
    const token = await new CompactSign(new TextEncoder().encode('["not", "claims"]'))
      .setProtectedHeader({ alg: 'RS256', kid: issuerKey.kid }).sign(issuerKey.privateKey);
    expectRefused(await authorize(authorizerEvent({ authorization: `Bearer ${token}` })), 'malformed token', token);
  });

  test('a route missing from ROUTE_SCOPES is refused, whatever the token (fail closed)', async () => {
    const token = await sign(cognitoClaims());
    expectRefused(await authorize(authorizerEvent({ routeKey: 'DELETE /payments/{paymentId}', authorization: `Bearer ${token}` })),
      'route DELETE /payments/{paymentId} has no scopes configured (ROUTE_SCOPES)', token, 'DELETE /payments/{paymentId}');
  });

  test('a route key named like an inherited property is refused too', async () => {
    const token = await sign(cognitoClaims());
    expectRefused(await authorize(authorizerEvent({ routeKey: 'constructor', authorization: `Bearer ${token}` })),
      'route constructor has no scopes configured (ROUTE_SCOPES)', token, 'constructor');
  });
});

describe('unexpected errors', () => {
  test('an unreachable JWKS refuses the request (fail closed) and is logged as an error', async () => {
    const token = await sign(cognitoClaims());
    const unreachable: JWTVerifyGetKey = async () => {
      throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 3.248.0.1:443') });
    };
    const outcome = await authorize(authorizerEvent({ authorization: `Bearer ${token}` }), COGNITO_ENV, unreachable);
    expect(outcome.result).toEqual({ isAuthorized: false });
    expect(outcome.log.info).not.toHaveBeenCalled();
    expect(outcome.log.error).toHaveBeenCalledWith('request refused: the token could not be verified', {
      routeKey: 'GET /payments/{paymentId}',
      requestId: 'Yx1AbCdEfGhIjK=',
      error: { name: 'TypeError', code: undefined, message: 'fetch failed', cause: 'connect ECONNREFUSED 3.248.0.1:443' },
    });
  });

  test('an error that quotes the token is logged without it', async () => {
    const token = await sign(cognitoClaims());
    const leaky: JWTVerifyGetKey = async (_header, input) => {
      throw new Error(`cannot select a key for ${String(input.signature)} in ${token}`);
    };
    const outcome = await authorize(authorizerEvent({ authorization: `Bearer ${token}` }), COGNITO_ENV, leaky);
    expect(outcome.result).toEqual({ isAuthorized: false });
    expect(outcome.log.error).toHaveBeenCalledTimes(1);
    expect(logText(outcome.log)).not.toContain(token);
  });
});

describe('loadConfig', () => {
  const URL_RULE = 'must be an https URL (http only on localhost or 127.0.0.1: the local stage)';
  const SCOPES_RULE = 'must be a JSON object from route key to the scopes it needs, e.g. {"GET /payments/{paymentId}":["payments/read"]}';
  const routes = JSON.stringify({ 'GET /payments/{paymentId}': ['payments/read'] });

  test('defaults to Cognito: JWKS under the issuer, merchant from client_id, no audience', () => {
    expect(loadConfig({ EDGE_ISSUER: ISSUER, ROUTE_SCOPES: routes })).toEqual({
      issuer: ISSUER,
      jwksUri: `${ISSUER}/.well-known/jwks.json`,
      audience: undefined,
      tokenUse: undefined,
      merchantClaim: 'client_id',
      routeScopes: { 'GET /payments/{paymentId}': ['payments/read'] },
      passThroughRoutes: [],
    });
  });

  test('keeps the issuer as given but puts the JWKS under it without a double slash', () => {
    const config = loadConfig({ EDGE_ISSUER: 'https://login.partner-idp.example/', ROUTE_SCOPES: routes });
    expect(config.issuer).toBe('https://login.partner-idp.example/');
    expect(config.jwksUri).toBe('https://login.partner-idp.example/.well-known/jwks.json');
  });

  test.each(['http://localhost:4566/eu-west-1_Local', 'http://127.0.0.1:9229/issuer'])('accepts an http issuer on the local stage: %s', issuer => {
    expect(loadConfig({ EDGE_ISSUER: issuer, ROUTE_SCOPES: routes }).issuer).toBe(issuer);
  });

  test.each([
    ['not a URL', 'cognito-idp.eu-west-1.amazonaws.com/eu-west-1_EdgeTest1'],
    ['an http issuer on a non-local host', 'http://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_EdgeTest1'],
    ['an http issuer on a host that only starts like localhost', 'http://localhost.attacker.example/issuer'],
    ['another scheme', 'ftp://issuer.example/'],
  ])('refuses %s as EDGE_ISSUER, naming the variable, the value and what is allowed', (_, issuer) => {
    expect(() => loadConfig({ EDGE_ISSUER: issuer, ROUTE_SCOPES: routes })).toThrow(EnvironmentError);
    expect(() => loadConfig({ EDGE_ISSUER: issuer, ROUTE_SCOPES: routes }))
      .toThrow(`environment variable EDGE_ISSUER ${JSON.stringify(issuer)} is invalid: ${URL_RULE}`);
  });

  test('refuses a missing EDGE_ISSUER', () => {
    expect(() => loadConfig({ ROUTE_SCOPES: routes })).toThrow(`environment variable EDGE_ISSUER is not set; it ${URL_RULE}`);
  });

  test('refuses an http EDGE_JWKS_URI outside the local stage', () => {
    expect(() => loadConfig({ EDGE_ISSUER: ISSUER, EDGE_JWKS_URI: 'http://keys.example/jwks.json', ROUTE_SCOPES: routes }))
      .toThrow(`environment variable EDGE_JWKS_URI "http://keys.example/jwks.json" is invalid: ${URL_RULE}`);
  });

  test.each(['EDGE_AUDIENCE', 'EDGE_TOKEN_USE'])('refuses an empty %s rather than skip its check', name => {
    expect(() => loadConfig({ EDGE_ISSUER: ISSUER, ROUTE_SCOPES: routes, [name]: '' }))
      .toThrow(`environment variable ${name} "" is invalid: must not be empty; leave it unset to skip the check`);
  });

  test('refuses a merchant claim name with spaces', () => {
    expect(() => loadConfig({ EDGE_ISSUER: ISSUER, ROUTE_SCOPES: routes, EDGE_MERCHANT_CLAIM: 'merchant id' }))
      .toThrow('environment variable EDGE_MERCHANT_CLAIM "merchant id" is invalid: must be a claim name (no spaces); leave it unset for client_id');
  });

  test.each([
    ['not set (nor its SSM prefix)', undefined, 'environment variable ROUTE_SCOPES or ROUTE_SCOPES_PARAMETER_PREFIX must be set, not both: '
      + 'the routes\' scopes as JSON (local stage), or where their SSM parameters are (deployed edge)'],
    ['not JSON', '{GET /payments: payments/read}', `environment variable ROUTE_SCOPES "{GET /payments: payments/read}" is invalid: is not JSON; ${SCOPES_RULE}`],
    ['a JSON array', '["payments/read"]', `environment variable ROUTE_SCOPES "[\\"payments/read\\"]" is invalid: ${SCOPES_RULE}`],
    ['an empty object', '{}', `environment variable ROUTE_SCOPES "{}" is invalid: names no route; ${SCOPES_RULE}`],
    ['a scope string instead of a list', '{"POST /payments":"payments/write"}',
      'environment variable ROUTE_SCOPES "{\\"POST /payments\\":\\"payments/write\\"}" is invalid: ["POST /payments"] must be an array of scopes'],
    ['an empty scope list', '{"POST /payments":[]}',
      'environment variable ROUTE_SCOPES "{\\"POST /payments\\":[]}" is invalid: ["POST /payments"] must list at least one scope'],
    ['a scope with a space', '{"POST /payments":["payments/read payments/write"]}',
      'is invalid: ["POST /payments"][0] is not an OAuth scope; allowed: printable ASCII without spaces, " or \\'],
    ['a path without a method', '{"/payments":["payments/read"]}',
      'is invalid: ["/payments"] is not a route key; allowed: "METHOD /path" (e.g. "GET /payments/{paymentId}") or "$default"'],
  ])('refuses ROUTE_SCOPES %s, saying what is allowed', (_, value, message) => {
    const env = value === undefined ? { EDGE_ISSUER: ISSUER } : { EDGE_ISSUER: ISSUER, ROUTE_SCOPES: value };
    expect(() => loadConfig(env)).toThrow(message);
  });

  test('names every bad variable at once', () => {
    expect(() => loadConfig({ EDGE_ISSUER: 'http://issuer.example', ROUTE_SCOPES: 'nope' })).toThrow([
      `environment variable EDGE_ISSUER "http://issuer.example" is invalid: ${URL_RULE}`,
      `environment variable ROUTE_SCOPES "nope" is invalid: is not JSON; ${SCOPES_RULE}`,
    ].join('\n'));
  });

  test('accepts the $default route and ANY routes', () => {
    const config = loadConfig({ EDGE_ISSUER: ISSUER, ROUTE_SCOPES: JSON.stringify({ '$default': ['edge/all'], 'ANY /payments/{proxy+}': ['payments/admin'] }) });
    expect(Object.keys(config.routeScopes!)).toEqual(['$default', 'ANY /payments/{proxy+}']);
  });
});

describe('handler (the Lambda entry point)', () => {
  let server: http.Server;
  let issuer: string;
  let jwksRequests = 0;
  const saved = { ...process.env };

  beforeAll(async () => {
    server = http.createServer((request, response) => {
      if (request.url !== '/issuer/.well-known/jwks.json') {
        response.writeHead(404).end();
        return;
      }
      jwksRequests++;
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/issuer`;
  });

  afterAll(async () => {
    await new Promise(resolve => server.close(resolve));
  });

  afterEach(() => {
    process.env = { ...saved };
  });

  /** Loads the module afresh (a cold start) with `env` added to the environment. */
  function coldStart(env: Record<string, string>): typeof AuthorizerModule {
    Object.assign(process.env, env);
    let loaded: typeof AuthorizerModule | undefined;
    jest.isolateModules(() => {
      loaded = jest.requireActual<typeof AuthorizerModule>(authorizerModule);
    });
    return loaded!;
  }

  test('fetches the issuer\'s JWKS once per container and verifies tokens with it', async () => {
    const { handler } = coldStart({ EDGE_ISSUER: issuer, EDGE_TOKEN_USE: 'access', ROUTE_SCOPES: JSON.stringify(ROUTE_SCOPES) });
    const before = jwksRequests;
    for (let i = 0; i < 2; i++) {
      const token = await sign(cognitoClaims({ iss: issuer }));
      expect(await handler(authorizerEvent({ authorization: `Bearer ${token}` }))).toEqual({
        isAuthorized: true,
        context: { merchantId: CLIENT_ID, scopes: 'payments/read payments/write', clientId: CLIENT_ID },
      });
    }
    expect(jwksRequests - before).toBe(1);
  });

  test('refuses, without throwing, when the JWKS cannot be fetched', async () => {
    const { handler } = coldStart({ EDGE_ISSUER: issuer, EDGE_JWKS_URI: `${issuer}/no-such-jwks.json`, ROUTE_SCOPES: JSON.stringify(ROUTE_SCOPES) });
    const token = await sign(cognitoClaims({ iss: issuer }));
    expect(await handler(authorizerEvent({ authorization: `Bearer ${token}` }))).toEqual({ isAuthorized: false });
  });

  test('a bad environment fails the cold start, naming the variable', () => {
    expect(() => coldStart({ EDGE_ISSUER: issuer, ROUTE_SCOPES: '{"GET /payments":"payments/read"}' }))
      .toThrow('environment variable ROUTE_SCOPES "{\\"GET /payments\\":\\"payments/read\\"}" is invalid: ["GET /payments"] must be an array of scopes');
  });
});

describe('route scopes from SSM (the deployed edge: one authorizer, each route\'s scopes written by its service\'s stack)', () => {
  const PREFIX = '/acme-pay/dev/services/_edge/route-scopes/';
  const ssm = mockClient(SSMClient);
  const client = new SSMClient({ region: 'eu-west-1' });
  const parameterOf = (route: string, scopes: readonly string[]) => ({ Parameter: { Value: JSON.stringify({ route, scopes }) } });
  const notFound = new ParameterNotFound({ message: 'not found', $metadata: {} });
  /** SSM holding only the scopes of GET /payments/{paymentId}. */
  const onlyPaymentReads = () => {
    ssm.reset();
    ssm.on(GetParameterCommand).rejects(notFound);
    ssm.on(GetParameterCommand, { Name: routeScopesParameterName(PREFIX, 'GET /payments/{paymentId}') })
      .resolves(parameterOf('GET /payments/{paymentId}', ['payments/read']));
  };
  afterAll(() => ssm.restore());

  test('reads the route\'s parameter by its hashed name, keeps it a minute, and knows a missing one only a few seconds', async () => {
    onlyPaymentReads();
    let now = 1_000_000;
    const lookup = ssmRouteScopes(PREFIX, client, () => now);
    expect(await lookup('GET /payments/{paymentId}')).toEqual(['payments/read']);
    expect(await lookup('GET /payments/{paymentId}')).toEqual(['payments/read']);
    expect(ssm).toHaveReceivedCommandTimes(GetParameterCommand, 1);
    expect(ssm.commandCalls(GetParameterCommand)[0].args[0].input.Name).toMatch(/^\/acme-pay\/dev\/services\/_edge\/route-scopes\/[0-9a-f]{40}$/);
    expect(await lookup('DELETE /payments/{paymentId}')).toBeUndefined();
    now += ROUTE_SCOPES_CACHE.missingMs + 1;
    expect(await lookup('DELETE /payments/{paymentId}')).toBeUndefined();
    expect(ssm).toHaveReceivedCommandTimes(GetParameterCommand, 3);
    now += ROUTE_SCOPES_CACHE.foundMs;
    await lookup('GET /payments/{paymentId}');
    expect(ssm).toHaveReceivedCommandTimes(GetParameterCommand, 4);
  });

  test('a parameter that names another route, or holds no scopes, grants nothing', async () => {
    for (const value of [parameterOf('POST /payments', ['payments/write']), { Parameter: { Value: 'not json' } }, parameterOf('GET /payments/{paymentId}', [])]) {
      ssm.reset();
      ssm.on(GetParameterCommand).resolves(value);
      expect(await ssmRouteScopes(PREFIX, client)('GET /payments/{paymentId}')).toBeUndefined();
    }
  });

  test('through the authorizer: allowed with the route\'s scopes, refused for a route without a parameter, refused and logged when SSM fails', async () => {
    onlyPaymentReads();
    const config = loadConfig({ EDGE_ISSUER: ISSUER, EDGE_TOKEN_USE: 'access', ROUTE_SCOPES_PARAMETER_PREFIX: PREFIX });
    const token = await sign(cognitoClaims());
    const log = { debug: jest.fn(), info: jest.fn(), error: jest.fn() };
    const viaSsm = createAuthorizer(config, keys, log, ssmRouteScopes(PREFIX, client));
    expect(await viaSsm(authorizerEvent({ routeKey: 'GET /payments/{paymentId}', authorization: `Bearer ${token}` }))).toMatchObject({ isAuthorized: true });
    expect(await viaSsm(authorizerEvent({ routeKey: 'GET /refunds/{refundId}', authorization: `Bearer ${token}` }))).toEqual({ isAuthorized: false });
    expect(log.info).toHaveBeenCalledWith('request refused', expect.objectContaining({ reason: 'route GET /refunds/{refundId} has no scopes configured (no SSM parameter)' }));
    ssm.reset();
    ssm.on(GetParameterCommand).rejects(new Error('throttled'));
    const failing = createAuthorizer(config, keys, log, ssmRouteScopes(PREFIX, client));
    expect(await failing(authorizerEvent({ routeKey: 'GET /payments/{paymentId}', authorization: `Bearer ${token}` }))).toEqual({ isAuthorized: false });
    expect(log.error).toHaveBeenCalledTimes(1);
    expect(JSON.stringify(log.error.mock.calls)).not.toContain(token);
  });
});

describe('behind WAF: only requests that came through CloudFront (the origin header)', () => {
  const SECRET_ID = 'acme-pay/edge-prod/origin-verify';
  const CURRENT = 'c'.repeat(64);
  const PREVIOUS = 'p'.repeat(64);
  const secrets = mockClient(SecretsManagerClient);
  const client = new SecretsManagerClient({ region: 'eu-west-1' });
  const notFound = new ResourceNotFoundException({ message: 'no such version', $metadata: {} });
  /** Secrets Manager holding `current` and, when given, `previous`. */
  const holding = (current: string, previous?: string) => {
    secrets.reset();
    secrets.on(GetSecretValueCommand, { SecretId: SECRET_ID, VersionStage: 'AWSCURRENT' }).resolves({ SecretString: current });
    if (previous) secrets.on(GetSecretValueCommand, { SecretId: SECRET_ID, VersionStage: 'AWSPREVIOUS' }).resolves({ SecretString: previous });
    else secrets.on(GetSecretValueCommand, { SecretId: SECRET_ID, VersionStage: 'AWSPREVIOUS' }).rejects(notFound);
  };
  afterAll(() => secrets.restore());
  const WAF_ENV = {
    ...COGNITO_ENV,
    EDGE_ORIGIN_SECRET_ID: SECRET_ID,
    EDGE_PASS_THROUGH_ROUTES: JSON.stringify(['ANY /{proxy+}', 'ANY /']),
  };
  const behindWaf = (log = recordingLogger()) =>
    ({ log, authorize: createAuthorizer(loadConfig(WAF_ENV), keys, log, undefined, secretsManagerOrigin(SECRET_ID, client)) });

  test('a service route needs the origin header and then a token as before', async () => {
    holding(CURRENT);
    const token = await sign(cognitoClaims());
    const { authorize: check, log } = behindWaf();
    expect(await check(authorizerEvent({ authorization: `Bearer ${token}`, origin: CURRENT }))).toMatchObject({ isAuthorized: true, context: { merchantId: CLIENT_ID } });
    expect(await check(authorizerEvent({ origin: CURRENT }))).toEqual({ isAuthorized: false });
    expect(log.info).toHaveBeenLastCalledWith('request refused', expect.objectContaining({ reason: 'no Authorization header' }));
  });

  test.each([
    ['without the header (the regional origin called directly)', undefined],
    ['with an empty header', ''],
    ['with a wrong value', 'x'.repeat(64)],
    ['with a prefix of the value', CURRENT.slice(0, 63)],
  ])('refuses a valid token %s, never logging the header', async (_, origin) => {
    holding(CURRENT);
    const token = await sign(cognitoClaims());
    const log = recordingLogger();
    const outcome = { result: await behindWaf(log).authorize(authorizerEvent({ authorization: `Bearer ${token}`, origin })), log };
    expectRefused(outcome, 'no valid x-origin-verify header: the request did not come through the edge\'s CloudFront distribution', token);
    if (origin) expect(logText(log)).not.toContain(origin);
  });

  test('the monolith\'s routes pass with the header only (the monolith authenticates), and never without it', async () => {
    holding(CURRENT);
    const { authorize: check } = behindWaf();
    for (const routeKey of ['ANY /{proxy+}', 'ANY /']) {
      expect(await check(authorizerEvent({ routeKey, origin: CURRENT }))).toEqual({ isAuthorized: true });
      expect(await check(authorizerEvent({ routeKey }))).toEqual({ isAuthorized: false });
      expect(await check(authorizerEvent({ routeKey, origin: PREVIOUS }))).toEqual({ isAuthorized: false });
    }
    // A service route is not a pass-through route, whatever the header.
    expect(await check(authorizerEvent({ routeKey: 'POST /payments', origin: CURRENT }))).toEqual({ isAuthorized: false });
  });

  test('during a rotation both the current and the previous value pass; values are kept five minutes', async () => {
    holding(CURRENT, PREVIOUS);
    let now = 5_000_000;
    const check = secretsManagerOrigin(SECRET_ID, client, () => now);
    expect(await check(CURRENT)).toBe(true);
    expect(await check(PREVIOUS)).toBe(true);
    expect(await check('z'.repeat(64))).toBe(false);
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
    // Rotated again: the oldest value stops passing once the cache expires.
    holding('n'.repeat(64), CURRENT);
    expect(await check(PREVIOUS)).toBe(true);
    now += ORIGIN_SECRET_CACHE_MS;
    expect(await check(PREVIOUS)).toBe(false);
    expect(await check('n'.repeat(64))).toBe(true);
    expect(await check(CURRENT)).toBe(true);
  });

  test('Secrets Manager failing refuses the request and logs an error without the header', async () => {
    secrets.reset();
    secrets.on(GetSecretValueCommand).rejects(new Error('AccessDeniedException'));
    const { authorize: check, log } = behindWaf();
    expect(await check(authorizerEvent({ routeKey: 'ANY /{proxy+}', origin: CURRENT }))).toEqual({ isAuthorized: false });
    expect(log.error).toHaveBeenCalledTimes(1);
    expect(logText(log)).not.toContain(CURRENT);
  });

  test('pass-through routes need an origin secret, and must be route keys', () => {
    expect(() => loadConfig({ ...COGNITO_ENV, EDGE_PASS_THROUGH_ROUTES: '["ANY /{proxy+}"]' })).toThrow(
      'environment variable EDGE_PASS_THROUGH_ROUTES "[\\"ANY /{proxy+}\\"]" is invalid: needs EDGE_ORIGIN_SECRET_ID: '
      + 'routes that pass without a token are only for requests that came through WAF');
    expect(() => loadConfig({ ...WAF_ENV, EDGE_PASS_THROUGH_ROUTES: '["anything"]' })).toThrow(
      'environment variable EDGE_PASS_THROUGH_ROUTES "[\\"anything\\"]" is invalid: [0] is not a route key');
    expect(() => loadConfig({ ...WAF_ENV, EDGE_ORIGIN_SECRET_ID: 'has spaces' })).toThrow(
      'environment variable EDGE_ORIGIN_SECRET_ID "has spaces" is invalid: must be a Secrets Manager secret name');
    expect(loadConfig(WAF_ENV)).toMatchObject({ originSecretId: SECRET_ID, passThroughRoutes: ['ANY /{proxy+}', 'ANY /'] });
  });
});
