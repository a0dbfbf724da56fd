import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import * as z from 'zod';
import { loadServices, readApiContract, Service } from '../../services';
import { consumersInScope, report } from '../../services/check-contracts';
import {
  checkConsumerContracts,
  ConsumerContractsFile,
  ConsumerContractsInput,
  ConsumerContractsSchema,
  fieldAt,
  fieldsOf,
  loadConsumerContracts,
  ModuleLoader,
} from '../../services/consumer-contracts';
import { PaymentEventSchema } from '../../services/notifications/src/payment-event';
import { loadShippedOrganization, REPO_ROOT } from '../fixtures/organization';
import { problemsOf } from '../fixtures/problems';

const shipped = loadServices({ servicesDir: path.join(REPO_ROOT, 'services'), organization: loadShippedOrganization() });
const byName = (name: string) => shipped.find(s => s.manifest.name === name)!;
const shippedContracts = loadConsumerContracts(shipped);
const paymentsContracts = shippedContracts.find(f => f.consumer.manifest.name === 'payments')!;

/** A copy of the OpenAPI document of a shipped service, for a test to break. */
function apiDocument(name: string): any {
  return parseYaml(fs.readFileSync(path.join(byName(name).dir, 'api.yaml'), 'utf8'));
}

/** What a provider publishes, changed by a test. */
interface ProviderChange {
  /** A new api.yaml (the request models are read from it as the loader does). */
  readonly api?: unknown;
  /** A new manifest. */
  readonly manifest?: (m: Service['manifest']) => Service['manifest'];
}

/**
 * The problems of checking `consumer` (default: payments' shipped contracts)
 * against the shipped services with `changes` applied to providers, and
 * `messageSchemas` in place of the modules' exports.
 */
function problemsWith(options: {
  readonly changes?: Readonly<Record<string, ProviderChange>>;
  readonly contracts?: ConsumerContractsInput;
  readonly consumer?: (m: Service['manifest']) => Service['manifest'];
  readonly messageSchemas?: Readonly<Record<string, unknown>>;
} = {}): string[] {
  const texts = new Map<string, string>();
  const services = shipped.map(s => {
    const change = options.changes?.[s.manifest.name];
    if (!change) return s;
    const manifest = change.manifest ? change.manifest(structuredClone(s.manifest)) : s.manifest;
    if (change.api === undefined) return { ...s, manifest };
    const text = toYaml(change.api);
    texts.set(s.manifest.name, text);
    const contract = readApiContract(text, `${s.folder}/api.yaml`, manifest);
    expect(contract.problems).toEqual([]);
    return { ...s, manifest, requestSchemas: contract.requestSchemas };
  });
  const payments = services.find(s => s.manifest.name === 'payments')!;
  const consumer = options.consumer ? { ...payments, manifest: options.consumer(structuredClone(payments.manifest)) } : payments;
  const file: ConsumerContractsFile = {
    consumer,
    file: 'services/payments/contracts.ts',
    contracts: options.contracts ? ConsumerContractsSchema.parse(options.contracts) : paymentsContracts.contracts,
  };
  const loadModule: ModuleLoader = module => {
    const exports = options.messageSchemas?.[path.relative(REPO_ROOT, module)];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return exports === undefined ? require(module) as Record<string, unknown> : exports as Record<string, unknown>;
  };
  return checkConsumerContracts([file], {
    services,
    loadModule,
    readContract: s => texts.get(s.manifest.name) ?? fs.readFileSync(path.join(s.dir, 'api.yaml'), 'utf8'),
  }).flatMap(c => c.problems);
}

const LEDGER = 'services/payments/contracts.ts: requests[0] payments -> ledger POST /transactions';
const NOTIFICATIONS = 'services/payments/contracts.ts: messages[0] payments -> notifications queue payment-events';
const EVENT_MODULE = 'services/notifications/src/payment-event.ts';

describe('the shipped consumers hold against their providers', () => {
  const checks = checkConsumerContracts(shippedContracts, { services: shipped });

  test('payments declares what it sends to ledger and to notifications', () => {
    expect(checks.map(c => `${c.consumer} -> ${c.provider} ${c.operation}`)).toEqual(expect.arrayContaining([
      'payments -> ledger POST /transactions',
      'payments -> notifications queue payment-events',
    ]));
  });

  test.each(checks.map(c => [`${c.consumer} -> ${c.provider} ${c.operation}`, c] as const))('%s', (_, check) => {
    expect(check.problems).toEqual([]);
  });

  test('every service that calls another has a contracts.ts checked here', () => {
    const callers = shipped.filter(s => Object.values(s.manifest.functions).some(fn => fn.calls.length > 0)).map(s => s.manifest.name);
    expect(new Set(checks.filter(c => c.operation !== 'calls').map(c => c.consumer))).toEqual(new Set(callers));
  });

  test('the request payments sends is built by its own code (src/ledger-client.ts), not copied', () => {
    const body = paymentsContracts.contracts!.requests[0].request.body as { transactionId: string; entries: unknown[] };
    expect(body.transactionId).toMatch(/^pay_/);
    expect(body.entries).toEqual([
      { accountId: 'payer-1', direction: 'debit', amountMinor: 1234, currency: 'EUR' },
      { accountId: 'merchant-1', direction: 'credit', amountMinor: 1234, currency: 'EUR' },
    ]);
  });
});

describe('a breaking change to a provider\'s contract is caught, naming consumer, provider, operation and field', () => {
  test('ledger renames the message field of its error responses', () => {
    const api = apiDocument('ledger');
    api.components.schemas.Error = {
      type: 'object', required: ['detail'], properties: { detail: { type: 'string' }, errors: api.components.schemas.Error.properties.errors },
    };
    expect(problemsWith({ changes: { ledger: { api } } })).toEqual([400, 409].map(status =>
      `${LEDGER}: response ${status} field message is not in ledger's contract (services/ledger/api.yaml); payments relies on it (a string)`));
  });

  test('ledger makes a relied-on field optional', () => {
    const api = apiDocument('ledger');
    api.components.schemas.Unbalanced.required = ['imbalances'];
    expect(problemsWith({ changes: { ledger: { api } } })).toEqual([
      `${LEDGER}: response 422 field message is optional in ledger's contract (services/ledger/api.yaml) (message is not required), so payments relies on it (a string) but cannot count on it`,
    ]);
  });

  test('ledger changes the type of a relied-on field, or lets it be null', () => {
    const api = apiDocument('ledger');
    api.components.schemas.Unbalanced.properties.message = { type: 'object' };
    api.components.schemas.Error.properties.message = { type: 'string', nullable: true };
    expect(problemsWith({ changes: { ledger: { api } } })).toEqual([
      `${LEDGER}: response 400 field message may be null in ledger's contract (services/ledger/api.yaml), but payments relies on it (a string)`,
      `${LEDGER}: response 409 field message may be null in ledger's contract (services/ledger/api.yaml), but payments relies on it (a string)`,
      `${LEDGER}: response 422 field message is an object in ledger's contract (services/ledger/api.yaml), but payments relies on it (a string)`,
    ]);
  });

  test('ledger stops declaring a status payments handles', () => {
    const api = apiDocument('ledger');
    delete api.paths['/transactions'].post.responses['409'];
    expect(problemsWith({ changes: { ledger: { api } } })).toEqual([
      `${LEDGER}: response 409 is not declared by ledger's contract (services/ledger/api.yaml); it declares: 200, 201, 400, 403, 422, 500, 503`,
    ]);
  });

  test('ledger moves the route payments calls', () => {
    const api = apiDocument('ledger');
    api.paths['/bookings'] = api.paths['/transactions'];
    delete api.paths['/transactions'];
    const manifest = (m: Service['manifest']) => {
      m.functions.postTransaction.route = { method: 'POST', path: '/bookings' };
      return m;
    };
    expect(problemsWith({ changes: { ledger: { api, manifest } } })).toEqual([
      `${LEDGER}: ledger has no such operation; allowed: GET /accounts/{accountId}/balances, POST /bookings`,
    ]);
  });

  test('ledger renames a request field payments sends (its model refuses unknown fields)', () => {
    const api = apiDocument('ledger');
    const { description, ...rest } = api.components.schemas.NewTransaction.properties;
    api.components.schemas.NewTransaction.properties = { ...rest, memo: description };
    expect(problemsWith({ changes: { ledger: { api } } })).toEqual([
      `${LEDGER}: request field (the body) must NOT have additional properties (description), in ledger's contract (services/ledger/api.yaml)`,
    ]);
  });

  test('ledger drops a request field payments sends, from a model that would ignore it silently', () => {
    const api = apiDocument('ledger');
    delete api.components.schemas.NewTransaction.properties.description;
    delete api.components.schemas.NewTransaction.additionalProperties;
    expect(problemsWith({ changes: { ledger: { api } } })).toEqual([
      `${LEDGER}: request field description is not in ledger's contract (services/ledger/api.yaml); payments sends it and ledger would ignore it`,
    ]);
  });

  test('ledger tightens a request constraint the payment breaks', () => {
    const api = apiDocument('ledger');
    api.components.schemas.Entry.properties.amountMinor.maximum = 1000;
    expect(problemsWith({ changes: { ledger: { api } } })).toEqual([0, 1].map(i =>
      `${LEDGER}: request field entries[${i}].amountMinor must be <= 1000, in ledger's contract (services/ledger/api.yaml)`));
  });

  test('notifications renames a field of its message schema', () => {
    const { payerAccountId, ...rest } = PaymentEventSchema.shape.payment.shape;
    const renamed = PaymentEventSchema.extend({ payment: z.object({ ...rest, payerAccount: payerAccountId }) });
    expect(problemsWith({ messageSchemas: { [EVENT_MODULE]: { PaymentEventSchema: renamed } } })).toEqual([
      `${NOTIFICATIONS}: message field payment.payerAccount is required (expected string), in notifications' message schema (${EVENT_MODULE}#PaymentEventSchema)`,
    ]);
  });

  test('notifications drops an optional field payments sends (zod would drop it silently)', () => {
    const { description: _, ...rest } = PaymentEventSchema.shape.payment.shape;
    const dropped = PaymentEventSchema.extend({ payment: z.object(rest) });
    expect(problemsWith({ messageSchemas: { [EVENT_MODULE]: { PaymentEventSchema: dropped } } })).toEqual([
      `${NOTIFICATIONS}: message field payment.description is not in notifications' message schema (${EVENT_MODULE}#PaymentEventSchema); `
      + 'payments sends it and relies on notifications reading it, which drops it',
    ]);
  });

  test('notifications stops declaring its queue\'s message schema, or the export is not a schema', () => {
    const manifest = (m: Service['manifest']) => {
      delete m.queues['payment-events'].messageSchema;
      return m;
    };
    expect(problemsWith({ changes: { notifications: { manifest } } })).toEqual([
      `${NOTIFICATIONS}: notifications declares no message schema for queue payment-events (queues.payment-events.messageSchema in services/notifications/service.ts); `
      + 'a queue other services send to must publish the schema its consumer parses with',
    ]);
    expect(problemsWith({ messageSchemas: { [EVENT_MODULE]: { PaymentEventSchema: { type: 'object' } } } })).toEqual([
      `${NOTIFICATIONS}: services/notifications/service.ts: queues.payment-events.messageSchema "src/payment-event.ts#PaymentEventSchema" is not a zod schema `
      + '(src/payment-event.ts has no such export, or it is something else)',
    ]);
  });

  test('notifications renames the queue', () => {
    const manifest = (m: Service['manifest']) => {
      m.queues = { 'payment-updates': m.queues['payment-events'] };
      return m;
    };
    expect(problemsWith({ changes: { notifications: { manifest } } })).toEqual([
      `${NOTIFICATIONS}: notifications has no queue payment-events; allowed: payment-updates`,
    ]);
  });
});

describe('a consumer\'s own mistakes', () => {
  const ledgerCall = paymentsContracts.contracts!.requests[0];
  const message = paymentsContracts.contracts!.messages;
  const contracts = (requests: ConsumerContractsInput['requests']): ConsumerContractsInput => ({ requests, messages: message });
  const balances = 'services/payments/contracts.ts: requests[1] payments -> ledger GET /accounts/{accountId}/balances';

  test('an operation the provider does not have', () => {
    expect(problemsWith({ contracts: contracts([{ ...ledgerCall, operation: 'POST /transaction' }]) })).toEqual([
      'services/payments/contracts.ts: requests[0] payments -> ledger POST /transaction: ledger has no such operation; allowed: GET /accounts/{accountId}/balances, POST /transactions',
    ]);
  });

  test('a provider that is not a service, and a queue the provider does not have', () => {
    expect(problemsWith({
      contracts: { requests: [{ ...ledgerCall, provider: 'legder' }], messages: [{ ...message[0], queue: 'payments' }] },
    })).toEqual([
      'services/payments/contracts.ts: requests[0] payments -> legder POST /transactions: legder is not a service (no services/legder/service.ts)',
      'services/payments/contracts.ts: messages[0] payments -> notifications queue payments: notifications has no queue payments; allowed: payment-events',
      'services/payments/service.ts: functions.createPayment.calls names ledger, but services/payments/contracts.ts declares nothing payments sends to ledger; '
      + 'declare each request (with the response fields it reads) and each message, so that a change in the provider that breaks it is caught',
      'services/payments/contracts.ts: declares what payments sends to legder, but no function of services/payments/service.ts lists legder in calls (which grants the access)',
    ]);
  });

  test('a request the provider would refuse: a bad body, a missing or bad path parameter', () => {
    expect(problemsWith({
      contracts: contracts([
        { ...ledgerCall, request: { body: { transactionId: 'pay_1', entries: [] } } },
        { provider: 'ledger', operation: 'GET /accounts/{accountId}/balances', request: { pathParameters: { account: 'x' } }, responses: { 200: {} } },
        { provider: 'ledger', operation: 'GET /accounts/{accountId}/balances', request: { pathParameters: { accountId: 'not an id' }, body: {} }, responses: { 200: {} } },
      ]),
    })).toEqual([
      `${LEDGER}: request field entries must NOT have fewer than 2 items, in ledger's contract (services/ledger/api.yaml)`,
      `${balances}: request path parameter accountId is missing; /accounts/{accountId}/balances needs a value for each of: accountId`,
      `${balances}: request path parameter account is not a parameter of /accounts/{accountId}/balances; allowed: accountId`,
      'services/payments/contracts.ts: requests[2] payments -> ledger GET /accounts/{accountId}/balances: request path parameter accountId "not an id" '
      + 'does not match ledger\'s contract (services/ledger/api.yaml): must match pattern "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"',
      'services/payments/contracts.ts: requests[2] payments -> ledger GET /accounts/{accountId}/balances: the request has a body, '
      + 'but ledger\'s contract (services/ledger/api.yaml) declares none for this operation: ledger would ignore it',
    ]);
  });

  test('a request without the body the provider takes', () => {
    expect(problemsWith({ contracts: contracts([{ ...ledgerCall, request: {} }]) })).toEqual([
      `${LEDGER}: the request has no body, but ledger's contract (services/ledger/api.yaml) takes one`,
    ]);
  });

  test('relying on a status, or a field, the provider does not declare', () => {
    expect(problemsWith({
      contracts: contracts([{ ...ledgerCall, responses: { 201: { 'entries[].account': 'string', 'createdAt': 'integer' }, 404: {} } }]),
    })).toEqual([
      `${LEDGER}: response 201 field entries[].account is not in ledger's contract (services/ledger/api.yaml) (entries[] has no field account); payments relies on it (a string)`,
      `${LEDGER}: response 201 field createdAt is a string in ledger's contract (services/ledger/api.yaml), but payments relies on it (an integer)`,
      `${LEDGER}: response 404 is not declared by ledger's contract (services/ledger/api.yaml); it declares: 200, 201, 400, 403, 409, 422, 500, 503`,
    ]);
  });

  test('a message the provider refuses', () => {
    expect(problemsWith({
      contracts: { requests: [ledgerCall], messages: [{ ...message[0], message: { ...message[0].message as object, type: 'payment.refunded' } }] },
    })).toEqual([
      `${NOTIFICATIONS}: message field type is not allowed; allowed: "payment.created", in notifications' message schema (${EVENT_MODULE}#PaymentEventSchema)`,
    ]);
  });

  test('a service it calls with nothing declared, and no contracts.ts at all', () => {
    expect(problemsWith({ contracts: { requests: [ledgerCall] } })).toEqual([
      'services/payments/service.ts: functions.createPayment.calls names notifications, but services/payments/contracts.ts declares nothing payments sends to notifications; '
      + 'declare each request (with the response fields it reads) and each message, so that a change in the provider that breaks it is caught',
    ]);
    const withoutFile: ConsumerContractsFile = { ...paymentsContracts, contracts: undefined };
    expect(checkConsumerContracts([withoutFile], { services: shipped }).flatMap(c => c.problems)).toHaveLength(2);
  });

  test('a contracts.ts that is not valid names the file, the field and what is allowed', () => {
    const consumer = byName('payments');
    const load = (contents: unknown) => problemsOf(() => loadConsumerContracts([consumer], () => ({ default: contents })));
    expect(load({
      requests: [{ provider: 'ledger', operation: 'post /transactions', responses: { '2xx': { 'entries.[]': 'text' } } }],
      messages: [{ provider: 'notifications', queue: 'payment-events' }],
      events: [],
    })).toEqual([
      'services/payments/contracts.ts: requests[0].operation "post /transactions" is not an operation; allowed: "<METHOD> <path>" as the provider\'s manifest declares the route '
      + '(METHOD one of GET, POST, PUT, PATCH, DELETE), e.g. "POST /transactions"',
      'services/payments/contracts.ts: requests[0].responses["2xx"]["entries.[]"] "text" is not allowed; allowed: "string", "number", "integer", "boolean", "object", "array"',
      'services/payments/contracts.ts: messages[0].message is required: a message body as the consumer sends it',
      'services/payments/contracts.ts: (top level) has unknown field "events" (check the spelling)',
    ]);
    expect(load({ requests: [{ provider: 'ledger', operation: 'POST /transactions', responses: { '2xx': { 'entries.[]': 'string' } } }] })).toEqual([
      'services/payments/contracts.ts: requests[0].responses["2xx"] is not an HTTP status; allowed: a three-digit code, e.g. "201"',
      'services/payments/contracts.ts: requests[0].responses["2xx"]["entries.[]"] is not a field path; allowed: dotted names with [] after an array, e.g. entries[].accountId',
    ]);
    expect(load({ requests: [{ provider: 'ledger', operation: 'POST /transactions', responses: {} }] })).toEqual([
      'services/payments/contracts.ts: requests[0].responses must name at least one status the consumer handles',
    ]);
  });
});

describe('field paths', () => {
  test('fieldsOf lists every field of a value, arrays once', () => {
    expect(fieldsOf({ a: 1, b: { c: 'x', d: undefined }, list: [{ e: 1 }, { e: 2, f: null }] })).toEqual([
      'a', 'b', 'b.c', 'list', 'list[].e', 'list[].f',
    ]);
  });

  test('fieldAt follows properties, arrays, allOf and anyOf, and tells the first optional part', () => {
    const schema = {
      type: 'object',
      required: ['list'],
      properties: {
        list: { type: 'array', items: { allOf: [{ type: 'object', properties: { id: { type: 'string' } } }, { required: ['id'] }] } },
        either: { anyOf: [{ properties: { x: { type: 'integer' } }, required: ['x'] }, { properties: { x: { type: 'number' } }, required: ['x'] }] },
      },
    };
    expect(fieldAt(schema, 'list[].id')).toEqual({ schema: { type: 'string' }, optional: undefined });
    expect(fieldAt(schema, 'either.x')).toEqual({ schema: { type: 'integer' }, optional: 'either' });
    expect(fieldAt(schema, 'list.id')).toEqual({ missing: 'list has no field id' });
    expect(fieldAt(schema, 'either[].x')).toEqual({ missing: 'either is not an array there' });
    expect(fieldAt(schema, 'nope')).toEqual({ missing: '' });
  });
});

describe('npx projen contracts', () => {
  test('a provider\'s scope loads the consumers that depend on it', () => {
    expect(consumersInScope(shipped, ['ledger']).map(s => s.manifest.name)).toEqual(['ledger', 'payments']);
    expect(consumersInScope(shipped, undefined)).toHaveLength(shipped.length);
    expect(problemsOf(() => consumersInScope(shipped, ['ledgr']))).toEqual([
      'npx projen contracts: "ledgr" is not a service (no services/ledgr/service.ts); allowed: ledger, notifications, payments',
    ]);
  });

  test('reports each expectation and fails on a broken one', () => {
    const checks = checkConsumerContracts(shippedContracts, { services: shipped });
    expect(report(checks, undefined)).toEqual({
      ok: true,
      text: [
        'ok     payments -> ledger POST /transactions',
        'ok     payments -> notifications queue payment-events',
        'contracts: 2 expectation(s) of 1 consumer(s) hold against 2 provider(s)',
      ].join('\n'),
    });
    const broken = [{ ...checks[0], problems: ['services/payments/contracts.ts: requests[0] ...: response 422 field message ...'] }, ...checks.slice(1)];
    const scoped = report(broken, ['ledger']);
    expect(scoped.ok).toBe(false);
    expect(scoped.text.split('\n')).toEqual([
      'BROKEN payments -> ledger POST /transactions',
      '         services/payments/contracts.ts: requests[0] ...: response 422 field message ...',
      'contracts: 1 broken of 1 expectation(s) (consumers and providers among: ledger); fix the provider or the consumer (each line names the field)',
    ]);
  });
});
