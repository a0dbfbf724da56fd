import * as cdk from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { Environment, onCallFor, Organization, WORKLOAD_ROLE_PATH } from '../accounts';
import {
  acknowledgeInlinePolicies,
  acknowledgeFindings,
  acknowledgeNoSecretsInEnvironment,
  acknowledgeNoVpc,
  acknowledgeWildcardResource,
  acknowledgeXRay,
  alarmTopic,
  OnCallSubscriptions,
  allowCloudWatchLogs,
  denyGrantsNotForAwsResources,
  FunctionBundle,
} from '../kit';
import { EdgeRoutes } from './edge-routes';
import { SmokeTest } from './hooks/pre-traffic-hook';
import { ServiceApi } from './service-api';
import { ServiceFlags } from './service-flags';
import { SERVICE_RUNTIME, ServiceFunction } from './service-function';
import {
  defaultDeploymentStrategy,
  DeploymentStrategy,
  edgeParameters,
  runtimeVariables,
  Service,
  ServiceFunctionManifest,
  ServiceManifest,
  serviceParameters,
} from './service-model';
import { smokeTestFor } from './smoke-test';

/** Properties of a {@link ServiceStack}. */
export interface ServiceStackProps extends cdk.StackProps {
  /** The validated service to deploy. */
  readonly service: Service;
  readonly organization: Organization;
  /** The environment this copy of the service runs in. */
  readonly environment: Environment;
  /** One of the environment's regions. */
  readonly region: string;
  /** This service's bundles by function id, built once per synth and shared by every environment. */
  readonly bundles: Readonly<Record<string, FunctionBundle>>;
  /** The framework's pre-traffic hook bundle. */
  readonly hookBundle: FunctionBundle;
  /** Manifests of the services in `dependsOn` (their routes and queues). */
  readonly dependencies: readonly ServiceManifest[];
  /**
   * How traffic moves to a new version.
   * @default - the manifest's choice for this environment, else all at once
   * in the first environment, canary 10% for 5 minutes in production, linear
   * 10% a minute in between
   */
  readonly deploymentStrategy?: DeploymentStrategy;
}

/**
 * One service in one environment and region: its functions behind `live`
 * aliases with CodeDeploy traffic shifting and automatic rollback, its API,
 * tables, queues and secrets under one customer-managed key, a pre-traffic
 * smoke test, a dashboard, and SSM parameters through which its dependents
 * find it (so each service deploys on its own, with no cross-stack exports).
 */
export class ServiceStack extends cdk.Stack {
  /** Functions by id. */
  public readonly functions: Readonly<Record<string, ServiceFunction>>;
  /** The API, when the service has routes. */
  public readonly api?: ServiceApi;
  /** The key encrypting the service's data, logs, queues and alarm notifications. */
  public readonly key: kms.Key;
  /**
   * Where the rollback alarms of every function notify, on ALARM and on OK:
   * subscribe the owning team's on-call integration (pager, chat) to it.
   */
  public readonly alarmTopic: sns.Topic;
  /** The strategy CodeDeploy uses here. */
  public readonly deploymentStrategy: DeploymentStrategy;
  /** The `ApiUrl` output (for post-deploy tests), when the service has routes. */
  public readonly apiUrlOutput?: cdk.CfnOutput;
  /** Its public routes on the environment's edge, when it has some and the environment an edge. */
  public readonly edgeRoutes?: EdgeRoutes;
  /** The feature flags (AWS AppConfig), when the manifest declares any. */
  public readonly flags?: ServiceFlags;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    const { service, organization: org, environment: env } = props;
    const m = service.manifest;
    super(scope, id, {
      description: `${m.name} service (${m.description}) in ${env.name}`,
      ...props,
      env: { account: env.account.id, region: props.region },
    });
    const production = env.production;
    // Production data survives a stack deletion; other environments clean up.
    const removalPolicy = production ? cdk.RemovalPolicy.RETAIN : cdk.RemovalPolicy.DESTROY;
    const parameter = (name: string) => ssm.StringParameter.valueForStringParameter(this, name);

    cdk.Tags.of(this).add('service', m.name);
    cdk.Tags.of(this).add('environment', env.name);
    cdk.Tags.of(this).add('cost-center', m.costCenter);
    cdk.Tags.of(this).add('owner', m.owner);
    // Every role of the service (functions, CodeDeploy, hook, custom
    // resources) under one IAM path: production guardrails let roles under it
    // act (they are the application) and deny people. Changing a role's path
    // replaces the role.
    cdk.Aspects.of(this).add({
      visit: node => {
        if (node instanceof iam.CfnRole) node.path = WORKLOAD_ROLE_PATH;
      },
    });

    this.key = new kms.Key(this, 'Key', {
      description: `Encrypts data, logs and messages of ${m.name} in ${env.name}`,
      enableKeyRotation: true,
      alias: `${org.name}/${m.name}`,
      removalPolicy: cdk.RemovalPolicy.RETAIN,
    });
    // CloudWatch Logs encrypts this service's log groups with the key.
    this.key.addToResourcePolicy(allowCloudWatchLogs(this));
    this.key.addToResourcePolicy(denyGrantsNotForAwsResources());

    this.alarmTopic = alarmTopic(this, 'AlarmTopic', this.key, `${m.name} (${env.name}) alarms`);
    // The manifest's on-call for this environment (load-services makes sure there is one).
    new OnCallSubscriptions(this, 'OnCall', {
      topic: this.alarmTopic,
      key: this.key,
      endpoints: onCallFor(m.onCall, env.name),
      chatNamePrefix: `${org.name}-${m.name}-${env.name}-${props.region}`,
      emailLossReason: 'Email endpoint: SNS does not retry a bounced email, so a dead-letter queue would stay empty; '
        + 'the alarm keeps its state and history in CloudWatch',
    });
    const alarmAction = new SnsAction(this.alarmTopic);

    const tables = Object.fromEntries(Object.entries(m.tables).map(([name, t]) => [name, new dynamodb.TableV2(this, `Table-${name}`, {
      partitionKey: { name: t.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: t.sortKey ? { name: t.sortKey, type: dynamodb.AttributeType.STRING } : undefined,
      billing: dynamodb.Billing.onDemand(),
      encryption: dynamodb.TableEncryptionV2.customerManagedKey(this.key),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: t.timeToLiveAttribute,
      deletionProtection: production,
      removalPolicy,
    })]));

    const secrets = Object.fromEntries(Object.entries(m.secrets).map(([name, s]) => [name, new secretsmanager.Secret(this, `Secret-${name}`, {
      description: `${s.description} (${m.name}, ${env.name})`,
      encryptionKey: this.key,
      // A random initial value; replace or rotate it as the secret requires.
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy,
    })]));
    for (const secret of Object.values(secrets)) {
      cdk.Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason: 'Rotating an application secret needs a rotation function that knows its consumer (e.g. a dual-key window for signing keys); until the service ships one, rotation follows the secrets runbook',
      });
    }

    const queue = (queueId: string, extra: Partial<sqs.QueueProps>) => new sqs.Queue(this, queueId, {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      enforceSSL: true,
      ...extra,
    });
    const deadLetterQueue = (queueId: string) => {
      const dlq = queue(queueId, { retentionPeriod: cdk.Duration.days(14) });
      for (const rule of ['Serverless-SQSRedrivePolicy', 'cdk-validator-cfnguard::sqs_dlq_check']) {
        cdk.Validations.of(dlq).acknowledge({
          id: rule,
          reason: 'This is a dead-letter queue: the end of the line, kept 14 days for inspection and redrive by an operator',
        });
      }
      return dlq;
    };
    // Failed asynchronous invocations of every function of the stack land here.
    const asyncFailures = deadLetterQueue('AsyncFailures');

    const consumerTimeouts = new Map(Object.values(m.functions)
      .filter(fn => fn.queue).map(fn => [fn.queue!, fn.timeoutSeconds ?? m.timeoutSeconds]));
    const queues = Object.fromEntries(Object.entries(m.queues).map(([name, q]) => {
      const dlq = deadLetterQueue(`Queue-${name}-Dlq`);
      return [name, queue(`Queue-${name}`, {
        // AWS guidance: six times the consumer's timeout, so retries of a
        // batch do not overlap.
        visibilityTimeout: cdk.Duration.seconds(6 * (consumerTimeouts.get(name) ?? m.timeoutSeconds)),
        deadLetterQueue: { queue: dlq, maxReceiveCount: q.maxReceiveCount },
      })];
    }));

    const envIndex = env.order;
    this.deploymentStrategy = props.deploymentStrategy
      ?? m.deployment[env.name]
      ?? defaultDeploymentStrategy(envIndex, org.environments.length);
    const application = new codedeploy.LambdaApplication(this, 'Deployments', {
      applicationName: `${m.name}-${env.name}`,
    });
    // One CodeDeploy service role for all the stack's deployment groups.
    const deploymentRole = new iam.Role(this, 'DeploymentRole', {
      assumedBy: new iam.ServicePrincipal('codedeploy.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSCodeDeployRoleForLambdaLimited')],
      description: `CodeDeploy traffic shifting for ${m.name} (${env.name})`,
    });
    cdk.Validations.of(deploymentRole).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]',
      reason: 'The AWS managed policy made for CodeDeploy Lambda traffic shifting (Get/UpdateAlias, DescribeAlarms); AWS keeps it in step with CodeDeploy',
    });
    acknowledgeInlinePolicies(deploymentRole);

    const baseEnvironment: Record<string, string> = {
      POWERTOOLS_SERVICE_NAME: m.name,
      POWERTOOLS_METRICS_NAMESPACE: org.name,
      POWERTOOLS_LOG_LEVEL: envIndex === 0 ? 'DEBUG' : 'INFO',
      [runtimeVariables.environment]: env.name,
      // Where the flags are, by name: a flag flip changes no function.
      ...(Object.keys(m.flags).length > 0 ? ServiceFlags.variables(m, env) : {}),
      ...Object.fromEntries(Object.entries(m.environment)
        .map(([name, value]) => [name, typeof value === 'string' ? value : value[env.name]])),
    };

    const dependencies = new Map(props.dependencies.map(d => [d.name, d]));
    const functions: Record<string, ServiceFunction> = {};
    for (const [fnId, fn] of Object.entries(m.functions)) {
      const environment: Record<string, string> = { ...baseEnvironment };
      for (const table of Object.keys(fn.tables)) environment[runtimeVariables.table(table)] = tables[table].tableName;
      for (const secret of fn.secrets) environment[runtimeVariables.secret(secret)] = secrets[secret].secretArn;

      const sf = new ServiceFunction(this, `Fn-${fnId}`, {
        bundle: props.bundles[fnId],
        description: fn.description,
        memoryMiB: fn.memoryMiB ?? m.memoryMiB,
        timeoutSeconds: fn.timeoutSeconds ?? m.timeoutSeconds,
        architecture: m.architecture,
        reservedConcurrency: fn.reservedConcurrency,
        environment,
        encryptionKey: this.key,
        logRetentionDays: m.logRetentionDays,
        deadLetterQueue: asyncFailures,
        application,
        deploymentRole,
        deploymentStrategy: this.deploymentStrategy,
        alarms: m.alarms,
        alarmAction,
        removalPolicy,
      });
      functions[fnId] = sf;

      for (const [table, access] of Object.entries(fn.tables)) {
        if (access === 'read') tables[table].grantReadData(sf.role);
        else tables[table].grantReadWriteData(sf.role);
      }
      for (const secret of fn.secrets) secrets[secret].grantRead(sf.role);
      for (const action of ['kms:ReEncrypt*', 'kms:GenerateDataKey*']) {
        cdk.Validations.of(sf.role).acknowledge({
          id: `AwsSolutions-IAM5[Action::${action}]`,
          reason: 'Added by CDK grants for DynamoDB/SQS/Secrets Manager encryption; limited to this service\'s own key',
        });
      }
      if (fn.queue) {
        sf.alias.addEventSource(new SqsEventSource(queues[fn.queue], {
          batchSize: m.queues[fn.queue].batchSize,
          reportBatchItemFailures: true,
        }));
        // The mapping's default logical id holds the queue's full construct path: a pipeline engine or topology that nests the
        // stack differently would replace it (and the function would briefly stop reading). Named after its alias (one queue each).
        for (const mapping of sf.alias.node.children.filter((c): c is lambda.EventSourceMapping => c instanceof lambda.EventSourceMapping)) {
          (mapping.node.defaultChild as lambda.CfnEventSourceMapping)
            .overrideLogicalId(`${this.resolve((sf.alias.node.defaultChild as cdk.CfnElement).logicalId)}SqsEventSource`);
        }
        cdk.Validations.of(sf).acknowledge({
          id: 'Serverless-LambdaEventSourceMappingDestination',
          reason: 'SQS event sources take no on-failure destination: failed messages reach the queue\'s dead-letter queue through its redrive policy',
        });
      }
      for (const called of fn.calls) {
        this.grantCall(sf, dependencies.get(called)!, org, env, parameter);
      }
    }
    this.functions = functions;

    if (Object.keys(m.flags).length > 0) {
      this.flags = new ServiceFlags(this, 'Flags', {
        manifest: m,
        environment: env,
        environmentCount: org.environments.length,
        alarms: Object.values(functions).flatMap(f => f.alarms),
      });
      for (const sf of Object.values(functions)) this.flags.grantRead(sf.role);
    }

    const routes = Object.entries(m.functions).filter(([, fn]) => fn.route);
    if (routes.length > 0) {
      this.api = new ServiceApi(this, 'Api', {
        apiName: `${m.name}-${env.name}`,
        description: `${m.name}: ${m.description} (${env.name})`,
        stageName: env.name,
        organizationId: org.id,
        encryptionKey: this.key,
        logRetentionDays: m.logRetentionDays,
        waf: production,
        removalPolicy,
        routes: routes.map(([fnId, fn]) => ({
          functionId: fnId,
          method: fn.route!.method,
          path: fn.route!.path,
          target: functions[fnId].alias,
          requestSchema: service.requestSchemas[fnId],
        })),
      });
      this.apiUrlOutput = new cdk.CfnOutput(this, 'ApiUrl', { value: this.api.url, description: `Base URL of the ${m.name} API (${env.name} stage)` });
    }

    const publicRoutes = routes.filter(([, fn]) => fn.route!.scopes);
    if (env.edge && publicRoutes.length > 0) {
      this.edgeRoutes = new EdgeRoutes(this, 'EdgeRoutes', {
        serviceName: m.name,
        edge: env.edge,
        apiId: parameter(edgeParameters.apiId(org.name, env.name)),
        authorizerId: parameter(edgeParameters.authorizerId(org.name, env.name)),
        routeScopesPrefix: edgeParameters.routeScopesPrefix(org.name, env.name),
        userPoolId: env.edge.identity.provider === 'cognito' ? parameter(edgeParameters.userPoolId(org.name, env.name)) : undefined,
        stageName: env.name,
        routes: publicRoutes.map(([fnId, fn]) => ({
          functionId: fnId,
          method: fn.route!.method,
          path: fn.route!.path,
          scopes: fn.route!.scopes!,
          target: functions[fnId].alias,
          timeoutSeconds: fn.timeoutSeconds ?? m.timeoutSeconds,
        })),
      });
    }

    this.addPreTrafficHook(props.hookBundle, m, env, application, asyncFailures, removalPolicy);
    this.publishForDependents(org, env, m, queues);
    this.addDashboard(m, env, queues);
  }

  /** Lets a function call a dependency's API (SigV4) and send to its queues, found through SSM. */
  private grantCall(sf: ServiceFunction, dep: ServiceManifest, org: Organization, env: Environment, parameter: (name: string) => string): void {
    if (Object.values(dep.functions).some(f => f.route)) {
      sf.function.addEnvironment(runtimeVariables.apiUrl(dep.name), parameter(serviceParameters.apiUrl(org.name, env.name, dep.name)));
      const apiId = parameter(serviceParameters.apiId(org.name, env.name, dep.name));
      const stageRoutes = this.formatArn({ service: 'execute-api', resource: apiId, resourceName: `${env.name}/*` });
      sf.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['execute-api:Invoke'], resources: [stageRoutes] }));
      acknowledgeWildcardResource(sf.role, stageRoutes,
        `May call every route of ${dep.name}'s ${env.name} stage: the provider's contract (api.yaml) defines them`);
    }
    const queueNames = Object.keys(dep.queues);
    for (const q of queueNames) {
      sf.function.addEnvironment(runtimeVariables.queueUrl(dep.name, q), parameter(serviceParameters.queueUrl(org.name, env.name, dep.name, q)));
      sf.role.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: ['sqs:SendMessage'],
        resources: [parameter(serviceParameters.queueArn(org.name, env.name, dep.name, q))],
      }));
    }
    if (queueNames.length > 0) {
      // The dependency's queues are encrypted with its key.
      sf.role.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [parameter(serviceParameters.keyArn(org.name, env.name, dep.name))],
      }));
    }
  }

  /** One hook for the stack: smoke-tests each new version before CodeDeploy shifts traffic. */
  private addPreTrafficHook(bundle: FunctionBundle, m: ServiceManifest, env: Environment,
    application: codedeploy.LambdaApplication, dlq: sqs.IQueue, removalPolicy: cdk.RemovalPolicy): void {
    const logGroup = new logs.LogGroup(this, 'PreTrafficHookLogs', {
      retention: m.logRetentionDays as logs.RetentionDays,
      encryptionKey: this.key,
      removalPolicy,
    });
    const role = new iam.Role(this, 'PreTrafficHookRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Pre-traffic smoke test of ${m.name} (${env.name})`,
    });
    logGroup.grantWrite(role);
    const smokeTests: Record<string, SmokeTest> = {};
    for (const [fnId, fn] of Object.entries(m.functions)) {
      const target = this.functions[fnId].function;
      smokeTests[target.functionName] = smokeTestFor(fn, env.name);
      // Versions only (qualified ARNs): the hook tests what is about to go live.
      const versions = `${target.functionArn}:*`;
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [versions] }));
      acknowledgeWildcardResource(role, versions,
        'Invokes whichever version a deployment is about to shift traffic to; versions are only known at deploy time');
    }
    const deploymentGroups = this.formatArn({
      service: 'codedeploy',
      resource: 'deploymentgroup',
      resourceName: `${application.applicationName}/*`,
      arnFormat: cdk.ArnFormat.COLON_RESOURCE_NAME,
    });
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['codedeploy:GetDeployment'], resources: [deploymentGroups] }));
    acknowledgeWildcardResource(role, deploymentGroups,
      'Reads the deployments of this stack\'s own CodeDeploy application to learn the target version');
    const hook = new lambda.Function(this, 'PreTrafficHook', {
      description: `Smoke-tests new versions of ${m.name} before traffic shifts`,
      code: lambda.Code.fromAsset(bundle.dir),
      handler: 'index.handler',
      runtime: SERVICE_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: cdk.Duration.minutes(1),
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      role,
      deadLetterQueue: dlq,
      environmentEncryption: this.key,
      environment: { SMOKE_TESTS: this.toJsonString(smokeTests), NODE_OPTIONS: '--enable-source-maps' },
    });
    for (const sf of Object.values(this.functions)) sf.deploymentGroup.addPreHook(hook);

    acknowledgeXRay(role);
    // addPreHook lets CodeDeploy's role invoke the hook and its versions.
    acknowledgeWildcardResource(this, `${hook.functionArn}:*`, 'CDK grants CodeDeploy invoke on the pre-traffic hook and its versions');
    acknowledgeInlinePolicies(role);
    acknowledgeNoVpc(hook);
    acknowledgeNoSecretsInEnvironment(hook);
    acknowledgeFindings(hook, ['CKV_AWS_115'], 'CodeDeploy calls the hook once per deployment of this stack\'s functions: nothing to reserve concurrency for');
  }

  /** SSM parameters through which dependents find this service in this environment. */
  private publishForDependents(org: Organization, env: Environment, m: ServiceManifest, queues: Record<string, sqs.Queue>): void {
    const publish = (parameterId: string, name: string, value: string) =>
      new ssm.StringParameter(this, parameterId, { parameterName: name, stringValue: value, description: `${m.name} (${env.name}) for its dependents` });
    if (this.api) {
      publish('ApiUrlParameter', serviceParameters.apiUrl(org.name, env.name, m.name), this.api.url.replace(/\/$/, ''));
      publish('ApiIdParameter', serviceParameters.apiId(org.name, env.name, m.name), this.api.api.restApiId);
    }
    for (const [name, q] of Object.entries(queues)) {
      publish(`Queue-${name}-UrlParameter`, serviceParameters.queueUrl(org.name, env.name, m.name, name), q.queueUrl);
      publish(`Queue-${name}-ArnParameter`, serviceParameters.queueArn(org.name, env.name, m.name, name), q.queueArn);
    }
    if (Object.keys(queues).length > 0) {
      publish('KeyArnParameter', serviceParameters.keyArn(org.name, env.name, m.name), this.key.keyArn);
    }
  }

  private addDashboard(m: ServiceManifest, env: Environment, queues: Record<string, sqs.Queue>): void {
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${m.name}-${env.name}-${this.region}`,
      defaultInterval: cdk.Duration.hours(3),
    });
    const minute = cdk.Duration.minutes(1);
    for (const [fnId, sf] of Object.entries(this.functions)) {
      dashboard.addWidgets(
        new cloudwatch.GraphWidget({
          title: `${fnId}: invocations and errors`,
          left: [
            sf.alias.metricInvocations({ period: minute }), sf.alias.metricErrors({ period: minute }), sf.alias.metricThrottles({ period: minute }),
          ],
          width: 12,
        }),
        new cloudwatch.GraphWidget({
          title: `${fnId}: duration p50 / p99 (ms)`,
          left: [sf.alias.metricDuration({ period: minute, statistic: 'p50' }), sf.alias.metricDuration({ period: minute, statistic: 'p99' })],
          width: 12,
        }),
      );
    }
    if (this.api) {
      const api = this.api.api;
      dashboard.addWidgets(
        new cloudwatch.GraphWidget({ title: 'API: requests, 4xx, 5xx', left: [api.metricCount({ period: minute }), api.metricClientError({ period: minute }), api.metricServerError({ period: minute })], width: 12 }),
        new cloudwatch.GraphWidget({ title: 'API: latency p99 (ms)', left: [api.metricLatency({ period: minute, statistic: 'p99' })], width: 12 }),
      );
    }
    for (const [name, q] of Object.entries(queues)) {
      dashboard.addWidgets(new cloudwatch.GraphWidget({
        title: `Queue ${name}: backlog and age`,
        left: [q.metricApproximateNumberOfMessagesVisible({ period: minute })],
        right: [q.metricApproximateAgeOfOldestMessage({ period: minute })],
        width: 24,
      }));
    }
  }
}
