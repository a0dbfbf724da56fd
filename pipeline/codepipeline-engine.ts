import * as cdk from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { Construct } from 'constructs';
import { Organization, PIPELINE_OBSERVER_ROLE_NAME } from '../accounts';
import { EngineProps } from './engine';
import { acknowledgeGeneratedWildcards, acknowledgeInlinePolicies, denyGrantsNotForAwsResources } from '../kit';

/** CDK context key that narrows a synth to the governance pipeline: `-c platform:scope=governance`. */
export const SCOPE_CONTEXT_KEY = 'platform:scope';

/** Where the build writes JUnit results (jest-junit). */
const TEST_REPORTS = 'test-reports';

/** Options of {@link platformPipeline}. */
interface PlatformPipelineOptions {
  readonly organization: Organization;
  readonly pipelineName: string;
  readonly connectionArn: string;
  /** The synth command (the app decides from context what it builds). */
  readonly synthCommand: string;
  /** Run the unit tests and dependency audit in the build. */
  readonly runTests: boolean;
}

/**
 * A self-mutating CDK pipeline (CodePipeline V2) building the repository:
 * GitHub source through CodeConnections on push, one CodeBuild synth with
 * npm caching, the dependency audit, unit tests (JUnit reports), policy
 * validation (cdk-nag, cfn-guard: part of synth), KMS keys with rotation for
 * cross-account artifacts, change sets, parallel asset publishing.
 */
function platformPipeline(scope: Construct, options: PlatformPipelineOptions): pipelines.CodePipeline {
  const { owner, name, branch } = options.organization.pipeline.repository;
  const source = pipelines.CodePipelineSource.connection(`${owner}/${name}`, branch, {
    connectionArn: options.connectionArn,
    triggerOnPush: true,
  });
  const synth = new pipelines.CodeBuildStep('Synth', {
    input: source,
    installCommands: ['npm ci --prefer-offline --no-audit'],
    commands: [
      ...(options.runTests ? [
        // Known vulnerabilities at high severity in what is deployed fail the build.
        'npm audit --audit-level=high --omit=dev',
        // Type check, unit tests (JUnit into test-reports/), lint.
        'npx projen test',
      ] : []),
      // Synth runs cdk-nag and cfn-guard: a finding fails the build.
      options.synthCommand,
    ],
    primaryOutputDirectory: 'cdk.out',
    buildEnvironment: {
      buildImage: codebuild.LinuxBuildImage.STANDARD_7_0,
      computeType: codebuild.ComputeType.MEDIUM,
    },
    // Best effort: the npm cache survives between builds on the same host.
    cache: codebuild.Cache.local(codebuild.LocalCacheMode.CUSTOM),
    partialBuildSpec: codebuild.BuildSpec.fromObject({
      phases: { install: { 'runtime-versions': { nodejs: 20 } } },
      cache: { paths: ['/root/.npm/**/*'] },
      reports: options.runTests ? {
        UnitTests: { 'files': ['**/*.xml'], 'base-directory': TEST_REPORTS, 'file-format': 'JUNITXML' },
      } : undefined,
    }),
  });
  // Every CodeBuild project of the pipeline logs here: encrypted, kept a year.
  const logsKey = new kms.Key(scope, 'BuildLogsKey', { description: `Encrypts the build logs of ${options.pipelineName}`, enableKeyRotation: true });
  const stack = cdk.Stack.of(scope);
  logsKey.addToResourcePolicy(new iam.PolicyStatement({
    principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
    actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
    resources: ['*'],
    conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: cdk.ArnFormat.COLON_RESOURCE_NAME }) } },
  }));
  logsKey.addToResourcePolicy(denyGrantsNotForAwsResources());
  const buildLogs = new logs.LogGroup(scope, 'BuildLogs', { retention: logs.RetentionDays.ONE_YEAR, encryptionKey: logsKey });
  return new pipelines.CodePipeline(scope, 'Pipeline', {
    pipelineName: options.pipelineName,
    pipelineType: codepipeline.PipelineType.V2,
    synth,
    selfMutation: true,
    crossAccountKeys: true,
    enableKeyRotation: true,
    publishAssetsInParallel: true,
    useChangeSets: true,
    codeBuildDefaults: {
      buildEnvironment: { buildImage: codebuild.LinuxBuildImage.STANDARD_7_0 },
      logging: { cloudWatch: { logGroup: buildLogs } },
    },
  });
}

/** Acknowledges, with reasons, the findings on what CDK Pipelines generates (we cannot shape those resources). */
function acknowledgePipelineFindings(stack: cdk.Stack, pipeline: pipelines.CodePipeline, topic: sns.Topic): void {
  // CT.KMS.PR.3 on the keys CodePipeline generates for its artifact and replication buckets.
  const buckets = [pipeline.pipeline.artifactBucket, ...Object.values(pipeline.pipeline.crossRegionSupport).map(s => s.replicationBucket)];
  for (const bucket of buckets) bucket.encryptionKey?.addToResourcePolicy(denyGrantsNotForAwsResources());
  const artifactReason = 'Artifact bucket generated by CodePipeline: artifacts are written once per execution and rebuilt from git, so versioning, '
    + 'object lock and event consumers add nothing, and CodePipeline and CloudTrail record who wrote what; expiring old artifacts would need '
    + 'a bucket of our own (CodePipeline artifactBucket)';
  for (const rule of ['s3_bucket_versioning_enabled_check', 's3_bucket_logging_enabled_check', 's3_event_notifications_enabled_check',
    's3_lifecycle_policy_check', 's3_bucket_object_lock_enabled_check']) {
    for (const bucket of buckets) cdk.Validations.of(bucket).acknowledge({ id: `cdk-validator-cfnguard::${rule}`, reason: artifactReason });
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
  const supportStacks = cdk.Stage.of(stack)!.node.children
    .filter(c => c instanceof cdk.Stack && c.node.id.startsWith(`cross-region-stack-${stack.account}:`));
  for (const id of ['AwsSolutions-S1', 'PCI.DSS.321-S3BucketLoggingEnabled', 'PCI.DSS.321-S3BucketVersioningEnabled', 'PCI.DSS.321-S3BucketReplicationEnabled']) {
    acknowledge(id, bucketReason);
    for (const support of supportStacks) cdk.Validations.of(support).acknowledge({ id, reason: bucketReason });
  }
  cdk.Validations.of(topic).acknowledge({
    id: 'Serverless-SNSRedrivePolicy',
    reason: 'Email subscriptions for failure notices; an undelivered email loses nothing, the pipeline console keeps the failure',
  });
}

/** A KMS-encrypted topic for pipeline failures, with the declared email subscriptions. */
function failureTopic(scope: Construct, organization: Organization, pipeline: codepipeline.IPipeline): sns.Topic {
  const key = new kms.Key(scope, 'NotificationsKey', {
    description: 'Encrypts pipeline failure notifications',
    enableKeyRotation: true,
  });
  key.addToResourcePolicy(denyGrantsNotForAwsResources());
  // CodeStar Notifications publishes to the topic, so it needs the key.
  key.grantEncryptDecrypt(new iam.ServicePrincipal('codestar-notifications.amazonaws.com'));
  const topic = new sns.Topic(scope, 'Failures', { masterKey: key, enforceSSL: true, displayName: 'Pipeline failures' });
  for (const email of organization.pipeline.notificationEmails) {
    topic.addSubscription(new subscriptions.EmailSubscription(email));
  }
  pipeline.notifyOn('NotifyOnFailure', topic, {
    events: [
      codepipeline.PipelineNotificationEvents.PIPELINE_EXECUTION_FAILED,
      codepipeline.PipelineNotificationEvents.ACTION_EXECUTION_FAILED,
      codepipeline.PipelineNotificationEvents.MANUAL_APPROVAL_NEEDED,
    ],
  });
  return topic;
}

/**
 * The service delivery pipeline, in the tooling account: after the build,
 * each environment in promotion order, each wave in order, the services of
 * a wave in parallel (one Stage each, own stacks, own rollback); a manual
 * approval before environments that ask for it; integration tests against
 * each service's API in the first environment; the end-to-end suite and a
 * load test after the last wave of every later pre-production environment;
 * a bake-time alarm check after each production wave.
 *
 * Governance is not here: the management account must not trust this
 * pipeline, whose build runs code every service team can change. See
 * {@link GovernancePipelineStack}.
 */
export class ServicePipelineStack extends cdk.Stack {
  /** The CDK pipeline. */
  public readonly pipeline: pipelines.CodePipeline;

  constructor(scope: Construct, id: string, props: EngineProps & cdk.StackProps) {
    const org = props.organization;
    super(scope, id, {
      description: `Delivery pipeline of ${org.name}'s services`,
      ...props,
      env: { account: org.pipeline.toolingAccount.id, region: org.homeRegion },
    });
    this.pipeline = platformPipeline(this, {
      organization: org,
      pipelineName: `${org.name}-services`,
      connectionArn: org.pipeline.connectionArn,
      synthCommand: 'npx cdk synth',
      runTests: true,
    });

    props.plan.environments.forEach((env, envIndex) => {
      const stagesOfEnv: Array<{ service: string; apiUrl?: cdk.CfnOutput }> = [];
      env.waves.forEach((wave, waveIndex) => {
        const pre: pipelines.Step[] = waveIndex === 0 && env.approvalBefore
          ? [new pipelines.ManualApprovalStep(`Approve-${env.name}`, {
            comment: `Promote to ${env.name}? Review the change sets of the previous environment and its test results.`,
          })]
          : [];
        const stageWave = this.pipeline.addWave(`${env.name}-${wave.name}`, { pre });
        const stagesOfWave: string[] = [];
        for (const service of wave.services) {
          const stage = props.serviceStage(this, env.name, service.name);
          const apiUrl = stage.apiUrls[env.regions[0]];
          stagesOfEnv.push({ service: service.name, apiUrl });
          stagesOfWave.push(...stage.stacks.map(s => s.stackName));
          const post = envIndex === 0 && apiUrl ? [this.integrationTests(service.name, env.name, env.accountId, env.regions[0], apiUrl)] : [];
          stageWave.addStage(stage, { post });
        }
        if (env.production && org.pipeline.bakeTimeMinutes > 0) {
          stageWave.addPost(this.bakeCheck(env.name, env.accountId, env.regions, stagesOfWave, org.pipeline.bakeTimeMinutes));
        }
      });
      // End-to-end and load tests: every environment between the first and production.
      const apis = stagesOfEnv.filter(s => s.apiUrl);
      if (envIndex > 0 && !env.production && apis.length > 0 && env.waves.length > 0) {
        const last = this.pipeline.waves[this.pipeline.waves.length - 1];
        last.addPost(this.endToEndTests(env.name, env.accountId, env.regions[0], apis));
      }
    });

    this.pipeline.buildPipeline();
    acknowledgePipelineFindings(this, this.pipeline, failureTopic(this, org, this.pipeline.pipeline));
  }

  private testStep(id: string, envAccount: string, region: string, stage: string, commands: string[],
    envFromCfnOutputs: Record<string, cdk.CfnOutput>, env: Record<string, string>): pipelines.CodeBuildStep {
    return new pipelines.CodeBuildStep(id, {
      installCommands: ['npm ci --prefer-offline --no-audit'],
      commands,
      envFromCfnOutputs,
      env,
      cache: codebuild.Cache.local(codebuild.LocalCacheMode.CUSTOM),
      partialBuildSpec: codebuild.BuildSpec.fromObject({
        phases: { install: { 'runtime-versions': { nodejs: 20 } } },
        cache: { paths: ['/root/.npm/**/*'] },
      }),
      // The APIs take IAM-signed calls from principals of the organization:
      // the test role may call this environment's stages, nothing else.
      rolePolicyStatements: [new iam.PolicyStatement({
        actions: ['execute-api:Invoke'],
        resources: [`arn:${cdk.Aws.PARTITION}:execute-api:${region}:${envAccount}:*/${stage}/*`],
      })],
    });
  }

  private integrationTests(service: string, stage: string, account: string, region: string, apiUrl: cdk.CfnOutput): pipelines.Step {
    return this.testStep(`IntegrationTests-${service}`, account, region, stage,
      ['npx tsx test/integration/smoke.ts'], { API_URL: apiUrl }, { SERVICE: service });
  }

  private endToEndTests(stage: string, account: string, region: string, apis: Array<{ service: string; apiUrl?: cdk.CfnOutput }>): pipelines.Step {
    return this.testStep(`EndToEndTests-${stage}`, account, region, stage,
      ['npx tsx test/e2e/payment-flow.ts', 'npx tsx test/e2e/load.ts'],
      Object.fromEntries(apis.map(a => [`${a.service.toUpperCase().replace(/-/g, '_')}_API_URL`, a.apiUrl!])),
      // Thresholds of the short load test (see test/e2e/load.ts).
      { LOAD_REQUESTS: '300', LOAD_CONCURRENCY: '10', LOAD_MAX_P95_MS: '1000', LOAD_MAX_ERROR_RATE: '0.01' });
  }

  /**
   * Waits `minutes` and fails if any alarm of the wave's stacks goes off
   * meanwhile: the next wave only starts on a quiet production. Reads the
   * alarms through the target account's pipeline observer role (read-only,
   * rolled out by the governance StackSets, trusted by this pipeline's roles).
   */
  private bakeCheck(stage: string, account: string, regions: readonly string[], stackNames: readonly string[], minutes: number): pipelines.Step {
    const observerRole = `arn:${cdk.Aws.PARTITION}:iam::${account}:role/${PIPELINE_OBSERVER_ROLE_NAME}`;
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
      rolePolicyStatements: [new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [observerRole] })],
    });
  }
}

/** Properties of a {@link GovernancePipelineStack}. */
export interface GovernancePipelineStackProps extends cdk.StackProps {
  readonly organization: Organization;
  readonly governanceStage: EngineProps['governanceStage'];
}

/**
 * The governance pipeline, in the management account: it builds only the
 * governance part of the app (`-c platform:scope=governance`, so no service
 * team's code runs with management-account credentials), shows the change
 * sets, and waits for a platform engineer's approval before deploying.
 * Nothing outside the management account is trusted by it.
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
    this.pipeline = platformPipeline(this, {
      organization: org,
      pipelineName: `${org.name}-governance`,
      connectionArn: org.pipeline.governanceConnectionArn,
      synthCommand: `npx cdk synth -c ${SCOPE_CONTEXT_KEY}=governance`,
      runTests: false,
    });
    const stage = props.governanceStage(this);
    this.pipeline.addStage(stage, {
      // Between "create change set" and "execute": the approver sees exactly what will change.
      stackSteps: stage.stacks.map(stack => ({
        stack,
        changeSet: [new pipelines.ManualApprovalStep(`Review-${stack.node.id}`, {
          comment: `Review the change set of ${stack.stackName} (it applies to the whole organization) before it executes.`,
        })],
      })),
    });
    this.pipeline.buildPipeline();
    acknowledgePipelineFindings(this, this.pipeline, failureTopic(this, org, this.pipeline.pipeline));
  }
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
      const match = /^(.+)-([a-z][a-z0-9]*)-[a-z]{2}(-[a-z]+)+-\d$/.exec(action.Configuration?.StackName ?? '');
      if (action.ActionTypeId.Category !== 'Deploy' || !match) continue;
      byEnv.set(match[2], (byEnv.get(match[2]) ?? new Set()).add(match[1]));
    }
    for (const [env, services] of byEnv) lines.push(`${env}: ${[...services].sort().join(', ')}`);
  }
  return lines;
}
