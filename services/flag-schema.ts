import { z } from 'zod';
import { ID_PATTERN } from './runtime/ids';

/**
 * The schema of a service's feature flags (`flags` in its manifest), apart
 * from services/feature-flags.ts so that the manifest schema
 * (services/service-model.ts) needs nothing but zod: manifests load from any
 * copy of services/.
 */

/** A flag's name: camelCase, the accessor's name (and AppConfig's flag key). */
export const FLAG_NAME_PATTERN = /^[a-z][a-zA-Z0-9]{0,39}$/;

/** The file of a service's typed flag accessors, relative to its folder. */
export const FLAGS_FILE = 'src/flags.generated.ts';

/** The JSON types a value flag's schema may declare at its top level. */
export const FLAG_JSON_TYPES = ['string', 'number', 'integer', 'boolean', 'object', 'array'] as const;
/** A JSON type a value flag's schema may declare. */
export type FlagJsonType = (typeof FLAG_JSON_TYPES)[number];

/** Merchants an allow-list may name: AppConfig keeps a flag's attributes small. */
export const MAX_TARGETED_MERCHANTS = 100;

const TargetingSchema = z.strictObject({
  /** Merchants that get the target value. */
  merchants: z.array(z.string().regex(ID_PATTERN, {
    error: 'is not a merchant id; allowed: 1-64 letters, digits, "_" or "-", starting with a letter or digit',
  })).max(MAX_TARGETED_MERCHANTS).default([]),
  /** Percentage of merchants (each merchant always in or out, per flag) that get the target value. */
  percent: z.number().min(0).max(100).default(0),
  /** The value targeted merchants get. @default true (boolean flags) */
  value: z.json().optional(),
});

/** A flag's setting in one environment: a boolean (boolean flags), or a value with optional targeting. */
const FlagSettingSchema = z.union([
  z.boolean(),
  z.strictObject({ value: z.json(), targeting: TargetingSchema.optional() }),
], { error: 'is not a flag setting; allowed: true or false (boolean flags), or { value, targeting? }' });

/** A feature flag in a service manifest (`flags.<name>`). */
export const FlagSchema = z.strictObject({
  description: z.string().min(1).max(256),
  /** A boolean, or a value of the declared JSON schema. @default 'boolean' */
  type: z.enum(['boolean', 'value']).default('boolean'),
  /** Value flags: the JSON Schema of the value (draft 7; its top-level `type` one of string, number, integer, boolean, object, array). */
  schema: z.record(z.string(), z.json()).optional(),
  /**
   * The safe value: what handlers get when AppConfig cannot be reached, or
   * before it first answers. Required for value flags. @default false (boolean flags)
   */
  default: z.json().optional(),
  /** The setting in each environment the service deploys to. */
  environments: z.record(z.string(), FlagSettingSchema),
  /** The local stage's setting. @default - the first environment's */
  local: FlagSettingSchema.optional(),
});

/** A flag as declared (validated by zod, before the checks against the organization). */
export type FlagDeclaration = z.output<typeof FlagSchema>;
/** A flag's setting in one environment, as declared. */
export type FlagSetting = z.output<typeof FlagSettingSchema>;

/** A flag's setting with its defaults applied: the value for everyone, and the targeted merchants' value. */
export interface ResolvedFlagSetting {
  readonly value: unknown;
  readonly targeting?: { readonly value: unknown; readonly merchants: readonly string[]; readonly percent: number };
}

