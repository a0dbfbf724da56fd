import { ConfigError, edgeRegions, Organization } from '../accounts';
import { findCycles } from '../kit';
import { Service } from '../services';

/** A service as the plan sees it. */
export interface PlanServiceInput {
  readonly name: string;
  readonly wave: string;
  readonly dependsOn: readonly string[];
  /** @default - every environment */
  readonly environments?: readonly string[];
  /** Whether it has an API (post-deploy tests call it). */
  readonly hasApi: boolean;
  /** Whether it has public routes (they attach to the environment's edge). @default false */
  readonly publicRoutes?: boolean;
}

/** An environment as the plan sees it. */
export interface PlanEnvironmentInput {
  readonly name: string;
  readonly accountId: string;
  readonly regions: readonly string[];
  readonly manualApproval: boolean;
  readonly production: boolean;
  /** Whether it has a public edge (deployed before its services). @default false */
  readonly edge?: boolean;
  /** The regions its edge deploys to (a stack each; with WAF, also us-east-1). @default - its regions */
  readonly edgeRegions?: readonly string[];
}

/** What {@link planDelivery} orders. */
export interface DeliveryPlanInput {
  /** In promotion order. */
  readonly environments: readonly PlanEnvironmentInput[];
  /** In deployment order. */
  readonly waves: readonly string[];
  readonly services: readonly PlanServiceInput[];
  /** Where governance deploys, before any service wave. @default - no governance step */
  readonly governance?: { readonly accountId: string; readonly region: string };
}

/** A service deployment in a wave. */
export interface PlannedService {
  readonly name: string;
  readonly dependsOn: readonly string[];
  readonly hasApi: boolean;
  /** Its public routes attach to the environment's edge. */
  readonly publicRoutes: boolean;
}

/** Services that deploy in parallel; the next wave waits for all of them. */
export interface PlannedWave {
  readonly name: string;
  readonly services: readonly PlannedService[];
}

/** One environment's part of the plan. */
export interface PlannedEnvironment {
  readonly name: string;
  readonly accountId: string;
  readonly regions: readonly string[];
  readonly production: boolean;
  /** A human approves before anything deploys here. */
  readonly approvalBefore: boolean;
  /**
   * The environment's public edge deploys here, after the approval and before
   * the first wave (its services' public routes attach to it). False in a
   * service pipeline of a sharded topology: the platform pipeline deploys it.
   */
  readonly edge: boolean;
  /** The regions the edge deploys to, a stack each (with WAF, also us-east-1 for its front). */
  readonly edgeRegions: readonly string[];
  /** Non-empty waves, in order. */
  readonly waves: readonly PlannedWave[];
}

/**
 * The delivery plan both pipeline engines render: governance first, then
 * each environment in promotion order; inside one, service waves in order;
 * inside a wave, services in parallel. A failed wave stops promotion.
 */
export interface DeliveryPlan {
  readonly governance?: { readonly accountId: string; readonly region: string };
  readonly environments: readonly PlannedEnvironment[];
}

/**
 * Orders the deliveries and refuses a plan in which a service could deploy
 * before something it depends on: unknown waves, environments or services,
 * cycles, a dependency in the same or a later wave, or one missing from an
 * environment the dependent deploys to.
 */
export function planDelivery(input: DeliveryPlanInput): DeliveryPlan {
  const problems: string[] = [];
  const file = (service: string) => `services/${service}/service.ts`;
  const envNames = input.environments.map(e => e.name);
  const byName = new Map(input.services.map(s => [s.name, s]));
  const waveOf = (s: PlanServiceInput) => input.waves.indexOf(s.wave);
  const deployedTo = (s: PlanServiceInput) => s.environments ?? envNames;

  for (const s of input.services) {
    if (waveOf(s) < 0) {
      problems.push(`${file(s.name)}: wave "${s.wave}" is not a planned wave; allowed: ${input.waves.join(', ')}`);
    }
    for (const env of s.environments ?? []) {
      if (!envNames.includes(env)) {
        problems.push(`${file(s.name)}: environments has "${env}", which is not an environment; allowed: ${envNames.join(', ')}`);
      }
    }
    for (const depName of s.dependsOn) {
      const dep = byName.get(depName);
      if (!dep) {
        problems.push(`${file(s.name)}: dependsOn "${depName}" is not a service of the plan; allowed: ${[...byName.keys()].filter(n => n !== s.name).join(', ') || '(none)'}`);
        continue;
      }
      if (waveOf(dep) >= 0 && waveOf(s) >= 0 && waveOf(dep) >= waveOf(s)) {
        problems.push(`${file(s.name)}: dependsOn "${depName}" deploys in wave "${dep.wave}", not before this service's wave "${s.wave}"; `
          + 'services of one wave deploy in parallel, so a dependency must be in an earlier wave');
      }
      const missing = deployedTo(s).filter(env => !deployedTo(dep).includes(env));
      if (missing.length > 0) {
        problems.push(`${file(s.name)}: dependsOn "${depName}", which does not deploy to ${missing.join(', ')}; deploy it there too or drop those environments`);
      }
    }
  }
  for (const cycle of findCycles(new Map(input.services.map(s => [s.name, s.dependsOn])))) {
    problems.push(`${file(cycle[0])}: dependsOn forms a cycle ${[...cycle, cycle[0]].join(' -> ')}; no order can deploy it`);
  }
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    governance: input.governance,
    environments: input.environments.map(env => ({
      name: env.name,
      accountId: env.accountId,
      regions: env.regions,
      production: env.production,
      approvalBefore: env.manualApproval,
      edge: env.edge ?? false,
      edgeRegions: env.edge ? env.edgeRegions ?? env.regions : [],
      waves: input.waves
        .map(wave => ({
          name: wave,
          services: input.services
            .filter(s => s.wave === wave && deployedTo(s).includes(env.name))
            .map(s => ({ name: s.name, dependsOn: s.dependsOn, hasApi: s.hasApi, publicRoutes: s.publicRoutes ?? false }))
            .sort((a, b) => a.name.localeCompare(b.name)),
        }))
        .filter(wave => wave.services.length > 0),
    })),
  };
}

/** The plan for the organization's environments and waves and the discovered services. */
export function planFromModels(organization: Organization, services: readonly Service[]): DeliveryPlan {
  return planDelivery({
    environments: organization.environments.map(e => ({
      name: e.name,
      accountId: e.account.id,
      regions: e.regions,
      manualApproval: e.manualApproval,
      production: e.production,
      edge: e.edge !== undefined,
      edgeRegions: edgeRegions(e),
    })),
    waves: organization.pipeline.waves,
    services: services.map(s => ({
      name: s.manifest.name,
      wave: s.manifest.wave,
      dependsOn: s.manifest.dependsOn,
      environments: s.manifest.environments,
      hasApi: Object.values(s.manifest.functions).some(f => f.route),
      publicRoutes: Object.values(s.manifest.functions).some(f => f.route?.scopes),
    })),
    governance: { accountId: organization.managementAccount.id, region: organization.homeRegion },
  });
}

/**
 * The plan as lines, in order: `governance@<account>/<region>`, `approve <env>`,
 * `edge <env>`, and one `<env>: <services>` line per wave (services sorted). Both engines'
 * outputs are read back into this form to prove they render the same order.
 * Wave names are left out on purpose: engines label groups their own way
 * (CDK Pipelines names a one-stage wave after its stage), the grouping and
 * its order are what matter.
 */
export function describePlan(plan: DeliveryPlan): string[] {
  const lines: string[] = [];
  if (plan.governance) lines.push(`governance@${plan.governance.accountId}/${plan.governance.region}`);
  for (const env of plan.environments) {
    if (env.approvalBefore) lines.push(`approve ${env.name}`);
    if (env.edge) lines.push(`edge ${env.name}`);
    for (const wave of env.waves) {
      lines.push(`${env.name}: ${wave.services.map(s => s.name).join(', ')}`);
    }
  }
  return lines;
}
