import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetPolicyCommand, GetPolicyVersionCommand, IAMClient } from '@aws-sdk/client-iam';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { declarationFor, shippedOrganization, useEmulatorCredentials } from './integration-fixtures';
import { MotoServer, startMotoServer } from './moto-server';
import { parseLockFile } from '../../../accounts';
import { applyPlan, CdkRunner, executionPolicyDocument, fileLockStore, organizationsClient, runCli, sameDocument, stsClient } from '../../../accounts/bootstrap';

/**
 * `bootstrap` on moto server with the real CDK CLI (`cdk bootstrap`), for one
 * workload account: the role assumed, the execution policy created, the
 * CDKToolkit stack deployed with the trust and the policy.
 */
describe('CDK-bootstrapping an account on moto server', () => {
  let moto: MotoServer;
  let dir: string;
  let lockPath: string;

  beforeAll(async () => {
    useEmulatorCredentials();
    moto = await startMotoServer();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lz-moto-cdk-'));
    lockPath = path.join(dir, 'accounts.lock.json');
    await applyPlan({
      declaration: shippedOrganization(),
      organizations: organizationsClient({ region: 'eu-west-1', endpointUrl: moto.endpoint }),
      lockStore: fileLockStore(lockPath),
    });
  });
  afterAll(async () => {
    await moto?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const bootstrap = async (runner?: CdkRunner) => {
    const lock = parseLockFile(fs.readFileSync(lockPath, 'utf8'), 'lock');
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(['bootstrap', '--yes', '--endpoint-url', moto.endpoint, '--lock-file', lockPath, '--account', 'workload-dev', '--output', 'json'],
      { declaration: declarationFor(lock), stdout: t => out.push(t), stderr: t => err.push(t), runner });
    return { code, lock, json: JSON.parse(out.join('\n')) as { results: { step: string; status: string; detail?: string }[] }, stderr: err.join('\n') };
  };

  test('deploys CDKToolkit trusting the tooling account, with the execution policy instead of AdministratorAccess', async () => {
    const { code, lock, json, stderr } = await bootstrap();
    expect({ code, stderr, results: json.results.filter(r => r.status !== 'done') }).toEqual({ code: 0, stderr: '', results: [] });
    const dev = lock.accounts['workload-dev'];
    const sts = stsClient({ region: 'eu-west-1', endpointUrl: moto.endpoint });
    const assumed = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${dev}:role/OrganizationAccountAccessRole`, RoleSessionName: 'check' }));
    const c = assumed.Credentials!;
    const credentials = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken };
    const cfn = new CloudFormationClient({ region: 'eu-west-1', endpoint: moto.endpoint, credentials });
    const stack = (await cfn.send(new DescribeStacksCommand({ StackName: 'CDKToolkit' }))).Stacks![0];
    const parameter = (key: string) => stack.Parameters!.find(p => p.ParameterKey === key)?.ParameterValue;
    // moto renders list parameters as Python lists.
    expect(parameter('TrustedAccounts')).toContain(lock.accounts.tooling);
    expect(parameter('CloudFormationExecutionPolicies')).toContain(`arn:aws:iam::${dev}:policy/platform-cdk-execution`);

    const iam = new IAMClient({ region: 'eu-west-1', endpoint: moto.endpoint, credentials });
    const policy = await iam.send(new GetPolicyCommand({ PolicyArn: `arn:aws:iam::${dev}:policy/platform-cdk-execution` }));
    const version = await iam.send(new GetPolicyVersionCommand({ PolicyArn: policy.Policy!.Arn, VersionId: policy.Policy!.DefaultVersionId }));
    expect(sameDocument(version.PolicyVersion!.Document, executionPolicyDocument('workload', dev))).toBe(true);
  });

  test('a second run leaves the execution policy unchanged', async () => {
    // moto 5.2.5 answers the CDK CLI's update of an existing CDKToolkit stack with an HTML error
    // page (AWS updates it fine), so this run records the cdk call instead of making it.
    const runs: (readonly string[])[] = [];
    const { code, json } = await bootstrap(async args => { runs.push(args); return { exitCode: 0, output: '' }; });
    expect(code).toBe(0);
    expect(runs).toHaveLength(1);
    expect(json.results.find(r => r.step === 'execution-policy')!.detail).toMatch(/ unchanged \(workload\)$/);
  });
});
