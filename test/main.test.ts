import * as fs from 'node:fs';
import * as path from 'node:path';
import { CloudFormationClient, DescribeStacksCommand, ListStacksCommand } from '@aws-sdk/client-cloudformation';
import * as cdk from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { mockClient } from 'aws-sdk-client-mock';
import { ConfigError } from '../accounts';
import { buildPlatform, buildScope, cliAppProps, summarize } from '../main';
import { reconcilePipelines } from '../pipeline/reconcile-pipelines';
import { loadServices } from '../services';
import { ASSEMBLIES, expectNoFindings, sharedAssemblies } from './fixtures/assembly';
import { loadFixtureOrganization, loadSample, loadShippedOrganization, REPO_ROOT } from './fixtures/organization';
import { servicesFixture } from './fixtures/services';
import { CACHED_VALIDATION } from './fixtures/validation';

// The assemblies this file reads. The whole app, in each engine and topology, is built from the fixture
// services: a fixed set, so this suite's time does not grow with every service a platform adds (at 300
// services, three validated synths of all of them would take the unit suite minutes). The shipped app as
// a whole is synthesized and validated by `npx projen synth`, which CI runs (.ci/run) and fails on any
// finding; here its services are read through one service pipeline's build.
const [fixtureApp, fixtureGitHub, fixturePerService, fixtureScoped, shippedScoped] = sharedAssemblies([
  // As `cdk synth` builds it (the declared engine and topology), and in the other engine and a sharded topology.
  ASSEMBLIES.fixture, ASSEMBLIES.fixtureGitHub, ASSEMBLIES.fixturePerService,
  // A service pipeline's build (-c platform:scope=pipeline:<shard>), bundling into a folder of its own: the tests list it.
  ASSEMBLIES.fixtureOrdersPipeline, ASSEMBLIES.shippedPaymentsPipeline,
]);

/** A stack of `assembly` (pipeline stages are nested assemblies), by stack name. */
const stackNamed = (assembly: CloudAssembly, name: string) => {
  const found = assembly.stacksRecursively.filter(s => s.stackName === name);
  if (found.length !== 1) throw new Error(`${found.length} stacks named ${name}`);
  return found[0];
};
/** The top-level stacks of an assembly, by stack name. */
const topLevel = (assembly: CloudAssembly) => assembly.stacks.map(s => s.stackName).sort();

describe('the shipped app', () => {
  const organization = loadShippedOrganization();
  const services = loadServices({ servicesDir: path.join(REPO_ROOT, 'services'), organization });

  test('discovers the sample services with their waves', () => {
    expect(services.map(s => [s.manifest.name, s.manifest.wave])).toEqual([
      ['ledger', 'foundation'], ['notifications', 'foundation'], ['payments', 'core'],
    ]);
  });

  test('promotes one payments bundle through dev, staging and prod, each stack in its account and region', () => {
    const stacks = ['dev-eu-west-1', 'staging-eu-west-1', 'prod-eu-west-1', 'prod-eu-central-1'].map(suffix => stackNamed(shippedScoped.assembly, `payments-${suffix}`));
    expect(stacks.map(s => `${s.environment.account}/${s.environment.region}`)).toEqual([
      '666666666666/eu-west-1', '777777777777/eu-west-1', '888888888888/eu-west-1', '888888888888/eu-central-1',
    ]);
    const keys = stacks.map(stack => Object.values(Template.fromJSON(stack.template).findResources('AWS::Lambda::Function'))
      .map(r => (r as { Properties: { Code: { S3Key: string } } }).Properties.Code.S3Key).sort());
    expect(keys[0].length).toBeGreaterThan(0);
    expect(new Set(keys.map(k => k.join()))).toEqual(new Set([keys[0].join()]));
  });

  test('staging shifts traffic linearly by default; prod as the manifest says', () => {
    const deploymentConfig = (name: string) => Object.values(Template.fromJSON(stackNamed(shippedScoped.assembly, name).template)
      .findResources('AWS::CodeDeploy::DeploymentGroup')).map(g => (g as { Properties: { DeploymentConfigName: unknown } }).Properties.DeploymentConfigName);
    expect(new Set(deploymentConfig('payments-staging-eu-west-1'))).toEqual(new Set(['CodeDeployDefault.LambdaLinear10PercentEvery1Minute']));
    expect(new Set(deploymentConfig('payments-prod-eu-west-1'))).toEqual(new Set(['CodeDeployDefault.LambdaCanary10Percent10Minutes']));
  });

  test('summarizes OUs, accounts, environments in promotion order, services and stacks', () => {
    // What the CLI synth prints, of the assembly it wrote (here a service pipeline's build).
    const summary = summarize(organization, shippedScoped.assembly, services);
    expect(summary).toContain('Services (3): ledger (wave foundation), notifications (wave foundation), payments (wave core)');
    expect(summary).toMatch(/Environments in promotion order: dev \(workload-dev 666666666666; eu-west-1\) -> staging .* -> prod \(.*manual approval\)/);
    expect(summary).toMatch(/ {2}Stacks \(6\): ServicePipeline-payments.* \(444444444444\/eu-[a-z]+-1\), /);
    expect(summary).toContain('payments-dev-eu-west-1 (666666666666/eu-west-1), ');
    expect(summary).toContain('payments-prod-eu-central-1 (888888888888/eu-central-1)');
  });
});

describe('the whole app, in each engine and topology (fixture services)', () => {
  test('deploys governance plus one stack per service, environment and region, through its pipelines', () => {
    // The pipelines (and the support stacks CodePipeline adds in the other regions they deploy to) at the top.
    expect(topLevel(fixtureApp.assembly)).toEqual([
      'GovernancePipeline', 'GovernancePipeline-support-us-east-1', 'ServicePipeline', 'ServicePipeline-support-eu-central-1',
      'ServicePipeline-support-us-east-1',
    ]);
    // What they deploy: the stacks of their stages.
    const staged = fixtureApp.assembly.stacksRecursively.map(s => s.stackName).filter(name => !topLevel(fixtureApp.assembly).includes(name));
    expect(staged.sort()).toEqual([
      'Governance-ControlTower',
      'Governance-CostBaseline',
      'Governance-Guardrails',
      'Governance-MemberRoles',
      'Governance-SecurityAdministration',
      'Governance-SecurityServices',
      ...['catalog', 'edge', 'orders'].flatMap(s => ['dev-eu-west-1', 'prod-eu-central-1', 'prod-eu-west-1'].map(e => `${s}-${e}`)),
      // Production's edge has WAF in front: CloudFront's web ACL and certificate are in us-east-1.
      'edge-prod-us-east-1',
    ].sort());
  });

  test('synthesizes offline, each stack in its account and region', () => {
    const placed = (name: string) => stackNamed(fixtureApp.assembly, name).environment;
    expect(placed('Governance-Guardrails')).toMatchObject({ account: '100000000000', region: 'eu-west-1' });
    expect(placed('Governance-CostBaseline')).toMatchObject({ account: '100000000000', region: 'us-east-1' });
    expect(placed('Governance-SecurityServices')).toMatchObject({ account: '100000000002', region: 'eu-west-1' });
    expect(placed('orders-prod-eu-central-1')).toMatchObject({ account: '100000000005', region: 'eu-central-1' });
    expect(placed('ServicePipeline')).toMatchObject({ account: '100000000003', region: 'eu-west-1' });
  });

  // Every engine and topology an organization may declare: each adds stacks of its own (OIDC roles,
  // per-service pipelines and the platform pipeline).
  test.each([
    ['codepipeline', 'single', fixtureApp], ['github', 'single', fixtureGitHub], ['codepipeline', 'per-service', fixturePerService],
  ] as const)('passes every validation of `cdk synth` (cdk-nag packs, Control Tower rules, CloudFormation schema, with cdk.json\'s '
    + 'feature flags), each finding fixed or acknowledged: %s, %s', (_engine, _topology, variant) => {
    expectNoFindings(variant);
  });
});

describe('stacks without a pipeline', () => {
  test('follow the delivery plan: a service limited to dev gets no prod stacks', () => {
    const fixture = servicesFixture();
    const devOnly = fixture.services.map(s => ({ ...s, manifest: { ...s.manifest, environments: ['dev'] } }));
    const stacks = buildPlatform(new cdk.App(), { ...fixture, services: devOnly, policyValidation: false });
    expect(stacks.map(s => s.stackName)).toEqual([
      'Governance-ControlTower', 'Governance-Guardrails', 'Governance-MemberRoles', 'Governance-SecurityAdministration',
      'Governance-SecurityServices', 'Governance-CostBaseline', 'edge-dev-eu-west-1', 'catalog-dev-eu-west-1', 'orders-dev-eu-west-1',
      // The edge is the platform's: each environment that declares one has it, whatever deploys there.
      'edge-prod-eu-west-1', 'edge-prod-eu-central-1',
    ]);
  });
});

describe('cdk-nag in the app', () => {
  test('fails synth when a stack breaks an AWS Solutions or a PCI DSS rule', () => {
    const app = new cdk.App();
    // Results are cached by content; a cached finding is reported again.
    const [stack] = buildPlatform(app, { organization: loadSample(), policyValidation: CACHED_VALIDATION });
    new s3.Bucket(stack, 'UnencryptedLoglessBucket');
    let message = '';
    try {
      app.synth();
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('AwsSolutions-S10');
    expect(message).toContain('PCI.DSS.321-S3DefaultEncryptionKMS');
  });

  test('an organization without services synthesizes its governance alone', () => {
    const organization = loadSample();
    const app = new cdk.App();
    buildPlatform(app, { organization, policyValidation: false });
    const summary = summarize(organization, app.synth());
    expect(summary).toContain('OUs (5): Security, Infrastructure, Workloads, Workloads/Dev, Workloads/Prod');
    expect(summary).toContain('Accounts (6): management 100000000000, log-archive 100000000001');
    expect(summary).toContain('Services (0): (none)');
    expect(summary).toContain('Stacks (6): Governance-ControlTower (100000000000/eu-west-1), Governance-CostBaseline (100000000000/us-east-1), '
      + 'Governance-Guardrails (100000000000/eu-west-1), Governance-MemberRoles (100000000000/eu-west-1), '
      + 'Governance-SecurityAdministration (100000000000/eu-west-1), Governance-SecurityServices (100000000002/eu-west-1)');
  });
});

describe('the pipelines app, synthesized as the CLI does', () => {
  // cdk.json's feature flags, as `cdk synth` runs (explicitStackTags: tags reach the resources, not the stacks).
  const { assembly } = fixtureApp;

  test('every taggable resource of every stack carries the four tags the tag policy fixes', () => {
    expect(assembly.stacksRecursively.length).toBeGreaterThan(5);
    const missing: string[] = [];
    const tagsOf = new Map<string, Record<string, string>>();
    for (const stack of assembly.stacksRecursively) {
      const resources = (stack.template as { Resources: Record<string, { Type: string; Properties?: { Tags?: unknown } }> }).Resources;
      for (const [id, resource] of Object.entries(resources)) {
        const raw = resource.Properties?.Tags;
        if (raw === undefined) continue;
        const tags: Record<string, string> = Array.isArray(raw)
          ? Object.fromEntries((raw as Array<{ Key: string; Value: string }>).map(t => [t.Key, t.Value]))
          : raw as Record<string, string>;
        if (['cost-center', 'environment', 'owner', 'service'].some(k => !(k in tags))) missing.push(`${stack.stackName}/${id}`);
        tagsOf.set(stack.stackName, tags);
      }
    }
    expect(missing).toEqual([]);
    // Services keep their own; the platform's stacks say what they are.
    expect(Object.fromEntries(tagsOf)).toMatchObject({
      'ServicePipeline': { service: 'pipeline', environment: 'shared', owner: 'platform' },
      'Governance-ControlTower': { service: 'governance', environment: 'shared' },
      'orders-prod-eu-central-1': { service: 'orders', environment: 'prod' },
      'edge-prod-eu-central-1': { service: 'edge', environment: 'prod', owner: 'platform' },
    });
  });
});

describe('a service pipeline\'s build synthesizes only its scope (-c platform:scope=pipeline:<shard>)', () => {
  const organization = loadShippedOrganization();
  const context = { 'pipeline:topology': 'per-service' };

  test('loads and bundles only its services (the manifests of its dependencies are read, their code is not)', () => {
    // orders depends on catalog: catalog's manifest is read (its API and queue are looked up), its code is not bundled.
    expect(fixtureScoped.deployed).toEqual(['orders']);
    expect(fixturePerService.deployed).toEqual(['catalog', 'orders']);
    expect(shippedScoped.deployed).toEqual(['payments']);
    // Each scoped build bundled into a folder of its own: no other service's bundle, no governance bundle.
    expect(fs.readdirSync(fixtureScoped.bundleDir).sort()).toEqual(['_framework', 'orders']);
    expect(fs.readdirSync(shippedScoped.bundleDir).sort()).toEqual(['_framework', 'payments']);
  });

  test('synthesizes only its own pipeline stack and its services\' stacks: no other pipeline, no governance', () => {
    expect(topLevel(fixtureScoped.assembly)).toEqual(['ServicePipeline-orders', 'ServicePipeline-orders-support-eu-central-1']);
    expect(fixtureScoped.assembly.stacksRecursively.map(s => s.stackName).sort()).toEqual([
      'ServicePipeline-orders', 'ServicePipeline-orders-support-eu-central-1',
      'orders-dev-eu-west-1', 'orders-prod-eu-central-1', 'orders-prod-eu-west-1',
    ]);
    expect(topLevel(shippedScoped.assembly)).toEqual(['ServicePipeline-payments', 'ServicePipeline-payments-support-eu-central-1']);
    expect(topLevel(fixturePerService.assembly)).toEqual(expect.arrayContaining([
      'PlatformPipeline', 'GovernancePipeline', 'ServicePipeline-catalog', 'ServicePipeline-orders',
    ]));
  });

  test('its pipeline stack is exactly what the platform pipeline\'s full synth created, so self-mutation changes nothing', () => {
    // Both with their bundles at the same depth in the repository, so that the same sources give the same asset hashes.
    const template = (assembly: CloudAssembly) => assembly.getStackByName('ServicePipeline-orders').template as unknown;
    expect(template(fixtureScoped.assembly)).toEqual(template(fixturePerService.assembly));
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
    rename('service.ts', 'catalog/read', 'inventory/read');
    rename('api.yaml', /catalog\/read/g, 'inventory/read');
    rename('service.ts', '/items/{itemId}', '/stock/{itemId}');
    rename('api.yaml', '/items/{itemId}', '/stock/{itemId}');
    rename('api.yaml', 'title: catalog', 'title: inventory');

    // The platform pipeline's build: the whole app, in the sharded topology.
    const organization = loadFixtureOrganization(d => { d.pipeline.topology = 'per-service'; });
    const outdir = path.join(work, 'cdk.out');
    const app = new cdk.App({ outdir });
    buildScope(app, organization, { servicesDir, bundleDir: path.join(work, 'bundles'), policyValidation: false });
    app.synth();
    const stacks = app.node.children.filter((c): c is cdk.Stack => c instanceof cdk.Stack).map(s => s.stackName);
    expect(stacks).toEqual(expect.arrayContaining(['ServicePipeline-catalog', 'ServicePipeline-inventory', 'ServicePipeline-orders', 'PlatformPipeline']));

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

describe('the CLI app\'s properties', () => {
  /** The creation stack trace CDK records on a resource of an app built with `props` (test/setup.ts's context set aside). */
  function creationTrace(props: cdk.AppProps): unknown {
    const saved = process.env.CDK_CONTEXT_JSON;
    delete process.env.CDK_CONTEXT_JSON;
    try {
      const bucket = new s3.CfnBucket(new cdk.Stack(new cdk.App(props), 'Probe'), 'Bucket');
      return bucket.node.metadata.find(m => m.type === 'aws:cdk:creationStack')?.data;
    } finally {
      process.env.CDK_CONTEXT_JSON = saved;
    }
  }

  test('no creation stack traces (a quarter of construct building at 100 services), unless CDK\'s debug mode is on', () => {
    expect(creationTrace({})).toBeDefined();
    expect(creationTrace(cliAppProps({}))).toBeUndefined();
    expect(cliAppProps({}).stackTraces).toBe(false);
    expect(creationTrace(cliAppProps({ CDK_DEBUG: 'true' }))).toBeDefined();
  });
});
