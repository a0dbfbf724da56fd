import { ConfigError } from '../../../accounts';
import { helpText, parseCliArgs } from '../../../accounts/bootstrap';

/** The problems parseCliArgs reports for `argv`. */
function problems(argv: string[]): readonly string[] {
  try {
    parseCliArgs(argv);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error(`no problem with ${argv.join(' ')}`);
}

describe('command line', () => {
  test('accepts every option in both spellings, with defaults', () => {
    expect(parseCliArgs(['apply', '--profile', 'mgmt', '--region=eu-central-1', '--endpoint-url', 'http://localhost:5000',
      '-y', '--output', 'json', '--allow-moves', '--lock-file', '/tmp/x.json', '--create-timeout', '30'])).toEqual({
      command: 'apply',
      help: false,
      profile: 'mgmt',
      region: 'eu-central-1',
      endpointUrl: 'http://localhost:5000',
      yes: true,
      output: 'json',
      allowMoves: true,
      lockFile: '/tmp/x.json',
      accessRole: 'organization',
      accounts: [],
      createTimeoutMinutes: 30,
    });
    expect(parseCliArgs(['bootstrap', '--access-role', 'control-tower', '--account', 'a', '--account', 'b']))
      .toMatchObject({ accessRole: 'control-tower', accounts: ['a', 'b'], output: 'text', yes: false });
  });

  test('ignores the "--" that npx projen bootstrap -- passes on', () => {
    expect(parseCliArgs(['--', 'plan']).command).toBe('plan');
  });

  test('--help (or -h) shows every command and option', () => {
    expect(parseCliArgs(['--help']).help).toBe(true);
    expect(parseCliArgs(['plan', '-h']).help).toBe(true);
    const help = helpText();
    for (const word of ['plan', 'apply', 'bootstrap', 'lock', '--profile', '--region', '--endpoint-url', '--yes', '--output', '--allow-moves', '--access-role']) {
      expect(help).toContain(word);
    }
  });

  test.each([
    [[], 'command line: no command given; allowed: plan, apply, bootstrap, lock (see --help)'],
    [['deploy'], 'command line: "deploy" is not a command; allowed: plan, apply, bootstrap, lock'],
    [['plan', 'apply'], 'command line: one command at a time; got "plan", "apply"'],
    [['plan', '--force'], 'command line: --force is not an option; allowed: --profile, --region, --endpoint-url, --output, --yes, --allow-moves, --lock-file, --create-timeout, --access-role, --account, --help, -h, -y'],
    [['plan', '--profile'], 'command line: --profile needs a value: --profile <name>'],
    [['apply', '--region', '--yes'], 'command line: --region needs a value: --region <region>'],
    [['plan', '--profile', 'bad profile'], 'command line: --profile "bad profile" is not a profile name; allowed: 1-64 letters, digits, "_", ".", "+", "@" or "-"'],
    [['plan', '--region', 'eu-west-7'], 'command line: --region "eu-west-7" is not an AWS region; allowed: a region such as eu-west-1 (see accounts/regions.ts)'],
    [['plan', '--endpoint-url', 'localhost:5000'], 'command line: --endpoint-url "localhost:5000" is not an http(s) URL; allowed: e.g. http://localhost:5000'],
    [['plan', '--endpoint-url', 'ftp://x'], 'command line: --endpoint-url "ftp://x" is not an http(s) URL; allowed: e.g. http://localhost:5000'],
    [['plan', '--output', 'xml'], 'command line: --output "xml" is not allowed; allowed: text, json'],
    [['plan', '--lock-file', 'lock.yaml'], 'command line: --lock-file "lock.yaml" is not a .json file; allowed: a path ending in .json'],
    [['bootstrap', '--access-role', 'admin'], 'command line: --access-role "admin" is not allowed; allowed: organization, control-tower'],
    [['bootstrap', '--account', 'Prod_1'], 'command line: --account "Prod_1" is not an account name; allowed: a declared account\'s name, e.g. workload-dev'],
    [['apply', '--create-timeout', '0'], 'command line: --create-timeout "0" is not allowed; allowed: whole minutes from 1 to 120'],
    [['apply', '--create-timeout', '2.5'], 'command line: --create-timeout "2.5" is not allowed; allowed: whole minutes from 1 to 120'],
    [['apply', '--yes=no'], 'command line: --yes takes no value (got "no")'],
    [['plan', '--region', 'eu-west-1', '--region', 'eu-central-1'], 'command line: --region is given more than once ("eu-west-1", "eu-central-1"); give it once'],
    [['plan', '--yes'], 'command line: --yes does not apply to plan; it applies to: apply, bootstrap'],
    [['lock', '--allow-moves'], 'command line: --allow-moves does not apply to lock; it applies to: plan, apply'],
    [['plan', '--account', 'dev'], 'command line: --account does not apply to plan; it applies to: bootstrap'],
  ])('refuses %j, naming the flag, the value and what is allowed', (argv, message) => {
    expect(problems(argv)).toEqual([message]);
  });

  test('reports every bad argument at once', () => {
    expect(problems(['plan', '--output', 'xml', '--region', 'mars-1'])).toHaveLength(2);
  });
});
