import { defineService } from '../service-model';

/** Notifications: turns payment events into merchant notifications. */
export default defineService({
  name: 'notifications',
  description: 'Consumes payment events and keeps each merchant\'s notification inbox',
  owner: 'team-merchant-experience',
  costCenter: 'CC-1003',
  wave: 'foundation',
  // Who is told when an alarm fires: the on-call address in production, the team's Teams channel before it.
  onCall: [
    { email: 'merchant-experience-oncall@acme-pay.example', environments: ['prod'] },
    {
      teams: { tenantId: '00000000-0000-4000-8000-000000000ac3', teamId: '00000000-0000-4000-8000-0000000000c1', channelId: '19%3amerchantxp%40thread.tacv2' },
      environments: ['dev', 'staging'],
    },
  ],
  functions: {
    recordPaymentEvent: {
      handler: 'src/record-payment-event.ts',
      description: 'Consumes payment-events; one notification per event, duplicates ignored',
      queue: 'payment-events',
      tables: { notifications: 'readwrite' },
      timeoutSeconds: 30,
    },
    listNotifications: {
      handler: 'src/list-notifications.ts',
      description: 'GET /merchants/{merchantId}/notifications',
      route: { method: 'GET', path: '/merchants/{merchantId}/notifications', scopes: ['notifications/read'] },
      tables: { notifications: 'read' },
      smokeTest: { pathParameters: { merchantId: 'smoke-test' }, expectStatus: [200] },
    },
  },
  queues: {
    'payment-events': {
      description: 'Payment lifecycle events sent by the payments service',
      maxReceiveCount: 5,
      batchSize: 10,
      // What recordPaymentEvent parses; senders' contracts are checked against it.
      messageSchema: 'src/payment-event.ts#PaymentEventSchema',
    },
  },
  tables: {
    // DynamoDB deletes a notification some time after its expiresAt (epoch seconds).
    notifications: { partitionKey: 'merchantId', sortKey: 'notificationId', timeToLiveAttribute: 'expiresAt' },
  },
  environment: {
    // Days a notification is kept (1-3650); recordPaymentEvent sets expiresAt from it.
    NOTIFICATION_RETENTION_DAYS: '90',
  },
});
