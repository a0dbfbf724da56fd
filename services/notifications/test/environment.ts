// Imported first by the handler tests: handler modules read their
// configuration when they load.
import { setTestEnvironment } from '../../runtime/testing';

/** The variables the framework would set for the notifications functions. */
export const ENV = {
  TABLE_NOTIFICATIONS_NAME: 'notifications-table',
  NOTIFICATION_RETENTION_DAYS: '90',
} as const;

setTestEnvironment({ ...ENV, POWERTOOLS_SERVICE_NAME: 'notifications' });
