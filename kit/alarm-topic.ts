import * as cdk from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/**
 * An SNS topic for CloudWatch alarms, encrypted with `key` (a customer
 * managed key: CloudWatch cannot use an AWS managed one), refusing publishes
 * without TLS, and open to the alarms of its own account only.
 */
export function alarmTopic(scope: Construct, id: string, key: kms.IKey, displayName: string): sns.Topic {
  const stack = cdk.Stack.of(scope);
  const topic = new sns.Topic(scope, id, { displayName, masterKey: key, enforceSSL: true });
  // CloudWatch publishes the alarms of this account, and only those, to the topic...
  topic.addToResourcePolicy(new iam.PolicyStatement({
    sid: 'AllowAlarmsOfThisAccount',
    principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
    actions: ['sns:Publish'],
    resources: [topic.topicArn],
    conditions: {
      ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: cdk.ArnFormat.COLON_RESOURCE_NAME }) },
      StringEquals: { 'aws:SourceAccount': stack.account },
    },
  }));
  // ... and needs the topic's key to do so. AWS's documented form
  // (SNS guide, "Enable compatibility between event sources from AWS services
  // and encrypted topics"; knowledge-center article cloudwatch-configure-alarm-sns):
  // the cloudwatch.amazonaws.com principal, kms:Decrypt and kms:GenerateDataKey*,
  // Resource "*" (a key policy's own key), narrowed by a global source
  // condition key: aws:SourceAccount, the account of the alarm (this stack's),
  // so alarms of another account cannot have CloudWatch use the key for them.
  key.addToResourcePolicy(new iam.PolicyStatement({
    sid: 'AllowCloudWatchAlarmsOfThisAccount',
    principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
    actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
    resources: ['*'],
    conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
  }));
  return topic;
}
