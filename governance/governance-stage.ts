import * as cdk from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { Organization } from '../accounts';
import { ControlTowerStack } from './control-tower-stack';
import { GuardrailsStack } from './guardrails-stack';
import { MemberRolesStack } from './member-roles-stack';
import { tagPlatformStacks } from './platform-tags';

/** Properties of a {@link GovernanceStage}. */
export interface GovernanceStageProps extends cdk.StageProps {
  readonly organization: Organization;
  /**
   * The project's policy validation, applied to the templates synthesized
   * apart from the stage (the StackSets' member-account templates).
   * @default - those templates are not validated
   */
  readonly templateValidation?: (app: cdk.App) => void;
}

/**
 * The governance stacks, as the governance pipeline deploys them: in the
 * management account, the Control Tower landing zone with its baselines and
 * controls, the organization's policies and the StackSets of the member
 * accounts' roles.
 *
 * Stack names are fixed (`Governance-*`): renaming one creates a new stack
 * beside the old, and both would manage the same organization resources.
 */
export class GovernanceStage extends cdk.Stage {
  /** The stacks of the stage. */
  public readonly stacks: readonly cdk.Stack[];

  constructor(scope: Construct, id: string, props: GovernanceStageProps) {
    const org = props.organization;
    super(scope, id, { ...props, env: { account: org.managementAccount.id, region: org.homeRegion } });
    this.stacks = [
      new ControlTowerStack(this, 'ControlTower', { organization: org, stackName: 'Governance-ControlTower' }),
      new GuardrailsStack(this, 'Guardrails', { organization: org, stackName: 'Governance-Guardrails' }),
      new MemberRolesStack(this, 'MemberRoles', {
        organization: org,
        stackName: 'Governance-MemberRoles',
        templateValidation: props.templateValidation,
      }),
    ];
    tagPlatformStacks(this, org, 'governance');
  }
}
