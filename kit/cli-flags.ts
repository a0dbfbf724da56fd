/** One option of a command-line tool. */
export interface FlagSpec {
  /** Takes a value (`--flag value` or `--flag=value`). */
  readonly value: boolean;
  /** May be given more than once. @default false */
  readonly repeatable?: boolean;
  /** `<value>` as shown in --help and in "needs a value" errors. */
  readonly placeholder?: string;
  readonly help: string;
}

/** A command line as read by {@link readFlags}. */
export interface FlagsRead {
  /** The values of each flag given (`'true'` for a flag without value), by canonical flag name. */
  readonly values: ReadonlyMap<string, readonly string[]>;
  /** The arguments that are not options, in order. */
  readonly positionals: readonly string[];
  /** Every problem found, each naming the flag, the bad value and what is allowed. */
  readonly problems: readonly string[];
}

/**
 * Reads `--flag value`, `--flag=value` and aliases (`-h`) against `flags`,
 * skipping the `--` that `npx projen <task> -- ...` passes on. It does not
 * stop at the first mistake: every problem is collected, prefixed with
 * `where`, so the user fixes them all at once. What the values mean is the
 * caller's to check.
 */
export function readFlags(argv: readonly string[], flags: Readonly<Record<string, FlagSpec>>,
  aliases: Readonly<Record<string, string>>, where: string): FlagsRead {
  const problems: string[] = [];
  const values = new Map<string, string[]>();
  const positionals: string[] = [];
  const quote = (text: string) => JSON.stringify(text);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') continue;
    if (!arg.startsWith('-')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const rawFlag = eq > 0 ? arg.slice(0, eq) : arg;
    const flag = aliases[rawFlag] ?? rawFlag;
    const spec = flags[flag];
    if (!spec) {
      problems.push(`${where}: ${rawFlag} is not an option; allowed: ${[...Object.keys(flags), ...Object.keys(aliases)].join(', ')}`);
      continue;
    }
    let value: string;
    if (!spec.value) {
      if (eq > 0) {
        problems.push(`${where}: ${flag} takes no value (got ${quote(arg.slice(eq + 1))})`);
        continue;
      }
      value = 'true';
    } else if (eq > 0) {
      value = arg.slice(eq + 1);
    } else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) {
      value = argv[++i];
    } else {
      problems.push(`${where}: ${flag} needs a value: ${flag} ${spec.placeholder}`);
      continue;
    }
    const previous = values.get(flag) ?? [];
    if (previous.length > 0 && !spec.repeatable) {
      problems.push(`${where}: ${flag} is given more than once (${quote(previous[0])}, ${quote(value)}); give it once`);
      continue;
    }
    values.set(flag, [...previous, value]);
  }
  return { values, positionals, problems };
}

/** A command line of a command that takes options only, as read by {@link readOptions}. */
export interface OptionsRead {
  /** The value of each flag given (`'true'` for a flag without value), by canonical flag name. */
  readonly values: ReadonlyMap<string, string>;
  /** Every problem found, an argument that is not an option included. */
  readonly problems: string[];
}

/**
 * {@link readFlags} for a command that takes options only, none of them
 * repeatable: an argument that is not an option is a problem too.
 */
export function readOptions(argv: readonly string[], flags: Readonly<Record<string, FlagSpec>>,
  aliases: Readonly<Record<string, string>>, where: string): OptionsRead {
  const read = readFlags(argv, flags, aliases, where);
  return {
    values: new Map([...read.values].map(([flag, given]) => [flag, given[0]])),
    problems: [
      ...read.positionals.map(arg => `${where}: unexpected argument ${JSON.stringify(arg)}; allowed: only options (${Object.keys(flags).join(', ')})`),
      ...read.problems,
    ],
  };
}
