import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CloudFormationClient, DescribeStacksCommand, ListStacksCommand } from '@aws-sdk/client-cloudformation';
import * as cdk from 'aws-cdk-lib';
import { mockClient } from 'aws-sdk-client-mock';
import { ConfigError } from '../accounts';
import { buildScope } from '../main';
import { reconcilePipelines } from '../pipeline/reconcile-pipelines';
import { loadSample, loadShippedOrganization, REPO_ROOT } from './fixtures/organization';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lz-scope-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The top-level stacks of an app, by stack name. */
const topLevel = (app: cdk.App) => app.node.children.filter((c): c is cdk.Stack => c instanceof cdk.Stack).map(s => s.stackName).sort();

describe('a service pipeline\'s build synthesizes only its scope (-c platform:scope=pipeline:<shard>)', () => {
  const organization = loadShippedOrganization();
  const context = { 'pipeline:topology': 'per-service' };
  // Bundles side by side, so that the same sources give the same asset hashes.
  const full = new cdk.App({ outdir: path.join(tmp, 'full'), context });
  buildScope(full, organization, { bundleDir: path.join(tmp, 'bundles-full') });
  const fullAssembly = full.synth();
  const scoped = new cdk.App({ outdir: path.join(tmp, 'scoped'), context: { ...context, 'platform:scope': 'pipeline:payments' } });
  const deployed = buildScope(scoped, organization, { bundleDir: path.join(tmp, 'bundles-scoped') });
  const scopedAssembly = scoped.synth();

  test('loads and bundles only its services (the manifests of its dependencies are read, their code is not)', () => {
    expect(deployed.map(s => s.manifest.name)).toEqual(['payments']);
    expect(fs.readdirSync(path.join(tmp, 'bundles-scoped')).sort()).toEqual(['_framework', 'payments']);
    expect(fs.readdirSync(path.join(tmp, 'bundles-full')).sort()).toEqual(['_framework', '_governance', 'ledger', 'notifications', 'payments']);
  });

  test('synthesizes only its own pipeline stack and its services\' stacks: no other pipeline, no governance', () => {
    expect(topLevel(scoped)).toEqual(['ServicePipeline-payments', 'ServicePipeline-payments-support-eu-central-1']);
    expect(scopedAssembly.stacksRecursively.map(s => s.stackName).sort()).toEqual([
      'ServicePipeline-payments', 'ServicePipeline-payments-support-eu-central-1',
      'payments-dev-eu-west-1', 'payments-prod-eu-central-1', 'payments-prod-eu-west-1', 'payments-staging-eu-west-1',
    ]);
    expect(topLevel(full)).toEqual(expect.arrayContaining(['PlatformPipeline', 'GovernancePipeline', 'ServicePipeline-ledger', 'ServicePipeline-payments']));
  });

  test('its pipeline stack is exactly what the platform pipeline\'s full synth created, so self-mutation changes nothing', () => {
    const template = (assembly: cdk.cx_api.CloudAssembly) => assembly.getStackByName('ServicePipeline-payments').template as unknown;
    expect(template(scopedAssembly)).toEqual(template(fullAssembly));
  });

  test('a scope that names no pipeline is refused with the pipelines there are', () => {
    const app = new cdk.App({ context: { ...context, 'platform:scope': 'pipeline:billing' } });
    expect(() => buildScope(app, organization)).toThrow(new ConfigError([
      'CDK context platform:scope "pipeline:billing" names no pipeline of topology per-service; allowed: pipeline:ledger, pipeline:notifications, pipeline:payments',
    ]));
    const perOwner = new cdk.App({ context: { 'pipeline:topology': 'per-owner', 'platform:scope': 'pipeline:payments' } });
    expect(() => buildScope(perOwner, organization)).toThrow(
      'CDK context platform:scope "pipeline:payments" names no pipeline of topology per-owner; '
      + 'allowed: pipeline:team-ledger, pipeline:team-merchant-experience, pipeline:team-payments');
    expect(() => buildScope(new cdk.App({ context: { 'platform:scope': 'services' } }), organization))
      .toThrow('CDK context platform:scope "services" is not a scope; allowed: all, governance, pipeline:<shard>');
  });
});

describe('the platform pipeline', () => {
  // A copy of the fixture services inside the repository (gitignored), at the
  // same depth, so their relative imports still resolve; plus a new service.
  const work = path.join(REPO_ROOT, '.build', `platform-${process.pid}`);
  const servicesDir = path.join(work, 'services');
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  test('creates the pipeline of a service folder added by a merge, and leaves the existing pipelines to their self-mutation', async () => {
    fs.cpSync(path.join(__dirname, 'fixtures', 'services'), servicesDir, { recursive: true });
    const inventory = path.join(servicesDir, 'inventory');
    fs.cpSync(path.join(servicesDir, 'catalog'), inventory, { recursive: true });
    const rename = (file: string, from: string | RegExp, to: string) =>
      fs.writeFileSync(path.join(inventory, file), fs.readFileSync(path.join(inventory, file), 'utf8').replace(from, to));
    rename('service.ts', /name: 'catalog'/, 'name: \'inventory\'');
    rename('service.ts', '/items/{itemId}', '/stock/{itemId}');
    rename('api.yaml', '/items/{itemId}', '/stock/{itemId}');
    rename('api.yaml', 'title: catalog', 'title: inventory');

    // The platform pipeline's build: the whole app, in the sharded topology.
    const organization = loadSample(d => { d.pipeline.waves = ['foundation', 'core']; d.pipeline.topology = 'per-service'; });
    const outdir = path.join(work, 'cdk.out');
    const app = new cdk.App({ outdir });
    buildScope(app, organization, { servicesDir, bundleDir: path.join(work, 'bundles') });
    app.synth();
    expect(topLevel(app)).toEqual(expect.arrayContaining(['ServicePipeline-catalog', 'ServicePipeline-inventory', 'ServicePipeline-orders', 'PlatformPipeline']));

    // Its CreateServicePipelines step, against CloudFormation where the two older pipelines exist.
    const cloudFormation = mockClient(CloudFormationClient);
    cloudFormation.on(ListStacksCommand).resolves({
      StackSummaries: [
        { StackName: 'ServicePipeline-catalog', StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date() },
        { StackName: 'ServicePipeline-orders', StackStatus: 'CREATE_COMPLETE', CreationTime: new Date() },
      ],
    });
    cloudFormation.on(DescribeStacksCommand).resolves({ Stacks: [] });
    const deployed: string[][] = [];
    const result = await reconcilePipelines({
      assemblyDir: outdir,
      region: 'eu-west-1',
      cloudFormation: new CloudFormationClient({ region: 'eu-west-1' }),
      deploy: async selectors => { deployed.push([...selectors]); return { ok: true }; },
      log: () => undefined,
    });
    // Only the new pipeline, with its cross-region support stack first.
    expect(deployed).toEqual([['cross-region-stack-ServicePipeline-inventory:eu-central-1', 'ServicePipeline-inventory']]);
    expect(result.created.map(e => e.stackName)).toEqual(['ServicePipeline-inventory']);
    expect(result.present.map(e => e.stackName).sort()).toEqual(['ServicePipeline-catalog', 'ServicePipeline-orders']);
    expect(result.orphaned).toEqual([]);
    cloudFormation.restore();
  });
});
