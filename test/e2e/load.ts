/**
 * Short load test (pipeline, pre-production environments): LOAD_REQUESTS
 * balance reads against the ledger with LOAD_CONCURRENCY in flight; fails if
 * p95 latency exceeds LOAD_MAX_P95_MS or the error rate LOAD_MAX_ERROR_RATE.
 * Reads only, so it can run against a shared environment.
 */
import { call, env, runChecks, urlOf } from './http';

const requests = Number(process.env.LOAD_REQUESTS ?? 300);
const concurrency = Number(process.env.LOAD_CONCURRENCY ?? 10);
const maxP95Ms = Number(process.env.LOAD_MAX_P95_MS ?? 1000);
const maxErrorRate = Number(process.env.LOAD_MAX_ERROR_RATE ?? 0.01);

/** The p-th percentile (0-100) of `values`. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

async function load(ledger: string): Promise<{ durations: number[]; errors: number }> {
  const durations: number[] = [];
  let errors = 0;
  let next = 0;
  const worker = async () => {
    while (next < requests) {
      const i = next++;
      try {
        const { status, ms } = await call(urlOf(ledger, `/accounts/load-test-${i % 20}/balances`));
        durations.push(ms);
        if (status >= 500 || status === 429) errors++;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { durations, errors };
}

if (require.main === module) {
  void (async () => {
    const start = performance.now();
    const { durations, errors } = await load(env('LEDGER_API_URL'));
    const p95 = percentile(durations, 95);
    const errorRate = errors / requests;
    console.log(`${requests} requests, ${concurrency} in flight, ${((performance.now() - start) / 1000).toFixed(1)} s: `
      + `p50 ${percentile(durations, 50).toFixed(0)} ms, p95 ${p95.toFixed(0)} ms, error rate ${(errorRate * 100).toFixed(2)}%`);
    await runChecks([
      [`p95 ${p95.toFixed(0)} ms <= ${maxP95Ms} ms`, async () => { if (p95 > maxP95Ms) throw new Error('too slow'); }],
      [`error rate ${errorRate} <= ${maxErrorRate}`, async () => { if (errorRate > maxErrorRate) throw new Error('too many errors'); }],
    ]);
  })();
}
