/**
 * Journeys through a feature flag flipped while the stage runs (local
 * stage): payments accepts JPY only where flag `acceptJpy` is on for the
 * merchant. With the stage's setting (the manifest's local one: on) a JPY
 * payment is accepted; flipped off, the same request is refused 400 as an
 * unsupported currency; flipped to an allow-list, its merchant is accepted
 * and another refused. The original setting is put back at the end, also
 * after a failure. Flips go through the stage's flags endpoint
 * (LOCAL_STAGE_FLAGS_URL, services/local/flags.ts); a deployed stage's flags
 * change through AppConfig, so without it the suite says so and checks nothing.
 * Needs PAYMENTS_API_URL.
 */
import { randomUUID } from 'node:crypto';
import { call, env, runChecks, urlOf } from './http';

const flagsUrl = process.env.LOCAL_STAGE_FLAGS_URL;
const FLAG = 'acceptJpy';
/** What payments answers for JPY where the flag is off (services/payments/src/create-payment.ts). */
const REFUSED = { path: 'currency', message: 'is not supported; allowed: EUR, GBP, USD' };
/**
 * How long a flip may take to show: the runtime reads the flags file again
 * at most every second (services/runtime/flags.ts), plus a request's time.
 */
const FLIP_TIMEOUT_MS = 5_000;

const run = randomUUID().slice(0, 8);
const merchantA = `flag-merchant-a-${run}`;
const merchantB = `flag-merchant-b-${run}`;

/** A flags endpoint's answer: status and parsed body. */
async function flagsCall(route: string, setting?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${flagsUrl}${route}`, {
    method: setting === undefined ? 'GET' : 'PUT',
    headers: setting === undefined ? {} : { 'content-type': 'application/json' },
    body: setting === undefined ? undefined : JSON.stringify(setting),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, body: await response.json() as Record<string, unknown> };
}

/** The flag's current setting on the stage, and the one it started with. */
async function currentSetting(): Promise<{ setting: unknown; declared: unknown }> {
  const { status, body } = await flagsCall('/payments');
  if (status !== 200) throw new Error(`GET ${flagsUrl}/payments answered ${status}: ${JSON.stringify(body)}`);
  const of = (field: string) => (body[field] as Record<string, unknown> | undefined)?.[FLAG];
  return { setting: of('settings'), declared: of('declared') };
}

/** Flips the flag; the stage answers the setting it took. */
async function flip(setting: unknown): Promise<void> {
  const { status, body } = await flagsCall(`/payments/${FLAG}`, setting);
  if (status !== 200) throw new Error(`the stage refused ${JSON.stringify(setting)} for ${FLAG}: ${status} ${JSON.stringify(body)}`);
}

/** A JPY payment of `merchantId`, each time with a new Idempotency-Key: status and body. */
function payInYen(merchantId: string): Promise<{ status: number; body: unknown }> {
  const payments = env('PAYMENTS_API_URL');
  const request = { merchantId, payerAccountId: `flag-payer-${run}`, amountMinor: 1500, currency: 'JPY', description: `flag journey ${run}` };
  return call(urlOf(payments, '/payments'), { method: 'POST', json: request, headers: { 'Idempotency-Key': randomUUID() }, timeoutMs: 30_000 });
}

type Outcome = 'accepted' | 'refused';

/** What payments made of a JPY payment: accepted (201), refused for its currency (400), or an error. */
function outcomeOf(answer: { status: number; body: unknown }): Outcome {
  if (answer.status === 201) return 'accepted';
  const errors = (answer.body as { errors?: unknown[] } | undefined)?.errors;
  if (answer.status === 400 && JSON.stringify(errors?.[0]) === JSON.stringify(REFUSED)) return 'refused';
  throw new Error(`status ${answer.status}, expected 201 or 400 with errors[0] ${JSON.stringify(REFUSED)}: ${JSON.stringify(answer.body)}`);
}

async function expectOutcome(merchantId: string, expected: Outcome): Promise<void> {
  const answer = await payInYen(merchantId);
  if (outcomeOf(answer) !== expected) throw new Error(`a JPY payment of ${merchantId}: ${expected === 'accepted' ? 'refused' : 'accepted'}, expected ${expected}: ${JSON.stringify(answer.body)}`);
}

/** Sends JPY payments of `merchantId` until one is `expected` (the flip has reached the function), within {@link FLIP_TIMEOUT_MS}. */
async function eventuallyOutcome(merchantId: string, expected: Outcome): Promise<void> {
  const started = Date.now();
  let last: { status: number; body: unknown } | undefined;
  while (Date.now() - started < FLIP_TIMEOUT_MS) {
    last = await payInYen(merchantId);
    if (outcomeOf(last) === expected) return;
    await new Promise(resolve => setTimeout(resolve, 200));
  }
  throw new Error(`a JPY payment of ${merchantId} still not ${expected} ${FLIP_TIMEOUT_MS / 1000} s after the flip: ${last?.status} ${JSON.stringify(last?.body)}`);
}

if (!flagsUrl) {
  console.log('skipped: these journeys flip feature flags, which only the local stage can do here (LOCAL_STAGE_FLAGS_URL is not set)');
} else {
  let original: { setting: unknown } | undefined;
  /** Later checks flip the flag: without the original setting to put back, they do not start. */
  const requireOriginal = () => {
    if (!original) throw new Error('the original setting of the flag was not read (see the first check)');
  };
  void runChecks([
    ['with the stage\'s setting (the manifest\'s local one: on), a JPY payment is accepted', async () => {
      const { setting, declared } = await currentSetting();
      original = { setting };
      if (JSON.stringify(setting) !== JSON.stringify(declared) || setting !== true) {
        throw new Error(`${FLAG} is ${JSON.stringify(setting)} on the stage, expected the manifest's local setting true (declared: ${JSON.stringify(declared)})`);
      }
      await expectOutcome(merchantA, 'accepted');
    }],
    [`flipped off, the same request is refused 400: currency ${REFUSED.message}`, async () => {
      requireOriginal();
      await flip(false);
      await eventuallyOutcome(merchantA, 'refused');
      await expectOutcome(merchantB, 'refused');
    }],
    ['flipped to an allow-list of merchant A: A is accepted, merchant B refused', async () => {
      requireOriginal();
      await flip({ value: false, targeting: { merchants: [merchantA] } });
      await eventuallyOutcome(merchantA, 'accepted');
      await expectOutcome(merchantB, 'refused');
    }],
    ['the original setting is put back, and taken', async () => {
      requireOriginal();
      await flip(original!.setting);
      const { setting } = await currentSetting();
      if (JSON.stringify(setting) !== JSON.stringify(original!.setting)) {
        throw new Error(`${FLAG} is ${JSON.stringify(setting)} after restoring, expected ${JSON.stringify(original!.setting)}`);
      }
      if (original!.setting === true) await eventuallyOutcome(merchantB, 'accepted');
    }],
  ]);
}
