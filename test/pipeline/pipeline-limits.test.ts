import * as cdk from 'aws-cdk-lib';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import { generatedPlan, generatedServices } from './plan-fixtures';
import { ConfigError } from '../../accounts';
import { buildPipelines, repositoryLayout } from '../../main';
import {
  builtPipelineViolations,
  codePipelineShape,
  deliveryTopology,
  estimatedWorkflowBytes,
  GITHUB_LIMITS,
  governanceReviewProblems,
  planLimitViolations,
  serviceTriggerPaths,
  ShapeOptions,
} from '../../pipeline';
import { Service } from '../../services';
import { servicesFixture } from '../fixtures/services';

const layout = repositoryLayout();
const options: ShapeOptions & { onCallResources: number; workflowBytes: (s: Parameters<typeof estimatedWorkflowBytes>[0]) => number } = {
  bakeTimeMinutes: 10,
  onCallResources: 1,
  // Like the sample services: three functions each.
  functionsOf: () => 3,
  runsEndToEnd: () => false,
  triggerPaths: shard => serviceTriggerPaths(layout, shard.services),
  workflowBytes: shard => estimatedWorkflowBytes(shard, () => 3),
};

/** Limit violations of `count` generated services in topology `kind` and `engine`. */
function violations(count: number, kind: 'single' | 'per-service' | 'per-owner', engine: 'codepipeline' | 'github' = 'codepipeline') {
  const topology = deliveryTopology(generatedPlan(count), kind, generatedServices(count), 'acme');
  return planLimitViolations(topology, engine, { ...options, triggerPaths: kind === 'single' ? () => [] : options.triggerPaths });
}

describe('limits are checked from the plan, before anything is built', () => {
  test('300 services fit the per-service topology in both engines', () => {
    expect(violations(300, 'per-service')).toEqual([]);
    expect(violations(300, 'per-service', 'github')).toEqual([]);
  });

  test('the pipelines\' IAM roles must fit the tooling account\'s roles quota: per-service at 300 needs it raised, per-owner does not', () => {
    const roles = (count: number, kind: 'per-service' | 'per-owner', iamRoleQuota: number) => planLimitViolations(
      deliveryTopology(generatedPlan(count), kind, generatedServices(count), 'acme'), 'codepipeline', { ...options, iamRoleQuota });
    // Per service: its pipeline, build, self-mutation and assets, integration tests, bake, and a dependency check per environment (most have one).
    const [perService] = roles(300, 'per-service', 1000);
    expect(perService).toMatchObject({ pipeline: 'the tooling account', limit: 900 });
    expect(perService.what).toBe('IAM roles of its 300 service pipelines and platform pipeline (100 more are kept for the account\'s other roles)');
    expect(perService.fix).toBe(`raise the tooling account's IAM quota "Roles per account" (Service Quotas; up to 5000) to at least ${perService.count + 100} `
      + 'and set pipeline.iamRoleQuota in accounts/organization.ts to it, or switch pipeline.topology to \'per-owner\' (one pipeline per team)');
    expect(roles(300, 'per-service', 5000)).toEqual([]);
    expect(roles(300, 'per-owner', 1000)).toEqual([]);
  });

  test('more pipelines than the tooling account\'s CodePipeline quota (1,000 per region) are refused, naming per-owner', () => {
    const found = planLimitViolations(deliveryTopology(generatedPlan(1000), 'per-service', generatedServices(1000), 'acme'), 'codepipeline',
      { ...options, iamRoleQuota: 5000 });
    expect(found.map(v => [v.pipeline, v.what, v.count, v.limit])).toContainEqual(['the tooling account', 'CodePipeline pipelines in the home region', 1001, 1000]);
    expect(found.find(v => v.what === 'CodePipeline pipelines in the home region')!.fix).toContain('per-owner');
    // Build, self-mutation, assets, integration tests, bake and three dependency checks per pipeline (most have them).
    expect(found.find(v => v.what === 'CodeBuild projects in the home region')).toMatchObject({ pipeline: 'the tooling account', limit: 5000 });
  });

  test('the built pipeline stack is counted again before anything is written: its own resources, not its stages\'', () => {
    const app = new cdk.App();
    const stack = new cdk.Stack(app, 'ServicePipeline-big');
    const pipeline = new codepipeline.Pipeline(stack, 'Pipeline', { pipelineType: codepipeline.PipelineType.V2 });
    for (let i = 0; i < 500; i++) new cdk.CfnResource(stack, `Topic${i}`, { type: 'AWS::SNS::Topic' });
    // A stage's stacks are separate stacks: not counted.
    const stage = new cdk.Stage(stack, 'Stage');
    new cdk.CfnResource(new cdk.Stack(stage, 'Service'), 'Topic', { type: 'AWS::SNS::Topic' });
    const found = builtPipelineViolations(stack, pipeline, 'single');
    // The 500 topics, and the pipeline with its role, policy, artifact bucket, bucket policy, key and alias.
    expect(found).toEqual([expect.objectContaining({ pipeline: 'ServicePipeline-big', what: 'CloudFormation resources in its stack', count: 507, limit: 500 })]);
  });

  test('300 services in one CodePipeline cross CodePipeline\'s 50 stages per pipeline', () => {
    const found = violations(300, 'single');
    expect(found.map(v => [v.pipeline, v.what, v.count, v.limit])).toEqual([
      // Source, Build, UpdatePipeline, Assets; dev 30 + 270 services x 3 actions (17 + 1 stages), staging 30 + 270 x 2
      // (2 + 11), prod 30 + 270 x 4 + bake (3 + 22).
      ['ServicePipeline', 'CodePipeline stages (waves of more than 50 actions are split)', 4 + 2 + 17 + 2 + 11 + 3 + 22, 50],
    ]);
    expect(found[0].fix).toBe('switch pipeline.topology in accounts/organization.ts from \'single\' to \'per-service\' (one pipeline per service)');
  });

  test('one pipeline for 500 services also crosses CloudFormation\'s 500 resources per stack (a CodeBuild project per integration test)', () => {
    const found = violations(500, 'single');
    expect(found.find(v => v.what === 'CloudFormation resources in its stack')).toMatchObject({
      pipeline: 'ServicePipeline',
      limit: 500,
      // Fixed part, an email subscription, assets, 500 integration tests and 2 bake checks, and a role and
      // policy per ten test steps (50) and per ten check steps (1).
      count: 20 + 1 + 3 + 502 + 2 * (50 + 1),
    });
  });

  test('a wave of more than 50 actions becomes sequential stages, which is what makes one pipeline\'s lead time grow', () => {
    const [shard] = deliveryTopology(generatedPlan(30), 'single', generatedServices(30), 'acme').shards;
    const stages = codePipelineShape(shard, options, 1).stages;
    // prod core: 27 services x 2 regions x 2 change-set actions + the bake check = 109 actions.
    expect(stages.filter(s => s.name.startsWith('prod-core')).map(s => [s.name, s.actions])).toEqual([
      ['prod-core.1', 50], ['prod-core.2', 50], ['prod-core.3', 9],
    ]);
    const [perService] = deliveryTopology(generatedPlan(30), 'per-service', generatedServices(30), 'acme').shards;
    expect(codePipelineShape(perService, options, 1).stages.map(s => s.name)).toEqual([
      'Source', 'Build', 'UpdatePipeline', 'Assets', 'dev-foundation', 'staging-foundation', 'prod-foundation',
    ]);
  });

  test('the single topology fits a few hundred services at most (the sample organization stays single)', () => {
    expect(violations(3, 'single')).toEqual([]);
    expect(violations(160, 'single')).toEqual([]);
    expect(violations(250, 'single').map(v => v.what)).toEqual(['CodePipeline stages (waves of more than 50 actions are split)']);
  });

  test('a team with more services than its pipeline\'s trigger filters can name is refused, with the fix', () => {
    const topology = deliveryTopology(generatedPlan(40), 'per-owner', generatedServices(40).map(s => ({ ...s, owner: 'one-big-team' })), 'acme');
    const found = planLimitViolations(topology, 'codepipeline', options);
    expect(found).toEqual([expect.objectContaining({
      pipeline: 'ServicePipeline-one-big-team',
      what: 'trigger path globs (3 push filters of 8)',
      count: 40 + 14,
      limit: 24,
    })]);
    expect(found[0].fix).toContain('per-service');
  });

  test('a GitHub workflow over 500 KB is refused: GitHub would not start it', () => {
    const found = violations(100, 'single', 'github');
    expect(found).toEqual([expect.objectContaining({ pipeline: 'ServicePipeline', what: 'bytes of workflow file (estimated)', limit: GITHUB_LIMITS.workflowFileBytes })]);
    expect(found[0].count).toBeGreaterThan(500 * 1024);
    expect(violations(20, 'single', 'github')).toEqual([]);
  });

  test('more service workflows than GitHub queues at once are refused, naming per-owner', () => {
    const found = violations(520, 'per-service', 'github');
    expect(found).toEqual([expect.objectContaining({ pipeline: 'the service workflows', count: 520, limit: 500 })]);
    expect(found[0].fix).toContain('per-owner');
  });

  test('synth fails with one message naming the pipeline, the count, the limit and the fix, before building anything', () => {
    const fixture = servicesFixture();
    const template = fixture.services[0];
    // 400 copies of the fixture's catalog: no bundles, no files; the plan alone is checked.
    const many: Service[] = Array.from({ length: 400 }, (_, i) => ({
      ...template,
      manifest: { ...template.manifest, name: `svc-${String(i).padStart(3, '0')}`, wave: 'foundation' },
    }));
    const app = new cdk.App();
    // The fixture organization (dev, prod in two regions): 20 + 1 on-call email + 3 + 400 integration tests + 1 bake + 2 x (40 + 1) roles;
    // 4 stages, dev's edge, dev 400 x 3 actions (24), prod's edge (approval + 4), prod 400 x 4 + bake (33).
    expect(() => buildPipelines(app, { organization: fixture.organization, services: many, layout })).toThrow(new ConfigError([
      'pipeline ServicePipeline: 507 CloudFormation resources in its stack, above the limit of 500; '
        + 'fix: switch pipeline.topology in accounts/organization.ts from \'single\' to \'per-service\' (one pipeline per service)',
      'pipeline ServicePipeline: 63 CodePipeline stages (waves of more than 50 actions are split), above the limit of 50; '
        + 'fix: switch pipeline.topology in accounts/organization.ts from \'single\' to \'per-service\' (one pipeline per service)',
    ]));
    // Nothing was built.
    expect(app.node.findAll().filter(c => c instanceof cdk.Stack)).toEqual([]);
  });
});

describe('the governance review\'s inline templates', () => {
  const templateOf = (bytes: number) => ({ Description: 'x'.repeat(bytes - JSON.stringify({ Description: '' }).length) });

  test('a governance stack over CloudFormation\'s 51,200-byte inline template limit fails synth, with the size, the limit and the fix', () => {
    expect(governanceReviewProblems([
      { stackName: 'Governance-Guardrails', template: templateOf(51_200) },
      { stackName: 'Governance-ControlTower', template: templateOf(51_201) },
    ])).toEqual([
      'Governance-ControlTower: its template is 51201 bytes minified; the governance review passes it inline, and CloudFormation allows 51200: '
        + 'split the stack (governance/governance-stage.ts)',
    ]);
  });
});
