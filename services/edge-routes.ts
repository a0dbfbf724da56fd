import * as cdk from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { EdgeEnvironment } from '../accounts';
import { acknowledgeApiGatewayInvoke } from '../kit';
import { routeScopesParameterName } from './edge/route-scopes';

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
  /** The edge's authorizer id (from SSM). */
  readonly authorizerId: string;
  /** Where the edge's authorizer reads each route's scopes (edgeParameters.routeScopesPrefix). */
  readonly routeScopesPrefix: string;
  /** The edge's Cognito user pool id (from SSM), when the identity provider is Cognito. */
  readonly userPoolId?: string;
  /** The stage (the environment's name), for the invoke permissions. */
  readonly stageName: string;
  readonly routes: readonly EdgeRouteTarget[];
}

/**
 * A service's public routes on its environment's edge, owned by the
 * service's stack: per route, a route of the edge's HTTP API behind the
 * edge's authorizer, a Lambda integration (payload 1.0, the event shape the
 * handlers already take), the permission for that route alone to invoke the
 * function, and the route's scopes where the authorizer reads them (an SSM
 * parameter: deployed with the route; CloudFormation refuses a second owner).
 * With Cognito, the service's scopes are a resource server of the user pool
 * named after the service. Moving a route from the monolith to a service
 * changes this service's stack only: the edge's catch-all keeps serving
 * everything else.
 */
export class EdgeRoutes extends Construct {
  constructor(scope: Construct, id: string, props: EdgeRoutesProps) {
    super(scope, id);
    const stack = cdk.Stack.of(this);

    for (const route of props.routes) {
      const routeId = `${route.functionId.charAt(0).toUpperCase()}${route.functionId.slice(1)}`;
      const routeKey = `${route.method} ${route.path}`;
      new ssm.StringParameter(this, `${routeId}Scopes`, {
        parameterName: routeScopesParameterName(props.routeScopesPrefix, routeKey),
        stringValue: JSON.stringify({ route: routeKey, scopes: route.scopes }),
        description: `Scopes of ${routeKey} on the edge (${props.serviceName}), read by the edge's authorizer`,
      });
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
        routeKey,
        target: `integrations/${integration.ref}`,
        authorizationType: 'CUSTOM',
        authorizerId: props.authorizerId,
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

    if (props.edge.identity.provider === 'cognito' && props.userPoolId) {
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
