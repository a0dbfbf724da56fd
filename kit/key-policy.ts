import * as iam from 'aws-cdk-lib/aws-iam';

/**
 * Key policy statement: no grant on the key unless it is for an AWS resource
 * (a service such as DynamoDB creating it on its caller's behalf) or an AWS
 * service principal creates it. Stops a principal allowed kms:CreateGrant
 * from handing lasting use of the key to anyone, outside key policy and IAM
 * (Control Tower CT.KMS.PR.3).
 */
export function denyGrantsNotForAwsResources(): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'DenyGrantsNotForAwsResources',
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['kms:CreateGrant'],
    resources: ['*'],
    conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
  });
}
