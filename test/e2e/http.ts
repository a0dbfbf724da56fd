/** Shared by the post-deploy suites: signed calls to deployed APIs and a plain pass/fail tally. */
import { signedFetch, SignedFetchOptions } from '../../services/runtime';

/** A required environment variable (the pipeline passes stack outputs this way). */
export function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set (the pipeline passes it from the stack outputs)`);
  return value;
}

/** Joins an API base URL (with its stage, e.g. https://x.execute-api.eu-west-1.amazonaws.com/dev/) and a path. */
export function urlOf(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}${path}`;
}

/** A signed JSON call: status, parsed body (or text) and duration. */
export async function call(url: string, options: SignedFetchOptions = {}): Promise<{ status: number; body: unknown; ms: number }> {
  const start = performance.now();
  const response = await signedFetch(url, { timeoutMs: 10_000, ...options });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body, ms: performance.now() - start };
}

/** Runs named checks in order, prints each, ends with "N passed, M failed" and the exit code. */
export async function runChecks(checks: ReadonlyArray<readonly [string, () => Promise<void>]>): Promise<void> {
  let failed = 0;
  for (const [name, check] of checks) {
    try {
      await check();
      console.log(`ok   ${name}`);
    } catch (e) {
      failed++;
      console.log(`FAIL ${name}: ${(e as Error).message}`);
    }
  }
  console.log(`${checks.length - failed} passed, ${failed} failed`);
  process.exitCode = failed > 0 ? 1 : 0;
}
