import './quiet-environment';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppConfigProvider } from '@aws-lambda-powertools/parameters/appconfig';
import {
  AppConfigDataClient, GetLatestConfigurationCommand, StartConfigurationSessionCommand, type GetLatestConfigurationCommandOutput,
} from '@aws-sdk/client-appconfigdata';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  appConfigSource, defineFlags, FEATURE_FLAGS_PROFILE, fileSource, flagBucket, FLAGS_CACHE_SECONDS, FLAGS_FILE_REREAD_MS, FLAGS_RETRY_AFTER_MS,
  type FlagDefinition, type FlagSource,
} from '../../../services/runtime/flags';

/** The value of flag receiptFormat, as the generated accessors type it. */
interface ReceiptFormat {
  readonly footer: string;
}

/** The flags of the example service, as `src/flags.generated.ts` declares them. */
const DEFINITIONS = {
  newCurrency: { type: 'boolean', default: false as boolean },
  receiptFormat: { type: 'value', jsonType: 'object', default: { footer: 'Default' } as ReceiptFormat },
  retryLimit: { type: 'value', jsonType: 'integer', default: 3 as number },
} satisfies Record<string, FlagDefinition<unknown>>;

/** What AppConfig's data plane returns for the feature-flags profile. */
const DATA = {
  newCurrency: { enabled: false, merchants: ['m-1', 'm-2'], percent: 10, targetValue: 'true' },
  receiptFormat: { enabled: true, value: '{"footer":"Acme"}', merchants: [], targetValue: '{"footer":"Beta"}' },
  retryLimit: { enabled: true, value: '5' },
};

type Data = Record<string, unknown>;

/** The flags of the example service over `source`, with a clock the test moves and recording logger and metrics. */
function flagsOver(source: FlagSource | undefined, definitions: Record<string, FlagDefinition<unknown>> = DEFINITIONS) {
  let clock = 1_700_000_000_000;
  const log = { warn: jest.fn(), error: jest.fn(), debug: jest.fn() };
  const metrics = { addMetric: jest.fn() };
  const flags = defineFlags('payments', definitions as typeof DEFINITIONS, { source, now: () => clock, log, metrics });
  return {
    flags,
    log,
    /** How many times metric `name` was counted (each Count 1). */
    counted: (name: string) => metrics.addMetric.mock.calls.filter(([metric, unit, value]) => metric === name && unit === 'Count' && value === 1).length,
    metricNames: () => metrics.addMetric.mock.calls.map(([metric]) => metric as string),
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

const serving = (data: Data) => jest.fn<Promise<unknown>, []>(async () => data);

/** The first of the merchants `merchant-0`, `merchant-1`, ... (none on an allow-list) whose bucket for each flag satisfies its test. */
function merchantWhere(tests: Record<string, (bucket: number) => boolean>): string {
  for (let i = 0; i < 10_000; i++) {
    const merchant = `merchant-${i}`;
    if (Object.entries(tests).every(([flag, test]) => test(flagBucket(flag, merchant)))) return merchant;
  }
  throw new Error('no such merchant');
}

describe('evaluation', () => {
  test('a boolean flag answers its enabled value to everyone not targeted', async () => {
    const outside = merchantWhere({ newCurrency: bucket => bucket >= 10 });
    expect(await flagsOver(serving(DATA)).flags.newCurrency.for(outside)).toBe(false);
    const on = { newCurrency: { enabled: true } };
    expect(await flagsOver(serving(on)).flags.newCurrency.for(outside)).toBe(true);
  });

  test('merchants on the allow-list get the target value, whatever their bucket', async () => {
    const { flags } = flagsOver(serving({ newCurrency: { ...DATA.newCurrency, percent: 0 } }));
    expect(await flags.newCurrency.for('m-1')).toBe(true);
    expect(await flags.newCurrency.for('m-2')).toBe(true);
    expect(await flags.newCurrency.for('m-3')).toBe(false);
  });

  test('a boolean flag\'s target value defaults to true, and may be false (a kill switch for some merchants)', async () => {
    expect(await flagsOver(serving({ newCurrency: { enabled: false, merchants: ['m-1'] } })).flags.newCurrency.for('m-1')).toBe(true);
    const killed = flagsOver(serving({ newCurrency: { enabled: true, merchants: ['m-1'], targetValue: 'false' } })).flags;
    expect(await killed.newCurrency.for('m-1')).toBe(false);
    expect(await killed.newCurrency.for('m-2')).toBe(true);
  });

  test('percent targeting: merchants whose bucket is below the percentage get the target value', async () => {
    const inside = merchantWhere({ newCurrency: bucket => bucket < 10 && bucket > 1 });
    const outside = merchantWhere({ newCurrency: bucket => bucket >= 10 });
    const { flags } = flagsOver(serving({ newCurrency: { enabled: false, percent: 10 } }));
    expect(await flags.newCurrency.for(inside)).toBe(true);
    expect(await flags.newCurrency.for(outside)).toBe(false);
    // The boundary: a bucket equal to the percentage is outside.
    const bucket = flagBucket('newCurrency', inside);
    expect(await flagsOver(serving({ newCurrency: { enabled: false, percent: bucket } })).flags.newCurrency.for(inside)).toBe(false);
    expect(await flagsOver(serving({ newCurrency: { enabled: false, percent: 100 } })).flags.newCurrency.for(outside)).toBe(true);
    expect(await flagsOver(serving({ newCurrency: { enabled: false, percent: 0 } })).flags.newCurrency.for(inside)).toBe(false);
  });

  test('each flag buckets merchants independently: one rollout\'s first merchants are not every rollout\'s', async () => {
    const data = {
      newCurrency: { enabled: false, percent: 10 },
      receiptFormat: { value: '{"footer":"Acme"}', percent: 10, targetValue: '{"footer":"Beta"}' },
    };
    const inFirstOnly = merchantWhere({ newCurrency: bucket => bucket < 10, receiptFormat: bucket => bucket >= 10 });
    const inSecondOnly = merchantWhere({ newCurrency: bucket => bucket >= 10, receiptFormat: bucket => bucket < 10 });
    const { flags } = flagsOver(serving(data));
    expect(await flags.newCurrency.for(inFirstOnly)).toBe(true);
    expect(await flags.receiptFormat.for(inFirstOnly)).toEqual({ footer: 'Acme' });
    expect(await flags.newCurrency.for(inSecondOnly)).toBe(false);
    expect(await flags.receiptFormat.for(inSecondOnly)).toEqual({ footer: 'Beta' });
  });

  test('flagBucket: sha256 of "flag:merchant", first 4 bytes big-endian, modulo 100; stable and spread evenly', () => {
    // Pinned: changing the formula would move merchants in and out of every running rollout.
    expect(flagBucket('newCurrency', 'm-1')).toBe(3);
    expect(flagBucket('newCurrency', 'm-2')).toBe(55);
    expect(flagBucket('receiptFormat', 'm-1')).toBe(31);
    const buckets = Array.from({ length: 2_000 }, (_, i) => flagBucket('newCurrency', `merchant-${i}`));
    expect(buckets.every(bucket => Number.isInteger(bucket) && bucket >= 0 && bucket < 100)).toBe(true);
    const underTen = buckets.filter(bucket => bucket < 10).length / buckets.length;
    expect(underTen).toBeGreaterThan(0.07);
    expect(underTen).toBeLessThan(0.13);
  });

  test('a value flag answers its value to everyone, and its target value to targeted merchants', async () => {
    const { flags } = flagsOver(serving({ ...DATA, receiptFormat: { ...DATA.receiptFormat, merchants: ['m-7'] } }));
    const receipt: ReceiptFormat = await flags.receiptFormat.for('m-7');
    expect(receipt).toEqual({ footer: 'Beta' });
    expect(await flags.receiptFormat.for('m-8')).toEqual({ footer: 'Acme' });
    expect(await flags.retryLimit.for('m-7')).toBe(5);
  });

  test('a value flag ignores enabled', async () => {
    const { flags } = flagsOver(serving({ receiptFormat: { enabled: false, value: '{"footer":"Acme"}' } }));
    expect(await flags.receiptFormat.for('m-1')).toEqual({ footer: 'Acme' });
  });

  test('without a merchant (a service calling) the base value, however the flag targets', async () => {
    const everyone = {
      newCurrency: { enabled: false, merchants: ['m-1'], percent: 100 },
      receiptFormat: { value: '{"footer":"Acme"}', percent: 100, targetValue: '{"footer":"Beta"}' },
    };
    const { flags } = flagsOver(serving(everyone));
    expect(await flags.newCurrency.for()).toBe(false);
    expect(await flags.newCurrency.for(undefined)).toBe(false);
    expect(await flags.receiptFormat.for()).toEqual({ footer: 'Acme' });
  });

  test('a handler changing an object value does not change the next request\'s', async () => {
    const { flags } = flagsOver(serving({}));
    const first = await flags.receiptFormat.for() as { footer: string };
    first.footer = 'changed';
    expect(await flags.receiptFormat.for()).toEqual({ footer: 'Default' });
    expect(DEFINITIONS.receiptFormat.default).toEqual({ footer: 'Default' });
  });

  test('flags evaluated together share one read', async () => {
    const source = serving(DATA);
    const { flags } = flagsOver(source);
    await Promise.all([flags.newCurrency.for('m-1'), flags.receiptFormat.for('m-1'), flags.retryLimit.for()]);
    expect(source).toHaveBeenCalledTimes(1);
  });

  test('the accessors are typed by the definitions: reading an undeclared flag does not compile', () => {
    const { flags } = flagsOver(serving(DATA));
    // @ts-expect-error newCurency is not declared
    expect(flags.newCurency).toBeUndefined();
    expect(Object.keys(flags)).toEqual(['newCurrency', 'receiptFormat', 'retryLimit']);
  });

  test('a default that does not fit its definition fails at once (a bug of the generated accessors)', () => {
    expect(() => defineFlags('payments', { newCurrency: { type: 'boolean', default: 'no' } }, { source: serving({}) }))
      .toThrow('flags of payments: newCurrency\'s default "no" is not JSON of type boolean');
    expect(() => defineFlags('payments', { retryLimit: { type: 'value', jsonType: 'integer', default: 2.5 } }, { source: serving({}) }))
      .toThrow('flags of payments: retryLimit\'s default 2.5 is not JSON of type integer');
  });
});

describe('a flag missing or malformed in the data answers its default', () => {
  test.each<[string, string, unknown, string]>([
    ['missing', 'newCurrency', undefined, 'is missing from the flags data'],
    ['not an object', 'newCurrency', true, 'is not an object'],
    ['enabled not a boolean', 'newCurrency', { enabled: 'true' }, '"enabled" is not a boolean'],
    ['merchants not a list of ids', 'newCurrency', { enabled: true, merchants: 'm-1' }, '"merchants" is not a list of merchant ids'],
    ['merchants holding a number', 'newCurrency', { enabled: true, merchants: [1] }, '"merchants" is not a list of merchant ids'],
    ['percent above 100', 'newCurrency', { enabled: true, percent: 101 }, '"percent" is not a number from 0 to 100'],
    ['percent below 0', 'newCurrency', { enabled: true, percent: -1 }, '"percent" is not a number from 0 to 100'],
    ['percent a string', 'newCurrency', { enabled: true, percent: '10' }, '"percent" is not a number from 0 to 100'],
    ['a boolean\'s targetValue not true or false', 'newCurrency', { enabled: true, merchants: ['m-1'], targetValue: '"yes"' },
      '"targetValue" is not JSON of type boolean'],
    ['value not a string', 'receiptFormat', { value: { footer: 'Acme' } }, '"value" is not a JSON string'],
    ['value not JSON', 'receiptFormat', { value: '{footer: Acme}' }, '"value" is not JSON'],
    ['value of another JSON type', 'receiptFormat', { value: '["Acme"]' }, '"value" is not JSON of type object'],
    ['targetValue of another JSON type', 'receiptFormat', { value: '{"footer":"Acme"}', targetValue: '"Beta"' }, '"targetValue" is not JSON of type object'],
    ['a number where an integer is declared', 'retryLimit', { value: '2.5' }, '"value" is not JSON of type integer'],
  ])('%s: default, counted per evaluation, logged once without the data', async (_, flag, entry, reason) => {
    const data: Data = { ...DATA, [flag]: entry };
    if (entry === undefined) delete data[flag];
    const { flags, log, counted } = flagsOver(serving(data));
    const accessor = flags[flag as keyof typeof DEFINITIONS];
    for (let i = 0; i < 2; i++) expect(await accessor.for('m-1')).toEqual(DEFINITIONS[flag as keyof typeof DEFINITIONS].default);
    expect(counted('FeatureFlagMalformed')).toBe(2);
    expect(counted('FeatureFlagsUnavailable')).toBe(0);
    expect(log.warn).toHaveBeenCalledTimes(1);
    expect(log.warn).toHaveBeenCalledWith('feature flag missing or malformed: answering its default', { service: 'payments', flag, reason });
    expect(JSON.stringify(log.warn.mock.calls)).not.toContain('Acme');
  });

  test('the other flags are read as usual', async () => {
    const { flags, metricNames } = flagsOver(serving({ ...DATA, newCurrency: { enabled: 'yes' } }));
    expect(await flags.newCurrency.for('m-1')).toBe(false);
    expect(await flags.receiptFormat.for()).toEqual({ footer: 'Acme' });
    expect(metricNames()).toEqual(['FeatureFlagMalformed']);
  });

  test('a flag fixed and broken again is logged again', async () => {
    let data: Data = { newCurrency: { enabled: 'yes' } };
    const { flags, log } = flagsOver(async () => data);
    await flags.newCurrency.for();
    data = { newCurrency: { enabled: true } };
    expect(await flags.newCurrency.for()).toBe(true);
    data = { newCurrency: { enabled: true, percent: 1000 } };
    await flags.newCurrency.for();
    await flags.newCurrency.for();
    expect(log.warn).toHaveBeenCalledTimes(2);
  });
});

describe('when flags cannot be read', () => {
  const unavailable = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });

  test('before any read succeeded: every flag\'s default, counted per evaluation, one warning, no retry for 5 seconds', async () => {
    const source = jest.fn<Promise<unknown>, []>().mockRejectedValue(unavailable());
    const { flags, log, counted, advance } = flagsOver(source);
    expect(await flags.newCurrency.for('m-1')).toBe(false);
    expect(await flags.receiptFormat.for('m-1')).toEqual({ footer: 'Default' });
    expect(await flags.retryLimit.for()).toBe(3);
    expect(counted('FeatureFlagsUnavailable')).toBe(3);
    expect(source).toHaveBeenCalledTimes(1);
    expect(log.warn).toHaveBeenCalledTimes(1);
    expect(log.warn).toHaveBeenCalledWith('feature flags cannot be read', {
      service: 'payments',
      error: { name: 'ThrottlingException', message: 'Rate exceeded' },
      serving: 'each flag\'s default',
      retryAfterMs: FLAGS_RETRY_AFTER_MS,
    });

    advance(FLAGS_RETRY_AFTER_MS - 1);
    await flags.newCurrency.for('m-1');
    expect(source).toHaveBeenCalledTimes(1);
    advance(1);
    await flags.newCurrency.for('m-1');
    expect(source).toHaveBeenCalledTimes(2);
    // Still down: not logged again.
    expect(log.warn).toHaveBeenCalledTimes(1);

    advance(FLAGS_RETRY_AFTER_MS);
    source.mockResolvedValue(DATA);
    expect(await flags.newCurrency.for('m-1')).toBe(true);
    expect(counted('FeatureFlagsUnavailable')).toBe(5);
  });

  test('after a success: the last flags read (stale beats default), and a new failure is logged again', async () => {
    const source = jest.fn<Promise<unknown>, []>().mockResolvedValue({ ...DATA, newCurrency: { enabled: true, merchants: ['m-1'], targetValue: 'false' } });
    const { flags, log, counted, advance } = flagsOver(source);
    expect(await flags.newCurrency.for('m-2')).toBe(true);
    source.mockRejectedValue(unavailable());
    expect(await flags.newCurrency.for('m-2')).toBe(true);
    expect(await flags.newCurrency.for('m-1')).toBe(false);
    expect(await flags.receiptFormat.for()).toEqual({ footer: 'Acme' });
    expect(counted('FeatureFlagsUnavailable')).toBe(3);
    expect(log.warn).toHaveBeenCalledTimes(1);
    expect(log.warn).toHaveBeenLastCalledWith('feature flags cannot be read', expect.objectContaining({ serving: 'the last flags read' }));

    advance(FLAGS_RETRY_AFTER_MS);
    source.mockResolvedValue(DATA);
    await flags.newCurrency.for();
    expect(log.debug).toHaveBeenCalledWith('feature flags can be read again', { service: 'payments' });
    source.mockRejectedValue(unavailable());
    await flags.newCurrency.for();
    expect(log.warn).toHaveBeenCalledTimes(2);
  });

  test('data that is not an object is a failed read', async () => {
    const { flags, log, counted } = flagsOver(serving(['newCurrency'] as unknown as Data));
    expect(await flags.newCurrency.for()).toBe(false);
    expect(counted('FeatureFlagsUnavailable')).toBe(1);
    expect(log.warn).toHaveBeenCalledWith('feature flags cannot be read', expect.objectContaining({
      error: { name: 'FlagsDataError', message: 'the flags data is not a JSON object' },
    }));
  });

  test('a source that throws at once, or rejects with a non-Error, still never fails the request', async () => {
    const throwing = flagsOver(() => {
      throw new TypeError('boom');
    });
    expect(await throwing.flags.newCurrency.for()).toBe(false);
    expect(throwing.log.warn).toHaveBeenCalledWith('feature flags cannot be read', expect.objectContaining({ error: { name: 'TypeError', message: 'boom' } }));
    const odd = flagsOver(() => Promise.reject('down'));
    expect(await odd.flags.retryLimit.for()).toBe(3);
  });

  test('an unexpected error while evaluating answers the default and is logged as an error', async () => {
    const log = { warn: jest.fn(), error: jest.fn(), debug: jest.fn() };
    const metrics = {
      addMetric: jest.fn(() => {
        throw new Error('metrics full');
      }),
    };
    const flags = defineFlags('payments', DEFINITIONS, { source: () => Promise.reject(new Error('down')), log, metrics });
    await expect(flags.newCurrency.for()).resolves.toBe(false);
    expect(log.error).toHaveBeenCalledWith('feature flag evaluation failed: answering its default', {
      service: 'payments', flag: 'newCurrency', error: { name: 'Error', message: 'metrics full' },
    });
  });
});

describe('fileSource (the local stage)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'flags-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('reads the file again once a second has passed, so a flip shows within a second', async () => {
    const file = join(dir, 'payments.json');
    writeFileSync(file, JSON.stringify(DATA));
    let clock = 1_000;
    const { flags } = flagsOver(fileSource(file, { now: () => clock }));
    expect(await flags.newCurrency.for('m-9')).toBe(false);
    writeFileSync(file, JSON.stringify({ ...DATA, newCurrency: { enabled: true } }));
    clock += FLAGS_FILE_REREAD_MS - 1;
    expect(await flags.newCurrency.for('m-9')).toBe(false);
    clock += 1;
    expect(await flags.newCurrency.for('m-9')).toBe(true);
  });

  test('a missing file or one that is not JSON: defaults, and the warning never quotes the data', async () => {
    const missing = flagsOver(fileSource(join(dir, 'missing.json')));
    expect(await missing.flags.newCurrency.for()).toBe(false);
    expect(missing.log.warn).toHaveBeenCalledWith('feature flags cannot be read', expect.objectContaining({
      error: { name: 'Error', message: `ENOENT: no such file or directory, open '${join(dir, 'missing.json')}'` },
    }));

    const file = join(dir, 'broken.json');
    writeFileSync(file, '{"newCurrency": {"merchants": ["m-secret"], ');
    const broken = flagsOver(fileSource(file));
    expect(await broken.flags.newCurrency.for()).toBe(false);
    expect(broken.log.warn).toHaveBeenCalledWith('feature flags cannot be read', expect.objectContaining({
      error: { name: 'FlagsDataError', message: `${file} is not JSON` },
    }));
    expect(JSON.stringify(broken.log.warn.mock.calls)).not.toContain('m-secret');
  });
});

// No test talks to AWS: every AppConfigDataClient's send is intercepted.
const appConfig = mockClient(AppConfigDataClient);
afterAll(() => appConfig.restore());

describe('appConfigSource (AWS AppConfig through Powertools)', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  /** AppConfig's data plane serving `text` as the profile's configuration. */
  function serve(text: string) {
    appConfig.reset();
    appConfig.on(StartConfigurationSessionCommand).resolves({ InitialConfigurationToken: 'token-1' });
    appConfig.on(GetLatestConfigurationCommand).resolves({
      Configuration: new TextEncoder().encode(text) as GetLatestConfigurationCommandOutput['Configuration'],
      NextPollConfigurationToken: 'token-2',
      NextPollIntervalInSeconds: FLAGS_CACHE_SECONDS,
    });
  }

  test('reads the feature-flags profile of the application and environment in the environment variables', async () => {
    serve(JSON.stringify(DATA));
    process.env.APPCONFIG_APPLICATION = 'acme-pay-payments';
    process.env.APPCONFIG_ENVIRONMENT = 'staging';
    const source = appConfigSource();
    expect(await source()).toEqual(DATA);
    expect(appConfig).toHaveReceivedCommandWith(StartConfigurationSessionCommand, {
      ApplicationIdentifier: 'acme-pay-payments',
      EnvironmentIdentifier: 'staging',
      ConfigurationProfileIdentifier: FEATURE_FLAGS_PROFILE,
    });
    expect(FEATURE_FLAGS_PROFILE).toBe('feature-flags');
    expect(appConfig).toHaveReceivedCommandWith(GetLatestConfigurationCommand, { ConfigurationToken: 'token-1' });
    // Cached by the provider for FLAGS_CACHE_SECONDS: a second read asks nothing.
    await source();
    expect(appConfig).toHaveReceivedCommandTimes(GetLatestConfigurationCommand, 1);
  });

  test('without the environment variables (or options) it cannot be made, naming the variable', () => {
    delete process.env.APPCONFIG_APPLICATION;
    expect(() => appConfigSource()).toThrow('environment variable APPCONFIG_APPLICATION is not set');
  });

  test('through a provider given: the flags evaluate from the JSON bytes AppConfig returns', async () => {
    serve(JSON.stringify(DATA));
    const provider = new AppConfigProvider({ application: 'acme-pay-payments', environment: 'dev', awsSdkV3Client: new AppConfigDataClient({}) });
    const { flags, counted } = flagsOver(appConfigSource({ provider }));
    expect(await flags.newCurrency.for('m-2')).toBe(true);
    expect(await flags.receiptFormat.for('m-2')).toEqual({ footer: 'Acme' });
    expect(counted('FeatureFlagsUnavailable')).toBe(0);
    expect(appConfig).toHaveReceivedCommandWith(StartConfigurationSessionCommand, {
      ApplicationIdentifier: 'acme-pay-payments', EnvironmentIdentifier: 'dev', ConfigurationProfileIdentifier: 'feature-flags',
    });
  });

  test('AppConfig refusing: defaults, and a warning naming the error without the data', async () => {
    appConfig.reset();
    appConfig.on(StartConfigurationSessionCommand).rejects(Object.assign(new Error('Profile feature-flags not found'), { name: 'ResourceNotFoundException' }));
    const { flags, log, counted } = flagsOver(appConfigSource({ application: 'acme-pay-payments', environment: 'dev' }));
    expect(await flags.newCurrency.for('m-1')).toBe(false);
    expect(counted('FeatureFlagsUnavailable')).toBe(1);
    expect(log.warn).toHaveBeenCalledWith('feature flags cannot be read', expect.objectContaining({
      error: { name: 'GetParameterError', message: 'Profile feature-flags not found', cause: 'ResourceNotFoundException' },
    }));
  });

  test('a configuration that is not JSON is a failed read, logged without quoting it', async () => {
    serve('{"newCurrency": {"merchants": ["m-secret"]');
    const { flags, log } = flagsOver(appConfigSource({ application: 'acme-pay-payments', environment: 'dev' }));
    expect(await flags.newCurrency.for('m-1')).toBe(false);
    expect(log.warn).toHaveBeenCalledWith('feature flags cannot be read', expect.objectContaining({
      error: { name: 'TransformParameterError', message: 'the flags data is not JSON' },
    }));
    expect(JSON.stringify(log.warn.mock.calls)).not.toContain('m-secret');
  });
});

describe('the source, chosen from the environment', () => {
  const saved = { ...process.env };
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'flags-'));
    delete process.env.FEATURE_FLAGS_FILE;
    delete process.env.APPCONFIG_APPLICATION;
    delete process.env.APPCONFIG_ENVIRONMENT;
    appConfig.reset();
    appConfig.on(StartConfigurationSessionCommand).resolves({ InitialConfigurationToken: 'token-1' });
    appConfig.on(GetLatestConfigurationCommand).resolves({
      Configuration: new TextEncoder().encode(JSON.stringify({ newCurrency: { enabled: true } })) as GetLatestConfigurationCommandOutput['Configuration'],
    });
  });
  afterEach(() => {
    process.env = { ...saved };
    rmSync(dir, { recursive: true, force: true });
  });

  test('FEATURE_FLAGS_FILE set: that file (the local stage), even with AppConfig named too', async () => {
    const file = join(dir, 'payments.json');
    writeFileSync(file, JSON.stringify({ newCurrency: { enabled: false, merchants: ['m-1'] } }));
    Object.assign(process.env, { FEATURE_FLAGS_FILE: file, APPCONFIG_APPLICATION: 'acme-pay-payments', APPCONFIG_ENVIRONMENT: 'dev' });
    const { flags } = flagsOver(undefined);
    expect(await flags.newCurrency.for('m-1')).toBe(true);
    expect(appConfig).toHaveReceivedCommandTimes(GetLatestConfigurationCommand, 0);
  });

  test('APPCONFIG_APPLICATION and APPCONFIG_ENVIRONMENT set: AppConfig, the profile of that application and environment', async () => {
    Object.assign(process.env, { APPCONFIG_APPLICATION: 'acme-pay-payments', APPCONFIG_ENVIRONMENT: 'prod' });
    const { flags } = flagsOver(undefined);
    expect(await flags.newCurrency.for()).toBe(true);
    expect(appConfig).toHaveReceivedCommandWith(StartConfigurationSessionCommand, {
      ApplicationIdentifier: 'acme-pay-payments', EnvironmentIdentifier: 'prod', ConfigurationProfileIdentifier: 'feature-flags',
    });
  });

  test.each<[string, Record<string, string>]>([
    ['nothing set', {}],
    ['only APPCONFIG_APPLICATION set', { APPCONFIG_APPLICATION: 'acme-pay-payments' }],
  ])('%s: no source, every flag its default, warned once when defined', async (_, env) => {
    Object.assign(process.env, env);
    const { flags, log, counted } = flagsOver(undefined);
    expect(log.warn).toHaveBeenCalledTimes(1);
    expect(log.warn).toHaveBeenCalledWith('feature flags have no source: every flag answers its default', {
      service: 'payments', reason: 'neither FEATURE_FLAGS_FILE nor both APPCONFIG_APPLICATION and APPCONFIG_ENVIRONMENT is set',
    });
    expect(await flags.newCurrency.for('m-1')).toBe(false);
    expect(await flags.receiptFormat.for('m-1')).toEqual({ footer: 'Default' });
    expect(counted('FeatureFlagsUnavailable')).toBe(2);
    expect(log.warn).toHaveBeenCalledTimes(1);
    expect(appConfig).toHaveReceivedCommandTimes(StartConfigurationSessionCommand, 0);
  });
});
