import * as cdk from 'aws-cdk-lib';
import { Organization, PIPELINE_TOPOLOGIES, PipelineTopology, SERVICE_PIPELINE_STACK_NAME } from '../accounts';
import { DeliveryPlan, PlannedEnvironment } from './delivery-plan';
import { contextOverride } from './engine';
import { EDGE_DEPENDENCY } from '../services';

/** CDK context key that overrides the declared topology for one synth: `-c pipeline:topology=per-service`. */
export const TOPOLOGY_CONTEXT_KEY = 'pipeline:topology';

/** The shard id of the `single` topology's one pipeline. */
export const SINGLE_SHARD_ID = 'services';

/**
 * One pipeline's share of the delivery plan: the services it deploys, in the
 * plan's environments, waves and order.
 */
export interface PipelineShard {
  /** `services` in the `single` topology, else the service (per-service) or owner (per-owner) name. */
  readonly id: string;
  /**
   * Name of the pipeline's stack: `ServicePipeline` (single) or
   * `ServicePipeline-<id>`. The observer roles trust the pipelines' roles by
   * this prefix (CloudFormation names roles after their stack).
   */
  readonly stackName: string;
  /** Name of the CodePipeline pipeline (or the GitHub workflow). */
  readonly pipelineName: string;
  /** The services it deploys, sorted. */
  readonly services: readonly string[];
  /** The plan restricted to these services: same environments and wave order, no governance step. */
  readonly plan: DeliveryPlan;
  /**
   * For each of its services that has any, the dependencies another pipeline
   * deploys: the pipeline checks they are live in an environment before
   * deploying there, instead of waiting for them in a shared wave.
   */
  readonly externalDependencies: Readonly<Record<string, readonly string[]>>;
}

/** How the plan is rendered as pipelines. */
export interface DeliveryTopology {
  readonly kind: PipelineTopology;
  /** The service pipelines, sorted by id. */
  readonly shards: readonly PipelineShard[];
  /**
   * Whether a platform pipeline creates the service pipelines: every
   * topology but `single`, whose one pipeline is created by hand once.
   */
  readonly platformPipeline: boolean;
  /**
   * The environments whose public edge the platform pipeline deploys, in
   * promotion order (sharded topologies; in `single` the one pipeline
   * deploys each edge before its environment's first wave).
   */
  readonly platformEdges: readonly PlannedEnvironment[];
}

/** What {@link deliveryTopology} needs to know of each service beyond the plan. */
export interface TopologyServiceInput {
  readonly name: string;
  /** The owning team (manifest `owner`): the shard of `per-owner`. */
  readonly owner: string;
}

/** The topology to render: the context override, else the declared one. */
export function selectedTopology(app: cdk.App, organization: Organization): PipelineTopology {
  return contextOverride(app, TOPOLOGY_CONTEXT_KEY, PIPELINE_TOPOLOGIES, organization.pipeline.topology, 'a topology');
}

/** The id of the shard that deploys `service` in topology `kind`. */
export function shardIdOf(kind: PipelineTopology, service: TopologyServiceInput): string {
  switch (kind) {
    case 'single': return SINGLE_SHARD_ID;
    case 'per-service': return service.name;
    case 'per-owner': return service.owner;
  }
}

/** Stack name of the pipeline of shard `id` in topology `kind`. */
export function shardStackName(kind: PipelineTopology, id: string): string {
  return kind === 'single' ? SERVICE_PIPELINE_STACK_NAME : `${SERVICE_PIPELINE_STACK_NAME}-${id}`;
}

/**
 * Splits `plan` into the pipelines of topology `kind`. Each shard keeps the
 * plan's environments and wave order for its own services; a dependency in
 * another shard is listed in `externalDependencies` (checked at deploy time,
 * so no pipeline waits for another).
 */
export function deliveryTopology(plan: DeliveryPlan, kind: PipelineTopology, services: readonly TopologyServiceInput[],
  organizationName: string): DeliveryTopology {
  const shardOf = new Map(services.map(s => [s.name, shardIdOf(kind, s)]));
  const planned = new Map(plan.environments.flatMap(e => e.waves.flatMap(w => w.services)).map(s => [s.name, s]));
  const ids = [...new Set([...planned.keys()].map(name => shardOf.get(name) ?? SINGLE_SHARD_ID))].sort();
  if (kind === 'single' && ids.length === 0) ids.push(SINGLE_SHARD_ID);

  const shards = ids.map((id): PipelineShard => {
    const inShard = (name: string) => (shardOf.get(name) ?? SINGLE_SHARD_ID) === id;
    const members = [...planned.keys()].filter(inShard).sort();
    const externalDependencies: Record<string, string[]> = {};
    for (const name of members) {
      const outside = planned.get(name)!.dependsOn.filter(dep => !inShard(dep));
      // Sharded: the platform pipeline deploys the edges, so public routes depend on another pipeline's work.
      if (kind !== 'single' && planned.get(name)!.publicRoutes && plan.environments.some(e => e.edge)) outside.push(EDGE_DEPENDENCY);
      if (outside.length > 0) externalDependencies[name] = [...outside].sort();
    }
    return {
      id,
      stackName: shardStackName(kind, id),
      pipelineName: kind === 'single' ? `${organizationName}-services` : `${organizationName}-services-${id}`,
      services: members,
      externalDependencies,
      plan: {
        environments: plan.environments.map(env => ({
          ...env,
          edge: env.edge && kind === 'single',
          waves: env.waves
            .map(wave => ({ ...wave, services: wave.services.filter(s => inShard(s.name)) }))
            .filter(wave => wave.services.length > 0),
        })),
      },
    };
  });
  return {
    kind,
    shards,
    platformPipeline: kind !== 'single',
    platformEdges: kind === 'single' ? [] : plan.environments.filter(e => e.edge),
  };
}
