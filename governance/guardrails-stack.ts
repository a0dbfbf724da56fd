import * as cdk from 'aws-cdk-lib';
import * as organizations from 'aws-cdk-lib/aws-organizations';
import { Construct } from 'constructs';
import { Organization } from '../accounts';
import { denyLeavingOrganization, policyDocument } from './guardrails';

/** Properties of a {@link GuardrailsStack}. */
export interface GuardrailsStackProps extends cdk.StackProps {
  /** The resolved organization whose root and OUs get the guardrails. */
  readonly organization: Organization;
}

/**
 * Service control policies of the organization, deployed to the management
 * account (only it, or a delegated administrator, may manage policies).
 *
 * Prerequisite: the SERVICE_CONTROL_POLICY type is enabled on the root (the
 * bootstrap tool does this; CloudFormation cannot).
 */
export class GuardrailsStack extends cdk.Stack {
  constructor(scope: Construct, id: string, props: GuardrailsStackProps) {
    const org = props.organization;
    super(scope, id, {
      description: `Service control policies of organization ${org.name} (${org.id})`,
      ...props,
      env: { account: org.managementAccount.id, region: org.homeRegion },
    });

    // Attached to the root, so it applies to every member account, present
    // and future. (SCPs never restrict the management account itself.)
    // Renaming the construct id replaces the policy: a brief window without it.
    new organizations.CfnPolicy(this, 'DenyLeavingOrganization', {
      name: `${org.name}-deny-leaving-organization`,
      description: 'Member accounts cannot leave the organization and its guardrails',
      type: 'SERVICE_CONTROL_POLICY',
      // An object (not a string) so CloudFormation drift detection works.
      content: policyDocument(denyLeavingOrganization()),
      targetIds: [org.rootId],
    });
  }
}
