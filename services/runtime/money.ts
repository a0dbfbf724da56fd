import * as z from 'zod';

/** ISO 4217 alphabetic code, e.g. `EUR`. */
export const currencySchema = z.string({ error: 'currency must be a string' }).regex(/^[A-Z]{3}$/, {
  error: 'is not an ISO 4217 currency code; allowed: three uppercase letters, e.g. EUR',
  // Further checks (e.g. "is supported") would only repeat the complaint.
  abort: true,
});

/**
 * The largest amount, in minor units, any one posting may carry: 10^13
 * (100 billion in major units). Keeps every sum of up to 100 postings below
 * 2^53, where JavaScript numbers stop being exact.
 */
export const MAX_AMOUNT_MINOR = 10_000_000_000_000;

/** A positive whole amount in minor units (cents), at most {@link MAX_AMOUNT_MINOR}. */
export const amountMinorSchema = z.int({ error: 'must be a whole number of minor units (e.g. cents)' })
  .positive({ error: 'must be positive' })
  .max(MAX_AMOUNT_MINOR, { error: `must be at most ${MAX_AMOUNT_MINOR}` });

const digitsByCurrency = new Map<string, number>();

/** Decimal places of a currency's minor unit (EUR 2, JPY 0, BHD 3), as ISO 4217 and ICU define them. */
export function minorUnitDigits(currency: string): number {
  let digits = digitsByCurrency.get(currency);
  if (digits === undefined) {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    digitsByCurrency.set(currency, digits);
  }
  return digits;
}

/**
 * An amount in minor units as people read it: `formatMinorUnits(123456, 'EUR')`
 * is `1,234.56 EUR`, `formatMinorUnits(500, 'JPY')` is `500 JPY`. Exact:
 * works on the digits, never divides a float.
 */
export function formatMinorUnits(amountMinor: number, currency: string): string {
  if (!Number.isSafeInteger(amountMinor)) throw new RangeError(`amount ${amountMinor} is not a whole number of minor units`);
  const digits = minorUnitDigits(currency);
  const text = Math.abs(amountMinor).toString().padStart(digits + 1, '0');
  // eslint-disable-next-line security/detect-unsafe-regex -- the input is the integer part of an amount in minor units: at most 16 digits (a safe integer), so the lookahead stays small
  const major = text.slice(0, text.length - digits).replace(/\B(?=(\d{3})+$)/g, ',');
  const minor = digits > 0 ? `.${text.slice(text.length - digits)}` : '';
  return `${amountMinor < 0 ? '-' : ''}${major}${minor} ${currency}`;
}
