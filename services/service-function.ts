import * as cdk from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  acknowledgeInlinePolicies, acknowledgeNoSecretsInEnvironment, acknowledgeNoVpc, acknowledgeUnreservedConcurrency, acknowledgeXRay, FunctionBundle,
} from '../kit';
import { DeploymentStrategy } from './service-model';

/** Properties of a {@link ServiceFunction}. */
export interface ServiceFunctionProps {
  /** The bundled code (the same folder in every environment). */
  readonly bundle: FunctionBundle;
  readonly description?: string;
  readonly memoryMiB: number;
  readonly timeoutSeconds: number;
  readonly architecture: 'arm64' | 'x86_64';
  /** @default - unreserved */
  readonly reservedConcurrency?: number;
  /** Environment variables (never secret values: secret ARNs only). */
  readonly environment: Readonly<Record<string, string>>;
  /** Key that encrypts the log group. */
  readonly encryptionKey: kms.IKey;
  readonly logRetentionDays: number;
  /** Receives events of failed asynchronous invocations. */
  readonly deadLetterQueue: sqs.IQueue;
  /** CodeDeploy application of the stack. */
  readonly application: codedeploy.ILambdaApplication;
  /** CodeDeploy's service role, shared by the stack's deployment groups. */
  readonly deploymentRole: iam.IRole;
  readonly deploymentStrategy: DeploymentStrategy;
  /** Alarm thresholds that stop and roll back a deployment. */
  readonly alarms: { readonly errors: number; readonly p99LatencyMs: number; readonly throttles: number };
  /** Told when a rollback alarm fires and when it clears (e.g. the on-call SNS topic). */
  readonly alarmAction: cloudwatch.IAlarmAction;
  /**
   * Removal policy of the log group.
   * @default RETAIN
   */
  readonly removalPolicy?: cdk.RemovalPolicy;
}

const STRATEGY_CONFIGS: Record<DeploymentStrategy, codedeploy.ILambdaDeploymentConfig> = {
  'all-at-once': codedeploy.LambdaDeploymentConfig.ALL_AT_ONCE,
  'linear-10-percent-every-1-minute': codedeploy.LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_1MINUTE,
  'linear-10-percent-every-2-minutes': codedeploy.LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_2MINUTES,
  'linear-10-percent-every-3-minutes': codedeploy.LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_3MINUTES,
  'linear-10-percent-every-10-minutes': codedeploy.LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_10MINUTES,
  'canary-10-percent-5-minutes': codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES,
  'canary-10-percent-10-minutes': codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_10MINUTES,
  'canary-10-percent-15-minutes': codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_15MINUTES,
  'canary-10-percent-30-minutes': codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_30MINUTES,
};

/** The Lambda runtime of every service function: the newest Node.js the pinned CDK knows. */
export const SERVICE_RUNTIME = lambda.Runtime.NODEJS_24_X;

/** The CodeDeploy configuration of a strategy. */
export function deploymentConfigFor(strategy: DeploymentStrategy): codedeploy.ILambdaDeploymentConfig {
  return STRATEGY_CONFIGS[strategy];
}

/**
 * One Lambda function of a service, deployed safely: a `live` alias that
 * CodeDeploy shifts to each new version by the given strategy, rolled back
 * automatically when the version's errors, p99 latency or throttles alarm.
 *
 * Construct ids are stable: renaming one replaces the function (and its
 * log group, whose logs are retained).
 */
export class ServiceFunction extends Construct {
  /** The function. */
  public readonly function: lambda.Function;
  /** The `live` alias: triggers and callers use it, never `$LATEST`. */
  public readonly alias: lambda.Alias;
  /** Traffic shifting for the alias. */
  public readonly deploymentGroup: codedeploy.LambdaDeploymentGroup;
  /** Alarms that roll a deployment back. */
  public readonly alarms: readonly cloudwatch.Alarm[];
  /** The execution role (least privilege: only what is granted). */
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);
    // Named by stack: the same wherever the pipeline engine or topology places the stack (construct paths differ).
    const name = `${cdk.Stack.of(this).stackName}/${id}`;

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetentionDays as logs.RetentionDays,
      encryptionKey: props.encryptionKey,
      removalPolicy: props.removalPolicy ?? cdk.RemovalPolicy.RETAIN,
    });

    // An explicit role instead of AWSLambdaBasicExecutionRole, which may
    // write to every log group of the account.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${name}`,
    });
    logGroup.grantWrite(this.role);

    this.function = new lambda.Function(this, 'Function', {
      description: props.description,
      code: lambda.Code.fromAsset(props.bundle.dir),
      handler: 'index.handler',
      runtime: SERVICE_RUNTIME,
      architecture: props.architecture === 'arm64' ? lambda.Architecture.ARM_64 : lambda.Architecture.X86_64,
      memorySize: props.memoryMiB,
      timeout: cdk.Duration.seconds(props.timeoutSeconds),
      reservedConcurrentExecutions: props.reservedConcurrency,
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      role: this.role,
      deadLetterQueue: props.deadLetterQueue,
      // Variables hold names and ARNs, never secrets; still encrypted with the service's key, as its data is.
      environmentEncryption: props.encryptionKey,
      environment: {
        // Bundles carry source maps: readable stack traces in the logs.
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
    });

    this.alias = new lambda.Alias(this, 'LiveAlias', {
      aliasName: 'live',
      version: this.function.currentVersion,
    });

    const minute = cdk.Duration.minutes(1);
    const alarm = (alarmId: string, metric: cloudwatch.IMetric, threshold: number, description: string) => {
      const a = new cloudwatch.Alarm(this, alarmId, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // No invocations is not a failure: canaries may see little traffic.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      // ALARM tells on-call (in a deployment CodeDeploy is already rolling
      // back; outside one the live version is failing); OK resolves the page
      // when the alias recovers, so incidents do not stay open. No action on
      // INSUFFICIENT_DATA: missing data is treated as not breaching.
      a.addAlarmAction(props.alarmAction);
      a.addOkAction(props.alarmAction);
      return a;
    };
    this.alarms = [
      alarm('ErrorsAlarm', this.alias.metricErrors({ period: minute, statistic: 'Sum' }), props.alarms.errors,
        `${props.alarms.errors}+ errors in a minute on ${name} (live alias)`),
      alarm('LatencyAlarm', this.alias.metricDuration({ period: minute, statistic: 'p99' }), props.alarms.p99LatencyMs,
        `p99 duration at or above ${props.alarms.p99LatencyMs} ms on ${name} (live alias)`),
      alarm('ThrottlesAlarm', this.alias.metricThrottles({ period: minute, statistic: 'Sum' }), props.alarms.throttles,
        `${props.alarms.throttles}+ throttles in a minute on ${name} (live alias)`),
    ];

    this.deploymentGroup = new codedeploy.LambdaDeploymentGroup(this, 'Deployment', {
      application: props.application,
      role: props.deploymentRole,
      alias: this.alias,
      deploymentConfig: deploymentConfigFor(props.deploymentStrategy),
      alarms: [...this.alarms],
      autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
    });

    acknowledgeXRay(this.role);
    acknowledgeNoVpc(this.function);
    acknowledgeNoSecretsInEnvironment(this.function);
    if (props.reservedConcurrency === undefined) acknowledgeUnreservedConcurrency(this.function);
    acknowledgeInlinePolicies(this.role);
  }
}
