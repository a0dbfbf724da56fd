import * as path from 'node:path';
import { loadServices } from '../../../services';
import { LocalStageError } from '../../../services/local/emulator';
import { localName, ServiceResources } from '../../../services/local/resources';
import { functionEnvironments, selectServices, startLocalStage } from '../../../services/local/stage';
import { loadShippedOrganization, REPO_ROOT } from '../../fixtures/organization';

const organization = loadShippedOrganization();
const services = loadServices({ servicesDir: path.join(REPO_ROOT, 'services'), organization });

describe('the local stage\'s services', () => {
  test('--only selects the services named and every service they depend on or call', () => {
    expect(selectServices(services, ['payments']).map(s => s.manifest.name)).toEqual(['ledger', 'notifications', 'payments']);
    expect(selectServices(services, ['ledger']).map(s => s.manifest.name)).toEqual(['ledger']);
    expect(selectServices(services).map(s => s.manifest.name)).toEqual(['ledger', 'notifications', 'payments']);
  });

  test('an unknown service is refused, naming it and the services there are', () => {
    expect(() => selectServices(services, ['ledger', 'fx-rates'])).toThrow(LocalStageError);
    expect(() => selectServices(services, ['ledger', 'fx-rates'])).toThrow("--only: unknown service 'fx-rates'; allowed: ledger, notifications, payments");
  });
});

describe('the variables of each local function', () => {
  const resources = new Map<string, ServiceResources>([
    ['payments', {
      tables: { payments: 'payments-payments', idempotency: 'payments-idempotency' },
      queues: {},
      secrets: { 'receipt-signing-key': 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:payments-receipt-signing-key-AbCdEf' },
    }],
    ['ledger', { tables: { transactions: 'ledger-transactions', balances: 'ledger-balances' }, queues: {}, secrets: {} }],
    ['notifications', {
      tables: { notifications: 'notifications-notifications' },
      queues: { 'payment-events': { url: 'http://127.0.0.1:5000/123456789012/notifications-payment-events', arn: 'arn:q', deadLetterUrl: 'http://dlq' } },
      secrets: {},
    }],
  ]);
  const facts = {
    organization,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIALOCAL', secretAccessKey: 'secret' },
    emulatorUrl: 'http://127.0.0.1:5000',
    resources,
    apiUrl: (service: string) => `http://127.0.0.1:41${service.length}/local/`,
  };

  test('are those of the deployed function, with the local resources, URLs and the first environment\'s values', () => {
    const payments = services.find(s => s.manifest.name === 'payments')!;
    const env = functionEnvironments(payments, facts).createPayment;
    expect(env).toMatchObject({
      TABLE_PAYMENTS_NAME: 'payments-payments',
      TABLE_IDEMPOTENCY_NAME: 'payments-idempotency',
      SECRET_RECEIPT_SIGNING_KEY_ARN: resources.get('payments')!.secrets['receipt-signing-key'],
      LEDGER_API_URL: 'http://127.0.0.1:416/local/',
      NOTIFICATIONS_API_URL: 'http://127.0.0.1:4113/local/',
      NOTIFICATIONS_QUEUE_PAYMENT_EVENTS_URL: 'http://127.0.0.1:5000/123456789012/notifications-payment-events',
      ENVIRONMENT: 'local',
      // A value per environment: dev's.
      MAX_PAYMENT_AMOUNT_MINOR: '100000000',
      SUPPORTED_CURRENCIES: 'EUR,GBP,USD',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:5000',
      AWS_REGION: 'eu-west-1',
      AWS_LAMBDA_FUNCTION_NAME: 'payments-createPayment',
      POWERTOOLS_SERVICE_NAME: 'payments',
    });
    // Only what the manifest grants the function: getPayment reads one table and calls nothing.
    const read = functionEnvironments(payments, facts).getPayment;
    expect(Object.keys(read).filter(k => /^(TABLE|SECRET)_|_API_URL$|_QUEUE_/.test(k))).toEqual(['TABLE_PAYMENTS_NAME']);
  });

  test('a service that declares flags reads them from its flags file (every function); the others get no FEATURE_FLAGS_FILE', () => {
    const flagsFile = (service: string) => (service === 'payments' ? '/state/flags/payments.json' : undefined);
    const payments = functionEnvironments(services.find(s => s.manifest.name === 'payments')!, { ...facts, flagsFile });
    expect(Object.values(payments).map(env => env.FEATURE_FLAGS_FILE)).toEqual(['/state/flags/payments.json', '/state/flags/payments.json']);
    const ledger = functionEnvironments(services.find(s => s.manifest.name === 'ledger')!, { ...facts, flagsFile });
    expect(Object.values(ledger).every(env => !('FEATURE_FLAGS_FILE' in env))).toBe(true);
  });
});

describe('the names of local resources', () => {
  test('cannot collide across services: the separator is one no service or resource name holds', () => {
    expect(localName('a', 'b-c')).not.toBe(localName('a-b', 'c'));
    expect(localName('payments', 'idempotency')).toBe('payments_idempotency');
  });
});

describe('the local stage\'s edge', () => {
  test('--monolith-url is refused when the mirrored environment declares no edge, naming it', async () => {
    const [first, ...rest] = organization.environments;
    const withoutEdge = { ...organization, environments: [{ ...first, edge: undefined }, ...rest] };
    const starting = startLocalStage({ organization: withoutEdge, services, monolithUrl: 'http://localhost:8080', emulatorBin: '/nowhere/moto_server' });
    await expect(starting).rejects.toThrow(LocalStageError);
    await expect(starting).rejects.toThrow(`--monolith-url: environment ${first.name} (the one the local stage mirrors) declares no edge in accounts/organization.ts`);
  });
});
