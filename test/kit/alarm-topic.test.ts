import * as cdk from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { alarmTopic } from '../../kit';
import { loadSample } from '../fixtures/organization';
import { decide } from '../governance/simulate';

const organization = loadSample();
const prod = organization.accounts.find(a => a.name === 'prod')!;
const ACCOUNT = prod.id;
// Another account of the organization: the organization's resource control policies let its services in, the key policy must not.
const OTHER_ACCOUNT = organization.accounts.find(a => a.name === 'dev')!.id;
const KEY_ARN = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/11111111-2222-4333-8444-555555555555`;

/** A stack with an alarm topic, as the service stacks and the trail alarms make it. */
function topicTemplate(): Template {
  const stack = new cdk.Stack(new cdk.App(), 'Alarms', { env: { account: ACCOUNT, region: 'eu-west-1' } });
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  alarmTopic(stack, 'Topic', key, 'alarms');
  return Template.fromStack(stack);
}

/** The statements of the key policy that name a service principal (free of CloudFormation intrinsics, so they can be simulated as written). */
function serviceStatements(template: Template): Array<Record<string, unknown>> {
  const [key] = Object.values(template.findResources('AWS::KMS::Key'));
  return (key.Properties.KeyPolicy.Statement as Array<Record<string, unknown>>)
    .filter(s => typeof (s.Principal as { Service?: unknown } | undefined)?.Service === 'string');
}

describe('the alarm topic\'s key', () => {
  const template = topicTemplate();

  test('lets CloudWatch use it in AWS\'s documented form: the service principal, Decrypt and GenerateDataKey*, for this account\'s alarms', () => {
    // SNS guide, "Enable compatibility between event sources from AWS services and encrypted topics",
    // and knowledge-center "cloudwatch-configure-alarm-sns": Principal cloudwatch.amazonaws.com,
    // Action kms:Decrypt + kms:GenerateDataKey*, Resource "*", narrowed by a global source condition key.
    expect(serviceStatements(template)).toEqual([{
      Sid: 'AllowCloudWatchAlarmsOfThisAccount',
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Resource: '*',
      Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
    }]);
  });

  describe('simulated', () => {
    const policy = { Version: '2012-10-17', Statement: serviceStatements(template) };
    const asCloudWatch = (action: string, sourceAccount: string) => decide(organization, {
      account: prod,
      principal: 'cloudwatch.amazonaws.com',
      action,
      resource: KEY_ARN,
      identityPolicies: [],
      resourcePolicy: policy,
      context: {
        'aws:SourceAccount': sourceAccount,
        'aws:SourceOrgID': organization.id,
        'aws:PrincipalIsAWSService': 'true',
        'aws:PrincipalServiceName': 'cloudwatch.amazonaws.com',
      },
    });

    test.each(['kms:GenerateDataKey', 'kms:Decrypt'])('CloudWatch may %s for an alarm of this account', async action => {
      expect(await asCloudWatch(action, ACCOUNT)).toBe('Allowed');
    });

    test('CloudWatch acting for an alarm of another account, even of the organization, may not (confused deputy)', async () => {
      expect(await asCloudWatch('kms:GenerateDataKey', OTHER_ACCOUNT)).toBe('ImplicitlyDenied');
    });

    test('nothing else is granted to CloudWatch', async () => {
      expect(await asCloudWatch('kms:Encrypt', ACCOUNT)).toBe('ImplicitlyDenied');
      expect(await asCloudWatch('kms:ScheduleKeyDeletion', ACCOUNT)).toBe('ImplicitlyDenied');
    });
  });
});

describe('the alarm topic', () => {
  test('accepts publishes from CloudWatch for this account\'s alarms only, over TLS', () => {
    const template = topicTemplate();
    const [policy] = Object.values(template.findResources('AWS::SNS::TopicPolicy'));
    const statements = policy.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>;
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({
        Sid: 'AllowAlarmsOfThisAccount',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Condition: {
          ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:cloudwatch:eu-west-1:${ACCOUNT}:alarm:*`]] } },
          StringEquals: { 'aws:SourceAccount': ACCOUNT },
        },
      }),
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    ]));
  });
});
