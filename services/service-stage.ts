import * as cdk from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { Environment, Organization } from '../accounts';
import { FunctionBundle } from './bundle';
import { Service, ServiceManifest } from './service-model';
import { ServiceStack } from './service-stack';

/** Properties of a {@link ServiceStage}. */
export interface ServiceStageProps extends cdk.StageProps {
  readonly service: Service;
  readonly organization: Organization;
  readonly environment: Environment;
  /** This service's bundles by function id. */
  readonly bundles: Readonly<Record<string, FunctionBundle>>;
  readonly hookBundle: FunctionBundle;
  /** Manifests of the services in `dependsOn`. */
  readonly dependencies: readonly ServiceManifest[];
}

/**
 * One service in one environment, as a pipeline deploys it: a stack per
 * region of the environment, named `<service>-<env>-<region>`, with its own
 * rollback. Stages of one wave deploy in parallel.
 */
export class ServiceStage extends cdk.Stage {
  /** The stacks, one per region, primary region first. */
  public readonly stacks: readonly ServiceStack[];
  /** The API URL output of each stack that has an API, by region. */
  public readonly apiUrls: Readonly<Record<string, cdk.CfnOutput>>;

  constructor(scope: Construct, id: string, props: ServiceStageProps) {
    super(scope, id, { ...props, env: { account: props.environment.account.id, region: props.environment.regions[0] } });
    this.stacks = props.environment.regions.map(region => new ServiceStack(this, region, {
      stackName: `${props.service.manifest.name}-${props.environment.name}-${region}`,
      service: props.service,
      organization: props.organization,
      environment: props.environment,
      region,
      bundles: props.bundles,
      hookBundle: props.hookBundle,
      dependencies: props.dependencies,
    }));
    this.apiUrls = Object.fromEntries(this.stacks.filter(s => s.apiUrlOutput).map(s => [s.region, s.apiUrlOutput!]));
  }
}
