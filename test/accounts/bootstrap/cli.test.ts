import { GetPolicyCommand, IAMClient, IAMServiceException, CreatePolicyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient, STSServiceException } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { FakeOrganization } from './fake-organization';
import { renderLockFile } from '../../../accounts';
import { AwsCallError, CdkRunner, CliDependencies, memoryLockStore, runCli } from '../../../accounts/bootstrap';
import { sampleDeclaration, sampleLock } from '../../fixtures/organization';

const noSleep = async () => {};

// Every command first checks the caller is the management account (100000000000 in the fake organization).
const sts = mockClient(STSClient);
const iam = mockClient(IAMClient);
let fake: FakeOrganization;
beforeEach(() => {
  fake = new FakeOrganization();
  sts.on(GetCallerIdentityCommand).resolves({ Account: '100000000000', Arn: 'arn:aws:sts::100000000000:assumed-role/Admin/me' });
});
afterEach(() => { fake.restore(); sts.reset(); iam.reset(); });
afterAll(() => { sts.restore(); iam.restore(); });

/** Runs the CLI against the fake organization; returns exit code and output. */
async function cli(argv: string[], deps: CliDependencies = {}, lockText?: string) {
  const out: string[] = [];
  const err: string[] = [];
  const store = memoryLockStore(lockText);
  const code = await runCli(argv, {
    declaration: sampleDeclaration(),
    stdout: t => out.push(t),
    stderr: t => err.push(t),
    organizations: () => fake.client(),
    sts: () => new STSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'CALLER', secretAccessKey: 'caller-secret' } }),
    lockStore: () => store,
    retry: { sleep: noSleep },
    wait: { sleep: noSleep },
    ...deps,
  });
  return { code, stdout: out.join('\n'), stderr: err.join('\n'), store };
}

describe('the CLI', () => {
  test('plan --output json prints one JSON document with the changes and changes nothing', async () => {
    const { code, stdout, stderr } = await cli(['plan', '--output', 'json']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const json = JSON.parse(stdout) as { command: string; changes: { kind: string; description: string }[]; organization: { id: string } };
    expect(json.command).toBe('plan');
    expect(json.organization.id).toBe('o-fakeorg123');
    expect(json.changes.map(c => c.description)).toContain('create OU Workloads/Dev');
    expect(fake.commandNames().filter(c => !/^(List|Describe)/.test(c))).toEqual([]);
  });

  test('apply refuses to change AWS without --yes when stdin is not a terminal', async () => {
    const { code, stderr } = await cli(['apply'], { confirm: undefined });
    expect(code).toBe(2);
    expect(stderr.split('\n').pop()).toBe('command line: apply changes AWS and stdin is not a terminal to confirm it: pass --yes');
    expect(fake.commandNames()).not.toContain('CreateOrganizationalUnit');
  });

  test('apply asks, and a "no" changes nothing', async () => {
    const { code } = await cli(['apply'], { confirm: async () => false });
    expect(code).toBe(1);
    expect(fake.commandNames()).not.toContain('CreateOrganizationalUnit');
  });

  test('apply --yes reconciles, writes the lock file, and says to replace connection ARNs in other accounts', async () => {
    const { code, stdout, stderr, store } = await cli(['apply', '--yes']);
    expect(code).toBe(0);
    expect(stderr).toContain('ok   create OU Workloads/Dev: ou-fake-');
    expect(stdout).toMatch(/Applied: \d+ done, 0 failed, 0 skipped/);
    expect(stdout).toContain('pipeline.connectionArn');
    expect(store.text).toContain('"organizationId": "o-fakeorg123"');
  });

  test('exits 1 when a change failed', async () => {
    fake.creationOutcome.set('dev@test.example', { failureReason: 'EMAIL_ALREADY_EXISTS' });
    const { code, stderr } = await cli(['apply', '--yes']);
    expect(code).toBe(1);
    expect(stderr).toContain('FAIL create account dev <dev@test.example> in Workloads/Dev: EMAIL_ALREADY_EXISTS');
  });

  test('credentials that expire midway stop apply with one line that says how far it got and to run apply again', async () => {
    fake.failNext.set('CreateAccount', [new AwsCallError('expired-credentials', 'the AWS credentials in use have expired (ExpiredTokenException on '
      + 'organizations:CreateAccount: The security token included in the request is expired): refresh them, then run this command again')]);
    const { code, stderr, store } = await cli(['apply', '--yes']);
    expect(code).toBe(1);
    const last = stderr.split('\n').pop()!;
    expect(last).toMatch(/^the AWS credentials in use have expired \(ExpiredTokenException on organizations:CreateAccount: .*; apply stopped during /);
    expect(last).toMatch(/after \d+ of \d+ changes done, recorded in accounts\/accounts\.lock\.json: fix this, then run apply again to finish/);
    expect(stderr).not.toContain('    at ');
    expect(store.text).toContain('"Workloads/Dev": "ou-fake-');
  });

  test('a member account\'s credentials are refused before anything is read, naming both accounts', async () => {
    sts.on(GetCallerIdentityCommand).resolves({ Account: '100000000005', Arn: 'arn:aws:sts::100000000005:assumed-role/Admin/me' });
    const { code, stderr } = await cli(['plan']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^the credentials in use are for account 100000000005 .* not the management account 100000000000: /);
    expect(fake.commandNames()).toEqual(['DescribeOrganization']);
  });

  test('prints a mistake in the declaration without a stack trace', async () => {
    const declaration = sampleDeclaration();
    declaration.homeRegion = 'eu-west-7';
    const { code, stderr } = await cli(['plan'], { declaration });
    expect(code).toBe(2);
    expect(stderr).toMatch(/^ {2}- accounts\/organization\.ts: homeRegion "eu-west-7" is not an AWS region/m);
    expect(stderr).not.toContain('    at ');
  });

  test('prints bad arguments without a stack trace, and --help', async () => {
    expect(await cli(['plan', '--output', 'xml'])).toMatchObject({ code: 2, stderr: 'command line: --output "xml" is not allowed; allowed: text, json' });
    expect((await cli(['--help'])).stdout).toContain('Usage: npx projen bootstrap -- <command> [options]');
  });

  test('lock only rewrites the lock file', async () => {
    const { code, stdout, store } = await cli(['lock']);
    expect(code).toBe(0);
    expect(stdout).toContain('Wrote accounts/accounts.lock.json (10 declared OUs or accounts do not exist yet: run apply)');
    expect(store.writes).toBe(1);
    expect(fake.commandNames().filter(c => !/^(List|Describe)/.test(c))).toEqual([]);
  });
});

describe('the bootstrap command', () => {
  const lockText = renderLockFile(sampleLock());

  function mockAws(caller = '100000000000') {
    sts.on(GetCallerIdentityCommand).resolves({ Account: caller, Arn: `arn:aws:iam::${caller}:user/me` });
    sts.on(AssumeRoleCommand).callsFake(input => ({
      Credentials: { AccessKeyId: `AK-${(input as { RoleArn: string }).RoleArn.split(':')[4]}`, SecretAccessKey: 's', SessionToken: 't', Expiration: new Date() },
    }));
    iam.on(GetPolicyCommand).rejects(new IAMServiceException({ name: 'NoSuchEntityException', $fault: 'client', $metadata: {}, message: 'no' }));
    iam.on(CreatePolicyCommand).resolves({});
  }

  function recordingRunner(exitCode = 0): { runner: CdkRunner; runs: { args: readonly string[]; env: NodeJS.ProcessEnv }[] } {
    const runs: { args: readonly string[]; env: NodeJS.ProcessEnv }[] = [];
    return { runs, runner: async (args, env) => { runs.push({ args, env }); return { exitCode, output: 'cdk output' }; } };
  }

  const deps = (runner: CdkRunner): CliDependencies => ({
    runner,
    sts: () => new STSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'CALLER', secretAccessKey: 'caller-secret' } }),
    iam: c => new IAMClient({ region: c.region, credentials: c.credentials }),
    env: { PATH: '/bin', AWS_PROFILE: 'someone-else' },
  });

  test('creates each execution policy, then bootstraps every account and region as that account, never with the caller\'s profile', async () => {
    mockAws();
    const { runner, runs } = recordingRunner();
    const { code, stdout } = await cli(['bootstrap', '--yes', '--endpoint-url', 'http://localhost:4566'], deps(runner), lockText);
    expect(code).toBe(0);
    expect(stdout).toBe('Bootstrap: 15 steps done, 0 failed.');
    expect(runs.map(r => r.args[1])).toEqual([
      'aws://100000000000/eu-west-1', 'aws://100000000000/us-east-1', 'aws://100000000001/eu-west-1', 'aws://100000000002/eu-west-1',
      'aws://100000000003/eu-west-1', 'aws://100000000003/eu-central-1', 'aws://100000000004/eu-west-1', 'aws://100000000005/eu-west-1', 'aws://100000000005/eu-central-1',
    ]);
    const prod = runs.find(r => r.args[1] === 'aws://100000000005/eu-central-1')!;
    expect(prod.env).toMatchObject({ AWS_ACCESS_KEY_ID: 'AK-100000000005', AWS_SESSION_TOKEN: 't', AWS_REGION: 'eu-central-1', AWS_ENDPOINT_URL: 'http://localhost:4566' });
    expect(prod.env.AWS_PROFILE).toBeUndefined();
    expect(runs[0].env.AWS_ACCESS_KEY_ID).toBe('CALLER');
    expect(sts.commandCalls(AssumeRoleCommand).map(c => c.args[0].input.RoleArn)[0]).toBe('arn:aws:iam::100000000001:role/OrganizationAccountAccessRole');
    expect(iam.commandCalls(CreatePolicyCommand)).toHaveLength(6);
  });

  test('--access-role control-tower assumes AWSControlTowerExecution; --account limits the accounts', async () => {
    mockAws();
    const { runner, runs } = recordingRunner();
    await cli(['bootstrap', '--yes', '--access-role', 'control-tower', '--account', 'audit'], deps(runner), lockText);
    expect(sts.commandCalls(AssumeRoleCommand).map(c => c.args[0].input.RoleArn)).toEqual(['arn:aws:iam::100000000002:role/AWSControlTowerExecution']);
    expect(runs.map(r => r.args)).toEqual([expect.arrayContaining(['aws://100000000002/eu-west-1', '--trust', '100000000000'])]);
  });

  test('refuses credentials of another account than the management account', async () => {
    mockAws('999999999999');
    const { runner, runs } = recordingRunner();
    const { code, stderr } = await cli(['bootstrap', '--yes'], deps(runner), lockText);
    expect(code).toBe(1);
    expect(stderr).toBe('the credentials in use are for account 999999999999 (arn:aws:iam::999999999999:user/me), a member account of '
      + 'organization o-fakeorg123, not the management account 100000000000: the tool needs credentials of account 100000000000 '
      + '(pass --profile of the management account)');
    expect(runs).toEqual([]);
  });

  test('refuses an undeclared --account, and an incomplete lock file', async () => {
    const { runner } = recordingRunner();
    expect((await cli(['bootstrap', '--yes', '--account', 'nope'], deps(runner), lockText)).stderr)
      .toBe('command line: --account "nope" is not a declared account; allowed: management, log-archive, audit, tooling, dev, prod');
    const partial = sampleLock();
    delete partial.accounts.prod;
    expect((await cli(['bootstrap', '--yes'], deps(runner), renderLockFile(partial))).stderr)
      .toContain('accounts/accounts.lock.json: accounts has no id for account "prod"');
  });

  test('a denied role assumption is reported with the permission; a lost network stops it with one line saying to run it again', async () => {
    mockAws();
    sts.on(AssumeRoleCommand, { RoleArn: 'arn:aws:iam::100000000001:role/OrganizationAccountAccessRole' })
      .rejects(new AwsCallError('access-denied', 'sts:AssumeRole denied for arn:aws:iam::100000000000:user/me (AssumeRoleCommand in eu-west-1, '
        + 'AccessDenied): grant sts:AssumeRole on arn:aws:iam::100000000001:role/OrganizationAccountAccessRole to that principal in its IAM policy'));
    sts.on(AssumeRoleCommand, { RoleArn: 'arn:aws:iam::100000000002:role/OrganizationAccountAccessRole' })
      .rejects(new AwsCallError('unreachable', 'cannot reach sts.eu-west-1.amazonaws.com (sts in eu-west-1) for AssumeRoleCommand: ETIMEDOUT'));
    const { code, stderr } = await cli(['bootstrap', '--yes'], deps(recordingRunner().runner), lockText);
    expect(code).toBe(1);
    expect(stderr).toContain('FAIL assume-role log-archive: sts:AssumeRole denied for arn:aws:iam::100000000000:user/me (AssumeRoleCommand');
    expect(stderr.split('\n').pop()).toBe('cannot reach sts.eu-west-1.amazonaws.com (sts in eu-west-1) for AssumeRoleCommand: ETIMEDOUT; '
      + 'bootstrap stopped at account audit after 4 steps (3 done): fix this, then run bootstrap again (it repeats done steps harmlessly)');
  });

  test('reports a failed role assumption or cdk run and goes on with the next account', async () => {
    mockAws();
    sts.on(AssumeRoleCommand, { RoleArn: 'arn:aws:iam::100000000001:role/OrganizationAccountAccessRole' })
      .rejects(new STSServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: {}, message: 'not authorized' }));
    const { runner, runs } = recordingRunner(1);
    const { code, stderr } = await cli(['bootstrap', '--yes'], deps(runner), lockText);
    expect(code).toBe(1);
    expect(stderr).toContain('FAIL assume-role log-archive: AccessDenied: not authorized');
    expect(stderr).toContain('FAIL cdk-bootstrap prod/eu-central-1: cdk bootstrap exited 1: cdk output');
    // 9 account-regions, less log-archive's one.
    expect(runs).toHaveLength(8);
  });
});
