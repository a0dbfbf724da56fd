/**
 * Lambda REQUEST authorizer of the public edge (API Gateway HTTP API,
 * payload format 2.0, simple responses): lets merchants, who are outside the
 * AWS organization, call a service's public routes with an OAuth 2.0
 * access token.
 *
 * Merchants get their tokens with the client credentials grant from the
 * environment's Cognito user pool (each merchant is one app client, so the
 * `client_id` claim is the merchant id) or from an external issuer. For
 * every request it checks, and refuses on the first failure:
 * - the `Authorization` header holds `Bearer <JWT>`;
 * - the JWT is signed by a key of the issuer's JWKS with an asymmetric
 *   algorithm ({@link ALLOWED_ALGORITHMS}), has not expired and is already
 *   valid (with {@link CLOCK_TOLERANCE_SECONDS} of skew), and its `iss`
 *   (and `aud` when `EDGE_AUDIENCE` is set, `token_use` when `EDGE_TOKEN_USE`
 *   is set: Cognito ID tokens must not call APIs) is what this environment trusts;
 * - the merchant claim is a valid merchant id (the services' id pattern);
 * - the token has at least one of the scopes the route needs (the semantics
 *   of API Gateway's own JWT authorizer). Deployed, one authorizer serves the
 *   whole edge and reads each route's scopes from the SSM parameter the
 *   owning service's stack writes with the route (services/edge/route-scopes.ts),
 *   so they deploy together; the local stage passes them as `ROUTE_SCOPES`.
 *
 * It fails closed: a route missing from `ROUTE_SCOPES`, a malformed claim or
 * an unexpected error (JWKS unreachable) refuses the request; it never
 * throws, since a thrown error makes API Gateway answer 500 instead of 403.
 * Refusals are logged with their reason and the route, never the token.
 *
 * Caching: API Gateway caches a result per identity source. The edge stack
 * sets the identity sources to the Authorization header and
 * `$context.routeKey`, so an allow cached for one route never authorizes
 * another route with different scopes.
 *
 * Behind WAF (`EDGE_ORIGIN_SECRET_ID` set), a request must first carry the
 * origin header CloudFront adds (services/edge/origin.ts) with the secret's
 * current or previous value: what did not pass WAF is refused. The
 * monolith's catch-all routes (`EDGE_PASS_THROUGH_ROUTES`) need that check
 * only; the monolith authenticates its callers itself.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
  Context,
} from 'aws-lambda';
import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import * as z from 'zod';
// Straight from the modules rather than the runtime index: the index also
// loads the tracer, metrics and SDK clients, which this function, on the
// path of every uncached request, never uses but would pay for at cold start.
import { ORIGIN_VERIFY_HEADER } from './origin';
import { routeScopesParameterName, RouteScopesValueSchema } from './route-scopes';
import { EnvironmentError } from '../runtime/env';
import { ID_PATTERN } from '../runtime/ids';

/**
 * Signature algorithms a token may use. Cognito signs RS256; ES256 is
 * accepted for external issuers. Only asymmetric ones: with HS256 the JWKS'
 * public key could be used as an HMAC secret (algorithm confusion), and
 * `none` is no signature at all. jose also checks that the key fits the algorithm.
 */
export const ALLOWED_ALGORITHMS: readonly string[] = ['RS256', 'ES256'];

/** Clock skew tolerated on `exp` and `nbf`, in seconds: the issuer's and Lambda's clocks are NTP-synced, a few seconds is plenty. */
export const CLOCK_TOLERANCE_SECONDS = 5;

/**
 * How the issuer's keys are fetched and cached, per container (jose's
 * createRemoteJWKSet). A token whose `kid` is unknown triggers a refetch at
 * most once per cooldown (key rotation works at once, forged `kid`s cannot
 * hammer the issuer); the whole set is refetched when older than the max age
 * (a key the issuer removed stops working within it). A fetch slower than
 * the timeout refuses the request rather than hold the merchant's call.
 */
export const JWKS_OPTIONS = {
  timeoutDuration: 2_000,
  cooldownDuration: 30_000,
  cacheMaxAge: 600_000,
} as const;

const LOCAL_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1']);
const URL_RULE = 'must be an https URL (http only on localhost or 127.0.0.1: the local stage)';
const ROUTE_SCOPES_RULE = 'must be a JSON object from route key to the scopes it needs, e.g. {"GET /payments/{paymentId}":["payments/read"]}';
// HTTP API route keys: `METHOD /path` or the catch-all `$default`.
const ROUTE_KEY = /^(\$default|(ANY|GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) \/\S*)$/;
const ROUTE_KEY_RULE = 'is not a route key; allowed: "METHOD /path" (e.g. "GET /payments/{paymentId}") or "$default"';
// RFC 6749 section 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
const SCOPE_RULE = 'is not an OAuth scope; allowed: printable ASCII without spaces, " or \\';
const OPTIONAL_RULE = 'must not be empty; leave it unset to skip the check';
const PASS_THROUGH_RULE = 'must be a JSON array of route keys, e.g. ["ANY /{proxy+}","ANY /"]';

/** An endpoint of the issuer: https, or http on the local stage's hosts only. */
function endpointUrl() {
  return z.string({ error: URL_RULE }).refine(value => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return false;
    }
    return url.protocol === 'https:' || (url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname));
  }, { error: URL_RULE });
}

function parseJson(text: string, ctx: z.RefinementCtx): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: `is not JSON; ${ROUTE_SCOPES_RULE}` });
    return z.NEVER;
  }
}

const routeScopesSchema = z.string({ error: ROUTE_SCOPES_RULE })
  .transform(parseJson)
  .pipe(z.record(
    z.string(),
    z.array(z.string({ error: SCOPE_RULE }).regex(SCOPE, { error: SCOPE_RULE }), { error: 'must be an array of scopes' })
      // "At least one of no scopes" would refuse every token: a route that
      // needs no scope is a mistake here, not a way to open it.
      .min(1, { error: 'must list at least one scope' }),
    { error: ROUTE_SCOPES_RULE },
  ).superRefine((routes, ctx) => {
    for (const key of Object.keys(routes)) {
      if (!ROUTE_KEY.test(key)) ctx.addIssue({ code: 'custom', path: [key], message: ROUTE_KEY_RULE });
    }
    if (Object.keys(routes).length === 0) ctx.addIssue({ code: 'custom', message: `names no route; ${ROUTE_SCOPES_RULE}` });
  }));

/** The authorizer's environment variables and what they become; see {@link loadConfig}. */
const configSchema = z.object({
  EDGE_ISSUER: endpointUrl(),
  EDGE_JWKS_URI: endpointUrl().optional(),
  EDGE_AUDIENCE: z.string().min(1, { error: OPTIONAL_RULE }).optional(),
  EDGE_TOKEN_USE: z.string().min(1, { error: OPTIONAL_RULE }).optional(),
  EDGE_MERCHANT_CLAIM: z.string().regex(/^\S+$/, { error: 'must be a claim name (no spaces); leave it unset for client_id' }).default('client_id'),
  ROUTE_SCOPES: routeScopesSchema.optional(),
  ROUTE_SCOPES_PARAMETER_PREFIX: z.string().regex(/^\/[A-Za-z0-9_.\-/]*\/$/, {
    error: 'must be an SSM parameter path ending with /, e.g. /acme-pay/dev/services/_edge/route-scopes/',
  }).optional(),
  EDGE_ORIGIN_SECRET_ID: z.string().regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, {
    error: 'must be a Secrets Manager secret name, e.g. acme-pay/edge-prod/origin-verify; leave it unset without WAF in front',
  }).optional(),
  EDGE_PASS_THROUGH_ROUTES: z.string({ error: PASS_THROUGH_RULE })
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: `is not JSON; ${PASS_THROUGH_RULE}` });
        return z.NEVER;
      }
    })
    .pipe(z.array(z.string().regex(ROUTE_KEY, { error: ROUTE_KEY_RULE }), { error: PASS_THROUGH_RULE }).min(1, { error: PASS_THROUGH_RULE }))
    .optional(),
}).superRefine((env, ctx) => {
  if (env.EDGE_PASS_THROUGH_ROUTES !== undefined && env.EDGE_ORIGIN_SECRET_ID === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['EDGE_PASS_THROUGH_ROUTES'],
      message: 'needs EDGE_ORIGIN_SECRET_ID: routes that pass without a token are only for requests that came through WAF',
    });
  }
  if ((env.ROUTE_SCOPES === undefined) === (env.ROUTE_SCOPES_PARAMETER_PREFIX === undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: ['ROUTE_SCOPES'],
      message: 'or ROUTE_SCOPES_PARAMETER_PREFIX must be set, not both: the routes\' scopes as JSON (local stage), or where their SSM parameters are (deployed edge)',
    });
  }
}).transform(env => ({
  /** The token issuer; the token's `iss` must equal it exactly. */
  issuer: env.EDGE_ISSUER,
  /** Where the issuer publishes its keys; Cognito's location by default. */
  jwksUri: env.EDGE_JWKS_URI ?? `${env.EDGE_ISSUER.replace(/\/+$/, '')}/.well-known/jwks.json`,
  /** When set, the token's `aud` must contain it. */
  audience: env.EDGE_AUDIENCE,
  /** When set, the token's `token_use` must equal it. */
  tokenUse: env.EDGE_TOKEN_USE,
  /** The claim that holds the merchant id. */
  merchantClaim: env.EDGE_MERCHANT_CLAIM,
  /** Route key to the scopes a token needs for it (at least one of them), when given as a map. */
  routeScopes: env.ROUTE_SCOPES as Readonly<Record<string, readonly string[]>> | undefined,
  /** Else where each route's scopes are in SSM (services/edge/route-scopes.ts). */
  routeScopesParameterPrefix: env.ROUTE_SCOPES_PARAMETER_PREFIX,
  /** Behind WAF: the secret whose value the origin header must carry. */
  originSecretId: env.EDGE_ORIGIN_SECRET_ID,
  /** Behind WAF: routes that need the origin header only (the monolith's). */
  passThroughRoutes: (env.EDGE_PASS_THROUGH_ROUTES ?? []) as readonly string[],
}));

/** The validated configuration of an authorizer. */
export type AuthorizerConfig = Readonly<z.output<typeof configSchema>>;

/** Renders where inside a variable an issue is: `["GET /payments"][0]`. */
function innerPath(path: readonly PropertyKey[]): string {
  return path.map(key => typeof key === 'number' ? `[${key}]` : `[${JSON.stringify(String(key))}]`).join('');
}

/**
 * Reads and validates the authorizer's configuration from environment
 * variables; throws an {@link EnvironmentError} naming every bad variable,
 * its value and what is allowed, so a misconfigured function fails its cold start.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): AuthorizerConfig {
  const names = Object.keys(configSchema.in.shape);
  const parsed = configSchema.safeParse(Object.fromEntries(names.map(name => [name, env[name]])));
  if (parsed.success) return parsed.data;
  throw new EnvironmentError(parsed.error.issues.map(issue => {
    const name = String(issue.path[0]);
    const value = env[name];
    // These variables hold URLs, claim names and scopes, never secrets, so the value may be shown.
    if (value === undefined && name === 'ROUTE_SCOPES') return `environment variable ROUTE_SCOPES ${issue.message}`;
    if (value === undefined) return `environment variable ${name} is not set; it ${issue.message}`;
    const inner = innerPath(issue.path.slice(1));
    return `environment variable ${name} ${JSON.stringify(value)} is invalid: ${inner ? `${inner} ` : ''}${issue.message}`;
  }).join('\n'));
}

/** What the authorizer hands the route's integration (`event.requestContext.authorizer.lambda`). */
export interface EdgeAuthorizerContext {
  /** The merchant calling, from the merchant claim. */
  readonly merchantId: string;
  /** Every scope of the token, space-separated. */
  readonly scopes: string;
  /** The OAuth client of the token: its `client_id` claim, or `sub`. */
  readonly clientId: string;
}

/** The authorizer's answer: allowed with the caller's context, or refused (API Gateway answers 403). */
export type EdgeAuthorizerResult =
  | APIGatewaySimpleAuthorizerWithContextResult<EdgeAuthorizerContext>
  | { readonly isAuthorized: boolean };

/** An authorizer handler, as built by {@link createAuthorizer}. */
export type EdgeAuthorizer = (event: APIGatewayRequestAuthorizerEventV2) => Promise<EdgeAuthorizerResult>;

/** What the authorizer logs with. */
export type AuthorizerLogger = Pick<Logger, 'debug' | 'info' | 'error'>;

// Compact JWS: three base64url parts (the signature is empty for alg none,
// which jose then refuses with a clearer reason than "malformed").
const BEARER = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/i;

/** The bearer token of an Authorization header, or why there is none. */
export function bearerToken(authorization: string | undefined): { token: string } | { refusal: string } {
  if (authorization === undefined || authorization.trim() === '') return { refusal: 'no Authorization header' };
  // A scheme other than Bearer is not named in the reason: a header sent
  // without any scheme would make the token itself "the scheme".
  if (!/^bearer /i.test(authorization.trim())) return { refusal: 'the Authorization header is not a Bearer token' };
  const match = BEARER.exec(authorization.trim());
  return match ? { token: match[1] } : { refusal: 'the bearer token is not a JWT' };
}

/**
 * The scopes of a token: the `scope` claim (space-separated, OAuth 2.0 and
 * Cognito) and the `scp` claim (an array or a space-separated string, some
 * issuers); undefined when either claim has another shape.
 */
export function tokenScopes(payload: JWTPayload): string[] | undefined {
  const { scope, scp } = payload;
  if (scope !== undefined && typeof scope !== 'string') return undefined;
  if (scp !== undefined && typeof scp !== 'string' && !(Array.isArray(scp) && scp.every(s => typeof s === 'string'))) return undefined;
  const values = [
    ...(scope ?? '').split(/\s+/),
    ...(typeof scp === 'string' ? scp.split(/\s+/) : (scp as string[] | undefined) ?? []),
  ];
  return [...new Set(values.filter(value => value !== ''))];
}

/** Why jose refused a token, for the refusal log; undefined when the error is not about the token (JWKS unreachable, bug). */
export function verificationRefusal(error: unknown): string | undefined {
  const { code, claim, reason } = (error ?? {}) as { code?: unknown; claim?: unknown; reason?: unknown };
  switch (code) {
    case 'ERR_JWT_EXPIRED': return 'the token has expired';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED': return 'bad signature';
    case 'ERR_JOSE_ALG_NOT_ALLOWED': return `the token's algorithm is not allowed (allowed: ${ALLOWED_ALGORITHMS.join(', ')})`;
    case 'ERR_JWKS_NO_MATCHING_KEY': return 'no key of the issuer matches the token (unknown kid)';
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS': return 'several keys of the issuer match the token';
    case 'ERR_JOSE_NOT_SUPPORTED': return 'the token uses an unsupported algorithm or key';
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID': return 'malformed token';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (reason === 'missing') return `the token has no ${String(claim)} claim`;
      if (claim === 'iss') return 'wrong issuer';
      if (claim === 'aud') return 'wrong audience';
      if (claim === 'nbf') return 'the token is not yet valid';
      if (claim === 'iat') return 'the token was issued in the future';
      return `the token's ${String(claim)} claim is invalid`;
    default: return undefined;
  }
}

/** Name, code and message of an unexpected error, with `secret` blotted out wherever it appears. */
function describeError(error: unknown, secret: string | undefined): Record<string, unknown> {
  const redact = (text: string) => secret ? text.split(secret).join('[token]') : text;
  if (!(error instanceof Error)) return { message: redact(String(error)) };
  const cause = error.cause instanceof Error ? redact(error.cause.message) : undefined;
  return { name: error.name, code: (error as { code?: unknown }).code, message: redact(error.message), cause };
}

function header(event: APIGatewayRequestAuthorizerEventV2, name: string): string | undefined {
  // Payload format 2.0 lowercases header names; looked up regardless of case
  // for events built by hand (the local stage, tests).
  const headers = event.headers ?? {};
  return headers[name] ?? Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
}

/** The scopes a route needs (a token needs at least one), or undefined for a route the edge does not know. */
export type RouteScopesLookup = (routeKey: string) => Promise<readonly string[] | undefined>;

/** How long a route's scopes (and a route found to have none) are kept before SSM is asked again. */
export const ROUTE_SCOPES_CACHE = { foundMs: 60_000, missingMs: 5_000 } as const;

/**
 * Reads a route's scopes from its SSM parameter (services/edge/route-scopes.ts),
 * caching each answer per container: a change of scopes takes effect within a
 * minute (plus API Gateway's cache of the authorizer's answer). A missing or
 * malformed parameter is a route the edge does not know (refused); an SSM
 * error throws (refused, logged as an error).
 */
export function ssmRouteScopes(prefix: string, ssm: Pick<SSMClient, 'send'>, now: () => number = Date.now): RouteScopesLookup {
  const cache = new Map<string, { scopes: readonly string[] | undefined; until: number }>();
  return async routeKey => {
    const cached = cache.get(routeKey);
    if (cached && cached.until > now()) return cached.scopes;
    let scopes: readonly string[] | undefined;
    try {
      const { Parameter } = await ssm.send(new GetParameterCommand({ Name: routeScopesParameterName(prefix, routeKey) }));
      let value: unknown;
      try {
        value = JSON.parse(Parameter?.Value ?? '');
      } catch {
        value = undefined;
      }
      const parsed = RouteScopesValueSchema.safeParse(value);
      // The value names its route: a hash that matched another route's parameter never grants.
      scopes = parsed.success && parsed.data.route === routeKey ? parsed.data.scopes : undefined;
    } catch (error) {
      if ((error as { name?: unknown }).name !== 'ParameterNotFound') throw error;
      scopes = undefined;
    }
    cache.set(routeKey, { scopes, until: now() + (scopes ? ROUTE_SCOPES_CACHE.foundMs : ROUTE_SCOPES_CACHE.missingMs) });
    return scopes;
  };
}

/** Whether an origin header value is the origin secret's. */
export type OriginCheck = (value: string | undefined) => Promise<boolean>;

/** How long the origin secret's values are kept before Secrets Manager is asked again (a rotation takes effect within it). */
export const ORIGIN_SECRET_CACHE_MS = 300_000;

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Checks the origin header against the secret's current and previous
 * versions (AWSCURRENT, AWSPREVIOUS: a rotation never refuses a request
 * CloudFront still signs with the old value), read from Secrets Manager in
 * the function's region and cached per container. Compared in constant
 * time, as digests, so neither the value nor its length leaks by timing.
 * A Secrets Manager error throws (the request is refused, logged as an error).
 */
export function secretsManagerOrigin(secretId: string, secrets: Pick<SecretsManagerClient, 'send'>, now: () => number = Date.now): OriginCheck {
  let cached: { values: readonly Uint8Array[]; until: number } | undefined;
  const version = async (stage: 'AWSCURRENT' | 'AWSPREVIOUS') => {
    try {
      const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage }));
      return SecretString ? digest(SecretString) : undefined;
    } catch (error) {
      // A secret never rotated has no previous version.
      if (stage === 'AWSPREVIOUS' && (error as { name?: unknown }).name === 'ResourceNotFoundException') return undefined;
      throw error;
    }
  };
  return async value => {
    if (value === undefined || value === '') return false;
    let current = cached;
    if (!current || current.until <= now()) {
      const values = (await Promise.all([version('AWSCURRENT'), version('AWSPREVIOUS')])).filter(v => v !== undefined);
      if (values.length === 0) throw new Error(`the origin secret ${secretId} has no value`);
      current = cached = { values, until: now() + ORIGIN_SECRET_CACHE_MS };
    }
    const given = digest(value);
    // Every version is compared, whichever matches: the time taken does not say which.
    return current.values.map(v => timingSafeEqual(v, given)).includes(true);
  };
}

/** The origin check of `config`: none without WAF in front, else its secret read through `secrets`. */
export function originCheckOf(config: AuthorizerConfig,
  secrets: () => Pick<SecretsManagerClient, 'send'> = () => new SecretsManagerClient({})): OriginCheck | undefined {
  return config.originSecretId === undefined ? undefined : secretsManagerOrigin(config.originSecretId, secrets());
}

/** The scopes of `config`: its map, or its SSM parameters read through `ssm`. */
export function routeScopesOf(config: AuthorizerConfig, ssm: () => Pick<SSMClient, 'send'> = () => new SSMClient({})): RouteScopesLookup {
  const map = config.routeScopes;
  if (map) return async routeKey => (Object.hasOwn(map, routeKey) ? map[routeKey] : undefined);
  return ssmRouteScopes(config.routeScopesParameterPrefix!, ssm());
}

/**
 * Builds the authorizer: `config` from {@link loadConfig}, `keys` the
 * issuer's key set (a remote JWKS in Lambda, a local one in tests), `scopesOf`
 * where each route's scopes come from (default: the configuration's).
 */
export function createAuthorizer(config: AuthorizerConfig, keys: JWTVerifyGetKey, log: AuthorizerLogger,
  scopesOf: RouteScopesLookup = routeScopesOf(config), originOk: OriginCheck | undefined = originCheckOf(config)): EdgeAuthorizer {
  const passThrough = new Set(config.passThroughRoutes);
  return async event => {
    const routeKey = event.routeKey;
    const requestId = event.requestContext?.requestId;
    let merchantId: string | undefined;
    const refuse = (reason: string): EdgeAuthorizerResult => {
      log.info('request refused', { reason, routeKey, requestId, ...(merchantId ? { merchantId } : {}) });
      return { isAuthorized: false };
    };

    let token: string | undefined;
    try {
      // Behind WAF: what did not come through CloudFront (and so WAF) goes no further.
      if (originOk && !(await originOk(header(event, ORIGIN_VERIFY_HEADER)))) {
        return refuse(`no valid ${ORIGIN_VERIFY_HEADER} header: the request did not come through the edge's CloudFront distribution`);
      }
      // Only with an origin check (the configuration requires it): the monolith authenticates these itself.
      if (originOk && passThrough.has(routeKey)) return { isAuthorized: true };

      // Fail closed: a route nobody configured is refused, never opened.
      const required = await scopesOf(routeKey);
      if (!required) return refuse(`route ${routeKey} has no scopes configured (${config.routeScopes ? 'ROUTE_SCOPES' : 'no SSM parameter'})`);

      const bearer = bearerToken(header(event, 'authorization'));
      if ('refusal' in bearer) return refuse(bearer.refusal);
      token = bearer.token;

      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          issuer: config.issuer,
          audience: config.audience,
          algorithms: [...ALLOWED_ALGORITHMS],
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          // jose accepts a token without exp; such a token would never expire.
          requiredClaims: ['exp'],
        }));
      } catch (error) {
        const refusal = verificationRefusal(error);
        if (refusal) return refuse(refusal);
        throw error;
      }

      if (config.tokenUse !== undefined && payload.token_use !== config.tokenUse) {
        return refuse(`the token's token_use ${JSON.stringify(payload.token_use ?? null)} is not ${JSON.stringify(config.tokenUse)}`);
      }
      const merchant = payload[config.merchantClaim];
      if (merchant === undefined) return refuse(`the token has no ${config.merchantClaim} claim (the merchant id)`);
      // The value is not logged when invalid: it is whatever the issuer put there.
      if (typeof merchant !== 'string' || !ID_PATTERN.test(merchant)) {
        return refuse(`the token's ${config.merchantClaim} claim is not a valid merchant id`);
      }
      merchantId = merchant;
      const clientId = typeof payload.client_id === 'string' ? payload.client_id : payload.sub;
      if (!clientId) return refuse('the token has neither a client_id nor a sub claim');

      const scopes = tokenScopes(payload);
      if (!scopes) return refuse('the token\'s scope or scp claim is malformed');
      if (!required.some(scope => scopes.includes(scope))) {
        return refuse(`missing scope for route ${routeKey}: needs one of ${required.join(', ')}`);
      }

      log.debug('request authorized', { routeKey, requestId, merchantId, clientId });
      return { isAuthorized: true, context: { merchantId, scopes: scopes.join(' '), clientId } };
    } catch (error) {
      log.error('request refused: the token could not be verified', { routeKey, requestId, error: describeError(error, token) });
      return { isAuthorized: false };
    }
  };
}

// Cold start: a bad configuration fails the init here, naming the variable.
const config = loadConfig();
const logger = new Logger({ persistentKeys: { component: 'edge-authorizer' } });
// Once per container: jose caches the key set between invocations.
const authorize = createAuthorizer(config, createRemoteJWKSet(new URL(config.jwksUri), JWKS_OPTIONS), logger);

/** The Lambda entry point. */
export const handler = async (event: APIGatewayRequestAuthorizerEventV2, context?: Context): Promise<EdgeAuthorizerResult> => {
  if (context) logger.addContext(context);
  return authorize(event);
};
