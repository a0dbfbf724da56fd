/**
 * The double-entry model of the ledger: a transaction is a set of postings
 * (entries) whose debits equal their credits in every currency.
 */
import * as z from 'zod';
import { amountMinorSchema, currencySchema, idSchema } from '../../runtime';

/**
 * Entries one transaction may carry. DynamoDB's TransactWriteItems takes at
 * most 100 items: the transaction record plus one balance update per
 * (account, currency); 99 entries can never need more.
 */
export const MAX_ENTRIES = 99;

/** One posting: money leaving (debit) or entering (credit) an account. */
export const EntrySchema = z.strictObject({
  accountId: idSchema('account id'),
  direction: z.enum(['debit', 'credit']),
  amountMinor: amountMinorSchema,
  currency: currencySchema,
});
/** One posting. */
export type Entry = z.output<typeof EntrySchema>;

/** Body of POST /transactions. */
export const NewTransactionSchema = z.strictObject({
  transactionId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/, {
    error: 'is not a valid transaction id; allowed: 1-128 letters, digits, "_" or "-", starting with a letter or digit',
  }),
  description: z.string().min(1).max(500).optional(),
  entries: z.array(EntrySchema)
    .min(2, { error: 'must have at least 2 entries: a transaction moves money from one account to another' })
    .max(MAX_ENTRIES, { error: `must have at most ${MAX_ENTRIES} entries: a transaction is booked in one DynamoDB transaction (at most 100 items)` }),
});
/** A validated POST /transactions body. */
export type NewTransaction = z.output<typeof NewTransactionSchema>;

/** A booked transaction, as stored and answered. */
export interface Transaction extends NewTransaction {
  /** ISO 8601 UTC. */
  readonly createdAt: string;
}

/** A currency whose debits and credits differ. */
export interface Imbalance {
  readonly currency: string;
  readonly debitsMinor: number;
  readonly creditsMinor: number;
}

/** The currencies of `entries` whose debits and credits differ (none for a balanced transaction), by currency. */
export function imbalances(entries: readonly Entry[]): Imbalance[] {
  const sums = new Map<string, { debitsMinor: number; creditsMinor: number }>();
  for (const e of entries) {
    const sum = sums.get(e.currency) ?? { debitsMinor: 0, creditsMinor: 0 };
    // Exact: amounts are capped so that 99 of them stay below 2^53.
    if (e.direction === 'debit') sum.debitsMinor += e.amountMinor;
    else sum.creditsMinor += e.amountMinor;
    sums.set(e.currency, sum);
  }
  return [...sums.entries()]
    .filter(([, s]) => s.debitsMinor !== s.creditsMinor)
    .map(([currency, s]) => ({ currency, ...s }))
    .sort((a, b) => a.currency.localeCompare(b.currency));
}

/** The change of one account's balance in one currency. */
export interface BalanceDelta {
  readonly accountId: string;
  readonly currency: string;
  /** Credits add, debits subtract. */
  readonly deltaMinor: number;
}

/**
 * The net change per (account, currency): one update each, since a DynamoDB
 * transaction may touch an item only once.
 */
export function balanceDeltas(entries: readonly Entry[]): BalanceDelta[] {
  const deltas = new Map<string, BalanceDelta>();
  for (const e of entries) {
    const key = JSON.stringify([e.accountId, e.currency]);
    const signed = e.direction === 'credit' ? e.amountMinor : -e.amountMinor;
    const previous = deltas.get(key);
    deltas.set(key, { accountId: e.accountId, currency: e.currency, deltaMinor: (previous?.deltaMinor ?? 0) + signed });
  }
  return [...deltas.values()];
}

function canonical(entries: readonly Entry[]): string[] {
  return entries.map(e => JSON.stringify([e.accountId, e.direction, e.amountMinor, e.currency])).sort();
}

/** Whether two entry lists post the same amounts to the same accounts (in any order). */
export function sameEntries(a: readonly Entry[], b: readonly Entry[]): boolean {
  const ca = canonical(a);
  const cb = canonical(b);
  return ca.length === cb.length && ca.every((e, i) => e === cb[i]);
}
