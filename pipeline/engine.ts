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
  /** Builds the stage deploying the public edge of `environment` (services/edge-stage.ts), a stack per region. */
  readonly edgeStage: (scope: Construct, environment: string) => DeployableEdgeStage;
}

/** The public edge of one environment, as the engines add it to a pipeline. */
export interface DeployableEdgeStage extends cdk.Stage {
  /** The stacks, one per region, primary region first: `edge-<env>-<region>`. */
  readonly stacks: readonly cdk.Stack[];
}

/** The engine to render: the context override, else the declared one. */
export function selectedEngine(app: cdk.App, organization: Organization): PipelineEngine {
  return contextOverride(app, ENGINE_CONTEXT_KEY, PIPELINE_ENGINES, organization.pipeline.engine, 'an engine');
}

/**
 * CDK context `key` when it is one of `allowed` (a one-synth override of a
 * declared choice), else `declared`; any other value is refused, naming the
 * allowed ones.
 */
export function contextOverride<T extends string>(app: cdk.App, key: string, allowed: readonly T[], declared: T, what: string): T {
  const override: unknown = app.node.tryGetContext(key);
  if (override === undefined) return declared;
  if (typeof override === 'string' && (allowed as readonly string[]).includes(override)) return override as T;
  throw new ConfigError([`CDK context ${key} ${JSON.stringify(override)} is not ${what}; allowed: ${allowed.join(', ')}`]);
}
