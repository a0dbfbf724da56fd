import { EdgeEnvironment, HTTP_API_INTEGRATIONS_LIMIT, Organization } from '../accounts';
import { Service } from './service-model';

/** A route a service serves on the edge. */
export interface EdgeRoute {
  /** `<METHOD> <path>`, as the manifest declares it. */
  readonly key: string;
  readonly service: string;
  readonly functionId: string;
  /** A token needs at least one. */
  readonly scopes: readonly string[];
}

/** What the edge of one environment serves: routes on services, the rest on the monolith. */
export interface EnvironmentEdgePlan {
  readonly environment: string;
  readonly edge: EdgeEnvironment;
  /** Public routes of the services deployed to this environment, sorted by key. */
  readonly serviceRoutes: readonly EdgeRoute[];
  /** Routes of the monolith's inventory that no service serves here, sorted (empty without a monolith). */
  readonly monolithRoutes: readonly string[];
  /** Routes of the monolith's inventory that a service serves here. */
  readonly migratedRoutes: readonly string[];
}

/** A route key with its parameters anonymised: `GET /payments/{paymentId}` and `GET /payments/{id}` are one route. */
export function routeShape(key: string): string {
  return key.replace(/\{[^}]+\}/g, '{}');
}

/** The public routes of `service` (those with scopes). */
export function publicRoutes(service: Service): EdgeRoute[] {
  return Object.entries(service.manifest.functions).flatMap(([functionId, fn]) => (fn.route?.scopes ? [{
    key: `${fn.route.method} ${fn.route.path}`,
    service: service.manifest.name,
    functionId,
    scopes: fn.route.scopes,
  }] : []));
}

/** Whether `service` deploys to environment `env`. */
function deploysTo(service: Service, env: string): boolean {
  return !service.manifest.environments || service.manifest.environments.includes(env);
}

/** The edge of every environment that declares one, in promotion order. */
export function planEdges(organization: Organization, services: readonly Service[]): EnvironmentEdgePlan[] {
  return organization.environments.flatMap(env => {
    if (!env.edge) return [];
    const serviceRoutes = services.filter(s => deploysTo(s, env.name)).flatMap(publicRoutes).sort((a, b) => a.key.localeCompare(b.key));
    const served = new Set(serviceRoutes.map(r => routeShape(r.key)));
    const inventory = env.edge.monolithUrl ? organization.monolith?.routes ?? [] : [];
    return [{
      environment: env.name,
      edge: env.edge,
      serviceRoutes,
      monolithRoutes: inventory.filter(r => !served.has(routeShape(r))).sort(),
      migratedRoutes: inventory.filter(r => served.has(routeShape(r))).sort(),
    }];
  });
}

/**
 * Refuses a promotion that moves a route backwards: a route a service serves
 * in a later environment must be served by it in every earlier environment
 * with an edge, or a change tested against the monolith in staging would
 * reach the service first in prod (and the reverse). One message per route.
 */
export function edgePlanProblems(organization: Organization, services: readonly Service[]): string[] {
  const problems: string[] = [];
  const edges = organization.environments.filter(e => e.edge);
  for (const service of services) {
    for (const route of publicRoutes(service)) {
      const servedIn = edges.filter(e => deploysTo(service, e.name));
      const first = servedIn[0];
      if (!first) continue;
      const behind = edges.filter(e => e.order < first.order && !deploysTo(service, e.name));
      if (behind.length === 0) continue;
      const earlier = behind.map(e => `${e.name} (${e.edge!.monolithUrl ? 'the monolith serves it there' : 'it answers 404 there: no monolith'})`);
      problems.push(`${service.folder}/service.ts: functions.${route.functionId}.route "${route.key}" is served by ${service.manifest.name} from ${first.name} on, `
        + `but not in the earlier ${earlier.join(', ')}; promotion must not move a route backwards. `
        + `Allowed: deploy ${service.manifest.name} to ${behind.map(e => e.name).join(', ')} too (environments in its manifest), or keep the route internal (no scopes) until it does`);
    }
  }
  return problems;
}

/**
 * API Gateway's quotas on each environment's edge (one HTTP API per region),
 * from the manifests: routes (the public routes, and the monolith's two),
 * integrations (one per public function, and the monolith's two; AWS does
 * not raise that limit). One authorizer serves the whole edge. One message
 * per quota an edge would exceed, with the count, the limit and the fix:
 * found at synth, not when a deployment fails.
 */
export function edgeQuotaProblems(organization: Organization, services: readonly Service[]): string[] {
  return planEdges(organization, services).flatMap(plan => {
    const at = `accounts/organization.ts: environments[${organization.environments.findIndex(e => e.name === plan.environment)}].edge`;
    const monolith = plan.edge.monolithUrl ? 2 : 0;
    const routes = plan.serviceRoutes.length + monolith;
    const integrations = new Set(plan.serviceRoutes.map(r => `${r.service}.${r.functionId}`)).size + monolith;
    const problems: string[] = [];
    if (routes > plan.edge.quotas.routes) {
      problems.push(`${at}: the ${plan.environment} edge would have ${routes} routes, above its quota of ${plan.edge.quotas.routes} routes per HTTP API; `
        + 'fix: ask AWS to raise "Routes per API" for the edge API (Service Quotas) and set quotas.routes, or keep some routes internal (no scopes)');
    }
    if (integrations > HTTP_API_INTEGRATIONS_LIMIT) {
      problems.push(`${at}: the ${plan.environment} edge would have ${integrations} integrations (one per public function), above API Gateway's limit of `
        + `${HTTP_API_INTEGRATIONS_LIMIT} per HTTP API, which AWS does not raise; fix: keep some routes internal (no scopes): one HTTP API cannot integrate more functions, and splitting the edge into several APIs is not supported yet`);
    }
    return problems;
  });
}

/** How far one environment's migration off the monolith has come. */
export interface MigrationProgress {
  /** Routes of the monolith's inventory (0 without a monolith). */
  readonly total: number;
  /** Of those, the routes a service serves here. */
  readonly migrated: number;
  /** migrated / total, rounded (100 with nothing to migrate). */
  readonly percent: number;
}

/** The migration's progress on the edge of `plan`'s environment. */
export function migrationProgress(plan: EnvironmentEdgePlan): MigrationProgress {
  const total = plan.migratedRoutes.length + plan.monolithRoutes.length;
  return { total, migrated: plan.migratedRoutes.length, percent: total === 0 ? 100 : Math.round((100 * plan.migratedRoutes.length) / total) };
}

/** The migration's progress per environment, for the synth summary (and the platform's plan, docs/platform.md). */
export function describeMigration(plans: readonly EnvironmentEdgePlan[]): string[] {
  return plans.map(plan => {
    const byService = new Map<string, number>();
    for (const route of plan.serviceRoutes) byService.set(route.service, (byService.get(route.service) ?? 0) + 1);
    const services = [...byService].map(([name, n]) => `${name} ${n}`).join(', ');
    const onServices = `${plan.serviceRoutes.length} route(s) on services${services ? ` (${services})` : ''}`;
    if (!plan.edge.monolithUrl) return `  Edge ${plan.environment}: ${onServices}; no monolith`;
    const { total, percent } = migrationProgress(plan);
    return `  Edge ${plan.environment}: ${onServices}; ${plan.monolithRoutes.length} of the monolith's ${total} route(s) left to it `
      + `(${plan.edge.monolithUrl}), ${percent}% migrated${plan.monolithRoutes.length > 0 ? `: ${plan.monolithRoutes.join(', ')}` : ''}`;
  });
}
