import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CloudFormationClient,
  CloudFormationServiceException,
  DeleteStackCommand,
  DescribeStacksCommand,
  ListStacksCommand,
  StackStatus,
  StackSummary,
  UpdateStackCommand,
} from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { ConfigError } from '../../accounts';
import {
  cdkDeployArgs,
  DeployOutcome,
  DeployStacks,
  EXIT_FAILED,
  EXIT_OK,
  EXIT_USAGE,
  isSupportStackName,
  parseReconcileArgs,
  readPipelineAssembly,
  reconcileExitCode,
  reconcilePipelines,
  ReconcileOptions,
  runReconcileCli,
} from '../../pipeline/reconcile-pipelines';

const REGION = 'eu-west-1';
const TOOLING = `aws://444444444444/${REGION}`;
const STACK = 'aws:cloudformation:stack';

/** A manifest artifact shaped as cdk synth writes a top-level pipeline stack: no stackName when it equals the id. */
function pipelineArtifact(name: string, extraDependencies: string[] = [], environment = TOOLING) {
  return {
    type: STACK,
    environment,
    properties: { templateFile: `${name}.template.json`, validateOnSynth: false },
    dependencies: [`${name}.assets`, ...extraDependencies],
    displayName: name,
  };
}

/**
 * CodePipeline's cross-region support stack of `pipeline`, as cdk synth writes it: the artifact
 * id has `_`, the display name (what cdk deploy selects by) `:`.
 */
function supportOf(pipeline: string) {
  return {
    id: `cross-region-stack-${pipeline}_eu-central-1`,
    selector: `cross-region-stack-${pipeline}:eu-central-1`,
    artifact: {
      type: STACK,
      environment: 'aws://444444444444/eu-central-1',
      properties: { templateFile: `cross-region-stack-${pipeline}_eu-central-1.template.json`, stackName: `${pipeline}-support-eu-central-1` },
      displayName: `cross-region-stack-${pipeline}:eu-central-1`,
    },
  };
}

/** A service pipeline with its support stack, keyed by artifact id. */
function servicePipeline(name: string): Record<string, unknown> {
  const support = supportOf(name);
  return { [name]: pipelineArtifact(name, [support.id]), [support.id]: support.artifact };
}

const dirs: string[] = [];
afterEach(() => { for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true }); });

/** Writes a cloud assembly holding `artifacts` (plus an asset manifest per pipeline) and returns its folder. */
function writeAssembly(artifacts: Record<string, unknown>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reconcile-pipelines-'));
  dirs.push(dir);
  const withAssets: Record<string, unknown> = {};
  for (const [id, artifact] of Object.entries(artifacts)) {
    withAssets[`${id}.assets`] = { type: 'cdk:asset-manifest', properties: { file: `${id}.assets.json` } };
    withAssets[id] = artifact;
  }
  withAssets.Tree = { type: 'cdk:tree', properties: { file: 'tree.json' } };
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ version: '55.0.0', artifacts: withAssets }));
  return dir;
}

/** The usual app, as a per-service synth writes it: three service pipelines, each with its eu-central-1 support stack. */
function threeServices(): string {
  return writeAssembly({
    ...servicePipeline('ServicePipeline-ledger'),
    ...servicePipeline('ServicePipeline-notifications'),
    ...servicePipeline('ServicePipeline-payments'),
    // Not service pipelines: the prefix leaves these out.
    PlatformPipeline: pipelineArtifact('PlatformPipeline'),
    ServicePipeline: pipelineArtifact('ServicePipeline'),
  });
}

const PAYMENTS_SUPPORT = supportOf('ServicePipeline-payments').selector;
const NOTIFICATIONS_SUPPORT = supportOf('ServicePipeline-notifications').selector;

function summary(name: string, status: StackStatus | string): StackSummary {
  return { StackName: name, StackStatus: status as StackStatus, CreationTime: new Date('2026-01-01T00:00:00Z') };
}

const cloudFormation = mockClient(CloudFormationClient);
beforeEach(() => cloudFormation.reset());

function existingStacks(...stacks: StackSummary[]): void {
  cloudFormation.on(ListStacksCommand).resolves({ StackSummaries: stacks });
}

/** A deploy fake recording each call's selectors. */
function fakeDeploy(outcome: DeployOutcome = { ok: true }) {
  const calls: string[][] = [];
  const deploy: DeployStacks = async selectors => {
    calls.push([...selectors]);
    return outcome;
  };
  return { calls, deploy };
}

async function reconcile(assemblyDir: string, extra: Partial<ReconcileOptions> = {}) {
  const lines: string[] = [];
  const { calls, deploy } = fakeDeploy();
  const result = await reconcilePipelines({
    assemblyDir,
    prefix: 'ServicePipeline-',
    region: REGION,
    cloudFormation: new CloudFormationClient({ region: REGION }),
    deploy,
    log: line => lines.push(line),
    ...extra,
  });
  return { result, report: lines.join('\n'), lines, deployCalls: calls };
}

const names = (entries: readonly { stackName: string }[]) => entries.map(e => e.stackName);

/** No call that could change a stack reached CloudFormation. */
function expectNoWrites(): void {
  expect(cloudFormation.commandCalls(UpdateStackCommand)).toHaveLength(0);
  expect(cloudFormation.commandCalls(DeleteStackCommand)).toHaveLength(0);
}

describe('reconcilePipelines', () => {
  test('creates only the missing service pipeline, with the support stack it depends on, in one deploy', async () => {
    existingStacks(summary('ServicePipeline-ledger', 'UPDATE_COMPLETE'), summary('ServicePipeline-notifications', 'CREATE_COMPLETE'));
    const { result, report, deployCalls } = await reconcile(threeServices());
    // Selected by display name: the support stack's artifact id would match nothing.
    expect(deployCalls).toEqual([[PAYMENTS_SUPPORT, 'ServicePipeline-payments']]);
    expect(names(result.created)).toEqual(['ServicePipeline-payments']);
    expect(result.created[0].artifactId).toBe('ServicePipeline-payments');
    expect(result.failed).toEqual([]);
    expect(reconcileExitCode(result)).toBe(EXIT_OK);
    expect(report).toContain('+ ServicePipeline-payments: created; its new pipeline starts itself and deploys the service');
    expect(report).toContain('Summary for eu-west-1: 1 created, 2 present, 0 busy, 0 orphaned, 0 failed.');
    expectNoWrites();
  });

  test('selects a pipeline without dependencies by exactly its artifact id', async () => {
    existingStacks();
    const dir = writeAssembly({ 'ServicePipeline-payments': pipelineArtifact('ServicePipeline-payments') });
    const { deployCalls } = await reconcile(dir);
    expect(deployCalls).toEqual([['ServicePipeline-payments']]);
  });

  test('never deploys a pipeline stack that exists, whatever its settled state, and says self-mutation owns it', async () => {
    existingStacks(
      summary('ServicePipeline-ledger', 'UPDATE_COMPLETE'),
      summary('ServicePipeline-notifications', 'UPDATE_ROLLBACK_COMPLETE'),
      summary('ServicePipeline-payments', 'CREATE_COMPLETE'),
    );
    const { result, report, deployCalls } = await reconcile(threeServices());
    expect(deployCalls).toEqual([]);
    expect(result.deploy).toBeUndefined();
    expect(names(result.present)).toEqual(['ServicePipeline-ledger', 'ServicePipeline-notifications', 'ServicePipeline-payments']);
    expect(report).toContain('= ServicePipeline-notifications (UPDATE_ROLLBACK_COMPLETE): exists; not updated here, left to its own self-mutation');
    expect(reconcileExitCode(result)).toBe(EXIT_OK);
    expectNoWrites();
  });

  test('a new pipeline depending on an existing pipeline stack does not drag that stack into the deploy', async () => {
    existingStacks(summary('ServicePipeline-ledger', 'UPDATE_COMPLETE'));
    const dir = writeAssembly({
      'ServicePipeline-ledger': pipelineArtifact('ServicePipeline-ledger'),
      'ServicePipeline-payments': pipelineArtifact('ServicePipeline-payments', ['ServicePipeline-ledger']),
    });
    const { deployCalls } = await reconcile(dir);
    expect(deployCalls).toEqual([['ServicePipeline-payments']]);
  });

  test('reports an orphaned pipeline with the removal guidance and deletes nothing', async () => {
    existingStacks(
      summary('ServicePipeline-ledger', 'UPDATE_COMPLETE'),
      summary('ServicePipeline-notifications', 'UPDATE_COMPLETE'),
      summary('ServicePipeline-payments', 'UPDATE_COMPLETE'),
      summary('ServicePipeline-fraud', 'UPDATE_COMPLETE'),
    );
    const { result, report, deployCalls } = await reconcile(threeServices());
    expect(deployCalls).toEqual([]);
    expect(names(result.orphaned)).toEqual(['ServicePipeline-fraud']);
    const line = report.split('\n').find(l => l.includes('ServicePipeline-fraud'))!;
    expect(line).toMatch(/^ {2}\? ServicePipeline-fraud \(UPDATE_COMPLETE\): not in the assembly/);
    expect(line).toContain('Nothing was deleted');
    expect(line).toContain('fraud-<env>-<region>');
    expect(line).toContain('production data is retained');
    expect(line).toContain('move traffic away first');
    expect(line).toContain('npx cdk destroy');
    // Orphans are information, not failure.
    expect(reconcileExitCode(result)).toBe(EXIT_OK);
    expect(cloudFormation.calls().map(c => c.args[0].constructor.name)).toEqual(['ListStacksCommand']);
  });

  test('a dry run prints the plan and deploys nothing', async () => {
    existingStacks(summary('ServicePipeline-ledger', 'UPDATE_COMPLETE'), summary('ServicePipeline-old', 'UPDATE_COMPLETE'));
    const { result, report, deployCalls } = await reconcile(threeServices(), { dryRun: true });
    expect(deployCalls).toEqual([]);
    expect(result.created).toEqual([]);
    expect(names(result.toCreate)).toEqual(['ServicePipeline-notifications', 'ServicePipeline-payments']);
    expect(report).toContain('Would create (2):');
    expect(report).toContain(`+ ServicePipeline-payments: missing; a real run creates it (cdk deploy selection: ${NOTIFICATIONS_SUPPORT} ServicePipeline-notifications ${PAYMENTS_SUPPORT} ServicePipeline-payments)`);
    expect(report).toContain('Dry run in eu-west-1: 2 to create, 1 present, 0 busy, 1 orphaned, 0 failed; nothing was changed.');
    expect(reconcileExitCode(result)).toBe(EXIT_OK);
    expectNoWrites();
  });

  test('a pipeline stack left in ROLLBACK_COMPLETE is a failure that says how to fix it', async () => {
    existingStacks(
      summary('ServicePipeline-ledger', 'UPDATE_COMPLETE'),
      summary('ServicePipeline-notifications', 'UPDATE_COMPLETE'),
      summary('ServicePipeline-payments', 'ROLLBACK_COMPLETE'),
    );
    const { result, report, deployCalls } = await reconcile(threeServices());
    expect(deployCalls).toEqual([]);
    expect(result.failed).toEqual([expect.objectContaining({ stackName: 'ServicePipeline-payments', status: 'ROLLBACK_COMPLETE' })]);
    expect(report).toContain('! ServicePipeline-payments (ROLLBACK_COMPLETE): its first creation failed, so CloudFormation can neither update nor re-create it.');
    expect(report).toContain('aws cloudformation delete-stack --stack-name ServicePipeline-payments --region eu-west-1');
    expect(report).toContain('then re-run the platform pipeline');
    expect(reconcileExitCode(result)).toBe(EXIT_FAILED);
    expectNoWrites();
  });

  test('a pipeline stack with an operation in progress is busy: untouched, and not a failure', async () => {
    existingStacks(
      summary('ServicePipeline-ledger', 'UPDATE_IN_PROGRESS'),
      summary('ServicePipeline-notifications', 'CREATE_IN_PROGRESS'),
      summary('ServicePipeline-payments', 'UPDATE_COMPLETE'),
    );
    const { result, report, deployCalls } = await reconcile(threeServices());
    expect(deployCalls).toEqual([]);
    expect(names(result.busy)).toEqual(['ServicePipeline-ledger', 'ServicePipeline-notifications']);
    expect(report).toContain('~ ServicePipeline-ledger (UPDATE_IN_PROGRESS): an operation is in progress; not touched, the next run checks it again');
    expect(result.failed).toEqual([]);
    expect(reconcileExitCode(result)).toBe(EXIT_OK);
  });

  test('reads every page of ListStacks: a stack on the second page counts as present', async () => {
    cloudFormation.on(ListStacksCommand)
      .resolvesOnce({ StackSummaries: [summary('ServicePipeline-ledger', 'UPDATE_COMPLETE')], NextToken: 'page-2' })
      .resolvesOnce({ StackSummaries: [summary('ServicePipeline-payments', 'UPDATE_COMPLETE')], NextToken: 'page-3' })
      .resolvesOnce({ StackSummaries: [summary('ServicePipeline-notifications', 'UPDATE_COMPLETE')] });
    const { result, deployCalls } = await reconcile(threeServices());
    expect(deployCalls).toEqual([]);
    expect(names(result.present)).toEqual(['ServicePipeline-ledger', 'ServicePipeline-notifications', 'ServicePipeline-payments']);
    const tokens = cloudFormation.commandCalls(ListStacksCommand).map(c => c.args[0].input.NextToken);
    expect(tokens).toEqual([undefined, 'page-2', 'page-3']);
  });

  test('ignores deleted stacks: a pipeline deleted earlier is created again', async () => {
    existingStacks(
      summary('ServicePipeline-payments', 'DELETE_COMPLETE'),
      summary('ServicePipeline-gone', 'DELETE_COMPLETE'),
      summary('ServicePipeline-ledger', 'UPDATE_COMPLETE'),
      summary('ServicePipeline-notifications', 'UPDATE_COMPLETE'),
    );
    const { result } = await reconcile(threeServices());
    expect(names(result.created)).toEqual(['ServicePipeline-payments']);
    expect(result.orphaned).toEqual([]);
  });

  test('support stacks are neither desired pipelines nor orphans', async () => {
    existingStacks(
      summary('ServicePipeline-ledger', 'UPDATE_COMPLETE'),
      summary('ServicePipeline-notifications', 'UPDATE_COMPLETE'),
      summary('ServicePipeline-payments', 'UPDATE_COMPLETE'),
      // A support stack in this region (another pipeline's home) and a cross-account one.
      summary('ServicePipeline-ledger-support-eu-west-1', 'UPDATE_COMPLETE'),
      summary('ServicePipeline-ledger-support-666666666666', 'CREATE_COMPLETE'),
    );
    const { result, deployCalls } = await reconcile(threeServices());
    expect(deployCalls).toEqual([]);
    expect(result.orphaned).toEqual([]);
    expect([...result.present, ...result.toCreate].map(e => e.stackName)).not.toContain('ServicePipeline-ledger-support-eu-central-1');
    const assembly = readPipelineAssembly(threeServices(), 'ServicePipeline-');
    expect(assembly.desired.map(s => s.stackName)).toEqual(['ServicePipeline-ledger', 'ServicePipeline-notifications', 'ServicePipeline-payments']);
  });

  test('a failed deploy lists the stacks that did not get created and exits 1', async () => {
    existingStacks(summary('ServicePipeline-ledger', 'UPDATE_COMPLETE'));
    cloudFormation.on(DescribeStacksCommand, { StackName: 'ServicePipeline-notifications' })
      .resolves({ Stacks: [{ StackName: 'ServicePipeline-notifications', StackStatus: 'CREATE_COMPLETE', CreationTime: new Date() }] });
    cloudFormation.on(DescribeStacksCommand, { StackName: 'ServicePipeline-payments' })
      .resolves({ Stacks: [{ StackName: 'ServicePipeline-payments', StackStatus: 'ROLLBACK_COMPLETE', CreationTime: new Date() }] });
    const { deploy, calls } = fakeDeploy({ ok: false, output: 'npx cdk deploy exited with code 1' });
    const { result, report } = await reconcile(threeServices(), { deploy });
    expect(calls).toHaveLength(1);
    expect(names(result.created)).toEqual(['ServicePipeline-notifications']);
    expect(result.failed).toEqual([expect.objectContaining({ stackName: 'ServicePipeline-payments', status: 'ROLLBACK_COMPLETE' })]);
    expect(report).toContain('! ServicePipeline-payments (ROLLBACK_COMPLETE): creation failed (npx cdk deploy exited with code 1);');
    expect(report).toContain('delete the stack');
    expect(reconcileExitCode(result)).toBe(EXIT_FAILED);
  });

  test('a failed deploy that left no stack behind says so', async () => {
    existingStacks();
    cloudFormation.on(DescribeStacksCommand).rejects(new CloudFormationServiceException({
      name: 'ValidationError', $fault: 'client', $metadata: {}, message: 'Stack with id ServicePipeline-payments does not exist',
    }));
    const deploy: DeployStacks = async () => { throw new Error('spawn npx ENOENT'); };
    const dir = writeAssembly({ 'ServicePipeline-payments': pipelineArtifact('ServicePipeline-payments') });
    const { result, report } = await reconcile(dir, { deploy });
    expect(result.failed).toEqual([expect.objectContaining({ stackName: 'ServicePipeline-payments', status: undefined })]);
    expect(report).toContain('! ServicePipeline-payments: creation failed (spawn npx ENOENT); the stack does not exist.');
    expect(result.deploy).toEqual({ ok: false, output: 'spawn npx ENOENT', stackSelectors: ['ServicePipeline-payments'] });
    expect(reconcileExitCode(result)).toBe(EXIT_FAILED);
  });

  test('refuses a pipeline stack of another region, which ListStacks here could never see', async () => {
    existingStacks();
    const dir = writeAssembly({ 'ServicePipeline-payments': pipelineArtifact('ServicePipeline-payments', [], 'aws://444444444444/us-east-1') });
    const run = reconcile(dir);
    await expect(run).rejects.toThrow(ConfigError);
    await expect(run).rejects.toThrow(
      `${path.join(dir, 'manifest.json')}: artifacts.ServicePipeline-payments.environment "aws://.../us-east-1" is not in region eu-west-1, the one being reconciled;`
      + ' allowed: service pipeline stacks of one region (pass --region us-east-1, or check AWS_REGION)');
  });
});

describe('reading the assembly', () => {
  test('a missing manifest names the file and what --assembly must be', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reconcile-pipelines-'));
    dirs.push(dir);
    expect(() => readPipelineAssembly(dir, 'ServicePipeline-')).toThrow(
      `${path.join(dir, 'manifest.json')}: cannot be read (ENOENT); allowed: --assembly must be a folder holding a CDK cloud assembly (the output of cdk synth, e.g. cdk.out)`);
  });

  test('a manifest that is not JSON names the file', () => {
    const dir = writeAssembly({});
    fs.writeFileSync(path.join(dir, 'manifest.json'), '{ "artifacts": ');
    expect(() => readPipelineAssembly(dir, 'ServicePipeline-')).toThrow(new RegExp(`^${escape(path.join(dir, 'manifest.json'))}: is not valid JSON \\(`));
  });

  test('a malformed stack artifact names the field, the value and what is allowed', () => {
    const dir = writeAssembly({ 'ServicePipeline-payments': { ...pipelineArtifact('ServicePipeline-payments'), environment: 'eu-west-1' } });
    expect(() => readPipelineAssembly(dir, 'ServicePipeline-')).toThrow(
      `${path.join(dir, 'manifest.json')}: artifacts.ServicePipeline-payments.environment "eu-west-1" is not an environment; allowed: "aws://<account>/<region>"`);
  });

  test('takes the stack name from properties.stackName, else the artifact id', () => {
    const dir = writeAssembly({
      'PaymentsPipeline': { ...pipelineArtifact('PaymentsPipeline'), properties: { stackName: 'ServicePipeline-payments' } },
      'ServicePipeline-ledger': pipelineArtifact('ServicePipeline-ledger'),
    });
    const assembly = readPipelineAssembly(dir, 'ServicePipeline-');
    expect(assembly.desired.map(s => [s.artifactId, s.stackName, s.region])).toEqual([
      ['ServicePipeline-ledger', 'ServicePipeline-ledger', REGION],
      ['PaymentsPipeline', 'ServicePipeline-payments', REGION],
    ]);
  });

  test('recognizes support stack names, not services that merely contain "support"', () => {
    expect(isSupportStackName('ServicePipeline-payments-support-eu-central-1')).toBe(true);
    expect(isSupportStackName('ServicePipeline-payments-support-us-gov-west-1')).toBe(true);
    expect(isSupportStackName('ServicePipeline-payments-support-123456789012')).toBe(true);
    expect(isSupportStackName('ServicePipeline-support')).toBe(false);
    expect(isSupportStackName('ServicePipeline-customer-support-portal')).toBe(false);
  });
});

describe('command line', () => {
  test('parses every option', () => {
    expect(parseReconcileArgs(['--assembly', 'cdk.out', '--prefix=Svc-', '--region', 'eu-central-1', '--dry-run'])).toEqual({
      help: false, assemblyDir: 'cdk.out', prefix: 'Svc-', region: 'eu-central-1', dryRun: true,
    });
    expect(parseReconcileArgs(['--assembly', 'cdk.out'])).toEqual({
      help: false, assemblyDir: 'cdk.out', prefix: 'ServicePipeline-', region: undefined, dryRun: false,
    });
  });

  test('--assembly is required', () => {
    expect(() => parseReconcileArgs(['--dry-run'])).toThrow(
      'command line: --assembly is required; allowed: --assembly <dir>, a folder holding manifest.json of a CDK cloud assembly (e.g. cdk.out)');
    expect(() => parseReconcileArgs(['--assembly'])).toThrow('command line: --assembly needs a value: --assembly <dir>');
  });

  test('bad values name the flag, the value and what is allowed, all at once', () => {
    let error: unknown;
    try {
      parseReconcileArgs(['--assembly', 'cdk.out', '--region', 'eu-west-7', '--prefix', '9lives', '--dry-run=yes', '--force']);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'command line: --dry-run takes no value (got "yes")',
      'command line: --force is not an option; allowed: --assembly, --prefix, --region, --dry-run, --help, -h',
      'command line: --prefix "9lives" is not a stack name prefix; allowed: a letter, then letters, digits or "-" (at most 100), e.g. ServicePipeline-',
      'command line: --region "eu-west-7" is not an AWS region; allowed: a region such as eu-west-1 (see accounts/regions.ts)',
    ]);
  });

  test('a flag given twice, or a stray argument, is refused', () => {
    expect(() => parseReconcileArgs(['--assembly', 'a', '--assembly', 'b'])).toThrow(
      'command line: --assembly is given more than once ("a", "b"); give it once');
    expect(() => parseReconcileArgs(['--assembly', 'a', 'b'])).toThrow(
      'command line: unexpected argument "b"; allowed: only options (--assembly, --prefix, --region, --dry-run, --help)');
  });

  test('the cdk deploy creates only the selected stacks, without prompting, a few at a time', () => {
    expect(cdkDeployArgs('cdk.out', ['a', 'b'])).toEqual([
      'cdk', 'deploy', '--app', 'cdk.out', '--require-approval', 'never', '--concurrency', '4', '--exclusively', 'a', 'b',
    ]);
  });
});

describe('runReconcileCli', () => {
  async function cli(argv: string[], env: NodeJS.ProcessEnv = {}, outcome: DeployOutcome = { ok: true }) {
    const out: string[] = [];
    const err: string[] = [];
    const regions: string[] = [];
    const { calls, deploy } = fakeDeploy(outcome);
    const assemblies: string[] = [];
    const code = await runReconcileCli(argv, {
      cloudFormation: region => { regions.push(region); return new CloudFormationClient({ region }); },
      deploy: assemblyDir => { assemblies.push(assemblyDir); return deploy; },
      stdout: line => out.push(line),
      stderr: line => err.push(line),
      env,
    });
    return { code, stdout: out.join('\n'), stderr: err.join('\n'), regions, deployCalls: calls, assemblies };
  }

  test('bad arguments: one line per problem on stderr, exit 2, nothing called', async () => {
    const { code, stderr, stdout, regions } = await cli(['--region', 'moon-1']);
    expect(code).toBe(EXIT_USAGE);
    expect(stderr).toBe([
      '2 problems:',
      '  - command line: --assembly is required; allowed: --assembly <dir>, a folder holding manifest.json of a CDK cloud assembly (e.g. cdk.out)',
      '  - command line: --region "moon-1" is not an AWS region; allowed: a region such as eu-west-1 (see accounts/regions.ts)',
    ].join('\n'));
    expect(stderr).not.toContain('    at ');
    expect(stdout).toBe('');
    expect(regions).toEqual([]);
  });

  test('an unreadable assembly: one line naming the manifest, exit 2', async () => {
    const { code, stderr } = await cli(['--assembly', '/nonexistent/cdk.out']);
    expect(code).toBe(EXIT_USAGE);
    expect(stderr).toBe('/nonexistent/cdk.out/manifest.json: cannot be read (ENOENT); allowed: --assembly must be a folder holding a CDK cloud assembly (the output of cdk synth, e.g. cdk.out)');
  });

  test('creates the missing pipelines in the region of the desired stacks and exits 0', async () => {
    existingStacks(summary('ServicePipeline-ledger', 'UPDATE_COMPLETE'), summary('ServicePipeline-notifications', 'UPDATE_COMPLETE'));
    const dir = threeServices();
    const { code, stdout, regions, deployCalls, assemblies } = await cli(['--assembly', dir]);
    expect(code).toBe(EXIT_OK);
    expect(regions).toEqual([REGION]);
    expect(assemblies).toEqual([dir]);
    expect(deployCalls).toEqual([[PAYMENTS_SUPPORT, 'ServicePipeline-payments']]);
    expect(stdout).toContain('Summary for eu-west-1: 1 created, 2 present, 0 busy, 0 orphaned, 0 failed.');
  });

  test('AWS_REGION wins over the assembly, --region over both', async () => {
    existingStacks();
    const dir = writeAssembly({ 'ServicePipeline-payments': pipelineArtifact('ServicePipeline-payments', [], 'aws://444444444444/unknown-region') });
    expect((await cli(['--assembly', dir, '--dry-run'], { AWS_REGION: 'eu-central-1' })).regions).toEqual(['eu-central-1']);
    expect((await cli(['--assembly', dir, '--dry-run', '--region', 'us-east-1'], { AWS_REGION: 'eu-central-1' })).regions).toEqual(['us-east-1']);
    const { code, stderr } = await cli(['--assembly', dir, '--dry-run']);
    expect(code).toBe(EXIT_USAGE);
    expect(stderr).toBe(`command line: --region is missing, AWS_REGION is not set and ${path.join(dir, 'manifest.json')} has no service pipeline stack with a region; allowed: pass --region <region>`);
  });

  test('a failed creation exits 1', async () => {
    existingStacks();
    cloudFormation.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'ServicePipeline-payments', StackStatus: 'ROLLBACK_COMPLETE', CreationTime: new Date() }] });
    const dir = writeAssembly({ 'ServicePipeline-payments': pipelineArtifact('ServicePipeline-payments') });
    const { code, stdout } = await cli(['--assembly', dir], {}, { ok: false });
    expect(code).toBe(EXIT_FAILED);
    expect(stdout).toContain('Summary for eu-west-1: 0 created, 0 present, 0 busy, 0 orphaned, 1 failed.');
  });

  test('CloudFormation refusing ListStacks is reported in one line, exit 1', async () => {
    cloudFormation.on(ListStacksCommand).rejects(new CloudFormationServiceException({
      name: 'AccessDenied', $fault: 'client', $metadata: {}, message: 'not authorized to perform: cloudformation:ListStacks',
    }));
    const { code, stderr, deployCalls } = await cli(['--assembly', threeServices()]);
    expect(code).toBe(EXIT_FAILED);
    expect(stderr).toBe('CloudFormation in eu-west-1: AccessDenied: not authorized to perform: cloudformation:ListStacks; nothing was created');
    expect(deployCalls).toEqual([]);
  });

  test('--help prints the usage and exits 0', async () => {
    const { code, stdout } = await cli(['--help']);
    expect(code).toBe(EXIT_OK);
    expect(stdout).toMatch(/^Usage: npx tsx pipeline\/reconcile-pipelines\.ts --assembly <dir>/);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
