import * as cdk from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ServiceStack, ServiceStackProps } from './service-stack';

/** Properties of a {@link ServiceStage}: those of its stacks, less the region (a stack per region of the environment). */
export interface ServiceStageProps extends cdk.StageProps,
  Pick<ServiceStackProps, 'service' | 'organization' | 'environment' | 'bundles' | 'hookBundle' | 'dependencies'> {}

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
