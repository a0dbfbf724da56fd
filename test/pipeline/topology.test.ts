import * as cdk from 'aws-cdk-lib';
import { generatedPlan, generatedServices } from './plan-fixtures';
import { describePlan, deliveryTopology, selectedTopology } from '../../pipeline';
import { loadSample } from '../fixtures/organization';

const plan = generatedPlan(30);
const services = generatedServices(30);

describe('the delivery topology', () => {
  test('single: one pipeline named ServicePipeline with the whole plan', () => {
    const { shards, platformPipeline } = deliveryTopology(plan, 'single', services, 'acme');
    expect(shards.map(s => [s.id, s.stackName, s.pipelineName])).toEqual([['services', 'ServicePipeline', 'acme-services']]);
    expect(describePlan(shards[0].plan)).toEqual(describePlan({ environments: plan.environments }));
    // Every dependency is in an earlier wave of the same pipeline: nothing to check at deploy time.
    expect(shards[0].externalDependencies).toEqual({});
    expect(platformPipeline).toBe(false);
  });

  test('per-service: one pipeline per service, each with the plan\'s environments and order, and a platform pipeline', () => {
    const topology = deliveryTopology(plan, 'per-service', services, 'acme');
    expect(topology.platformPipeline).toBe(true);
    expect(topology.shards).toHaveLength(30);
    const shard = topology.shards.find(s => s.id === 'svc-012')!;
    expect(shard).toMatchObject({ stackName: 'ServicePipeline-svc-012', pipelineName: 'acme-services-svc-012', services: ['svc-012'] });
    expect(describePlan(shard.plan)).toEqual(['dev: svc-012', 'staging: svc-012', 'approve prod', 'prod: svc-012']);
    // Its dependency ships in another pipeline: checked live before each deploy instead of waited for.
    expect(shard.externalDependencies).toEqual({ 'svc-012': ['svc-003'] });
    expect(topology.shards.find(s => s.id === 'svc-001')!.externalDependencies).toEqual({});
  });

  test('per-owner: one pipeline per team; dependencies within the team stay ordered by waves, others are checked', () => {
    const topology = deliveryTopology(plan, 'per-owner', services, 'acme');
    expect(topology.shards.map(s => s.id)).toEqual(['team-1', 'team-2', 'team-3']);
    const team1 = topology.shards[0];
    expect(team1.services).toHaveLength(10);
    // svc-001..003 are team-1's foundation; svc-004..010 depend on them, inside the pipeline.
    expect(team1.externalDependencies).toEqual({});
    expect(describePlan(team1.plan)[0]).toBe('dev: svc-001, svc-002, svc-003');
    const team2 = topology.shards[1];
    expect(team2.externalDependencies['svc-011']).toEqual(['svc-002']);
  });

  test('every service is deployed by exactly one pipeline, in every topology', () => {
    for (const kind of ['single', 'per-service', 'per-owner'] as const) {
      const deployed = deliveryTopology(plan, kind, services, 'acme').shards.flatMap(s => s.services).sort();
      expect(deployed).toEqual(services.map(s => s.name).sort());
    }
  });

  test('the topology can be overridden for one synth, and a bad override names the allowed values', () => {
    const organization = loadSample();
    expect(selectedTopology(new cdk.App(), organization)).toBe('single');
    expect(selectedTopology(new cdk.App({ context: { 'pipeline:topology': 'per-owner' } }), organization)).toBe('per-owner');
    expect(() => selectedTopology(new cdk.App({ context: { 'pipeline:topology': 'sharded' } }), organization))
      .toThrow('CDK context pipeline:topology "sharded" is not a topology; allowed: single, per-service, per-owner');
  });

  test('the declared topology is validated with the organization', () => {
    expect(() => loadSample(d => { (d.pipeline as { topology?: string }).topology = 'per-team'; }))
      .toThrow('accounts/organization.ts: pipeline.topology "per-team" is not allowed; allowed: "single", "per-service", "per-owner"');
    expect(loadSample(d => { d.pipeline.topology = 'per-service'; }).pipeline.topology).toBe('per-service');
  });
});
