import * as cdk from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { accountWithRole, Organization } from '../accounts';
import { FunctionBundle } from '../kit';
import { ControlTowerStack } from './control-tower-stack';
import { COST_BASELINE_REGION, CostBaselineStack } from './cost-baseline-stack';
import { GuardrailsStack } from './guardrails-stack';
import { GovernanceHandler } from './handlers/entries';
import { MemberRolesStack } from './member-roles-stack';
import { tagPlatformStacks } from './platform-tags';
import { SecurityAdministrationStack } from './security-administration-stack';
import { SecurityServicesStack } from './security-services-stack';

/** Bundles of the governance custom resources' handlers (governance/handlers/entries.ts), built once per synth. */
export type GovernanceBundles = Readonly<Record<GovernanceHandler, FunctionBundle>>;

/** Properties of a {@link GovernanceStage}. */
export interface GovernanceStageProps extends cdk.StageProps {
  readonly organization: Organization;
  /** The handlers' bundles. */
  readonly bundles: GovernanceBundles;
  /**
   * The project's policy validation, applied to the templates synthesized
   * apart from the stage (the StackSets' member-account templates).
   * @default - those templates are not validated
   */
  readonly templateValidation?: (app: cdk.App) => void;
}

/** An account and the regions the governance stacks deploy to in it. */
export interface GovernanceTarget {
  readonly account: string;
  readonly regions: readonly string[];
}

/**
 * Where the governance stage deploys: the management account (home region,
 * and us-east-1 for the cost baseline) and the security account (home
 * region). Each must be CDK-bootstrapped, the security account trusting the
 * management account (its pipeline) and, for the github engine, the governance role.
 */
export function governanceTargets(organization: Organization): GovernanceTarget[] {
  return [
    { account: organization.managementAccount.id, regions: [...new Set([organization.homeRegion, COST_BASELINE_REGION])] },
    { account: accountWithRole(organization, 'security').id, regions: [organization.homeRegion] },
  ];
}

/**
 * The governance stacks, as the governance pipeline deploys them, before any
 * service wave: in the management account, the Control Tower landing zone
 * with its baselines and controls, the organization's policies, the
 * StackSets of the member accounts' roles, the security services'
 * delegation and the cost baseline; in the security account (the delegated
 * administrator), Security Hub's central configuration and GuardDuty's
 * organization configuration.
 *
 * Stack names are fixed (`Governance-*`): renaming one creates a new stack
 * beside the old, and both would manage the same organization resources.
 */
export class GovernanceStage extends cdk.Stage {
  /** The stacks of the stage, in deployment order. */
  public readonly stacks: readonly cdk.Stack[];

  constructor(scope: Construct, id: string, props: GovernanceStageProps) {
    const org = props.organization;
    super(scope, id, { ...props, env: { account: org.managementAccount.id, region: org.homeRegion } });
    const administration = new SecurityAdministrationStack(this, 'SecurityAdministration', {
      organization: org,
      stackName: 'Governance-SecurityAdministration',
      guardDutyAdminBundle: props.bundles['guardduty-admin'],
    });
    const services = new SecurityServicesStack(this, 'SecurityServices', {
      organization: org,
      stackName: 'Governance-SecurityServices',
      guardDutyOrganizationBundle: props.bundles['guardduty-organization'],
    });
    // The security account configures the organization only once it is the delegated administrator.
    services.addStackDependency(administration);
    this.stacks = [
      new ControlTowerStack(this, 'ControlTower', { organization: org, stackName: 'Governance-ControlTower' }),
      new GuardrailsStack(this, 'Guardrails', { organization: org, stackName: 'Governance-Guardrails' }),
      new MemberRolesStack(this, 'MemberRoles', {
        organization: org,
        stackName: 'Governance-MemberRoles',
        templateValidation: props.templateValidation,
      }),
      administration,
      services,
      new CostBaselineStack(this, 'CostBaseline', { organization: org, stackName: 'Governance-CostBaseline' }),
    ];
    tagPlatformStacks(this, org, 'governance');
  }
}
