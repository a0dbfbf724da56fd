import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Organization } from '../../accounts';
import { EdgeStack } from '../../services';
import { loadSample, loadShippedOrganization } from '../fixtures/organization';

const shipped = loadShippedOrganization();
// The authorizer's code: any folder will do for templates (its asset hash is all they hold of it).
const authorizerBundle = { dir: fs.mkdtempSync(path.join(os.tmpdir(), 'edge-authorizer-')), bytes: 0 };
fs.writeFileSync(path.join(authorizerBundle.dir, 'index.js'), 'exports.handler = async () => ({ isAuthorized: false });\n');
afterAll(() => fs.rmSync(authorizerBundle.dir, { recursive: true, force: true }));
const edgeOf = (org: Organization, envName: string, region = 'eu-west-1') => {
  const app = new cdk.App();
  const environment = org.environments.find(e => e.name === envName)!;
  return Template.fromStack(new EdgeStack(app, `edge-${envName}-${region}`, { organization: org, environment, region, authorizerBundle }));
};
const dev = edgeOf(shipped, 'dev');
const prod = edgeOf(shipped, 'prod');
const prodCentral = edgeOf(shipped, 'prod', 'eu-central-1');

describe('the public edge of an environment', () => {
  test('an HTTP API with a stage named after the environment, deployed automatically, throttled as declared', () => {
    for (const [template, stage, rate, burst] of [[dev, 'dev', 500, 1000], [prod, 'prod', 1000, 2000]] as const) {
      template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
      template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP', Name: `acme-pay-edge-${stage}` });
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: stage,
        AutoDeploy: true,
        DefaultRouteSettings: { ThrottlingRateLimit: rate, ThrottlingBurstLimit: burst },
      });
    }
  });

  test('JSON access logs into a KMS-encrypted log group, without the Authorization header or bodies', () => {
    dev.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: Match.anyValue(), RetentionInDays: 365 });
    const stage = Object.values(dev.findResources('AWS::ApiGatewayV2::Stage'))[0] as { Properties: { AccessLogSettings: { Format: string } } };
    const format = JSON.parse(stage.Properties.AccessLogSettings.Format) as Record<string, string>;
    expect(format).toMatchObject({ requestId: '$context.requestId', routeKey: '$context.routeKey', status: '$context.status', merchantId: '$context.authorizer.merchantId' });
    expect(JSON.stringify(format)).not.toMatch(/authorization|requestBody|\$input/i);
    dev.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  test('every request no service route matches goes to the monolith as it came, unauthenticated at the edge (without WAF)', () => {
    dev.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'ANY /{proxy+}', AuthorizationType: 'NONE' });
    dev.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'ANY /', AuthorizationType: 'NONE' });
    dev.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'HTTP_PROXY', IntegrationMethod: 'ANY', IntegrationUri: 'https://monolith.dev.acme-pay.example/{proxy}',
    });
    prod.hasResourceProperties('AWS::ApiGatewayV2::Integration', { IntegrationUri: 'https://monolith.acme-pay.example/{proxy}' });
    // Service routes are not the edge's: they attach from the services' stacks.
    expect(Object.keys(dev.findResources('AWS::ApiGatewayV2::Route'))).toHaveLength(2);
  });

  test('without a monolith, the edge has no routes of its own', () => {
    const org = loadSample(d => {
      d.environments[0].edge = { identity: { provider: 'issuer', issuer: 'https://login.test.example' } };
    });
    const template = edgeOf(org, 'dev');
    template.resourceCountIs('AWS::ApiGatewayV2::Route', 0);
    template.resourceCountIs('AWS::Cognito::UserPool', 0);
  });

  test('merchants are app clients of a Cognito user pool: no sign-up, no users, its token domain', () => {
    dev.hasResourceProperties('AWS::Cognito::UserPool', {
      UserPoolName: 'acme-pay-merchants-dev',
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      DeletionProtection: 'INACTIVE',
    });
    dev.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'acme-pay-dev' });
    prod.hasResourceProperties('AWS::Cognito::UserPool', { DeletionProtection: 'ACTIVE' });
    prod.hasResource('AWS::Cognito::UserPool', { DeletionPolicy: 'Retain' });
    dev.hasOutput('TokenUrl', { Value: 'https://acme-pay-dev.auth.eu-west-1.amazoncognito.com/oauth2/token' });
  });

  test('publishes what services attach to in SSM, under /<org>/<env>/services/_edge/', () => {
    dev.hasResourceProperties('AWS::SSM::Parameter', { Name: '/acme-pay/dev/services/_edge/api-id', Value: { Ref: Match.stringLikeRegexp('^Api') } });
    dev.hasResourceProperties('AWS::SSM::Parameter', { Name: '/acme-pay/dev/services/_edge/user-pool-id', Value: { Ref: Match.stringLikeRegexp('^Merchants') } });
  });

  test('a declared custom domain in each region with its own certificate (with WAF, the origin name), and the execute-api address closed', () => {
    for (const [template, region, n] of [[prod, 'eu-west-1', 3], [prodCentral, 'eu-central-1', 4]] as const) {
      template.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
        DomainName: 'origin.api.acme-pay.example',
        DomainNameConfigurations: [Match.objectLike({
          CertificateArn: `arn:aws:acm:${region}:888888888888:certificate/00000000-0000-4000-8000-00000000000${n}`,
          EndpointType: 'REGIONAL',
          SecurityPolicy: 'TLS_1_2',
        })],
      });
      template.hasResourceProperties('AWS::ApiGatewayV2::ApiMapping', { DomainName: Match.anyValue(), Stage: Match.anyValue() });
      template.hasResourceProperties('AWS::ApiGatewayV2::Api', { DisableExecuteApiEndpoint: true });
      template.hasOutput('EdgeUrl', { Value: 'https://api.acme-pay.example/' });
    }
    dev.resourceCountIs('AWS::ApiGatewayV2::DomainName', 0);
    dev.hasResourceProperties('AWS::ApiGatewayV2::Api', { DisableExecuteApiEndpoint: false });
  });

  test('one authorizer for every service route: merchants\' tokens from the identity provider, cached per token and route', () => {
    dev.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      AuthorizerPayloadFormatVersion: '2.0',
      EnableSimpleResponses: true,
      IdentitySource: ['$request.header.Authorization', '$context.routeKey'],
      AuthorizerResultTtlInSeconds: 300,
    });
    dev.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 5,
      Environment: {
        Variables: Match.objectLike({
          EDGE_ISSUER: { 'Fn::Join': ['', ['https://cognito-idp.eu-west-1.amazonaws.com/', { Ref: Match.stringLikeRegexp('^Merchants') }]] },
          EDGE_TOKEN_USE: 'access',
          EDGE_MERCHANT_CLAIM: 'client_id',
          ROUTE_SCOPES_PARAMETER_PREFIX: '/acme-pay/dev/services/_edge/route-scopes/',
        }),
      },
    });
    // It reads the routes' scopes, nothing else.
    dev.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([{
          Action: 'ssm:GetParameter',
          Effect: 'Allow',
          Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ssm:eu-west-1:666666666666:parameter/acme-pay/dev/services/_edge/route-scopes/*']] },
        }]),
      },
    });
    dev.hasResourceProperties('AWS::SSM::Parameter', { Name: '/acme-pay/dev/services/_edge/authorizer-id', Value: { Ref: Match.stringLikeRegexp('^MerchantAuthorizer') } });
  });

  test('an external issuer: its URL, audience and merchant claim', () => {
    const org = loadSample(d => {
      d.environments[0].edge = { identity: { provider: 'issuer', issuer: 'https://login.test.example', audience: 'https://api.test.example', merchantClaim: 'mid' } };
    });
    edgeOf(org, 'dev').hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ EDGE_ISSUER: 'https://login.test.example', EDGE_AUDIENCE: 'https://api.test.example', EDGE_MERCHANT_CLAIM: 'mid' }),
      },
    });
  });
});
