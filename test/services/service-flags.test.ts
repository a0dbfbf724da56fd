import * as path from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { appConfigDocument, flagRolloutStrategy, loadServices } from '../../services';
import { ASSEMBLIES, FIXTURE_SERVICES_DIR, fixtureOrganization, sharedAssemblies } from '../fixtures/assembly';

const organization = fixtureOrganization();
const orders = loadServices({ servicesDir: FIXTURE_SERVICES_DIR, organization, displayDir: path.join('test', 'fixtures', 'services') })
  .find(s => s.manifest.name === 'orders')!.manifest;
// The fixture services' stacks without a pipeline (buildPlatform): orders declares flags, catalog none.
const [app] = sharedAssemblies([ASSEMBLIES.fixturePlatform]);
const template = (id: string) => Template.fromJSON(app.assembly.getStackByName(id).template);
const ordersDev = template('orders-dev-eu-west-1');
const ordersProd = template('orders-prod-eu-west-1');
const catalogProd = template('catalog-prod-eu-west-1');

describe('feature flags in AWS AppConfig', () => {
  test('an application per service, an environment per deployment environment, a feature-flags profile', () => {
    for (const [t, env] of [[ordersDev, 'dev'], [ordersProd, 'prod']] as const) {
      t.resourceCountIs('AWS::AppConfig::Application', 1);
      t.hasResourceProperties('AWS::AppConfig::Application', { Name: 'orders' });
      t.hasResourceProperties('AWS::AppConfig::Environment', { Name: env, ApplicationId: { Ref: Match.stringLikeRegexp('FlagsApplication') } });
      t.hasResourceProperties('AWS::AppConfig::ConfigurationProfile', { Name: 'feature-flags', Type: 'AWS.AppConfig.FeatureFlags', LocationUri: 'hosted' });
    }
    for (const type of ['AWS::AppConfig::Application', 'AWS::AppConfig::ConfigurationProfile', 'AWS::AppConfig::Deployment']) catalogProd.resourceCountIs(type, 0);
  });

  test('each environment\'s hosted version holds the manifest\'s settings for that environment, and is deployed there', () => {
    for (const [t, env] of [[ordersDev, 'dev'], [ordersProd, 'prod']] as const) {
      const [hosted] = Object.values(t.findResources('AWS::AppConfig::HostedConfigurationVersion'));
      expect(JSON.parse(hosted.Properties.Content)).toEqual(appConfigDocument(orders, env));
      expect(hosted.Properties.ContentType).toBe('application/json');
      t.hasResourceProperties('AWS::AppConfig::Deployment', {
        ConfigurationVersion: { Ref: Match.stringLikeRegexp('FlagsFeatureFlags') },
        EnvironmentId: { Ref: Match.stringLikeRegexp('FlagsEnvironment') },
      });
    }
    const prodValues = JSON.parse(Object.values(ordersProd.findResources('AWS::AppConfig::HostedConfigurationVersion'))[0].Properties.Content).values;
    expect(prodValues.expressShipping).toEqual({ enabled: false, merchants: ['merchant-1'], percent: 10, targetValue: 'true' });
    expect(prodValues.orderLimit).toEqual({ enabled: true, value: '{"maxItems":10}', merchants: ['merchant-2'], percent: 0, targetValue: '{"maxItems":50,"currency":"GBP"}' });
  });

  test('all at once in the first environment, gradual with bake time in between, a canary in production', () => {
    ordersDev.hasResourceProperties('AWS::AppConfig::Deployment', { DeploymentStrategyId: 'AppConfig.AllAtOnce' });
    ordersProd.hasResourceProperties('AWS::AppConfig::Deployment', { DeploymentStrategyId: 'AppConfig.Canary10Percent20Minutes' });
    expect([0, 1, 2].map(i => flagRolloutStrategy(i, 3))).toEqual(['AppConfig.AllAtOnce', 'AppConfig.Linear50PercentEvery30Seconds', 'AppConfig.Canary10Percent20Minutes']);
    // AppConfig allows 20 strategies of one's own per account: a service never creates one.
    ordersProd.resourceCountIs('AWS::AppConfig::DeploymentStrategy', 0);
  });

  test('in production any alarm of the service rolls a flag change back (one composite alarm: AppConfig watches 5 at most)', () => {
    const alarms = Object.keys(ordersProd.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.length).toBeGreaterThanOrEqual(3);
    const [composite] = Object.values(ordersProd.findResources('AWS::CloudWatch::CompositeAlarm'));
    const rule = JSON.stringify(composite.Properties.AlarmRule);
    for (const alarm of alarms) expect(rule).toContain(`"Fn::GetAtt":["${alarm}","Arn"]`);
    ordersProd.hasResourceProperties('AWS::AppConfig::Environment', {
      Monitors: [{ AlarmArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('FlagsRollbackAlarm'), 'Arn'] }, AlarmRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('FlagsMonitorRole'), 'Arn'] } }],
    });
    ordersProd.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'appconfig.amazonaws.com' } })] },
    });
    ordersProd.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'cloudwatch:DescribeAlarms', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('FlagsRollbackAlarm'), 'Arn'] } }] },
    });
    ordersDev.resourceCountIs('AWS::CloudWatch::CompositeAlarm', 0);
    const [devEnvironment] = Object.values(ordersDev.findResources('AWS::AppConfig::Environment'));
    expect(devEnvironment.Properties.Monitors).toBeUndefined();
  });

  test('functions find their flags by name (no reference to a flag\'s value) and may read only their service\'s application', () => {
    ordersProd.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ APPCONFIG_APPLICATION: 'orders', APPCONFIG_ENVIRONMENT: 'prod' }) },
    });
    ordersProd.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([{
          Effect: 'Allow',
          Action: ['appconfig:StartConfigurationSession', 'appconfig:GetLatestConfiguration'],
          Resource: { 'Fn::Join': ['', Match.arrayWith([{ Ref: Match.stringLikeRegexp('FlagsApplication') }, '/environment/*/configuration/*'])] },
        }]),
      },
    });
    // A service without flags: no variables, no permission.
    const catalogVariables = Object.values(catalogProd.findResources('AWS::Lambda::Function')).map(f => f.Properties.Environment?.Variables ?? {});
    expect(catalogVariables.length).toBeGreaterThan(0);
    for (const variables of catalogVariables) expect(variables).not.toHaveProperty('APPCONFIG_APPLICATION');
    expect(JSON.stringify(catalogProd.toJSON())).not.toContain('appconfig:');
  });
});
