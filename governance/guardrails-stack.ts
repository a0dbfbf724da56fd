import * as cdk from 'aws-cdk-lib';
import * as organizations from 'aws-cdk-lib/aws-organizations';
import { Construct } from 'constructs';
import { Organization } from '../accounts';
import { ComposedPolicy, composeOrganizationPolicies, OrganizationPolicies } from './organization-policies';

/** Properties of a {@link GuardrailsStack}. */
export interface GuardrailsStackProps extends cdk.StackProps {
  /** The resolved organization whose root and OUs get the guardrails. */
  readonly organization: Organization;
}

/**
 * The organization's service control policies, resource control policies
 * and tag policy, composed per target from the model
 * (`governance.serviceControlPolicies` / `resourceControlPolicies`) and
 * attached to the root and OU ids of the lock file. Deployed to the
 * management account (only it, or a delegated administrator, manages policies).
 *
 * Synth fails with a {@link ConfigError} when a target would exceed an AWS
 * quota (see {@link composeOrganizationPolicies}).
 *
 * Prerequisite: the policy types are enabled on the root (the bootstrap tool
 * does it; CloudFormation cannot).
 */
export class GuardrailsStack extends cdk.Stack {
  /** What the stack attaches, with sizes and per-target counts. */
  public readonly composition: OrganizationPolicies;

  constructor(scope: Construct, id: string, props: GuardrailsStackProps) {
    const org = props.organization;
    super(scope, id, {
      description: `Service control, resource control and tag policies of organization ${org.name} (${org.id})`,
      ...props,
      env: { account: org.managementAccount.id, region: org.homeRegion },
    });
    this.composition = composeOrganizationPolicies(org);
    for (const policy of this.composition.policies) {
      // The construct id is the policy name: renaming it replaces the policy,
      // leaving the target briefly without it.
      new organizations.CfnPolicy(this, policy.name, {
        name: policy.name,
        description: describe(policy),
        type: policy.type,
        // An object (not a string) so CloudFormation drift detection works.
        content: policy.content,
        targetIds: [policy.targetId],
      });
    }
  }
}

function describe(policy: ComposedPolicy): string {
  return `${policy.guardrails.join(', ')} (${policy.target}; managed by the governance pipeline)`.slice(0, 512);
}
