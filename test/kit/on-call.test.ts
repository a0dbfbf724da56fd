import * as cdk from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { CHAT_GUARDRAIL_POLICY, OnCallDestination, OnCallSubscriptions, onCallResourceCount } from '../../kit';

const TENANT = '11111111-2222-4333-8444-555555555555';
const TEAM = '66666666-7777-4888-9999-aaaaaaaaaaaa';
const EVERY_KIND: readonly OnCallDestination[] = [
  { kind: 'email', address: 'oncall@test.example' },
  { kind: 'webhook', url: 'https://events.example.com/integration/abc/enqueue' },
  { kind: 'slack', workspaceId: 'T0TEST', channelId: 'C0ALERTS' },
  { kind: 'teams', tenantId: TENANT, teamId: TEAM, channelId: '19%3aabc%40thread.tacv2' },
];

/** A stack with a topic and its on-call subscriptions for `endpoints`. */
function subscribed(endpoints: readonly OnCallDestination[]): { stack: cdk.Stack; template: Template } {
  const stack = new cdk.Stack(new cdk.App(), 'OnCallTest', { env: { account: '100000000005', region: 'eu-west-1' } });
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const topic = new sns.Topic(stack, 'Topic', { masterKey: key, enforceSSL: true });
  new OnCallSubscriptions(stack, 'OnCall', {
    topic, key, endpoints, chatNamePrefix: 'acme-orders-prod-eu-west-1', emailLossReason: 'test: an email bounce loses nothing',
  });
  return { stack, template: Template.fromStack(stack) };
}

const topicRef = (template: Template) => ({ Ref: Object.keys(template.findResources('AWS::SNS::Topic'))[0] });

describe('on-call subscriptions', () => {
  const { stack, template } = subscribed(EVERY_KIND);

  test('an email endpoint is an email subscription of the topic', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@test.example', TopicArn: topicRef(template) });
  });

  test('a webhook is an https subscription, retried with backoff, its undelivered alarms kept in an encrypted queue that raises an alarm', () => {
    const queues = template.findResources('AWS::SQS::Queue');
    const [queueId] = Object.keys(queues);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'https',
      Endpoint: 'https://events.example.com/integration/abc/enqueue',
      TopicArn: topicRef(template),
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
      DeliveryPolicy: { healthyRetryPolicy: Match.objectLike({ numRetries: 20, minDelayTarget: 5, maxDelayTarget: 60, backoffFunction: 'EXPONENTIAL' }) },
    });
    expect(queues[queueId].Properties).toMatchObject({
      KmsMasterKeyId: { 'Fn::GetAtt': [Object.keys(template.findResources('AWS::KMS::Key'))[0], 'Arn'] },
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [topicRef(template)],
    });
  });

  test('SNS may use the key to fill the dead-letter queue, for this account\'s topics only', () => {
    const [key] = Object.values(template.findResources('AWS::KMS::Key'));
    expect(key.Properties.KeyPolicy.Statement).toContainEqual({
      Sid: 'AllowSnsDeadLetterDelivery',
      Effect: 'Allow',
      Principal: { Service: 'sns.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Resource: '*',
      Condition: {
        StringEquals: { 'aws:SourceAccount': '100000000005' },
        ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sns:eu-west-1:100000000005:*']] } },
      },
    });
  });

  test('Slack and Teams channels receive the topic, through a role that can do nothing, under a read-only guardrail', () => {
    const guardrail = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::aws:policy/${CHAT_GUARDRAIL_POLICY}`]] };
    const [roleId, role] = Object.entries(template.findResources('AWS::IAM::Role'))[0];
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({ Action: 'sts:AssumeRole', Principal: { Service: 'chatbot.amazonaws.com' } }),
    ]);
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(role.Properties.Policies).toBeUndefined();
    expect(template.findResources('AWS::IAM::Policy')).toEqual({});
    template.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
      ConfigurationName: 'acme-orders-prod-eu-west-1-slack-0',
      SlackWorkspaceId: 'T0TEST',
      SlackChannelId: 'C0ALERTS',
      SnsTopicArns: [topicRef(template)],
      IamRoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] },
      GuardrailPolicies: [guardrail],
      LoggingLevel: 'ERROR',
    });
    template.hasResourceProperties('AWS::Chatbot::MicrosoftTeamsChannelConfiguration', {
      ConfigurationName: 'acme-orders-prod-eu-west-1-teams-1',
      TeamsTenantId: TENANT,
      TeamId: TEAM,
      TeamsChannelId: '19%3aabc%40thread.tacv2',
      SnsTopicArns: [topicRef(template)],
      IamRoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] },
      GuardrailPolicies: [guardrail],
    });
  });

  test('onCallResourceCount counts what the construct adds (the pipeline\'s resources-per-stack check relies on it)', () => {
    const added = (endpoints: readonly OnCallDestination[]) => {
      const resources = subscribed(endpoints).template.toJSON().Resources as Record<string, unknown>;
      const base = subscribed([]).template.toJSON().Resources as Record<string, unknown>;
      return Object.keys(resources).length - Object.keys(base).length;
    };
    expect(added(EVERY_KIND)).toBe(onCallResourceCount(EVERY_KIND));
    expect(added([EVERY_KIND[0]])).toBe(onCallResourceCount([EVERY_KIND[0]]));
    expect(added([EVERY_KIND[1]])).toBe(onCallResourceCount([EVERY_KIND[1]]));
  });

  test('no chat endpoint, no role', () => {
    const only = subscribed([EVERY_KIND[0]]).template;
    expect(only.findResources('AWS::IAM::Role')).toEqual({});
    expect(only.findResources('AWS::Chatbot::SlackChannelConfiguration')).toEqual({});
  });

  test('raises no error annotations', () => {
    expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
  });
});
