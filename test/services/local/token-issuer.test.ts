import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader } from 'jose';
import type * as AuthorizerModule from '../../../services/edge/authorizer';
import { LOCAL_CLIENT_SECRET, startTokenIssuer, TokenIssuer } from '../../../services/local/token-issuer';
import { setTestEnvironment } from '../../../services/runtime/testing';

const ROUTE_SCOPES = { 'POST /payments': ['payments/write'], 'GET /payments/{paymentId}': ['payments/read'] };
// The authorizer module configures its own handler from the environment when it loads: a valid one first.
setTestEnvironment({ EDGE_ISSUER: 'http://127.0.0.1:1', ROUTE_SCOPES: JSON.stringify(ROUTE_SCOPES) });
const { createAuthorizer, loadConfig } = jest.requireActual<typeof AuthorizerModule>('../../../services/edge/authorizer');

const SCOPES = ['payments/write', 'payments/read', 'ledger/read'];
const silent = { debug: () => undefined, info: () => undefined, error: () => undefined };
let issuer: TokenIssuer;

beforeAll(async () => {
  issuer = await startTokenIssuer({ scopes: SCOPES, accessTokenMinutes: 30 });
});
afterAll(() => issuer.stop());

/** POSTs a form to the token endpoint; `basic` authenticates with HTTP Basic. */
async function requestToken(form: Record<string, string>, options: { basic?: [string, string]; contentType?: string } = {}) {
  const response = await fetch(issuer.tokenUrl, {
    method: 'POST',
    headers: {
      'content-type': options.contentType ?? 'application/x-www-form-urlencoded',
      ...(options.basic ? { authorization: `Basic ${Buffer.from(options.basic.join(':')).toString('base64')}` } : {}),
    },
    body: new URLSearchParams(form).toString(),
  });
  return { status: response.status, cacheControl: response.headers.get('cache-control'), body: await response.json() as Record<string, unknown> };
}

/** The authorizer as the edge deploys it for a Cognito pool, trusting this issuer, with its keys from the JWKS endpoint. */
function authorizer() {
  const config = loadConfig({ EDGE_ISSUER: issuer.issuer, EDGE_TOKEN_USE: 'access', EDGE_MERCHANT_CLAIM: 'client_id', ROUTE_SCOPES: JSON.stringify(ROUTE_SCOPES) });
  return createAuthorizer(config, createRemoteJWKSet(new URL(issuer.jwksUrl)), silent);
}

const authorizerEvent = (routeKey: string, token: string) => ({
  routeKey,
  headers: { authorization: `Bearer ${token}` },
  requestContext: { requestId: 'r-1' },
}) as unknown as Parameters<ReturnType<typeof authorizer>>[0];

describe('the local token issuer (client credentials, as a Cognito user pool)', () => {
  test('a merchant authenticated with HTTP Basic gets an access token with Cognito\'s claims and every scope of the edge', async () => {
    const answer = await requestToken({ grant_type: 'client_credentials' }, { basic: ['merchant-1', LOCAL_CLIENT_SECRET] });
    expect(answer).toMatchObject({ status: 200, cacheControl: 'no-store', body: { token_type: 'Bearer', expires_in: 1800 } });
    const token = answer.body.access_token as string;
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'RS256', kid: expect.stringMatching(/^local-/) });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      iss: issuer.issuer, client_id: 'merchant-1', sub: 'merchant-1', token_use: 'access', scope: 'ledger/read payments/read payments/write',
    });
    expect(claims.exp! - claims.iat!).toBe(1800);
    expect(claims.jti).toEqual(expect.any(String));
  });

  test('client id and secret as form fields, and the scopes asked for only', async () => {
    const answer = await requestToken({ grant_type: 'client_credentials', client_id: 'merchant-2', client_secret: LOCAL_CLIENT_SECRET, scope: 'payments/read' });
    expect(answer.status).toBe(200);
    expect(decodeJwt(answer.body.access_token as string)).toMatchObject({ client_id: 'merchant-2', scope: 'payments/read' });
  });

  const basic: [string, string] = ['merchant-1', LOCAL_CLIENT_SECRET];
  test.each([
    ['a wrong secret', 'invalid_client', { grant_type: 'client_credentials' }, { basic: ['merchant-1', 'guess'] as [string, string] },
      `client authentication failed for merchant-1 (every local merchant's secret is ${LOCAL_CLIENT_SECRET})`],
    ['a client id that is no merchant id', 'invalid_client', { grant_type: 'client_credentials' }, { basic: ['no/such merchant', LOCAL_CLIENT_SECRET] as [string, string] },
      'unknown client "no/such merchant"; local clients are merchant ids: 1-64 letters, digits, "_" or "-", starting with a letter or digit'],
    ['no client authentication', 'invalid_client', { grant_type: 'client_credentials' }, {},
      'client authentication is missing; send the client id and secret by HTTP Basic authentication or as client_id and client_secret'],
    ['another grant type', 'unsupported_grant_type', { grant_type: 'password', username: 'u', password: 'p' }, { basic },
      'grant_type "password" is not supported; allowed: client_credentials'],
    ['no grant type', 'invalid_request', {}, { basic }, 'grant_type is missing; allowed: client_credentials'],
    ['a JSON body', 'invalid_request', { grant_type: 'client_credentials' }, { basic, contentType: 'application/json' },
      'the body must be application/x-www-form-urlencoded (got "application/json")'],
    ['a scope no route declares', 'invalid_scope', { grant_type: 'client_credentials', scope: 'payments/read payments/admin' }, { basic },
      'no route of the edge declares "payments/admin"; allowed: ledger/read payments/read payments/write'],
  ])('%s answers 400 %s, as OAuth 2.0 says', async (_, error, form, options, description) => {
    const answer = await requestToken(form, options);
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error, error_description: description });
  });

  test('the endpoints answer only what they serve', async () => {
    expect((await fetch(issuer.tokenUrl)).status).toBe(405);
    expect((await fetch(`${issuer.issuer}/oauth2/authorize`)).status).toBe(404);
    const jwks = await (await fetch(issuer.jwksUrl)).json() as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys).toEqual([expect.objectContaining({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: expect.any(String) })]);
    // Public key only.
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });

  test('its tokens pass the edge\'s authorizer (keys from its JWKS); the route\'s scope is still required', async () => {
    const { body } = await requestToken({ grant_type: 'client_credentials', scope: 'payments/read' }, { basic: ['merchant-1', LOCAL_CLIENT_SECRET] });
    const authorize = authorizer();
    expect(await authorize(authorizerEvent('GET /payments/{paymentId}', body.access_token as string))).toEqual({
      isAuthorized: true, context: { merchantId: 'merchant-1', scopes: 'payments/read', clientId: 'merchant-1' },
    });
    expect(await authorize(authorizerEvent('POST /payments', body.access_token as string))).toEqual({ isAuthorized: false });
  });

  test('mintToken signs tokens directly, for tests: any scopes, any claims', async () => {
    const authorize = authorizer();
    const minted = await issuer.mintToken({ clientId: 'merchant-3', scopes: ['payments/write'] });
    expect(await authorize(authorizerEvent('POST /payments', minted))).toMatchObject({ isAuthorized: true, context: { merchantId: 'merchant-3' } });
    const expired = await issuer.mintToken({ clientId: 'merchant-3', claims: { exp: Math.floor(Date.now() / 1000) - 60 } });
    expect(await authorize(authorizerEvent('POST /payments', expired))).toEqual({ isAuthorized: false });
    const idToken = await issuer.mintToken({ clientId: 'merchant-3', claims: { token_use: 'id' } });
    expect(await authorize(authorizerEvent('POST /payments', idToken))).toEqual({ isAuthorized: false });
  });

  test('a token of another issuer (another stage, another key) is refused', async () => {
    const other = await startTokenIssuer({ scopes: SCOPES });
    try {
      // Claiming this issuer, signed with the other's key.
      const forged = await other.mintToken({ clientId: 'merchant-1', claims: { iss: issuer.issuer } });
      expect(await authorizer()(authorizerEvent('POST /payments', forged))).toEqual({ isAuthorized: false });
    } finally {
      await other.stop();
    }
  });
});
