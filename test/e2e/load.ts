/**
 * Short load test (pipeline: staging; CI: the local stage): LOAD_REQUESTS
 * signed balance reads against the ledger with LOAD_CONCURRENCY connections,
 * driven by autocannon; prints autocannon's latency and throughput report
 * and fails when p99 latency exceeds LOAD_MAX_P99_MS or the error rate
 * (network errors, timeouts, answers other than 2xx) exceeds
 * LOAD_MAX_ERROR_RATE. Reads only, so it can run against a shared
 * environment. Needs LEDGER_API_URL and credentials allowed to call it.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import autocannon from 'autocannon';
import { env, runChecks, urlOf } from './http';
import { credentialsFromEnv, regionOf } from '../../services/runtime';

/** The thresholds and size of a run, from the environment. */
export interface LoadOptions {
  readonly requests: number;
  readonly connections: number;
  readonly maxP99Ms: number;
  readonly maxErrorRate: number;
}

export function loadOptions(vars: NodeJS.ProcessEnv = process.env): LoadOptions {
  const number = (name: string, fallback: number, min: number) => {
    const text = vars[name];
    if (text === undefined || text === '') return fallback;
    const n = Number(text);
    if (!Number.isFinite(n) || n < min) throw new Error(`environment variable ${name} ${JSON.stringify(text)} is not a number of at least ${min}`);
    return n;
  };
  return {
    requests: number('LOAD_REQUESTS', 300, 1),
    connections: number('LOAD_CONCURRENCY', 10, 1),
    maxP99Ms: number('LOAD_MAX_P99_MS', 1000, 1),
    maxErrorRate: number('LOAD_MAX_ERROR_RATE', 0.01, 0),
  };
}

/** Distinct accounts read (a few, so the reads spread over table partitions as real traffic would). */
const ACCOUNTS = 20;

/**
 * The requests autocannon cycles through, each signed once (SigV4 for
 * execute-api): a signature may be sent again for 5 minutes, longer than a
 * short run.
 */
export async function signedRequests(ledgerApiUrl: string): Promise<autocannon.Request[]> {
  const signer = new SignatureV4({ service: 'execute-api', region: regionOf(new URL(ledgerApiUrl)), credentials: credentialsFromEnv, sha256: Sha256 });
  const requests: autocannon.Request[] = [];
  for (let i = 0; i < ACCOUNTS; i++) {
    const url = new URL(urlOf(ledgerApiUrl, `/accounts/load-test-${i}/balances`));
    const signed = await signer.sign({
      method: 'GET',
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port === '' ? undefined : Number(url.port),
      path: url.pathname,
      query: {},
      headers: { host: url.host },
    });
    requests.push({ method: 'GET', path: url.pathname, headers: signed.headers });
  }
  return requests;
}

/** The share of requests that failed: network errors, timeouts and answers other than 2xx. */
export function errorRate(result: Pick<autocannon.Result, 'errors' | 'timeouts' | 'non2xx' | 'requests'>): number {
  const failed = result.errors + result.timeouts + result.non2xx;
  const sent = result.requests.sent || 1;
  return failed / sent;
}

if (require.main === module) {
  void (async () => {
    const options = loadOptions();
    const ledger = env('LEDGER_API_URL');
    const result = await autocannon({
      url: new URL(ledger).origin,
      connections: options.connections,
      amount: options.requests,
      timeout: 10,
      requests: await signedRequests(ledger),
    });
    console.log(autocannon.printResult(result));
    const p99 = result.latency.p99;
    const rate = errorRate(result);
    console.log(`${result.requests.sent} requests, ${options.connections} connections, ${(result.duration).toFixed(1)} s: `
      + `p50 ${result.latency.p50} ms, p99 ${p99} ms, ${result.requests.average} requests/s, error rate ${(rate * 100).toFixed(2)}%`);
    await runChecks([
      [`p99 ${p99} ms <= ${options.maxP99Ms} ms`, async () => { if (p99 > options.maxP99Ms) throw new Error('too slow'); }],
      [`error rate ${rate.toFixed(4)} <= ${options.maxErrorRate}`, async () => { if (rate > options.maxErrorRate) throw new Error('too many errors'); }],
    ]);
  })();
}
