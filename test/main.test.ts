import * as os from 'node:os';
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { buildBundles, buildPipelines, buildPlatform, summarize } from '../main';
import { loadServices } from '../services';
import { loadSample, loadShippedOrganization, projectContext, REPO_ROOT } from './fixtures/organization';
import { servicesFixture } from './fixtures/services';

describe('the shipped app', () => {
  const organization = loadShippedOrganization();
  const services = loadServices({ servicesDir: path.join(REPO_ROOT, 'services'), organization });
  const app = new cdk.App();
  const stacks = buildPlatform(app, { organization, services, ...buildBundles(services, path.join(os.tmpdir(), `lz-main-bundles-${process.pid}`)) });

  test('discovers the sample services with their waves', () => {
    expect(services.map(s => [s.manifest.name, s.manifest.wave])).toEqual([
      ['ledger', 'foundation'], ['notifications', 'foundation'], ['payments', 'core'],
    ]);
  });

  test('has governance plus one stack per service, environment and region', () => {
    expect(stacks.map(s => s.stackName)).toEqual([
      'Governance-ControlTower',
      'Governance-Guardrails',
      'Governance-MemberRoles',
      'Governance-SecurityAdministration',
      'Governance-SecurityServices',
      'Governance-CostBaseline',
      ...['ledger', 'notifications', 'payments'].map(s => `${s}-dev-eu-west-1`),
      ...['ledger', 'notifications', 'payments'].map(s => `${s}-staging-eu-west-1`),
      ...['eu-west-1', 'eu-central-1'].flatMap(r => ['ledger', 'notifications', 'payments'].map(s => `${s}-prod-${r}`)),
    ]);
  });

  test('synthesizes offline with every cdk-nag finding fixed or acknowledged', () => {
    // Validation plugins (cdk-nag) run inside synth and throw on any unacknowledged error.
    const assembly = app.synth();
    expect(assembly.stacksRecursively.find(s => s.stackName === 'Governance-Guardrails')!.environment).toMatchObject({ account: '111111111111', region: 'eu-west-1' });
    expect(assembly.getStackByName('payments-prod-eu-central-1').environment).toMatchObject({ account: '888888888888', region: 'eu-central-1' });
  });

  test('promotes one payments bundle through dev, staging and prod', () => {
    const keys = ['dev-eu-west-1', 'staging-eu-west-1', 'prod-eu-west-1', 'prod-eu-central-1'].map(suffix => {
      const stack = stacks.find(s => s.node.id === `payments-${suffix}`)!;
      return Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'))
        .map(r => (r as { Properties: { Code: { S3Key: string } } }).Properties.Code.S3Key).sort();
    });
    expect(new Set(keys.map(k => k.join()))).toEqual(new Set([keys[0].join()]));
  });

  test('staging shifts traffic linearly by default', () => {
    const stack = stacks.find(s => s.node.id === 'ledger-staging-eu-west-1')!;
    Template.fromStack(stack).hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
      DeploymentConfigName: 'CodeDeployDefault.LambdaLinear10PercentEvery1Minute',
    });
  });

  test('summarizes OUs, accounts, environments in promotion order, services and stacks', () => {
    const summary = summarize(organization, app.synth(), services);
    expect(summary).toContain('Services (3): ledger (wave foundation), notifications (wave foundation), payments (wave core)');
    expect(summary).toMatch(/Environments in promotion order: dev \(workload-dev 666666666666; eu-west-1\) -> staging .* -> prod \(.*manual approval\)/);
    expect(summary).toContain('Stacks (18): ledger-dev-eu-west-1 (666666666666/eu-west-1), ');
    expect(summary).toContain('Governance-ControlTower (111111111111/eu-west-1), Governance-CostBaseline (111111111111/us-east-1), '
      + 'Governance-Guardrails (111111111111/eu-west-1), Governance-MemberRoles (111111111111/eu-west-1), '
      + 'Governance-SecurityAdministration (111111111111/eu-west-1), Governance-SecurityServices (333333333333/eu-west-1)');
  });
});

describe('stacks without a pipeline', () => {
  test('follow the delivery plan: a service limited to dev gets no prod stacks', () => {
    const fixture = servicesFixture();
    const devOnly = fixture.services.map(s => ({ ...s, manifest: { ...s.manifest, environments: ['dev'] } }));
    const stacks = buildPlatform(new cdk.App(), { ...fixture, services: devOnly });
    expect(stacks.map(s => s.stackName)).toEqual([
      'Governance-ControlTower', 'Governance-Guardrails', 'Governance-MemberRoles', 'Governance-SecurityAdministration',
      'Governance-SecurityServices', 'Governance-CostBaseline', 'catalog-dev-eu-west-1', 'orders-dev-eu-west-1',
    ]);
  });
});

describe('cdk-nag in the app', () => {
  test('fails synth when a stack breaks an AWS Solutions or a PCI DSS rule', () => {
    const app = new cdk.App();
    const [stack] = buildPlatform(app, { organization: loadSample() });
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
    buildPlatform(app, { organization });
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
  test('every taggable resource of every stack carries the four tags the tag policy fixes', () => {
    const fixture = servicesFixture();
    // cdk.json's feature flags, as `cdk synth` runs (the policy validation must pass with them too;
    // explicitStackTags: tags reach the resources, not the stacks).
    const app = new cdk.App({ context: projectContext() });
    buildPipelines(app, fixture);
    const assembly = app.synth();
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
    });
  });
});
