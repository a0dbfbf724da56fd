import { Organization } from '../accounts';
import {
  DeliveryPlan,
  DeliveryTopology,
  END_TO_END_SUITE,
  GOVERNANCE_APPROVAL,
  GOVERNANCE_REVIEW_STEP,
  PlannedEnvironment,
  PlannedWave,
  platformTriggerPaths,
  RepositoryLayout,
  serviceTriggerPaths,
  workflowFileName,
} from '../pipeline';
import { plural } from './markdown';
import { Flowchart, mermaidId, MermaidDiagram } from './mermaid';

/**
 * Services are drawn one node each (per environment) only while the plan
 * deploys at most this many; above it, each wave is one node with its count
 * (the catalogue lists every service). At 300 services a node each would be
 * 900 nodes: over Mermaid's 50,000 characters and unreadable.
 */
export const DELIVERY_SERVICE_NODES_MAX = 12;

/** What {@link deliveryDiagram} draws from. */
export interface DeliveryDiagramInput {
  readonly organization: Organization;
  /** The whole plan (governance, every environment and wave). */
  readonly plan: DeliveryPlan;
  /** The plan split into pipelines (pipeline/topology.ts deliveryTopology). */
  readonly topology: DeliveryTopology;
  /** The repository's folders: what starts which pipeline. */
  readonly layout: RepositoryLayout;
  /** @default DELIVERY_SERVICE_NODES_MAX */
  readonly serviceNodesMax?: number;
}

/** The pipelines' trigger paths, for the diagram and the table beside it. */
export interface PipelineTrigger {
  /** What the pipeline is, in words: `governance pipeline`, `workflow`. */
  readonly kind: string;
  /** Its name: the CodePipeline pipeline or the workflow file (`<shard>` standing for each shard's id). */
  readonly name: string;
  /** What starts it: globs of changed paths, or `undefined` for every push to the branch. */
  readonly paths?: readonly string[];
  /** When the paths differ per pipeline: the glob repeated for each of its own services (`services/<service>/**`), before {@link paths}. */
  readonly perService?: string;
}

/** Which pushes to the pipeline branch start which pipeline (pipeline/trigger-paths.ts), in the order the diagram draws them. */
export function pipelineTriggers(input: Pick<DeliveryDiagramInput, 'organization' | 'topology' | 'layout'>): PipelineTrigger[] {
  const { organization, topology, layout } = input;
  const github = organization.pipeline.engine === 'github';
  const triggers: PipelineTrigger[] = [];
  if (!github) triggers.push({ kind: 'governance pipeline', name: `${organization.name}-governance` });
  if (topology.kind === 'single') {
    triggers.push(github
      ? { kind: 'workflow', name: workflowFileName('single') }
      : { kind: 'service pipeline', name: topology.shards[0].pipelineName });
    return triggers;
  }
  triggers.push({
    ...(github ? { kind: 'workflow', name: workflowFileName(topology.kind) } : { kind: 'platform pipeline', name: `${organization.name}-platform` }),
    paths: platformTriggerPaths(layout),
  });
  // The framework part is the same for every shard: what follows its own services' folders.
  triggers.push({
    ...(github
      ? { kind: 'workflows', name: workflowFileName(topology.kind, '<shard>') }
      : { kind: 'service pipelines', name: `${organization.name}-services-<shard>` }),
    paths: serviceTriggerPaths(layout, []),
    perService: `${layout.servicesFolder}/<service>/**`,
  });
  return triggers;
}

/**
 * Delivery as a flowchart: what starts each pipeline; the governance
 * pipeline (or job) with its one review and one approval; the service
 * pipeline(s) in the topology's shape, with each environment in promotion
 * order, its manual approval, its public edge, its waves in order (the
 * services of a wave in parallel), the integration tests after each wave of
 * the first environment, the end-to-end and load tests after the last wave
 * of the environments between the first and production, and the bake time
 * after each production wave; in a sharded topology, the platform pipeline
 * that creates the service pipelines and deploys the edges. Its size follows
 * the environments and waves, not the services (above
 * {@link DELIVERY_SERVICE_NODES_MAX}) nor the pipelines.
 */
export function deliveryDiagram(input: DeliveryDiagramInput): MermaidDiagram {
  const { organization, plan, topology } = input;
  const github = organization.pipeline.engine === 'github';
  const single = topology.kind === 'single';
  const showServices = plan.environments.reduce((n, e) => Math.max(n, e.waves.flatMap(w => w.services).length), 0)
    <= (input.serviceNodesMax ?? DELIVERY_SERVICE_NODES_MAX);
  const chart = new Flowchart('TB');
  const branch = organization.pipeline.repository.branch;
  const tooling = `tooling account ${organization.pipeline.toolingAccount.id}`;
  const shardOf = new Map(topology.shards.flatMap(s => s.services.map(name => [name, s.id] as const)));

  // What starts each pipeline.
  // One node per distinct trigger: every push starts both the governance pipeline and the single service pipeline.
  const triggerNodes = new Map<string, string>();
  const triggerIds = pipelineTriggers(input).map(t => {
    const label = t.paths === undefined
      ? [`push to ${branch}: any path`]
      : [`push to ${branch} touching`, ...(t.perService
        ? [`${t.perService} of each of its services`, `or one of ${plural(t.paths.length, 'framework glob')}`]
        : [plural(t.paths.length, 'glob')])];
    const key = label.join('\n');
    if (!triggerNodes.has(key)) triggerNodes.set(key, chart.node(mermaidId('push', String(triggerNodes.size)), label, 'parallelogram'));
    return triggerNodes.get(key)!;
  });

  // The governance steps: one review of every change set, one approval, then every governance stack.
  const governanceSteps = (prefix: string) => {
    const review = chart.node(`${prefix}_review`, github
      ? ['job Review: every governance stack\'s change set', 'in the run\'s summary']
      : [`${GOVERNANCE_REVIEW_STEP}: a change set of`, 'every governance stack']);
    const approve = chart.node(`${prefix}_approve`, github
      ? ['GitHub environment governance', 'one approval']
      : [`${GOVERNANCE_APPROVAL}`, 'one approval'], 'hexagon');
    const deploy = chart.node(`${prefix}_deploy`, ['deploy every governance stack', `management account ${plan.governance?.accountId ?? organization.managementAccount.id}, ${organization.homeRegion}`]);
    return [review, approve, deploy];
  };
  const chain = (ids: readonly string[]) => ids.forEach((id, i) => { if (i > 0) chart.edge(ids[i - 1], id); });

  let triggerIndex = 0;
  if (!github) {
    const steps: string[] = [];
    chart.subgraph('governance', [`Governance pipeline ${organization.name}-governance`, 'CodePipeline, management account'], () => {
      steps.push(chart.node('gov_build', ['build: synth of governance only', 'no service code runs here']));
      steps.push(...governanceSteps('gov'));
    });
    chart.edge(triggerIds[triggerIndex++], steps[0]);
    chain(steps);
  }

  if (single) {
    const steps: string[] = [];
    const title = github
      ? [`Workflow ${workflowFileName('single')}`, `GitHub Actions, OIDC roles; ${plural(plan.environments.flatMap(e => e.waves).length, 'wave')}`]
      : [`Service pipeline ${topology.shards[0].pipelineName}`, `CodePipeline, ${tooling}; self-mutating`];
    chart.subgraph('services', title, () => {
      steps.push(chart.node('svc_build', github
        ? ['build: audit, npx projen test, synth', '(rewrites this workflow: must be unchanged)']
        : ['build: unit tests, cdk-nag, cfn-guard, synth', 'then self-mutation, assets']));
      if (github && plan.governance) steps.push(...governanceSteps('gov'));
      for (const [envIndex, env] of plan.environments.entries()) {
        steps.push(...environmentSteps(chart, env, envIndex, { ...input, github, showServices, shardOf, edge: env.edge }));
      }
    });
    chart.edge(triggerIds[triggerIndex], steps[0]);
    chain(steps);
    return chart.render();
  }

  // Sharded: the platform pipeline creates the service pipelines and deploys the edges and (GitHub) governance.
  const platformSteps: string[] = [];
  const shards = topology.shards.length;
  chart.subgraph('platform', github
    ? [`Workflow ${workflowFileName(topology.kind)}`, 'GitHub Actions: the whole platform']
    : [`Platform pipeline ${organization.name}-platform`, `CodePipeline, ${tooling}; self-mutating`], () => {
    platformSteps.push(chart.node('plat_build', ['build: every unit test, synth of every pipeline']));
    if (github) {
      platformSteps.push(chart.node('plat_workflows', ['every generated workflow committed', `(${plural(shards, 'service workflow')})`]));
      if (plan.governance) platformSteps.push(...governanceSteps('gov'));
    } else {
      platformSteps.push(chart.node('plat_create', ['CreateServicePipelines', `creates or updates ${plural(shards, 'service pipeline')}`]));
    }
    for (const env of topology.platformEdges) {
      if (env.approvalBefore) platformSteps.push(approvalNode(chart, `plat_${env.name}`, env.name, github, true));
      platformSteps.push(chart.node(mermaidId('plat_edge', env.name), [`${env.name} public edge`, env.edgeRegions.join(', ')]));
    }
  });
  chart.edge(triggerIds[triggerIndex++], platformSteps[0]);
  chain(platformSteps);

  const serviceSteps: string[] = [];
  const per = topology.kind === 'per-service' ? 'one per service' : 'one per owning team';
  chart.subgraph('services', github
    ? [`${plural(shards, 'service workflow')} (${per})`, `${workflowFileName(topology.kind, '<shard>')}, in parallel, none waits for another`]
    : [`${plural(shards, 'service pipeline')} (${per})`, `CodePipeline, ${tooling}; none waits for another`], () => {
    serviceSteps.push(chart.node('svc_build', ['build: its services\' tests, synth of its shard only',
      'before each deployment: the dependencies other pipelines deploy are live']));
    for (const [envIndex, env] of plan.environments.entries()) {
      serviceSteps.push(...environmentSteps(chart, env, envIndex, { ...input, github, showServices, shardOf, edge: false }));
    }
  });
  chart.edge(triggerIds[triggerIndex], serviceSteps[0]);
  chain(serviceSteps);
  if (!github) chart.edge('plat_create', 'services', 'creates', 'dotted');
  return chart.render();
}

interface EnvironmentContext extends DeliveryDiagramInput {
  readonly github: boolean;
  readonly showServices: boolean;
  /** The pipeline (shard id) of each service. */
  readonly shardOf: ReadonlyMap<string, string>;
  /** Whether this pipeline deploys the environment's edge (single topology). */
  readonly edge: boolean;
}

/** The approval before `env`: a CodePipeline manual approval or a GitHub environment's reviewers. */
function approvalNode(chart: Flowchart, prefix: string, env: string, github: boolean, edge = false): string {
  return chart.node(mermaidId(prefix, 'approve'), github
    ? [`GitHub environment ${env}-approval`, 'manual approval']
    : [`Approve-${edge ? 'edge-' : ''}${env}`, 'manual approval'], 'hexagon');
}

/**
 * The steps of one environment, in order, as nodes inside its subgraph
 * (returned in order, for the caller to chain): approval, edge, each wave
 * and what follows it (integration tests, bake time), the end-to-end tests.
 */
function environmentSteps(chart: Flowchart, env: PlannedEnvironment, envIndex: number, ctx: EnvironmentContext): string[] {
  const steps: string[] = [];
  const bake = ctx.organization.pipeline.bakeTimeMinutes;
  const sharded = ctx.topology.kind !== 'single';
  const suite: readonly string[] = END_TO_END_SUITE.services;
  const prefix = mermaidId('env', env.name);
  chart.subgraph(prefix, [`${env.name}${env.production ? ' (production)' : ''}`, `account ${env.accountId}: ${env.regions.join(', ')}`], () => {
    if (env.waves.length === 0 && !ctx.edge) {
      steps.push(chart.node(`${prefix}_none`, ['no service deploys here'], 'round'));
      return;
    }
    if (env.approvalBefore) steps.push(approvalNode(chart, prefix, env.name, ctx.github));
    if (ctx.edge) steps.push(chart.node(`${prefix}_edge`, ['public edge', env.edgeRegions.join(', ')]));
    for (const wave of env.waves) {
      steps.push(waveStep(chart, `${prefix}_${mermaidId('wave', wave.name)}`, wave, ctx));
      const withApi = wave.services.filter(s => s.hasApi).length;
      if (envIndex === 0 && withApi > 0) {
        steps.push(chart.node(`${prefix}_${mermaidId('it', wave.name)}`, ['integration tests', `${plural(withApi, 'service')} with an API`], 'round'));
      }
      if (env.production && bake > 0) {
        steps.push(chart.node(`${prefix}_${mermaidId('bake', wave.name)}`, [`bake ${bake} min`, 'the wave\'s alarms stay quiet'], 'round'));
      }
    }
    const deployed = env.waves.flatMap(w => w.services.map(s => s.name));
    if (envIndex > 0 && !env.production && deployed.some(s => suite.includes(s))) {
      const runners = [...new Set(deployed.filter(s => suite.includes(s)).map(s => ctx.shardOf.get(s) ?? s))].sort();
      steps.push(chart.node(`${prefix}_e2e`, [
        'end-to-end and load tests',
        sharded ? `in the pipeline${runners.length === 1 ? '' : 's'} of ${runners.length <= 4 ? runners.join(', ') : plural(runners.length, 'shard')}` : 'after the last wave',
      ], 'round'));
    }
  });
  return steps;
}

/** A wave: a subgraph of its services (in parallel) while they are few, else one node with the count. */
function waveStep(chart: Flowchart, id: string, wave: PlannedWave, ctx: EnvironmentContext): string {
  const sharded = ctx.topology.kind !== 'single';
  const pipelines = new Set(wave.services.map(s => ctx.shardOf.get(s.name) ?? s.name)).size;
  const title = `wave ${wave.name}: ${plural(wave.services.length, 'service')}${wave.services.length > 1 ? ' in parallel' : ''}`;
  if (!ctx.showServices) {
    return chart.node(id, [title, ...(sharded ? [`in ${plural(pipelines, 'pipeline')}`] : [])]);
  }
  return chart.subgraph(id, [title], () => {
    for (const service of wave.services) {
      chart.node(`${id}_${mermaidId('svc', service.name)}`, [service.name, ...(service.publicRoutes ? ['public routes'] : [])], 'stadium');
    }
  }, 'LR');
}
