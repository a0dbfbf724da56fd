import * as cdk from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { Organization } from '../accounts';
import { GuardrailsStack } from './guardrails-stack';

/** Properties of a {@link GovernanceStage}. */
export interface GovernanceStageProps extends cdk.StageProps {
  readonly organization: Organization;
}

/** The governance stacks, as a pipeline deploys them to the management account. */
export class GovernanceStage extends cdk.Stage {
  /** The stacks of the stage. */
  public readonly stacks: readonly cdk.Stack[];

  constructor(scope: Construct, id: string, props: GovernanceStageProps) {
    const org = props.organization;
    super(scope, id, { ...props, env: { account: org.managementAccount.id, region: org.homeRegion } });
    this.stacks = [new GuardrailsStack(this, 'Guardrails', { organization: org, stackName: 'Governance-Guardrails' })];
  }
}
