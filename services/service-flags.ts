import * as cdk from 'aws-cdk-lib';
import * as appconfig from 'aws-cdk-lib/aws-appconfig';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { Environment } from '../accounts';
import { acknowledgeInlinePolicies, acknowledgeWildcardResource } from '../kit';
import { appConfigDocument } from './feature-flags';
import { FEATURE_FLAGS_PROFILE, flagVariables } from './runtime/flag-names';
import { ServiceManifest } from './service-model';

/**
 * How a flag change rolls out in an environment, by its place in the
 * promotion order: AWS AppConfig's predefined strategies (they count against
 * no quota; an account may create only 20 of its own, too few for a
 * strategy per service).
 *
 * - the first environment: all at once (AppConfig.AllAtOnce; 10 minutes' bake, no alarms there);
 * - the environments in between: gradual, half the targets each 30 seconds, 1 minute's bake;
 * - production: a 10% canary growing over 20 minutes, then 10 minutes' bake, the
 *   service's alarms rolling the change back.
 */
export function flagRolloutStrategy(envIndex: number, envCount: number): string {
  if (envIndex === envCount - 1) return 'AppConfig.Canary10Percent20Minutes';
  if (envIndex === 0) return 'AppConfig.AllAtOnce';
  return 'AppConfig.Linear50PercentEvery30Seconds';
}

/** The variables that tell services/runtime/flags.ts where its flags are: names, stable whatever the flags say. */
export { flagVariables };

/** Properties of {@link ServiceFlags}. */
export interface ServiceFlagsProps {
  readonly manifest: ServiceManifest;
  readonly environment: Environment;
  /** Environments in the organization (the rollout strategy depends on the place of this one). */
  readonly environmentCount: number;
  /** The service's alarms: in production, any of them in alarm rolls a flag change back. */
  readonly alarms: readonly cloudwatch.IAlarm[];
}

/**
 * A service's feature flags in one environment: an AWS AppConfig application
 * named after the service, an environment named after the deployment
 * environment, a feature-flags configuration profile whose hosted version is
 * the manifest's settings for that environment, and its deployment. A flag
 * flip changes only these resources (a new hosted version and deployment):
 * the functions read the flags at run time and are not redeployed.
 */
export class ServiceFlags extends Construct {
  /** The variables a function reads its flags with (services/runtime/flags.ts). */
  public static variables(m: ServiceManifest, env: Environment): Record<string, string> {
    return { [flagVariables.application]: m.name, [flagVariables.environment]: env.name };
  }

  public readonly application: appconfig.Application;
  public readonly appConfigEnvironment: appconfig.Environment;
  public readonly profile: appconfig.HostedConfiguration;

  constructor(scope: Construct, id: string, props: ServiceFlagsProps) {
    super(scope, id);
    const { manifest: m, environment: env } = props;
    this.application = new appconfig.Application(this, 'Application', {
      applicationName: m.name,
      description: `Feature flags of ${m.name}`,
    });
    let monitors: appconfig.Monitor[] | undefined;
    if (env.production && props.alarms.length > 0) {
      // AppConfig watches at most 5 alarms per environment: one composite of all the service's.
      const any = new cloudwatch.CompositeAlarm(this, 'RollbackAlarm', {
        alarmDescription: `Any alarm of ${m.name} (${env.name}): rolls back a feature flag change in progress`,
        alarmRule: cloudwatch.AlarmRule.anyOf(...props.alarms.map(a => cloudwatch.AlarmRule.fromAlarm(a, cloudwatch.AlarmState.ALARM))),
      });
      const role = new iam.Role(this, 'MonitorRole', {
        assumedBy: new iam.ServicePrincipal('appconfig.amazonaws.com'),
        description: `AWS AppConfig reads the rollback alarm of ${m.name} (${env.name}) during flag deployments`,
      });
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: [any.alarmArn] }));
      acknowledgeInlinePolicies(role);
      monitors = [appconfig.Monitor.fromCloudWatchAlarm(any, role)];
    }
    this.appConfigEnvironment = new appconfig.Environment(this, 'Environment', {
      application: this.application,
      environmentName: env.name,
      description: `${m.name} in ${env.name}`,
      monitors,
    });
    this.profile = new appconfig.HostedConfiguration(this, 'FeatureFlags', {
      application: this.application,
      name: FEATURE_FLAGS_PROFILE,
      description: `Feature flags of ${m.name}, as declared in services/${m.name}/service.ts`,
      type: appconfig.ConfigurationType.FEATURE_FLAGS,
      content: appconfig.ConfigurationContent.fromInlineJson(JSON.stringify(appConfigDocument(m, env.name))),
      deploymentStrategy: appconfig.DeploymentStrategy.fromDeploymentStrategyId(this, 'Rollout',
        appconfig.DeploymentStrategyId.fromString(flagRolloutStrategy(env.order, props.environmentCount))),
      deployTo: [this.appConfigEnvironment],
    });
  }

  /**
   * Lets `role` read the flags (AppConfig's data plane: a session, then the
   * latest configuration) of this service's application. Its environment and
   * profile are a wildcard: naming them would make each function wait for the
   * environment, which waits for the rollback alarm, which watches the function.
   */
  public grantRead(role: iam.IRole): void {
    const resource = cdk.Stack.of(this).formatArn({
      service: 'appconfig',
      resource: 'application',
      resourceName: `${this.application.applicationId}/environment/*/configuration/*`,
    });
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['appconfig:StartConfigurationSession', 'appconfig:GetLatestConfiguration'], resources: [resource] }));
    acknowledgeWildcardResource(role, resource, 'The configurations of this service\'s own AppConfig application (one environment, one profile): '
      + 'naming them would create a dependency cycle through the rollback alarm that watches the function');
  }

}
