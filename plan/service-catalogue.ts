import { describeOnCallEndpoint, Environment, onCallFor, Organization } from '../accounts';
import {
  defaultDeploymentStrategy,
  deploysTo,
  flagRolloutStrategy,
  FlagDeclaration,
  resolveSetting,
  ResolvedFlagSetting,
  Service,
} from '../services';
import { code, plural, prose, table, thousands } from './markdown';

/** The environments `service` deploys to, in promotion order. */
export function environmentsOf(organization: Organization, service: Service): Environment[] {
  return organization.environments.filter(e => deploysTo(service.manifest, e.name));
}

/** The traffic shifting of `service` in `env`: the manifest's, else the platform's default for the environment's place. */
export function deploymentStrategyOf(organization: Organization, service: Service, env: Environment): { strategy: string; declared: boolean } {
  const declared = service.manifest.deployment[env.name];
  return declared
    ? { strategy: declared, declared: true }
    : { strategy: defaultDeploymentStrategy(env.order, organization.environments.length), declared: false };
}

/** A flag's value as text: `true`, `"EUR"`, `{"max":5}`. */
function valueText(value: unknown): string {
  return JSON.stringify(value) ?? 'undefined';
}

/** A flag's setting in one environment, in words: `false; merchant-pilot-1, merchant-pilot-2 get true`. */
export function describeFlagSetting(setting: ResolvedFlagSetting): string {
  const base = valueText(setting.value);
  const t = setting.targeting;
  if (!t || (t.merchants.length === 0 && t.percent === 0)) return base;
  const who = [
    ...(t.merchants.length > 0 ? [t.merchants.length <= 5 ? t.merchants.join(', ') : plural(t.merchants.length, 'merchant')] : []),
    ...(t.percent > 0 ? [`${t.percent}% of merchants`] : []),
  ];
  return `${base}; ${who.join(' and ')} get ${valueText(t.value)}`;
}

/** Every flag of `service` in `env`, one per line: `name: setting`. */
function flagsIn(service: Service, env: string): string {
  const flags = Object.entries(service.manifest.flags).sort(([a], [b]) => a.localeCompare(b));
  return flags.map(([name, flag]: [string, FlagDeclaration]) => {
    const setting = flag.environments[env];
    return `${name}: ${setting === undefined ? '(not set)' : describeFlagSetting(resolveSetting(flag, setting))}`;
  }).join('\n');
}

/** What a function of `service` serves: its route (method, path, exposure) or the queue it consumes. */
function functionRows(service: Service): string[][] {
  return Object.entries(service.manifest.functions).sort(([a], [b]) => a.localeCompare(b)).map(([id, fn]) => {
    if (fn.route) {
      return [
        code(`${fn.route.method} ${fn.route.path}`),
        id,
        fn.route.scopes ? `public on the edge; scopes ${fn.route.scopes.map(code).join(', ')}` : 'internal (IAM only)',
        fn.calls.join(', '),
      ];
    }
    return [`consumes queue ${code(fn.queue ?? '')}`, id, 'internal', fn.calls.join(', ')];
  });
}

/** Public and internal route counts: `2 public, 1 internal`. */
function routeCounts(service: Service): string {
  const routes = Object.values(service.manifest.functions).flatMap(f => (f.route ? [f.route] : []));
  const pub = routes.filter(r => r.scopes).length;
  return `${pub} public, ${routes.length - pub} internal`;
}

/**
 * The service catalogue: a summary table of every service, then per
 * service its routes, alarms, dependencies and, per environment it deploys
 * to, its traffic shifting, flag rollout, on-call and feature flags.
 */
export function serviceCatalogue(organization: Organization, services: readonly Service[]): string {
  if (services.length === 0) return 'No service yet: `npx projen new-service <name>` adds one.';
  const sorted = [...services].sort((a, b) => a.manifest.name.localeCompare(b.manifest.name));
  const summary = table(
    ['Service', 'Owner', 'Cost centre', 'Wave', 'Environments', 'Routes', 'Depends on'],
    sorted.map(s => [
      `[${s.manifest.name}](#service-${s.manifest.name})`,
      s.manifest.owner,
      s.manifest.costCenter,
      s.manifest.wave,
      environmentsOf(organization, s).map(e => e.name).join(', '),
      routeCounts(s),
      s.manifest.dependsOn.join(', ') || '(none)',
    ]),
  );
  const sections = sorted.map(s => {
    const m = s.manifest;
    const a = m.alarms;
    const calls = [...new Set(Object.values(m.functions).flatMap(f => f.calls))].sort();
    const perEnvironment = table(
      ['Environment', 'Traffic shifting (CodeDeploy)', 'Flag rollout (AppConfig)', 'On-call', 'Feature flags'],
      environmentsOf(organization, s).map(env => {
        const deployment = deploymentStrategyOf(organization, s, env);
        return [
          env.name,
          `${deployment.strategy}${deployment.declared ? '' : ' (default)'}`,
          Object.keys(m.flags).length > 0 ? flagRolloutStrategy(env.order, organization.environments.length) : '(no flags)',
          onCallFor(m.onCall, env.name).map(describeOnCallEndpoint).join('\n') || '(none)',
          flagsIn(s, env.name) || '(none)',
        ];
      }),
    );
    return [
      `### Service ${m.name}`,
      '',
      prose(m.description),
      '',
      `Owner ${m.owner}, cost centre ${m.costCenter}, wave ${m.wave}; folder ${code(s.folder)}.`,
      `Depends on (deploys after): ${m.dependsOn.join(', ') || '(none)'}; calls: ${calls.join(', ') || '(none)'}.`,
      `Alarms on each function (a deployment stops and rolls back when one fires): ${thousands(a.errors)}+ errors a minute, `
        + `p99 duration at or above ${thousands(a.p99LatencyMs)} ms, ${thousands(a.throttles)}+ throttles a minute.`,
      '',
      table(['Route', 'Function', 'Exposure', 'Calls'], functionRows(s)),
      '',
      perEnvironment,
    ].join('\n');
  });
  return [summary, '', ...sections.flatMap(section => [section, ''])].join('\n').trimEnd();
}
