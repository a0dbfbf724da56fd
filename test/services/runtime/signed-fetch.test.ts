import { createHash, createHmac } from 'node:crypto';
import { EnvironmentError } from '../../../services/runtime/env';
import { credentialsFromEnv, regionOf, signedFetch } from '../../../services/runtime/signed-fetch';

const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', AWS_SESSION_TOKEN: 'session-token' };
const saved = { ...process.env };
let fetchMock: jest.SpiedFunction<typeof fetch>;

beforeEach(() => {
  Object.assign(process.env, CREDENTIALS);
  fetchMock = jest.spyOn(globalThis, 'fetch').mockResolvedValue(new Response('{}', { status: 201 }));
});
afterEach(() => {
  process.env = { ...saved };
  fetchMock.mockRestore();
});

function sent(): { url: URL; init: RequestInit; headers: Record<string, string> } {
  const [url, init] = fetchMock.mock.calls[0];
  return { url: url as URL, init: init!, headers: init!.headers as Record<string, string> };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const hmac = (key: string | Buffer, text: string) => createHmac('sha256', key).update(text).digest();

/** SigV4 as AWS documents it, computed independently of the library under test. */
function expectedSignature(method: string, url: URL, headers: Record<string, string>, signedHeaders: string[], body: string, region: string): string {
  const amzDate = headers['x-amz-date'];
  const date = amzDate.slice(0, 8);
  const all: Record<string, string> = { ...headers, host: url.host };
  const canonicalRequest = [
    method,
    url.pathname,
    [...url.searchParams].map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).sort().join('&'),
    signedHeaders.map(h => `${h}:${all[h].trim()}\n`).join(''),
    signedHeaders.join(';'),
    sha256(body),
  ].join('\n');
  const scope = `${date}/${region}/execute-api/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const key = ['execute-api', 'aws4_request'].reduce<Buffer>(
    (k, part) => hmac(k, part),
    hmac(hmac(`AWS4${CREDENTIALS.AWS_SECRET_ACCESS_KEY}`, date), region));
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}

describe('signedFetch', () => {
  test('signs a JSON POST for execute-api in the region of the API host, verifiably', async () => {
    const response = await signedFetch('https://abc123.execute-api.eu-west-1.amazonaws.com/prod/transactions?dry=1', {
      method: 'POST',
      json: { transactionId: 'pay_1' },
    });
    expect(response.status).toBe(201);

    const { url, init, headers } = sent();
    expect(url.href).toBe('https://abc123.execute-api.eu-west-1.amazonaws.com/prod/transactions?dry=1');
    expect(init.method).toBe('POST');
    expect(init.body).toBe('{"transactionId":"pay_1"}');
    expect(headers['content-type']).toBe('application/json');
    expect(headers['x-amz-security-token']).toBe('session-token');
    expect(headers).not.toHaveProperty('host');

    const match = /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/(\d{8})\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/
      .exec(headers.authorization);
    expect(match).not.toBeNull();
    const signedHeaders = match![2].split(';');
    expect(signedHeaders).toEqual(expect.arrayContaining(['content-type', 'host', 'x-amz-date', 'x-amz-security-token']));
    expect(match![3]).toBe(expectedSignature('POST', url, headers, signedHeaders, '{"transactionId":"pay_1"}', 'eu-west-1'));
  });

  test('uses AWS_REGION for a custom domain, and given credentials when passed', async () => {
    process.env.AWS_REGION = 'us-east-2';
    await signedFetch('https://api.example.com/ledger/accounts/a-1/balances', {
      credentials: async () => ({ accessKeyId: 'AKIDOTHER', secretAccessKey: 'other' }),
    });
    const { init, headers } = sent();
    expect(init.method).toBe('GET');
    expect(init.body).toBeUndefined();
    expect(headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDOTHER\/\d{8}\/us-east-2\/execute-api\/aws4_request, /);
    expect(headers).not.toHaveProperty('x-amz-security-token');
  });

  test('fails clearly without credentials, sending nothing', async () => {
    delete process.env.AWS_ACCESS_KEY_ID;
    await expect(signedFetch('https://abc123.execute-api.eu-west-1.amazonaws.com/prod/x')).rejects.toThrow(EnvironmentError);
    await expect(credentialsFromEnv()).rejects.toThrow('environment variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set');
    expect(fetchMock).not.toHaveBeenCalled();
  });
});

describe('regionOf', () => {
  test('reads the region from an execute-api host, else AWS_REGION, else refuses', () => {
    expect(regionOf(new URL('https://abc.execute-api.ap-southeast-2.amazonaws.com/prod'))).toBe('ap-southeast-2');
    delete process.env.AWS_REGION;
    expect(() => regionOf(new URL('https://api.example.com/')))
      .toThrow('cannot tell the region of https://api.example.com: not an execute-api host and AWS_REGION is not set');
  });
});
