import { spawn } from 'node:child_process';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { errorRate, loadOptions } from './load';
import { REPO_ROOT } from '../fixtures/organization';

/** A local stand-in for a deployed API: answers `status(method, path)`, records what it saw. */
async function withApi(status: (method: string, url: string) => number, run: (baseUrl: string, seen: string[]) => Promise<void>): Promise<void> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url} ${String(req.headers.authorization).split(' ')[0]}`);
    req.resume();
    req.on('end', () => {
      res.writeHead(status(req.method!, req.url!), { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  try {
    await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}/dev/`, seen);
  } finally {
    server.close();
  }
}

function runSmoke(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise(resolve => {
    // The pipeline's `npx tsx test/integration/smoke.ts`, without npx's own start-up.
    const child = spawn(path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), [path.join('test', 'integration', 'smoke.ts')], {
      cwd: REPO_ROOT,
      env: { ...process.env, AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_REGION: 'eu-west-1', ...env },
    });
    let output = '';
    child.stdout.on('data', d => { output += String(d); });
    child.stderr.on('data', d => { output += String(d); });
    child.on('close', code => resolve({ code, output }));
  });
}

describe('the integration smoke suite', () => {
  test('sends each route its signed smoke request and passes on the expected statuses', async () => {
    await withApi((method, url) => (method === 'POST' ? 400 : url.includes('/payments/') ? 404 : 200), async (baseUrl, seen) => {
      const { code, output } = await runSmoke({ SERVICE: 'payments', API_URL: baseUrl });
      expect(output).toContain('2 passed, 0 failed');
      expect(code).toBe(0);
      expect(seen.sort()).toEqual(['GET /dev/payments/pay_smoke-test AWS4-HMAC-SHA256', 'POST /dev/payments AWS4-HMAC-SHA256']);
    });
  }, 30_000);

  test('fails when a route answers a server error', async () => {
    await withApi(() => 500, async baseUrl => {
      const { code, output } = await runSmoke({ SERVICE: 'ledger', API_URL: baseUrl });
      expect(output).toContain('0 passed, 2 failed');
      expect(code).toBe(1);
    });
  }, 30_000);
});

describe('the load test\'s settings and error rate', () => {
  test('sizes and thresholds come from the environment, with defaults; a bad value is named', () => {
    expect(loadOptions({})).toEqual({ requests: 300, connections: 10, maxP99Ms: 1000, maxErrorRate: 0.01 });
    expect(loadOptions({ LOAD_REQUESTS: '50', LOAD_MAX_P99_MS: '250', LOAD_MAX_ERROR_RATE: '0' }))
      .toEqual({ requests: 50, connections: 10, maxP99Ms: 250, maxErrorRate: 0 });
    expect(() => loadOptions({ LOAD_CONCURRENCY: 'ten' })).toThrow('environment variable LOAD_CONCURRENCY "ten" is not a number of at least 1');
  });

  test('errors, timeouts and answers other than 2xx count as failed requests', () => {
    expect(errorRate({ errors: 1, timeouts: 1, non2xx: 2, requests: { sent: 400 } as never })).toBe(0.01);
    expect(errorRate({ errors: 0, timeouts: 0, non2xx: 0, requests: { sent: 0 } as never })).toBe(0);
  });
});
