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
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { EDGE_FRONT_REGION, EdgeEnvironment, edgeRegions, Environment, Organization, regionalDomainName, wafLogBucketName } from '../accounts';
import {
  acknowledgeApiGatewayInvoke,
  acknowledgeInlinePolicies,
  acknowledgeFindings,
  acknowledgeNoSecretsInEnvironment,
  acknowledgeNoVpc,
  acknowledgeUnreservedConcurrency,
  acknowledgeXRay,
  acknowledgeWildcardResource,
  allowCloudWatchLogs,
  denyGrantsNotForAwsResources,
  FunctionBundle,
} from '../kit';
import { ORIGIN_VERIFY_HEADER, originSecretName } from './edge/origin';
import { EdgeFront } from './edge-front';
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

/** The route keys of the monolith's catch-all routes. */
export const MONOLITH_ROUTE_KEYS: readonly string[] = ['ANY /{proxy+}', 'ANY /'];

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
  /** With WAF, in the primary region: the origin secret CloudFront sends (replicated to the edge's other regions). */
  public readonly originSecret?: secretsmanager.Secret;
  /** With WAF, in the primary region: where WAF writes the front's request logs. */
  public readonly wafLogBucket?: s3.Bucket;
  /** With WAF, in us-east-1 when the environment deploys there: the front (else services/edge-front.ts's own stack). */
  public readonly front?: EdgeFront;

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

    const primary = props.region === env.regions[0];
    if (edge.waf && primary) {
      this.originSecret = this.addOriginSecret(org, env, removalPolicy);
      this.wafLogBucket = this.addWafLogBucket(env, key, props.logRetentionDays ?? 365);
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
    if (edge.monolithUrl) this.addMonolith(edge.monolithUrl);

    let url = this.stage.url;
    if (edge.domain) {
      const regionalName = regionalDomainName(edge)!;
      const domainName = new apigwv2.DomainName(this, 'Domain', {
        domainName: regionalName,
        certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', edge.domain.certificateArns[this.region]),
        securityPolicy: apigwv2.SecurityPolicy.TLS_1_2,
      });
      new apigwv2.ApiMapping(this, 'DomainMapping', { api: this.api, domainName, stage: this.stage });
      url = `https://${edge.domain.name}/`;
      new cdk.CfnOutput(this, 'DomainTarget', {
        value: domainName.regionalDomainName,
        description: `Point ${regionalName} here (a Route 53 alias or CNAME; latency records across regions)`,
      });
    }
    if (edge.waf && props.region === EDGE_FRONT_REGION) {
      // The environment deploys to us-east-1 too: the front lives in that region's edge stack.
      this.front = new EdgeFront(this, 'Front', { organization: org, environment: env, originSecretValue: this.originSecret?.secretValue });
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
    if (this.edge.waf) {
      // The origin secret's replica (or the secret itself) in this region; Secrets Manager appends 6 random characters to the name.
      const secretArn = this.formatArn({
        service: 'secretsmanager', resource: 'secret', resourceName: `${originSecretName(org.name, env.name)}-??????`, arnFormat: cdk.ArnFormat.COLON_RESOURCE_NAME,
      });
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secretArn] }));
      acknowledgeWildcardResource(role, secretArn, 'The origin secret by name: Secrets Manager suffixes its ARN with 6 random characters, and in this region it may be a replica');
      config.EDGE_ORIGIN_SECRET_ID = originSecretName(org.name, env.name);
      if (this.edge.monolithUrl) config.EDGE_PASS_THROUGH_ROUTES = JSON.stringify(MONOLITH_ROUTE_KEYS);
    }
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
      // Issuer, claim names, the scopes prefix and the origin secret's name (not its value): encrypted with the edge's key all the same.
      environmentEncryption: key,
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
    acknowledgeUnreservedConcurrency(fn);
    acknowledgeNoSecretsInEnvironment(fn);
    acknowledgeFindings(fn, ['Serverless-LambdaDLQ', 'CKV_AWS_116'],
      'API Gateway calls the authorizer synchronously: there is no asynchronous invocation whose failure a dead-letter queue would keep');
    const authorizer = new apigwv2.CfnAuthorizer(this, 'MerchantAuthorizer', {
      apiId: this.api.apiId,
      name: 'merchants',
      authorizerType: 'REQUEST',
      authorizerUri: `arn:${this.partition}:apigateway:${this.region}:lambda:path/2015-03-31/functions/${fn.functionArn}/invocations`,
      authorizerPayloadFormatVersion: '2.0',
      enableSimpleResponses: true,
      // Cached per token AND route: an answer for one route never authorizes another (scopes differ per route).
      // With WAF, also per origin header: API Gateway refuses a request without it before calling the function.
      identitySource: ['$request.header.Authorization', '$context.routeKey', ...(this.edge.waf ? [`$request.header.${ORIGIN_VERIFY_HEADER}`] : [])],
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

  /**
   * Every request no service's route matches (API Gateway picks the most
   * specific route) goes to the monolith as it came: method, path, query
   * string, headers (the caller's credentials included: the monolith
   * authenticates as it always has) and body. With WAF, the routes check the
   * origin header only (an authorizer of their own, cached per header value),
   * and the header is removed before the monolith sees it.
   */
  private addMonolith(monolithUrl: string): void {
    let authorizer: apigwv2.IHttpRouteAuthorizer | undefined;
    if (this.edge.waf) {
      const origin = new apigwv2.CfnAuthorizer(this, 'OriginAuthorizer', {
        apiId: this.api.apiId,
        name: 'origin',
        authorizerType: 'REQUEST',
        authorizerUri: this.authorizer.authorizerUri,
        authorizerPayloadFormatVersion: '2.0',
        enableSimpleResponses: true,
        identitySource: [`$request.header.${ORIGIN_VERIFY_HEADER}`],
        authorizerResultTtlInSeconds: 300,
      });
      const invoke = new lambda.CfnPermission(this, 'OriginAuthorizerInvoke', {
        action: 'lambda:InvokeFunction',
        functionName: this.authorizerFunction.functionArn,
        principal: 'apigateway.amazonaws.com',
        sourceArn: this.formatArn({ service: 'execute-api', resource: this.api.apiId, resourceName: `authorizers/${origin.ref}` }),
      });
      acknowledgeApiGatewayInvoke(invoke);
      authorizer = { bind: () => ({ authorizationType: 'CUSTOM', authorizerId: origin.ref }) };
    }
    const parameterMapping = this.edge.waf ? new apigwv2.ParameterMapping().removeHeader(ORIGIN_VERIFY_HEADER) : undefined;
    this.api.addRoutes({
      path: '/{proxy+}',
      methods: [apigwv2.HttpMethod.ANY],
      integration: new HttpUrlIntegration('Monolith', `${monolithUrl}/{proxy}`, { parameterMapping }),
      authorizer,
    });
    this.api.addRoutes({
      path: '/',
      methods: [apigwv2.HttpMethod.ANY],
      integration: new HttpUrlIntegration('MonolithRoot', `${monolithUrl}/`, { parameterMapping }),
      authorizer,
    });
  }

  /**
   * The value CloudFront sends in the origin header (services/edge/origin.ts):
   * random, replicated to every other region of the edge (us-east-1 included,
   * where the front resolves it), never in a template or a log.
   */
  private addOriginSecret(org: Organization, env: Environment, removalPolicy: cdk.RemovalPolicy): secretsmanager.Secret {
    const secret = new secretsmanager.Secret(this, 'OriginSecret', {
      secretName: originSecretName(org.name, env.name),
      description: `The header CloudFront adds to requests for the ${env.name} edge; the edge refuses requests without it`,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      replicaRegions: edgeRegions(env).filter(r => r !== this.region).map(region => ({ region })),
      removalPolicy,
    });
    cdk.Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'Rotated by hand, without downtime: the authorizers accept the current and previous versions; a new value takes effect in '
        + 'CloudFront when the edge stage redeploys (README, "Rotating the edge\'s origin secret"); a rotation Lambda could not redeploy CloudFront',
    });
    acknowledgeFindings(secret, ['PCI.DSS.321-SecretsManagerUsingKMSKey', 'CKV_AWS_149'],
      'Encrypted with the AWS managed key of Secrets Manager in each region: a customer key would have to exist in every replica region '
        + 'before this stack deploys, and the value is visible in CloudFront\'s distribution configuration anyway to whoever may read it');
    return secret;
  }

  /** Where AWS WAF (in us-east-1) writes the front's logs: here, in the environment's primary region, encrypted with the edge's key. */
  private addWafLogBucket(env: Environment, key: kms.Key, retentionDays: number): s3.Bucket {
    const bucket = new s3.Bucket(this, 'WafLogs', {
      bucketName: wafLogBucketName(env.account.id, env.name),
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      versioned: true,
      // Evidence: nobody changes or deletes a log before its retention ends (governance mode: only with s3:BypassGovernanceRetention).
      objectLockEnabled: true,
      objectLockDefaultRetention: s3.ObjectLockRetention.governance(cdk.Duration.days(retentionDays)),
      lifecycleRules: [{ expiration: cdk.Duration.days(retentionDays), noncurrentVersionExpiration: cdk.Duration.days(1) }],
      // Locked objects cannot be deleted, so neither can the bucket: kept in every environment.
      removalPolicy: cdk.RemovalPolicy.RETAIN,
    });
    // Log delivery writes for the web ACL in us-east-1 of this account only (AWS's documented policy for vended logs).
    const conditions = {
      StringEquals: { 'aws:SourceAccount': this.account },
      ArnLike: { 'aws:SourceArn': `arn:${this.partition}:logs:${EDGE_FRONT_REGION}:${this.account}:*` },
    };
    const delivery = new iam.ServicePrincipal('delivery.logs.amazonaws.com');
    bucket.addToResourcePolicy(new iam.PolicyStatement({
      principals: [delivery],
      actions: ['s3:PutObject'],
      resources: [bucket.arnForObjects(`AWSLogs/${this.account}/*`)],
      conditions: { ...conditions, StringEquals: { ...conditions.StringEquals, 's3:x-amz-acl': 'bucket-owner-full-control' } },
    }));
    bucket.addToResourcePolicy(new iam.PolicyStatement({ principals: [delivery], actions: ['s3:GetBucketAcl'], resources: [bucket.bucketArn], conditions }));
    key.addToResourcePolicy(new iam.PolicyStatement({
      principals: [delivery],
      actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
      resources: ['*'],
      conditions,
    }));
    const acknowledge = (ids: readonly string[], reason: string) => acknowledgeFindings(bucket, ids, reason);
    acknowledge(['AwsSolutions-S1', 'PCI.DSS.321-S3BucketLoggingEnabled', 'cdk-validator-cfnguard::s3_bucket_logging_enabled_check', 'CKV_AWS_18'],
      'A log bucket, written only by AWS log delivery for the edge\'s web ACL and locked against changes (Object Lock); its own server access '
      + 'logs would need another log bucket, whose access logs would need another');
    acknowledge(['PCI.DSS.321-S3BucketReplicationEnabled'], `Kept in ${this.region} only, the environment's primary region, so request data `
      + 'stays where the environment is; S3 stores it across availability zones');
    acknowledge(['cdk-validator-cfnguard::s3_event_notifications_enabled_check'],
      'Nothing reacts to a new log object: the logs are queried (Athena) when investigating, and WAF\'s metrics alarm on blocked traffic');
    return bucket;
  }

  private acknowledgeFindings(edge: EdgeEnvironment): void {
    // With WAF, the monolith's routes have the origin authorizer.
    if (edge.monolithUrl && !edge.waf) {
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
