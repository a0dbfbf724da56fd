import { EnvironmentError, requireEnv } from '../../runtime';
import { listed, notificationFor, RetentionDaysSchema, StoredNotification } from '../src/notification';

const DAY_SECONDS = 24 * 60 * 60;

test('a payment.created event becomes a notification keyed by time and event, with the amount in major units, expiring after the retention', () => {
  const now = new Date('2026-01-02T03:04:06.000Z');
  expect(notificationFor({
    eventId: 'evt_1',
    type: 'payment.created',
    occurredAt: '2026-01-02T03:04:05.000Z',
    payment: { paymentId: 'pay_1', merchantId: 'merchant-1', payerAccountId: 'payer-1', amountMinor: 123456, currency: 'BHD' },
  }, now, 90)).toEqual({
    merchantId: 'merchant-1',
    notificationId: '2026-01-02T03:04:05.000Z#evt_1',
    eventId: 'evt_1',
    type: 'payment.created',
    paymentId: 'pay_1',
    amountMinor: 123456,
    currency: 'BHD',
    message: 'Payment pay_1 of 123.456 BHD received',
    createdAt: '2026-01-02T03:04:06.000Z',
    // 2026-04-02T03:04:06Z, in epoch seconds (DynamoDB TTL).
    expiresAt: Date.parse('2026-04-02T03:04:06.000Z') / 1000,
  });
});

test('expiresAt is whole epoch seconds: the recording time (rounded down) plus the retention in days', () => {
  const now = new Date('2026-01-02T03:04:06.789Z');
  const event = {
    eventId: 'evt_1',
    type: 'payment.created' as const,
    occurredAt: '2026-01-02T03:04:05.000Z',
    payment: { paymentId: 'pay_1', merchantId: 'merchant-1', payerAccountId: 'payer-1', amountMinor: 1, currency: 'EUR' },
  };
  expect(notificationFor(event, now, 1).expiresAt).toBe(Date.parse('2026-01-02T03:04:06.000Z') / 1000 + DAY_SECONDS);
  expect(notificationFor(event, now, 3650).expiresAt).toBe(Date.parse('2026-01-02T03:04:06.000Z') / 1000 + 3650 * DAY_SECONDS);
});

describe('listed', () => {
  const stored = (n: number, expiresAt?: number) => ({
    merchantId: 'merchant-1',
    notificationId: `2026-01-0${n}T00:00:00.000Z#evt_${n}`,
    eventId: `evt_${n}`,
    type: 'payment.created',
    paymentId: `pay_${n}`,
    amountMinor: 1,
    currency: 'EUR',
    message: `Payment pay_${n} of 0.01 EUR received`,
    createdAt: `2026-01-0${n}T00:00:01.000Z`,
    ...(expiresAt === undefined ? {} : { expiresAt }),
  }) as StoredNotification;
  const now = Date.parse('2026-04-01T00:00:00.000Z');

  test('drops expiresAt (not part of the API) and the notifications already expired that TTL has not deleted yet', () => {
    const { expiresAt: _, ...fresh } = stored(3, now / 1000 + 1);
    expect(listed([stored(3, now / 1000 + 1), stored(2, now / 1000), stored(1, now / 1000 - 1)], now)).toEqual([fresh]);
  });

  test('keeps notifications recorded before they had an expiry', () => {
    expect(listed([stored(1)], now)).toEqual([stored(1)]);
  });
});

describe('NOTIFICATION_RETENTION_DAYS', () => {
  afterEach(() => {
    delete process.env.TEST_RETENTION_DAYS;
  });

  test.each([['1', 1], ['90', 90], ['3650', 3650]])('%p is %p days', (value, days) => {
    process.env.TEST_RETENTION_DAYS = value;
    expect(requireEnv('TEST_RETENTION_DAYS', RetentionDaysSchema)).toBe(days);
  });

  test.each(['0', '3651', '90.5', '-1', 'ninety', ' 90', '1e3'])('%p is refused, naming the variable and what is allowed', value => {
    process.env.TEST_RETENTION_DAYS = value;
    expect(() => requireEnv('TEST_RETENTION_DAYS', RetentionDaysSchema)).toThrow(EnvironmentError);
    expect(() => requireEnv('TEST_RETENTION_DAYS', RetentionDaysSchema))
      .toThrow(`environment variable TEST_RETENTION_DAYS ${JSON.stringify(value)} is invalid: must be a whole number of days from 1 to 3650`);
  });
});
