import * as cdk from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { BREAK_GLASS_ROLE_NAME, Organization } from '../accounts';
import { alarmTopic, denyGrantsNotForAwsResources, OnCallSubscriptions } from '../kit';

/** The log group Control Tower's organization trail delivers to, in the management account's home region. */
export const CONTROL_TOWER_TRAIL_LOG_GROUP = 'aws-controltower/CloudTrailLogs';

/** Namespace of the alarms' metrics. */
export const TRAIL_METRICS_NAMESPACE = 'Platform/OrganizationTrail';

/** One watched kind of event: a metric filter on the organization trail and an alarm on its count. */
interface WatchedEvent {
  readonly id: string;
  readonly description: string;
  readonly pattern: logs.IFilterPattern;
}

/** Properties of {@link OrganizationTrailAlarms}. */
export interface OrganizationTrailAlarmsProps {
  readonly organization: Organization;
  /** The organization trail's log group. @default CONTROL_TOWER_TRAIL_LOG_GROUP */
  readonly logGroupName?: string;
}

/**
 * Alarms on the organization trail (every account, every region) for events
 * that must never go unnoticed: the break-glass role assumed (every use is
 * an incident), and any activity of an account's root user (CIS AWS
 * Foundations 1.7). They alert the platform's on-call
 * (`onCall` in accounts/organization.ts) within a minute.
 */
export class OrganizationTrailAlarms extends Construct {
  /** Where the alarms go. */
  public readonly topic: sns.Topic;
  /** The alarms, by id. */
  public readonly alarms: Readonly<Record<string, cloudwatch.Alarm>>;

  constructor(scope: Construct, id: string, props: OrganizationTrailAlarmsProps) {
    super(scope, id);
    const org = props.organization;
    const key = new kms.Key(this, 'Key', {
      description: `Encrypts ${org.name}'s security alerts`,
      enableKeyRotation: true,
    });
    key.addToResourcePolicy(denyGrantsNotForAwsResources());
    this.topic = alarmTopic(this, 'Topic', key, `${org.name} security alerts`);
    new OnCallSubscriptions(this, 'OnCall', {
      topic: this.topic,
      key,
      endpoints: org.onCall,
      chatNamePrefix: `${org.name}-security-alerts-${cdk.Stack.of(this).region}`,
      emailLossReason: 'Email endpoint: SNS does not retry a bounced email, so a dead-letter queue would stay empty; '
        + 'the alarm state and the trail itself keep the event',
    });
    const logGroup = logs.LogGroup.fromLogGroupName(this, 'TrailLogs', props.logGroupName ?? CONTROL_TOWER_TRAIL_LOG_GROUP);
    const watched: WatchedEvent[] = [
      {
        id: 'BreakGlassAssumed',
        description: `Someone assumed ${BREAK_GLASS_ROLE_NAME} in a member account: confirm it is a declared incident`,
        pattern: logs.FilterPattern.all(
          logs.FilterPattern.stringValue('$.eventSource', '=', 'sts.amazonaws.com'),
          logs.FilterPattern.stringValue('$.eventName', '=', 'AssumeRole'),
          logs.FilterPattern.stringValue('$.requestParameters.roleArn', '=', `*:role/${BREAK_GLASS_ROLE_NAME}`),
        ),
      },
      {
        id: 'RootUserActivity',
        description: 'A root user acted (outside AWS service events): root credentials may be compromised',
        pattern: logs.FilterPattern.all(
          logs.FilterPattern.stringValue('$.userIdentity.type', '=', 'Root'),
          logs.FilterPattern.notExists('$.userIdentity.invokedBy'),
          logs.FilterPattern.stringValue('$.eventType', '!=', 'AwsServiceEvent'),
        ),
      },
    ];
    const alarms: Record<string, cloudwatch.Alarm> = {};
    for (const event of watched) {
      const filter = new logs.MetricFilter(this, `${event.id}Filter`, {
        logGroup,
        filterPattern: event.pattern,
        metricNamespace: TRAIL_METRICS_NAMESPACE,
        metricName: event.id,
        metricValue: '1',
      });
      const alarm = new cloudwatch.Alarm(this, `${event.id}Alarm`, {
        alarmDescription: event.description,
        metric: filter.metric({ statistic: cloudwatch.Stats.SUM, period: cdk.Duration.minutes(1) }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(new SnsAction(this.topic));
      alarms[event.id] = alarm;
    }
    this.alarms = alarms;
  }
}
