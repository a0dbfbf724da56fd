/** A merchant notification, made from a payment event. */
import * as z from 'zod';
import type { PaymentEvent } from './payment-event';
import { formatMinorUnits } from '../../runtime';

/** A notification as listed (api.yaml's Notification). */
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

/** A notification as stored (key: merchantId, notificationId). */
export interface StoredNotification extends Notification {
  /**
   * When the notification expires, in epoch seconds: recorded time plus
   * NOTIFICATION_RETENTION_DAYS. The table's TTL attribute (DynamoDB
   * deletes it some time after), not part of the API.
   */
  readonly expiresAt: number;
}

const RETENTION_DAYS_ERROR = 'must be a whole number of days from 1 to 3650';

/** NOTIFICATION_RETENTION_DAYS: how many days a notification is kept (1 to 3650, ten years). */
export const RetentionDaysSchema = z.string()
  .regex(/^\d{1,4}$/, { error: RETENTION_DAYS_ERROR })
  .transform(Number)
  .pipe(z.int().min(1, { error: RETENTION_DAYS_ERROR }).max(3650, { error: RETENTION_DAYS_ERROR }));

const SECONDS_PER_DAY = 24 * 60 * 60;

const VERBS: Record<PaymentEvent['type'], string> = {
  'payment.created': 'received',
};

/** The notification telling a merchant about `event`, recorded at `now` and kept `retentionDays`. */
export function notificationFor(event: PaymentEvent, now: Date, retentionDays: number): StoredNotification {
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
    expiresAt: Math.floor(now.getTime() / 1000) + retentionDays * SECONDS_PER_DAY,
  };
}

/**
 * Stored notifications as the API lists them: without `expiresAt`, and
 * without those already expired, since DynamoDB's TTL deletes items only
 * some time (up to days) after they expire. Records from before the TTL
 * (no `expiresAt`) are kept.
 */
export function listed(items: readonly StoredNotification[], nowMs: number): Notification[] {
  return items
    .filter(item => typeof item.expiresAt !== 'number' || item.expiresAt * 1000 > nowMs)
    .map(({ expiresAt: _, ...notification }) => notification);
}
