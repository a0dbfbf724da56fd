/**
 * Who is calling a service's function, and whether they may touch a
 * merchant's resource (OWASP API1, broken object-level authorization).
 *
 * A function is invoked through two doors with the same proxy event shape:
 * - the public edge (HTTP API, payload format 1.0), whose Lambda authorizer
 *   verified a merchant's OAuth 2.0 access token and put its output in
 *   `requestContext.authorizer` (`{ lambda: { merchantId, scopes, clientId } }`,
 *   or the same keys without the `lambda` level);
 * - the service's own REST API, IAM (SigV4) authorized, used by other
 *   services and pipeline test roles: no authorizer, the signer in
 *   `requestContext.identity.userArn`.
 *
 * API Gateway alone writes `requestContext.authorizer`: nothing in the path,
 * query, headers or body can set it, so it is the only trusted source of the
 * merchant id: a merchant id in the request alone never grants access.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import * as z from 'zod';
import { ErrorLogger, formatPath, HttpError } from './http';
import { idSchema } from './ids';
import { logger } from './observability';

/** The caller of a request: a merchant through the public edge, or a service (IAM) inside the organization. */
export type Caller =
  | {
    readonly kind: 'merchant';
    /** Verified by the edge's authorizer: the merchant the access token was issued to. */
    readonly merchantId: string;
    /** The OAuth scopes of the access token. */
    readonly scopes: readonly string[];
  }
  | {
    readonly kind: 'service';
    /** The IAM principal that signed the request (`identity.userArn`); null when API Gateway gave none. */
    readonly principal: string | null;
  };

/** The authorizer output the edge passes on; values are strings, as API Gateway stringifies them. */
const MerchantContextSchema = z.object({
  merchantId: idSchema('merchant id'),
  scopes: z.string({ error: 'must be a space-separated string' }).optional(),
});

/** What {@link callerOf} logs a misconfigured authorizer with. */
export type CallerLogger = Pick<ErrorLogger, 'error'>;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Who called, from the request context API Gateway wrote.
 *
 * No authorizer output: the service's own IAM-authorized API (API Gateway
 * sets none for IAM), so a service caller. Any authorizer output: the public
 * edge, which must name a valid merchant.
 *
 * When it does not (no merchantId, an empty one, one that is not an
 * {@link idSchema} id), the edge's authorizer is misconfigured. The request
 * is then refused with a 403 `Forbidden`, never treated as a service caller,
 * which would give a merchant the organization's access. A 403 rather than a
 * 500: it is refused for want of an identity to trust, which is what API
 * Gateway answers when an authorizer denies, while a 500 would invite the
 * merchant to retry something that cannot succeed. It is logged as an error
 * with the context's field names and problems only (no values, no headers:
 * never the token), so operators see the misconfiguration and the caller
 * learns nothing.
 */
export function callerOf(event: Pick<APIGatewayProxyEvent, 'requestContext'>, log: CallerLogger = logger): Caller {
  const authorizer: unknown = event.requestContext?.authorizer;
  if (authorizer === null || authorizer === undefined) {
    return { kind: 'service', principal: event.requestContext?.identity?.userArn ?? null };
  }
  // Payload format 1.0 may put the authorizer's context under `lambda` or flatten it.
  const context = isRecord(authorizer) && 'lambda' in authorizer ? authorizer.lambda : authorizer;
  const parsed = MerchantContextSchema.safeParse(context);
  if (!parsed.success) {
    log.error('the edge authorizer passed no valid merchant context; request refused', {
      fields: isRecord(context) ? Object.keys(context) : [],
      problems: parsed.error.issues.map(i => `${formatPath(i.path) || 'context'}: ${i.message}`),
    });
    throw new HttpError(403, 'Forbidden');
  }
  const { merchantId, scopes } = parsed.data;
  return { kind: 'merchant', merchantId, scopes: (scopes ?? '').split(/\s+/).filter(s => s !== '') };
}

/**
 * Whether `caller` may act on a resource of merchant `ownerMerchantId`: a
 * merchant only on its own, a service (inside the organization) on any.
 */
export function ownedByCaller(caller: Caller, ownerMerchantId: string): boolean {
  return caller.kind === 'service' || caller.merchantId === ownerMerchantId;
}

/**
 * Throws `notFound()` when a merchant asks for another merchant's resource.
 * Pass the error the route answers for a resource that does not exist: the
 * refusal must look exactly like it (status and body), so that a merchant
 * cannot even learn which ids exist.
 */
export function assertOwnedByCaller(caller: Caller, ownerMerchantId: string, notFound: () => HttpError): void {
  if (ownedByCaller(caller, ownerMerchantId)) return;
  // Repeated, this is a merchant probing ids: worth finding in the logs.
  if (caller.kind === 'merchant') logger.warn('merchant asked for another merchant\'s resource; answered as not found', { callerMerchantId: caller.merchantId });
  throw notFound();
}
