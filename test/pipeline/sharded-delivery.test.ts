import * as path from 'node:path';
import { parse } from 'yaml';
import { onCallResourceCount } from '../../kit';
import { repositoryLayout } from '../../main';
import {
  codePipelineShape,
  deliveryTopology,
  describePlan,
  estimatedWorkflowBytes,
  matchesGlob,
  pipelineOrder,
  planFromModels,
  platformTriggerPaths,
  serviceTriggerPaths,
  workflowOrder,
} from '../../pipeline';
import { loadServices } from '../../services';
import { ASSEMBLIES, FIXTURE_SERVICES_DIR, fixtureOrganization, sharedAssembly } from '../fixtures/assembly';

const organization = fixtureOrganization();
const services = loadServices({ servicesDir: FIXTURE_SERVICES_DIR, organization, displayDir: path.join('test', 'fixtures', 'services') });
const layout = repositoryLayout();
const plan = planFromModels(organization, services);
const topology = deliveryTopology(plan, 'per-service', services.map(s => ({ name: s.manifest.name, owner: s.manifest.owner })), organization.name);
const functionsOf = (name: string) => Object.keys(services.find(s => s.manifest.name === name)!.manifest.functions).length;

// The CodePipeline engine, per service (`cdk synth -c pipeline:topology=per-service`).
// Validated: the same assembly main.test.ts checks for findings, synthesized once for both.
const cp = sharedAssembly(ASSEMBLIES.fixturePerService);
/** The pipelines' stacks, in the order they were built (the cross-region support stacks CodePipeline adds aside). */
const cpStacks = cp.stacks.filter(s => !s.stackName.includes('-support-'));
const templates = Object.fromEntries(cpStacks.map(s => [s.stackName, cp.assembly.getStackByName(s.stackName).template as Record<string, unknown>]));

// The github engine, per service, synthesized where the workflow folder holds
// a workflow left by a topology or service that no longer exists (generated,
// so the synth owns it) and one of the team's.
const gh = sharedAssembly(ASSEMBLIES.fixtureGitHubPerService);
const workflowText = (file: string) => {
  if (!(file in gh.workflows)) throw new Error(`no workflow ${file}`);
  return gh.workflows[file];
};

interface Action {
  Name: string;
  RunOrder: number;
  ActionTypeId: { Category: string };
  Configuration?: Record<string, unknown>;
}
type Stage = { Name: string; Actions: Action[] };
type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;
const resourcesOf = (stackName: string) => templates[stackName].Resources as Resources;
const pipelineOf = (stackName: string) => Object.values(resourcesOf(stackName)).find(r => r.Type === 'AWS::CodePipeline::Pipeline')!.Properties;
const stagesOf = (stackName: string) => pipelineOf(stackName).Stages as Stage[];
const buildSpecOf = (stackName: string, actionName: string) => {
  const action = stagesOf(stackName).flatMap(s => s.Actions).find(a => a.Name === actionName)!;
  const projectId = (action.Configuration!.ProjectName as { Ref: string }).Ref;
  type Project = { Source: { BuildSpec: string }; Environment: { EnvironmentVariables?: Array<{ Name: string; Value: string }> } };
  const project = resourcesOf(stackName)[projectId].Properties as Project;
  return {
    spec: JSON.parse(project.Source.BuildSpec) as { phases: Record<string, { commands: string[] }> },
    env: project.Environment.EnvironmentVariables ?? [],
  };
};
type Job = { needs?: string[]; environment?: string; env?: Record<string, string>; steps?: Array<{ run?: string; with?: Record<string, unknown> }> };

describe('the per-service topology', () => {
  test('renders one service pipeline per service, the platform pipeline and the governance pipeline', () => {
    expect(cpStacks.map(s => s.stackName)).toEqual(['ServicePipeline-catalog', 'ServicePipeline-orders', 'PlatformPipeline', 'GovernancePipeline']);
    expect(Object.keys(gh.workflows).sort()).toEqual(['lint.yml', 'platform.yml', 'services-catalog.yml', 'services-orders.yml']);
  });

  test('both engines deploy the same (service, environment, region) stacks, each pipeline in the plan\'s order', () => {
    const deployedBy = (order: string[]) => order.filter(l => !l.startsWith('approve'));
    for (const shard of topology.shards) {
      const expected = describePlan(shard.plan);
      expect(pipelineOrder(templates[shard.stackName])).toEqual(expected);
      expect(workflowOrder(workflowText(`services-${shard.id}.yml`))).toEqual(expected);
    }
    const stacksOf = (text: string) => [...text.matchAll(/"StackName":"([a-z-]+-(dev|prod)-[a-z]+-[a-z]+-\d)"/g)].map(m => m[1]);
    const codePipelineStacks = new Set(topology.shards.flatMap(s => stacksOf(JSON.stringify(templates[s.stackName]))));
    const workflowStacks = new Set(topology.shards.flatMap(s => Object.values((parse(workflowText(`services-${s.id}.yml`)) as { jobs: Record<string, Job> }).jobs)
      .map(j => j.steps?.find(st => st.with?.template)?.with?.name as string | undefined).filter((n): n is string => !!n)));
    const planned = plan.environments.flatMap(e => e.waves.flatMap(w => w.services.flatMap(s => e.regions.map(r => `${s.name}-${e.name}-${r}`))));
    expect([...codePipelineStacks].sort()).toEqual([...planned].sort());
    expect([...workflowStacks].sort()).toEqual([...planned].sort());
    expect(deployedBy(describePlan(topology.shards[0].plan))).toEqual(['dev: catalog', 'prod: catalog']);
  });

  test('a service pipeline starts only on its own folder and the framework (V2 trigger file-path filters, at most 8 per filter)', () => {
    const triggers = pipelineOf('ServicePipeline-orders').Triggers as Array<{ GitConfiguration: { Push: Array<{ Branches: { Includes: string[] }; FilePaths: { Includes: string[] } }> } }>;
    const push = triggers[0].GitConfiguration.Push;
    expect(push.every(p => p.Branches.Includes[0] === 'main' && p.FilePaths.Includes.length <= 8)).toBe(true);
    const globs = push.flatMap(p => p.FilePaths.Includes);
    expect(globs).toEqual(serviceTriggerPaths(layout, ['orders']));
    const starts = (file: string) => globs.some(g => matchesGlob(file, g));
    expect(starts('services/orders/src/create-order.ts')).toBe(true);
    expect(starts('services/catalog/src/handler.ts')).toBe(false);
    expect(starts('services/service-stack.ts')).toBe(true);
    // The same paths start its GitHub workflow.
    expect((parse(workflowText('services-orders.yml')) as { on: { push: { paths: string[] } } }).on.push.paths).toEqual(globs);
  });

  test('a service pipeline\'s build tests and synthesizes only its own scope', () => {
    expect(buildSpecOf('ServicePipeline-orders', 'Synth').spec.phases.build.commands).toEqual([
      'npm audit --audit-level=high --omit=dev',
      'npx projen scan:secrets',
      'npx projen test:services -- orders',
      'npx cdk synth -c pipeline:topology=per-service -c platform:scope=pipeline:orders',
      'npx projen scan:iac', 'npx projen scan:deps',
    ]);
    const build = (parse(workflowText('services-orders.yml')) as { jobs: Record<string, Job> }).jobs['Build-Build'];
    expect(build.steps!.find(s => s.run?.includes('cdk synth'))!.run).toContain(
      'npx cdk synth -c pipeline:engine=github -c pipeline:topology=per-service -c platform:scope=pipeline:orders');
  });

  test('before orders deploys to an environment, it checks that catalog (another pipeline) is live there', () => {
    for (const env of ['dev', 'prod']) {
      const stage = stagesOf('ServicePipeline-orders').find(s => s.Name === `orders-${env}`)!;
      const check = stage.Actions.find(a => a.Name === `DependencyCheck-orders-${env}`)!;
      const prepare = stage.Actions.filter(a => a.Configuration?.ActionMode === 'CHANGE_SET_REPLACE');
      expect(prepare.length).toBeGreaterThan(0);
      for (const p of prepare) expect(check.RunOrder).toBeLessThan(p.RunOrder);
      const { spec, env: vars } = buildSpecOf('ServicePipeline-orders', `DependencyCheck-orders-${env}`);
      expect(spec.phases.build.commands).toEqual(['bash pipeline/dependency-check.sh']);
      expect(Object.fromEntries(vars.map(v => [v.Name, v.Value]))).toMatchObject({
        SERVICE: 'orders',
        TARGET_ENVIRONMENT: env,
        TARGET_ACCOUNT: env === 'dev' ? '100000000004' : '100000000005',
        REQUIRED_PARAMETERS: [
          `catalog=/testorg/${env}/services/catalog/api-url`, `catalog=/testorg/${env}/services/catalog/api-id`,
          `catalog=/testorg/${env}/services/catalog/queues/item-events/url`, `catalog=/testorg/${env}/services/catalog/queues/item-events/arn`,
          `catalog=/testorg/${env}/services/catalog/kms-key-arn`,
        ].join(' '),
        // Named in the message when catalog is not live.
        DEPENDENCY_PIPELINES: 'catalog=ServicePipeline-catalog',
      });
    }
    // catalog depends on no service, but its public route attaches to the edge, which the platform pipeline deploys: it checks the edge only.
    for (const env of ['dev', 'prod']) {
      const { env: vars } = buildSpecOf('ServicePipeline-catalog', `DependencyCheck-catalog-${env}`);
      expect(Object.fromEntries(vars.map(v => [v.Name, v.Value]))).toMatchObject({
        REQUIRED_PARAMETERS: `_edge=/testorg/${env}/services/_edge/api-id`,
        DEPENDENCY_PIPELINES: '_edge=PlatformPipeline',
      });
    }
    // The same check precedes the deploy jobs of the workflow.
    const { jobs } = parse(workflowText('services-orders.yml')) as { jobs: Record<string, Job> };
    const [checkId, check] = Object.entries(jobs).find(([id]) => id.endsWith('DependencyCheck-orders-prod'))!;
    expect(check.steps!.at(-1)!.run).toBe('bash pipeline/dependency-check.sh');
    expect(check.env!.REQUIRED_PARAMETERS).toContain('catalog=/testorg/prod/services/catalog/api-url');
    expect(check.env!.DEPENDENCY_PIPELINES).toBe('catalog=services-catalog.yml');
    const prodDeploys = Object.entries(jobs).filter(([, j]) => j.environment === 'prod' && j.steps?.some(s => s.with?.template));
    expect(prodDeploys.length).toBe(2);
    for (const [, job] of prodDeploys) expect(job.needs).toContain(checkId);
  });

  test('the platform pipeline runs every test, synthesizes everything, creates the missing service pipelines, then deploys the edges', () => {
    const { spec } = buildSpecOf('PlatformPipeline', 'Synth');
    expect(spec.phases.build.commands).toEqual([
      'npm audit --audit-level=high --omit=dev', 'npx projen scan:secrets', 'npx projen test', 'npx cdk synth -c pipeline:topology=per-service',
      'npx projen scan:iac', 'npx projen scan:deps',
    ]);
    // The whole platform's synth peaks near 3 GB at 300 services: a LARGE build with a 12 GB heap.
    const synthProject = Object.values(resourcesOf('PlatformPipeline'))
      .find(r => r.Type === 'AWS::CodeBuild::Project' && JSON.stringify(r).includes('npx projen test'))!.Properties.Environment as
      { ComputeType: string; EnvironmentVariables: Array<{ Name: string; Value: string }> };
    expect(synthProject.ComputeType).toBe('BUILD_GENERAL1_LARGE');
    expect(synthProject.EnvironmentVariables).toContainEqual(expect.objectContaining({ Name: 'NODE_OPTIONS', Value: '--max-old-space-size=12288' }));
    const stage = stagesOf('PlatformPipeline').find(s => s.Name === 'ServicePipelines')!;
    expect(stage.Actions.map(a => a.Name)).toEqual(['CreateServicePipelines']);
    const create = buildSpecOf('PlatformPipeline', 'CreateServicePipelines').spec;
    expect(create.phases.build.commands).toEqual(['npx tsx pipeline/reconcile-pipelines.ts --assembly cdk.out --prefix ServicePipeline- --region eu-west-1']);
    const triggers = pipelineOf('PlatformPipeline').Triggers as Array<{ GitConfiguration: { Push: Array<{ FilePaths: { Includes: string[] } }> } }>;
    expect(triggers[0].GitConfiguration.Push.flatMap(p => p.FilePaths.Includes)).toEqual(platformTriggerPaths(layout));
    // Service pipelines through the tooling account's own CDK roles; then each environment's edge, in promotion order,
    // production after its approval, through the environments' CDK roles; never the management account.
    const text = JSON.stringify(templates.PlatformPipeline);
    expect(text).not.toContain('100000000000');
    expect(text).toContain('cdk-hnb659fds-deploy-role-100000000003-eu-west-1');
    const names = stagesOf('PlatformPipeline').map(s => s.Name);
    expect(names.slice(names.indexOf('ServicePipelines'))).toEqual(['ServicePipelines', 'edge-dev', 'edge-prod']); // (a one-stage wave is named after its stage)
    const prodEdge = stagesOf('PlatformPipeline').find(s => s.Name === 'edge-prod')!;
    const approval = prodEdge.Actions.find(a => a.ActionTypeId.Category === 'Approval')!;
    expect(approval.Name).toBe('Approve-edge-prod');
    const deploys = prodEdge.Actions.filter(a => a.ActionTypeId.Category === 'Deploy');
    expect(deploys.map(a => a.Configuration?.StackName).sort()).toEqual([
      'edge-prod-eu-central-1', 'edge-prod-eu-central-1', 'edge-prod-eu-west-1', 'edge-prod-eu-west-1', 'edge-prod-us-east-1', 'edge-prod-us-east-1',
    ]);
    // The front (WAF, CloudFront) after the primary region's edge, whose origin secret and log bucket it uses.
    const runOrder = (stack: string) => Math.min(...deploys.filter(a => a.Configuration?.StackName === stack).map(a => a.RunOrder ?? 1));
    expect(runOrder('edge-prod-us-east-1')).toBeGreaterThan(runOrder('edge-prod-eu-west-1'));
    for (const d of deploys) expect(d.RunOrder).toBeGreaterThan(approval.RunOrder);
  });

  test('the platform workflow checks every generated workflow is committed and deploys governance and the edges; stale generated workflows are removed', () => {
    const platform = parse(workflowText('platform.yml')) as { on: { push: { paths: string[] } }; jobs: Record<string, Job> };
    expect(platform.on.push.paths).toEqual(platformTriggerPaths(layout));
    const build = platform.jobs['Build-Build'].steps!.find(s => s.run?.includes('cdk synth'))!.run!;
    expect(build).toContain('npx projen test');
    expect(build).toMatch(/git status --porcelain .*workflows.*exit 1/s);
    expect(Object.values(platform.jobs).filter(j => j.environment === 'governance')).toHaveLength(1);
    // The old generated deploy.yml is gone; the team's own workflow stays.
    expect(gh.workflows).not.toHaveProperty(['deploy.yml']);
    expect(workflowText('lint.yml')).toBe('# a workflow of the team\n');
    // The service workflows deploy no governance, and no edge.
    for (const file of ['services-catalog.yml', 'services-orders.yml']) {
      expect(workflowText(file)).not.toContain('environment: governance');
      expect(workflowText(file)).not.toMatch(/edge-(dev|prod)-eu/);
    }
    // The platform workflow deploys each environment's edge, prod's after its approval gate.
    expect(workflowOrder(workflowText('platform.yml'))).toEqual(['governance@100000000000/eu-west-1', 'edge dev', 'approve prod', 'edge prod']);
  });

  test('the limit model counts what the engines build: stages, actions, CodeBuild projects, resources and workflow size', () => {
    const options = {
      bakeTimeMinutes: organization.pipeline.bakeTimeMinutes,
      functionsOf,
      runsEndToEnd: () => false,
      triggerPaths: () => [],
    };
    for (const shard of topology.shards) {
      const shape = codePipelineShape(shard, options, onCallResourceCount(organization.onCall));
      const resources = resourcesOf(shard.stackName);
      expect(stagesOf(shard.stackName).map(s => ({ name: s.Name, actions: s.Actions.length })))
        .toEqual(shape.stages.map(s => ({ name: s.name.replace(/^(dev|prod)-(foundation|core)$/, `${shard.id}-$1`), actions: s.actions })));
      expect(Object.values(resources).filter(r => r.Type === 'AWS::CodeBuild::Project')).toHaveLength(shape.codeBuildProjects);
      expect(Object.values(resources).filter(r => r.Type === 'AWS::IAM::Role')).toHaveLength(shape.roles);
      // The model counts the metadata resource the CDK CLI adds to every stack.
      expect(Object.values(resources).filter(r => r.Type !== 'AWS::CDK::Metadata').length + 1).toBe(shape.resources);
      const bytes = Buffer.byteLength(workflowText(`services-${shard.id}.yml`));
      const estimate = estimatedWorkflowBytes(shard, functionsOf);
      expect(Math.abs(estimate - bytes) / bytes).toBeLessThan(0.25);
    }
  });
});
