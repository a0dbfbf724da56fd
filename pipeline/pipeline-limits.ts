import * as cdk from 'aws-cdk-lib';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import { ConfigError, PipelineEngine, PipelineTopology } from '../accounts';
import { DeliveryTopology, PipelineShard } from './topology';

/** CodePipeline's fixed structural limits (AWS CodePipeline quotas; trigger filters: GitFilePathFilterCriteria). */
export const CODEPIPELINE_LIMITS = {
  actionsPerStage: 50,
  stagesPerPipeline: 50,
  /** Includes of one push filter. */
  triggerPathsPerFilter: 8,
  /** Push filters of one trigger. */
  pushFiltersPerTrigger: 3,
} as const;

/**
 * Default quotas of the tooling account (per region) that many pipelines
 * fill: AWS CodePipeline "pipelines per Region" and AWS CodeBuild "build
 * projects per Region". Both can be raised through Service Quotas.
 */
export const TOOLING_ACCOUNT_QUOTAS = {
  pipelines: 1000,
  codeBuildProjects: 5000,
} as const;

/** CloudFormation's per-stack limits (AWS CloudFormation quotas; the template size is for one uploaded to S3, as CDK does). */
export const CLOUDFORMATION_LIMITS = {
  resourcesPerStack: 500,
  templateBytes: 1_000_000,
  /** A template passed in the request (TemplateBody), as the governance review passes each governance stack's. */
  inlineTemplateBytes: 51_200,
} as const;

/**
 * The governance review (pipeline/governance-review.ts) creates each
 * governance stack's change set from its minified template passed inline:
 * a stack over CloudFormation's inline limit would fail the review at
 * deploy time, so synth refuses it first, with the size, the limit and the fix.
 */
export function governanceReviewProblems(stacks: readonly { readonly stackName: string; readonly template: unknown }[]): string[] {
  return stacks.flatMap(stack => {
    const bytes = Buffer.byteLength(JSON.stringify(stack.template));
    return bytes <= CLOUDFORMATION_LIMITS.inlineTemplateBytes ? [] : [
      `${stack.stackName}: its template is ${bytes} bytes minified; the governance review passes it inline, and CloudFormation allows `
      + `${CLOUDFORMATION_LIMITS.inlineTemplateBytes}: split the stack (governance/governance-stage.ts)`,
    ];
  });
}

/** GitHub Actions limits that apply to a generated workflow (GitHub's "Actions limits"). */
export const GITHUB_LIMITS = {
  /** A workflow file larger than 500 KB does not start runs at all. */
  workflowFileBytes: 500 * 1024,
  /** Workflow runs a repository may queue per 10 seconds: a framework change starts every service workflow at once. */
  queuedRunsPer10Seconds: 500,
} as const;

/** One limit a pipeline of the plan would cross. */
export interface LimitViolation {
  /** The pipeline (stack or workflow file). */
  readonly pipeline: string;
  /** What is counted, e.g. "CloudFormation resources in the stack". */
  readonly what: string;
  readonly count: number;
  readonly limit: number;
  /** What to change. */
  readonly fix: string;
}

/** The fix to name when a shared pipeline is too big: split it. */
function splitFix(topology: PipelineTopology): string {
  return topology === 'per-service'
    ? 'split the service (fewer functions, regions or environments per service)'
    : `switch pipeline.topology in accounts/organization.ts from '${topology}' to 'per-service' (one pipeline per service)`;
}

/** Throws one {@link ConfigError} listing every violation (nothing is written first), or returns. */
export function throwOnViolations(violations: readonly LimitViolation[]): void {
  if (violations.length === 0) return;
  throw new ConfigError(violations.map(v =>
    `pipeline ${v.pipeline}: ${v.count} ${v.what}, above the limit of ${v.limit}; fix: ${v.fix}`));
}

/** What the shape of a shard's pipeline depends on besides the plan. */
export interface ShapeOptions {
  /** Minutes of bake time after each production wave (0: no bake step). */
  readonly bakeTimeMinutes: number;
  /** Lambda bundles of each service (its functions), for the asset count. */
  readonly functionsOf: (service: string) => number;
  /** Whether a pipeline that deploys `services` runs the end-to-end suite (see END_TO_END_SUITE). */
  readonly runsEndToEnd: (services: readonly string[]) => boolean;
  /** Trigger path globs of the shard's pipeline (none in the `single` topology). */
  readonly triggerPaths: (shard: PipelineShard) => readonly string[];
}

/** A stage of the CodePipeline the engine builds, after CDK Pipelines splits it. */
export interface StageShape {
  readonly name: string;
  readonly actions: number;
}

/** The CodePipeline (and its stack) the engine builds for a shard, as counted from the plan. */
export interface CodePipelineShape {
  readonly stages: readonly StageShape[];
  /** CodeBuild projects: build, self-mutation, asset publishing, and one per test, check or bake step. */
  readonly codeBuildProjects: number;
  /** CloudFormation resources of the pipeline's stack. */
  readonly resources: number;
  /**
   * IAM roles of the pipeline's stack: the pipeline's, the build's,
   * self-mutation's, asset publishing's, and one per ten test steps and per
   * ten check steps (6 for a pipeline of one service).
   */
  readonly roles: number;
}

/**
 * Resources of a pipeline stack as the engine builds it (measured on the
 * synthesized stacks; unit tests keep these in step with the engine): the
 * fixed part (pipeline and its role, artifact bucket and key, build and
 * self-mutation projects with their roles, build logs and their key,
 * failure topic, its key and notification rule, CDK's metadata), the
 * on-call's subscriptions of the failure topic (counted from the declaration), the
 * file-asset publishing project with its role, each CodeBuild step's
 * project, and the role (with its policy) shared by the test steps and the
 * one shared by the check steps.
 */
export const PIPELINE_STACK_RESOURCES = {
  fixed: 20,
  assetPublishing: 3,
  perCodeBuildStep: 1,
  perStepRole: 2,
} as const;

/**
 * Steps sharing one role: each adds about 500 characters of log, report
 * and artifact grants to the role's policy, which IAM limits to 10,240
 * characters per role (CDK would move the excess into managed policies).
 */
export const STEPS_PER_ROLE = 10;

/** IAM roles of the platform pipeline: its own, the build's, self-mutation's and the step creating service pipelines. */
export const PLATFORM_PIPELINE_ROLES = 4;

/** Roles kept free in the tooling account for what is not a pipeline (CDK bootstrap, StackSets, Control Tower, service-linked roles). */
export const TOOLING_ROLES_RESERVE = 100;

/**
 * The CodePipeline of `shard` as the CodePipeline engine builds it: Source,
 * Build, UpdatePipeline, Assets, then a stage per wave of each environment
 * holding its approval, each service's dependency check, two change-set
 * actions per stack and its integration tests, the bake check and the
 * end-to-end tests; CDK Pipelines splits a stage of more than 50 actions
 * into sequential stages (`<wave>.1`, `<wave>.2`).
 */
export function codePipelineShape(shard: PipelineShard, options: ShapeOptions, onCallResources: number): CodePipelineShape {
  const stages: StageShape[] = [{ name: 'Source', actions: 1 }, { name: 'Build', actions: 1 }, { name: 'UpdatePipeline', actions: 1 }];
  const assets = shard.services.reduce((n, s) => n + options.functionsOf(s), 0);
  if (assets > 0) stages.push({ name: 'Assets', actions: 1 });
  let tests = 0;
  let checks = 0;
  const e2e = options.runsEndToEnd(shard.services);
  shard.plan.environments.forEach((env, envIndex) => {
    // The edge first, after the approval: a change set to create and one to execute per stack (a region each, with WAF its front).
    if (env.edge) stages.push({ name: `${env.name}-edge`, actions: (env.approvalBefore ? 1 : 0) + 2 * env.edgeRegions.length });
    env.waves.forEach((wave, waveIndex) => {
      let actions = waveIndex === 0 && env.approvalBefore && !env.edge ? 1 : 0;
      for (const service of wave.services) {
        const dependencyChecks = shard.externalDependencies[service.name] ? 1 : 0;
        const integrationTests = envIndex === 0 && service.hasApi ? 1 : 0;
        actions += dependencyChecks + 2 * env.regions.length + integrationTests;
        checks += dependencyChecks;
        tests += integrationTests;
      }
      if (env.production && options.bakeTimeMinutes > 0) {
        actions++;
        checks++;
      }
      if (e2e && envIndex > 0 && !env.production && waveIndex === env.waves.length - 1) {
        actions++;
        tests++;
      }
      const parts = Math.ceil(actions / CODEPIPELINE_LIMITS.actionsPerStage);
      for (let i = 0; i < parts; i++) {
        stages.push({
          name: parts > 1 ? `${env.name}-${wave.name}.${i + 1}` : `${env.name}-${wave.name}`,
          actions: Math.min(CODEPIPELINE_LIMITS.actionsPerStage, actions - i * CODEPIPELINE_LIMITS.actionsPerStage),
        });
      }
    });
  });
  const r = PIPELINE_STACK_RESOURCES;
  // The test steps share a role per STEPS_PER_ROLE (10) of them, and so do the check steps.
  const stepRoles = Math.ceil(tests / STEPS_PER_ROLE) + Math.ceil(checks / STEPS_PER_ROLE);
  return {
    stages,
    codeBuildProjects: 2 + (assets > 0 ? 1 : 0) + tests + checks,
    roles: 3 + (assets > 0 ? 1 : 0) + stepRoles,
    resources: r.fixed + onCallResources + (assets > 0 ? r.assetPublishing : 0)
      + r.perCodeBuildStep * (tests + checks) + r.perStepRole * stepRoles,
  };
}

/**
 * Checks every pipeline of `topology` against the hard limits of its engine,
 * from the plan alone (no construct is built): CloudFormation resources per
 * stack and CodePipeline stages per pipeline, or the size of a GitHub
 * workflow; trigger path filters. Returns what does not fit.
 */
export function planLimitViolations(topology: DeliveryTopology, engine: PipelineEngine, options: ShapeOptions & {
  /** Resources the platform on-call's subscriptions add to the failure topic (kit onCallResourceCount). */
  readonly onCallResources: number;
  /** Estimated bytes of a workflow for `shard` (github engine). */
  readonly workflowBytes: (shard: PipelineShard) => number;
  /**
   * The tooling account's IAM roles quota, checked against the roles of every
   * pipeline of `topology` (CodePipeline).
   * @default - not checked (a service pipeline's own build sees one shard)
   */
  readonly iamRoleQuota?: number;
}): LimitViolation[] {
  const violations: LimitViolation[] = [];
  const fix = splitFix(topology.kind);
  for (const shard of topology.shards) {
    const paths = options.triggerPaths(shard).length;
    const maxPaths = CODEPIPELINE_LIMITS.triggerPathsPerFilter * CODEPIPELINE_LIMITS.pushFiltersPerTrigger;
    if (engine === 'codepipeline') {
      const shape = codePipelineShape(shard, options, options.onCallResources);
      if (shape.resources > CLOUDFORMATION_LIMITS.resourcesPerStack) {
        violations.push({ pipeline: shard.stackName, what: 'CloudFormation resources in its stack', count: shape.resources, limit: CLOUDFORMATION_LIMITS.resourcesPerStack, fix });
      }
      if (shape.stages.length > CODEPIPELINE_LIMITS.stagesPerPipeline) {
        violations.push({ pipeline: shard.stackName, what: 'CodePipeline stages (waves of more than 50 actions are split)', count: shape.stages.length, limit: CODEPIPELINE_LIMITS.stagesPerPipeline, fix });
      }
      if (paths > maxPaths) {
        violations.push({
          pipeline: shard.stackName,
          what: `trigger path globs (${CODEPIPELINE_LIMITS.pushFiltersPerTrigger} push filters of ${CODEPIPELINE_LIMITS.triggerPathsPerFilter})`,
          count: paths,
          limit: maxPaths,
          fix: 'give the owner fewer services per pipeline, or switch pipeline.topology to \'per-service\'',
        });
      }
    } else {
      const bytes = options.workflowBytes(shard);
      if (bytes > GITHUB_LIMITS.workflowFileBytes) {
        violations.push({ pipeline: shard.stackName, what: 'bytes of workflow file (estimated)', count: bytes, limit: GITHUB_LIMITS.workflowFileBytes, fix });
      }
    }
  }
  if (engine === 'codepipeline' && options.iamRoleQuota !== undefined) {
    const shapes = topology.shards.map(shard => codePipelineShape(shard, options, options.onCallResources));
    const platform = topology.platformPipeline ? 1 : 0;
    // The platform and governance pipelines besides the service pipelines (the governance one is in the management account).
    const pipelines = shapes.length + platform;
    if (pipelines > TOOLING_ACCOUNT_QUOTAS.pipelines) {
      violations.push({
        pipeline: 'the tooling account',
        what: 'CodePipeline pipelines in the home region',
        count: pipelines,
        limit: TOOLING_ACCOUNT_QUOTAS.pipelines,
        fix: 'switch pipeline.topology to \'per-owner\' (one pipeline per team), or raise the CodePipeline quota "Maximum number of pipelines per Region"',
      });
    }
    const projects = shapes.reduce((n, s) => n + s.codeBuildProjects, 0) + 3 * platform;
    if (projects > TOOLING_ACCOUNT_QUOTAS.codeBuildProjects) {
      violations.push({
        pipeline: 'the tooling account',
        what: 'CodeBuild projects in the home region',
        count: projects,
        limit: TOOLING_ACCOUNT_QUOTAS.codeBuildProjects,
        fix: 'switch pipeline.topology to \'per-owner\' (one pipeline per team), or raise the CodeBuild quota "Build projects per Region"',
      });
    }
    const roles = shapes.reduce((n, s) => n + s.roles, 0) + (topology.platformPipeline ? PLATFORM_PIPELINE_ROLES : 0);
    if (roles > options.iamRoleQuota - TOOLING_ROLES_RESERVE) {
      violations.push({
        pipeline: 'the tooling account',
        what: `IAM roles of its ${topology.shards.length} service pipelines${topology.platformPipeline ? ' and platform pipeline' : ''} `
          + `(${TOOLING_ROLES_RESERVE} more are kept for the account's other roles)`,
        count: roles,
        limit: options.iamRoleQuota - TOOLING_ROLES_RESERVE,
        fix: `raise the tooling account's IAM quota "Roles per account" (Service Quotas; up to 5000) to at least ${roles + TOOLING_ROLES_RESERVE} `
          + 'and set pipeline.iamRoleQuota in accounts/organization.ts to it'
          + (topology.kind === 'per-service' ? ', or switch pipeline.topology to \'per-owner\' (one pipeline per team)' : ''),
      });
    }
  }
  if (engine === 'github' && topology.shards.length > GITHUB_LIMITS.queuedRunsPer10Seconds) {
    violations.push({
      pipeline: 'the service workflows',
      what: 'workflows a framework change starts at once',
      count: topology.shards.length,
      limit: GITHUB_LIMITS.queuedRunsPer10Seconds,
      fix: 'switch pipeline.topology to \'per-owner\' (one workflow per team), or ask GitHub Support to raise the queue limit',
    });
  }
  return violations;
}

/**
 * The same limits, counted on a built pipeline stack before it is
 * synthesized: its CloudFormation resources (the stack's own, not its
 * stages') and the actions of each CodePipeline stage and the stage count.
 */
export function builtPipelineViolations(stack: cdk.Stack, pipeline: codepipeline.Pipeline, topology: PipelineTopology): LimitViolation[] {
  const fix = splitFix(topology);
  const resources = stack.node.findAll().filter(c => c instanceof cdk.CfnResource && cdk.Stack.of(c) === stack).length;
  const violations: LimitViolation[] = [];
  if (resources > CLOUDFORMATION_LIMITS.resourcesPerStack) {
    violations.push({ pipeline: stack.stackName, what: 'CloudFormation resources in its stack', count: resources, limit: CLOUDFORMATION_LIMITS.resourcesPerStack, fix });
  }
  if (pipeline.stageCount > CODEPIPELINE_LIMITS.stagesPerPipeline) {
    violations.push({ pipeline: stack.stackName, what: 'CodePipeline stages', count: pipeline.stageCount, limit: CODEPIPELINE_LIMITS.stagesPerPipeline, fix });
  }
  for (const stage of pipeline.stages) {
    if (stage.actions.length > CODEPIPELINE_LIMITS.actionsPerStage) {
      violations.push({ pipeline: `${stack.stackName} stage ${stage.stageName}`, what: 'actions', count: stage.actions.length, limit: CODEPIPELINE_LIMITS.actionsPerStage, fix });
    }
  }
  return violations;
}

/** The limits of a rendered workflow, checked before it is written. */
export function workflowViolations(file: string, yaml: string, topology: PipelineTopology): LimitViolation[] {
  const bytes = Buffer.byteLength(yaml, 'utf8');
  return bytes > GITHUB_LIMITS.workflowFileBytes
    ? [{ pipeline: file, what: 'bytes of workflow file', count: bytes, limit: GITHUB_LIMITS.workflowFileBytes, fix: splitFix(topology) }]
    : [];
}
