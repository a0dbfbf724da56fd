/**
 * The merchants' token issuer of the local stage: an HTTP server on a
 * loopback port that stands in for the environment's Cognito user pool, for
 * the one grant merchants use, client credentials (OAuth 2.0, RFC 6749
 * section 4.4):
 *
 * - `GET /.well-known/jwks.json`: its public key (RS256, generated at start,
 *   so tokens of an earlier run are refused: a new stage, a new pool);
 * - `POST /oauth2/token` (`application/x-www-form-urlencoded`,
 *   `grant_type=client_credentials`, the client id and secret by HTTP Basic
 *   authentication or as `client_id` and `client_secret` form fields, an
 *   optional space-separated `scope`): `{ access_token, token_type, expires_in }`.
 *
 * Its access tokens carry the claims of Cognito's (`iss` = {@link TokenIssuer.issuer},
 * `client_id` and `sub` = the client id, `token_use: 'access'`, `scope`,
 * `exp`, `iat`, `jti`, `auth_time`, `version`), so the edge's authorizer
 * verifies them with the configuration it has when deployed with Cognito.
 *
 * Local merchants: every client id that is a valid merchant id
 * (services/runtime/ids.ts) exists, with the secret {@link LOCAL_CLIENT_SECRET}.
 * As in Cognito, a client asking for no scope gets every scope it may have
 * (here: every scope the edge's public routes declare).
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type CryptoKey, type JWK, type JWTPayload, SignJWT } from 'jose';
import { ID_PATTERN } from '../runtime/ids';

/** The client secret of every local merchant. Local only: no deployed pool has it. */
export const LOCAL_CLIENT_SECRET = 'local-secret';

/** The grant the issuer serves. */
const CLIENT_CREDENTIALS = 'client_credentials';

/** Options of {@link startTokenIssuer}. */
export interface TokenIssuerOptions {
  /** The scopes a client may ask for, and gets when it asks for none: those of the edge's public routes. */
  readonly scopes: readonly string[];
  /** Lifetime of access tokens. @default 60 (Cognito's default) */
  readonly accessTokenMinutes?: number;
  /** @default 0 - a free port */
  readonly port?: number;
}

/** What {@link TokenIssuer.mintToken} signs. */
export interface MintOptions {
  /** The merchant: its `client_id` and `sub`. */
  readonly clientId: string;
  /** The token's scopes; not checked against the issuer's (a test may want any). @default - every scope of the issuer */
  readonly scopes?: readonly string[];
  /** @default - the issuer's access token lifetime */
  readonly expiresInSeconds?: number;
  /** Claims to add or replace (undefined removes one), for tests of what the authorizer refuses. */
  readonly claims?: Readonly<Record<string, unknown>>;
}

/** A running token issuer. */
export interface TokenIssuer {
  /** The issuer, `http://127.0.0.1:PORT`: the tokens' `iss`, and where the edge's authorizer finds its JWKS. */
  readonly issuer: string;
  /** `<issuer>/.well-known/jwks.json`. */
  readonly jwksUrl: string;
  /** `<issuer>/oauth2/token`: where merchants get tokens. */
  readonly tokenUrl: string;
  readonly port: number;
  /** The scopes clients may ask for. */
  readonly scopes: readonly string[];
  /** Signs an access token directly, without the grant (for tests). */
  mintToken(options: MintOptions): Promise<string>;
  stop(): Promise<void>;
}

/** An OAuth 2.0 error answer (RFC 6749 section 5.2). */
class OAuthError extends Error {
  constructor(public readonly status: number, public readonly code: string, description: string) {
    super(description);
  }
}

/** Starts the issuer on `options.port` (0: any free port) with a fresh RS256 key. */
export async function startTokenIssuer(options: TokenIssuerOptions): Promise<TokenIssuer> {
  const scopes = [...new Set(options.scopes)].sort();
  const lifetimeSeconds = (options.accessTokenMinutes ?? 60) * 60;
  const kid = `local-${randomUUID()}`;
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk: JWK = { ...await exportJWK(publicKey), kid, alg: 'RS256', use: 'sig' };
  let issuer = '';

  const mintToken = (mint: MintOptions) => sign(privateKey, kid, issuer, mint, mint.scopes ?? scopes, mint.expiresInSeconds ?? lifetimeSeconds);

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        // Tokens must never be cached (RFC 6749 section 5.1); neither must errors about credentials.
        res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'pragma': 'no-cache', ...headers });
        res.end(JSON.stringify(body));
      };
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname === '/.well-known/jwks.json') {
        if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, { message: 'allowed: GET' }, { allow: 'GET' });
        return reply(200, { keys: [jwk] });
      }
      if (url.pathname !== '/oauth2/token') return reply(404, { message: 'not found; allowed: GET /.well-known/jwks.json, POST /oauth2/token' });
      if (req.method !== 'POST') return reply(405, { error: 'invalid_request', error_description: 'the token endpoint takes POST only' }, { allow: 'POST' });
      grant(req.headers, Buffer.concat(chunks).toString('utf8'), scopes).then(
        async ({ clientId, granted }) => reply(200, {
          access_token: await mintToken({ clientId, scopes: granted }),
          token_type: 'Bearer',
          expires_in: lifetimeSeconds,
        }),
        (error: unknown) => {
          if (!(error instanceof OAuthError)) {
            console.error('local token issuer:', error);
            return reply(500, { error: 'server_error', error_description: 'the local token issuer failed; see its log' });
          }
          return reply(error.status, { error: error.code, error_description: error.message });
        },
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  issuer = `http://127.0.0.1:${port}`;
  return {
    issuer,
    jwksUrl: `${issuer}/.well-known/jwks.json`,
    tokenUrl: `${issuer}/oauth2/token`,
    port,
    scopes,
    mintToken,
    stop: () => new Promise<void>(resolve => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/**
 * The client credentials grant: who the client is and the scopes it gets;
 * throws an {@link OAuthError} for what RFC 6749 section 5.2 names.
 */
async function grant(headers: http.IncomingHttpHeaders, body: string, allowed: readonly string[]): Promise<{ clientId: string; granted: string[] }> {
  const contentType = (headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (contentType !== 'application/x-www-form-urlencoded') {
    throw new OAuthError(400, 'invalid_request', `the body must be application/x-www-form-urlencoded (got ${contentType ? JSON.stringify(contentType) : 'no content type'})`);
  }
  const form = new URLSearchParams(body);
  const grantType = form.get('grant_type');
  if (!grantType) throw new OAuthError(400, 'invalid_request', 'grant_type is missing; allowed: client_credentials');
  if (grantType !== CLIENT_CREDENTIALS) {
    throw new OAuthError(400, 'unsupported_grant_type', `grant_type ${JSON.stringify(grantType)} is not supported; allowed: client_credentials`);
  }

  const basic = basicCredentials(headers.authorization);
  const inForm = form.has('client_id') || form.has('client_secret');
  // RFC 6749 section 2.3: a client uses one authentication method per request.
  if (basic && inForm) throw new OAuthError(400, 'invalid_request', 'the client authenticated twice (HTTP Basic and form fields); use one');
  const clientId = basic?.clientId ?? form.get('client_id') ?? undefined;
  const secret = basic?.secret ?? form.get('client_secret') ?? undefined;
  // Cognito answers 400 for a failed client authentication (RFC 6749 allows it; 401 is for servers that send WWW-Authenticate).
  if (!clientId || secret === undefined) {
    throw new OAuthError(400, 'invalid_client', 'client authentication is missing; send the client id and secret by HTTP Basic authentication or as client_id and client_secret');
  }
  if (!ID_PATTERN.test(clientId)) {
    throw new OAuthError(400, 'invalid_client', `unknown client ${JSON.stringify(clientId)}; local clients are merchant ids: 1-64 letters, digits, "_" or "-", starting with a letter or digit`);
  }
  if (!sameSecret(secret, LOCAL_CLIENT_SECRET)) {
    throw new OAuthError(400, 'invalid_client', `client authentication failed for ${clientId} (every local merchant's secret is ${LOCAL_CLIENT_SECRET})`);
  }

  const requested = (form.get('scope') ?? '').split(' ').filter(s => s !== '');
  const unknown = requested.filter(s => !allowed.includes(s));
  if (unknown.length) {
    throw new OAuthError(400, 'invalid_scope', `no route of the edge declares ${unknown.map(s => JSON.stringify(s)).join(', ')}; allowed: ${allowed.join(' ') || 'none'}`);
  }
  return { clientId, granted: requested.length ? [...new Set(requested)] : [...allowed] };
}

/** The client id and secret of an HTTP Basic Authorization header (form-urlencoded each, RFC 6749 section 2.3.1). */
function basicCredentials(authorization: string | undefined): { clientId: string; secret: string } | undefined {
  const match = /^Basic +([A-Za-z0-9+/=]+)$/i.exec(authorization?.trim() ?? '');
  if (!match) {
    if (authorization?.trim()) throw new OAuthError(400, 'invalid_client', 'the Authorization header is not HTTP Basic authentication');
    return undefined;
  }
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new OAuthError(400, 'invalid_client', 'the HTTP Basic credentials are not client_id:client_secret');
  const decode = (text: string) => {
    try {
      return decodeURIComponent(text.replace(/\+/g, ' '));
    } catch {
      throw new OAuthError(400, 'invalid_client', 'the HTTP Basic credentials are not form-urlencoded');
    }
  };
  return { clientId: decode(decoded.slice(0, colon)), secret: decode(decoded.slice(colon + 1)) };
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** An access token with the claims of Cognito's client credentials tokens. */
async function sign(key: CryptoKey, kid: string, issuer: string, mint: MintOptions, scopes: readonly string[],
  lifetimeSeconds: number): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {
    sub: mint.clientId,
    token_use: 'access',
    scope: scopes.join(' '),
    auth_time: now,
    iss: issuer,
    exp: now + lifetimeSeconds,
    iat: now,
    version: 2,
    jti: randomUUID(),
    client_id: mint.clientId,
    ...mint.claims,
  };
  const payload = Object.fromEntries(Object.entries(claims).filter(([, value]) => value !== undefined)) as JWTPayload;
  return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid }).sign(key);
}
