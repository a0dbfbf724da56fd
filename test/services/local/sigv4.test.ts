import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { ReceivedRequest, verifySignature } from '../../../services/local/sigv4';

const KEYS = new Map([['AKIALOCAL', 'the-secret']]);
const REGION = 'eu-west-1';
const NOW = Date.UTC(2026, 11, 2, 10, 0, 0);

/** A request signed as signedFetch signs it (services/runtime/signed-fetch.ts), as the gateway receives it. */
async function signed(options: {
  secret?: string; region?: string; path?: string; body?: string; at?: number; accessKeyId?: string;
} = {}): Promise<ReceivedRequest> {
  const path = options.path ?? '/local/accounts/acc-1/balances';
  const body = options.body ?? '';
  const signer = new SignatureV4({
    service: 'execute-api',
    region: options.region ?? REGION,
    credentials: { accessKeyId: options.accessKeyId ?? 'AKIALOCAL', secretAccessKey: options.secret ?? 'the-secret' },
    sha256: Sha256,
  });
  const request = await signer.sign({
    method: body ? 'POST' : 'GET',
    protocol: 'http:',
    hostname: '127.0.0.1',
    port: 4100,
    path,
    query: { page: '2' },
    headers: { host: '127.0.0.1:4100', ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body || undefined,
  }, { signingDate: new Date(options.at ?? NOW) });
  return {
    method: request.method,
    url: `${path}?page=2`,
    headers: Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v])),
    body,
  };
}

describe('SigV4 on the local stage\'s APIs', () => {
  test('a request signed by a known key for execute-api in the stage\'s region passes, naming the key', async () => {
    expect(await verifySignature(await signed(), KEYS, REGION, NOW)).toEqual({ ok: true, accessKeyId: 'AKIALOCAL' });
    expect(await verifySignature(await signed({ body: '{"a":1}' }), KEYS, REGION, NOW)).toEqual({ ok: true, accessKeyId: 'AKIALOCAL' });
  });

  test.each([
    ['no Authorization header', async () => ({ ...(await signed()), headers: { host: '127.0.0.1:4100' } }), /^Missing Authentication Token$/],
    ['an unknown access key', () => signed({ accessKeyId: 'AKIASTRANGER' }), /security token included in the request is invalid/],
    ['another secret', () => signed({ secret: 'guessed' }), /signature we calculated does not match/],
    ['another region', () => signed({ region: 'us-east-1' }), /scoped to a valid region and service: expected eu-west-1\/execute-api, got us-east-1/],
    ['a body changed after signing', async () => ({ ...(await signed({ body: '{"amount":1}' })), body: '{"amount":1000}' }), /x-amz-content-sha256/],
    ['a path changed after signing', async () => ({ ...(await signed()), url: '/local/accounts/acc-2/balances?page=2' }), /signature we calculated does not match/],
    ['a query changed after signing', async () => ({ ...(await signed()), url: '/local/accounts/acc-1/balances?page=3' }), /signature we calculated does not match/],
    ['a signature older than 5 minutes', () => signed({ at: NOW - 6 * 60 * 1000 }), /^Signature expired/],
  ])('%s is refused', async (_, request, message) => {
    const check = await verifySignature(await request(), KEYS, REGION, NOW);
    expect(check.ok).toBe(false);
    expect(check.ok ? '' : check.message).toMatch(message);
  });
});
