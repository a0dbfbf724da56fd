import { Faults, FaultSchema } from '../../../services/local/faults';

describe('faults of the local stage', () => {
  test('an answer in place of the function, for as many requests as asked, on that route only', async () => {
    const faults = new Faults();
    faults.set({ service: 'ledger', method: 'POST', path: '/transactions', respond: { status: 422, body: { message: 'closed' } }, times: 2 });
    expect(await faults.apply('ledger', 'GET', '/transactions')).toBeUndefined();
    expect(await faults.apply('payments', 'POST', '/transactions')).toBeUndefined();
    expect(await faults.apply('ledger', 'POST', '/transactions')).toEqual({ status: 422, body: '{"message":"closed"}' });
    expect(await faults.apply('ledger', 'POST', '/transactions')).toEqual({ status: 422, body: '{"message":"closed"}' });
    expect(await faults.apply('ledger', 'POST', '/transactions')).toBeUndefined();
  });

  test('a delay holds the request, then lets the function answer; clear() ends every fault', async () => {
    jest.useFakeTimers();
    try {
      const faults = new Faults();
      faults.set({ service: 'ledger', method: 'POST', path: '/transactions', delayMs: 6_000 });
      let done = false;
      const applied = faults.apply('ledger', 'POST', '/transactions').then(answer => { done = true; return answer; });
      await jest.advanceTimersByTimeAsync(5_999);
      expect(done).toBe(false);
      await jest.advanceTimersByTimeAsync(1);
      expect(await applied).toBeUndefined();
      faults.clear();
      let cleared = false;
      void faults.apply('ledger', 'POST', '/transactions').then(() => { cleared = true; });
      await jest.advanceTimersByTimeAsync(0);
      expect(cleared).toBe(true);
    } finally {
      jest.useRealTimers();
    }
  });

  test.each([
    [{ service: 'ledger', method: 'POST', path: '/transactions' }, 'a fault needs delayMs or respond'],
    [{ service: 'ledger', method: 'post', path: '/transactions', delayMs: 1 }, 'method'],
    [{ service: 'ledger', method: 'POST', path: 'transactions', delayMs: 1 }, 'path'],
    [{ service: 'ledger', method: 'POST', path: '/transactions', delayMs: 120_000 }, 'delayMs'],
    [{ service: 'ledger', method: 'POST', path: '/transactions', delayMs: 1, extra: true }, 'extra'],
  ])('%j is not a fault (%s)', (input, problem) => {
    const parsed = FaultSchema.safeParse(input);
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toContain(problem);
  });
});
