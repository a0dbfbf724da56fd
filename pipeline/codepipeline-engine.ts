import * as cdk from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { Construct } from 'constructs';
import { cdkBootstrapRoleName, Organization, PIPELINE_OBSERVER_ROLE_NAME, PLATFORM_PIPELINE_STACK_NAME, SERVICE_PIPELINE_STACK_NAME } from '../accounts';
import { SCAN_REPORTS_DIR, SCANS_AFTER_SYNTH, SCANS_BEFORE_TESTS } from './build-checks';
import { REVIEW_FILES } from './change-set-summary';
import { EngineProps } from './engine';
import { CODEPIPELINE_LIMITS, STEPS_PER_ROLE } from './pipeline-limits';
import { prefetchPolicyValidation } from './policy-validation';
import { END_TO_END_SUITE, findApisScript } from './post-deploy';
import { NODE_VERSION } from './runtime-versions';
import { DeliveryTopology, PipelineShard, shardStackName, TOPOLOGY_CONTEXT_KEY } from './topology';
import { platformTriggerPaths, RepositoryLayout, serviceTriggerPaths } from './trigger-paths';
import {
  acknowledgeFindings,
  acknowledgeGeneratedWildcards,
  acknowledgeInlinePolicies,
  acknowledgeWildcardResource,
  allowCloudWatchLogs,
  denyGrantsNotForAwsResources,
  OnCallSubscriptions,
  policiesUnder,
} from '../kit';
import { EDGE_DEPENDENCY, EDGE_SERVICE_NAME } from '../services';

/**
 * CDK context key that narrows a synth: `governance` (the governance
 * pipeline's build) or `pipeline:<shard>` (a service pipeline's build: its
 * services' stacks and its own pipeline stack only). @default 'all'
 */
export const SCOPE_CONTEXT_KEY = 'platform:scope';

/** Where the build writes JUnit results (jest-junit). */
const TEST_REPORTS = 'test-reports';

/**
 * The CodeBuild image of every project: Ubuntu 24.04 standard:8.0 (AWS CLI v2), whose only Node.js runtimes are the LTS lines in
 * support (22, 24), so even a project that names no runtime version (CDK Pipelines' self-mutation and assets) runs one.
 */
const BUILD_IMAGE = codebuild.LinuxBuildImage.STANDARD_8_0;

const INSTALL = 'npm ci --prefer-offline --no-audit';

/** Heap of a build that synthesizes every service (platform pipeline, platform workflow): measured peak about 3 GB at 300 services. */
export const WHOLE_PLATFORM_HEAP_MIB = 12288;

/** Options of {@link cdkPipeline}. */
interface CdkPipelineOptions {
  readonly organization: Organization;
  readonly pipelineName: string;
  readonly connectionArn: string;
  /** The build's commands after `npm ci`: tests, then the synth (the app decides from context what it builds). */
  readonly buildCommands: readonly string[];
  /** Whether the build writes JUnit reports into test-reports/ (CodeBuild test reports). */
  readonly testReports: boolean;
  /**
   * Whether the build synthesizes the whole app of a sharded topology: a
   * LARGE build (15 GB) with a 12 GB heap, since the full synth of 300
   * services peaks near 3 GB, above Node's default heap on a MEDIUM (7 GB) one.
   * @default false
   */
  readonly wholePlatform?: boolean;
}

/**
 * A self-mutating CDK pipeline (CodePipeline V2) building the repository:
 * GitHub source through CodeConnections on push (optionally filtered by
 * path), one CodeBuild build with npm caching, KMS keys with rotation for
 * cross-account artifacts, change sets, and every file asset published by
 * one CodeBuild project (CDK Pipelines' default makes one project per asset,
 * which for Lambda-heavy apps multiplies projects, roles and CodeBuild queue
 * slots: aws-cdk #23016).
 */
function cdkPipeline(scope: Construct, options: CdkPipelineOptions): pipelines.CodePipeline {
  const { owner, name, branch } = options.organization.pipeline.repository;
  const source = pipelines.CodePipelineSource.connection(`${owner}/${name}`, branch, {
    connectionArn: options.connectionArn,
    triggerOnPush: true,
  });
  const synth = new pipelines.CodeBuildStep('Synth', {
    input: source,
    installCommands: [INSTALL],
    commands: [...options.buildCommands],
    primaryOutputDirectory: 'cdk.out',
    buildEnvironment: {
      buildImage: BUILD_IMAGE,
      computeType: options.wholePlatform ? codebuild.ComputeType.LARGE : codebuild.ComputeType.MEDIUM,
    },
    env: options.wholePlatform ? { NODE_OPTIONS: `--max-old-space-size=${WHOLE_PLATFORM_HEAP_MIB}` } : undefined,
    // Best effort: the npm cache survives between builds on the same host.
    cache: codebuild.Cache.local(codebuild.LocalCacheMode.CUSTOM),
    partialBuildSpec: codebuild.BuildSpec.fromObject({
      phases: { install: { 'runtime-versions': { nodejs: NODE_VERSION } } },
      cache: { paths: ['/root/.npm/**/*'] },
      reports: options.testReports ? {
        UnitTests: { 'files': ['**/*.xml'], 'base-directory': TEST_REPORTS, 'file-format': 'JUNITXML' },
        // The scanners' findings (pipeline/build-checks.ts), one test case per check: checkov.xml and gitleaks.xml.
        SecurityScans: { 'files': ['*.xml'], 'base-directory': SCAN_REPORTS_DIR, 'file-format': 'JUNITXML' },
      } : undefined,
    }),
  });
  // Every CodeBuild project of the pipeline logs here: encrypted, kept a year.
  const logsKey = new kms.Key(scope, 'BuildLogsKey', { description: `Encrypts the build logs of ${options.pipelineName}`, enableKeyRotation: true });
  const stack = cdk.Stack.of(scope);
  logsKey.addToResourcePolicy(allowCloudWatchLogs(stack));
  logsKey.addToResourcePolicy(denyGrantsNotForAwsResources());
  const buildLogs = new logs.LogGroup(scope, 'BuildLogs', { retention: logs.RetentionDays.ONE_YEAR, encryptionKey: logsKey });
  return new pipelines.CodePipeline(scope, 'Pipeline', {
    pipelineName: options.pipelineName,
    pipelineType: codepipeline.PipelineType.V2,
    synth,
    selfMutation: true,
    crossAccountKeys: true,
    enableKeyRotation: true,
    publishAssetsInParallel: false,
    // Actions act as the pipeline's role instead of a role each (source, approvals, CodeBuild
    // actions): three roles and policies fewer per pipeline, which counts against the tooling
    // account's IAM roles quota when there is a pipeline per service.
    usePipelineRoleForActions: true,
    // Each pipeline owns its cross-region support stacks (<stack>-support-<region>). CDK's default
    // shares them between the pipelines of an app, which would make the platform's full synth and a
    // service pipeline's own scoped synth disagree on which stack holds its replication bucket.
    reuseCrossRegionSupportStacks: false,
    useChangeSets: true,
    codeBuildDefaults: {
      buildEnvironment: { buildImage: BUILD_IMAGE },
      logging: { cloudWatch: { logGroup: buildLogs } },
    },
  });
}

/**
 * Limits the pipeline's push trigger to `paths` on the pipeline's branch:
 * at most 8 globs per push filter and 3 filters per trigger (CodePipeline V2;
 * the limit check refuses more before this runs).
 */
function filterTrigger(pipeline: pipelines.CodePipeline, branch: string, paths: readonly string[]): void {
  const sourceAction = pipeline.pipeline.stages[0].actions[0];
  const chunks: string[][] = [];
  const size = CODEPIPELINE_LIMITS.triggerPathsPerFilter;
  for (let i = 0; i < paths.length; i += size) chunks.push(paths.slice(i, i + size));
  pipeline.pipeline.addTrigger({
    providerType: codepipeline.ProviderType.CODE_STAR_SOURCE_CONNECTION,
    gitConfiguration: {
      sourceAction,
      pushFilter: chunks.map(chunk => ({ branchesIncludes: [branch], filePathsIncludes: chunk })),
    },
  });
}

/** Acknowledges, with reasons, the findings on what CDK Pipelines generates (we cannot shape those resources). */
function acknowledgePipelineFindings(stack: cdk.Stack, pipeline: pipelines.CodePipeline): void {
  // CT.KMS.PR.3 on the keys CodePipeline generates for its artifact and replication buckets.
  const buckets = [pipeline.pipeline.artifactBucket, ...Object.values(pipeline.pipeline.crossRegionSupport).map(s => s.replicationBucket)];
  for (const bucket of buckets) bucket.encryptionKey?.addToResourcePolicy(denyGrantsNotForAwsResources());
  const artifactReason = 'Artifact bucket generated by CodePipeline: artifacts are written once per execution and rebuilt from git, so versioning, '
    + 'object lock and event consumers add nothing, and CodePipeline and CloudTrail record who wrote what; expiring old artifacts would need '
    + 'a bucket of our own (CodePipeline artifactBucket)';
  const guardRules = ['s3_bucket_versioning_enabled_check', 's3_bucket_logging_enabled_check', 's3_event_notifications_enabled_check',
    's3_lifecycle_policy_check', 's3_bucket_object_lock_enabled_check'];
  // Checkov: access logging (CKV_AWS_18) and versioning (CKV_AWS_21), for the same reasons.
  for (const bucket of buckets) acknowledgeFindings(bucket, [...guardRules.map(rule => `cdk-validator-cfnguard::${rule}`), 'CKV_AWS_18', 'CKV_AWS_21'], artifactReason);
  // Checkov CKV_AWS_111 on the generated policies that write to '*': builds of any project, the replication keys of other regions.
  for (const { node, statements } of policiesUnder(pipeline)) {
    const writesAnywhere = statements.some(st => st.Effect === 'Allow' && [st.Resource].flat().includes('*')
      && [st.Action ?? []].flat().some(action => ['codebuild:StartBuild', 'kms:Encrypt'].includes(action)));
    if (writesAnywhere) {
      acknowledgeFindings(node, ['CKV_AWS_111'], 'Generated by CDK Pipelines: the asset roles may start, stop and read builds of any CodeBuild '
        + 'project (the tooling account holds only this pipeline\'s projects), and the pipeline role may encrypt and decrypt with the '
        + 'replication buckets\' keys in the other regions, which it names * as their ARNs live in other stacks');
    }
  }
  acknowledgeGeneratedWildcards(pipeline,
    'Generated by CDK Pipelines: artifact bucket objects (bucket/*), its own CodeBuild log streams and report groups, '
    + 'and the CDK bootstrap roles (cdk-hnb659fds-*) of the target accounts; no wildcard reaches beyond those');
  acknowledgeInlinePolicies(stack);
  const acknowledge = (id: string, reason: string) => cdk.Validations.of(pipeline).acknowledge({ id, reason });
  acknowledge('PCI.DSS.321-CodeBuildProjectSourceRepoUrl',
    'The CodeBuild projects take their source from CodePipeline artifacts (fetched through CodeConnections): no repository URL or credential is configured on them');
  const bucketReason = 'Pipeline artifact bucket: KMS-encrypted, TLS-only, private, holding only artifacts rebuildable from git; '
    + 'CodePipeline and CloudTrail record who wrote what';
  // CodePipeline adds a support stack per other region, holding a replication bucket of the same kind.
  const supportStacks = Object.values(pipeline.pipeline.crossRegionSupport).map(s => s.stack);
  for (const id of ['AwsSolutions-S1', 'PCI.DSS.321-S3BucketLoggingEnabled', 'PCI.DSS.321-S3BucketVersioningEnabled', 'PCI.DSS.321-S3BucketReplicationEnabled']) {
    acknowledge(id, bucketReason);
    for (const support of supportStacks) cdk.Validations.of(support).acknowledge({ id, reason: bucketReason });
  }
}

/** A KMS-encrypted topic for pipeline failures, subscribed by the platform's on-call (`onCall`). */
function failureTopic(scope: Construct, organization: Organization, pipeline: codepipeline.IPipeline): sns.Topic {
  const key = new kms.Key(scope, 'NotificationsKey', {
    description: 'Encrypts pipeline failure notifications',
    enableKeyRotation: true,
  });
  key.addToResourcePolicy(denyGrantsNotForAwsResources());
  // CodeStar Notifications publishes to the topic, so it needs the key.
  key.grantEncryptDecrypt(new iam.ServicePrincipal('codestar-notifications.amazonaws.com'));
  const topic = new sns.Topic(scope, 'Failures', { masterKey: key, enforceSSL: true, displayName: 'Pipeline failures' });
  const stack = cdk.Stack.of(scope);
  new OnCallSubscriptions(scope, 'OnCall', {
    topic,
    key,
    endpoints: organization.onCall,
    chatNamePrefix: `${organization.name}-${stack.stackName}-failures`,
    emailLossReason: 'Email endpoint: SNS does not retry a bounced email, so a dead-letter queue would stay empty; '
      + 'the pipeline console keeps the failure',
  });
  pipeline.notifyOn('NotifyOnFailure', topic, {
    events: [
      codepipeline.PipelineNotificationEvents.PIPELINE_EXECUTION_FAILED,
      codepipeline.PipelineNotificationEvents.ACTION_EXECUTION_FAILED,
      codepipeline.PipelineNotificationEvents.MANUAL_APPROVAL_NEEDED,
    ],
  });
  return topic;
}

/** Properties of a {@link ServicePipelineStack}. */
export interface ServicePipelineStackProps extends EngineProps, cdk.StackProps {
  /** The share of the plan this pipeline deploys (the whole plan in the `single` topology). */
  readonly shard: PipelineShard;
}

/**
 * A service delivery pipeline, in the tooling account: after the build,
 * each environment in promotion order, each wave in order, the services of
 * a wave in parallel (one Stage each, own stacks, own rollback); a manual
 * approval before environments that ask for it; integration tests against
 * each service's API in the first environment; the end-to-end suite and a
 * load test after the last wave of every later pre-production environment
 * where it deploys one of the suite's services; a bake-time alarm check
 * after each production wave.
 *
 * In the `single` topology one such pipeline deploys every service and its
 * build runs every test and synthesizes the whole app. In a sharded topology
 * there is one per shard (service or owner): it starts only on pushes that
 * touch its services' folders or the framework, its build tests and
 * synthesizes only its shard (`-c platform:scope=pipeline:<id>`), and before
 * a service deploys to an environment it checks that the dependencies other
 * pipelines deploy are live there.
 *
 * Governance is not here: the management account must not trust this
 * pipeline, whose build runs code every service team can change. See
 * {@link GovernancePipelineStack}.
 */
export class ServicePipelineStack extends cdk.Stack {
  /** The CDK pipeline. */
  public readonly pipeline: pipelines.CodePipeline;
  private readonly organizationName: string;
  /** The roles of the post-deploy steps, by kind: created on first use, each shared by up to STEPS_PER_ROLE steps. */
  private readonly stepRoles = { tests: [] as iam.Role[], checks: [] as iam.Role[] };
  private readonly stepCount = { tests: 0, checks: 0 };

  constructor(scope: Construct, id: string, props: ServicePipelineStackProps) {
    const org = props.organization;
    const { shard, topology } = props;
    const sharded = topology.kind !== 'single';
    super(scope, id, {
      // (CloudFormation allows 1,024 characters: a team's pipeline is described by its count of services.)
      description: topology.kind === 'per-service' ? `Delivery pipeline of ${org.name}'s ${shard.id} service`
        : sharded ? `Delivery pipeline of ${org.name}'s team ${shard.id} (${shard.services.length} services)`
          : `Delivery pipeline of ${org.name}'s services`,
      ...props,
      stackName: shard.stackName,
      env: { account: org.pipeline.toolingAccount.id, region: org.homeRegion },
    });
    this.organizationName = org.name;
    this.pipeline = cdkPipeline(this, {
      organization: org,
      pipelineName: shard.pipelineName,
      connectionArn: org.pipeline.connectionArn,
      buildCommands: buildCommands(props),
      testReports: true,
    });

    const suiteServices: readonly string[] = END_TO_END_SUITE.services;
    shard.plan.environments.forEach((env, envIndex) => {
      const stagesOfEnv: Array<{ service: string; apiUrl?: cdk.CfnOutput }> = [];
      const approval = () => [new pipelines.ManualApprovalStep(`Approve-${env.name}`, {
        comment: `Promote to ${env.name}? Review the change sets of the previous environment and its test results.`,
      })];
      // The edge first (after the approval): the services' public routes attach to it.
      if (env.edge) this.pipeline.addWave(`${env.name}-edge`, { pre: env.approvalBefore ? approval() : [] }).addStage(props.edgeStage(this, env.name));
      env.waves.forEach((wave, waveIndex) => {
        const pre: pipelines.Step[] = waveIndex === 0 && env.approvalBefore && !env.edge ? approval() : [];
        const stageWave = this.pipeline.addWave(`${env.name}-${wave.name}`, { pre });
        const stagesOfWave: string[] = [];
        for (const service of wave.services) {
          const stage = props.serviceStage(this, env.name, service.name);
          const apiUrl = stage.apiUrls[env.regions[0]];
          stagesOfEnv.push({ service: service.name, apiUrl });
          stagesOfWave.push(...stage.stacks.map(s => s.stackName));
          const external = shard.externalDependencies[service.name];
          const check = external
            ? [this.dependencyCheck(service.name, env.name, env.accountId, env.regions, props.dependencyParameters(service.name, env.name),
              external.map(dep => `${dep}=${dep === EDGE_DEPENDENCY ? PLATFORM_PIPELINE_STACK_NAME : shardStackName(topology.kind, props.shardOf(dep))}`))]
            : [];
          const post = envIndex === 0 && apiUrl ? [this.integrationTests(service.name, env.name, env.accountId, env.regions[0], apiUrl)] : [];
          stageWave.addStage(stage, { pre: check, post });
          // The stage is synthesized now: its Control Tower checks run while the rest is built.
          prefetchPolicyValidation(stage);
        }
        if (env.production && org.pipeline.bakeTimeMinutes > 0) {
          stageWave.addPost(this.bakeCheck(env.name, env.accountId, env.regions, stagesOfWave, org.pipeline.bakeTimeMinutes));
        }
      });
      // End-to-end and load tests: every environment between the first and production.
      if (envIndex > 0 && !env.production && env.waves.length > 0 && stagesOfEnv.some(s => suiteServices.includes(s.service))) {
        const last = this.pipeline.waves[this.pipeline.waves.length - 1];
        last.addPost(this.endToEndTests(env.name, env.accountId, env.regions[0]));
      }
    });

    this.pipeline.buildPipeline();
    if (sharded) filterTrigger(this.pipeline, org.pipeline.repository.branch, serviceTriggerPaths(props.layout, shard.services));
    failureTopic(this, org, this.pipeline.pipeline);
    acknowledgePipelineFindings(this, this.pipeline);
  }

  /**
   * The role every step of `kind` runs as: `tests` (integration, end-to-end
   * and load tests: calls the pre-production APIs, reads through observer
   * roles) or `checks` (dependency and bake checks: reads through observer
   * roles). One role per kind instead of one per step keeps a pipeline's
   * roles bounded by the steps of a pipeline rather than the services of the
   * platform: the tooling account's IAM roles quota holds every pipeline's
   * roles. A role serves at most {@link STEPS_PER_ROLE} steps, because each
   * step's project adds its log and report grants to the role's policy, which
   * IAM limits to 10,240 characters. Under the pipeline, so CloudFormation
   * names it after this stack, as the observer roles' trust requires.
   */
  private stepRole(kind: 'tests' | 'checks', statement: iam.PolicyStatement): iam.Role {
    const group = Math.floor(this.stepCount[kind]++ / STEPS_PER_ROLE);
    let role = this.stepRoles[kind][group];
    if (!role) {
      // Construct ids: renaming one replaces the role (and its steps' projects follow).
      const id = `${kind === 'tests' ? 'PostDeployTestsRole' : 'ChecksRole'}${group === 0 ? '' : group + 1}`;
      role = new iam.Role(this.pipeline, id, {
        assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com'),
        description: kind === 'tests'
          ? `Post-deploy tests of ${this.stackName}: calls pre-production APIs, reads through observer roles`
          : `Dependency and bake checks of ${this.stackName}: reads through observer roles`,
      });
      this.stepRoles[kind][group] = role;
    }
    role.addToPrincipalPolicy(statement);
    return role;
  }

  private testStep(id: string, envAccount: string, region: string, stage: string, commands: string[],
    envFromCfnOutputs: Record<string, cdk.CfnOutput>, env: Record<string, string>,
    extraStatements: iam.PolicyStatement[] = []): pipelines.CodeBuildStep {
    // The APIs take IAM-signed calls from principals of the organization:
    // the tests may call this pipeline's pre-production stages, nothing else.
    const role = this.stepRole('tests', new iam.PolicyStatement({
      actions: ['execute-api:Invoke'],
      resources: [`arn:${cdk.Aws.PARTITION}:execute-api:${region}:${envAccount}:*/${stage}/*`],
    }));
    for (const statement of extraStatements) role.addToPrincipalPolicy(statement);
    return new pipelines.CodeBuildStep(id, {
      installCommands: [INSTALL],
      commands,
      envFromCfnOutputs,
      env,
      cache: codebuild.Cache.local(codebuild.LocalCacheMode.CUSTOM),
      partialBuildSpec: codebuild.BuildSpec.fromObject({
        phases: { install: { 'runtime-versions': { nodejs: NODE_VERSION } } },
        cache: { paths: ['/root/.npm/**/*'] },
      }),
      role,
    });
  }

  private integrationTests(service: string, stage: string, account: string, region: string, apiUrl: cdk.CfnOutput): pipelines.Step {
    return this.testStep(`IntegrationTests-${service}`, account, region, stage,
      ['npx tsx test/integration/smoke.ts'], { API_URL: apiUrl }, { SERVICE: service });
  }

  /**
   * The journey suite and the short load test, against the APIs the
   * services publish in SSM (read through the environment account's
   * observer role), wherever those services were deployed from.
   */
  private endToEndTests(stage: string, account: string, region: string): pipelines.Step {
    const org = this.organizationName;
    const observerRole = observerRoleArn(account);
    return this.testStep(`EndToEndTests-${stage}`, account, region, stage,
      // One command: the suites see the URLs without relying on variables surviving between commands.
      [[findApisScript(org, stage, region, observerRole, END_TO_END_SUITE.services).command, ...END_TO_END_SUITE.commands].join(' && ')],
      {}, { ...END_TO_END_SUITE.env },
      [new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [observerRole] })]);
  }

  /**
   * Before `service` deploys to `stage`, checks that what it resolves from
   * the dependencies other pipelines deploy is live there (pipeline/dependency-check.sh),
   * through the environment account's observer role; fails with the
   * dependency and environment named instead of a CloudFormation error about
   * an SSM parameter.
   */
  private dependencyCheck(service: string, stage: string, account: string, regions: readonly string[],
    parameters: Readonly<Record<string, readonly string[]>>, pipelinesOfDependencies: readonly string[]): pipelines.Step {
    const observerRole = observerRoleArn(account);
    return new pipelines.CodeBuildStep(`DependencyCheck-${service}-${stage}`, {
      commands: ['bash pipeline/dependency-check.sh'],
      env: {
        SERVICE: service,
        TARGET_ENVIRONMENT: stage,
        TARGET_ACCOUNT: account,
        TARGET_REGIONS: regions.join(' '),
        OBSERVER_ROLE_NAME: PIPELINE_OBSERVER_ROLE_NAME,
        REQUIRED_PARAMETERS: requiredParameters(parameters),
        DEPENDENCY_PIPELINES: pipelinesOfDependencies.join(' '),
      },
      role: this.stepRole('checks', new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [observerRole] })),
    });
  }

  /**
   * Waits `minutes` and fails if any alarm of the wave's stacks goes off
   * meanwhile: the next wave only starts on a quiet production. Reads the
   * alarms through the target account's pipeline observer role (read-only,
   * rolled out by the governance StackSets, trusted by this pipeline's roles).
   */
  private bakeCheck(stage: string, account: string, regions: readonly string[], stackNames: readonly string[], minutes: number): pipelines.Step {
    return new pipelines.CodeBuildStep(`BakeTime-${stage}-${stackNames.length ? stackNames[0] : 'wave'}`, {
      commands: ['bash pipeline/bake-check.sh'],
      env: {
        BAKE_MINUTES: String(minutes),
        TARGET_ACCOUNT: account,
        OBSERVER_ROLE_NAME: PIPELINE_OBSERVER_ROLE_NAME,
        TARGET_REGIONS: regions.join(' '),
        // CloudFormation names alarms <stack name>-<logical id>-<suffix>.
        ALARM_PREFIXES: stackNames.map(s => `${s}-`).join(' '),
      },
      timeout: cdk.Duration.minutes(minutes + 15),
      role: this.stepRole('checks', new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [observerRoleArn(account)] })),
    });
  }
}

/** The observer role of an environment's account (governance StackSets), as an ARN in the pipeline's partition. */
function observerRoleArn(account: string): string {
  return `arn:${cdk.Aws.PARTITION}:iam::${account}:role/${PIPELINE_OBSERVER_ROLE_NAME}`;
}

/** `REQUIRED_PARAMETERS` of pipeline/dependency-check.sh: `<dependency>=<parameter>` pairs. */
export function requiredParameters(parameters: Readonly<Record<string, readonly string[]>>): string {
  return Object.entries(parameters).flatMap(([dep, names]) => names.map(n => `${dep}=${n}`)).join(' ');
}

/**
 * The build of a service pipeline. `single`: the dependency audit, every
 * test and the whole app's synth. Sharded: the audit, the type check, tests
 * and lint of its own services (`npx projen test:services`), and the synth
 * of its scope only, so its time does not grow with the number of services.
 */
function buildCommands(props: ServicePipelineStackProps): string[] {
  // The dependency audit and the secret scan first; checkov over what the synth wrote last (pipeline/build-checks.ts).
  if (props.topology.kind === 'single') return [...SCANS_BEFORE_TESTS, 'npx projen test', 'npx cdk synth', ...SCANS_AFTER_SYNTH];
  return [
    ...SCANS_BEFORE_TESTS,
    `npx projen test:services -- ${props.shard.services.join(' ')}`,
    // Synth runs cdk-nag and cfn-guard over the scope: a finding fails the build.
    `npx cdk synth -c ${TOPOLOGY_CONTEXT_KEY}=${props.topology.kind} -c ${SCOPE_CONTEXT_KEY}=${scopeOfShard(props.shard.id)}`,
    ...SCANS_AFTER_SYNTH,
  ];
}

/** The `platform:scope` value of a service pipeline's build. */
export function scopeOfShard(shardId: string): string {
  return `pipeline:${shardId}`;
}


/** Properties of a {@link PlatformPipelineStack}. */
export interface PlatformPipelineStackProps extends cdk.StackProps {
  readonly organization: Organization;
  /** The sharded topology whose service pipelines it creates. */
  readonly topology: DeliveryTopology;
  /** The repository's folders, from which its trigger paths are derived. */
  readonly layout: RepositoryLayout;
  /** Builds the stage of an environment's public edge; the platform pipeline deploys the edges of `topology.platformEdges`. */
  readonly edgeStage: EngineProps['edgeStage'];
}

/**
 * The platform pipeline of a sharded topology, in the tooling account: on a
 * change to the framework, the governance code, any test or any service
 * manifest, it runs every unit test, synthesizes the whole app (every
 * service pipeline, under the same policy validation), updates itself, and
 * creates the service pipelines that do not exist yet
 * (pipeline/reconcile-pipelines.ts): a new service folder gets its pipeline
 * on merge, which then starts and deploys the service. It never updates an
 * existing service pipeline, which updates itself (self-mutation), so no two
 * pipelines ever update the same stack; pipelines whose service folder was
 * removed are reported, never deleted.
 *
 * Deployed once by hand (`npx cdk deploy PlatformPipeline`), like the
 * `single` topology's service pipeline.
 */
export class PlatformPipelineStack extends cdk.Stack {
  /** The CDK pipeline. */
  public readonly pipeline: pipelines.CodePipeline;

  constructor(scope: Construct, id: string, props: PlatformPipelineStackProps) {
    const org = props.organization;
    super(scope, id, {
      description: `Platform pipeline of ${org.name}: creates the ${props.topology.kind} service pipelines`,
      ...props,
      stackName: PLATFORM_PIPELINE_STACK_NAME,
      env: { account: org.pipeline.toolingAccount.id, region: org.homeRegion },
    });
    this.pipeline = cdkPipeline(this, {
      organization: org,
      pipelineName: `${org.name}-platform`,
      connectionArn: org.pipeline.connectionArn,
      buildCommands: [
        ...SCANS_BEFORE_TESTS,
        'npx projen test',
        `npx cdk synth -c ${TOPOLOGY_CONTEXT_KEY}=${props.topology.kind}`,
        ...SCANS_AFTER_SYNTH,
      ],
      testReports: true,
      wholePlatform: true,
    });
    const tooling = org.pipeline.toolingAccount.id;
    // cdk deploy of a pipeline stack (and its cross-region support stacks) goes through the
    // tooling account's CDK bootstrap roles in the regions the pipelines deploy to.
    const regions = [...new Set([org.homeRegion, ...org.environments.flatMap(e => e.regions)])];
    const bootstrapRoles = regions.flatMap(region => (['deploy', 'file-publishing', 'lookup'] as const)
      .map(kind => `arn:${cdk.Aws.PARTITION}:iam::${tooling}:role/${cdkBootstrapRoleName(kind, tooling, region)}`));
    const stacks = this.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: `${SERVICE_PIPELINE_STACK_NAME}-*` });
    const create = new pipelines.CodeBuildStep('CreateServicePipelines', {
      input: (this.pipeline.synth as pipelines.CodeBuildStep).inputs[0].fileSet,
      additionalInputs: { 'cdk.out': this.pipeline.synth },
      installCommands: [INSTALL],
      commands: [`npx tsx pipeline/reconcile-pipelines.ts --assembly cdk.out --prefix ${SERVICE_PIPELINE_STACK_NAME}- --region ${org.homeRegion}`],
      rolePolicyStatements: [
        new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: bootstrapRoles }),
        // ListStacks has no resource-level permissions.
        new iam.PolicyStatement({ actions: ['cloudformation:ListStacks'], resources: ['*'] }),
        new iam.PolicyStatement({ actions: ['cloudformation:DescribeStacks'], resources: [stacks] }),
      ],
    });
    this.pipeline.addWave('ServicePipelines', { post: [create] });
    // Then each environment's public edge, in promotion order (production after its approval). The service
    // pipelines do not wait for it: each checks, before deploying a service with public routes, that the edge is live.
    for (const env of props.topology.platformEdges) {
      const pre = env.approvalBefore ? [new pipelines.ManualApprovalStep(`Approve-edge-${env.name}`, {
        comment: `Deploy the ${env.name} edge? Review the change sets of the previous environment's edge.`,
      })] : [];
      this.pipeline.addWave(`${env.name}-edge`, { pre }).addStage(props.edgeStage(this, env.name));
    }
    this.pipeline.buildPipeline();
    filterTrigger(this.pipeline, org.pipeline.repository.branch, platformTriggerPaths(props.layout));
    acknowledgeWildcardResource(this.pipeline, '*', 'cloudformation:ListStacks has no resource-level permissions');
    acknowledgeWildcardResource(this.pipeline, stacks, 'The service pipeline stacks the platform pipeline creates, by name prefix; their ids are unknown until created');
    failureTopic(this, org, this.pipeline.pipeline);
    acknowledgePipelineFindings(this, this.pipeline);
  }
}

/** Properties of a {@link GovernancePipelineStack}. */
export interface GovernancePipelineStackProps extends cdk.StackProps {
  readonly organization: Organization;
  readonly governanceStage: EngineProps['governanceStage'];
}

/** Where the governance review writes its summary, headline and review URL (pipeline/governance-review.ts `--out-dir`). */
const GOVERNANCE_REVIEW_DIR = '.build/governance-review';

/**
 * The governance pipeline, in the management account: it builds only the
 * governance part of the app (`-c platform:scope=governance`, so no service
 * team's code runs with management-account credentials), then one review
 * of every stack's change set, one approval, and the deployment of every
 * governance stack without further approval. Nothing outside the management
 * account is trusted by it.
 *
 * The approval is one for the whole stage, before it, not one per stack
 * between CDK Pipelines' "create change set" and "execute": a stack's
 * change set is created only once the stacks it depends on are deployed
 * (Governance-SecurityServices waits for Governance-SecurityAdministration),
 * so no single point of the stage sees every change set. The review step
 * ({@link governanceReview}) creates them itself instead, before anything
 * deploys.
 */
export class GovernancePipelineStack extends cdk.Stack {
  public readonly pipeline: pipelines.CodePipeline;

  constructor(scope: Construct, id: string, props: GovernancePipelineStackProps) {
    const org = props.organization;
    super(scope, id, {
      description: `Governance pipeline of ${org.name} (management account)`,
      ...props,
      env: { account: org.managementAccount.id, region: org.homeRegion },
    });
    this.pipeline = cdkPipeline(this, {
      organization: org,
      pipelineName: `${org.name}-governance`,
      connectionArn: org.pipeline.governanceConnectionArn,
      buildCommands: [`npx cdk synth -c ${SCOPE_CONTEXT_KEY}=governance`],
      testReports: false,
    });
    const stage = props.governanceStage(this);
    const review = governanceReview(this.pipeline, stage);
    const approval = new ApprovalWithVariables(GOVERNANCE_APPROVAL, {
      // CodePipeline fills in the review step's variables when the approval starts.
      comment: `Deploy the ${stage.stacks.length} governance stacks (the whole organization)? ${review.exportedVariable('CHANGE_SUMMARY')}. `
        + `Every stack's resources to add, modify, replace and remove: the ${GOVERNANCE_REVIEW_STEP} log (review URL).`,
      reviewUrl: review.exportedVariable('REVIEW_URL'),
    });
    // Before the stage: every stack's change set (prepare) and execution (deploy) wait for the one approval.
    this.pipeline.addStage(stage, { pre: [review, approval] });
    prefetchPolicyValidation(stage);
    this.pipeline.buildPipeline();
    failureTopic(this, org, this.pipeline.pipeline);
    acknowledgePipelineFindings(this, this.pipeline);
  }
}

/**
 * A manual approval whose comment and review URL may name variables other
 * steps export (`CodeBuildStep.exportedVariable`): CodePipeline substitutes
 * them when the approval starts. CDK Pipelines' ManualApprovalStep does not
 * look for them, so their producer would get no variables namespace; this
 * one records them, which also makes it wait for their producer.
 */
class ApprovalWithVariables extends pipelines.ManualApprovalStep {
  constructor(id: string, props: pipelines.ManualApprovalStepProps) {
    super(id, props);
    this.discoverReferencedOutputs({ comment: props.comment, reviewUrl: props.reviewUrl });
  }
}

/** The name of the governance pipeline's review step. */
export const GOVERNANCE_REVIEW_STEP = 'ReviewChangeSets';
/** The name of the governance pipeline's one approval. */
export const GOVERNANCE_APPROVAL = 'Approve-governance';

/**
 * The review before the governance approval: with each stack's CDK deploy
 * role (as the deployment itself), a change set of every governance stack,
 * described and deleted (pipeline/governance-review.ts); the summary goes to
 * the build log, and a one-line headline and the log's URL to the approval
 * (exported variables CHANGE_SUMMARY and REVIEW_URL). Its role may assume
 * those deploy roles and nothing else. One CodeBuild project for the
 * governance pipeline, whatever the number of services.
 */
function governanceReview(pipeline: pipelines.CodePipeline, stage: cdk.Stage & { readonly stacks: readonly cdk.Stack[] }): pipelines.CodeBuildStep {
  const deployRoles = [...new Set(stage.stacks.map(s => `${s.account}/${s.region}`))].map(target => {
    const [account, region] = target.split('/');
    return `arn:${cdk.Aws.PARTITION}:iam::${account}:role/${cdkBootstrapRoleName('deploy', account, region)}`;
  });
  const out = GOVERNANCE_REVIEW_DIR;
  return new pipelines.CodeBuildStep(GOVERNANCE_REVIEW_STEP, {
    input: (pipeline.synth as pipelines.CodeBuildStep).inputs[0].fileSet,
    additionalInputs: { 'cdk.out': pipeline.synth },
    installCommands: [INSTALL],
    commands: [
      // One command: the variables CodeBuild exports are those of the shell that ran the review.
      `npx tsx pipeline/governance-review.ts --assembly cdk.out/${stage.artifactId} --out-dir ${out}`
        + ` && export CHANGE_SUMMARY="$(cat ${out}/${REVIEW_FILES.headline})" REVIEW_URL="$(cat ${out}/${REVIEW_FILES.reviewUrl})"`,
    ],
    partialBuildSpec: codebuild.BuildSpec.fromObject({ phases: { install: { 'runtime-versions': { nodejs: NODE_VERSION } } } }),
    rolePolicyStatements: [new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: deployRoles })],
  });
}

/** A synthesized CloudFormation template, as JSON. */
type TemplateJson = { Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }> };

interface PipelineStageJson {
  Name: string;
  Actions: Array<{ Name: string; ActionTypeId: { Category: string }; Configuration?: { StackName?: string } }>;
}

/**
 * Reads the deployment order back out of the synthesized pipelines, in the
 * form of {@link describePlan}: governance (from the governance pipeline),
 * then per pipeline stage its approval and the services it deploys, by
 * environment. Stack names are `<service>-<env>-<region>`; environment names
 * have no hyphen.
 */
export function pipelineOrder(servicePipeline: TemplateJson, governance?: { template: TemplateJson; accountId: string; region: string }): string[] {
  const stagesOf = (t: TemplateJson) => Object.values(t.Resources ?? {})
    .filter(r => r.Type === 'AWS::CodePipeline::Pipeline')
    .flatMap(r => (r.Properties?.Stages ?? []) as PipelineStageJson[]);
  const lines: string[] = [];
  if (governance && stagesOf(governance.template).some(s => s.Actions.some(a => a.Configuration?.StackName === 'Governance-Guardrails'))) {
    lines.push(`governance@${governance.accountId}/${governance.region}`);
  }
  for (const stage of stagesOf(servicePipeline)) {
    const approval = stage.Actions.find(a => a.ActionTypeId.Category === 'Approval' && a.Name.startsWith('Approve-'));
    if (approval) lines.push(`approve ${approval.Name.slice('Approve-'.length)}`);
    const byEnv = new Map<string, Set<string>>();
    for (const action of stage.Actions) {
      // eslint-disable-next-line security/detect-unsafe-regex -- "-" delimits the parts, which never match it: linear; the input is a stack name of our own pipeline
      const match = /^(.+)-([a-z][a-z0-9]*)-[a-z]{2}(-[a-z]+)+-\d$/.exec(action.Configuration?.StackName ?? '');
      if (action.ActionTypeId.Category !== 'Deploy' || !match) continue;
      byEnv.set(match[2], (byEnv.get(match[2]) ?? new Set()).add(match[1]));
    }
    for (const [env, services] of byEnv) {
      // The edge's stacks are edge-<env>-<region> (no service may be named edge).
      if (services.has(EDGE_SERVICE_NAME)) lines.push(`edge ${env}`);
      services.delete(EDGE_SERVICE_NAME);
      if (services.size > 0) lines.push(`${env}: ${[...services].sort().join(', ')}`);
    }
  }
  return lines;
}
