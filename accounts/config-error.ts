import { z } from 'zod';

/**
 * A mistake in a declaration, lock file, manifest or CLI argument.
 *
 * The CLI and the CDK app print `message` without a stack trace; every
 * problem names the file, the field path, the bad value and what is allowed.
 */
export class ConfigError extends Error {
  /** One line per problem, each starting with the file it is about. */
  public readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(problems.length === 1
      ? problems[0]
      : `${problems.length} problems:\n${problems.map(p => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** A path into a declaration, as zod reports it. */
export type FieldPath = readonly PropertyKey[];

/** Renders `['accounts', 2, 'email']` as `accounts[2].email`. */
export function formatPath(path: FieldPath): string {
  if (path.length === 0) return '(top level)';
  return path.map((key, i) => {
    if (typeof key === 'number') return `[${key}]`;
    const name = String(key);
    const plain = /^[A-Za-z_$][\w$-]*$/.test(name);
    if (!plain) return `[${JSON.stringify(name)}]`;
    return i === 0 ? name : `.${name}`;
  }).join('');
}

/** The value found at `path` in `input`, or undefined when the path is absent. */
export function valueAt(input: unknown, path: FieldPath): unknown {
  let current: unknown = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** Renders a value for an error message: short, JSON-like, never multi-line. */
export function formatValue(value: unknown): string {
  if (value === undefined) return '(missing)';
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 200 ? `${json.slice(0, 197)}...` : json;
}

/**
 * One problem line: `file: path value message`.
 *
 * `message` reads as a predicate on the value, e.g. `is not a 12-digit account id`.
 */
export function problem(file: string, path: FieldPath, value: unknown, message: string): string {
  const shown = value === undefined ? '' : ` ${formatValue(value)}`;
  return `${file}: ${formatPath(path)}${shown} ${message}`;
}

/**
 * Messages for zod's built-in checks, phrased as predicates on the value so
 * they read well after it. Messages set in a schema take precedence.
 */
export const predicateMessages: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined
        ? `is required (expected ${issue.expected})`
        : `is not ${({ int: 'an integer', array: 'an array', object: 'an object' } as Record<string, string>)[issue.expected] ?? `a ${issue.expected}`}`;
    case 'invalid_value':
      return `is not allowed; allowed: ${issue.values.map(v => JSON.stringify(v)).join(', ')}`;
    case 'unrecognized_keys':
      return `has unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map(k => JSON.stringify(k)).join(', ')} (check the spelling)`;
    case 'too_small':
      return issue.origin === 'array'
        ? `must have at least ${issue.minimum} item(s)`
        : `must be ${issue.inclusive === false ? 'greater than' : 'at least'} ${issue.minimum}${issue.origin === 'string' ? ' character(s) long' : ''}`;
    case 'too_big':
      return issue.origin === 'array'
        ? `must have at most ${issue.maximum} item(s)`
        : `must be ${issue.inclusive === false ? 'less than' : 'at most'} ${issue.maximum}${issue.origin === 'string' ? ' character(s) long' : ''}`;
    case 'invalid_format':
      return `is not a valid ${issue.format}`;
    default:
      return undefined;
  }
};

/**
 * Validates `input` against `schema`; on failure throws one {@link ConfigError}
 * listing every problem (not just the first), each naming `file`.
 */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, file: string): z.output<S> {
  const result = schema.safeParse(input, { error: predicateMessages });
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.map(issue => {
    // For unknown keys, and checks over a whole list, the value is a whole
    // object or array: leave it out.
    // A bad key of a record (a function id, a flag name): the path names the key, the key's own check says what is wrong.
    const badKey = issue.code === 'invalid_key';
    const hideValue = badKey || issue.code === 'unrecognized_keys'
      || (issue.code === 'custom' && issue.params?.showValue === false);
    const value = hideValue ? undefined : valueAt(input, issue.path);
    return problem(file, issue.path, value, badKey ? issue.issues[0]?.message ?? issue.message : issue.message);
  }));
}

/**
 * Runs a command's entry point: a {@link ConfigError} (a user's mistake) is
 * printed as its lines, without a stack trace, with exit code 1; anything
 * else is a bug and keeps its stack trace.
 */
export function runCommand(main: () => void): void {
  try {
    main();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    console.error(e.message);
    process.exitCode = 1;
  }
}

/** How esbuild (under tsx) words each error of a file it could not transform: `<file>:<line>:<column>: ERROR: <text>`. */
const TRANSFORM_ERROR_LINE = /^(.+):(\d+):(\d+): ERROR: (.+)$/;

/**
 * The default export of a declaration file written in TypeScript (a service
 * manifest, accounts/organization.ts), loaded through tsx: a syntax error in
 * it is the user's, so it becomes a {@link ConfigError} naming
 * `display:line:column` (1-based, as editors count; esbuild counts columns
 * from 0) and esbuild's message, without a stack trace.
 */
export function requireDeclaration(file: string, display: string): unknown {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports, security/detect-non-literal-require -- a declaration file of this repository (a manifest, the organization): code the repository owns
    return (require(file) as { default?: unknown }).default;
  } catch (error) {
    const problems = transformProblems(error, display);
    if (problems.length === 0) throw error;
    throw new ConfigError(problems);
  }
}

/** The syntax errors of a failed transform, as `display:line:column: message` lines; none when `error` is not one. */
export function transformProblems(error: unknown, display: string): string[] {
  if ((error as { name?: unknown })?.name !== 'TransformError') return [];
  return String((error as Error).message).split('\n').flatMap(line => {
    const match = TRANSFORM_ERROR_LINE.exec(line.trim());
    return match ? [`${display}:${match[2]}:${Number(match[3]) + 1}: ${match[4]}`] : [];
  });
}
