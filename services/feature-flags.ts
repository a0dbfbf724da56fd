import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import { FLAG_JSON_TYPES, FlagDeclaration, FlagJsonType, FLAGS_FILE, FlagSetting, ResolvedFlagSetting } from './flag-schema';
import { problem } from '../accounts/config-error';
import { ID_PATTERN } from './runtime/ids';
import { deploysTo, type ServiceManifest } from './service-model';

export * from './flag-schema';

/**
 * Feature flags, as a service declares them in its manifest (`flags`), and
 * what the platform makes of them: the AWS AppConfig feature-flags document
 * of each environment (services/service-stack.ts deploys it), the data the
 * local stage serves, and the typed accessors handlers read flags through
 * (`src/flags.generated.ts`, written by `npx projen flags`; the runtime
 * evaluation is services/runtime/flags.ts).
 */

/** The setting as the runtime reads it: a boolean's target value defaults to true. */
export function resolveSetting(flag: FlagDeclaration, setting: FlagSetting): ResolvedFlagSetting {
  if (typeof setting === 'boolean') return { value: setting };
  if (!setting.targeting) return { value: setting.value };
  const { merchants, percent, value } = setting.targeting;
  return { value: setting.value, targeting: { value: value ?? (flag.type === 'boolean' ? true : undefined), merchants, percent } };
}

/** The safe default of a flag: declared, or false for a boolean flag. */
export function flagDefault(flag: FlagDeclaration): unknown {
  return flag.default ?? (flag.type === 'boolean' ? false : undefined);
}

/** Where the checks of a service's flags report, and what they check against. */
export interface FlagCheckContext {
  readonly file: string;
  /** The service folder, absolute. */
  readonly dir: string;
  /** The folder in messages, e.g. `services/payments`. */
  readonly folder: string;
  /** Environments the service deploys to, in promotion order. */
  readonly environments: readonly string[];
  /** Every environment of the organization. */
  readonly allEnvironments: readonly string[];
}

const ajv = new Ajv({ allErrors: true, strict: false });

/**
 * Problems of a service's flags (one line each: file, field, value, what is
 * allowed) and warnings (a declared flag nothing reads).
 */
export function checkFlags(m: ServiceManifest, ctx: FlagCheckContext): { problems: string[]; warnings: string[] } {
  const problems: string[] = [];
  const warnings: string[] = [];
  const report = (fieldPath: readonly PropertyKey[], value: unknown, message: string) => problems.push(problem(ctx.file, fieldPath, value, message));
  for (const [name, flag] of Object.entries(m.flags)) {
    const at = (...rest: PropertyKey[]) => ['flags', name, ...rest];
    let matches: (value: unknown) => string | undefined;
    if (flag.type === 'boolean') {
      if (flag.schema !== undefined) report(at('schema'), undefined, 'is only for value flags (type: "value"); a boolean flag is true or false');
      matches = value => typeof value === 'boolean' ? undefined : 'is not a boolean; allowed: true or false (a boolean flag)';
    } else {
      matches = valueCheck(flag, at, report);
      if (flag.default === undefined) report(at('default'), undefined, 'is required for a value flag: the safe value handlers get when AppConfig cannot be reached');
    }
    if (flag.default !== undefined) {
      const wrong = matches(flag.default);
      if (wrong) report(at('default'), flag.default, wrong);
    }
    const settings: [PropertyKey[], FlagSetting][] = Object.entries(flag.environments).map(([env, s]) => [at('environments', env), s]);
    if (flag.local !== undefined) settings.push([at('local'), flag.local]);
    for (const [where, setting] of settings) checkSetting(flag, setting, where, matches, report);
    for (const env of Object.keys(flag.environments)) {
      if (!ctx.allEnvironments.includes(env)) {
        report(at('environments', env), undefined, `is not an environment; allowed: ${ctx.environments.join(', ')}`);
      } else if (!ctx.environments.includes(env)) {
        report(at('environments', env), undefined, `is an environment the service does not deploy to; allowed: ${ctx.environments.join(', ')}`);
      }
    }
    const missing = ctx.environments.filter(env => !(env in flag.environments));
    if (missing.length > 0) {
      report(at('environments'), undefined, `has no setting for ${missing.join(', ')}; give one for each environment the service deploys to (${ctx.environments.join(', ')})`);
    }
  }
  const unread = unreadFlags(m, ctx.dir);
  for (const name of unread) {
    warnings.push(`${ctx.file}: flags.${name} is declared, but no code under ${ctx.folder}/src reads it (flags.${name}); `
      + 'remove it once it is on everywhere and its code path is the only one (README, "Removing a flag")');
  }
  return { problems, warnings };
}

/** The check of a value flag's values against its schema; reports a bad schema. */
function valueCheck(flag: FlagDeclaration, at: (...rest: PropertyKey[]) => PropertyKey[],
  report: (fieldPath: readonly PropertyKey[], value: unknown, message: string) => void): (value: unknown) => string | undefined {
  const schema = flag.schema;
  if (schema === undefined) {
    report(at('schema'), undefined, 'is required for a value flag: the JSON Schema of its value, e.g. { type: "string", enum: ["a", "b"] }');
    return () => undefined;
  }
  if (!FLAG_JSON_TYPES.includes(schema.type as FlagJsonType)) {
    report(at('schema', 'type'), schema.type, `is not a JSON type the accessors support; allowed: ${FLAG_JSON_TYPES.join(', ')}`);
    return () => undefined;
  }
  let validate: ReturnType<typeof ajv.compile>;
  try {
    validate = ajv.compile(schema);
  } catch (error) {
    report(at('schema'), undefined, `is not a valid JSON Schema: ${(error as Error).message}`);
    return () => undefined;
  }
  return value => validate(value) ? undefined
    : `does not match the flag's schema: ${ajv.errorsText(validate.errors, { dataVar: 'value' })}`;
}

function checkSetting(flag: FlagDeclaration, setting: FlagSetting, where: PropertyKey[], matches: (value: unknown) => string | undefined,
  report: (fieldPath: readonly PropertyKey[], value: unknown, message: string) => void): void {
  if (typeof setting === 'boolean') {
    if (flag.type === 'value') report(where, setting, 'is a bare boolean; a value flag\'s setting is { value, targeting? }');
    return;
  }
  const wrong = matches(setting.value);
  if (wrong) report([...where, 'value'], setting.value, wrong);
  const targeting = setting.targeting;
  if (!targeting) return;
  if (targeting.merchants.length === 0 && targeting.percent === 0) {
    report([...where, 'targeting'], undefined, 'targets nobody; allowed: merchants (an allow-list) and/or a percent above 0');
  }
  if (targeting.value === undefined) {
    if (flag.type === 'value') report([...where, 'targeting', 'value'], undefined, 'is required for a value flag: what targeted merchants get');
  } else {
    const wrongTarget = matches(targeting.value);
    if (wrongTarget) report([...where, 'targeting', 'value'], targeting.value, wrongTarget);
  }
}

/** Declared flags that no source file of the service (but the generated accessors) reads as `flags.<name>`. */
function unreadFlags(m: ServiceManifest, dir: string): string[] {
  const names = Object.keys(m.flags);
  if (names.length === 0) return [];
  const src = path.join(dir, 'src');
  const sources = fs.existsSync(src) ? listTs(src).filter(f => path.relative(dir, f) !== FLAGS_FILE) : [];
  const text = sources.map(f => fs.readFileSync(f, 'utf8')).join('\n');
  // eslint-disable-next-line security/detect-non-literal-regexp -- the flag name matched FLAG_NAME_PATTERN (camelCase letters and digits) before it gets here: no regex syntax in it
  return names.filter(name => !new RegExp(`\\bflags\\.${name}\\b`).test(text));
}

function listTs(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return listTs(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** The setting of every flag in `environment` (or the local stage's: `local`, else the first environment's). */
export function flagSettings(m: ServiceManifest,
  environment: string | { local: true; firstEnvironment: string }): Record<string, ResolvedFlagSetting> {
  return Object.fromEntries(Object.entries(m.flags).map(([name, flag]) => {
    const setting = typeof environment === 'string'
      ? flag.environments[environment]
      : flag.local ?? flag.environments[environment.firstEnvironment];
    return [name, resolveSetting(flag, setting)];
  }));
}

/**
 * What the runtime reads for each flag (AppConfig's data plane returns this
 * for a feature-flags profile; the local stage writes it to a file):
 * `enabled` (a boolean flag's value for everyone), `value` (a value flag's,
 * as JSON), `merchants`, `percent`, `targetValue` (as JSON).
 */
export type FlagData = Record<string, {
  enabled: boolean;
  value?: string;
  merchants?: string[];
  percent?: number;
  targetValue?: string;
}>;

/** The data the runtime reads for `settings` (see {@link FlagData}). */
export function flagData(m: ServiceManifest, settings: Record<string, ResolvedFlagSetting>): FlagData {
  return Object.fromEntries(Object.entries(settings).map(([name, setting]) => {
    const boolean = m.flags[name].type === 'boolean';
    const entry: FlagData[string] = { enabled: boolean ? setting.value === true : true };
    if (!boolean) entry.value = JSON.stringify(setting.value);
    if (setting.targeting) {
      entry.merchants = [...setting.targeting.merchants];
      entry.percent = setting.targeting.percent;
      entry.targetValue = JSON.stringify(setting.targeting.value);
    }
    return [name, entry];
  }));
}

/**
 * The AWS AppConfig feature-flags document (type AWS.AppConfig.FeatureFlags)
 * of a service in `environment`: each flag with its attributes and their
 * constraints (AppConfig refuses a version that breaks them), and its values.
 */
export function appConfigDocument(m: ServiceManifest, environment: string): Record<string, unknown> {
  const attribute = (constraints: Record<string, unknown>) => ({ constraints });
  const flags = Object.fromEntries(Object.entries(m.flags).map(([name, flag]) => [name, {
    name,
    description: flag.description,
    attributes: {
      ...(flag.type === 'value' ? { value: attribute({ type: 'string' }) } : {}),
      merchants: attribute({ type: 'array', elements: { type: 'string', pattern: ID_PATTERN.source } }),
      percent: attribute({ type: 'number', minimum: 0, maximum: 100 }),
      targetValue: attribute({ type: 'string' }),
    },
  }]));
  return { version: '1', flags, values: flagData(m, flagSettings(m, environment)) };
}

/** The TypeScript type of a value flag's schema (the subset the accessors support; anything else is `unknown`). */
export function schemaType(schema: unknown, indent = ''): string {
  if (typeof schema !== 'object' || schema === null) return 'unknown';
  const s = schema as Record<string, unknown>;
  if (Array.isArray(s.enum)) return s.enum.map(v => JSON.stringify(v)).join(' | ');
  switch (s.type) {
    case 'string': return 'string';
    case 'number':
    case 'integer': return 'number';
    case 'boolean': return 'boolean';
    case 'array': return `readonly (${schemaType(s.items, indent)})[]`;
    case 'object': {
      const properties = (s.properties ?? {}) as Record<string, unknown>;
      const required = new Set(Array.isArray(s.required) ? s.required as string[] : []);
      const lines = Object.entries(properties).map(([key, value]) =>
        `${indent}  readonly ${/^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key)}${required.has(key) ? '' : '?'}: ${schemaType(value, `${indent}  `)};`);
      return lines.length > 0 ? `{\n${lines.join('\n')}\n${indent}}` : 'Readonly<Record<string, unknown>>';
    }
    default: return 'unknown';
  }
}

const pascal = (name: string) => name[0].toUpperCase() + name.slice(1);

/**
 * How a service in `dir` imports the runtime's flags module from its src/
 * folder: its services/ folder's own runtime (the repository's, or a copy's),
 * else this repository's (services kept elsewhere, e.g. test fixtures).
 */
export function flagsRuntimeImport(dir: string): string {
  if (fs.existsSync(path.join(dir, '..', 'runtime', 'flags.ts'))) return '../../runtime/flags';
  return path.relative(path.join(dir, 'src'), path.join(__dirname, 'runtime', 'flags')).split(path.sep).join('/');
}

/**
 * The typed accessors of a service's flags (`src/flags.generated.ts`), or
 * undefined when it declares none; `runtimeImport` is how its src/ folder
 * imports services/runtime/flags.ts.
 */
export function renderFlagAccessors(m: ServiceManifest, runtimeImport = '../../runtime/flags'): string | undefined {
  const entries = Object.entries(m.flags);
  if (entries.length === 0) return undefined;
  const types: string[] = [];
  const definitions = entries.map(([name, flag]) => {
    const fallback = JSON.stringify(flagDefault(flag));
    const description = flag.description.replace(/\*\//g, '*\\/');
    const doc = `  /** ${description}${/[.!?]$/.test(description) ? '' : '.'} Safe default: ${fallback}. */`;
    if (flag.type === 'boolean') return `${doc}\n  ${name}: { type: 'boolean', default: ${fallback} as boolean },`;
    const typeName = `${pascal(name)}Value`;
    types.push(`/** The value of flag ${name}. */\nexport type ${typeName} = ${schemaType(flag.schema)};\n`);
    return `${doc}\n  ${name}: { type: 'value', jsonType: '${String(flag.schema?.type)}', default: ${fallback} as ${typeName} },`;
  });
  return [
    `// Generated by \`npx projen flags\` from the flags in service.ts (service ${m.name}): do not edit.`,
    '/* eslint-disable */',
    '// Handlers read flags through these accessors only, so reading a flag the manifest does not declare is a compile error:',
    '// `await flags.<name>.for(merchantId)` (services/runtime/flags.ts evaluates it per request, with targeting).',
    `import { defineFlags } from '${runtimeImport}';`,
    '',
    ...types,
    `export const flags = defineFlags('${m.name}', {`,
    ...definitions,
    '});',
    '',
  ].join('\n');
}

/**
 * Problems of the generated accessors of a service: missing, out of date
 * with the manifest, or left over after its last flag went; the fix is
 * `npx projen flags`.
 */
export function accessorProblems(m: ServiceManifest, dir: string, folder: string): string[] {
  const expected = renderFlagAccessors(m, flagsRuntimeImport(dir));
  const file = path.join(dir, FLAGS_FILE);
  const actual = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  if (actual === expected) return [];
  const where = `${folder}/${FLAGS_FILE}`;
  if (expected === undefined) return [`${where} is left over: ${folder}/service.ts declares no flags; run: npx projen flags (it removes it)`];
  if (actual === undefined) return [`${where} is missing: ${folder}/service.ts declares flags; run: npx projen flags`];
  return [`${where} is out of date with the flags of ${folder}/service.ts; run: npx projen flags`];
}

/**
 * AWS AppConfig's applications quota, checked at synth: each service with
 * flags has one application in each environment it deploys to.
 */
export function flagQuotaProblems(environments: readonly { readonly name: string; readonly quotas: { readonly appConfigApplications: number } }[],
  manifests: readonly ServiceManifest[]): string[] {
  return environments.flatMap((env, i) => {
    const withFlags = manifests.filter(m => Object.keys(m.flags).length > 0 && deploysTo(m, env.name));
    const quota = env.quotas.appConfigApplications;
    if (withFlags.length <= quota) return [];
    return [`accounts/organization.ts: environments[${i}]: ${withFlags.length} services with feature flags would need ${withFlags.length} AWS AppConfig `
      + `applications in the ${env.name} account, above its quota of ${quota}; fix: ask AWS to raise "Applications" for AppConfig (Service Quotas) `
      + 'and set environments[i].quotas.appConfigApplications'];
  });
}
