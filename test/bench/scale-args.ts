/**
 * The command line of the scale benchmark (test/bench/scale.ts): kept apart
 * from it so its tests load no CDK code.
 */

/** The services the repository ships (ledger, notifications, payments); generated services come on top. */
export const SHIPPED_SERVICES = 3;

export const TOPOLOGIES = ['single', 'per-service', 'per-owner'] as const;
export const ENGINES = ['codepipeline', 'github'] as const;
export type Topology = typeof TOPOLOGIES[number];
export type Engine = typeof ENGINES[number];

/** What the command line asks for. */
export interface Options {
  readonly services: number[];
  readonly topologies: Topology[];
  readonly engines: Engine[];
  readonly runs: number;
  /** `pipeline.iamRoleQuota` written into the copies' organization. @default - the shipped one's */
  readonly iamRoleQuota?: number;
  /** Whether each row also runs the floors and the feedback synths (second synth, after one handler edit). @default true */
  readonly feedback: boolean;
  /** Whether the first full synth of each row runs under `node --cpu-prof`, and its profile is summarized. @default false */
  readonly cpuProf: boolean;
  /** Numbers of services to run the unit suite with instead of the synths (`--unit-suite`). @default - the synths run */
  readonly unitSuite?: number[];
}

export const USAGE = `usage: npx tsx test/bench/scale.ts [--services 3,30,300] [--topology single,per-service] [--engine codepipeline,github] [--runs 1]
                                  [--iam-role-quota 1000] [--feedback on|off] [--cpu-prof]
       npx tsx test/bench/scale.ts --unit-suite 3,23 [--runs 1]
  --services  total services per run, including the ${SHIPPED_SERVICES} shipped ones (integers >= ${SHIPPED_SERVICES}); default 3,30,300
  --topology  any of ${TOPOLOGIES.join(', ')}; default single,per-service
  --engine    any of ${ENGINES.join(', ')}; default codepipeline,github
  --runs      times each synth runs; the median time and the highest peak memory are reported (integer >= 1); default 1
  --iam-role-quota  the tooling account's IAM roles quota written into the copies' organization (1000-5000); default: the shipped one's
  --feedback  on: per row, also floor A (the same app without our policy validation plugins, cold then warm), the first synth from
              clean bundles and validation cache, a second synth with nothing changed, one after editing a payments handler,
              and floor B (a plain CDK app with only the same Lambda functions), with a per-phase table; off: skip them; default on
  --cpu-prof  profile each row's first full synth (node --cpu-prof, or the same V8 profiler from a preload where NODE_OPTIONS refuses it)
              and summarize the app's profile; that synth's times then include the profiler
  --unit-suite  instead of the synths: the unit suite (npx jest --ci, from nothing) in a copy with that many services in all,
              for each number given (integers >= ${SHIPPED_SERVICES}), and its growth per added service
Copies go to .build/scale/n<N>/ (unit suite: unit-n<N>/) (the previous run's copies are deleted first); rows also go to .build/bench-scale.json.`;

/** A mistake in the command line: printed with the usage, without a stack trace, exit 2. */
export class UsageError extends Error {}
/** `--help`: the usage on stdout, exit 0. */
export class HelpRequested extends Error {}

function listOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T[] {
  const items = value.split(',').map(s => s.trim());
  const bad = items.filter(i => !(allowed as readonly string[]).includes(i));
  if (bad.length > 0 || items.length === 0) {
    throw new UsageError(`${flag} ${JSON.stringify(value)}: ${bad.map(b => JSON.stringify(b)).join(', ') || 'empty'} is not allowed; allowed: a comma-separated list of ${allowed.join(', ')}`);
  }
  return [...new Set(items)] as T[];
}

function integerOf(flag: string, item: string, min: number, what: string): number {
  if (!/^\d+$/.test(item.trim()) || Number(item) < min) {
    throw new UsageError(`${flag} ${JSON.stringify(item)} is not ${what}; allowed: an integer >= ${min}`);
  }
  return Number(item);
}

const ALLOWED: Record<string, string> = {
  '--services': `a comma-separated list of integers >= ${SHIPPED_SERVICES}, e.g. 3,30,300`,
  '--topology': `a comma-separated list of ${TOPOLOGIES.join(', ')}`,
  '--engine': `a comma-separated list of ${ENGINES.join(', ')}`,
  '--runs': 'an integer >= 1',
  '--iam-role-quota': 'an integer from 1000 to 5000 (the tooling account\'s IAM roles quota written into the copies\' organization)',
  '--feedback': 'on or off (off skips the floors and the feedback synths)',
  '--cpu-prof': 'no value (--cpu-prof alone profiles each row\'s first full synth)',
  '--unit-suite': `a comma-separated list of integers >= ${SHIPPED_SERVICES} (services in all, e.g. 3,23)`,
};

/** Flags that take no value: present or not. */
const SWITCHES = ['--cpu-prof'];

function iamRoleQuotaOf(value: string): number {
  const quota = integerOf('--iam-role-quota', value, 1000, 'an IAM roles quota');
  if (quota > 5000) throw new UsageError(`--iam-role-quota ${JSON.stringify(value)} is above what AWS allows; allowed: ${ALLOWED['--iam-role-quota']}`);
  return quota;
}

function onOffOf(flag: string, value: string): boolean {
  if (value !== 'on' && value !== 'off') throw new UsageError(`${flag} ${JSON.stringify(value)} is not allowed; allowed: ${ALLOWED[flag]}`);
  return value === 'on';
}

/** Reads the command line: `--flag value` or `--flag=value`, and switches alone (`--cpu-prof`). */
export function parseArgs(argv: readonly string[]): Options {
  const values: Record<string, string> = {};
  const known = Object.keys(ALLOWED);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    // `npx projen bench:scale -- --services 3` passes the `--` on.
    if (arg === '--') continue;
    if (arg === '--help' || arg === '-h') throw new HelpRequested();
    const eq = arg.indexOf('=');
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    if (!known.includes(flag)) {
      throw new UsageError(`${JSON.stringify(arg)} is not a flag of this benchmark; allowed: ${known.join(', ')}`);
    }
    if (SWITCHES.includes(flag)) {
      if (eq >= 0) throw new UsageError(`${flag} ${JSON.stringify(arg.slice(eq + 1))}: ${flag} takes no value; allowed: ${ALLOWED[flag]}`);
      values[flag] = 'on';
      continue;
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '' || (eq < 0 && value.startsWith('--'))) {
      throw new UsageError(`${flag} needs a value; allowed: ${ALLOWED[flag]}`);
    }
    values[flag] = value;
  }
  const services = (values['--services'] ?? '3,30,300').split(',')
    .map(s => integerOf('--services', s, SHIPPED_SERVICES, `a number of services (the ${SHIPPED_SERVICES} shipped ones included)`));
  return {
    services: [...new Set(services)],
    topologies: listOf('--topology', values['--topology'] ?? 'single,per-service', TOPOLOGIES),
    engines: listOf('--engine', values['--engine'] ?? 'codepipeline,github', ENGINES),
    runs: integerOf('--runs', values['--runs'] ?? '1', 1, 'a number of runs'),
    iamRoleQuota: values['--iam-role-quota'] === undefined ? undefined : iamRoleQuotaOf(values['--iam-role-quota']),
    feedback: onOffOf('--feedback', values['--feedback'] ?? 'on'),
    cpuProf: values['--cpu-prof'] === 'on',
    unitSuite: values['--unit-suite'] === undefined ? undefined : [...new Set(values['--unit-suite'].split(',')
      .map(s => integerOf('--unit-suite', s, SHIPPED_SERVICES, `a number of services (the ${SHIPPED_SERVICES} shipped ones included)`)))],
  };
}
