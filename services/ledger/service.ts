import { defineService } from '../service-model';

/** Ledger: the double-entry system of record for every money movement. */
export default defineService({
  name: 'ledger',
  description: 'Double-entry ledger: balanced transactions and account balances',
  owner: 'team-ledger',
  costCenter: 'CC-1002',
  wave: 'foundation',
  // Who is told when an alarm fires.
  onCall: [{ email: 'ledger-oncall@acme-pay.example' }],
  functions: {
    postTransaction: {
      handler: 'src/post-transaction.ts',
      description: 'POST /transactions: book a balanced set of postings atomically',
      route: { method: 'POST', path: '/transactions' },
      tables: { transactions: 'readwrite', balances: 'readwrite' },
      // A ledger must never be written concurrently beyond what DynamoDB
      // transactions absorb comfortably; also caps the blast radius.
      reservedConcurrency: 50,
      smokeTest: { body: {}, expectStatus: [400] },
    },
    getBalances: {
      handler: 'src/get-balances.ts',
      description: 'GET /accounts/{accountId}/balances',
      route: { method: 'GET', path: '/accounts/{accountId}/balances', scopes: ['ledger/read'] },
      tables: { balances: 'read' },
      smokeTest: { pathParameters: { accountId: 'smoke-test' }, expectStatus: [200] },
    },
  },
  tables: {
    transactions: { partitionKey: 'transactionId' },
    balances: { partitionKey: 'accountId', sortKey: 'currency' },
  },
  alarms: { p99LatencyMs: 1000 },
});
