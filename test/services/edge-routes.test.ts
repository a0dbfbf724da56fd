import { Match, Template } from 'aws-cdk-lib/assertions';
import { ASSEMBLIES, sharedAssembly } from '../fixtures/assembly';

// The fixture services' stacks without a pipeline: catalog's GET /items/{itemId} is public (scope catalog/read), orders'
// POST /orders internal. The fixture organization's dev edge trusts its Cognito user pool, prod's an external issuer.
const app = sharedAssembly(ASSEMBLIES.fixturePlatform);
const template = (stack: string) => Template.fromJSON(app.assembly.getStackByName(stack).template);
const catalogDev = template('catalog-dev-eu-west-1');
const catalogProd = template('catalog-prod-eu-central-1');
const ordersDev = template('orders-dev-eu-west-1');

/** The SSM-typed parameter a stack resolves `name` through, at deploy time. */
const ssmParameter = (t: Template, name: string) => {
  const [id] = Object.entries(t.toJSON().Parameters as Record<string, { Type: string; Default?: string }>)
    .find(([, p]) => p.Default === name && p.Type.startsWith('AWS::SSM::Parameter::Value'))!;
  return { Ref: id };
};

describe('a service\'s public routes on its environment\'s edge', () => {
  test('each public route is attached to the edge the environment publishes, behind the service\'s authorizer', () => {
    const apiId = ssmParameter(catalogDev, '/testorg/dev/services/_edge/api-id');
    const routes = catalogDev.findResources('AWS::ApiGatewayV2::Route');
    expect(Object.values(routes).map(r => r.Properties.RouteKey)).toEqual(['GET /items/{itemId}']);
    catalogDev.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      ApiId: apiId,
      RouteKey: 'GET /items/{itemId}',
      AuthorizationType: 'CUSTOM',
      AuthorizerId: { Ref: Match.stringLikeRegexp('EdgeAuthorizer') },
      Target: { 'Fn::Join': ['', ['integrations/', { Ref: Match.stringLikeRegexp('GetItemIntegration') }]] },
    });
  });

  test('to the function\'s live alias, with the REST proxy event shape the handler takes (payload 1.0), within API Gateway\'s 29 s', () => {
    catalogDev.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '1.0',
      IntegrationUri: { Ref: Match.stringLikeRegexp('^FngetItemLiveAlias') },
      TimeoutInMillis: 10_500,
    });
    // Only this API's route may invoke it: apigateway with a SourceArn of the edge's stage, method and path.
    catalogDev.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'apigateway.amazonaws.com',
      FunctionName: { Ref: Match.stringLikeRegexp('^FngetItemLiveAlias') },
      SourceArn: { 'Fn::Join': ['', Match.arrayWith([':execute-api:eu-west-1:100000000004:', ssmParameter(catalogDev, '/testorg/dev/services/_edge/api-id'), '/dev/GET/items/*'])] },
    });
  });

  test('the authorizer: merchants\' tokens, cached per token and route, with the route\'s scopes deployed with it', () => {
    catalogDev.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      AuthorizerPayloadFormatVersion: '2.0',
      EnableSimpleResponses: true,
      IdentitySource: ['$request.header.Authorization', '$context.routeKey'],
      AuthorizerResultTtlInSeconds: 300,
    });
    catalogDev.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Edge authorizer of catalog'),
      Environment: {
        Variables: Match.objectLike({
          EDGE_ISSUER: { 'Fn::Join': ['', ['https://cognito-idp.eu-west-1.amazonaws.com/', ssmParameter(catalogDev, '/testorg/dev/services/_edge/user-pool-id')]] },
          EDGE_TOKEN_USE: 'access',
          EDGE_MERCHANT_CLAIM: 'client_id',
          ROUTE_SCOPES: JSON.stringify({ 'GET /items/{itemId}': ['catalog/read'] }),
        }),
      },
    });
  });

  test('with Cognito, the service owns its scopes: a resource server named after it on the environment\'s user pool', () => {
    catalogDev.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', {
      UserPoolId: ssmParameter(catalogDev, '/testorg/dev/services/_edge/user-pool-id'),
      Identifier: 'catalog',
      Scopes: [{ ScopeName: 'read', ScopeDescription: 'GET /items/{itemId}' }],
    });
  });

  test('with an external issuer, the authorizer trusts it with its audience and merchant claim; no user pool', () => {
    catalogProd.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          EDGE_ISSUER: 'https://login.test.example',
          EDGE_AUDIENCE: 'https://api.test.example',
          EDGE_MERCHANT_CLAIM: 'merchant_id',
        }),
      },
    });
    catalogProd.resourceCountIs('AWS::Cognito::UserPoolResourceServer', 0);
    expect(JSON.stringify(catalogProd.toJSON())).not.toContain('EDGE_TOKEN_USE');
  });

  test('an internal route stays off the edge: only the service\'s IAM API serves it', () => {
    for (const type of ['AWS::ApiGatewayV2::Route', 'AWS::ApiGatewayV2::Authorizer', 'AWS::ApiGatewayV2::Integration']) ordersDev.resourceCountIs(type, 0);
    ordersDev.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'POST', AuthorizationType: 'AWS_IAM' });
  });
});
