import * as cdk from 'aws-cdk-lib';
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

/**
 * Key policy statement: CloudWatch Logs of the key's own region may use it
 * for the log groups of the key's own account and region (and no other
 * service or account), so those log groups can be encrypted with it.
 */
export function allowCloudWatchLogs(scope: cdk.Stack): iam.PolicyStatement {
  return new iam.PolicyStatement({
    principals: [new iam.ServicePrincipal(`logs.${scope.region}.amazonaws.com`)],
    actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
    resources: ['*'],
    conditions: {
      ArnLike: { 'kms:EncryptionContext:aws:logs:arn': scope.formatArn({ service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: cdk.ArnFormat.COLON_RESOURCE_NAME }) },
    },
  });
}
