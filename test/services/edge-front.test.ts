import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Organization } from '../../accounts';
import { bootstrapTargets } from '../../accounts/bootstrap';
import { EDGE_MANAGED_RULE_GROUPS, EdgeStage } from '../../services';
import { loadFixtureOrganization, loadShippedOrganization, projectContext } from '../fixtures/organization';

// The authorizer's code: any folder will do for templates (its asset hash is all they hold of it).
const authorizerBundle = { dir: fs.mkdtempSync(path.join(os.tmpdir(), 'edge-front-')), bytes: 0 };
fs.writeFileSync(path.join(authorizerBundle.dir, 'index.js'), 'exports.handler = async () => ({ isAuthorized: false });\n');
afterAll(() => fs.rmSync(authorizerBundle.dir, { recursive: true, force: true }));

/** The edge stage of `envName`, with a template per stack name. */
function edgeStage(org: Organization, envName: string) {
  // With cdk.json's context, as `cdk synth` renders it (partition literals).
  const app = new cdk.App({ context: projectContext() });
  const environment = org.environments.find(e => e.name === envName)!;
  const stage = new EdgeStage(app, `edge-${envName}`, { organization: org, environment, authorizerBundle });
  const templates = Object.fromEntries(stage.stacks.map(s => [s.stackName, Template.fromStack(s)]));
  return { stage, templates };
}

const shipped = loadShippedOrganization();
const prod = edgeStage(shipped, 'prod');
const primary = prod.templates['edge-prod-eu-west-1'];
const secondary = prod.templates['edge-prod-eu-central-1'];
const front = prod.templates['edge-prod-us-east-1'];
const dev = edgeStage(shipped, 'dev').templates['edge-dev-eu-west-1'];

describe('WAF in front of the production edge', () => {
  test('the front is a stack of its own in us-east-1 (prod does not deploy there), after the primary region\'s stack', () => {
    expect(prod.stage.stacks.map(s => [s.stackName, s.region, s.account])).toEqual([
      ['edge-prod-eu-west-1', 'eu-west-1', '888888888888'],
      ['edge-prod-eu-central-1', 'eu-central-1', '888888888888'],
      ['edge-prod-us-east-1', 'us-east-1', '888888888888'],
    ]);
    expect(prod.stage.stacks[2].dependencies.map(s => s.stackName)).toEqual(['edge-prod-eu-west-1']);
    expect(prod.stage.stacks[1].dependencies).toEqual([]);
    // Only what CloudFront needs: nothing regional moved there.
    expect(Object.values(front.toJSON().Resources as Record<string, { Type: string }>).map(r => r.Type).sort()).toEqual([
      'AWS::CloudFront::Distribution', 'AWS::WAFv2::LoggingConfiguration', 'AWS::WAFv2::WebACL',
    ]);
    expect(edgeStage(shipped, 'dev').stage.stacks.map(s => s.stackName)).toEqual(['edge-dev-eu-west-1']);
  });

  test('a web ACL for CloudFront: a per-IP rate limit first, then AWS\'s IP reputation, core and known-bad-inputs rules', () => {
    front.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'CLOUDFRONT',
      DefaultAction: { Allow: {} },
      Rules: [
        Match.objectLike({
          Name: 'RateLimitPerIp',
          Priority: 0,
          Action: { Block: {} },
          Statement: { RateBasedStatement: { Limit: 2000, AggregateKeyType: 'IP', EvaluationWindowSec: 300 } },
        }),
        ...EDGE_MANAGED_RULE_GROUPS.map((group, i) => Match.objectLike({
          Name: group.name,
          Priority: i + 1,
          OverrideAction: { None: {} },
          Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: group.name } },
          VisibilityConfig: Match.objectLike({ CloudWatchMetricsEnabled: true, SampledRequestsEnabled: true }),
        })),
      ],
    });
    expect(EDGE_MANAGED_RULE_GROUPS.map(g => g.name)).toEqual([
      'AWSManagedRulesAmazonIpReputationList', 'AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet',
    ]);
    // The declared limit, not a default.
    const fixture = edgeStage(loadFixtureOrganization(), 'prod').templates['edge-prod-us-east-1'];
    fixture.hasResourceProperties('AWS::WAFv2::WebACL', {
      Rules: Match.arrayWith([Match.objectLike({ Statement: { RateBasedStatement: Match.objectLike({ Limit: 1000 }) } })]),
    });
  });

  test('WAF logs every request, Authorization redacted, to a locked, encrypted bucket in the primary region that only log delivery writes', () => {
    front.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
      ResourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('WebAcl'), 'Arn'] },
      LogDestinationConfigs: ['arn:aws:s3:::aws-waf-logs-888888888888-prod'],
      RedactedFields: [{ SingleHeader: { Name: 'authorization' } }],
    });
    primary.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        BucketName: 'aws-waf-logs-888888888888-prod',
        BucketEncryption: { ServerSideEncryptionConfiguration: [Match.objectLike({ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() } })] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        VersioningConfiguration: { Status: 'Enabled' },
        ObjectLockEnabled: true,
        ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 365 } } },
      }),
    });
    const conditions = {
      StringEquals: Match.objectLike({ 'aws:SourceAccount': '888888888888' }),
      ArnLike: { 'aws:SourceArn': 'arn:aws:logs:us-east-1:888888888888:*' },
    };
    primary.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'delivery.logs.amazonaws.com' },
            Action: 's3:PutObject',
            Condition: { ...conditions, StringEquals: { 'aws:SourceAccount': '888888888888', 's3:x-amz-acl': 'bucket-owner-full-control' } },
          }),
          Match.objectLike({ Effect: 'Allow', Principal: { Service: 'delivery.logs.amazonaws.com' }, Action: 's3:GetBucketAcl', Condition: conditions }),
        ]),
      },
    });
    primary.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'delivery.logs.amazonaws.com' }, Condition: conditions })]) },
    });
    secondary.resourceCountIs('AWS::S3::Bucket', 0);
  });

  test('CloudFront answers on the domain with its us-east-1 certificate and forwards everything, uncached, to the regional origin name', () => {
    front.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Aliases: ['api.acme-pay.example'],
        ViewerCertificate: {
          AcmCertificateArn: 'arn:aws:acm:us-east-1:888888888888:certificate/00000000-0000-4000-8000-000000000005',
          MinimumProtocolVersion: 'TLSv1.2_2021',
          SslSupportMethod: 'sni-only',
        },
        WebACLId: { 'Fn::GetAtt': [Match.stringLikeRegexp('WebAcl'), 'Arn'] },
        DefaultCacheBehavior: Match.objectLike({
          AllowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
          ViewerProtocolPolicy: 'https-only',
          // The managed policies CachingDisabled and AllViewerExceptHostHeader.
          CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
          OriginRequestPolicyId: 'b689b0a8-53d0-40ab-baf2-68738e2966ac',
        }),
        Origins: [Match.objectLike({
          DomainName: 'origin.api.acme-pay.example',
          CustomOriginConfig: Match.objectLike({ OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'], OriginReadTimeout: 30 }),
          // The secret's value, resolved by CloudFormation from its us-east-1 replica: never in the template.
          OriginCustomHeaders: [{ HeaderName: 'x-origin-verify', HeaderValue: '{{resolve:secretsmanager:acme-pay/edge-prod/origin-verify:SecretString:::}}' }],
        })],
      }),
    });
    front.hasOutput('FrontTarget', { Value: { 'Fn::GetAtt': [Match.anyValue(), 'DomainName'] } });
    for (const regional of [primary, secondary]) {
      regional.hasResourceProperties('AWS::ApiGatewayV2::DomainName', { DomainName: 'origin.api.acme-pay.example' });
      regional.hasOutput('EdgeUrl', { Value: 'https://api.acme-pay.example/' });
    }
  });

  test('the origin secret is random, made in the primary region and replicated where the edge runs and CloudFront resolves it', () => {
    primary.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'acme-pay/edge-prod/origin-verify',
      GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
      ReplicaRegions: [{ Region: 'eu-central-1' }, { Region: 'us-east-1' }],
    });
    secondary.resourceCountIs('AWS::SecretsManager::Secret', 0);
  });

  test('nothing skips WAF: service routes need the origin header, the monolith\'s routes have an authorizer that checks it and strip it', () => {
    for (const [regional, region] of [[primary, 'eu-west-1'], [secondary, 'eu-central-1']] as const) {
      regional.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
        Name: 'merchants',
        IdentitySource: ['$request.header.Authorization', '$context.routeKey', '$request.header.x-origin-verify'],
      });
      regional.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
        Name: 'origin', AuthorizerType: 'REQUEST', IdentitySource: ['$request.header.x-origin-verify'], AuthorizerResultTtlInSeconds: 300,
      });
      for (const routeKey of ['ANY /{proxy+}', 'ANY /']) {
        regional.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: routeKey, AuthorizationType: 'CUSTOM', AuthorizerId: { Ref: 'OriginAuthorizer' } });
      }
      regional.resourcePropertiesCountIs('AWS::ApiGatewayV2::Integration', { RequestParameters: { 'remove:header.x-origin-verify': '' } }, 2);
      regional.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            EDGE_ORIGIN_SECRET_ID: 'acme-pay/edge-prod/origin-verify',
            EDGE_PASS_THROUGH_ROUTES: JSON.stringify(['ANY /{proxy+}', 'ANY /']),
          }),
        },
      });
      regional.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([{
            Effect: 'Allow',
            Action: 'secretsmanager:GetSecretValue',
            Resource: `arn:aws:secretsmanager:${region}:888888888888:secret:acme-pay/edge-prod/origin-verify-??????`,
          }]),
        },
      });
      regional.hasResourceProperties('AWS::ApiGatewayV2::Api', { DisableExecuteApiEndpoint: true });
    }
  });

  test('without WAF (dev) nothing of it: no distribution, no secret, the monolith\'s routes open, the authorizer keyed on token and route', () => {
    for (const type of ['AWS::CloudFront::Distribution', 'AWS::WAFv2::WebACL', 'AWS::SecretsManager::Secret', 'AWS::S3::Bucket']) dev.resourceCountIs(type, 0);
    dev.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'ANY /{proxy+}', AuthorizationType: 'NONE' });
    dev.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
    dev.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { IdentitySource: ['$request.header.Authorization', '$context.routeKey'] });
    const variables = Object.values(dev.findResources('AWS::Lambda::Function'))[0].Properties.Environment.Variables as Record<string, unknown>;
    expect(variables).not.toHaveProperty('EDGE_ORIGIN_SECRET_ID');
    expect(variables).not.toHaveProperty('EDGE_PASS_THROUGH_ROUTES');
  });

  test('an environment that deploys to us-east-1 keeps the front in that region\'s edge stack', () => {
    const org = loadFixtureOrganization(d => {
      d.environments[1].regions = ['us-east-1', 'eu-west-1']; d.environments[1].edge!.domain!.certificateArns = {
        'us-east-1': 'arn:aws:acm:us-east-1:100000000005:certificate/00000000-0000-4000-8000-000000000001',
        'eu-west-1': 'arn:aws:acm:eu-west-1:100000000005:certificate/00000000-0000-4000-8000-000000000002',
      };
    });
    const { stage, templates } = edgeStage(org, 'prod');
    expect(stage.stacks.map(s => s.stackName)).toEqual(['edge-prod-us-east-1', 'edge-prod-eu-west-1']);
    const east = templates['edge-prod-us-east-1'];
    east.resourceCountIs('AWS::CloudFront::Distribution', 1);
    east.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    // The secret is in the same stack: referenced, so CloudFormation creates it first.
    east.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Origins: [Match.objectLike({
          DomainName: 'edge-origin.test.example',
          OriginCustomHeaders: [{ HeaderName: 'x-origin-verify', HeaderValue: { 'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: Match.stringLikeRegexp('OriginSecret') }, ':SecretString:::}}']] } }],
        })],
      }),
    });
    east.hasResourceProperties('AWS::SecretsManager::Secret', { ReplicaRegions: [{ Region: 'eu-west-1' }] });
    templates['edge-prod-eu-west-1'].resourceCountIs('AWS::CloudFront::Distribution', 0);
  });

  test('the bootstrap tool bootstraps us-east-1 where a front deploys: the production account and the tooling account (CodePipeline\'s support stack)', () => {
    const regionsOf = (name: string) => bootstrapTargets(shipped).find(t => t.accountName === name)!.regions;
    expect(regionsOf('workload-prod')).toEqual(['eu-west-1', 'eu-central-1', 'us-east-1']);
    expect(regionsOf('workload-dev')).toEqual(['eu-west-1']);
    expect(regionsOf('tooling')).toEqual(['eu-west-1', 'eu-central-1', 'us-east-1']);
  });
});
