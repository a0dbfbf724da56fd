import * as cdk from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUrlIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { EdgeEnvironment, Environment, Organization } from '../accounts';
import {
  acknowledgeApiGatewayInvoke,
  acknowledgeInlinePolicies,
  acknowledgeNoVpc,
  acknowledgeXRay,
  acknowledgeWildcardResource,
  allowCloudWatchLogs,
  denyGrantsNotForAwsResources,
  FunctionBundle,
} from '../kit';
import { SERVICE_RUNTIME } from './service-function';
import { EDGE_SERVICE_NAME, edgeParameters } from './service-model';

/** Properties of an {@link EdgeStack}. */
export interface EdgeStackProps extends cdk.StackProps {
  readonly organization: Organization;
  /** The environment whose edge this is; it must declare one. */
  readonly environment: Environment;
  /** One of the environment's regions. */
  readonly region: string;
  /** The authorizer's bundle (services/edge/authorizer.ts), built once per synth. */
  readonly authorizerBundle: FunctionBundle;
  /** @default 365 */
  readonly logRetentionDays?: number;
}

/** The stack name of the edge of `env` in `region`: `edge-<env>-<region>`. */
export function edgeStackName(env: string, region: string): string {
  return `edge-${env}-${region}`;
}

/**
 * The public edge of one environment in one region, owned by the platform:
 * an API Gateway HTTP API with a stage named after the environment, JSON
 * access logs, stage throttling, the monolith behind every route no service
 * claims, the merchants' identity provider (a Cognito user pool with its
 * token endpoint, when declared), and a custom domain when declared.
 *
 * Services attach their public routes to it from their own stacks
 * (services/edge-routes.ts), with their own authorizer and scopes: the edge
 * does not change when a route moves from the monolith to a service, and
 * its size does not grow with the number of services. Everything a service
 * needs is published in SSM (edgeParameters), so the edge deploys before the
 * services of its environment and each service finds it at deploy time.
 */
export class EdgeStack extends cdk.Stack {
  public readonly api: apigwv2.HttpApi;
  public readonly stage: apigwv2.HttpStage;
  /** The merchants' user pool, when the identity provider is Cognito. */
  public readonly userPool?: cognito.UserPool;
  /** The declaration this edge was built from. */
  public readonly edge: EdgeEnvironment;
  /** The one authorizer of every service route (services/edge/authorizer.ts). */
  public readonly authorizer: apigwv2.CfnAuthorizer;
  /** Its function. */
  public readonly authorizerFunction: lambda.Function;

  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    const { organization: org, environment: env } = props;
    if (!env.edge) throw new Error(`environment ${env.name} declares no edge`);
    const edge = env.edge;
    super(scope, id, {
      description: `Public edge of ${org.name} in ${env.name}: merchants' API, the monolith behind routes no service serves yet`,
      ...props,
      env: { account: env.account.id, region: props.region },
    });
    this.edge = edge;
    const removalPolicy = env.production ? cdk.RemovalPolicy.RETAIN : cdk.RemovalPolicy.DESTROY;
    // The four tags the tag policy fixes: the edge is the platform's, in this environment.
    cdk.Tags.of(this).add('service', EDGE_SERVICE_NAME);
    cdk.Tags.of(this).add('environment', env.name);
    cdk.Tags.of(this).add('owner', org.governance.platformTags.owner);
    cdk.Tags.of(this).add('cost-center', org.governance.platformTags.costCenter);

    const key = new kms.Key(this, 'Key', {
      description: `Encrypts the access logs of the ${env.name} edge`,
      enableKeyRotation: true,
      alias: `${org.name}/edge-${env.name}`,
      removalPolicy: cdk.RemovalPolicy.RETAIN,
    });
    key.addToResourcePolicy(allowCloudWatchLogs(this));
    key.addToResourcePolicy(denyGrantsNotForAwsResources());
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: (props.logRetentionDays ?? 365) as logs.RetentionDays,
      encryptionKey: key,
      removalPolicy,
    });

    this.api = new apigwv2.HttpApi(this, 'Api', {
      apiName: `${org.name}-edge-${env.name}`,
      description: `Public API of ${org.name} (${env.name}): merchants call services through it, the monolith serves the rest`,
      createDefaultStage: false,
      // With a custom domain, merchants use it only: the execute-api address is closed.
      disableExecuteApiEndpoint: edge.domain !== undefined,
    });
    this.stage = new apigwv2.HttpStage(this, 'Stage', {
      httpApi: this.api,
      stageName: env.name,
      autoDeploy: true,
      throttle: { rateLimit: edge.throttling.rateLimit, burstLimit: edge.throttling.burstLimit },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogs),
        // Never the Authorization header or bodies: tokens and payment data stay out of logs.
        format: AccessLogFormat.custom(JSON.stringify({
          requestId: '$context.requestId',
          ip: '$context.identity.sourceIp',
          requestTime: '$context.requestTime',
          routeKey: '$context.routeKey',
          status: '$context.status',
          protocol: '$context.protocol',
          responseLength: '$context.responseLength',
          integrationLatency: '$context.integrationLatency',
          merchantId: '$context.authorizer.merchantId',
          authorizerError: '$context.authorizer.error',
          integrationError: '$context.integrationErrorMessage',
        })),
      },
    });

    if (edge.monolithUrl) {
      // Every request no service's route matches (API Gateway picks the most specific route) goes to the monolith as it came:
      // method, path, query string, headers (the caller's credentials included: the monolith authenticates as it always has)
      // and body.
      this.api.addRoutes({
        path: '/{proxy+}',
        methods: [apigwv2.HttpMethod.ANY],
        integration: new HttpUrlIntegration('Monolith', `${edge.monolithUrl}/{proxy}`),
      });
      this.api.addRoutes({
        path: '/',
        methods: [apigwv2.HttpMethod.ANY],
        integration: new HttpUrlIntegration('MonolithRoot', `${edge.monolithUrl}/`),
      });
    }

    const publish = (parameterId: string, name: string, value: string) =>
      new ssm.StringParameter(this, parameterId, { parameterName: name, stringValue: value, description: `The ${env.name} edge, for the services attaching routes to it` });
    publish('ApiIdParameter', edgeParameters.apiId(org.name, env.name), this.api.apiId);

    if (edge.identity.provider === 'cognito') {
      this.userPool = this.addUserPool(org, env, edge.identity, removalPolicy);
      publish('UserPoolIdParameter', edgeParameters.userPoolId(org.name, env.name), this.userPool.userPoolId);
    }

    [this.authorizer, this.authorizerFunction] = this.addAuthorizer(org, env, props, key, removalPolicy);
    publish('AuthorizerIdParameter', edgeParameters.authorizerId(org.name, env.name), this.authorizer.ref);

    let url = this.stage.url;
    if (edge.domain) {
      const domainName = new apigwv2.DomainName(this, 'Domain', {
        domainName: edge.domain.name,
        certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', edge.domain.certificateArns[this.region]),
        securityPolicy: apigwv2.SecurityPolicy.TLS_1_2,
      });
      new apigwv2.ApiMapping(this, 'DomainMapping', { api: this.api, domainName, stage: this.stage });
      url = `https://${edge.domain.name}/`;
      new cdk.CfnOutput(this, 'DomainTarget', {
        value: domainName.regionalDomainName,
        description: `Point ${edge.domain.name} here (a Route 53 alias or CNAME; latency records across regions)`,
      });
    }
    new cdk.CfnOutput(this, 'EdgeUrl', { value: url, description: `Merchants' base URL (${env.name})` });
    this.acknowledgeFindings(edge);
  }

  /** Merchants are app clients of this pool, with the client credentials grant: no users, no sign-up. */
  private addUserPool(org: Organization, env: Environment, identity: Extract<EdgeEnvironment['identity'], { provider: 'cognito' }>,
    removalPolicy: cdk.RemovalPolicy): cognito.UserPool {
    const pool = new cognito.UserPool(this, 'Merchants', {
      userPoolName: `${org.name}-merchants-${env.name}`,
      selfSignUpEnabled: false,
      deletionProtection: env.production,
      removalPolicy,
      featurePlan: cognito.FeaturePlan.ESSENTIALS,
      accountRecovery: cognito.AccountRecovery.NONE,
    });
    pool.addDomain('TokenDomain', { cognitoDomain: { domainPrefix: identity.domainPrefix } });
    new cdk.CfnOutput(this, 'TokenUrl', {
      value: `https://${identity.domainPrefix}.auth.${this.region}.amazoncognito.com/oauth2/token`,
      description: 'Merchants get access tokens here (client credentials grant)',
    });
    const reason = 'No person signs in to this pool: merchants are app clients using the OAuth 2.0 client credentials grant '
      + '(machine to machine), so there are no passwords, no MFA and no sign-in attempts for threat protection to assess';
    for (const id of ['AwsSolutions-COG1', 'AwsSolutions-COG2', 'AwsSolutions-COG3', 'AwsSolutions-COG8']) {
      cdk.Validations.of(pool).acknowledge({ id, reason });
    }
    return pool;
  }

  /**
   * The authorizer of every service route: it verifies merchants' tokens
   * against the environment's identity provider and reads each route's
   * scopes from the SSM parameter the owning service's stack writes
   * (edgeParameters.routeScopesPrefix). One for the whole edge: API Gateway
   * allows 10 authorizers per HTTP API.
   */
  private addAuthorizer(org: Organization, env: Environment, props: EdgeStackProps, key: kms.IKey,
    removalPolicy: cdk.RemovalPolicy): [apigwv2.CfnAuthorizer, lambda.Function] {
    const identity = this.edge.identity;
    const logGroup = new logs.LogGroup(this, 'AuthorizerLogs', {
      retention: (props.logRetentionDays ?? 365) as logs.RetentionDays,
      encryptionKey: key,
      removalPolicy,
    });
    const role = new iam.Role(this, 'AuthorizerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Verifies merchants' tokens on the ${env.name} edge`,
    });
    logGroup.grantWrite(role);
    const prefix = edgeParameters.routeScopesPrefix(org.name, env.name);
    const routeScopes = this.formatArn({ service: 'ssm', resource: 'parameter', resourceName: `${prefix.slice(1)}*` });
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: [routeScopes] }));
    acknowledgeWildcardResource(role, routeScopes, 'Reads the scopes of whichever route a request is for: one parameter per public route, each written by the owning service\'s stack');
    const config: Record<string, string> = identity.provider === 'cognito'
      ? {
        EDGE_ISSUER: `https://cognito-idp.${this.region}.amazonaws.com/${this.userPool!.userPoolId}`,
        // Cognito's client credentials tokens are access tokens; the app client is the merchant.
        EDGE_TOKEN_USE: 'access',
        EDGE_MERCHANT_CLAIM: 'client_id',
      }
      : {
        EDGE_ISSUER: identity.issuer,
        EDGE_MERCHANT_CLAIM: identity.merchantClaim,
        ...(identity.jwksUri ? { EDGE_JWKS_URI: identity.jwksUri } : {}),
        ...(identity.audience ? { EDGE_AUDIENCE: identity.audience } : {}),
      };
    const fn = new lambda.Function(this, 'Authorizer', {
      description: `Edge authorizer (${env.name}): merchants' tokens and each route's scopes`,
      code: lambda.Code.fromAsset(props.authorizerBundle.dir),
      handler: 'index.handler',
      runtime: SERVICE_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      // Above jose's 2 s JWKS fetch timeout; API Gateway gives an authorizer 10 s.
      timeout: cdk.Duration.seconds(5),
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      role,
      environment: {
        ...config,
        ROUTE_SCOPES_PARAMETER_PREFIX: prefix,
        POWERTOOLS_SERVICE_NAME: `edge-authorizer-${env.name}`,
        NODE_OPTIONS: '--enable-source-maps',
      },
    });
    acknowledgeXRay(role);
    acknowledgeInlinePolicies(role);
    acknowledgeNoVpc(fn);
    cdk.Validations.of(fn).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason: 'API Gateway calls the authorizer synchronously: there is no asynchronous invocation whose failure a dead-letter queue would keep',
    });
    const authorizer = new apigwv2.CfnAuthorizer(this, 'MerchantAuthorizer', {
      apiId: this.api.apiId,
      name: 'merchants',
      authorizerType: 'REQUEST',
      authorizerUri: `arn:${this.partition}:apigateway:${this.region}:lambda:path/2015-03-31/functions/${fn.functionArn}/invocations`,
      authorizerPayloadFormatVersion: '2.0',
      enableSimpleResponses: true,
      // Cached per token AND route: an answer for one route never authorizes another (scopes differ per route).
      identitySource: ['$request.header.Authorization', '$context.routeKey'],
      authorizerResultTtlInSeconds: 300,
    });
    const invoke = new lambda.CfnPermission(this, 'AuthorizerInvoke', {
      action: 'lambda:InvokeFunction',
      functionName: fn.functionArn,
      principal: 'apigateway.amazonaws.com',
      sourceArn: this.formatArn({ service: 'execute-api', resource: this.api.apiId, resourceName: `authorizers/${authorizer.ref}` }),
    });
    acknowledgeApiGatewayInvoke(invoke);
    return [authorizer, fn];
  }

  private acknowledgeFindings(edge: EdgeEnvironment): void {
    if (edge.monolithUrl) {
      for (const id of ['AwsSolutions-APIG4', 'AwsSolutions-COG4', 'cdk-validator-cfnguard::api_gw_v2_authorization_type_configured_check']) {
        cdk.Validations.of(this.api).acknowledge({
          id,
          reason: 'The routes here send what no service serves yet to the monolith, which authenticates its callers itself; '
            + 'service routes attach their own Lambda authorizer (services/edge-routes.ts)',
        });
      }
    }
  }
}
