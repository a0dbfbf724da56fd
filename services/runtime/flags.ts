/**
 * Feature flags at runtime: what the typed accessors a service generates
 * from its manifest (`src/flags.generated.ts`, services/feature-flags.ts)
 * call. A service's flags come from AWS AppConfig (the `feature-flags`
 * profile of the service's application, one AppConfig environment per
 * deployment environment), or from a JSON file on the local stage.
 *
 * Reading is cached by the source (AppConfig: {@link FLAGS_CACHE_SECONDS};
 * the file: a second); evaluation is per request, since targeting is per
 * merchant. Flags never fail a request: when they cannot be read, the last
 * flags read are served (stale beats default), else each flag's safe
 * default; a flag missing or malformed in what was read answers its default.
 * Both are logged once and counted per evaluation (`FeatureFlagsUnavailable`,
 * `FeatureFlagMalformed`), so an alarm can tell that a switch did not take.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { AppConfigProvider } from '@aws-lambda-powertools/parameters/appconfig';
import { requireEnv } from './env';
import { FEATURE_FLAGS_PROFILE, flagVariables } from './flag-names';
import { logger, metrics } from './observability';

export { FEATURE_FLAGS_PROFILE } from './flag-names';

/**
 * How long flags read from AppConfig are kept before asking again, in
 * seconds: how long a flip takes to reach a warm container, against one
 * billed GetLatestConfiguration call per container and period.
 */
export const FLAGS_CACHE_SECONDS = 30;

/** After a failed read, how long flags are served from the fallback without asking the source again: a down AppConfig must not add latency to every request. */
export const FLAGS_RETRY_AFTER_MS = 5_000;

/** How long the local stage's flags file is kept before reading it again: a flip shows within a second. */
export const FLAGS_FILE_REREAD_MS = 1_000;

/** The JSON types a value flag may have. */
export type FlagJsonType = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array';

/** A flag as the generated accessors declare it. */
export interface FlagDefinition<T> {
  readonly type: 'boolean' | 'value';
  /** The safe default: used when flags cannot be read, or a flag is missing or malformed in what was read. */
  readonly default: T;
  /** For value flags: the JSON type of the value; a value of another type is malformed. @default - any JSON value */
  readonly jsonType?: FlagJsonType;
}

/** How a handler reads one flag. */
export interface FlagAccessor<T> {
  /** The flag's value for a request: `merchantId` is the calling merchant (undefined for service callers). Never rejects. */
  readonly for: (merchantId?: string) => Promise<T>;
}

/** The accessors of a service's flags, one per definition. */
export type Flags<D extends Record<string, FlagDefinition<unknown>>> = { readonly [K in keyof D]: FlagAccessor<D[K]['default']> };

/** Reads the raw flags data (one object, flag name to its attributes); may reject. */
export type FlagSource = () => Promise<unknown>;

/** What the flags log with. */
export type FlagsLogger = Pick<Logger, 'warn' | 'error' | 'debug'>;

/** What the flags count with. */
export type FlagsMetrics = Pick<Metrics, 'addMetric'>;

/** Options of {@link defineFlags}; the defaults are what handlers use, tests inject. */
export interface FlagsOptions {
  /**
   * Where the flags are read.
   * @default - from the environment: `FEATURE_FLAGS_FILE` set, that file ({@link fileSource});
   * else `APPCONFIG_APPLICATION` and `APPCONFIG_ENVIRONMENT` set, AppConfig ({@link appConfigSource});
   * else none: every flag answers its default
   */
  readonly source?: FlagSource;
  /** The clock, in milliseconds. @default Date.now */
  readonly now?: () => number;
  /** @default - the runtime's logger */
  readonly log?: FlagsLogger;
  /** @default - the runtime's metrics, flushed by `instrumented` at the end of each invocation */
  readonly metrics?: FlagsMetrics;
}

/** The flags data read is not what the runtime reads (see {@link defineFlags}). */
export class FlagsDataError extends Error {
  public readonly name = 'FlagsDataError';
}

/** Options of {@link appConfigSource}. */
export interface AppConfigSourceOptions {
  /** The AppConfig application. Ignored when `provider` is given. @default - environment variable APPCONFIG_APPLICATION */
  readonly application?: string;
  /** The AppConfig environment. Ignored when `provider` is given. @default - environment variable APPCONFIG_ENVIRONMENT */
  readonly environment?: string;
  /** The provider to read through, with its own application and environment (tests). @default - a provider of this source's own */
  readonly provider?: AppConfigProvider;
}

/**
 * Reads the feature-flags profile from AppConfig's data plane through
 * Powertools' AppConfig provider, which keeps the session token and caches
 * the parsed JSON for {@link FLAGS_CACHE_SECONDS}.
 */
export function appConfigSource(options: AppConfigSourceOptions = {}): FlagSource {
  // A provider of its own rather than getAppConfig's: that one is shared by
  // the whole function and bound to the application and environment of its
  // first caller, which need not be these.
  const provider = options.provider ?? new AppConfigProvider({
    application: options.application ?? requireEnv(flagVariables.application),
    environment: options.environment ?? requireEnv(flagVariables.environment),
  });
  return () => provider.get(FEATURE_FLAGS_PROFILE, { transform: 'json', maxAge: FLAGS_CACHE_SECONDS });
}

/** Options of {@link fileSource}. */
export interface FileSourceOptions {
  /** The clock, in milliseconds. @default Date.now */
  readonly now?: () => number;
}

/** Reads the flags data from the JSON file at `path` (the local stage), again at most every {@link FLAGS_FILE_REREAD_MS}. */
export function fileSource(path: string, options: FileSourceOptions = {}): FlagSource {
  const now = options.now ?? Date.now;
  let cached: { readonly data: unknown; readonly at: number } | undefined;
  return async () => {
    const at = now();
    if (cached && at - cached.at < FLAGS_FILE_REREAD_MS) return cached.data;
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- the local stage's flags file, named by FEATURE_FLAGS_FILE, which the local stage sets; deployed functions never have it
    const text = await readFile(path, 'utf8');
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      // JSON.parse's message quotes the text: keep the data out of the logs.
      throw new FlagsDataError(`${path} is not JSON`);
    }
    cached = { data, at };
    return data;
  };
}

/**
 * The bucket, 0 to 99, of a merchant for a flag's percentage rollout: the first
 * 4 bytes of sha256(`flag:merchant`), big-endian, modulo 100. Stable per
 * merchant and flag (a merchant stays in as the percentage grows), and
 * independent across flags (not the same merchants first in every rollout).
 */
export function flagBucket(flag: string, merchantId: string): number {
  return createHash('sha256').update(`${flag}:${merchantId}`).digest().readUInt32BE(0) % 100;
}

/** A flag's entry in the data, checked and parsed. */
interface FlagRule {
  readonly base: unknown;
  readonly target: unknown;
  readonly merchants: readonly string[];
  readonly percent: number;
}

/** What a read gave: the data to evaluate against (none: defaults), and whether it is a fallback. */
interface FlagsRead {
  readonly data?: Readonly<Record<string, unknown>>;
  readonly fallback: boolean;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function hasJsonType(value: unknown, jsonType: FlagJsonType): boolean {
  switch (jsonType) {
    case 'integer': return Number.isInteger(value);
    case 'number': return typeof value === 'number';
    case 'array': return Array.isArray(value);
    case 'object': return isRecord(value);
    default: return typeof value === jsonType;
  }
}

/** The `which` attribute of a flag parsed as JSON of the definition's type, or why it cannot be. */
function jsonAttribute(entry: Record<string, unknown>, which: string, definition: FlagDefinition<unknown>): { value: unknown } | string {
  const text = entry[which];
  if (typeof text !== 'string') return `"${which}" is not a JSON string`;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return `"${which}" is not JSON`;
  }
  const jsonType = definition.type === 'boolean' ? 'boolean' : definition.jsonType;
  if (jsonType && !hasJsonType(value, jsonType)) return `"${which}" is not JSON of type ${jsonType}`;
  return { value };
}

/** The rule of a flag's entry in the data, or why the entry is malformed (never quoting it). */
function flagRule(entry: unknown, definition: FlagDefinition<unknown>): FlagRule | string {
  if (entry === undefined) return 'is missing from the flags data';
  if (!isRecord(entry)) return 'is not an object';
  const { merchants = [], percent = 0 } = entry;
  if (!Array.isArray(merchants) || !merchants.every(m => typeof m === 'string')) return '"merchants" is not a list of merchant ids';
  if (typeof percent !== 'number' || !(percent >= 0 && percent <= 100)) return '"percent" is not a number from 0 to 100';
  let base: unknown;
  if (definition.type === 'boolean') {
    if (typeof entry.enabled !== 'boolean') return '"enabled" is not a boolean';
    base = entry.enabled;
  } else {
    const value = jsonAttribute(entry, 'value', definition);
    if (typeof value === 'string') return value;
    base = value.value;
  }
  let target: unknown;
  if (entry.targetValue === undefined) {
    // A value flag's target value is required by the manifest checks; without one, targeting changes nothing.
    target = definition.type === 'boolean' ? true : base;
  } else {
    const value = jsonAttribute(entry, 'targetValue', definition);
    if (typeof value === 'string') return value;
    target = value.value;
  }
  return { base, target, merchants: merchants as string[], percent };
}

function targeted(flag: string, rule: FlagRule, merchantId: string | undefined): boolean {
  if (!merchantId) return false;
  return rule.merchants.includes(merchantId) || (rule.percent > 0 && flagBucket(flag, merchantId) < rule.percent);
}

/** What is logged of a failed read: never the data, which JSON.parse's messages quote. */
function describeError(error: unknown): Record<string, string> {
  if (!isErrorLike(error)) return { name: typeof error, message: 'a non-Error was thrown' };
  const quotesData = error.name === 'SyntaxError' || error.name === 'TransformParameterError';
  return {
    name: error.name,
    message: quotesData ? 'the flags data is not JSON' : error.message,
    // Powertools wraps the SDK's error (GetParameterError): its name says what AppConfig refused.
    ...(isErrorLike(error.cause) ? { cause: error.cause.name } : {}),
  };
}

/** An error by its shape: errors of another realm (Node's own, seen from a vm context) are no `instanceof Error`. */
function isErrorLike(value: unknown): value is Error {
  return typeof value === 'object' && value !== null
    && typeof (value as Error).name === 'string' && typeof (value as Error).message === 'string';
}

/** The source the environment names, or why there is none. */
function environmentSource(now: () => number): FlagSource | string {
  const file = process.env[flagVariables.file];
  if (file) return fileSource(file, { now });
  const application = process.env[flagVariables.application];
  const environment = process.env[flagVariables.environment];
  if (application && environment) return appConfigSource({ application, environment });
  return 'neither FEATURE_FLAGS_FILE nor both APPCONFIG_APPLICATION and APPCONFIG_ENVIRONMENT is set';
}

/**
 * The accessors of a service's flags: `flags.<name>.for(merchantId)` gives
 * the flag's value for a request. Evaluation: a merchant in the flag's
 * `merchants`, or (with `percent` above 0) whose {@link flagBucket} is below
 * `percent`, gets the target value; everyone else, and requests without a
 * merchant, the base value. Throws at once only on a default that does not
 * fit its definition (a bug of the generated accessors).
 */
export function defineFlags<D extends Record<string, FlagDefinition<unknown>>>(
  service: string, definitions: D, options: FlagsOptions = {},
): Flags<D> {
  for (const [name, definition] of Object.entries(definitions)) {
    const jsonType = definition.type === 'boolean' ? 'boolean' : definition.jsonType;
    if (jsonType && !hasJsonType(definition.default, jsonType)) {
      throw new Error(`flags of ${service}: ${name}'s default ${JSON.stringify(definition.default)} is not JSON of type ${jsonType}`);
    }
  }
  const now = options.now ?? Date.now;
  const log = options.log ?? logger;
  const counter = options.metrics ?? metrics;
  const source = options.source ?? environmentSource(now);
  if (typeof source === 'string') {
    log.warn('feature flags have no source: every flag answers its default', { service, reason: source });
  }

  // Per container (module scope of the generated accessors).
  let lastRead: Readonly<Record<string, unknown>> | undefined;
  let failing = false;
  let retryAt = Number.NEGATIVE_INFINITY;
  let pending: Promise<FlagsRead> | undefined;
  const malformedLogged = new Set<string>();

  async function fetchFlags(from: FlagSource): Promise<FlagsRead> {
    try {
      const data = await from();
      if (!isRecord(data)) throw new FlagsDataError('the flags data is not a JSON object');
      if (failing) log.debug('feature flags can be read again', { service });
      failing = false;
      lastRead = data;
      return { data, fallback: false };
    } catch (error) {
      retryAt = now() + FLAGS_RETRY_AFTER_MS;
      if (!failing) {
        failing = true;
        log.warn('feature flags cannot be read', {
          service,
          error: describeError(error),
          serving: lastRead ? 'the last flags read' : 'each flag\'s default',
          retryAfterMs: FLAGS_RETRY_AFTER_MS,
        });
      }
      return { data: lastRead, fallback: true };
    }
  }

  function read(): Promise<FlagsRead> {
    if (typeof source === 'string') return Promise.resolve({ fallback: true });
    if (now() < retryAt) return Promise.resolve({ data: lastRead, fallback: true });
    // Flags evaluated together (Promise.all) share one read.
    pending ??= fetchFlags(source).finally(() => {
      pending = undefined;
    });
    return pending;
  }

  async function evaluate(name: string, definition: FlagDefinition<unknown>, merchantId: string | undefined): Promise<unknown> {
    // A fresh copy each time: a handler changing an object value must not change the next request's.
    const fallback = () => structuredClone(definition.default);
    try {
      const { data, fallback: unavailable } = await read();
      if (unavailable) counter.addMetric('FeatureFlagsUnavailable', MetricUnit.Count, 1);
      if (!data) return fallback();
      const rule = flagRule(data[name], definition);
      if (typeof rule === 'string') {
        counter.addMetric('FeatureFlagMalformed', MetricUnit.Count, 1);
        if (!malformedLogged.has(name)) {
          malformedLogged.add(name);
          log.warn('feature flag missing or malformed: answering its default', { service, flag: name, reason: rule });
        }
        return fallback();
      }
      // Logged again should it break again.
      malformedLogged.delete(name);
      return targeted(name, rule, merchantId) ? rule.target : rule.base;
    } catch (error) {
      // A bug here must not fail the request either.
      log.error('feature flag evaluation failed: answering its default', { service, flag: name, error: describeError(error) });
      return fallback();
    }
  }

  const accessors = Object.fromEntries(Object.entries(definitions).map(([name, definition]) =>
    [name, Object.freeze({ for: (merchantId?: string) => evaluate(name, definition, merchantId) })]));
  return Object.freeze(accessors) as Flags<D>;
}
