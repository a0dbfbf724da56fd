import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { ConfigError, LOCK_FILE, loadOrganization, Organization, SERVICE_PIPELINE_STACK_NAME } from './accounts';
import declaration from './accounts/organization';
import { GOVERNANCE_HANDLER_ENTRIES, GovernanceBundles, GovernanceStage, tagPlatformStacks } from './governance';
import { bundleEntries, FunctionBundle } from './kit';
import {
  addPolicyValidation,
  EngineProps,
  GitHubEngine,
  gitHubOidcStacks,
  GovernancePipelineStack,
  planFromModels,
  SCOPE_CONTEXT_KEY,
  selectedEngine,
  ServicePipelineStack,
} from './pipeline';
import {
  bundleServices,
  loadServices,
  Service,
  ServiceBundles,
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
  /** Bundles of the governance stacks' handlers. @default - built once per process into a temporary folder */
  readonly governanceBundles?: GovernanceBundles;
  /** Where the github engine writes its workflow. @default '.github/workflows/deploy.yml' */
  readonly workflowPath?: string;
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
function governanceStageOf(organization: Organization, bundles: GovernanceBundles = defaultGovernanceBundles()): EngineProps['governanceStage'] {
  return scope => new GovernanceStage(scope, 'Governance', { organization, bundles, templateValidation: addPolicyValidation });
}

/**
 * Builds the platform's stacks into `app` without a pipeline (tests and the
 * benchmark use it): governance, then one stack per (service, environment,
 * region) that the delivery plan deploys, under the same policy validation
 * as the pipelines.
 */
export function buildPlatform(app: cdk.App, inputs: PlatformInputs): cdk.Stack[] {
  const { organization } = inputs;
  addPolicyValidation(app);
  const stacks: cdk.Stack[] = [...governanceStageOf(organization, inputs.governanceBundles)(app).stacks];
  const plan = planFromModels(organization, inputs.services ?? []);
  for (const env of plan.environments) {
    for (const region of env.regions) {
      for (const service of env.waves.flatMap(w => w.services)) {
        stacks.push(new ServiceStack(app, `${service.name}-${env.name}-${region}`, {
          ...serviceStackInputs(inputs, service.name, env.name),
          region,
        }));
      }
    }
  }
  return stacks;
}

/**
 * Builds the delivery pipelines into `app`: the service pipeline of the
 * selected engine (tooling account) with a stage per (environment, service)
 * in delivery-plan order, and the governance pipeline (management account).
 * Returns the top-level stacks.
 */
export function buildPipelines(app: cdk.App, inputs: PlatformInputs): cdk.Stack[] {
  const { organization } = inputs;
  addPolicyValidation(app);
  const props: EngineProps = {
    organization,
    plan: planFromModels(organization, inputs.services ?? []),
    serviceStage: (scope, envName, serviceName) =>
      new ServiceStage(scope, `${serviceName}-${envName}`, serviceStackInputs(inputs, serviceName, envName)),
    governanceStage: governanceStageOf(organization, inputs.governanceBundles),
  };
  if (selectedEngine(app, organization) === 'github') {
    // Writes .github/workflows/deploy.yml (relative to the working directory).
    new GitHubEngine(app, 'GitHub', { ...props, workflowPath: inputs.workflowPath });
    return tagged(organization, gitHubOidcStacks(app, organization));
  }
  // CodePipeline: nothing is written outside cdk.out (no deploy workflow).
  return tagged(organization, [
    new ServicePipelineStack(app, 'ServicePipeline', { ...props, stackName: SERVICE_PIPELINE_STACK_NAME }),
    new GovernancePipelineStack(app, 'GovernancePipeline', { organization, governanceStage: props.governanceStage }),
  ]);
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
export function buildBundles(services: readonly Service[], outdir: string = BUNDLE_DIR): { bundles: ServiceBundles; hookBundle: FunctionBundle } {
  const hook = bundleEntries({ 'pre-traffic-hook': path.join(__dirname, 'services', 'hooks', 'pre-traffic-hook.ts') },
    path.join(outdir, '_framework'));
  return { bundles: bundleServices(services, outdir), hookBundle: hook['pre-traffic-hook'] };
}

/** Bundles the governance stacks' handlers once, into `outdir/_governance`. */
export function buildGovernanceBundles(outdir: string = BUNDLE_DIR): GovernanceBundles {
  return bundleEntries(GOVERNANCE_HANDLER_ENTRIES, path.join(outdir, '_governance')) as GovernanceBundles;
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
export function summarize(organization: Organization, assembly: CloudAssembly, services: readonly Service[] = []): string {
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
  ].join('\n');
}

/** Reads the repository's declaration files, builds and synthesizes the app. */
function main(): void {
  const organization = loadOrganization({
    declaration,
    lockText: fs.readFileSync(path.join(__dirname, LOCK_FILE), 'utf8'),
  });
  const app = new cdk.App();
  const scope: unknown = app.node.tryGetContext(SCOPE_CONTEXT_KEY) ?? 'all';
  let services: Service[] = [];
  if (scope === 'governance') {
    // The governance pipeline's build: no service code is loaded or run.
    addPolicyValidation(app);
    const governanceStage = governanceStageOf(organization, buildGovernanceBundles());
    tagged(organization, [new GovernancePipelineStack(app, 'GovernancePipeline', { organization, governanceStage })]);
  } else if (scope === 'all') {
    services = loadServices({ servicesDir: path.join(__dirname, 'services'), organization });
    buildPipelines(app, { organization, services, ...buildBundles(services), governanceBundles: buildGovernanceBundles() });
  } else {
    throw new ConfigError([`CDK context ${SCOPE_CONTEXT_KEY} ${JSON.stringify(scope)} is not a scope; allowed: all, governance`]);
  }
  const assembly = app.synth();
  // stderr: the CDK CLI shows it, and stdout stays free for templates.
  console.error(summarize(organization, assembly, services));
}

if (require.main === module) {
  try {
    main();
  } catch (e) {
    // A user's mistake is printed without a stack trace; a bug keeps its.
    if (!(e instanceof ConfigError)) throw e;
    console.error(e.message);
    process.exitCode = 1;
  }
}
