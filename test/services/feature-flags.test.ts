import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseWith } from '../../accounts';
import {
  accessorProblems, appConfigDocument, checkFlags, flagData, flagQuotaProblems, flagSettings, FLAGS_FILE, flagsRuntimeImport, renderFlagAccessors,
  schemaType, ServiceManifest, ServiceManifestInput, ServiceManifestSchema,
} from '../../services';
import { flags as paymentsFlags } from '../../services/payments/src/flags.generated';
import { writeFlagAccessors } from '../../services/scaffold/flags';
import { loadSample, REPO_ROOT } from '../fixtures/organization';
import { problemsOf } from '../fixtures/problems';

const FILE = 'services/shop/service.ts';
type Flags = NonNullable<ServiceManifestInput['flags']>;

/** A manifest of service `shop` with `flags`, parsed as synth parses it. */
function manifest(flags: Flags, extra: Partial<ServiceManifestInput> = {}): ServiceManifest {
  return parseWith(ServiceManifestSchema, {
    name: 'shop',
    description: 'Shop',
    owner: 'team-shop',
    costCenter: 'CC-1',
    wave: 'core',
    onCall: [{ email: 'team-shop@test.example' }],
    functions: { getCart: { handler: 'src/get-cart.ts', route: { method: 'GET', path: '/cart' } } },
    flags,
    ...extra,
  }, FILE);
}

const dirs: string[] = [];
afterAll(() => dirs.forEach(d => fs.rmSync(d, { recursive: true, force: true })));
/** A service folder whose src/get-cart.ts holds `source`. */
function serviceDir(source: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flags-'));
  dirs.push(dir);
  fs.mkdirSync(path.join(dir, 'src'));
  fs.writeFileSync(path.join(dir, 'src', 'get-cart.ts'), source);
  return dir;
}
const READS_ALL = 'await flags.newCheckout.for(m); await flags.cartLimit.for(m);';

/** The problems and warnings of `flags` for a service deployed to dev and prod (of dev, staging, prod unless `environments`). */
function check(flags: Flags, options: { source?: string; environments?: string[] } = {}) {
  const m = manifest(flags);
  return checkFlags(m, {
    file: FILE,
    dir: serviceDir(options.source ?? READS_ALL),
    folder: 'services/shop',
    environments: options.environments ?? ['dev', 'prod'],
    allEnvironments: ['dev', 'staging', 'prod'],
  });
}

const cartLimit = {
  description: 'Most items in a cart',
  type: 'value' as const,
  schema: { type: 'object', properties: { items: { type: 'integer', minimum: 1 } }, required: ['items'] },
  default: { items: 5 },
  environments: { dev: { value: { items: 50 } }, prod: { value: { items: 10 }, targeting: { merchants: ['m-1'], value: { items: 20 } } } },
};
const newCheckout = {
  description: 'The new checkout',
  environments: { dev: true, prod: { value: false, targeting: { merchants: ['m-1', 'm-2'], percent: 25 } } },
};

describe('declaring flags', () => {
  test('a boolean and a value flag with targeting load without problems or warnings', () => {
    expect(check({ newCheckout, cartLimit })).toEqual({ problems: [], warnings: [] });
  });

  test('settings resolve per environment, the local stage\'s from `local`, else the first environment\'s', () => {
    const m = manifest({ newCheckout, cartLimit: { ...cartLimit, local: { value: { items: 99 } } } });
    expect(flagSettings(m, 'prod')).toEqual({
      newCheckout: { value: false, targeting: { value: true, merchants: ['m-1', 'm-2'], percent: 25 } },
      cartLimit: { value: { items: 10 }, targeting: { value: { items: 20 }, merchants: ['m-1'], percent: 0 } },
    });
    expect(flagSettings(m, { local: true, firstEnvironment: 'dev' })).toEqual({ newCheckout: { value: true }, cartLimit: { value: { items: 99 } } });
  });

  test('the AppConfig document: each flag with constrained attributes, and its values (value flags as JSON)', () => {
    const document = appConfigDocument(manifest({ newCheckout, cartLimit }), 'prod');
    expect(document).toEqual({
      version: '1',
      flags: {
        newCheckout: {
          name: 'newCheckout',
          description: 'The new checkout',
          attributes: {
            merchants: { constraints: { type: 'array', elements: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$' } } },
            percent: { constraints: { type: 'number', minimum: 0, maximum: 100 } },
            targetValue: { constraints: { type: 'string' } },
          },
        },
        cartLimit: expect.objectContaining({ attributes: expect.objectContaining({ value: { constraints: { type: 'string' } } }) }),
      },
      values: {
        newCheckout: { enabled: false, merchants: ['m-1', 'm-2'], percent: 25, targetValue: 'true' },
        cartLimit: { enabled: true, value: '{"items":10}', merchants: ['m-1'], percent: 0, targetValue: '{"items":20}' },
      },
    });
    expect(flagData(manifest({ newCheckout }), flagSettings(manifest({ newCheckout }), 'dev'))).toEqual({ newCheckout: { enabled: true } });
  });
});

describe('bad flag declarations get one line each: file, field, value, what is allowed', () => {
  test('an environment that does not exist, one the service does not deploy to, and one left without a setting', () => {
    expect(check({ newCheckout: { ...newCheckout, environments: { dev: true, qa: false, staging: false } } }, { source: 'flags.newCheckout' }).problems).toEqual([
      `${FILE}: flags.newCheckout.environments.qa is not an environment; allowed: dev, prod`,
      `${FILE}: flags.newCheckout.environments.staging is an environment the service does not deploy to; allowed: dev, prod`,
      `${FILE}: flags.newCheckout.environments has no setting for prod; give one for each environment the service deploys to (dev, prod)`,
    ]);
  });

  test('values of the wrong type: a boolean flag given a value, a value flag given a bare boolean or a value its schema refuses', () => {
    expect(check({
      newCheckout: { ...newCheckout, default: 'yes', environments: { dev: { value: 1 }, prod: { value: false, targeting: { merchants: ['m-1'], value: 'on' } } } },
      cartLimit: { ...cartLimit, environments: { dev: true, prod: { value: { items: 0 } } }, local: { value: { items: '3' } } },
    }).problems).toEqual([
      `${FILE}: flags.newCheckout.default "yes" is not a boolean; allowed: true or false (a boolean flag)`,
      `${FILE}: flags.newCheckout.environments.dev.value 1 is not a boolean; allowed: true or false (a boolean flag)`,
      `${FILE}: flags.newCheckout.environments.prod.targeting.value "on" is not a boolean; allowed: true or false (a boolean flag)`,
      `${FILE}: flags.cartLimit.environments.dev true is a bare boolean; a value flag's setting is { value, targeting? }`,
      `${FILE}: flags.cartLimit.environments.prod.value {"items":0} does not match the flag's schema: value/items must be >= 1`,
      `${FILE}: flags.cartLimit.local.value {"items":"3"} does not match the flag's schema: value/items must be integer`,
    ]);
  });

  test('a value flag without a schema or default, a schema of no supported type or not a schema; a schema on a boolean flag', () => {
    const { schema: _schema, default: _default, ...bare } = cartLimit;
    expect(check({ cartLimit: bare, newCheckout: { ...newCheckout, schema: { type: 'boolean' } } }).problems).toEqual([
      `${FILE}: flags.cartLimit.schema is required for a value flag: the JSON Schema of its value, e.g. { type: "string", enum: ["a", "b"] }`,
      `${FILE}: flags.cartLimit.default is required for a value flag: the safe value handlers get when AppConfig cannot be reached`,
      `${FILE}: flags.newCheckout.schema is only for value flags (type: "value"); a boolean flag is true or false`,
    ]);
    expect(check({ cartLimit: { ...cartLimit, schema: { type: 'date' } } }).problems).toEqual([
      `${FILE}: flags.cartLimit.schema.type "date" is not a JSON type the accessors support; allowed: string, number, integer, boolean, object, array`,
    ]);
    expect(check({ cartLimit: { ...cartLimit, schema: { type: 'object', required: 'items' } } }).problems[0])
      .toMatch(/^services\/shop\/service.ts: flags.cartLimit.schema is not a valid JSON Schema: schema is invalid: data\/required must be array/);
  });

  test('targeting nobody, a value flag\'s targeting without its value', () => {
    expect(check({
      newCheckout: { ...newCheckout, environments: { dev: true, prod: { value: false, targeting: { merchants: [] } } } },
      cartLimit: { ...cartLimit, environments: { dev: { value: { items: 1 } }, prod: { value: { items: 1 }, targeting: { percent: 10 } } } },
    }).problems).toEqual([
      `${FILE}: flags.newCheckout.environments.prod.targeting targets nobody; allowed: merchants (an allow-list) and/or a percent above 0`,
      `${FILE}: flags.cartLimit.environments.prod.targeting.value is required for a value flag: what targeted merchants get`,
    ]);
  });

  test('shapes the schema refuses: a flag name, a setting, a merchant id, a percent, an unknown field', () => {
    expect(problemsOf(() => manifest({ 'new-checkout': newCheckout } as unknown as Flags))).toEqual([
      `${FILE}: flags.new-checkout is not a valid flag name; allowed: camelCase, 1-40 letters or digits`,
    ]);
    expect(problemsOf(() => manifest({ newCheckout: { ...newCheckout, environments: { dev: 'on', prod: false } } } as unknown as Flags))).toEqual([
      `${FILE}: flags.newCheckout.environments.dev "on" is not a flag setting; allowed: true or false (boolean flags), or { value, targeting? }`,
    ]);
    expect(problemsOf(() => manifest({
      newCheckout: { ...newCheckout, environments: { dev: true, prod: { value: false, targeting: { merchants: ['has space'], percent: 120 } } } },
    }))).toEqual([
      `${FILE}: flags.newCheckout.environments.prod.targeting.merchants[0] "has space" is not a merchant id; allowed: 1-64 letters, digits, "_" or "-", starting with a letter or digit`,
      `${FILE}: flags.newCheckout.environments.prod.targeting.percent 120 must be at most 100`,
    ]);
    expect(problemsOf(() => manifest({ newCheckout: { ...newCheckout, owner: 'me' } } as unknown as Flags))).toEqual([
      `${FILE}: flags.newCheckout has unknown field "owner" (check the spelling)`,
    ]);
  });

  test('a declared flag nothing reads is a warning, not a problem', () => {
    expect(check({ newCheckout, cartLimit }, { source: 'await flags.cartLimit.for(m);' })).toEqual({
      problems: [],
      warnings: [`${FILE}: flags.newCheckout is declared, but no code under services/shop/src reads it (flags.newCheckout); `
        + 'remove it once it is on everywhere and its code path is the only one (README, "Removing a flag")'],
    });
  });
});

describe('typed accessors (src/flags.generated.ts)', () => {
  test('render each flag with its type and safe default, a value flag\'s type from its schema', () => {
    const text = renderFlagAccessors(manifest({ newCheckout, cartLimit }))!;
    expect(text).toContain('import { defineFlags } from \'../../runtime/flags\';');
    expect(text).toContain('export type CartLimitValue = {\n  readonly items: number;\n};');
    expect(text).toContain('  newCheckout: { type: \'boolean\', default: false as boolean },');
    expect(text).toContain('  cartLimit: { type: \'value\', jsonType: \'object\', default: {"items":5} as CartLimitValue },');
    expect(renderFlagAccessors(manifest({}))).toBeUndefined();
    expect(schemaType({ type: 'array', items: { enum: ['a', 'b'] } })).toBe('readonly ("a" | "b")[]');
    expect(schemaType({ type: 'object', properties: { 'x-y': { type: 'string' } } })).toBe('{\n  readonly "x-y"?: string;\n}');
  });

  test('reading a flag the manifest does not declare does not compile (the test task type-checks this file)', () => {
    expect(Object.keys(paymentsFlags)).toEqual(['acceptJpy']);
    // @ts-expect-error payments declares no flag acceptBitcoin: were it readable, this line would fail tsc instead.
    expect(paymentsFlags.acceptBitcoin).toBeUndefined();
  });

  test('synth names accessors that are missing, out of date or left over, with the command that fixes them', () => {
    const dir = serviceDir(READS_ALL);
    const m = manifest({ newCheckout, cartLimit });
    expect(accessorProblems(m, dir, 'services/shop')).toEqual([`services/shop/${FLAGS_FILE} is missing: services/shop/service.ts declares flags; run: npx projen flags`]);
    fs.writeFileSync(path.join(dir, FLAGS_FILE), renderFlagAccessors(m, flagsRuntimeImport(dir))!);
    expect(accessorProblems(m, dir, 'services/shop')).toEqual([]);
    const flipped = manifest({ newCheckout: { ...newCheckout, default: true }, cartLimit });
    expect(accessorProblems(flipped, dir, 'services/shop')).toEqual([`services/shop/${FLAGS_FILE} is out of date with the flags of services/shop/service.ts; run: npx projen flags`]);
    expect(accessorProblems(manifest({}), dir, 'services/shop')).toEqual([`services/shop/${FLAGS_FILE} is left over: services/shop/service.ts declares no flags; run: npx projen flags (it removes it)`]);
    // A setting is not in the accessors: flipping one needs no regeneration.
    expect(accessorProblems(manifest({ newCheckout: { ...newCheckout, environments: { dev: false, prod: true } }, cartLimit }), dir, 'services/shop')).toEqual([]);
  });

  test('npx projen flags writes, keeps, and removes them; a bad manifest is one line, nothing written', () => {
    const dir = serviceDir(READS_ALL);
    const functions = { getCart: { handler: 'src/get-cart.ts', route: { method: 'GET', path: '/cart' } } };
    let current: unknown = { name: 'shop', description: 'Shop', owner: 'team-shop', costCenter: 'CC-1', wave: 'core', onCall: [{ email: 'shop@test.example' }], functions, flags: { newCheckout } };
    const load = () => current;
    expect(writeFlagAccessors(dir, 'services/shop', load)).toBe('written');
    expect(fs.readFileSync(path.join(dir, FLAGS_FILE), 'utf8')).toContain('newCheckout: { type: \'boolean\'');
    expect(writeFlagAccessors(dir, 'services/shop', load)).toBe('unchanged');
    current = { ...(current as object), flags: {} };
    expect(writeFlagAccessors(dir, 'services/shop', load)).toBe('removed');
    expect(fs.existsSync(path.join(dir, FLAGS_FILE))).toBe(false);
    expect(writeFlagAccessors(dir, 'services/shop', load)).toBe('none');
    current = { ...(current as object), flags: { newCheckout: { environments: {} } } };
    expect(problemsOf(() => writeFlagAccessors(dir, 'services/shop', load))).toEqual([
      'services/shop/service.ts: flags.newCheckout.description is required (expected string)',
    ]);
    expect(fs.existsSync(path.join(dir, FLAGS_FILE))).toBe(false);
  });
});

test('npx projen flags refuses an unknown service or folder with one line and exit code 1, no stack trace', () => {
  const run = (...args: string[]) => spawnSync(path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), ['services/scaffold/flags.ts', ...args], { cwd: REPO_ROOT, encoding: 'utf8' });
  for (const [args, line] of [
    [['nosuch'], 'npx projen flags: "nosuch" is not a service (no services/nosuch/service.ts); allowed: ledger, notifications, payments'],
    [['--dir', 'no/such/folder'], 'npx projen flags: --dir no/such/folder does not exist'],
    [['--dir'], 'npx projen flags: --dir needs a folder, e.g. --dir test/fixtures/services'],
  ] as const) {
    const result = run(...args);
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(line);
  }
}, 30_000);

describe('AWS AppConfig\'s applications quota is checked at synth', () => {
  const withFlags = (n: number, environments?: string[]) => Array.from({ length: n }, (_, i) =>
    ({ ...manifest({ newCheckout }), name: `svc-${i}`, environments }));
  const envs = (quota = 100) => [{ name: 'dev', quotas: { appConfigApplications: quota } }, { name: 'prod', quotas: { appConfigApplications: quota } }];

  test('one application per service with flags: 100 fit the default quota, 101 do not, with the count, the limit and the fix', () => {
    expect(flagQuotaProblems(envs(), [...withFlags(100), manifest({})])).toEqual([]);
    expect(flagQuotaProblems(envs(), withFlags(101))).toEqual(['dev', 'prod'].map((env, i) =>
      `accounts/organization.ts: environments[${i}]: 101 services with feature flags would need 101 AWS AppConfig applications in the ${env} account, `
      + 'above its quota of 100; fix: ask AWS to raise "Applications" for AppConfig (Service Quotas) and set environments[i].quotas.appConfigApplications'));
  });

  test('the declared quota: AWS\'s default unless raised, never below it', () => {
    expect(loadSample().environments.map(e => e.quotas.appConfigApplications)).toEqual([100, 100]);
    expect(problemsOf(() => loadSample(d => { d.environments[1].quotas = { appConfigApplications: 50 }; }))).toEqual([
      'accounts/organization.ts: environments[1].quotas.appConfigApplications 50 must be at least 100',
    ]);
  });

  test('a raised quota, and services deployed to some environments only, count as declared', () => {
    expect(flagQuotaProblems(envs(300), withFlags(300))).toEqual([]);
    expect(flagQuotaProblems(envs(), [...withFlags(100), ...withFlags(5, ['dev'])]).map(p => p.split(':')[1])).toEqual([' environments[0]']);
  });
});
