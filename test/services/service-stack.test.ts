import * as path from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { loadServices, smokeTestFor } from '../../services';
import { ASSEMBLIES, expectNoFindings, FIXTURE_SERVICES_DIR, fixtureOrganization, sharedAssemblies } from '../fixtures/assembly';

const organization = fixtureOrganization();
const services = loadServices({ servicesDir: FIXTURE_SERVICES_DIR, organization, displayDir: path.join('test', 'fixtures', 'services') });
// The fixture services' stacks without a pipeline (buildPlatform), with CDK's default feature flags; and
// the same stacks as their pipeline deploys them (`cdk synth`, cdk.json's flags), under policy validation.
const [app, deployed] = sharedAssemblies([ASSEMBLIES.fixturePlatform, ASSEMBLIES.fixture]);
const stack = (id: string) => {
  if (!app.stacks.some(s => s.stackName === id && s.className === 'ServiceStack')) throw new Error(`no service stack ${id}`);
  return app.assembly.getStackByName(id);
};
const ordersProd = Template.fromJSON(stack('orders-prod-eu-west-1').template);
const ordersDev = Template.fromJSON(stack('orders-dev-eu-west-1').template);
const catalogProd = Template.fromJSON(stack('catalog-prod-eu-west-1').template);
const catalogDev = Template.fromJSON(stack('catalog-dev-eu-west-1').template);

describe('one stack per (service, environment, region)', () => {
  test('every service in every region of every environment, in the right account', () => {
    const ids = app.stacks.filter(s => s.className === 'ServiceStack').map(s => `${s.stackName}@${app.assembly.getStackByName(s.stackName).environment.account}`);
    expect(ids.sort()).toEqual([
      'catalog-dev-eu-west-1@100000000004', 'catalog-prod-eu-central-1@100000000005', 'catalog-prod-eu-west-1@100000000005',
      'orders-dev-eu-west-1@100000000004', 'orders-prod-eu-central-1@100000000005', 'orders-prod-eu-west-1@100000000005',
    ]);
  });

  test('the whole app passes cdk-nag (AWS Solutions, PCI DSS 3.2.1, Serverless) with every finding fixed or acknowledged', () => {
    expectNoFindings(deployed);
  });

  test('tags every resource with service, environment, cost center and owner', () => {
    ordersProd.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      Replicas: [Match.objectLike({
        Tags: Match.arrayWith([
          { Key: 'cost-center', Value: 'CC-9002' }, { Key: 'environment', Value: 'prod' },
          { Key: 'owner', Value: 'team-orders' }, { Key: 'service', Value: 'orders' },
        ]),
      })],
    });
  });
});

describe('IAM', () => {
  test('puts every role of a service stack under /workload/, the path production guardrails let act', () => {
    for (const template of [ordersProd, ordersDev, catalogProd]) {
      const roles = Object.values(template.findResources('AWS::IAM::Role'));
      expect(roles.length).toBeGreaterThan(2);
      expect(roles.map(r => r.Properties.Path)).toEqual(roles.map(() => '/workload/'));
    }
  });
});

describe('build once, deploy many', () => {
  const assetKeys = (t: Template) => Object.values(t.findResources('AWS::Lambda::Function'))
    .map(r => (r as { Properties: { Code: { S3Key: string } } }).Properties.Code.S3Key).sort();

  test('dev and prod, in every region, deploy the same bundles (same asset hashes)', () => {
    expect(assetKeys(ordersProd)).toHaveLength(2); // the function and the pre-traffic hook
    expect(assetKeys(ordersDev)).toEqual(assetKeys(ordersProd));
    expect(assetKeys(Template.fromJSON(stack('orders-prod-eu-central-1').template))).toEqual(assetKeys(ordersProd));
  });

  test('each function runs the newest Node.js on ARM64 with active tracing, a DLQ and source maps', () => {
    ordersProd.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      Handler: 'index.handler',
      MemorySize: 512,
      ReservedConcurrentExecutions: 20,
      DeadLetterConfig: { TargetArn: Match.anyValue() },
      Environment: { Variables: Match.objectLike({ NODE_OPTIONS: '--enable-source-maps' }) },
    });
  });
});

describe('prod', () => {
  test('shifts traffic by the manifest\'s canary and rolls back on failure, stop or alarm', () => {
    ordersProd.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
      DeploymentConfigName: 'CodeDeployDefault.LambdaCanary10Percent15Minutes',
      AutoRollbackConfiguration: {
        Enabled: true,
        Events: Match.arrayWith(['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST', 'DEPLOYMENT_STOP_ON_ALARM']),
      },
      AlarmConfiguration: Match.objectLike({ Enabled: true }),
    });
  });

  test('defaults to canary 10% for 5 minutes', () => {
    catalogProd.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
      DeploymentConfigName: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
    });
  });

  test('wires the errors, p99 latency and throttles alarms (manifest thresholds) on the live alias to the deployment group', () => {
    const alarms = ordersProd.findResources('AWS::CloudWatch::Alarm');
    type AlarmProps = { MetricName: string; Threshold: number; ExtendedStatistic?: string; Dimensions: Array<{ Name: string }> };
    const byMetric = Object.fromEntries(Object.entries(alarms).map(([id, a]) => {
      const p = (a as { Properties: AlarmProps }).Properties;
      return [p.MetricName, { id, threshold: p.Threshold, stat: p.ExtendedStatistic, dimensionNames: p.Dimensions.map(d => d.Name) }];
    }));
    expect(byMetric.Errors.threshold).toBe(2);
    expect(byMetric.Duration).toMatchObject({ threshold: 700, stat: 'p99' });
    expect(byMetric.Throttles.threshold).toBe(3);
    // Resource = function:alias, so a canary's errors count.
    expect(byMetric.Errors.dimensionNames).toEqual(expect.arrayContaining(['FunctionName', 'Resource']));
    ordersProd.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
      AlarmConfiguration: {
        Enabled: true,
        Alarms: [{ Name: { Ref: byMetric.Errors.id } }, { Name: { Ref: byMetric.Duration.id } }, { Name: { Ref: byMetric.Throttles.id } }],
      },
    });
  });

  test('runs the pre-traffic hook before the live alias moves', () => {
    const hooks = ordersProd.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { SMOKE_TESTS: Match.anyValue() } } } });
    const [hookId] = Object.keys(hooks);
    expect(hookId).toMatch(/^PreTrafficHook/);
    ordersProd.hasResource('AWS::Lambda::Alias', {
      Properties: { Name: 'live' },
      UpdatePolicy: { CodeDeployLambdaAliasUpdate: Match.objectLike({ BeforeAllowTrafficHook: { Ref: hookId } }) },
    });
  });

  test('the hook may invoke versions of the service\'s functions and report to CodeDeploy', () => {
    ordersProd.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^PreTrafficHookRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'lambda:InvokeFunction', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^FncreateOrderFunction'), 'Arn'] }, ':*']] } }),
          Match.objectLike({ Action: 'codedeploy:GetDeployment' }),
          Match.objectLike({ Action: 'codedeploy:PutLifecycleEventHookExecutionStatus' }),
        ]),
      },
    });
  });

  test('puts a WAF web ACL with AWS managed rules and a rate limit in front of the stage', () => {
    ordersProd.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'REGIONAL',
      Rules: Match.arrayWith([
        Match.objectLike({ Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesCommonRuleSet' } } }),
        Match.objectLike({ Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesKnownBadInputsRuleSet' } } }),
        Match.objectLike({ Statement: { RateBasedStatement: Match.objectLike({ AggregateKeyType: 'IP' }) } }),
      ]),
    });
    ordersProd.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
    ordersProd.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
      RedactedFields: [{ SingleHeader: { Name: 'authorization' } }],
    });
  });

  test('names what an operator reads, and every resource\'s logical id, by stack: the same wherever a pipeline places the stack '
    + '(a new name would replace them)', () => {
    const inStage = deployed.assembly.stacksRecursively.filter(st => st.stackName === 'orders-prod-eu-west-1');
    expect(inStage).toHaveLength(1);
    const nested = Template.fromJSON(inStage[0].template);
    const named = (template: Template) => [
      ...Object.values(template.findResources('AWS::Logs::LogGroup')).map(r => (r as { Properties: { LogGroupName?: unknown } }).Properties.LogGroupName),
      ...Object.values(template.findResources('AWS::IAM::Role')).map(r => (r as { Properties: { Description?: unknown } }).Properties.Description),
      ...Object.values(template.findResources('AWS::CloudWatch::Alarm'))
        .map(r => (r as { Properties: { AlarmDescription?: unknown } }).Properties.AlarmDescription),
    ].filter(n => typeof n === 'string').sort();
    expect(named(ordersProd)).toEqual(expect.arrayContaining([
      'aws-waf-logs-orders-prod-eu-west-1-api',
      'Execution role of orders-prod-eu-west-1/Fn-createOrder',
      '2+ errors in a minute on orders-prod-eu-west-1/Fn-createOrder (live alias)',
    ]));
    // Built at the top of an app here, inside the pipeline's stage there.
    expect(named(nested)).toEqual(named(ordersProd));
    // And every resource keeps its logical id (a new id would replace it): the API's invoke permissions and the queue
    // consumers' event source mappings too, whose ids CDK derives from construct paths.
    for (const name of ['orders-prod-eu-west-1', 'catalog-prod-eu-west-1']) {
      // Versions and API deployments end in a hash of their content (CDK's feature flags differ between the two apps): left out.
      const ids = (template: unknown) => Object.keys((template as { Resources: object }).Resources).map(id => id.replace(/[0-9a-f]{32}$/, '')).sort();
      const top = ids(app.assembly.getStackByName(name).template);
      expect(top.filter(id => /Permission$|SqsEventSource$/.test(id)).length).toBeGreaterThan(0);
      expect(ids(deployed.assembly.stacksRecursively.find(st => st.stackName === name)!.template)).toEqual(top);
    }
  });

  test('names the API stage after the environment, with JSON access logs, X-Ray and throttling', () => {
    ordersProd.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      TracingEnabled: true,
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('"requestId"') },
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200, LoggingLevel: 'ERROR', DataTraceEnabled: false })],
    });
  });

  test('authorizes every method with IAM and validates the body against the api.yaml schema', () => {
    ordersProd.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      AuthorizationType: 'AWS_IAM',
      RequestValidatorId: Match.anyValue(),
      RequestModels: { 'application/json': Match.anyValue() },
    });
    ordersProd.hasResourceProperties('AWS::ApiGateway::Model', {
      Schema: {
        $schema: 'http://json-schema.org/draft-04/schema#',
        type: 'object',
        required: ['itemId', 'quantity'],
        additionalProperties: false,
        properties: { itemId: { type: 'string' }, quantity: { type: 'integer', minimum: 1 } },
      },
    });
    ordersProd.hasResourceProperties('AWS::ApiGateway::RequestValidator', { ValidateRequestBody: true, ValidateRequestParameters: true });
  });

  test('refuses callers outside the organization in the API resource policy', () => {
    ordersProd.hasResourceProperties('AWS::ApiGateway::RestApi', {
      Policy: {
        Statement: Match.arrayWith([Match.objectLike({
          Effect: 'Deny',
          Action: 'execute-api:Invoke',
          Condition: { StringNotEquals: { 'aws:PrincipalOrgID': 'o-testorg123' } },
        })]),
      },
    });
  });

  test('encrypts the secret, the queues and the table with the service key, with PITR and deletion protection', () => {
    const [keyId] = Object.keys(ordersProd.findResources('AWS::KMS::Key'));
    ordersProd.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    ordersProd.hasResourceProperties('AWS::SecretsManager::Secret', { KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    ordersProd.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    ordersProd.hasResource('AWS::DynamoDB::GlobalTable', {
      Properties: Match.objectLike({
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
        Replicas: [Match.objectLike({
          DeletionProtectionEnabled: true,
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          SSESpecification: { KMSMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } },
        })],
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      }),
      DeletionPolicy: 'Retain',
    });
  });

  test('keeps logs for the manifest\'s retention, encrypted, and retained', () => {
    const [keyId] = Object.keys(ordersProd.findResources('AWS::KMS::Key'));
    const logGroups = Object.values(ordersProd.findResources('AWS::Logs::LogGroup'));
    expect(logGroups.length).toBeGreaterThanOrEqual(3);
    for (const group of logGroups) {
      expect(group).toMatchObject({
        Properties: { RetentionInDays: 400, KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } },
        DeletionPolicy: 'Retain',
      });
    }
  });

  test('passes secret ARNs, table names and per-environment values, never secret values', () => {
    ordersProd.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          SECRET_SIGNING_KEY_ARN: { Ref: Match.stringLikeRegexp('^Secretsigningkey') },
          TABLE_ORDERS_NAME: { Ref: Match.stringLikeRegexp('^Tableorders') },
          CURRENCY: 'EUR',
          LIMIT: '5',
          ENVIRONMENT: 'prod',
          POWERTOOLS_SERVICE_NAME: 'orders',
        }),
      },
    });
  });
});

describe('operations', () => {
  test('each stack has a dashboard of its functions (alias metrics), API and queues', () => {
    const [dashboard] = Object.values(catalogProd.findResources('AWS::CloudWatch::Dashboard')) as Array<{ Properties: { DashboardBody: unknown; DashboardName: string } }>;
    expect(dashboard.Properties.DashboardName).toBe('catalog-prod-eu-west-1');
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const title of ['getItem: invocations and errors', 'consumeItemEvents: duration p50 / p99 (ms)', 'API: requests, 4xx, 5xx', 'Queue item-events: backlog and age']) {
      expect(body).toContain(title);
    }
  });
});

describe('on-call', () => {
  const alarmTopic = (t: Template) => {
    const [id] = Object.entries(t.findResources('AWS::SNS::Topic')).find(([, r]) => String(r.Properties.DisplayName).endsWith('alarms'))!;
    return { Ref: id };
  };
  const endpoints = (t: Template) => Object.values(t.findResources('AWS::SNS::Subscription'))
    .filter(r => JSON.stringify(r.Properties.TopicArn) === JSON.stringify(alarmTopic(t)))
    .map(r => `${r.Properties.Protocol} ${r.Properties.Endpoint}`);

  test('every alarm of the service goes to its topic, which the manifest\'s on-call for that environment subscribes to', () => {
    // orders: email in prod, a Slack channel in dev (test/fixtures/services/orders/service.ts).
    expect(endpoints(ordersProd)).toEqual(['email orders-oncall@test.example']);
    expect(ordersProd.findResources('AWS::Chatbot::SlackChannelConfiguration')).toEqual({});
    expect(endpoints(ordersDev)).toEqual([]);
    ordersDev.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
      ConfigurationName: 'testorg-orders-dev-eu-west-1-slack-0', SlackWorkspaceId: 'T0TEST', SlackChannelId: 'C0ORDERS', SnsTopicArns: [alarmTopic(ordersDev)],
    });
    // catalog: one email for every environment.
    expect(endpoints(catalogDev)).toEqual(['email catalog-oncall@test.example']);
    expect(endpoints(catalogProd)).toEqual(['email catalog-oncall@test.example']);
    for (const alarm of Object.values(ordersProd.findResources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmActions).toEqual([alarmTopic(ordersProd)]);
    }
  });
});

describe('dev', () => {
  test('deploys all at once, without WAF, and lets data go with the stack', () => {
    ordersDev.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', { DeploymentConfigName: 'CodeDeployDefault.LambdaAllAtOnce' });
    ordersDev.resourceCountIs('AWS::WAFv2::WebACL', 0);
    ordersDev.hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Delete' });
    ordersDev.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ LIMIT: '10', ENVIRONMENT: 'dev', POWERTOOLS_LOG_LEVEL: 'DEBUG' }) },
    });
  });
});

describe('calls between services', () => {
  test('the caller finds its dependency\'s API and queue through SSM, at deploy time', () => {
    ordersProd.hasParameter('*', { Type: 'AWS::SSM::Parameter::Value<String>', Default: '/testorg/prod/services/catalog/api-url' });
    ordersProd.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          CATALOG_API_URL: { Ref: Match.stringLikeRegexp('SsmParameterValuetestorgprodservicescatalogapiurl') },
          CATALOG_QUEUE_ITEM_EVENTS_URL: { Ref: Match.stringLikeRegexp('SsmParameterValuetestorgprodservicescatalogqueuesitemeventsurl') },
        }),
      },
    });
  });

  test('the caller may invoke only the dependency\'s stage and send to its queue', () => {
    ordersProd.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^FncreateOrderRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'execute-api:Invoke',
            Resource: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':execute-api:eu-west-1:100000000005:'), '/prod/*'])] },
          }),
          Match.objectLike({ Action: 'sqs:SendMessage', Resource: { Ref: Match.stringLikeRegexp('catalogqueuesitemeventsarn') } }),
          Match.objectLike({ Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: { Ref: Match.stringLikeRegexp('catalogkmskeyarn') } }),
        ]),
      },
    });
  });

  test('the provider publishes its API and queue for its dependents', () => {
    for (const name of ['api-url', 'api-id', 'queues/item-events/url', 'queues/item-events/arn', 'kms-key-arn']) {
      catalogDev.hasResourceProperties('AWS::SSM::Parameter', { Name: `/testorg/dev/services/catalog/${name}`, Type: 'String' });
    }
  });

  test('queue consumers read through the live alias and report partial batch failures', () => {
    catalogProd.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      // <function name>:live
      FunctionName: {
        'Fn::Join': ['', [
          { 'Fn::Select': [6, { 'Fn::Split': [':', { Ref: Match.stringLikeRegexp('^FnconsumeItemEventsLiveAlias') }] }] }, ':live',
        ]],
      },
      BatchSize: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    catalogProd.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { maxReceiveCount: 3, deadLetterTargetArn: Match.anyValue() },
      VisibilityTimeout: 120, // six times the consumer's 20 s timeout
    });
  });
});

describe('smokeTestFor', () => {
  const [orders, catalog] = ['orders', 'catalog'].map(n => services.find(s => s.manifest.name === n)!.manifest);

  test('sends a route its configured body and expects the configured status', () => {
    const test = smokeTestFor(orders.functions.createOrder, 'prod');
    expect(test).toMatchObject({ kind: 'http', expectStatus: [400], event: { httpMethod: 'POST', path: '/orders', body: '{}' } });
  });

  test('fills path parameters and leaves the status open by default', () => {
    const test = smokeTestFor(catalog.functions.getItem, 'dev');
    expect(test.expectStatus).toBeUndefined();
    expect(test.event).toMatchObject({ path: '/items/smoke-test', pathParameters: { itemId: 'smoke-test' }, requestContext: { stage: 'dev' } });
  });

  test('sends a queue consumer an empty batch', () => {
    expect(smokeTestFor(catalog.functions.consumeItemEvents, 'dev')).toEqual({ kind: 'queue', event: { Records: [] } });
  });
});

describe('Control Tower proactive controls', () => {
  type Statement = { Effect: string; Principal?: unknown; Action: string | string[]; Condition?: Record<string, Record<string, unknown>> };
  const keyPolicyOf = (t: Template) => {
    const [key] = Object.values(t.findResources('AWS::KMS::Key')) as Array<{ Properties: { KeyPolicy: { Statement: Statement[] } } }>;
    return key.Properties.KeyPolicy.Statement;
  };
  /** Whether a Deny statement's BoolIfExists conditions all hold (absent keys count as holding). */
  const denies = (statement: Statement, context: Record<string, 'true' | 'false'>) =>
    Object.entries(statement.Condition?.BoolIfExists ?? {}).every(([key, value]) => context[key] === undefined || context[key] === value);

  test('every rollback alarm notifies the stack\'s alarm topic when it fires and when it clears', () => {
    const [topicId] = Object.keys(ordersProd.findResources('AWS::SNS::Topic'));
    const alarms = Object.values(ordersProd.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(3);
    for (const alarm of alarms) {
      expect(alarm).toMatchObject({ Properties: { AlarmActions: [{ Ref: topicId }], OKActions: [{ Ref: topicId }] } });
    }
  });

  test('the alarm topic is encrypted with the service key, refuses requests without TLS and takes only this account\'s alarms', () => {
    const [keyId] = Object.keys(ordersProd.findResources('AWS::KMS::Key'));
    const [topicId] = Object.keys(ordersProd.findResources('AWS::SNS::Topic'));
    ordersProd.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    ordersProd.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Principal: '*', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: {
              ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:eu-west-1:100000000005:alarm:*']] } },
              StringEquals: { 'aws:SourceAccount': '100000000005' },
            },
          }),
        ]),
      },
    });
    // CloudWatch encrypts what it publishes with the topic's key.
    expect(keyPolicyOf(ordersProd)).toEqual(expect.arrayContaining([expect.objectContaining({
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Condition: { StringEquals: { 'aws:SourceAccount': '100000000005' } },
    })]));
  });

  test('the service key refuses grants except those AWS services make for AWS resources', () => {
    const denyGrants = keyPolicyOf(ordersProd).filter(s => s.Effect === 'Deny' && s.Action === 'kms:CreateGrant');
    expect(denyGrants).toEqual([expect.objectContaining({
      Principal: { AWS: '*' },
      Resource: '*',
      Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
    })]);
    const [deny] = denyGrants;
    // A role creating a grant for itself or another principal is refused...
    expect(denies(deny, { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' })).toBe(true);
    expect(denies(deny, { 'aws:PrincipalIsAWSService': 'false' })).toBe(true);
    // ...DynamoDB creating one for the table on the caller's behalf, or a service principal, is not.
    expect(denies(deny, { 'kms:GrantIsForAWSResource': 'true', 'aws:PrincipalIsAWSService': 'false' })).toBe(false);
    expect(denies(deny, { 'aws:PrincipalIsAWSService': 'true' })).toBe(false);
  });

  test('API Gateway may invoke a route\'s live alias only through its own stage, method and path; console test invocations may not', () => {
    const permissions = Object.values(ordersProd.findResources('AWS::Lambda::Permission')) as Array<{ Properties: Record<string, unknown> }>;
    expect(permissions).toHaveLength(1); // one route: POST /orders
    const [permission] = permissions;
    expect(permission.Properties).toMatchObject({
      Action: 'lambda:InvokeFunction',
      Principal: 'apigateway.amazonaws.com',
      FunctionName: { Ref: expect.stringMatching(/^FncreateOrderLiveAlias/) },
      SourceArn: {
        'Fn::Join': ['', expect.arrayContaining([
          ':execute-api:eu-west-1:100000000005:', { Ref: expect.stringMatching(/^ApiDeploymentStageprod/) }, '/POST/orders',
        ])],
      },
    });
    expect(JSON.stringify(permissions)).not.toContain('test-invoke-stage');
  });
});
