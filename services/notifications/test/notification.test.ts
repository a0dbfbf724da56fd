import { notificationFor } from '../src/notification';

test('a payment.created event becomes a notification keyed by time and event, with the amount in major units', () => {
  const now = new Date('2026-01-02T03:04:06.000Z');
  expect(notificationFor({
    eventId: 'evt_1',
    type: 'payment.created',
    occurredAt: '2026-01-02T03:04:05.000Z',
    payment: { paymentId: 'pay_1', merchantId: 'merchant-1', payerAccountId: 'payer-1', amountMinor: 123456, currency: 'BHD' },
  }, now)).toEqual({
    merchantId: 'merchant-1',
    notificationId: '2026-01-02T03:04:05.000Z#evt_1',
    eventId: 'evt_1',
    type: 'payment.created',
    paymentId: 'pay_1',
    amountMinor: 123456,
    currency: 'BHD',
    message: 'Payment pay_1 of 123.456 BHD received',
    createdAt: '2026-01-02T03:04:06.000Z',
  });
});
