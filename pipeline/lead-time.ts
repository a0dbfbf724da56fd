import { parse } from 'yaml';

/*
 * A model of the commit-to-production time of a change to one service,
 * computed from a synthesized pipeline (a CodePipeline template or a GitHub
 * Actions workflow). It is pure (no files, no AWS) so the benchmark can run it
 * on pipelines of any size and show where the time goes.
 *
 * Why it exists: with one shared pipeline, CDK Pipelines splits a stage of more
 * than 50 actions (CodePipeline's limit) into sequential stages `name.1`,
 * `name.2`, ..., and every wave runs in order even when only one service
 * changed, so the lead time grows with the number of services. With one
 * pipeline per service it does not. The model makes that visible.
 */

/** How long each kind of pipeline step takes, in seconds. */
export interface LeadTimeDurations {
  /** Fetching the commit (the CodePipeline source action). */
  readonly source: number;
  /** The build: install, lint and unit tests, synth. */
  readonly build: number;
  /** The CDK Pipelines self-mutation (UpdatePipeline) action. */
  readonly selfMutation: number;
  /** Publishing one asset (file or image); a stage's asset actions run in parallel. */
  readonly assetPublishing: number;
  /** Creating a CloudFormation change set (CHANGE_SET_REPLACE). */
  readonly changeSetPrepare: number;
  /** Executing the change set of a stack of the changed service, not counting CodeDeploy traffic shifting. */
  readonly stackUpdate: number;
  /** Executing the (empty) change set of a stack of a service that did not change. */
  readonly emptyChangeSetExecute: number;
  /** A service's post-deploy smoke tests. */
  readonly integrationTests: number;
  /** An environment's end-to-end suite and load test. */
  readonly endToEndTests: number;
  /** The check that a service's dependencies are deployed in the environment. */
  readonly dependencyCheck: number;
  /** A bake-time gate whose step does not say its minutes (no BAKE_MINUTES variable). */
  readonly bake: number;
  /** CodeDeploy traffic shifting in an environment missing from the traffic-shifting map. */
  readonly trafficShiftingOtherEnvironment: number;
  /** A step of a kind the model does not recognise. */
  readonly unknown: number;
}

/**
 * The default durations (seconds), each an estimate for a small serverless
 * service on standard CodeBuild / GitHub-hosted runners. Absolute values are
 * rough; what the benchmark relies on is how they add up along the pipeline.
 */
export const DEFAULT_DURATIONS: LeadTimeDurations = {
  // Connection clone of a small repository and upload of the artifact to S3.
  source: 30,
  // Runner provisioning (~30 s), npm ci (~60 s), lint and unit tests (~120 s), cdk synth (~30 s).
  build: 240,
  // Runner provisioning plus `cdk deploy` of the pipeline stack, which has not changed for a service change.
  selfMutation: 90,
  // Runner provisioning (~30 s) plus cdk-assets; an asset already published is skipped, but its action still runs.
  assetPublishing: 60,
  // CreateChangeSet of a stack of a few dozen resources.
  changeSetPrepare: 30,
  // CloudFormation updating functions, alias and alarms; the CodeDeploy wait is added per environment.
  stackUpdate: 60,
  // CDK Pipelines executes every stack's change set; an empty one finishes at the first CodePipeline poll.
  emptyChangeSetExecute: 15,
  // Runner provisioning, npm ci and a handful of smoke requests (test/integration/smoke.ts).
  integrationTests: 120,
  // Runner provisioning, the payment flow (test/e2e/payment-flow.ts) and a 300-request load test (test/e2e/load.ts).
  endToEndTests: 300,
  // A few SSM and CloudFormation reads (pipeline/dependency-check.sh).
  dependencyCheck: 30,
  // The organization's default bakeTimeMinutes (10, accounts/organization-model.ts).
  bake: 600,
  // linear-10-percent-every-1-minute, what defaultDeploymentStrategy gives an environment that is neither first nor last.
  trafficShiftingOtherEnvironment: 600,
  // About one short job: it counts, but cannot dominate the total and hide the kinds the model knows.
  unknown: 60,
};

/**
 * CodeDeploy traffic-shifting time (seconds) per environment, from the
 * strategies defaultDeploymentStrategy picks (services/service-model.ts).
 */
export const DEFAULT_TRAFFIC_SHIFTING_SECONDS: Readonly<Record<string, number>> = {
  // all-at-once: no wait between steps, only the pre-traffic hook and CodeDeploy's lifecycle (~1 min).
  dev: 60,
  // linear-10-percent-every-1-minute: ten one-minute steps.
  staging: 600,
  // canary-10-percent-5-minutes: five minutes at 10%, plus the hook (~1 min).
  prod: 360,
};

/** What {@link codePipelineLeadTime} and {@link workflowLeadTime} need besides the pipeline. */
export interface LeadTimeOptions {
  /** The one service whose change goes through the pipeline; its stacks are named `<service>-<env>-<region>`. */
  readonly changedService: string;
  /**
   * Seconds of CodeDeploy traffic shifting per environment name, added to the
   * deployment of each stack of the changed service there. Merged over the defaults.
   * @default DEFAULT_TRAFFIC_SHIFTING_SECONDS
   */
  readonly trafficShiftingSeconds?: Readonly<Record<string, number>>;
  /**
   * Overrides of any default duration (seconds), e.g. `{ build: 420 }`.
   * @default DEFAULT_DURATIONS
   */
  readonly durations?: Partial<LeadTimeDurations>;
}

/** The time one stage (CodePipeline) or job (GitHub Actions) adds to the lead time. */
export interface StageTime {
  /** The stage name, or the job id. */
  readonly name: string;
  readonly seconds: number;
}

/** The modelled lead time of a one-service change. */
export interface LeadTime {
  /** Seconds from the commit to the end of the run, human approvals excluded. */
  readonly totalSeconds: number;
  /**
   * Manual approvals the run waits for. They count 0 in the total: a human's
   * wait depends on the human, not on the pipeline, so it is reported apart.
   */
  readonly approvals: number;
  /** CodePipeline: every stage in order. GitHub Actions: the jobs of the critical path in order. */
  readonly stages: readonly StageTime[];
}

/** One action of a CodePipeline stage, as it appears in a CloudFormation template. */
export interface PipelineActionJson {
  readonly Name: string;
  /** @default 1 */
  readonly RunOrder?: number;
  readonly ActionTypeId: {
    readonly Category: 'Source' | 'Build' | 'Test' | 'Deploy' | 'Approval' | 'Invoke' | string;
    readonly Provider: string;
  };
  readonly Configuration?: Readonly<Record<string, unknown>>;
}

/** One stage of an `AWS::CodePipeline::Pipeline`. */
export interface PipelineStageJson {
  readonly Name: string;
  readonly Actions: readonly PipelineActionJson[];
}

/** The part of a CloudFormation template the model reads. */
export interface CloudFormationTemplateJson {
  readonly Resources?: Readonly<Record<string, { readonly Type?: string; readonly Properties?: unknown }>>;
}

/** Everything the duration of one step depends on, options resolved. */
interface Resolved {
  readonly changedService: string;
  readonly durations: LeadTimeDurations;
  readonly trafficShifting: Readonly<Record<string, number>>;
}

function resolve(options: LeadTimeOptions, where: string): Resolved {
  if (!options.changedService) {
    throw new Error(`${where}: options.changedService is empty; allowed: the name of one service`);
  }
  const durations = { ...DEFAULT_DURATIONS, ...options.durations };
  const trafficShifting = { ...DEFAULT_TRAFFIC_SHIFTING_SECONDS, ...options.trafficShiftingSeconds };
  const bad = [
    ...Object.entries(durations).map(([k, v]) => [`options.durations.${k}`, v] as const),
    ...Object.entries(trafficShifting).map(([k, v]) => [`options.trafficShiftingSeconds.${k}`, v] as const),
  ].filter(([, v]) => typeof v !== 'number' || !Number.isFinite(v) || v < 0);
  if (bad.length > 0) {
    throw new Error(`${where}: ${bad.map(([k, v]) => `${k} ${String(v)}`).join(', ')} is not a duration; allowed: seconds, a finite number >= 0`);
  }
  return { changedService: options.changedService, durations, trafficShifting };
}

// A region suffix such as `eu-west-1`, `us-gov-west-1` or `ap-southeast-2`.
// eslint-disable-next-line security/detect-unsafe-regex -- anchored at the end and "-" delimits parts that never match it: linear; the input is a stack name we generate
const REGION_SUFFIX = /-[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d+$/;

/**
 * The environment a stack of the changed service deploys to, or undefined
 * when the stack belongs to another service. Stack names are
 * `<service>-<env>-<region>`; since service and environment names may both
 * contain hyphens, a known environment name (traffic map, GitHub job
 * environment) is matched first, so a change to `pay` never claims the stacks
 * of `pay-ments`. An unknown environment is accepted only without a hyphen.
 */
function changedEnvironment(stackName: string, r: Resolved, knownEnvironments: readonly string[]): string | undefined {
  const withoutRegion = stackName.replace(REGION_SUFFIX, '');
  const prefix = `${r.changedService}-`;
  if (!withoutRegion.startsWith(prefix)) return undefined;
  const env = withoutRegion.slice(prefix.length);
  const known = new Set([...Object.keys(r.trafficShifting), ...knownEnvironments]);
  if (known.has(env)) return env;
  return env.length > 0 && !env.includes('-') ? env : undefined;
}

/** Seconds to deploy a stack: CloudFormation plus, for the changed service, the environment's traffic shifting. */
function executeSeconds(stackName: string, r: Resolved, knownEnvironments: readonly string[] = []): number {
  const env = changedEnvironment(stackName, r, knownEnvironments);
  if (env === undefined) return r.durations.emptyChangeSetExecute;
  // CloudFormation waits for CodeDeploy (the alias's CodeDeployLambdaAliasUpdate
  // policy), so the traffic shifting is part of the execute action.
  return r.durations.stackUpdate + (r.trafficShifting[env] ?? r.durations.trafficShiftingOtherEnvironment);
}

/** Seconds of a bake step: its BAKE_MINUTES when it is a plain number, else the default. */
function bakeSeconds(minutes: unknown, r: Resolved): number {
  // A value may also be a pipeline variable (`#{...}`) only known at run time.
  const n = typeof minutes === 'number' ? minutes : typeof minutes === 'string' && minutes.trim() !== '' ? Number(minutes) : NaN;
  return Number.isFinite(n) && n >= 0 ? n * 60 : r.durations.bake;
}

/** BAKE_MINUTES from a CodeBuild action's `EnvironmentVariables` (a JSON string of `{ name, type, value }`). */
function bakeMinutesOf(action: PipelineActionJson): unknown {
  const raw = action.Configuration?.EnvironmentVariables;
  if (typeof raw !== 'string') return undefined;
  let variables: unknown;
  try {
    variables = JSON.parse(raw);
  } catch {
    // CodePipeline would refuse such an action; the model falls back to the default instead of failing the benchmark.
    return undefined;
  }
  if (!Array.isArray(variables)) return undefined;
  const found: unknown = variables.find((v: unknown) => isRecord(v) && v.name === 'BAKE_MINUTES');
  return isRecord(found) ? found.value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether an action publishes assets: CDK Pipelines names them `FileAsset<n>` or by the asset's name, in stage `Assets`. */
function isAssetAction(stage: PipelineStageJson, action: PipelineActionJson): boolean {
  if (/(File|Docker)Asset\d*$/.test(action.Name)) return true;
  // Recent CDK names the action after the asset (`Fn-create_Function_Code`) but keeps the project id.
  if (/(File|Docker)Asset/.test(JSON.stringify(action.Configuration?.ProjectName ?? ''))) return true;
  // eslint-disable-next-line security/detect-unsafe-regex -- one optional group of digits after a literal: linear; the input is a stage name CDK Pipelines generates
  return /^Assets(\.\d+)?$/.test(stage.Name) && action.ActionTypeId.Category === 'Build';
}

/** Seconds one CodePipeline action takes; approvals take 0 (reported apart). */
function actionSeconds(stage: PipelineStageJson, action: PipelineActionJson, r: Resolved): number {
  const d = r.durations;
  const name = action.Name;
  const category = action.ActionTypeId.Category;
  if (category === 'Source') return d.source;
  if (category === 'Approval') return 0;
  if (category === 'Deploy' && action.ActionTypeId.Provider === 'CloudFormation') {
    const mode = action.Configuration?.ActionMode;
    const stackName = action.Configuration?.StackName;
    if (mode === 'CHANGE_SET_REPLACE') return d.changeSetPrepare;
    if (typeof stackName !== 'string') return d.unknown;
    if (mode === 'CHANGE_SET_EXECUTE') return executeSeconds(stackName, r);
    // A direct update (CREATE_UPDATE, REPLACE_ON_FAILURE) creates and executes a change set in one action.
    if (mode === 'CREATE_UPDATE' || mode === 'REPLACE_ON_FAILURE') return d.changeSetPrepare + executeSeconds(stackName, r);
    return d.unknown;
  }
  // Step ids may carry a prefix (`payments-dev.IntegrationTests-payments`): match on the end or a part of the name.
  if (/(^|\.)Synth$/.test(name)) return d.build;
  if (/(^|\.)SelfMutate$/.test(name)) return d.selfMutation;
  if (name.includes('IntegrationTests')) return d.integrationTests;
  if (name.includes('EndToEndTests')) return d.endToEndTests;
  if (name.includes('DependencyCheck')) return d.dependencyCheck;
  if (name.includes('BakeTime')) return bakeSeconds(bakeMinutesOf(action), r);
  // Last, because it also accepts any build action of an `Assets` stage.
  if (isAssetAction(stage, action)) return d.assetPublishing;
  return d.unknown;
}

/** The one pipeline of the template, its stages checked for the shape the model reads. */
function pipelineStages(template: CloudFormationTemplateJson): readonly PipelineStageJson[] {
  const pipelines = Object.entries(template.Resources ?? {}).filter(([, res]) => res.Type === 'AWS::CodePipeline::Pipeline');
  if (pipelines.length !== 1) {
    throw new Error(`template: has ${pipelines.length} AWS::CodePipeline::Pipeline resources (${pipelines.map(([id]) => id).join(', ') || 'none'}); allowed: exactly one`);
  }
  const [id, resource] = pipelines[0];
  const stages = isRecord(resource.Properties) ? resource.Properties.Stages : undefined;
  if (!Array.isArray(stages)) {
    throw new Error(`template: ${id}.Properties.Stages is not a list of stages; allowed: the Stages of a synthesized pipeline`);
  }
  stages.forEach((stage: unknown, i) => {
    if (!isRecord(stage) || typeof stage.Name !== 'string' || !Array.isArray(stage.Actions)) {
      throw new Error(`template: ${id}.Properties.Stages[${i}] is not a stage; allowed: { Name: string, Actions: [...] }`);
    }
    stage.Actions.forEach((action: unknown, j) => {
      if (!isRecord(action) || typeof action.Name !== 'string' || !isRecord(action.ActionTypeId)
        || typeof action.ActionTypeId.Category !== 'string') {
        throw new Error(`template: ${id}.Properties.Stages[${i}].Actions[${j}] is not an action; allowed: { Name: string, ActionTypeId: { Category, Provider } }`);
      }
    });
  });
  return stages as PipelineStageJson[];
}

/**
 * The lead time of a one-service change through a CodePipeline pipeline.
 * Stages run one after another; inside a stage, actions of the same RunOrder
 * run in parallel and RunOrders in sequence, so a stage takes the sum over its
 * RunOrders of its slowest action. Every stage counts, even those of services
 * that did not change: CodePipeline runs all of them (their change sets are
 * empty, not skipped).
 */
export function codePipelineLeadTime(template: CloudFormationTemplateJson, options: LeadTimeOptions): LeadTime {
  const r = resolve(options, 'codePipelineLeadTime');
  let approvals = 0;
  const stages = pipelineStages(template).map(stage => {
    const slowestByRunOrder = new Map<number, number>();
    for (const action of stage.Actions) {
      if (action.ActionTypeId.Category === 'Approval') approvals++;
      const runOrder = action.RunOrder ?? 1;
      slowestByRunOrder.set(runOrder, Math.max(slowestByRunOrder.get(runOrder) ?? 0, actionSeconds(stage, action, r)));
    }
    return { name: stage.Name, seconds: sum([...slowestByRunOrder.values()]) };
  });
  return { totalSeconds: sum(stages.map(s => s.seconds)), approvals, stages };
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** One job of a workflow, as the model reads it. */
interface WorkflowJob {
  readonly id: string;
  readonly needs: readonly string[];
  readonly environment?: string;
  readonly env: Readonly<Record<string, unknown>>;
  readonly steps: ReadonlyArray<Readonly<Record<string, unknown>>>;
}

// The action cdk-pipelines-github deploys a stack with (create and execute a change set in one job).
const DEPLOY_ACTION = 'aws-actions/aws-cloudformation-github-deploy';

/** Seconds one job takes; approval jobs take 0 (reported apart). */
function jobSeconds(job: WorkflowJob, r: Resolved): number {
  const d = r.durations;
  if (job.environment?.endsWith('-approval')) return 0;
  const deploy = job.steps.find(s => typeof s.uses === 'string' && s.uses.startsWith(`${DEPLOY_ACTION}@`));
  if (deploy) {
    const stackName = isRecord(deploy.with) ? deploy.with.name : undefined;
    if (typeof stackName !== 'string') return d.unknown;
    return d.changeSetPrepare + executeSeconds(stackName, r, job.environment ? [job.environment] : []);
  }
  const runs = job.steps.map(s => (typeof s.run === 'string' ? s.run : '')).join('\n');
  if (runs.includes('test/integration/smoke.ts')) return d.integrationTests;
  // The load test (test/e2e/load.ts) runs in the same job and is part of endToEndTests.
  if (runs.includes('test/e2e/')) return d.endToEndTests;
  if (runs.includes('pipeline/dependency-check.sh')) return d.dependencyCheck;
  if (runs.includes('pipeline/bake-check.sh')) {
    const step = job.steps.find(s => typeof s.run === 'string' && s.run.includes('pipeline/bake-check.sh'));
    const stepEnv = step && isRecord(step.env) ? step.env : {};
    return bakeSeconds(stepEnv.BAKE_MINUTES ?? job.env.BAKE_MINUTES, r);
  }
  if (/^Build-/.test(job.id)) return d.build;
  if (/^Assets-(File|Docker)Asset\d+$/.test(job.id)) return d.assetPublishing;
  return d.unknown;
}

/** The jobs of a workflow YAML, checked for the shape the model reads. */
function workflowJobs(yaml: string): readonly WorkflowJob[] {
  let doc: unknown;
  try {
    doc = parse(yaml);
  } catch (e) {
    throw new Error(`workflow: is not valid YAML: ${(e as Error).message}`);
  }
  if (!isRecord(doc) || !isRecord(doc.jobs)) {
    throw new Error('workflow: has no jobs mapping; allowed: a GitHub Actions workflow with `jobs:`');
  }
  const jobs = Object.entries(doc.jobs).map(([id, raw]): WorkflowJob => {
    if (!isRecord(raw)) throw new Error(`workflow: jobs.${id} is not a mapping`);
    const needs = raw.needs === undefined ? [] : typeof raw.needs === 'string' ? [raw.needs] : raw.needs;
    if (!Array.isArray(needs) || !needs.every((n): n is string => typeof n === 'string')) {
      throw new Error(`workflow: jobs.${id}.needs is not a job id or a list of job ids`);
    }
    // `environment` is either a name or `{ name, url }`.
    const environment = typeof raw.environment === 'string' ? raw.environment
      : isRecord(raw.environment) && typeof raw.environment.name === 'string' ? raw.environment.name : undefined;
    const steps = Array.isArray(raw.steps) ? raw.steps.filter(isRecord) : [];
    return { id, needs, environment, env: isRecord(raw.env) ? raw.env : {}, steps };
  });
  const ids = new Set(jobs.map(j => j.id));
  for (const job of jobs) {
    const unknown = job.needs.filter(n => !ids.has(n));
    if (unknown.length > 0) {
      throw new Error(`workflow: jobs.${job.id}.needs ${unknown.map(n => `"${n}"`).join(', ')}, which is not a job of the workflow`);
    }
  }
  return jobs;
}

/** When a job finishes if it starts as soon as all it needs are done, and the path that sets it. */
interface Finish {
  readonly at: number;
  /** Job ids from the first job to this one. */
  readonly path: readonly string[];
}

/**
 * The lead time of a one-service change through a GitHub Actions workflow
 * written by cdk-pipelines-github. A job starts when every job it `needs` is
 * done, so the workflow takes as long as its longest (critical) path; the
 * stages reported are the jobs of that path. Every approval job counts as one
 * approval: the run cannot finish until each is granted.
 */
export function workflowLeadTime(yaml: string, options: LeadTimeOptions): LeadTime {
  const r = resolve(options, 'workflowLeadTime');
  const jobs = workflowJobs(yaml);
  const byId = new Map(jobs.map(j => [j.id, j]));
  const seconds = new Map(jobs.map(j => [j.id, jobSeconds(j, r)]));
  const finished = new Map<string, Finish>();
  const visiting: string[] = [];

  const finish = (id: string): Finish => {
    const known = finished.get(id);
    if (known) return known;
    if (visiting.includes(id)) {
      throw new Error(`workflow: jobs need each other in a cycle: ${[...visiting.slice(visiting.indexOf(id)), id].join(' -> ')}`);
    }
    visiting.push(id);
    let latest: Finish = { at: 0, path: [] };
    for (const need of byId.get(id)!.needs) {
      const f = finish(need);
      // On a tie the longer chain wins, so a zero-second approval job that
      // gates the same start stays on the reported path.
      if (f.at > latest.at || (f.at === latest.at && f.path.length > latest.path.length)) latest = f;
    }
    visiting.pop();
    const result = { at: latest.at + seconds.get(id)!, path: [...latest.path, id] };
    finished.set(id, result);
    return result;
  };

  let critical: Finish = { at: 0, path: [] };
  for (const job of jobs) {
    const f = finish(job.id);
    if (f.at > critical.at || (f.at === critical.at && f.path.length > critical.path.length)) critical = f;
  }
  return {
    totalSeconds: critical.at,
    approvals: jobs.filter(j => j.environment?.endsWith('-approval')).length,
    stages: critical.path.map(id => ({ name: id, seconds: seconds.get(id)! })),
  };
}
