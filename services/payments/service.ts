import { defineService } from '../service-model';

/** Payments: merchants create payments (idempotently) and read their status. */
export default defineService({
  name: 'payments',
  description: 'Accepts payments from merchants, books them in the ledger and announces them',
  owner: 'team-payments',
  costCenter: 'CC-1001',
  wave: 'core',
  // Who is told when an alarm fires: the team's pager for production, its channel for every environment.
  onCall: [
    { webhook: 'https://oncall.acme-pay.example/sns/team-payments', environments: ['prod'] },
    { slack: { workspaceId: 'T0ACMEPAY', channelId: 'C0PAYMENTS' } },
  ],
  memoryMiB: 512,
  timeoutSeconds: 10,
  functions: {
    createPayment: {
      handler: 'src/create-payment.ts',
      description: 'POST /payments: validate, book in the ledger, store, announce',
      route: { method: 'POST', path: '/payments', scopes: ['payments/write'] },
      tables: { payments: 'readwrite', idempotency: 'readwrite' },
      secrets: ['receipt-signing-key'],
      calls: ['ledger', 'notifications'],
      // An empty body must be refused by validation: proves the new version
      // loads, routes and validates, without creating a payment.
      smokeTest: { body: {}, expectStatus: [400] },
    },
    getPayment: {
      handler: 'src/get-payment.ts',
      description: 'GET /payments/{paymentId}',
      route: { method: 'GET', path: '/payments/{paymentId}', scopes: ['payments/read'] },
      tables: { payments: 'read' },
      memoryMiB: 256,
      smokeTest: { pathParameters: { paymentId: 'pay_smoke-test' }, expectStatus: [404] },
    },
  },
  tables: {
    payments: { partitionKey: 'paymentId' },
    // Powertools idempotency records; expired ones are removed by TTL.
    idempotency: { partitionKey: 'id', timeToLiveAttribute: 'expiration' },
  },
  secrets: {
    'receipt-signing-key': { description: 'HMAC key that signs payment receipts for merchants' },
  },
  environment: {
    SUPPORTED_CURRENCIES: 'EUR,GBP,USD',
    // Minor units (cents). Low in prod until the risk team raises it.
    MAX_PAYMENT_AMOUNT_MINOR: { dev: '100000000', staging: '100000000', prod: '5000000' },
  },
  // Delivered by AWS AppConfig, flipped without a code deployment (README, "Feature flags").
  flags: {
    acceptJpy: {
      description: 'Accept payments in Japanese yen (JPY), besides SUPPORTED_CURRENCIES',
      environments: {
        dev: true,
        // Pilot merchants first; then a percentage (targeting.percent), then everyone.
        staging: { value: false, targeting: { merchants: ['merchant-pilot-1', 'merchant-pilot-2'] } },
        prod: false,
      },
    },
  },
  alarms: { p99LatencyMs: 1500 },
  deployment: { prod: 'canary-10-percent-10-minutes' },
  dependsOn: ['ledger', 'notifications'],
});
