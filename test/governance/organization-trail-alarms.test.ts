import * as cdk from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ControlTowerStack } from '../../governance';
import { addPolicyValidation } from '../../pipeline';
import { loadSample } from '../fixtures/organization';
import { CACHED_VALIDATION } from '../fixtures/validation';

// The platform's on-call, as onCall declares it: an email and a Slack channel.
const organization = loadSample(d => {
  d.onCall = [{ email: 'oncall@test.example' }, { slack: { workspaceId: 'T0TEST', channelId: 'C0SECURITY' } }];
});

describe('alarms on the organization trail', () => {
  const app = new cdk.App();
  addPolicyValidation(app, CACHED_VALIDATION);
  const stack = new ControlTowerStack(app, 'ControlTower', { organization });
  const template = Template.fromStack(stack);
  const filters = Object.values(template.findResources('AWS::Logs::MetricFilter')).map(f => f.Properties);

  test('watch Control Tower\'s trail log group, after the landing zone creates it', () => {
    expect(filters).toHaveLength(2);
    for (const f of filters) expect(f.LogGroupName).toBe('aws-controltower/CloudTrailLogs');
    const landingZone = Object.keys(template.findResources('AWS::ControlTower::LandingZone'))[0];
    for (const [, f] of Object.entries(template.findResources('AWS::Logs::MetricFilter'))) {
      expect(f.DependsOn).toContain(landingZone);
    }
  });

  test('count every assumption of the break-glass role, in any account', () => {
    expect(filters.map(f => f.FilterPattern)).toContainEqual(
      '{ ($.eventSource = "sts.amazonaws.com") && ($.eventName = "AssumeRole") && ($.requestParameters.roleArn = "*:role/platform-break-glass") }');
  });

  test('count root user activity that is not an AWS service event (CIS 1.7)', () => {
    expect(filters.map(f => f.FilterPattern)).toContainEqual(
      '{ ($.userIdentity.type = "Root") && ($.userIdentity.invokedBy NOT EXISTS) && ($.eventType != "AwsServiceEvent") }');
  });

  test('alarm on the first occurrence, to an encrypted topic the on-call subscribes to', () => {
    const topic = Object.keys(template.findResources('AWS::SNS::Topic', { Properties: { DisplayName: 'testorg security alerts' } }))[0];
    template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', {
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: topic }],
    }, 2);
    template.hasResourceProperties('AWS::SNS::Topic', { DisplayName: 'testorg security alerts', KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@test.example', TopicArn: { Ref: topic } });
    template.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
      SlackWorkspaceId: 'T0TEST', SlackChannelId: 'C0SECURITY', SnsTopicArns: [{ Ref: topic }],
    });
  });

  test('pass the policy validation', () => {
    expect(() => app.synth()).not.toThrow();
  });
});
