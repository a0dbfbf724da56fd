import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, onCallFor, Organization, parseWith, problem, requireDeclaration } from '../accounts';
import { readApiContract } from './api-contract';
import { edgePlanProblems, edgeQuotaProblems } from './edge-plan';
import { accessorProblems, checkFlags, flagQuotaProblems } from './feature-flags';
import { findCycles } from '../kit';
import { deploysTo, EDGE_SERVICE_NAME, Service, ServiceManifest, ServiceManifestSchema } from './service-model';

/** The file that makes a folder under services/ a service. */
export const MANIFEST_FILE = 'service.ts';
/** The OpenAPI 3.0 contract of a service's routes. */
export const CONTRACT_FILE = 'api.yaml';

/** Inputs of {@link loadServices}. */
export interface LoadServicesOptions {
  /** Absolute path of the services/ folder. */
  readonly servicesDir: string;
  /** The organization: its environments and waves are what manifests may name. */
  readonly organization: Organization;
  /** Folder name used in messages. @default 'services' */
  readonly displayDir?: string;
  /**
   * Loads a manifest module and returns its default export.
   * @default - require() (the app and tests run TypeScript through tsx/swc)
   */
  readonly loadManifest?: (file: string) => unknown;
  /**
   * Load only these service folders (a service pipeline's scoped build).
   * Checks across services then cover only what is loaded: a `dependsOn`
   * on a folder that exists is taken as valid, and routes are compared among
   * the loaded services only; the platform pipeline's full build checks all.
   * @default - every service folder
   */
  readonly only?: readonly string[];
}

/**
 * Discovers every folder of `servicesDir` that has a `service.ts`, validates
 * each manifest and the references between them, and returns the services
 * sorted by name. Throws one {@link ConfigError} listing every problem.
 */
export function loadServices(options: LoadServicesOptions): Service[] {
  const displayDir = options.displayDir ?? 'services';
  const load = options.loadManifest ?? requireDefault;
  const folders = fs.readdirSync(options.servicesDir, { withFileTypes: true })
    .filter(entry => entry.isDirectory() && fs.existsSync(path.join(options.servicesDir, entry.name, MANIFEST_FILE)))
    .map(entry => entry.name)
    .filter(name => !options.only || options.only.includes(name))
    .sort();

  const problems: string[] = [];
  const services: Service[] = [];
  // Folders whose manifest failed validation: dependents are not told they are missing.
  const invalid = new Set<string>();
  for (const folderName of folders) {
    const dir = path.join(options.servicesDir, folderName);
    const folder = `${displayDir}/${folderName}`;
    const file = `${folder}/${MANIFEST_FILE}`;
    try {
      const manifest = parseWith(ServiceManifestSchema, load(path.join(dir, MANIFEST_FILE)), file);
      problems.push(...checkService(manifest, { dir, folderName, folder, file, organization: options.organization }));
      const flags = checkFlags(manifest, {
        file,
        dir,
        folder,
        environments: options.organization.environments
          .filter(e => deploysTo(manifest, e.name)).map(e => e.name),
        allEnvironments: options.organization.environments.map(e => e.name),
      });
      problems.push(...flags.problems, ...accessorProblems(manifest, dir, folder));
      const contractPath = path.join(dir, CONTRACT_FILE);
      const contract = readApiContract(
        fs.existsSync(contractPath) ? fs.readFileSync(contractPath, 'utf8') : undefined,
        `${folder}/${CONTRACT_FILE}`, manifest);
      problems.push(...contract.problems);
      services.push({ manifest, dir, folder, requestSchemas: contract.requestSchemas, warnings: flags.warnings });
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      problems.push(...e.problems);
      invalid.add(folderName);
    }
  }
  // In a scoped load, services outside the scope still count as existing.
  const existsOutside = (name: string) => options.only !== undefined && fs.existsSync(path.join(options.servicesDir, name, MANIFEST_FILE));
  problems.push(...checkAcrossServices(services, invalid, existsOutside));
  problems.push(...edgePlanProblems(options.organization, services), ...edgeQuotaProblems(options.organization, services));
  // A scoped load sees only its services: the platform pipeline's full build counts them all.
  problems.push(...flagQuotaProblems(options.organization.environments, services.map(s => s.manifest)));
  if (problems.length > 0) throw new ConfigError(problems);
  return services;
}

function requireDefault(file: string): unknown {
  // A syntax error in a manifest is one line (file:line:column), not a stack trace.
  return requireDeclaration(file, path.relative(process.cwd(), file) || file);
}

interface CheckContext {
  readonly dir: string;
  readonly folderName: string;
  /** The folder as shown in messages, e.g. `services/payments`. */
  readonly folder: string;
  readonly file: string;
  readonly organization: Organization;
}

/** Checks inside one manifest: its folder, files, and internal references. */
function checkService(m: ServiceManifest, ctx: CheckContext): string[] {
  const problems: string[] = [];
  const report = (fieldPath: readonly PropertyKey[], value: unknown, message: string) =>
    problems.push(problem(ctx.file, fieldPath, value, message));
  const envNames = ctx.organization.environments.map(e => e.name);
  const list = (names: readonly string[]) => names.length > 0 ? names.join(', ') : '(none declared)';

  if (m.name !== ctx.folderName) {
    report(['name'], m.name, `does not match its folder; allowed: "${ctx.folderName}"`);
  }
  if (m.name === EDGE_SERVICE_NAME) {
    report(['name'], m.name, `is reserved: the public edge's stacks are named ${EDGE_SERVICE_NAME}-<environment>-<region>; allowed: any other name`);
  }
  if (!ctx.organization.pipeline.waves.includes(m.wave)) {
    report(['wave'], m.wave, `is not a wave declared in accounts/organization.ts (pipeline.waves); allowed: ${list(ctx.organization.pipeline.waves)}`);
  }

  for (const [name, queue] of Object.entries(m.queues)) {
    const module = queue.messageSchema?.split('#')[0];
    if (module !== undefined && !fs.existsSync(path.join(ctx.dir, module))) {
      report(['queues', name, 'messageSchema'], queue.messageSchema, `names ${module}, which does not exist in ${ctx.folder}/; allowed: an existing .ts file exporting the schema`);
    }
  }

  const consumers = new Map<string, string>();
  for (const [id, fn] of Object.entries(m.functions)) {
    const at = (...rest: PropertyKey[]) => ['functions', id, ...rest];
    if (!fs.existsSync(path.join(ctx.dir, fn.handler))) {
      report(at('handler'), fn.handler, `does not exist in ${ctx.folder}/; allowed: an existing .ts file exporting "handler"`);
    }
    if ((fn.route === undefined) === (fn.queue === undefined)) {
      report(at(), undefined, 'must have exactly one trigger: either route or queue');
    }
    if (fn.queue !== undefined) {
      if (!(fn.queue in m.queues)) {
        report(at('queue'), fn.queue, `is not a queue of this service; allowed: ${list(Object.keys(m.queues))}`);
      } else if (consumers.has(fn.queue)) {
        report(at('queue'), fn.queue, `is already consumed by functions.${consumers.get(fn.queue)}; a queue has one consumer`);
      } else {
        consumers.set(fn.queue, id);
      }
    }
    fn.route?.scopes?.forEach((scope, i) => {
      // The service owns its scopes (a Cognito resource server named after it): no granting another service's.
      if (!scope.startsWith(`${m.name}/`)) report(at('route', 'scopes', i), scope, `is not a scope of this service; allowed: ${m.name}/<name>, e.g. ${m.name}/read`);
    });
    if (fn.route?.scopes) {
      const deployedTo = ctx.organization.environments.filter(e => deploysTo(m, e.name));
      const withoutEdge = deployedTo.filter(e => !e.edge).map(e => e.name);
      if (withoutEdge.length > 0) {
        report(at('route', 'scopes'), undefined, `make the route public, but environment(s) ${withoutEdge.join(', ')} declare no edge `
          + '(environments[i].edge in accounts/organization.ts); allowed: scopes only where every environment the service deploys to has an edge');
      }
    }
    const timeout = fn.timeoutSeconds ?? m.timeoutSeconds;
    if (fn.route && timeout > 29) {
      report(fn.timeoutSeconds === undefined ? ['timeoutSeconds'] : at('timeoutSeconds'), timeout,
        `is longer than the 29 seconds API Gateway waits for functions.${id} (a route); allowed: 1-29`);
    }
    fn.secrets.forEach((secret, i) => {
      if (!(secret in m.secrets)) report(at('secrets', i), secret, `is not a secret of this service; allowed: ${list(Object.keys(m.secrets))}`);
    });
    for (const table of Object.keys(fn.tables)) {
      if (!(table in m.tables)) report(at('tables', table), table, `is not a table of this service; allowed: ${list(Object.keys(m.tables))}`);
    }
    fn.calls.forEach((called, i) => {
      if (!m.dependsOn.includes(called)) report(at('calls', i), called, `is not in dependsOn; allowed: ${list(m.dependsOn)}`);
    });
  }

  // API Gateway allows one variable path part per parent: /items/{id} and
  // /items/{itemId} cannot both exist.
  const parameterAt = new Map<string, { name: string; functionId: string }>();
  for (const [id, fn] of Object.entries(m.functions)) {
    if (!fn.route) continue;
    const segments = fn.route.path.split('/').slice(1);
    segments.forEach((segment, i) => {
      const variable = /^\{(.+)\}$/.exec(segment)?.[1];
      if (!variable) return;
      const parent = `/${segments.slice(0, i).join('/')}`;
      const seen = parameterAt.get(parent);
      if (!seen) {parameterAt.set(parent, { name: variable, functionId: id });} else if (seen.name !== variable) {
        report(['functions', id, 'route', 'path'], fn.route!.path,
          `names the parameter under ${parent} {${variable}}, but functions.${seen.functionId} names it {${seen.name}}; API Gateway allows one name per position`);
      }
    });
  }

  for (const [name, value] of Object.entries(m.environment)) {
    if (typeof value === 'string') continue;
    for (const env of Object.keys(value)) {
      if (!envNames.includes(env)) report(['environment', name, env], value[env], `is for an unknown environment "${env}"; allowed: ${list(envNames)}`);
    }
    const missing = envNames.filter(env => !(env in value));
    if (missing.length > 0) report(['environment', name], undefined, `has no value for environment(s) ${missing.join(', ')}; give one for each of: ${list(envNames)}`);
  }
  checkOnCall(m, ctx, report);
  for (const [env, strategy] of Object.entries(m.deployment)) {
    if (!envNames.includes(env)) report(['deployment', env], strategy, `is for an unknown environment "${env}"; allowed: ${list(envNames)}`);
  }
  m.dependsOn.forEach((dep, i) => {
    if (dep === m.name) report(['dependsOn', i], dep, 'is the service itself');
  });
  return problems;
}

/** Every environment the service deploys to has someone to tell; endpoints name only environments that exist. */
function checkOnCall(m: ServiceManifest, ctx: CheckContext, report: (path: readonly PropertyKey[], value: unknown, message: string) => void): void {
  const envNames = ctx.organization.environments.map(e => e.name);
  m.onCall.forEach((endpoint, i) => endpoint.environments?.forEach((env, j) => {
    if (!envNames.includes(env)) {
      report(['onCall', i, 'environments', j], env, `is not an environment of accounts/organization.ts; allowed: ${envNames.join(', ')}`);
    }
  }));
  const deployedTo = envNames.filter(env => deploysTo(m, env));
  const uncovered = deployedTo.filter(env => onCallFor(m.onCall, env).length === 0);
  if (uncovered.length > 0) {
    report(['onCall'], undefined, `reaches nobody for the alarms of ${uncovered.join(', ')}; allowed: at least one endpoint for every environment `
      + `the service deploys to (${deployedTo.join(', ')}): add one without \`environments\`, or list ${uncovered.join(', ')} in one`);
  }
}

/** Checks between manifests: routes, dependencies and cycles. */
function checkAcrossServices(services: readonly Service[], invalid: ReadonlySet<string>, existsOutside: (name: string) => boolean): string[] {
  const problems: string[] = [];
  const byName = new Map(services.map(s => [s.manifest.name, s]));
  const fileOf = (s: Service) => `${s.folder}/${MANIFEST_FILE}`;

  // Each route (method + path, parameters compared by position) has one owner.
  const owners = new Map<string, { folder: string; functionId: string }>();
  for (const service of services) {
    for (const [id, fn] of Object.entries(service.manifest.functions)) {
      if (!fn.route) continue;
      const key = `${fn.route.method} ${fn.route.path.replace(/\{[^}]+\}/g, '{}')}`;
      const owner = owners.get(key);
      const route = `${fn.route.method} ${fn.route.path}`;
      if (!owner) {
        owners.set(key, { folder: service.folder, functionId: id });
      } else if (owner.folder !== service.folder) {
        problems.push(problem(fileOf(service), ['functions', id, 'route'], route, `is already owned by ${owner.folder}`));
      } else {
        problems.push(problem(fileOf(service), ['functions', id, 'route'], route, `is already served by functions.${owner.functionId}; a route has one function`));
      }
    }
  }

  // Dependencies exist, and what a function calls can be called.
  for (const service of services) {
    service.manifest.dependsOn.forEach((dep, i) => {
      if (dep !== service.manifest.name && !byName.has(dep) && !invalid.has(dep) && !existsOutside(dep)) {
        problems.push(problem(fileOf(service), ['dependsOn', i], dep,
          `is not a service; allowed: ${[...byName.keys()].filter(n => n !== service.manifest.name).join(', ') || '(no other services)'}`));
      }
    });
    for (const [id, fn] of Object.entries(service.manifest.functions)) {
      fn.calls.forEach((called, i) => {
        const target = byName.get(called)?.manifest;
        if (target && !Object.values(target.functions).some(f => f.route) && Object.keys(target.queues).length === 0) {
          problems.push(problem(fileOf(service), ['functions', id, 'calls', i], called, 'has neither routes nor queues to call'));
        }
      });
    }
  }

  // No cycles: report each cycle once, as a path.
  for (const cycle of findCycles(new Map(services.map(s => [s.manifest.name, s.manifest.dependsOn])))) {
    const first = byName.get(cycle[0])!;
    problems.push(problem(fileOf(first), ['dependsOn'], undefined,
      `forms a cycle ${[...cycle, cycle[0]].join(' -> ')}; a service can only depend on services deployed before it`));
  }

  return problems;
}
