import type * as z from 'zod';

/**
 * A variable the framework should have set is missing or malformed: a
 * deployment mistake, never the caller's, so it surfaces as a 500 and in the logs.
 */
export class EnvironmentError extends Error {
  public readonly name = 'EnvironmentError';
}

/** Reads a required environment variable; throws an {@link EnvironmentError} naming it when unset or empty. */
export function requireEnv(name: string): string;
/** Reads a required environment variable and parses it with `schema`; the error names the variable and what is wrong. */
export function requireEnv<T extends z.ZodType>(name: string, schema: T): z.output<T>;
export function requireEnv(name: string, schema?: z.ZodType): unknown {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new EnvironmentError(`environment variable ${name} is not set; the framework sets it from the service manifest (see runtimeVariables in services/service-model.ts)`);
  }
  if (!schema) return value;
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    // These variables hold names, URLs and limits, never secret values
    // (secrets are passed as ARNs), so the value may be shown.
    throw new EnvironmentError(`environment variable ${name} ${JSON.stringify(value)} is invalid: ${parsed.error.issues.map(i => i.message).join('; ')}`);
  }
  return parsed.data;
}
