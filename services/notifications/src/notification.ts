/** A merchant notification, made from a payment event. */
import type { PaymentEvent } from './payment-event';
import { formatMinorUnits } from '../../runtime';

/** A notification as stored (key: merchantId, notificationId) and listed. */
export interface Notification {
  readonly merchantId: string;
  /** `<occurredAt>#<eventId>`: sorts by time, unique per event, the same for a redelivered event. */
  readonly notificationId: string;
  readonly eventId: string;
  readonly type: PaymentEvent['type'];
  readonly paymentId: string;
  readonly amountMinor: number;
  readonly currency: string;
  /** For people, e.g. `Payment pay_... of 12.34 EUR received`. */
  readonly message: string;
  /** When the notification was recorded (ISO 8601 UTC). */
  readonly createdAt: string;
}

const VERBS: Record<PaymentEvent['type'], string> = {
  'payment.created': 'received',
};

/** The notification telling a merchant about `event`. */
export function notificationFor(event: PaymentEvent, now: Date): Notification {
  const { paymentId, merchantId, amountMinor, currency } = event.payment;
  return {
    merchantId,
    notificationId: `${event.occurredAt}#${event.eventId}`,
    eventId: event.eventId,
    type: event.type,
    paymentId,
    amountMinor,
    currency,
    message: `Payment ${paymentId} of ${formatMinorUnits(amountMinor, currency)} ${VERBS[event.type]}`,
    createdAt: now.toISOString(),
  };
}
