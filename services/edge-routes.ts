import * as cdk from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EdgeEnvironment } from '../accounts';
import { acknowledgeApiGatewayInvoke, acknowledgeInlinePolicies, acknowledgeNoVpc, acknowledgeXRay, FunctionBundle } from '../kit';
import { SERVICE_RUNTIME } from './service-function';

/** A public route of a service, as attached to the edge. */
export interface EdgeRouteTarget {
  readonly functionId: string;
  readonly method: string;
  readonly path: string;
  /** A merchant's token needs at least one. */
  readonly scopes: readonly string[];
  /** The function's `live` alias. */
  readonly target: lambda.IFunction;
  /** Seconds API Gateway waits for the function (at most 29 for a route). */
  readonly timeoutSeconds: number;
}

/** Properties of {@link EdgeRoutes}. */
export interface EdgeRoutesProps {
  readonly serviceName: string;
  /** The environment's edge declaration (its identity provider). */
  readonly edge: EdgeEnvironment;
  /** The edge's HTTP API id (read from SSM at deploy time). */
  readonly apiId: string;
  /** The edge's Cognito user pool id (from SSM), when the identity provider is Cognito. */
  readonly userPoolId?: string;
  /** The stage (the environment's name), for the invoke permissions. */
  readonly stageName: string;
  readonly routes: readonly EdgeRouteTarget[];
  /** The platform's authorizer handler (services/edge/authorizer.ts), bundled once per synth. */
  readonly authorizerBundle: FunctionBundle;
  readonly encryptionKey: kms.IKey;
  readonly logRetentionDays: number;
  readonly deadLetterQueue: sqs.IQueue;
  readonly removalPolicy: cdk.RemovalPolicy;
}

/**
 * A service's public routes on its environment's edge, owned by the
 * service's stack: a route and a Lambda integration (payload 1.0, the event
 * shape the handlers already take) per route, and the service's own instance
 * of the platform's authorizer, which verifies the merchant's token and the
 * route's scopes and passes the merchant id on. With Cognito, the service's
 * scopes are a resource server of the user pool named after the service.
 * Moving a route from the monolith to a service changes this service's stack
 * only: the edge's catch-all route keeps serving everything else.
 */
export class EdgeRoutes extends Construct {
  /** The authorizer function. */
  public readonly authorizerFunction: lambda.Function;

  constructor(scope: Construct, id: string, props: EdgeRoutesProps) {
    super(scope, id);
    const stack = cdk.Stack.of(this);
    const identity = props.edge.identity;
    const routeScopes = Object.fromEntries(props.routes.map(r => [`${r.method} ${r.path}`, [...r.scopes]]));

    const logGroup = new logs.LogGroup(this, 'AuthorizerLogs', {
      retention: props.logRetentionDays as logs.RetentionDays,
      encryptionKey: props.encryptionKey,
      removalPolicy: props.removalPolicy,
    });
    const role = new iam.Role(this, 'AuthorizerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Verifies merchants' tokens for the public routes of ${props.serviceName}`,
    });
    logGroup.grantWrite(role);
    const config: Record<string, string> = identity.provider === 'cognito'
      ? {
        EDGE_ISSUER: `https://cognito-idp.${stack.region}.amazonaws.com/${props.userPoolId}`,
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
    this.authorizerFunction = new lambda.Function(this, 'Authorizer', {
      description: `Edge authorizer of ${props.serviceName}: merchant tokens and route scopes`,
      code: lambda.Code.fromAsset(props.authorizerBundle.dir),
      handler: 'index.handler',
      runtime: SERVICE_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: cdk.Duration.seconds(5),
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      role,
      deadLetterQueue: props.deadLetterQueue,
      environment: {
        ...config,
        ROUTE_SCOPES: JSON.stringify(routeScopes),
        POWERTOOLS_SERVICE_NAME: `${props.serviceName}-edge-authorizer`,
        NODE_OPTIONS: '--enable-source-maps',
      },
    });
    acknowledgeXRay(role);
    acknowledgeInlinePolicies(role);
    acknowledgeNoVpc(this.authorizerFunction);
    cdk.Validations.of(this.authorizerFunction).acknowledge({
      id: 'cdk-validator-cfnguard::lambda_concurrency_check',
      reason: 'Caps would refuse merchants\' requests at the edge before the service\'s own limits apply; API Gateway caches its answers per token and route',
    });

    const authorizer = new apigwv2.CfnAuthorizer(this, 'EdgeAuthorizer', {
      apiId: props.apiId,
      name: `${props.serviceName}-merchants`,
      authorizerType: 'REQUEST',
      authorizerUri: `arn:${stack.partition}:apigateway:${stack.region}:lambda:path/2015-03-31/functions/${this.authorizerFunction.functionArn}/invocations`,
      authorizerPayloadFormatVersion: '2.0',
      enableSimpleResponses: true,
      // Cached per token AND route: an answer for one route never authorizes another (scopes differ per route).
      identitySource: ['$request.header.Authorization', '$context.routeKey'],
      authorizerResultTtlInSeconds: 300,
    });
    const authorizerInvoke = new lambda.CfnPermission(this, 'AuthorizerInvoke', {
      action: 'lambda:InvokeFunction',
      functionName: this.authorizerFunction.functionArn,
      principal: 'apigateway.amazonaws.com',
      sourceArn: stack.formatArn({ service: 'execute-api', resource: props.apiId, resourceName: `authorizers/${authorizer.ref}` }),
    });
    acknowledgeApiGatewayInvoke(authorizerInvoke);

    for (const route of props.routes) {
      const routeId = `${route.functionId.charAt(0).toUpperCase()}${route.functionId.slice(1)}`;
      const integration = new apigwv2.CfnIntegration(this, `${routeId}Integration`, {
        apiId: props.apiId,
        integrationType: 'AWS_PROXY',
        integrationUri: route.target.functionArn,
        // The REST proxy event shape: the same handler serves the service's IAM API and the edge.
        payloadFormatVersion: '1.0',
        timeoutInMillis: Math.min(route.timeoutSeconds, 29) * 1000 + 500,
      });
      new apigwv2.CfnRoute(this, `${routeId}Route`, {
        apiId: props.apiId,
        routeKey: `${route.method} ${route.path}`,
        target: `integrations/${integration.ref}`,
        authorizationType: 'CUSTOM',
        authorizerId: authorizer.ref,
      });
      const invoke = new lambda.CfnPermission(this, `${routeId}Invoke`, {
        action: 'lambda:InvokeFunction',
        functionName: route.target.functionArn,
        principal: 'apigateway.amazonaws.com',
        // This route of the edge only, in its stage: the path with its parameters as `*`.
        sourceArn: stack.formatArn({
          service: 'execute-api',
          resource: props.apiId,
          resourceName: `${props.stageName}/${route.method}${route.path.replace(/\{[^}]+\}/g, '*')}`,
        }),
      });
      acknowledgeApiGatewayInvoke(invoke);
    }

    if (identity.provider === 'cognito' && props.userPoolId) {
      // The service's scopes, owned by the service: `payments/read` is scope `read` of resource server `payments`.
      const names = [...new Set(props.routes.flatMap(r => r.scopes))].sort();
      new cognito.CfnUserPoolResourceServer(this, 'ResourceServer', {
        userPoolId: props.userPoolId,
        identifier: props.serviceName,
        name: props.serviceName,
        scopes: names.map(name => ({
          scopeName: name.slice(props.serviceName.length + 1),
          scopeDescription: props.routes.filter(r => r.scopes.includes(name)).map(r => `${r.method} ${r.path}`).join(', ').slice(0, 256),
        })),
      });
    }
  }
}
