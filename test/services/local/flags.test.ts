import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadServices } from '../../../services';
import { Faults, startControl } from '../../../services/local/faults';
import { LocalFlags } from '../../../services/local/flags';
import { loadFixtureOrganization, loadShippedOrganization, REPO_ROOT } from '../../fixtures/organization';

const shipped = loadShippedOrganization();
const services = loadServices({ servicesDir: path.join(REPO_ROOT, 'services'), organization: shipped });
const fixtureOrganization = loadFixtureOrganization();
const fixtures = loadServices({ servicesDir: path.join(REPO_ROOT, 'test', 'fixtures', 'services'), organization: fixtureOrganization, displayDir: 'test/fixtures/services' });

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-flags-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const paymentsFlags = () => new LocalFlags({ services, environments: shipped.environments.map(e => e.name), dir });
const ordersFlags = () => new LocalFlags({ services: fixtures, environments: fixtureOrganization.environments.map(e => e.name), dir });
const readFile = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;

describe('the local stage\'s flags files', () => {
  test('a file per service that declares flags, with its local settings (the first environment\'s without `local`); none for the others', () => {
    const flags = paymentsFlags();
    expect(flags.services()).toEqual(['payments']);
    expect(flags.fileOf('payments')).toBe(path.join(dir, 'payments.json'));
    expect(flags.fileOf('ledger')).toBeUndefined();
    expect(fs.readdirSync(dir)).toEqual(['payments.json']);
    expect(readFile(path.join(dir, 'payments.json'))).toEqual({ acceptJpy: { enabled: true } });
  });

  test('a flag\'s `local` wins over the first environment\'s setting; value flags\' values as JSON', () => {
    const flags = ordersFlags();
    expect(readFile(flags.fileOf('orders')!)).toEqual({
      expressShipping: { enabled: true },
      orderLimit: { enabled: true, value: '{"maxItems":1000}' },
    });
  });
});

describe('GET /_local/flags/<service>', () => {
  test('answers the current settings, the settings the stage started with, the data and the file', () => {
    const flags = paymentsFlags();
    expect(flags.handle('GET', '/_local/flags/payments', '')).toEqual({
      status: 200,
      body: {
        service: 'payments',
        file: path.join(dir, 'payments.json'),
        settings: { acceptJpy: true },
        declared: { acceptJpy: true },
        data: { acceptJpy: { enabled: true } },
      },
    });
    expect(flags.handle('GET', '/_local/flags', '')).toEqual({ status: 200, body: { services: ['payments'] } });
  });

  test('a service without flags, or not on the stage, is 404 naming the services with flags', () => {
    const flags = paymentsFlags();
    expect(flags.handle('GET', '/_local/flags/ledger', '')).toEqual({ status: 404, body: { message: 'service ledger declares no flags; services with flags: payments' } });
    expect(flags.handle('GET', '/_local/flags/fx-rates', '')).toEqual({ status: 404, body: { message: 'no service fx-rates on this stage; services with flags: payments' } });
  });
});

describe('PUT /_local/flags/<service>/<flag>', () => {
  test('sets the flag, rewrites the file and answers the new setting (defaults applied); GET shows it', () => {
    const flags = paymentsFlags();
    const file = flags.fileOf('payments')!;
    expect(flags.handle('PUT', '/_local/flags/payments/acceptJpy', 'false')).toEqual({
      status: 200, body: { service: 'payments', flag: 'acceptJpy', setting: false, data: { enabled: false } },
    });
    expect(readFile(file)).toEqual({ acceptJpy: { enabled: false } });

    const allowList = flags.handle('PUT', '/_local/flags/payments/acceptJpy', JSON.stringify({ value: false, targeting: { merchants: ['merchant-a'] } }));
    expect(allowList).toEqual({
      status: 200,
      body: {
        service: 'payments',
        flag: 'acceptJpy',
        setting: { value: false, targeting: { merchants: ['merchant-a'], percent: 0 } },
        data: { enabled: false, merchants: ['merchant-a'], percent: 0, targetValue: 'true' },
      },
    });
    expect(readFile(file)).toEqual({ acceptJpy: { enabled: false, merchants: ['merchant-a'], percent: 0, targetValue: 'true' } });
    expect(flags.get('payments').body).toMatchObject({ settings: { acceptJpy: { value: false, targeting: { merchants: ['merchant-a'], percent: 0 } } }, declared: { acceptJpy: true } });
    // No temporary file left behind: the file is replaced by a rename.
    expect(fs.readdirSync(dir)).toEqual(['payments.json']);
  });

  test.each([
    ['"yes"', 'PUT /_local/flags/payments/acceptJpy: body "yes" is not a flag setting; allowed: true or false (boolean flags), or { value, targeting? }'],
    ['{"value":false,"targeting":{"percent":150}}', 'PUT /_local/flags/payments/acceptJpy: body.targeting.percent 150 must be at most 100'],
    ['{"value":false,"targeting":{"merchants":["not a merchant"]}}',
      'PUT /_local/flags/payments/acceptJpy: body.targeting.merchants[0] "not a merchant" is not a merchant id; allowed: 1-64 letters, digits, "_" or "-", starting with a letter or digit'],
    ['{"value":false,"enabled":true}', 'PUT /_local/flags/payments/acceptJpy: body has unknown field "enabled" (check the spelling)'],
    // The checks after the schema, as synth runs them on the manifest.
    ['{"value":"on"}', 'PUT /_local/flags/payments/acceptJpy: body.value "on" is not a boolean; allowed: true or false (a boolean flag)'],
    ['{"value":false,"targeting":{}}', 'PUT /_local/flags/payments/acceptJpy: body.targeting targets nobody; allowed: merchants (an allow-list) and/or a percent above 0'],
    ['on', 'PUT /_local/flags/payments/acceptJpy: body "on" is not JSON; allowed: true, false, or { "value": ..., "targeting": { "merchants": [...], "percent": n } }'],
  ])('%s is refused 400 as the manifest would be, naming the field, the value and what is allowed; the file is unchanged', (body, message) => {
    const flags = paymentsFlags();
    const answer = flags.handle('PUT', '/_local/flags/payments/acceptJpy', body);
    expect(answer).toEqual({ status: 400, body: { message, errors: [message] } });
    expect(readFile(flags.fileOf('payments')!)).toEqual({ acceptJpy: { enabled: true } });
  });

  test('a value flag\'s value is checked against its schema; a bare boolean is refused', () => {
    const flags = ordersFlags();
    const bad = flags.handle('PUT', '/_local/flags/orders/orderLimit', JSON.stringify({ value: { maxItems: 0 } }));
    expect(bad.status).toBe(400);
    expect((bad.body as { message: string }).message)
      .toBe('PUT /_local/flags/orders/orderLimit: body.value {"maxItems":0} does not match the flag\'s schema: value/maxItems must be >= 1');
    expect(flags.handle('PUT', '/_local/flags/orders/orderLimit', 'true').body)
      .toEqual(expect.objectContaining({ message: 'PUT /_local/flags/orders/orderLimit: body true is a bare boolean; a value flag\'s setting is { value, targeting? }' }));
    const good = flags.handle('PUT', '/_local/flags/orders/orderLimit',
      JSON.stringify({ value: { maxItems: 5 }, targeting: { percent: 50, value: { maxItems: 50, currency: 'GBP' } } }));
    expect(good.status).toBe(200);
    expect(readFile(flags.fileOf('orders')!)).toMatchObject({
      orderLimit: { enabled: true, value: '{"maxItems":5}', merchants: [], percent: 50, targetValue: '{"maxItems":50,"currency":"GBP"}' },
    });
  });

  test('an unknown flag or service is 404 naming what exists; other methods 405', () => {
    const flags = paymentsFlags();
    expect(flags.handle('PUT', '/_local/flags/payments/acceptYen', 'true'))
      .toEqual({ status: 404, body: { message: 'payments declares no flag "acceptYen" (services/payments/service.ts); flags: acceptJpy' } });
    expect(flags.handle('PUT', '/_local/flags/ledger/acceptJpy', 'true'))
      .toEqual({ status: 404, body: { message: 'service ledger declares no flags; services with flags: payments' } });
    expect(flags.handle('DELETE', '/_local/flags/payments/acceptJpy', '').status).toBe(405);
    expect(flags.handle('GET', '/_local/flags/payments/acceptJpy/x', '').status).toBe(404);
  });
});

describe('the flags on the stage\'s control endpoint', () => {
  test('GET and PUT under /_local/flags reach the flags; faults stay where they were', async () => {
    const control = await startControl(new Faults(), new Set(), paymentsFlags());
    try {
      const put = await fetch(`${control.url}/_local/flags/payments/acceptJpy`, { method: 'PUT', body: 'false' });
      expect([put.status, await put.json()]).toEqual([200, { service: 'payments', flag: 'acceptJpy', setting: false, data: { enabled: false } }]);
      const get = await fetch(`${control.url}/_local/flags/payments`);
      expect(await get.json()).toMatchObject({ settings: { acceptJpy: false } });
      const refused = await fetch(`${control.url}/_local/flags/payments/acceptJpy`, { method: 'PUT', body: '{"value":1}' });
      expect([refused.status, ((await refused.json()) as { message: string }).message])
        .toEqual([400, 'PUT /_local/flags/payments/acceptJpy: body.value 1 is not a boolean; allowed: true or false (a boolean flag)']);
      const faults = await fetch(`${control.url}/faults`, { method: 'DELETE' });
      expect(faults.status).toBe(204);
      const unknown = await fetch(`${control.url}/nothing`);
      expect(await unknown.json()).toEqual({ message: 'not found; allowed: POST /faults, DELETE /faults, GET /_local/flags/<service>, PUT /_local/flags/<service>/<flag>' });
    } finally {
      await control.stop();
    }
  });
});
