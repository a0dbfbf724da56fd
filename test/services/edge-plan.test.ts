import { Organization } from '../../accounts';
import { describeMigration, edgePlanProblems, edgeQuotaProblems, planEdges, routeShape, Service, ServiceManifestInput, ServiceManifestSchema } from '../../services';
import { loadSample, productionEdgeBehindWaf } from '../fixtures/organization';

/** The sample organization (dev, prod) with an edge in each, a monolith in each unless `monolithIn` says otherwise. */
function organization(monolithIn: readonly string[] = ['dev', 'prod']): Organization {
  return loadSample(d => {
    d.pipeline.waves = ['foundation', 'core'];
    d.environments.forEach(e => {
      e.edge = {
        identity: { provider: 'cognito', domainPrefix: `test-${e.name}` },
        ...(monolithIn.includes(e.name) ? { monolithUrl: `https://monolith.${e.name}.test.example` } : {}),
      };
    });
    if (monolithIn.length > 0) d.monolith = { routes: ['GET /orders/{id}', 'POST /orders', 'GET /invoices/{id}', 'DELETE /orders/{id}'] };
    productionEdgeBehindWaf(d);
  });
}

function service(name: string, functions: ServiceManifestInput['functions'], extra: Partial<ServiceManifestInput> = {}): Service {
  const manifest = ServiceManifestSchema.parse({ name, description: name, owner: 'team-test', costCenter: 'CC-1', wave: 'core', onCall: [{ email: 'test@test.example' }], functions, ...extra });
  return { manifest, requestSchemas: {}, dir: `/repo/services/${name}`, folder: `services/${name}` };
}

const orders = service('orders', {
  getOrder: { handler: 'src/get-order.ts', route: { method: 'GET', path: '/orders/{orderId}', scopes: ['orders/read'] } },
  createOrder: { handler: 'src/create-order.ts', route: { method: 'POST', path: '/orders', scopes: ['orders/write'] } },
  // Internal: no scopes, not on the edge.
  cancelOrder: { handler: 'src/cancel-order.ts', route: { method: 'DELETE', path: '/orders/{orderId}' } },
});

describe('the edge plan of each environment', () => {
  test('routes with scopes go to their service; the monolith keeps the rest of its routes (parameters compared by position)', () => {
    const [dev, prod] = planEdges(organization(), [orders]);
    expect(dev.environment).toBe('dev');
    expect(dev.serviceRoutes).toEqual([
      { key: 'GET /orders/{orderId}', service: 'orders', functionId: 'getOrder', scopes: ['orders/read'] },
      { key: 'POST /orders', service: 'orders', functionId: 'createOrder', scopes: ['orders/write'] },
    ]);
    expect(dev.migratedRoutes).toEqual(['GET /orders/{id}', 'POST /orders']);
    expect(dev.monolithRoutes).toEqual(['DELETE /orders/{id}', 'GET /invoices/{id}']);
    expect(prod.serviceRoutes).toEqual(dev.serviceRoutes);
    expect(routeShape('GET /a/{x}/b/{y}')).toBe('GET /a/{}/b/{}');
  });

  test('an environment without an edge has no plan; one without a monolith has no monolith routes', () => {
    const org = loadSample(d => {
      d.environments[1].edge = { identity: { provider: 'cognito', domainPrefix: 'test-prod' } };
      productionEdgeBehindWaf(d);
    });
    const plans = planEdges(org, [orders]);
    expect(plans.map(p => p.environment)).toEqual(['prod']);
    expect(plans[0].monolithRoutes).toEqual([]);
    expect(plans[0].migratedRoutes).toEqual([]);
  });

  test('synth prints the migration progress per environment', () => {
    const later = service('invoices', {
      getInvoice: { handler: 'src/get-invoice.ts', route: { method: 'GET', path: '/invoices/{invoiceId}', scopes: ['invoices/read'] } },
    }, { environments: ['dev'] });
    expect(describeMigration(planEdges(organization(['dev', 'prod']), [orders, later]))).toEqual([
      '  Edge dev: 3 route(s) on services (invoices 1, orders 2); 1 of the monolith\'s 4 route(s) left to it (https://monolith.dev.test.example), 75% migrated: DELETE /orders/{id}',
      '  Edge prod: 2 route(s) on services (orders 2); 2 of the monolith\'s 4 route(s) left to it (https://monolith.prod.test.example), 50% migrated: DELETE /orders/{id}, GET /invoices/{id}',
    ]);
    expect(describeMigration(planEdges(organization([]), [orders]))).toEqual([
      '  Edge dev: 2 route(s) on services (orders 2); no monolith',
      '  Edge prod: 2 route(s) on services (orders 2); no monolith',
    ]);
  });
});

describe('promotion never moves a route backwards', () => {
  test('a service taking over routes in every environment is fine, and so is one new in dev only', () => {
    const newInDev = service('invoices', {
      getInvoice: { handler: 'src/get-invoice.ts', route: { method: 'GET', path: '/invoices/{invoiceId}', scopes: ['invoices/read'] } },
    }, { environments: ['dev'] });
    expect(edgePlanProblems(organization(), [orders, newInDev])).toEqual([]);
  });

  test('a route served by a service in prod but by the monolith in dev is refused, naming the fix', () => {
    const prodOnly = service('invoices', {
      getInvoice: { handler: 'src/get-invoice.ts', route: { method: 'GET', path: '/invoices/{invoiceId}', scopes: ['invoices/read'] } },
    }, { environments: ['prod'] });
    expect(edgePlanProblems(organization(), [prodOnly])).toEqual([
      'services/invoices/service.ts: functions.getInvoice.route "GET /invoices/{invoiceId}" is served by invoices from prod on, but not in the earlier '
      + 'dev (the monolith serves it there); promotion must not move a route backwards. Allowed: deploy invoices to dev too (environments in its manifest), '
      + 'or keep the route internal (no scopes) until it does',
    ]);
    expect(edgePlanProblems(organization(['prod']), [prodOnly])[0]).toContain('but not in the earlier dev (it answers 404 there: no monolith)');
  });
});

describe('API Gateway\'s quotas on an edge are checked at synth', () => {
  /** `count` services, each with `routes` public routes served by `functions` functions. */
  const many = (count: number, routes: number, functions = routes) => Array.from({ length: count }, (_, i) => {
    const name = `svc-${String(i).padStart(3, '0')}`;
    return service(name, Object.fromEntries(Array.from({ length: functions }, (__, f) => [`fn${f}`, {
      handler: 'src/handler.ts',
      route: { method: 'GET' as const, path: `/${name}/r${f}`, scopes: [`${name}/read`] },
    }])));
  });

  test('an edge within the quotas passes: 10 services of 29 routes is 290 routes plus the monolith\'s 2', () => {
    expect(edgeQuotaProblems(organization(), many(10, 29))).toEqual([]);
  });

  test('any number of services share the edge\'s one authorizer', () => {
    expect(edgeQuotaProblems(organization(), many(40, 1))).toEqual([]);
  });

  test('more routes than the quota, and more integrations than API Gateway allows at all', () => {
    const raisedRoutes = loadSample(d => {
      d.environments.forEach(e => { e.edge = { identity: { provider: 'cognito', domainPrefix: `test-${e.name}` }, quotas: { routes: 1000 } }; });
      productionEdgeBehindWaf(d);
    });
    expect(edgeQuotaProblems(organization(), many(10, 30))[0]).toBe(
      'accounts/organization.ts: environments[0].edge: the dev edge would have 302 routes, above its quota of 300 routes per HTTP API; '
      + 'fix: ask AWS to raise "Routes per API" for the edge API (Service Quotas) and set quotas.routes, or keep some routes internal (no scopes)');
    expect(edgeQuotaProblems(raisedRoutes, many(20, 16))[0]).toBe(
      'accounts/organization.ts: environments[0].edge: the dev edge would have 320 integrations (one per public function), above API Gateway\'s limit of 300 '
      + 'per HTTP API, which AWS does not raise; fix: keep some routes internal (no scopes): one HTTP API cannot integrate more functions, and splitting the edge into several APIs is not supported yet');
  });
});
