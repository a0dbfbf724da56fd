import * as cdk from 'aws-cdk-lib';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledgeFindings } from './nag';

/**
 * Where a topic's messages go, as the construct needs it. The declaration's
 * endpoints (accounts/on-call-model.ts, which the kit may not import) have
 * this shape, plus the environments they are for.
 */
export type OnCallDestination =
  | { readonly kind: 'email'; readonly address: string }
  | { readonly kind: 'webhook'; readonly url: string }
  | { readonly kind: 'slack'; readonly workspaceId: string; readonly channelId: string }
  | { readonly kind: 'teams'; readonly tenantId: string; readonly teamId: string; readonly channelId: string };

/**
 * The guardrail of every chat channel: the most a channel member could do
 * through the channel's role (which has no permissions: the channel only
 * receives alarms). AWS's default guardrail is AdministratorAccess.
 */
export const CHAT_GUARDRAIL_POLICY = 'CloudWatchReadOnlyAccess';

// SNS retries an https endpoint 3 times in about a minute by default: a paging
// service restarting for two minutes would lose the page. 20 tries with
// exponential backoff over about 15 minutes stays within SNS's limits (100 tries, one hour).
const WEBHOOK_DELIVERY: sns.DeliveryPolicy = {
  healthyRetryPolicy: {
    numRetries: 20,
    minDelayTarget: cdk.Duration.seconds(5),
    maxDelayTarget: cdk.Duration.seconds(60),
    backoffFunction: sns.BackoffFunction.EXPONENTIAL,
  },
};

/** AWS::Chatbot configuration names: 1-128 letters, digits, `-` or `_`, unique in the account (they are global, not regional). */
function chatConfigurationName(prefix: string, kind: string, index: number): string {
  const name = `${prefix}-${kind}-${index}`.replace(/[^A-Za-z0-9_-]/g, '-');
  if (name.length > 128) throw new Error(`chat configuration name ${name} is longer than the 128 characters AWS allows`);
  return name;
}

/** Properties of {@link OnCallSubscriptions}. */
export interface OnCallSubscriptionsProps {
  /** The topic whose messages reach the endpoints. */
  readonly topic: sns.ITopic;
  /** The topic's key: it also encrypts the webhooks' dead-letter queues. */
  readonly key: kms.IKey;
  /** The endpoints, already filtered to those of this topic (e.g. of one environment). */
  readonly endpoints: readonly OnCallDestination[];
  /**
   * Prefix of the chat configurations' names, unique in the account across
   * regions (chat configurations are global), e.g. `acme-payments-prod-eu-west-1`.
   */
  readonly chatNamePrefix: string;
  /** Why an email that bounces loses nothing (SNS does not retry email, so a dead-letter queue would stay empty). */
  readonly emailLossReason: string;
}

/**
 * Subscribes a topic's on-call endpoints: email, https webhooks (retried with
 * backoff for about 15 minutes, then kept 14 days in an encrypted
 * dead-letter queue that raises an alarm on the same topic), and Slack or
 * Microsoft Teams channels through AWS's chat integration (AWS::Chatbot),
 * whose role can do nothing and whose guardrail is read-only.
 */
export class OnCallSubscriptions extends Construct {
  /** The chat channels' role (absent without chat endpoints). */
  public readonly chatRole?: iam.Role;

  constructor(scope: Construct, id: string, props: OnCallSubscriptionsProps) {
    super(scope, id);
    const { topic, key } = props;
    const webhooks = props.endpoints.filter(e => e.kind === 'webhook');
    const chats = props.endpoints.filter(e => e.kind === 'slack' || e.kind === 'teams');

    for (const endpoint of props.endpoints) {
      if (endpoint.kind !== 'email') continue;
      const subscription = topic.addSubscription(new subscriptions.EmailSubscription(endpoint.address));
      acknowledgeFindings(subscription, ['Serverless-SNSRedrivePolicy'], props.emailLossReason);
    }

    if (webhooks.length > 0) {
      // SNS moves undeliverable messages into the encrypted queue: it needs the key, for this account's
      // topics only (the topic's own ARN would make the key and the topic depend on each other).
      const stack = cdk.Stack.of(this);
      key.addToResourcePolicy(new iam.PolicyStatement({
        sid: 'AllowSnsDeadLetterDelivery',
        principals: [new iam.ServicePrincipal('sns.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'sns', resource: '*', arnFormat: cdk.ArnFormat.NO_RESOURCE_NAME }) },
        },
      }));
    }
    webhooks.forEach((endpoint, i) => {
      if (endpoint.kind !== 'webhook') return;
      // Construct ids follow the endpoint's position: reordering the list replaces the queues (they hold only undelivered alarms).
      const deadLetters = new sqs.Queue(this, `Undelivered${i}`, {
        encryption: sqs.QueueEncryption.KMS,
        encryptionMasterKey: key,
        enforceSSL: true,
        retentionPeriod: cdk.Duration.days(14),
      });
      acknowledgeFindings(deadLetters, ['AwsSolutions-SQS3', 'Serverless-SQSRedrivePolicy', 'cdk-validator-cfnguard::sqs_dlq_check'],
        'This is the dead-letter queue of an SNS webhook subscription: the end of the line, kept 14 days for an operator to read and re-send');
      topic.addSubscription(new subscriptions.UrlSubscription(endpoint.url, {
        protocol: sns.SubscriptionProtocol.HTTPS,
        deadLetterQueue: deadLetters,
        deliveryPolicy: WEBHOOK_DELIVERY,
      }));
      // A webhook that stops answering must not fail silently: the topic's other endpoints (and the console) hear of it.
      new cloudwatch.Alarm(this, `Undelivered${i}Alarm`, {
        alarmDescription: `Alarms could not be delivered to ${new URL(endpoint.url).host}: they wait in the dead-letter queue ${deadLetters.node.path}`,
        metric: deadLetters.metricApproximateNumberOfMessagesVisible({ period: cdk.Duration.minutes(5), statistic: 'Maximum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }).addAlarmAction(new SnsAction(topic));
    });

    if (chats.length === 0) return;
    this.chatRole = new iam.Role(this, 'ChatRole', {
      assumedBy: new iam.ServicePrincipal('chatbot.amazonaws.com'),
      description: 'Chat channels that receive alarms: no permissions, the channels only read notifications',
    });
    const guardrail = iam.ManagedPolicy.fromAwsManagedPolicyName(CHAT_GUARDRAIL_POLICY);
    chats.forEach((endpoint, i) => {
      if (endpoint.kind === 'slack') {
        new chatbot.SlackChannelConfiguration(this, `Slack${i}`, {
          slackChannelConfigurationName: chatConfigurationName(props.chatNamePrefix, 'slack', i),
          slackWorkspaceId: endpoint.workspaceId,
          slackChannelId: endpoint.channelId,
          role: this.chatRole,
          guardrailPolicies: [guardrail],
          notificationTopics: [topic],
          loggingLevel: chatbot.LoggingLevel.ERROR,
        });
      } else if (endpoint.kind === 'teams') {
        // No L2 for Teams channels yet.
        new chatbot.CfnMicrosoftTeamsChannelConfiguration(this, `Teams${i}`, {
          configurationName: chatConfigurationName(props.chatNamePrefix, 'teams', i),
          teamsTenantId: endpoint.tenantId,
          teamId: endpoint.teamId,
          teamsChannelId: endpoint.channelId,
          iamRoleArn: this.chatRole!.roleArn,
          guardrailPolicies: [guardrail.managedPolicyArn],
          snsTopicArns: [topic.topicArn],
          loggingLevel: 'ERROR',
        });
      }
    });
  }
}

/**
 * CloudFormation resources {@link OnCallSubscriptions} adds to a stack for
 * `endpoints`, for the resources-per-stack check: a subscription each
 * (email, webhook), a queue, its policy and an alarm per webhook, a
 * configuration per chat channel and one role when there is any.
 */
export function onCallResourceCount(endpoints: readonly OnCallDestination[]): number {
  const chats = endpoints.filter(e => e.kind === 'slack' || e.kind === 'teams').length;
  return endpoints.reduce((n, e) => n + (e.kind === 'email' ? 1 : e.kind === 'webhook' ? 4 : 1), 0) + (chats > 0 ? 1 : 0);
}
