/** Waits `ms` milliseconds; injectable so tests do not wait. */
export type Sleep = (ms: number) => Promise<void>;

/** The real {@link Sleep}. */
export const realSleep: Sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

/** The error name of an AWS SDK error (its exception's shape name), or undefined. */
export function errorName(e: unknown): string | undefined {
  return e instanceof Error ? e.name : undefined;
}

/**
 * Errors worth retrying at the tool's level. The SDK's adaptive retry already
 * retries throttling; we retry once more around whole steps because a long
 * apply can outlast its attempts, and ConcurrentModificationException, which
 * the SDK does not retry: Organizations raises it while another change
 * (ours, Control Tower's, a colleague's) touches the same OU or account.
 */
export const RETRYABLE_ERRORS: ReadonlySet<string> = new Set([
  'ConcurrentModificationException',
  'TooManyRequestsException',
  'ThrottlingException',
  'Throttling',
]);

/** How {@link withRetry} backs off. */
export interface RetryOptions {
  /** Attempts in all, the first included. @default 6 */
  readonly attempts?: number;
  /** First delay; doubles each attempt. @default 1000 */
  readonly baseDelayMs?: number;
  /** Longest delay. @default 20000 */
  readonly maxDelayMs?: number;
  /** @default realSleep */
  readonly sleep?: Sleep;
}

/**
 * Runs `action`, retrying {@link RETRYABLE_ERRORS} with exponential backoff; other errors pass through at once,
 * notably missing, expired or refused credentials and unreachable endpoints (`AwsCallError`: the SDK already
 * retried the network a bounded number of times, and retrying credentials only delays the message).
 */
export async function withRetry<T>(action: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 6;
  const sleep = options.sleep ?? realSleep;
  let delay = options.baseDelayMs ?? 1000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await action();
    } catch (e) {
      const name = errorName(e);
      if (attempt >= attempts || name === undefined || !RETRYABLE_ERRORS.has(name)) throw e;
      await sleep(delay);
      delay = Math.min(delay * 2, options.maxDelayMs ?? 20_000);
    }
  }
}
