import { balanceDeltas, Entry, imbalances, sameEntries } from '../src/transaction';

const entry = (accountId: string, direction: Entry['direction'], amountMinor: number, currency = 'EUR'): Entry =>
  ({ accountId, direction, amountMinor, currency });

describe('imbalances', () => {
  test('a transaction whose debits equal its credits in every currency has none', () => {
    expect(imbalances([
      entry('a', 'debit', 100), entry('b', 'credit', 60), entry('c', 'credit', 40),
      entry('a', 'debit', 7, 'JPY'), entry('b', 'credit', 7, 'JPY'),
    ])).toEqual([]);
  });

  test('names each unbalanced currency with both sums, in currency order', () => {
    expect(imbalances([
      entry('a', 'debit', 100, 'USD'), entry('b', 'credit', 90, 'USD'),
      entry('a', 'debit', 5), entry('b', 'debit', 5),
    ])).toEqual([
      { currency: 'EUR', debitsMinor: 10, creditsMinor: 0 },
      { currency: 'USD', debitsMinor: 100, creditsMinor: 90 },
    ]);
  });

  test('a debit in one currency does not balance a credit in another', () => {
    expect(imbalances([entry('a', 'debit', 100, 'EUR'), entry('b', 'credit', 100, 'GBP')])).toHaveLength(2);
  });
});

describe('balanceDeltas', () => {
  test('credits add, debits subtract, one net change per account and currency', () => {
    expect(balanceDeltas([
      entry('payer', 'debit', 1000), entry('merchant', 'credit', 970), entry('fees', 'credit', 30),
      entry('merchant', 'debit', 30), entry('fees', 'credit', 30, 'GBP'), entry('payer', 'debit', 30, 'GBP'),
    ])).toEqual([
      { accountId: 'payer', currency: 'EUR', deltaMinor: -1000 },
      { accountId: 'merchant', currency: 'EUR', deltaMinor: 940 },
      { accountId: 'fees', currency: 'EUR', deltaMinor: 30 },
      { accountId: 'fees', currency: 'GBP', deltaMinor: 30 },
      { accountId: 'payer', currency: 'GBP', deltaMinor: -30 },
    ]);
  });
});

describe('sameEntries', () => {
  test('ignores order but not accounts, directions, amounts or currencies', () => {
    const entries = [entry('a', 'debit', 100), entry('b', 'credit', 100)];
    expect(sameEntries(entries, [...entries].reverse())).toBe(true);
    expect(sameEntries(entries, [entry('a', 'debit', 100), entry('c', 'credit', 100)])).toBe(false);
    expect(sameEntries(entries, [entry('a', 'credit', 100), entry('b', 'debit', 100)])).toBe(false);
    expect(sameEntries(entries, [entry('a', 'debit', 101), entry('b', 'credit', 101)])).toBe(false);
    expect(sameEntries(entries, [entry('a', 'debit', 100, 'GBP'), entry('b', 'credit', 100, 'GBP')])).toBe(false);
    expect(sameEntries(entries, [...entries, entry('a', 'debit', 100)])).toBe(false);
  });
});
