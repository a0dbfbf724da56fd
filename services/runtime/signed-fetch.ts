import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { EnvironmentError } from './env';

/** AWS credentials (the shape of the SDK's `AwsCredentialIdentity`). */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Supplies credentials for each signature. */
export type CredentialProvider = () => Promise<AwsCredentials>;

/**
 * Credentials of the Lambda execution role, which the runtime puts in
 * AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (and
 * refreshes before they expire, re-reading them on every call is enough).
 */
export const credentialsFromEnv: CredentialProvider = async () => {
  const accessKeyId = process.env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new EnvironmentError('environment variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set; the Lambda runtime sets them from the execution role');
  }
  return { accessKeyId, secretAccessKey, sessionToken: process.env.AWS_SESSION_TOKEN || undefined };
};

/** Options of {@link signedFetch}. */
export interface SignedFetchOptions {
  /** @default GET */
  readonly method?: string;
  /** Sent as JSON (with `content-type: application/json`). @default - no body */
  readonly json?: unknown;
  /** Extra request headers (signed too). */
  readonly headers?: Readonly<Record<string, string>>;
  /** @default - from an `*.execute-api.<region>.amazonaws.com` host, else AWS_REGION */
  readonly region?: string;
  /** @default credentialsFromEnv */
  readonly credentials?: CredentialProvider;
  /**
   * Aborts the request after this long. Keep it well under the function's
   * timeout so the caller can still answer.
   * @default 5000
   */
  readonly timeoutMs?: number;
}

const EXECUTE_API_HOST = /^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/;

/** The region of an API Gateway URL: from its host, else AWS_REGION. */
export function regionOf(url: URL): string {
  const fromHost = EXECUTE_API_HOST.exec(url.hostname)?.[1];
  const region = fromHost ?? process.env.AWS_REGION;
  if (!region) throw new EnvironmentError(`cannot tell the region of ${url.origin}: not an execute-api host and AWS_REGION is not set`);
  return region;
}

/**
 * `fetch` for an IAM-authorized API Gateway API: signs the request with
 * SigV4 for `execute-api`, so the callee's resource policy and the caller's
 * `execute-api:Invoke` permission decide, and no API key is shared.
 */
export async function signedFetch(url: string, options: SignedFetchOptions = {}): Promise<Response> {
  const target = new URL(url);
  const body = options.json === undefined ? undefined : JSON.stringify(options.json);
  const headers: Record<string, string> = {
    // The signature covers the host header; fetch sends the same one.
    host: target.host,
    ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    ...options.headers,
  };
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of target.searchParams) {
    const previous = query[key];
    query[key] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
  }

  const signer = new SignatureV4({
    service: 'execute-api',
    region: options.region ?? regionOf(target),
    credentials: options.credentials ?? credentialsFromEnv,
    sha256: Sha256,
  });
  const signed = await signer.sign({
    method: options.method ?? 'GET',
    protocol: target.protocol,
    hostname: target.hostname,
    port: target.port === '' ? undefined : Number(target.port),
    // Already percent-encoded once by URL; the signer encodes it again, as
    // SigV4 requires for every service but S3.
    path: target.pathname,
    query,
    headers,
    body,
  });

  // fetch sets host itself (and undici refuses to be told).
  const { host: _host, ...sendHeaders } = signed.headers;
  return fetch(target, {
    method: signed.method,
    headers: sendHeaders,
    body,
    signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
  });
}
