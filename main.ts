import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { CloudAssembly, DISABLE_CREATION_STACK_TRACES } from 'aws-cdk-lib/cx-api';
import {
  ConfigError, DECLARATION_FILE, GOVERNANCE_STACK_PREFIX, LOCK_FILE, loadOrganization, Organization, OrganizationDeclarationInput,
  PLATFORM_PIPELINE_STACK_NAME, requireDeclaration, runCommand,
} from './accounts';
import { GOVERNANCE_HANDLER_ENTRIES, GovernanceBundles, GovernanceStage, tagPlatformStacks } from './governance';
import { bundleEntries, FunctionBundle, onCallResourceCount, SYNTH_PHASES, synthTimings } from './kit';
import {
  addPolicyValidation,
  builtPipelineViolations,
  deliveryTopology,
  END_TO_END_SUITE,
  EngineProps,
  estimatedWorkflowBytes,
  GENERATED_WORKFLOW_HEADER,
  GitHubEngine,
  gitHubOidcStacks,
  GitHubPlatformWorkflow,
  GovernancePipelineStack,
  governanceReviewProblems,
  PipelineShard,
  planFromModels,
  planLimitViolations,
  PlatformPipelineStack,
  PolicyValidationOptions,
  RepositoryLayout,
  SCOPE_CONTEXT_KEY,
  selectedEngine,
  selectedTopology,
  serviceTriggerPaths,
  ServicePipelineStack,
  shardIdOf,
  throwOnViolations,
  workflowFileName,
} from './pipeline';
import {
  bundleServices,
  dependencyParameters,
  describeMigration,
  EdgeStack,
  EdgeStage,
  edgeStackName,
  loadServices,
  MANIFEST_FILE,
  planEdges,
  Service,
  ServiceBundles,
  ServiceManifestSchema,
  ServiceStack,
  ServiceStage,
  ServiceStageProps,
} from './services';

/** What {@link buildPlatform} builds from: validated models and built bundles. */
export interface PlatformInputs {
  readonly organization: Organization;
  /** Discovered services, sorted by name. @default - none */
  readonly services?: readonly Service[];
  /** Bundles of every service's functions (built once, deployed in every environment). */
  readonly bundles?: ServiceBundles;
  /** The pre-traffic hook's bundle; required when there are services. */
  readonly hookBundle?: FunctionBundle;
  /** The edge authorizer's bundle. @default - built once per process into a temporary folder, when an environment declares an edge */
  readonly authorizerBundle?: FunctionBundle;
  /** Bundles of the governance stacks' handlers. @default - built once per process into a temporary folder */
  readonly governanceBundles?: GovernanceBundles;
  /** Where the github engine writes its workflows. @default '.github/workflows' */
  readonly workflowDir?: string;
  /** The repository's folders (trigger paths). @default - read from this repository */
  readonly layout?: RepositoryLayout;
  /** Build only this shard's pipeline (`-c platform:scope=pipeline:<id>`). @default - every pipeline */
  readonly onlyShard?: string;
  /**
   * How synth validates templates (cdk-nag, Control Tower guard rules), or
   * `false` for none: for tests that read templates and assert no
   * validation result. The CLI synth always validates, with its cache.
   * @default {} - every template validated, no cache
   */
  readonly policyValidation?: PolicyValidationOptions | false;
}

/** The props of `service`'s stacks in environment `envName` (everything but the region). */
function serviceStackInputs(inputs: PlatformInputs, serviceName: string, envName: string): ServiceStageProps {
  const { organization } = inputs;
  const services = new Map((inputs.services ?? []).map(s => [s.manifest.name, s]));
  const service = services.get(serviceName)!;
  return {
    service,
    organization,
    environment: organization.environments.find(e => e.name === envName)!,
    bundles: inputs.bundles![serviceName],
    hookBundle: inputs.hookBundle!,
    dependencies: service.manifest.dependsOn.map(d => services.get(d)!.manifest),
  };
}

/** The governance stage of `organization`, for either engine or the governance-only synth. */
function governanceStageOf(
  organization: Organization,
  bundles: GovernanceBundles = defaultGovernanceBundles(),
  validation: PolicyValidationOptions | false = {},
): EngineProps['governanceStage'] {
  const templateValidation = validation === false ? undefined : (app: cdk.App) => addPolicyValidation(app, validation);
  return scope => new GovernanceStage(scope, 'Governance', { organization, bundles, templateValidation });
}

/** Adds policy validation to `app` unless `validation` is false. */
function validate(app: cdk.App, validation: PolicyValidationOptions | false = {}): void {
  if (validation !== false) addPolicyValidation(app, validation);
}

/**
 * Builds the platform's stacks into `app` without a pipeline (tests and the
 * benchmark use it): governance, then one stack per (service, environment,
 * region) that the delivery plan deploys, under the same policy validation
 * as the pipelines.
 */
export function buildPlatform(app: cdk.App, inputs: PlatformInputs): cdk.Stack[] {
  return synthTimings.time(SYNTH_PHASES.constructs, () => buildPlatformStacks(app, inputs));
}

function buildPlatformStacks(app: cdk.App, inputs: PlatformInputs): cdk.Stack[] {
  const { organization } = inputs;
  validate(app, inputs.policyValidation);
  const stacks: cdk.Stack[] = [...governanceStageOf(organization, inputs.governanceBundles, inputs.policyValidation)(app).stacks];
  const plan = planFromModels(organization, inputs.services ?? []);
  for (const env of plan.environments) {
    const environment = organization.environments.find(e => e.name === env.name)!;
    for (const region of env.regions) {
      // The edge first: services attach their public routes to it.
      const edge = environment.edge
        ? new EdgeStack(app, edgeStackName(env.name, region), {
          organization, environment, region, authorizerBundle: inputs.authorizerBundle ?? defaultAuthorizerBundle(),
        })
        : undefined;
      if (edge) stacks.push(edge);
      for (const service of env.waves.flatMap(w => w.services)) {
        const stack = new ServiceStack(app, `${service.name}-${env.name}-${region}`, {
          ...serviceStackInputs(inputs, service.name, env.name),
          region,
        });
        if (edge && stack.edgeRoutes) stack.addStackDependency(edge, 'its public routes attach to the edge');
        stacks.push(stack);
      }
    }
  }
  return stacks;
}

/**
 * Builds the delivery pipelines into `app`, in the selected engine and
 * topology: the service pipelines (tooling account) with a stage per
 * (environment, service) in delivery-plan order, the platform pipeline that
 * creates them (sharded topologies), and the governance pipeline (management
 * account). With `onlyShard`, only that shard's pipeline (a service
 * pipeline's own build). Every pipeline is checked against its engine's
 * hard limits from the plan before any construct is built, and again once
 * built, before anything is written. Returns the top-level stacks.
 */
export function buildPipelines(app: cdk.App, inputs: PlatformInputs): cdk.Stack[] {
  return synthTimings.time(SYNTH_PHASES.constructs, () => buildPipelineStacks(app, inputs));
}

function buildPipelineStacks(app: cdk.App, inputs: PlatformInputs): cdk.Stack[] {
  const { organization } = inputs;
  const services = inputs.services ?? [];
  validate(app, inputs.policyValidation);
  const { engine, kind, plan, topology, layout, shards } = checkPipelineLimits(app, inputs);
  const manifests = new Map(services.map(s => [s.manifest.name, s.manifest]));

  const props: EngineProps = {
    organization,
    plan,
    topology,
    onlyShard: inputs.onlyShard,
    layout,
    serviceStage: (scope, envName, serviceName) =>
      new ServiceStage(scope, `${serviceName}-${envName}`, serviceStackInputs(inputs, serviceName, envName)),
    dependencyParameters: (serviceName, envName) => {
      const manifest = manifests.get(serviceName)!;
      // Sharded: the platform pipeline deploys the edge, so a service pipeline checks that it is live.
      const edgeElsewhere = topology.platformPipeline && organization.environments.some(e => e.name === envName && e.edge);
      return dependencyParameters(organization.name, envName, manifest, manifest.dependsOn.map(d => manifests.get(d)!), edgeElsewhere);
    },
    edgeStage: (scope, envName) => new EdgeStage(scope, `edge-${envName}`, {
      organization,
      environment: organization.environments.find(e => e.name === envName)!,
      authorizerBundle: inputs.authorizerBundle ?? defaultAuthorizerBundle(),
    }),
    shardOf: name => shardIdOf(kind, { name, owner: manifests.get(name)!.owner }),
    governanceStage: governanceStageOf(organization, inputs.governanceBundles, inputs.policyValidation),
  };
  const full = inputs.onlyShard === undefined;
  if (engine === 'github') {
    const dir = inputs.workflowDir ?? DEFAULT_WORKFLOW_DIR;
    const written = renderWorkflows(app, props, shards, dir);
    // The full synth owns the set of generated workflows: one left by a removed service or topology goes.
    if (full) removeStaleWorkflows(dir, written);
    return full ? tagged(organization, gitHubOidcStacks(app, organization)) : [];
  }
  // CodePipeline: nothing is written outside cdk.out (no deploy workflow).
  const stacks: cdk.Stack[] = shards.map(shard => new ServicePipelineStack(app, shard.stackName, { ...props, shard }));
  if (full && topology.platformPipeline) {
    stacks.push(new PlatformPipelineStack(app, PLATFORM_PIPELINE_STACK_NAME, { organization, topology, layout, edgeStage: props.edgeStage }));
  }
  throwOnViolations(stacks.flatMap(stack =>
    builtPipelineViolations(stack, (stack as ServicePipelineStack | PlatformPipelineStack).pipeline.pipeline, kind)));
  if (full) stacks.push(new GovernancePipelineStack(app, 'GovernancePipeline', { organization, governanceStage: props.governanceStage }));
  return tagged(organization, stacks);
}

/**
 * Renders the plan of `inputs` in the selected engine and topology as a model
 * and checks every pipeline against its engine's hard limits: from manifests
 * alone, so a plan that does not fit fails before any bundle or construct is
 * built. Returns what {@link buildPipelines} builds from.
 */
export function checkPipelineLimits(app: cdk.App, inputs: Omit<PlatformInputs, 'bundles' | 'hookBundle'>) {
  const { organization } = inputs;
  const services = inputs.services ?? [];
  const engine = selectedEngine(app, organization);
  const kind = selectedTopology(app, organization);
  const plan = planFromModels(organization, services);
  const manifests = new Map(services.map(s => [s.manifest.name, s.manifest]));
  const topology = deliveryTopology(plan, kind, services.map(s => ({ name: s.manifest.name, owner: s.manifest.owner })), organization.name);
  const layout = inputs.layout ?? repositoryLayout();
  const shards = topology.shards.filter(s => inputs.onlyShard === undefined || s.id === inputs.onlyShard);
  const functionsOf = (name: string) => Object.keys(manifests.get(name)?.functions ?? {}).length;
  const runsEndToEnd = (names: readonly string[]) => names.some(n => (END_TO_END_SUITE.services as readonly string[]).includes(n));
  throwOnViolations(planLimitViolations({ ...topology, shards }, engine, {
    bakeTimeMinutes: organization.pipeline.bakeTimeMinutes,
    onCallResources: onCallResourceCount(organization.onCall),
    functionsOf,
    runsEndToEnd,
    triggerPaths: shard => (kind === 'single' ? [] : serviceTriggerPaths(layout, shard.services)),
    workflowBytes: shard => estimatedWorkflowBytes(shard, functionsOf, runsEndToEnd),
    // Account-wide: only a synth of every pipeline sees them all.
    iamRoleQuota: inputs.onlyShard === undefined ? organization.pipeline.iamRoleQuota : undefined,
  }));
  return { engine, kind, plan, topology, layout, shards };
}

/** Where the github engine writes its workflows, relative to the working directory (the repository root under the CDK CLI). */
export const DEFAULT_WORKFLOW_DIR = path.join('.github', 'workflows');

/**
 * The github engine's workflows: `deploy.yml` in the `single` topology
 * (governance first, then every wave); in a sharded one a `services-<shard>.yml`
 * per shard and `platform.yml` (whole build, every workflow current,
 * governance). Returns the files written.
 */
function renderWorkflows(app: cdk.App, props: EngineProps, shards: readonly PipelineShard[], dir: string): string[] {
  const written: string[] = [];
  const single = props.topology.kind === 'single';
  for (const shard of shards) {
    const file = path.join(dir, workflowFileName(props.topology.kind, shard.id));
    new GitHubEngine(app, single ? 'GitHub' : `GitHub-${shard.id}`, { ...props, shard, workflowPath: file });
    written.push(file);
  }
  if (!single && props.onlyShard === undefined) {
    const file = path.join(dir, workflowFileName(props.topology.kind));
    new GitHubPlatformWorkflow(app, 'GitHub-platform', { ...props, workflowPath: file });
    written.push(file);
  }
  return written;
}

/** Deletes the workflows of `dir` this engine generated (they carry its header) that this synth did not write. */
function removeStaleWorkflows(dir: string, written: readonly string[]): void {
  if (!fs.existsSync(dir)) return;
  const keep = new Set(written.map(f => path.resolve(f)));
  for (const name of fs.readdirSync(dir)) {
    const file = path.resolve(dir, name);
    if (keep.has(file) || !name.endsWith('.yml')) continue;
    if (fs.readFileSync(file, 'utf8').startsWith(GENERATED_WORKFLOW_HEADER)) fs.rmSync(file);
  }
}

/**
 * The repository's folders as the trigger paths see them: top-level folders
 * with an `index.ts` are the app's code; folders of services/ without a
 * service.ts are framework.
 */
export function repositoryLayout(root: string = __dirname): RepositoryLayout {
  const dirs = (at: string) => fs.readdirSync(at, { withFileTypes: true }).filter(e => e.isDirectory()).map(e => e.name);
  return {
    codeFolders: dirs(root).filter(d => fs.existsSync(path.join(root, d, 'index.ts'))).sort(),
    servicesFolder: 'services',
    frameworkServiceFolders: dirs(path.join(root, 'services')).filter(d => !fs.existsSync(path.join(root, 'services', d, MANIFEST_FILE))).sort(),
    governanceFolder: 'governance',
  };
}

/**
 * Tags the pipeline stacks for cost allocation, with the stacks CodePipeline
 * adds beside them (cross-region support stacks); their stages' stacks keep
 * their own tags.
 */
function tagged(organization: Organization, stacks: cdk.Stack[]): cdk.Stack[] {
  const app = stacks[0].node.root;
  for (const stack of app.node.children.filter(c => c instanceof cdk.Stack)) tagPlatformStacks(stack, organization, 'pipeline');
  return stacks;
}

/** Where bundles are built: a fixed place in the repository, so asset hashes are stable. */
export const BUNDLE_DIR = path.join(__dirname, '.build', 'bundles');

/** Bundles every service and the framework's hook once, into `outdir`. */
export function buildBundles(services: readonly Service[], outdir: string = BUNDLE_DIR): {
  bundles: ServiceBundles; hookBundle: FunctionBundle; authorizerBundle: FunctionBundle;
} {
  const framework = bundleEntries({
    'pre-traffic-hook': path.join(__dirname, 'services', 'hooks', 'pre-traffic-hook.ts'),
    'edge-authorizer': path.join(__dirname, 'services', 'edge', 'authorizer.ts'),
  }, path.join(outdir, '_framework'));
  return { bundles: bundleServices(services, outdir), hookBundle: framework['pre-traffic-hook'], authorizerBundle: framework['edge-authorizer'] };
}

/** Bundles the governance stacks' handlers once, into `outdir/_governance`. */
export function buildGovernanceBundles(outdir: string = BUNDLE_DIR): GovernanceBundles {
  return bundleEntries(GOVERNANCE_HANDLER_ENTRIES, path.join(outdir, '_governance')) as GovernanceBundles;
}

let processAuthorizerBundle: FunctionBundle | undefined;
/** The edge authorizer's bundle for callers that pass none (tests, the benchmark): built once per process, like {@link defaultGovernanceBundles}. */
function defaultAuthorizerBundle(): FunctionBundle {
  processAuthorizerBundle ??= bundleEntries({ 'edge-authorizer': path.join(__dirname, 'services', 'edge', 'authorizer.ts') },
    path.join(os.tmpdir(), `lz-authorizer-bundle-${process.pid}`))['edge-authorizer'];
  return processAuthorizerBundle;
}

let processGovernanceBundles: GovernanceBundles | undefined;
/**
 * Governance bundles for callers that pass none (tests, the benchmark): built
 * once per process, in a folder of its own so parallel test workers never
 * empty each other's. The CLI synth passes bundles built into BUNDLE_DIR.
 */
function defaultGovernanceBundles(): GovernanceBundles {
  processGovernanceBundles ??= buildGovernanceBundles(path.join(os.tmpdir(), `lz-governance-bundles-${process.pid}`));
  return processGovernanceBundles;
}

/** A short, human summary of what a synth produced. */
export function summarize(organization: Organization, assembly: CloudAssembly, services: readonly Service[] = [], migration = true): string {
  const org = organization;
  const envs = org.environments
    .map(e => `${e.name} (${e.account.name} ${e.account.id}; ${e.regions.join(', ')}${e.manualApproval ? '; manual approval' : ''})`);
  // Pipeline stages are nested assemblies: count their stacks too.
  const stacks = assembly.stacksRecursively.map(s => `${s.stackName} (${s.environment.account}/${s.environment.region})`);
  return [
    `Synthesized organization ${org.name} (${org.id}, root ${org.rootId}) into ${assembly.directory}`,
    `  OUs (${org.organizationalUnits.length}): ${org.organizationalUnits.map(u => u.path).join(', ')}`,
    `  Accounts (${org.accounts.length + 1}): management ${org.managementAccount.id}, `
      + org.accounts.map(a => `${a.name} ${a.id}`).join(', '),
    `  Environments in promotion order: ${envs.join(' -> ')}`,
    `  Pipeline: ${org.pipeline.engine} in ${org.pipeline.toolingAccount.name} (${org.pipeline.toolingAccount.id})`,
    `  Services (${services.length}): ${services.map(s => `${s.manifest.name} (wave ${s.manifest.wave})`).join(', ') || '(none)'}`,
    `  Stacks (${stacks.length}): ${stacks.join(', ')}`,
    // The migration off the monolith, per environment: only a full synth sees every service's routes.
    ...(migration ? describeMigration(planEdges(org, services)) : []),
    ...flagSummary(services),
    // What synth does not refuse but someone should act on (a declared flag nothing reads).
    ...services.flatMap(s => s.warnings ?? []).map(w => `  Warning: ${w}`),
  ].join('\n');
}

/** The feature flags of each service (a line only when a service declares any). */
function flagSummary(services: readonly Service[]): string[] {
  const withFlags = services.filter(s => Object.keys(s.manifest.flags).length > 0);
  if (withFlags.length === 0) return [];
  return [`  Feature flags (AWS AppConfig): ${withFlags.map(s => `${s.manifest.name} ${Object.keys(s.manifest.flags).join(', ')}`).join('; ')}`];
}

/**
 * Builds what `-c platform:scope=...` asks for into `app` and returns the
 * services it deploys: `all` (default: every pipeline), `governance` (the
 * governance pipeline's build: no service code is loaded or run), or
 * `pipeline:<shard>` (a service pipeline's build: only its shard's services,
 * and the manifests of what they depend on, are loaded, bundled, validated
 * and synthesized; no other service's code is read).
 */
export function buildScope(
  app: cdk.App,
  organization: Organization,
  options: { servicesDir?: string; bundleDir?: string; policyValidation?: PolicyValidationOptions | false } = {},
): Service[] {
  const scope: unknown = app.node.tryGetContext(SCOPE_CONTEXT_KEY) ?? 'all';
  const servicesDir = options.servicesDir ?? path.join(__dirname, 'services');
  const bundleDir = options.bundleDir ?? BUNDLE_DIR;
  const policyValidation = options.policyValidation ?? {};
  const models = <T>(fn: () => T) => synthTimings.time(SYNTH_PHASES.models, fn);
  if (scope === 'governance') {
    validate(app, policyValidation);
    const governanceStage = governanceStageOf(organization, buildGovernanceBundles(bundleDir), policyValidation);
    synthTimings.time(SYNTH_PHASES.constructs, () =>
      tagged(organization, [new GovernancePipelineStack(app, 'GovernancePipeline', { organization, governanceStage })]));
    return [];
  }
  if (scope === 'all') {
    const services = models(() => loadServices({ servicesDir, organization }));
    models(() => checkPipelineLimits(app, { organization, services }));
    buildPipelines(app, {
      organization, services, ...buildBundles(services, bundleDir), governanceBundles: buildGovernanceBundles(bundleDir), policyValidation,
    });
    return services;
  }
  if (typeof scope === 'string' && scope.startsWith(PIPELINE_SCOPE_PREFIX)) {
    const shard = scope.slice(PIPELINE_SCOPE_PREFIX.length);
    const { loaded, services } = models(() => {
      const members = shardMembers(servicesDir, selectedTopology(app, organization), shard, scope);
      const all = loadServices({ servicesDir, organization, only: withDependencies(servicesDir, members) });
      checkPipelineLimits(app, { organization, services: all, onlyShard: shard });
      return { loaded: all, services: all.filter(s => members.includes(s.manifest.name)) };
    });
    buildPipelines(app, { organization, services: loaded, ...buildBundles(services, bundleDir), onlyShard: shard, policyValidation });
    return services;
  }
  throw new ConfigError([`CDK context ${SCOPE_CONTEXT_KEY} ${JSON.stringify(scope)} is not a scope; allowed: all, governance, ${PIPELINE_SCOPE_PREFIX}<shard>`]);
}

/**
 * Where the CLI synth keeps policy validation results by content
 * (gitignored): a template unchanged since an earlier synth is not
 * validated again.
 */
export const VALIDATION_CACHE_DIR = path.join(__dirname, '.build', 'validation-cache');

/** Environment variable naming a file the synth writes its per-phase timings to (the benchmark sets it). */
export const SYNTH_TIMINGS_ENV = 'PLATFORM_SYNTH_TIMINGS';

/**
 * The CLI app's properties: it records no stack trace of where each
 * construct and each annotation was created, unless CDK's debug mode is on
 * (`CDK_DEBUG`, which `cdk synth --debug-app` sets). CDK records them by
 * default for the "created at" lines of its validation report; here they
 * point into the framework (service teams write manifests, not constructs),
 * and at 100 services they cost a quarter of construct building (35.2 s ->
 * 26.4 s) and about 150 MiB.
 */
export function cliAppProps(env: NodeJS.ProcessEnv = process.env): cdk.AppProps {
  // What CDK counts as on (its debugModeEnabled).
  const debug = /^(1|on|true)$/i.test(env.CDK_DEBUG ?? '');
  return debug ? {} : { stackTraces: false, context: { [DISABLE_CREATION_STACK_TRACES]: true } };
}

/**
 * The organization of the repository at `root`: its declaration
 * (accounts/organization.ts) and lock file, validated and resolved as synth
 * uses them.
 */
export function loadRepositoryOrganization(root: string = __dirname): Organization {
  // Loaded here, not imported: a syntax error in it is one line (file:line:column), not a stack trace.
  const declaration = requireDeclaration(path.join(root, DECLARATION_FILE), DECLARATION_FILE) as OrganizationDeclarationInput;
  return synthTimings.time(SYNTH_PHASES.models, () => loadOrganization({
    declaration,
    lockText: fs.readFileSync(path.join(root, LOCK_FILE), 'utf8'),
  }));
}

/** The validated models of a repository, as a full synth loads them. */
export interface RepositoryModels {
  readonly organization: Organization;
  /** Every service of services/, sorted by name. */
  readonly services: readonly Service[];
  /** The repository's folders (trigger paths). */
  readonly layout: RepositoryLayout;
}

/**
 * Loads the repository at `root` as a full synth does (the organization, then
 * every service validated against it) without building anything: what
 * `npx projen plan` documents.
 */
export function loadRepositoryModels(root: string = __dirname): RepositoryModels {
  const organization = loadRepositoryOrganization(root);
  const services = synthTimings.time(SYNTH_PHASES.models, () => loadServices({ servicesDir: path.join(root, 'services'), organization }));
  return { organization, services, layout: repositoryLayout(root) };
}

/** Reads the repository's declaration files, builds and synthesizes the app. */
function main(): void {
  const organization = loadRepositoryOrganization();
  const app = new cdk.App(cliAppProps());
  const services = buildScope(app, organization, { policyValidation: { cacheDir: VALIDATION_CACHE_DIR } });
  const assembly = synthTimings.time(SYNTH_PHASES.synthesis, () => app.synth());
  const reviewProblems = governanceReviewProblems(assembly.stacksRecursively.filter(s => s.stackName.startsWith(GOVERNANCE_STACK_PREFIX)));
  if (reviewProblems.length > 0) throw new ConfigError(reviewProblems);
  // stderr: the CDK CLI shows it, and stdout stays free for templates.
  console.error(summarize(organization, assembly, services, (app.node.tryGetContext(SCOPE_CONTEXT_KEY) ?? 'all') === 'all'));
  const timings = process.env[SYNTH_TIMINGS_ENV];
  if (timings) synthTimings.write(timings);
}

/** `platform:scope` of a service pipeline's build: `pipeline:<shard>`. */
const PIPELINE_SCOPE_PREFIX = 'pipeline:';

/** Reads the manifest of services/<name>/ without validating it (validation happens when it is loaded). */
function readManifest(servicesDir: string, name: string): { owner?: unknown; dependsOn?: unknown } {
  // A syntax error in it is one line (file:line:column), as when the services are loaded.
  const manifest = requireDeclaration(path.join(servicesDir, name, MANIFEST_FILE), `services/${name}/${MANIFEST_FILE}`);
  return (manifest ?? {}) as { owner?: unknown; dependsOn?: unknown };
}

/** The service folders of `servicesDir`, sorted. */
function serviceFolders(servicesDir: string): string[] {
  return fs.readdirSync(servicesDir, { withFileTypes: true })
    .filter(e => e.isDirectory() && fs.existsSync(path.join(servicesDir, e.name, MANIFEST_FILE)))
    .map(e => e.name).sort();
}

/**
 * The services of shard `shard` in topology `kind`, read without loading the
 * others: per-service, the folder of that name; per-owner, the folders whose
 * manifest names that owner (only the manifests are read).
 */
function shardMembers(servicesDir: string, kind: ReturnType<typeof selectedTopology>, shard: string, scope: string): string[] {
  const folders = serviceFolders(servicesDir);
  const members = kind === 'single' ? folders
    : kind === 'per-service' ? folders.filter(f => f === shard)
      : folders.filter(f => shardIdOf(kind, { name: f, owner: String(readManifest(servicesDir, f).owner) }) === shard);
  if (kind === 'single' ? shard !== 'services' : members.length === 0) {
    const allowed = kind === 'single' ? ['services']
      : [...new Set(folders.map(f => shardIdOf(kind, { name: f, owner: String(readManifest(servicesDir, f).owner) })))].sort();
    throw new ConfigError([`CDK context ${SCOPE_CONTEXT_KEY} ${JSON.stringify(scope)} names no pipeline of topology ${kind}; allowed: ${allowed.map(a => `${PIPELINE_SCOPE_PREFIX}${a}`).join(', ')}`]);
  }
  return members;
}

/**
 * `names` and everything they depend on, transitively: their manifests
 * shape the stacks (what is called) and the plan checks the order of the
 * whole chain. Only manifests are read; only `names` are bundled.
 */
function withDependencies(servicesDir: string, names: readonly string[]): string[] {
  const all = new Set<string>();
  const visit = (name: string) => {
    if (all.has(name) || !fs.existsSync(path.join(servicesDir, name, MANIFEST_FILE))) return;
    all.add(name);
    const parsed = ServiceManifestSchema.shape.dependsOn.safeParse(readManifest(servicesDir, name).dependsOn);
    for (const dep of parsed.success ? parsed.data : []) visit(dep);
  };
  names.forEach(visit);
  return [...all].sort();
}

// A user's mistake is one clear line and exit code 1; a bug keeps its stack trace.
if (require.main === module) runCommand(main);
