// Imported first by the handler tests: handler modules read their
// configuration when they load.
import { setTestEnvironment } from '../../runtime/testing';

/** The variables the framework would set for the ledger functions. */
export const ENV = {
  TABLE_TRANSACTIONS_NAME: 'transactions-table',
  TABLE_BALANCES_NAME: 'balances-table',
} as const;

setTestEnvironment({ ...ENV, POWERTOOLS_SERVICE_NAME: 'ledger' });
