import * as cdk from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ConfigError, Organization, PIPELINE_ENGINES, PipelineEngine } from '../accounts';
import { GovernanceStage } from '../governance';
import { DeliveryPlan } from './delivery-plan';
import { DeliveryTopology } from './topology';
import { RepositoryLayout } from './trigger-paths';

/** CDK context key that overrides the declared engine for one synth: `-c pipeline:engine=github`. */
export const ENGINE_CONTEXT_KEY = 'pipeline:engine';

/**
 * A service deployed into one environment, as the engines add it to a
 * pipeline: a stage with a stack per region (services/service-stage.ts
 * builds it; the engines need only its stacks and API URL outputs).
 */
export interface DeployableServiceStage extends cdk.Stage {
  /** The stacks, one per region, primary region first. */
  readonly stacks: readonly cdk.Stack[];
  /** The API URL output of each stack that has an API, by region. */
  readonly apiUrls: Readonly<Record<string, cdk.CfnOutput>>;
}

/** What every pipeline engine renders. */
export interface EngineProps {
  readonly organization: Organization;
  /** The order of deliveries; engines render it, never reorder it. */
  readonly plan: DeliveryPlan;
  /** The plan split into pipelines. */
  readonly topology: DeliveryTopology;
  /**
   * The one shard this synth builds (`-c platform:scope=pipeline:<id>`, a
   * service pipeline's own build): only its pipeline, no platform pipeline
   * and no governance.
   * @default - every pipeline
   */
  readonly onlyShard?: string;
  /** The repository's folders, from which the pipelines' trigger paths are derived. */
  readonly layout: RepositoryLayout;
  /**
   * The SSM parameters each dependency of `service` must have published in
   * `environment` before `service` can deploy there, by dependency.
   */
  readonly dependencyParameters: (service: string, environment: string) => Readonly<Record<string, readonly string[]>>;
  /** The id of the shard (pipeline) that deploys `service`, for messages naming a dependency's pipeline. */
  readonly shardOf: (service: string) => string;
  /** Builds the stage deploying `service` into `environment` (once per pair). */
  readonly serviceStage: (scope: Construct, environment: string, service: string) => DeployableServiceStage;
  /** Builds the governance stage (management account). */
  readonly governanceStage: (scope: Construct) => GovernanceStage;
}

/** The engine to render: the context override, else the declared one. */
export function selectedEngine(app: cdk.App, organization: Organization): PipelineEngine {
  const override: unknown = app.node.tryGetContext(ENGINE_CONTEXT_KEY);
  if (override === undefined) return organization.pipeline.engine;
  if (typeof override === 'string' && (PIPELINE_ENGINES as readonly string[]).includes(override)) {
    return override as PipelineEngine;
  }
  throw new ConfigError([`CDK context ${ENGINE_CONTEXT_KEY} ${JSON.stringify(override)} is not an engine; allowed: ${PIPELINE_ENGINES.join(', ')}`]);
}
