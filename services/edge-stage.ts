import * as cdk from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { EdgeFrontStack } from './edge-front';
import { EdgeStack, edgeStackName } from './edge-stack';
import { EDGE_FRONT_REGION, Environment, Organization } from '../accounts';
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
 * the environment's services (their public routes attach to it). With WAF,
 * the front (CloudFront and the web ACL, services/edge-front.ts) is in
 * us-east-1: in that region's edge stack, or in a stack of its own named
 * `edge-<env>-us-east-1`; it deploys after the primary region's stack, which
 * creates the origin secret and WAF's log bucket it uses.
 */
export class EdgeStage extends cdk.Stage {
  /** The stacks, one per region, primary region first (then the front's own stack, if any). */
  public readonly stacks: readonly cdk.Stack[];

  constructor(scope: Construct, id: string, props: EdgeStageProps) {
    const env = props.environment;
    super(scope, id, { ...props, env: { account: env.account.id, region: env.regions[0] } });
    const regional = env.regions.map(region => new EdgeStack(this, region, {
      stackName: edgeStackName(env.name, region),
      organization: props.organization,
      environment: env,
      region,
      authorizerBundle: props.authorizerBundle,
    }));
    const stacks: cdk.Stack[] = [...regional];
    if (env.edge?.waf) {
      let front = regional.find(s => s.region === EDGE_FRONT_REGION) as cdk.Stack | undefined;
      if (!front) {
        front = new EdgeFrontStack(this, EDGE_FRONT_REGION, {
          stackName: edgeStackName(env.name, EDGE_FRONT_REGION),
          organization: props.organization,
          environment: env,
        });
        stacks.push(front);
      }
      if (front !== regional[0]) front.addStackDependency(regional[0], 'the origin secret\'s replica and WAF\'s log bucket come from the primary region');
    }
    this.stacks = stacks;
  }
}
