import * as cdk from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { EdgeStack, edgeStackName } from './edge-stack';
import { Environment, Organization } from '../accounts';
import { FunctionBundle } from '../kit';

/** Properties of an {@link EdgeStage}. */
export interface EdgeStageProps extends cdk.StageProps {
  readonly organization: Organization;
  /** The environment; it must declare an edge. */
  readonly environment: Environment;
  /** The edge authorizer's bundle (services/edge/authorizer.ts). */
  readonly authorizerBundle: FunctionBundle;
}

/**
 * The public edge of one environment, as a pipeline deploys it: a stack per
 * region of the environment, named `edge-<env>-<region>`, deployed before
 * the environment's services (their public routes attach to it).
 */
export class EdgeStage extends cdk.Stage {
  /** The stacks, one per region, primary region first. */
  public readonly stacks: readonly EdgeStack[];

  constructor(scope: Construct, id: string, props: EdgeStageProps) {
    super(scope, id, { ...props, env: { account: props.environment.account.id, region: props.environment.regions[0] } });
    this.stacks = props.environment.regions.map(region => new EdgeStack(this, region, {
      stackName: edgeStackName(props.environment.name, region),
      organization: props.organization,
      environment: props.environment,
      region,
      authorizerBundle: props.authorizerBundle,
    }));
  }
}
