import { FlagSpec, readFlags } from '../../kit';
import { ConfigError } from '../config-error';
import { CONTROL_TOWER_EXECUTION_ROLE_NAME, ORGANIZATION_ACCESS_ROLE_NAME } from '../platform-names';
import { isKnownRegion } from '../regions';

/** The tool's commands. */
export const COMMANDS = ['plan', 'apply', 'bootstrap', 'lock'] as const;
/** A command of the tool. */
export type Command = (typeof COMMANDS)[number];

/** Output formats: text for people, json for scripts. */
export const OUTPUT_FORMATS = ['text', 'json'] as const;

/** Roles the tool can act through in member accounts. */
export const ACCESS_ROLES = {
  'organization': ORGANIZATION_ACCESS_ROLE_NAME,
  'control-tower': CONTROL_TOWER_EXECUTION_ROLE_NAME,
} as const;

/** The parsed command line. */
export interface CliOptions {
  readonly command?: Command;
  readonly help: boolean;
  readonly profile?: string;
  readonly region?: string;
  readonly endpointUrl?: string;
  readonly yes: boolean;
  readonly output: (typeof OUTPUT_FORMATS)[number];
  readonly allowMoves: boolean;
  /** @default accounts/accounts.lock.json in the repository */
  readonly lockFile?: string;
  /** @default 'organization' */
  readonly accessRole: keyof typeof ACCESS_ROLES;
  /** Account names to bootstrap; empty for all. */
  readonly accounts: readonly string[];
  /** Bounded wait for each account creation. */
  readonly createTimeoutMinutes: number;
}

interface CommandFlagSpec extends FlagSpec {
  /** Commands it applies to. @default every command */
  readonly commands?: readonly Command[];
}

/** Every option, with the commands it applies to; the source of --help. */
export const FLAGS: Readonly<Record<string, CommandFlagSpec>> = {
  '--profile': { value: true, placeholder: '<name>', help: 'AWS profile of the management account (default: the SDK credential chain)' },
  '--region': { value: true, placeholder: '<region>', help: 'region of STS, IAM and CDK calls (default: the declaration\'s homeRegion)' },
  '--endpoint-url': { value: true, placeholder: '<url>', help: 'send every AWS call there, e.g. http://localhost:5000 for moto (dummy credentials if none are set)' },
  '--output': { value: true, placeholder: 'text|json', help: 'text for people (default), json on stdout for scripts' },
  '--yes': { value: false, commands: ['apply', 'bootstrap'], help: 'do not ask for confirmation (required when stdin is not a terminal)' },
  '--allow-moves': { value: false, commands: ['plan', 'apply'], help: 'move accounts out of the OU they are in when the declaration says another' },
  '--lock-file': { value: true, placeholder: '<path>', help: 'lock file to read and write (default: accounts/accounts.lock.json)' },
  '--create-timeout': { value: true, placeholder: '<minutes>', commands: ['apply'], help: 'how long to wait for each account creation, 1-120 (default 15); a later apply resumes it' },
  '--access-role': { value: true, placeholder: 'organization|control-tower', commands: ['bootstrap'], help: `role assumed in member accounts: ${ORGANIZATION_ACCESS_ROLE_NAME} (default) or ${CONTROL_TOWER_EXECUTION_ROLE_NAME}` },
  '--account': { value: true, repeatable: true, placeholder: '<name>', commands: ['bootstrap'], help: 'bootstrap only this declared account (repeatable; default: every account)' },
  '--help': { value: false, help: 'show this help' },
};

const ALIASES: Readonly<Record<string, string>> = { '-h': '--help', '-y': '--yes' };

/** The help text. */
export function helpText(): string {
  const width = Math.max(...Object.entries(FLAGS).map(([flag, spec]) => `${flag} ${spec.placeholder ?? ''}`.length));
  return [
    'Usage: npx projen bootstrap -- <command> [options]',
    '',
    'Makes the AWS organization match accounts/organization.ts and records its ids in accounts/accounts.lock.json.',
    'Run it with credentials of the management account.',
    '',
    'Commands:',
    '  plan       show what differs (missing OUs and accounts, accounts in the wrong OU, policy types,',
    '             trusted access, lock-file drift); changes nothing',
    '  apply      make those changes, writing the lock file after each; never deletes or closes anything',
    '  bootstrap  CDK-bootstrap every member account and region with its least-privilege execution policy',
    '  lock       only rewrite the lock file from the organization',
    '',
    'Options:',
    ...Object.entries(FLAGS).map(([flag, spec]) => {
      const scope = spec.commands ? ` [${spec.commands.join(', ')}]` : '';
      return `  ${`${flag} ${spec.placeholder ?? ''}`.padEnd(width)}  ${spec.help}${scope}`;
    }),
    '',
    'Exit status: 0 done (or nothing to do), 1 some change failed or was blocked, or AWS refused the credentials, a permission',
    'or the connection (one line says what to do), 2 bad arguments or declaration.',
  ].join('\n');
}

const where = 'command line';

/**
 * Parses and validates the arguments after `bootstrap --`. Throws one
 * {@link ConfigError} listing every bad argument: the flag, the value, and what is allowed.
 */
export function parseCliArgs(argv: readonly string[]): CliOptions {
  const read = readFlags(argv, FLAGS, ALIASES, where);
  const problems = [...read.problems];
  const values = read.values;
  const commands = read.positionals;

  const help = values.has('--help');
  let command: Command | undefined;
  if (commands.length === 0) {
    if (!help) problems.push(`${where}: no command given; allowed: ${COMMANDS.join(', ')} (see --help)`);
  } else if (commands.length > 1) {
    problems.push(`${where}: one command at a time; got ${commands.map(c => `"${c}"`).join(', ')}`);
  } else if (!(COMMANDS as readonly string[]).includes(commands[0])) {
    problems.push(`${where}: "${commands[0]}" is not a command; allowed: ${COMMANDS.join(', ')}`);
  } else {
    command = commands[0] as Command;
  }

  if (command) {
    for (const flag of values.keys()) {
      const applies = FLAGS[flag].commands;
      if (applies && !applies.includes(command)) {
        problems.push(`${where}: ${flag} does not apply to ${command}; it applies to: ${applies.join(', ')}`);
      }
    }
  }

  const one = (flag: string) => values.get(flag)?.[0];
  const profile = one('--profile');
  if (profile !== undefined && !/^[A-Za-z0-9_.+@-]{1,64}$/.test(profile)) {
    problems.push(`${where}: --profile "${profile}" is not a profile name; allowed: 1-64 letters, digits, "_", ".", "+", "@" or "-"`);
  }
  const region = one('--region');
  if (region !== undefined && !isKnownRegion(region)) {
    problems.push(`${where}: --region "${region}" is not an AWS region; allowed: a region such as eu-west-1 (see accounts/regions.ts)`);
  }
  const endpointUrl = one('--endpoint-url');
  if (endpointUrl !== undefined && !isHttpUrl(endpointUrl)) {
    problems.push(`${where}: --endpoint-url "${endpointUrl}" is not an http(s) URL; allowed: e.g. http://localhost:5000`);
  }
  const output = one('--output') ?? 'text';
  if (!(OUTPUT_FORMATS as readonly string[]).includes(output)) {
    problems.push(`${where}: --output "${output}" is not allowed; allowed: ${OUTPUT_FORMATS.join(', ')}`);
  }
  const lockFile = one('--lock-file');
  if (lockFile !== undefined && !lockFile.endsWith('.json')) {
    problems.push(`${where}: --lock-file "${lockFile}" is not a .json file; allowed: a path ending in .json`);
  }
  const accessRole = one('--access-role') ?? 'organization';
  if (!(accessRole in ACCESS_ROLES)) {
    problems.push(`${where}: --access-role "${accessRole}" is not allowed; allowed: ${Object.keys(ACCESS_ROLES).join(', ')}`);
  }
  const accounts = values.get('--account') ?? [];
  for (const name of accounts) {
    if (!/^[a-z][a-z0-9-]{0,49}$/.test(name)) {
      problems.push(`${where}: --account "${name}" is not an account name; allowed: a declared account's name, e.g. workload-dev`);
    }
  }
  const timeoutText = one('--create-timeout') ?? '15';
  const createTimeoutMinutes = Number(timeoutText);
  if (!/^\d+$/.test(timeoutText) || createTimeoutMinutes < 1 || createTimeoutMinutes > 120) {
    problems.push(`${where}: --create-timeout "${timeoutText}" is not allowed; allowed: whole minutes from 1 to 120`);
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    command,
    help,
    profile,
    region,
    endpointUrl,
    yes: values.has('--yes'),
    output: output as CliOptions['output'],
    allowMoves: values.has('--allow-moves'),
    lockFile,
    accessRole: accessRole as CliOptions['accessRole'],
    accounts,
    createTimeoutMinutes,
  };
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
