import { Match, Template } from 'aws-cdk-lib/assertions';
import { routeScopesParameterName } from '../../services/edge/route-scopes';
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
  test('each public route is attached to the edge the environment publishes, behind the edge\'s authorizer', () => {
    const apiId = ssmParameter(catalogDev, '/testorg/dev/services/_edge/api-id');
    const routes = catalogDev.findResources('AWS::ApiGatewayV2::Route');
    expect(Object.values(routes).map(r => r.Properties.RouteKey)).toEqual(['GET /items/{itemId}']);
    catalogDev.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      ApiId: apiId,
      RouteKey: 'GET /items/{itemId}',
      AuthorizationType: 'CUSTOM',
      AuthorizerId: ssmParameter(catalogDev, '/testorg/dev/services/_edge/authorizer-id'),
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

  test('the route\'s scopes, where the edge\'s authorizer reads them: an SSM parameter named after the route, deployed with it', () => {
    catalogDev.hasResourceProperties('AWS::SSM::Parameter', {
      Name: routeScopesParameterName('/testorg/dev/services/_edge/route-scopes/', 'GET /items/{itemId}'),
      Value: JSON.stringify({ route: 'GET /items/{itemId}', scopes: ['catalog/read'] }),
    });
    // No authorizer of its own: one serves the whole edge (API Gateway allows 10 per API).
    catalogDev.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
  });

  test('with Cognito, the service owns its scopes: a resource server named after it on the environment\'s user pool', () => {
    catalogDev.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', {
      UserPoolId: ssmParameter(catalogDev, '/testorg/dev/services/_edge/user-pool-id'),
      Identifier: 'catalog',
      Scopes: [{ ScopeName: 'read', ScopeDescription: 'GET /items/{itemId}' }],
    });
  });

  test('with an external issuer, no user pool: no resource server', () => {
    catalogProd.resourceCountIs('AWS::Cognito::UserPoolResourceServer', 0);
    catalogProd.resourceCountIs('AWS::ApiGatewayV2::Route', 1);
  });

  test('an internal route stays off the edge: only the service\'s IAM API serves it', () => {
    for (const type of ['AWS::ApiGatewayV2::Route', 'AWS::ApiGatewayV2::Authorizer', 'AWS::ApiGatewayV2::Integration']) ordersDev.resourceCountIs(type, 0);
    ordersDev.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'POST', AuthorizationType: 'AWS_IAM' });
  });
});
