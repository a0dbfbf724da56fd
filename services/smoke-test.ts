import type { SmokeTest } from './hooks/pre-traffic-hook';
import type { ServiceFunctionManifest } from './service-model';

/** The merchant the pre-traffic smoke requests of public routes come from. */
export const SMOKE_TEST_MERCHANT = 'smoke-test';

/**
 * The smoke request for a function: an API Gateway proxy event for a route
 * (as merchant {@link SMOKE_TEST_MERCHANT} for a public one), an empty SQS
 * batch for a queue.
 */
export function smokeTestFor(fn: ServiceFunctionManifest, stage: string): SmokeTest {
  if (!fn.route) return { kind: 'queue', event: { Records: [] } };
  const smoke = fn.smokeTest ?? {};
  const parameterNames = [...fn.route.path.matchAll(/\{([^}]+)\}/g)].map(x => x[1]);
  const pathParameters = Object.fromEntries(parameterNames.map(p => [p, smoke.pathParameters?.[p] ?? 'smoke-test']));
  const path = fn.route.path.replace(/\{([^}]+)\}/g, (_, p: string) => encodeURIComponent(pathParameters[p]));
  return {
    kind: 'http',
    expectStatus: smoke.expectStatus,
    event: {
      resource: fn.route.path,
      path,
      httpMethod: fn.route.method,
      headers: { 'content-type': 'application/json', 'x-smoke-test': 'true' },
      multiValueHeaders: {},
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      pathParameters: parameterNames.length > 0 ? pathParameters : null,
      stageVariables: null,
      body: smoke.body === undefined ? null : JSON.stringify(smoke.body),
      isBase64Encoded: false,
      requestContext: {
        stage,
        httpMethod: fn.route.method,
        path: `/${stage}${path}`,
        resourcePath: fn.route.path,
        requestId: 'pre-traffic-smoke-test',
        identity: { caller: 'pre-traffic-hook' },
        // A public route is smoke-tested as merchants reach it: through the edge, as merchant smoke-test with the
        // route's scopes (services/runtime/merchant.ts reads it), so the per-merchant checks run before traffic shifts.
        ...(fn.route.scopes ? { authorizer: { lambda: { merchantId: SMOKE_TEST_MERCHANT, scopes: fn.route.scopes.join(' '), clientId: SMOKE_TEST_MERCHANT } } } : {}),
      },
    },
  };
}
