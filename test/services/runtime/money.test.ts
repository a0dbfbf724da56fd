import { amountMinorSchema, currencySchema, formatMinorUnits, MAX_AMOUNT_MINOR, minorUnitDigits } from '../../../services/runtime/money';

describe('minorUnitDigits', () => {
  test.each([['EUR', 2], ['USD', 2], ['JPY', 0], ['KRW', 0], ['BHD', 3], ['KWD', 3]])('%s has %d decimals', (currency, digits) => {
    expect(minorUnitDigits(currency)).toBe(digits);
  });
});

describe('formatMinorUnits', () => {
  test.each([
    [1234, 'EUR', '12.34 EUR'],
    [5, 'EUR', '0.05 EUR'],
    [100, 'GBP', '1.00 GBP'],
    [123456789, 'USD', '1,234,567.89 USD'],
    [1234, 'JPY', '1,234 JPY'],
    [7, 'JPY', '7 JPY'],
    [1234, 'BHD', '1.234 BHD'],
    [-250, 'EUR', '-2.50 EUR'],
    [MAX_AMOUNT_MINOR, 'EUR', '100,000,000,000.00 EUR'],
  ])('%d minor units of %s read %s', (amount, currency, text) => {
    expect(formatMinorUnits(amount, currency)).toBe(text);
  });

  test('refuses amounts that are not whole minor units', () => {
    expect(() => formatMinorUnits(12.5, 'EUR')).toThrow('amount 12.5 is not a whole number of minor units');
  });
});

describe('schemas', () => {
  test('amounts are positive whole minor units up to the cap', () => {
    expect(amountMinorSchema.safeParse(1).success).toBe(true);
    expect(amountMinorSchema.safeParse(MAX_AMOUNT_MINOR).success).toBe(true);
    expect(amountMinorSchema.safeParse(0).error?.issues[0].message).toBe('must be positive');
    expect(amountMinorSchema.safeParse(1.5).error?.issues[0].message).toBe('must be a whole number of minor units (e.g. cents)');
    expect(amountMinorSchema.safeParse('100').error?.issues[0].message).toBe('must be a whole number of minor units (e.g. cents)');
    expect(amountMinorSchema.safeParse(MAX_AMOUNT_MINOR + 1).error?.issues[0].message).toBe(`must be at most ${MAX_AMOUNT_MINOR}`);
  });

  test('currencies are three uppercase letters', () => {
    expect(currencySchema.safeParse('EUR').success).toBe(true);
    expect(currencySchema.safeParse('eur').error?.issues[0].message).toBe('is not an ISO 4217 currency code; allowed: three uppercase letters, e.g. EUR');
  });
});
