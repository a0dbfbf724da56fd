import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ConfigError } from '../../accounts';
import { accountBudgets, anomalyThresholdExpression, CostBaselineStack } from '../../governance';
import { addPolicyValidation } from '../../pipeline';
import { loadSample } from '../fixtures/organization';
import { CACHED_VALIDATION } from '../fixtures/validation';

const MANAGEMENT = '100000000000';
const ACCOUNT_IDS: Record<string, string> = {
  'management': MANAGEMENT,
  'log-archive': '100000000001',
  'audit': '100000000002',
  'tooling': '100000000003',
  'dev': '100000000004',
  'prod': '100000000005',
};

type Budget = {
  Budget: {
    BudgetName: string;
    BudgetType: string;
    TimeUnit: string;
    BudgetLimit: { Amount: number; Unit: string };
    CostFilters: Record<string, string[]>;
  };
  NotificationsWithSubscribers: Array<{
    Notification: { NotificationType: string; ComparisonOperator: string; Threshold: number; ThresholdType: string };
    Subscribers: Array<{ SubscriptionType: string; Address: unknown }>;
  }>;
};

describe('CostBaselineStack', () => {
  const organization = loadSample(d => {
    d.governance.budgets.actualThresholdsPercent = [50, 90, 100];
    d.governance.budgets.forecastThresholdPercent = 110;
    // The platform on-call is named by the budgets too: it is subscribed once.
    d.governance.budgets.notificationEmails = ['finops@test.example', 'cto@test.example', 'Platform-OnCall@test.example'];
    d.governance.costAnomaly = { thresholdUsd: 250, thresholdPercent: 35 };
  });
  const stack = new CostBaselineStack(new cdk.App(), 'CostBaseline', { organization });
  const template = Template.fromStack(stack);
  const topicRef = () => {
    const ids = Object.keys(template.findResources('AWS::SNS::Topic'));
    expect(ids).toHaveLength(1);
    return { Ref: ids[0] };
  };
  const budgets = () => Object.values(template.findResources('AWS::Budgets::Budget')).map(r => r.Properties as Budget);

  test('deploys to the management (payer) account in us-east-1, where Cost Explorer\'s resources exist', () => {
    expect(stack.account).toBe(MANAGEMENT);
    expect(stack.region).toBe('us-east-1');
  });

  test('one monthly cost budget per account, management included, filtered to that linked account', () => {
    const byAccount = Object.fromEntries(budgets().map(b => [b.Budget.CostFilters.LinkedAccount.join(), b.Budget]));
    expect(Object.keys(byAccount).sort()).toEqual(Object.values(ACCOUNT_IDS).sort());
    for (const b of Object.values(byAccount)) {
      expect(b).toMatchObject({ BudgetType: 'COST', TimeUnit: 'MONTHLY', BudgetLimit: { Unit: 'USD' } });
      expect(Object.keys(b.CostFilters)).toEqual(['LinkedAccount']);
    }
    expect(byAccount[ACCOUNT_IDS.prod].BudgetName).toBe('testorg-prod-monthly');
  });

  test('each budget\'s amount is the account\'s override or the default', () => {
    const amounts = Object.fromEntries(budgets().map(b => [b.Budget.CostFilters.LinkedAccount[0], b.Budget.BudgetLimit.Amount]));
    expect(amounts).toEqual({
      [ACCOUNT_IDS.management]: 100,
      [ACCOUNT_IDS['log-archive']]: 100,
      [ACCOUNT_IDS.audit]: 100,
      [ACCOUNT_IDS.tooling]: 100,
      [ACCOUNT_IDS.dev]: 100,
      [ACCOUNT_IDS.prod]: 1000,
    });
    expect(accountBudgets(organization).find(b => b.name === 'management')).toEqual({ name: 'management', accountId: MANAGEMENT, amountUsd: 100 });
  });

  test('alerts on actual spend at each threshold and once on forecast spend, all to the topic', () => {
    const topic = topicRef();
    for (const b of budgets()) {
      expect(b.NotificationsWithSubscribers.map(n => n.Notification)).toEqual([
        { NotificationType: 'ACTUAL', ComparisonOperator: 'GREATER_THAN', Threshold: 50, ThresholdType: 'PERCENTAGE' },
        { NotificationType: 'ACTUAL', ComparisonOperator: 'GREATER_THAN', Threshold: 90, ThresholdType: 'PERCENTAGE' },
        { NotificationType: 'ACTUAL', ComparisonOperator: 'GREATER_THAN', Threshold: 100, ThresholdType: 'PERCENTAGE' },
        { NotificationType: 'FORECASTED', ComparisonOperator: 'GREATER_THAN', Threshold: 110, ThresholdType: 'PERCENTAGE' },
      ]);
      for (const n of b.NotificationsWithSubscribers) expect(n.Subscribers).toEqual([{ SubscriptionType: 'SNS', Address: topic }]);
    }
  });

  test('a model with more thresholds than AWS Budgets allows notifications fails synth, saying how many fit', () => {
    const tooMany = loadSample(d => { d.governance.budgets.actualThresholdsPercent = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]; });
    const build = () => new CostBaselineStack(new cdk.App(), 'TooMany', { organization: tooMany });
    expect(build).toThrow(ConfigError);
    expect(build).toThrow('governance.budgets.actualThresholdsPercent lists 10 thresholds; with the forecast alert that makes 11 '
      + 'notifications per budget, and AWS Budgets allows at most 10: list at most 9');
  });

  test('the topic is encrypted with a rotating customer managed key, and refuses requests without TLS', () => {
    const keys = Object.entries(template.findResources('AWS::KMS::Key'));
    expect(keys).toHaveLength(1);
    expect(keys[0][1].Properties.EnableKeyRotation).toBe(true);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keys[0][0], 'Arn'] } });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Effect: 'Deny', Action: 'sns:Publish', Principal: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        })]),
      },
    });
  });

  test('only Budgets and Cost Anomaly Detection acting for this account may publish', () => {
    const statements = Object.values(template.findResources('AWS::SNS::TopicPolicy'))[0].Properties.PolicyDocument.Statement as
      Array<{ Effect: string; Principal: unknown; Condition: Record<string, Record<string, unknown>> }>;
    const allows = statements.filter(s => s.Effect === 'Allow');
    expect(allows.map(s => s.Principal)).toEqual([{ Service: 'budgets.amazonaws.com' }, { Service: 'costalerts.amazonaws.com' }]);
    for (const s of allows) expect(s.Condition.StringEquals).toEqual({ 'aws:SourceAccount': MANAGEMENT });
    expect(allows[0].Condition.ArnLike['aws:SourceArn']).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:budgets::${MANAGEMENT}:*`]] });
  });

  test('the key lets those two services, for this account only, encrypt messages for the topic', () => {
    const statements = Object.values(template.findResources('AWS::KMS::Key'))[0].Properties.KeyPolicy.Statement as
      Array<{ Principal?: { Service?: string }; Action: string[]; Condition?: unknown }>;
    for (const service of ['budgets.amazonaws.com', 'costalerts.amazonaws.com']) {
      const s = statements.find(x => x.Principal?.Service === service);
      expect(s?.Action).toEqual(['kms:GenerateDataKey*', 'kms:Decrypt']);
      expect(s?.Condition).toEqual({ StringEquals: { 'aws:SourceAccount': MANAGEMENT } });
    }
  });

  test('the platform on-call and every other address of the budgets are subscribed by email, each once', () => {
    const subscriptions = Object.values(template.findResources('AWS::SNS::Subscription')).map(r => r.Properties);
    expect(subscriptions.map(s => s.Endpoint).sort()).toEqual(['cto@test.example', 'finops@test.example', 'platform-oncall@test.example']);
    for (const s of subscriptions) expect(s).toMatchObject({ Protocol: 'email', TopicArn: topicRef() });
  });

  test('anomaly detection monitors AWS services and alerts at once through the topic', () => {
    const monitors = Object.entries(template.findResources('AWS::CE::AnomalyMonitor'));
    expect(monitors).toHaveLength(1);
    expect(monitors[0][1].Properties).toMatchObject({ MonitorType: 'DIMENSIONAL', MonitorDimension: 'SERVICE' });
    template.hasResourceProperties('AWS::CE::AnomalySubscription', {
      Frequency: 'IMMEDIATE',
      MonitorArnList: [{ 'Fn::GetAtt': [monitors[0][0], 'MonitorArn'] }],
      Subscribers: [{ Type: 'SNS', Address: topicRef() }],
    });
  });

  test('an anomaly alerts when its impact reaches both the amount and the percentage of the model', () => {
    const subscription = Object.values(template.findResources('AWS::CE::AnomalySubscription'))[0].Properties;
    expect(JSON.parse(subscription.ThresholdExpression as string)).toEqual({
      And: [
        { Dimensions: { Key: 'ANOMALY_TOTAL_IMPACT_ABSOLUTE', MatchOptions: ['GREATER_THAN_OR_EQUAL'], Values: ['250'] } },
        { Dimensions: { Key: 'ANOMALY_TOTAL_IMPACT_PERCENTAGE', MatchOptions: ['GREATER_THAN_OR_EQUAL'], Values: ['35'] } },
      ],
    });
    expect(JSON.parse(anomalyThresholdExpression(100, 20)).And[0].Dimensions.Values).toEqual(['100']);
  });

  test('an existing AWS services monitor is subscribed to instead of creating a second one', () => {
    const existing = 'arn:aws:ce::100000000000:anomalymonitor/11111111-2222-3333-4444-555555555555';
    const t = Template.fromStack(new CostBaselineStack(new cdk.App(), 'Existing', { organization, existingServiceMonitorArn: existing }));
    t.resourceCountIs('AWS::CE::AnomalyMonitor', 0);
    t.hasResourceProperties('AWS::CE::AnomalySubscription', { MonitorArnList: [existing] });
  });

  test('the model can name the existing monitor (costAnomaly.existingServiceMonitorArn)', () => {
    const existing = 'arn:aws:ce::100000000000:anomalymonitor/11111111-2222-3333-4444-555555555555';
    const declared = loadSample(d => { d.governance.costAnomaly = { existingServiceMonitorArn: existing }; });
    const t = Template.fromStack(new CostBaselineStack(new cdk.App(), 'Declared', { organization: declared }));
    t.resourceCountIs('AWS::CE::AnomalyMonitor', 0);
    t.hasResourceProperties('AWS::CE::AnomalySubscription', { MonitorArnList: [existing] });
  });
});

describe('CostBaselineStack under the project\'s policy validation', () => {
  test('synthesizes with no unacknowledged AwsSolutions, PCI DSS, Serverless or Control Tower finding', () => {
    const app = new cdk.App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'cost-baseline-')) });
    addPolicyValidation(app, CACHED_VALIDATION);
    new CostBaselineStack(app, 'CostBaseline', { organization: loadSample() });
    expect(() => app.synth()).not.toThrow();
  });
});
