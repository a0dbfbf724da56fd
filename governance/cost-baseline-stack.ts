import * as cdk from 'aws-cdk-lib';
import * as budgets from 'aws-cdk-lib/aws-budgets';
import * as ce from 'aws-cdk-lib/aws-ce';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ConfigError, onCallEndpointKey, Organization } from '../accounts';
import { denyGrantsNotForAwsResources, OnCallSubscriptions } from '../kit';
import { tagPlatformStacks } from './platform-tags';

/**
 * Where the cost baseline deploys. Cost Explorer's CloudFormation resources
 * (AWS::CE::AnomalyMonitor, AnomalySubscription) exist only in us-east-1
 * (https://github.com/aws-cloudformation/cloudformation-coverage-roadmap/issues/1375),
 * and the alert topic stays next to them. Budgets are global, so their
 * region does not matter. The management account is not bound by SCPs, so
 * the region allow-list does not get in the way; the management account
 * must be CDK-bootstrapped in this region.
 */
export const COST_BASELINE_REGION = 'us-east-1';

/** AWS Budgets allows at most ten notifications per budget. */
export const MAX_BUDGET_NOTIFICATIONS = 10;

/** A monthly budget of one account. */
export interface AccountBudget {
  /** Account name in the model (the management account's included). */
  readonly name: string;
  readonly accountId: string;
  /** Monthly limit in USD. */
  readonly amountUsd: number;
}

/** Every account's monthly budget: the per-account amount of the model, or its default. */
export function accountBudgets(organization: Organization): AccountBudget[] {
  const b = organization.governance.budgets;
  return [organization.managementAccount, ...organization.accounts].map(a => ({
    name: a.name,
    accountId: a.id,
    amountUsd: b.accounts[a.name] ?? b.defaultMonthlyUsd,
  }));
}

/**
 * The anomaly subscription's threshold: alert when an anomaly's total impact
 * reaches both `thresholdUsd` and `thresholdPercent` above expected spend
 * (either alone is noisy: small services swing by large percentages, large
 * ones by large amounts). As AWS::CE::AnomalySubscription takes it: JSON text.
 */
export function anomalyThresholdExpression(thresholdUsd: number, thresholdPercent: number): string {
  const atLeast = (key: string, value: number) => ({
    Dimensions: { Key: key, MatchOptions: ['GREATER_THAN_OR_EQUAL'], Values: [String(value)] },
  });
  return JSON.stringify({
    And: [atLeast('ANOMALY_TOTAL_IMPACT_ABSOLUTE', thresholdUsd), atLeast('ANOMALY_TOTAL_IMPACT_PERCENTAGE', thresholdPercent)],
  });
}

/** Properties of a {@link CostBaselineStack}. */
export interface CostBaselineStackProps extends cdk.StackProps {
  /** The resolved organization: accounts, `governance.budgets` and `governance.costAnomaly`. */
  readonly organization: Organization;
  /**
   * An AWS services monitor (DIMENSIONAL / SERVICE) the management account
   * already has. AWS allows one per account and may have created it already
   * (new accounts get a default one); give its ARN to subscribe to it
   * instead of creating another, which would fail.
   * @default - the stack creates the monitor
   */
  readonly existingServiceMonitorArn?: string;
}

/**
 * Cost controls of the organization, in the management (payer) account,
 * which sees every linked account's spend:
 *
 * - one monthly COST budget per account (members and management), filtered
 *   to that linked account, alerting on actual spend at each threshold of
 *   the model and once on forecast spend;
 * - Cost Anomaly Detection over AWS services, alerting immediately on
 *   anomalies that reach the model's amount and percentage;
 * - both alerting through one KMS-encrypted SNS topic (TLS only) with the
 *   model's email subscriptions.
 */
export class CostBaselineStack extends cdk.Stack {
  /** Where budget and anomaly alerts go. */
  public readonly topic: sns.Topic;
  /** The budget of each account, by account name. */
  public readonly budgets: Readonly<Record<string, budgets.CfnBudget>>;
  /** The anomaly subscription. */
  public readonly anomalySubscription: ce.CfnAnomalySubscription;

  constructor(scope: Construct, id: string, props: CostBaselineStackProps) {
    const org = props.organization;
    super(scope, id, {
      description: `Budgets and cost anomaly alerts of every account of organization ${org.name} (${org.id})`,
      ...props,
      env: { account: org.managementAccount.id, region: COST_BASELINE_REGION },
    });
    tagPlatformStacks(this, org, 'governance');
    const model = org.governance.budgets;
    checkBudgetNotifications(model.actualThresholdsPercent);

    const key = new kms.Key(this, 'AlertKey', {
      description: `Encrypts the cost alerts of organization ${org.name}`,
      enableKeyRotation: true,
    });
    this.topic = new sns.Topic(this, 'AlertTopic', {
      displayName: `${org.name} cost alerts`,
      masterKey: key,
      // The topic policy refuses any request not sent over TLS.
      enforceSSL: true,
    });
    // Budgets and Cost Anomaly Detection publish for this account only (confused deputy);
    // they need the topic's key too, which an AWS managed key would not give them.
    const publishers: Array<{ sid: string; service: string; sourceArn?: string }> = [
      {
        sid: 'AllowBudgetsOfThisAccount',
        service: 'budgets.amazonaws.com',
        sourceArn: `arn:${this.partition}:budgets::${this.account}:*`,
      },
      { sid: 'AllowCostAnomalyDetectionOfThisAccount', service: 'costalerts.amazonaws.com' },
    ];
    for (const p of publishers) {
      this.topic.addToResourcePolicy(new iam.PolicyStatement({
        sid: p.sid,
        principals: [new iam.ServicePrincipal(p.service)],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': this.account },
          ...(p.sourceArn ? { ArnLike: { 'aws:SourceArn': p.sourceArn } } : {}),
        },
      }));
      key.addToResourcePolicy(new iam.PolicyStatement({
        sid: p.sid,
        principals: [new iam.ServicePrincipal(p.service)],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }));
    }
    key.addToResourcePolicy(denyGrantsNotForAwsResources());
    // The platform's on-call, and whoever the budgets name besides (finance).
    const onCall = [...org.onCall];
    const known = new Set(onCall.map(onCallEndpointKey));
    for (const address of model.notificationEmails) {
      const endpoint = { kind: 'email', address } as const;
      if (!known.has(onCallEndpointKey(endpoint))) onCall.push(endpoint);
    }
    new OnCallSubscriptions(this, 'OnCall', {
      topic: this.topic,
      key,
      endpoints: onCall,
      chatNamePrefix: `${org.name}-cost-alerts`,
      emailLossReason: 'Email endpoint: SNS does not retry a bounced email, so a dead-letter queue would stay empty; '
        + 'every alert also stays visible in AWS Budgets and Cost Anomaly Detection',
    });

    const toTopic = [{ subscriptionType: 'SNS', address: this.topic.topicArn }];
    const notifications: budgets.CfnBudget.NotificationWithSubscribersProperty[] = [
      ...model.actualThresholdsPercent.map(threshold => ({
        notification: { notificationType: 'ACTUAL', comparisonOperator: 'GREATER_THAN', threshold, thresholdType: 'PERCENTAGE' },
        subscribers: toTopic,
      })),
      {
        notification: {
          notificationType: 'FORECASTED', comparisonOperator: 'GREATER_THAN', threshold: model.forecastThresholdPercent, thresholdType: 'PERCENTAGE',
        },
        subscribers: toTopic,
      },
    ];
    const accountBudgetResources: Record<string, budgets.CfnBudget> = {};
    for (const b of accountBudgets(org)) {
      // The id and the budget name follow the account name: renaming an account replaces its budget (history is kept by AWS Budgets per name).
      const budget = new budgets.CfnBudget(this, `Budget-${b.name}`, {
        budget: {
          budgetName: `${org.name}-${b.name}-monthly`,
          budgetType: 'COST',
          timeUnit: 'MONTHLY',
          budgetLimit: { amount: b.amountUsd, unit: 'USD' },
          costFilters: { LinkedAccount: [b.accountId] },
        },
        notificationsWithSubscribers: notifications,
      });
      // Created after the topic and its policy, so that the first alert can be delivered.
      budget.node.addDependency(this.topic);
      accountBudgetResources[b.name] = budget;
    }
    this.budgets = accountBudgetResources;

    const monitorArn = props.existingServiceMonitorArn ?? org.governance.costAnomaly.existingServiceMonitorArn ?? new ce.CfnAnomalyMonitor(this, 'ServiceMonitor', {
      monitorName: `${org.name}-aws-services`,
      monitorType: 'DIMENSIONAL',
      monitorDimension: 'SERVICE',
    }).attrMonitorArn;
    const anomaly = org.governance.costAnomaly;
    this.anomalySubscription = new ce.CfnAnomalySubscription(this, 'AnomalySubscription', {
      subscriptionName: `${org.name}-cost-anomalies`,
      // SNS subscribers take IMMEDIATE alerts only (DAILY and WEEKLY are email digests).
      frequency: 'IMMEDIATE',
      monitorArnList: [monitorArn],
      subscribers: [{ type: 'SNS', address: this.topic.topicArn }],
      thresholdExpression: anomalyThresholdExpression(anomaly.thresholdUsd, anomaly.thresholdPercent),
    });
    this.anomalySubscription.node.addDependency(this.topic);
  }
}

function checkBudgetNotifications(actualThresholds: readonly number[]): void {
  const count = actualThresholds.length + 1;
  if (count > MAX_BUDGET_NOTIFICATIONS) {
    throw new ConfigError([`accounts/organization.ts: governance.budgets.actualThresholdsPercent lists ${actualThresholds.length} thresholds; `
      + `with the forecast alert that makes ${count} notifications per budget, and AWS Budgets allows at most ${MAX_BUDGET_NOTIFICATIONS}: `
      + `list at most ${MAX_BUDGET_NOTIFICATIONS - 1}`]);
  }
}
