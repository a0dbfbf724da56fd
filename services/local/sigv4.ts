/**
 * SigV4 as the local stage's APIs require it, like the deployed APIs (IAM
 * authorization): a request is refused unless it is signed for
 * `execute-api` by a known key, within 5 minutes of now, over exactly the
 * method, path, query, signed headers and body received. The signature is
 * recomputed with the same library the callers sign with
 * (`@smithy/signature-v4`).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

/** A request as the gateway received it. */
export interface ReceivedRequest {
  readonly method: string;
  /** The path and query as sent (percent-encoded). */
  readonly url: string;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Who signed, or why the request is refused (API Gateway's messages). */
export type SignatureCheck =
  | { readonly ok: true; readonly accessKeyId: string }
  | { readonly ok: false; readonly message: string };

/** Credentials the stage accepts: one secret per access key id. */
export type KnownKeys = ReadonlyMap<string, string>;

const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;
/** How far a signature's time may be from now (API Gateway: 5 minutes). */
const MAX_SKEW_MS = 5 * 60 * 1000;

/** Checks the SigV4 signature of `request` for `execute-api` in `region`. */
export async function verifySignature(request: ReceivedRequest, keys: KnownKeys, region: string, now = Date.now()): Promise<SignatureCheck> {
  const authorization = request.headers.authorization;
  if (!authorization) return { ok: false, message: 'Missing Authentication Token' };
  const match = AUTHORIZATION.exec(authorization);
  if (!match) return { ok: false, message: 'Authorization header requires \'Credential\', \'SignedHeaders\' and \'Signature\' parameters (AWS4-HMAC-SHA256)' };
  const [, accessKeyId, day, scopeRegion, service, signedHeaderList, signature] = match;
  const secretAccessKey = keys.get(accessKeyId);
  if (secretAccessKey === undefined) return { ok: false, message: 'The security token included in the request is invalid.' };
  if (service !== 'execute-api' || scopeRegion !== region) {
    return { ok: false, message: `Credential should be scoped to a valid region and service: expected ${region}/execute-api, got ${scopeRegion}/${service}` };
  }
  const amzDate = request.headers['x-amz-date'];
  const signingDate = amzDate ? parseAmzDate(amzDate) : undefined;
  if (!signingDate || !amzDate.startsWith(day)) return { ok: false, message: 'Signature expired or missing X-Amz-Date' };
  if (Math.abs(now - signingDate.getTime()) > MAX_SKEW_MS) {
    return { ok: false, message: `Signature expired: ${amzDate} is now earlier or later than 5 minutes from now` };
  }
  const signedHeaders = signedHeaderList.split(';');
  if (!signedHeaders.includes('host')) return { ok: false, message: 'The host header must be signed' };
  const payloadHash = request.headers['x-amz-content-sha256'];
  if (payloadHash !== undefined && payloadHash !== 'UNSIGNED-PAYLOAD' && payloadHash !== sha256Hex(request.body)) {
    return { ok: false, message: 'The provided x-amz-content-sha256 header does not match what was computed.' };
  }

  const url = new URL(request.url, `http://${request.headers.host ?? 'localhost'}`);
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of url.searchParams) {
    const previous = query[key];
    query[key] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  const headers = Object.fromEntries(signedHeaders.map(name => [name, request.headers[name] ?? '']));
  const signer = new SignatureV4({ service: 'execute-api', region, credentials: { accessKeyId, secretAccessKey }, sha256: Sha256 });
  const expected = await signer.sign({
    method: request.method,
    protocol: 'http:',
    hostname: url.hostname,
    path: url.pathname,
    query,
    headers,
    body: request.body === '' ? undefined : request.body,
  }, { signingDate });
  const expectedSignature = /Signature=([0-9a-f]{64})$/.exec(String(expected.headers.authorization))?.[1] ?? '';
  const same = expectedSignature.length === signature.length && timingSafeEqual(Buffer.from(expectedSignature), Buffer.from(signature));
  if (!same) {
    return {
      ok: false,
      message: 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    };
  }
  return { ok: true, accessKeyId };
}

/** `20261202T101500Z` as a date; undefined when malformed. */
function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

function sha256Hex(body: string): string {
  return createHash('sha256').update(body).digest('hex');
}
