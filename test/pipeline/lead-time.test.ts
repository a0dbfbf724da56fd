import { stringify } from 'yaml';
import {
  CloudFormationTemplateJson,
  codePipelineLeadTime,
  DEFAULT_DURATIONS,
  DEFAULT_TRAFFIC_SHIFTING_SECONDS,
  LeadTimeOptions,
  PipelineActionJson,
  PipelineStageJson,
  workflowLeadTime,
} from '../../pipeline/lead-time';

// Small literal pipelines, shaped like what CDK Pipelines and
// cdk-pipelines-github synthesize, so each test shows the rule it proves.

const D = DEFAULT_DURATIONS;
const TRAFFIC = { dev: 60, staging: 600, prod: 360 };
const options: LeadTimeOptions = { changedService: 'payments', trafficShiftingSeconds: TRAFFIC };

function build(name: string, runOrder = 1, environmentVariables?: Record<string, string>): PipelineActionJson {
  return {
    Name: name,
    RunOrder: runOrder,
    ActionTypeId: { Category: 'Build', Provider: 'CodeBuild' },
    Configuration: environmentVariables === undefined ? { ProjectName: { Ref: 'Project' } } : {
      ProjectName: { Ref: 'Project' },
      EnvironmentVariables: JSON.stringify(Object.entries(environmentVariables).map(([n, value]) => ({ name: n, type: 'PLAINTEXT', value }))),
    },
  };
}

function prepare(prefix: string, stackName: string, runOrder = 1): PipelineActionJson {
  return {
    Name: `${prefix}.Prepare`,
    RunOrder: runOrder,
    ActionTypeId: { Category: 'Deploy', Provider: 'CloudFormation' },
    Configuration: { ActionMode: 'CHANGE_SET_REPLACE', StackName: stackName },
  };
}

function execute(prefix: string, stackName: string, runOrder = 2): PipelineActionJson {
  return {
    Name: `${prefix}.Deploy`,
    RunOrder: runOrder,
    ActionTypeId: { Category: 'Deploy', Provider: 'CloudFormation' },
    Configuration: { ActionMode: 'CHANGE_SET_EXECUTE', StackName: stackName },
  };
}

function approval(name: string, runOrder = 1): PipelineActionJson {
  return { Name: name, RunOrder: runOrder, ActionTypeId: { Category: 'Approval', Provider: 'Manual' } };
}

/** The prepare and execute actions of one service's stack in `env`. */
function deployOf(service: string, env: string): PipelineActionJson[] {
  const stack = `${service}-${env}-eu-west-1`;
  return [prepare(`${service}-${env}.eu-west-1`, stack), execute(`${service}-${env}.eu-west-1`, stack)];
}

function templateOf(stages: PipelineStageJson[]): CloudFormationTemplateJson {
  return {
    Resources: {
      ArtifactsBucket: { Type: 'AWS::S3::Bucket', Properties: {} },
      Pipeline9850B417: { Type: 'AWS::CodePipeline::Pipeline', Properties: { Stages: stages } },
    },
  };
}

describe('the CodePipeline lead time', () => {
  test('parallel actions of one run order count once, at the slowest', () => {
    const result = codePipelineLeadTime(templateOf([
      { Name: 'Assets', Actions: [build('FileAsset1'), build('FileAsset2'), build('FileAsset3'), build('payments-dev.IntegrationTests-payments')] },
    ]), options);
    expect(result.stages).toEqual([{ name: 'Assets', seconds: D.integrationTests }]);
    expect(result.totalSeconds).toBe(D.integrationTests);
  });

  test('run orders of a stage add up, and stages run one after another', () => {
    const result = codePipelineLeadTime(templateOf([
      { Name: 'Source', Actions: [{ Name: 'acme_repo', ActionTypeId: { Category: 'Source', Provider: 'CodeStarSourceConnection' } }] },
      { Name: 'Build', Actions: [build('Synth')] },
      { Name: 'UpdatePipeline', Actions: [build('SelfMutate')] },
      { Name: 'ledger-dev', Actions: [...deployOf('ledger', 'dev'), build('IntegrationTests-ledger', 3)] },
    ]), options);
    expect(result.stages).toEqual([
      { name: 'Source', seconds: D.source },
      { name: 'Build', seconds: D.build },
      { name: 'UpdatePipeline', seconds: D.selfMutation },
      { name: 'ledger-dev', seconds: D.changeSetPrepare + D.emptyChangeSetExecute + D.integrationTests },
    ]);
    expect(result.totalSeconds).toBe(D.source + D.build + D.selfMutation + D.changeSetPrepare + D.emptyChangeSetExecute + D.integrationTests);
  });

  test('a stack of the changed service includes its environment\'s traffic shifting; others are empty change sets', () => {
    const stages: PipelineStageJson[] = ['dev', 'staging', 'prod'].map(env => ({
      Name: `core-${env}`,
      Actions: [...deployOf('payments', env), ...deployOf('ledger', env)],
    }));
    const result = codePipelineLeadTime(templateOf(stages), options);
    expect(result.stages).toEqual([
      { name: 'core-dev', seconds: D.changeSetPrepare + D.stackUpdate + 60 },
      { name: 'core-staging', seconds: D.changeSetPrepare + D.stackUpdate + 600 },
      { name: 'core-prod', seconds: D.changeSetPrepare + D.stackUpdate + 360 },
    ]);

    // The same pipeline for a change to ledger: payments' stacks become the no-ops.
    expect(codePipelineLeadTime(templateOf(stages), { ...options, changedService: 'ledger' }).totalSeconds).toBe(result.totalSeconds);
    // A service that is not in the pipeline changes nothing there: every stack is a no-op.
    expect(codePipelineLeadTime(templateOf(stages), { ...options, changedService: 'web' }).stages.map(s => s.seconds))
      .toEqual([1, 2, 3].map(() => D.changeSetPrepare + D.emptyChangeSetExecute));
  });

  test('a service whose name prefixes another\'s does not claim its stacks', () => {
    const result = codePipelineLeadTime(templateOf([
      { Name: 'prod', Actions: deployOf('pay-ments', 'prod') },
    ]), { ...options, changedService: 'pay' });
    expect(result.totalSeconds).toBe(D.changeSetPrepare + D.emptyChangeSetExecute);
  });

  test('traffic shifting defaults per environment and falls back for an environment it does not know', () => {
    const template = templateOf([
      { Name: 'prod', Actions: deployOf('payments', 'prod') },
      { Name: 'qa', Actions: deployOf('payments', 'qa') },
    ]);
    const result = codePipelineLeadTime(template, { changedService: 'payments' });
    expect(result.stages.map(s => s.seconds)).toEqual([
      D.changeSetPrepare + D.stackUpdate + DEFAULT_TRAFFIC_SHIFTING_SECONDS.prod,
      D.changeSetPrepare + D.stackUpdate + D.trafficShiftingOtherEnvironment,
    ]);
  });

  test('approvals count 0 seconds in the total but are reported', () => {
    const result = codePipelineLeadTime(templateOf([
      { Name: 'prod-core', Actions: [approval('Approve-prod'), prepare('payments-prod.eu-west-1', 'payments-prod-eu-west-1', 2)] },
      { Name: 'prod-edge', Actions: [approval('web-prod.Approve-prod')] },
    ]), options);
    expect(result.approvals).toBe(2);
    expect(result.stages).toEqual([
      { name: 'prod-core', seconds: D.changeSetPrepare },
      { name: 'prod-edge', seconds: 0 },
    ]);
    expect(result.totalSeconds).toBe(D.changeSetPrepare);
  });

  test('a bake step takes the minutes of its BAKE_MINUTES variable, else the default', () => {
    const result = codePipelineLeadTime(templateOf([
      { Name: 'prod-a', Actions: [build('BakeTime-prod-payments-prod-eu-west-1', 1, { BAKE_MINUTES: '25', TARGET_REGIONS: 'eu-west-1' })] },
      { Name: 'prod-b', Actions: [build('BakeTime-prod-ledger-prod-eu-west-1')] },
      // A pipeline variable is only known at run time.
      { Name: 'prod-c', Actions: [build('BakeTime-prod-web-prod-eu-west-1', 1, { BAKE_MINUTES: '#{Variables.Bake}' })] },
    ]), { ...options, durations: { bake: 120 } });
    expect(result.stages.map(s => s.seconds)).toEqual([25 * 60, 120, 120]);
  });

  test('a wave split by the 50-action limit into .1 and .2 stages takes longer than the same actions in one stage', () => {
    // 30 services in one wave: 60 prepare and 60 execute actions, more than a stage holds.
    const services = Array.from({ length: 30 }, (_, i) => (i === 0 ? 'payments' : `svc${i}`));
    const prepares = services.map(s => prepare(`${s}-prod.eu-west-1`, `${s}-prod-eu-west-1`, 1));
    const executes = services.map(s => execute(`${s}-prod.eu-west-1`, `${s}-prod-eu-west-1`, 2));

    const oneStage = codePipelineLeadTime(templateOf([{ Name: 'prod-core', Actions: [...prepares, ...executes] }]), options);
    const split = codePipelineLeadTime(templateOf([
      { Name: 'prod-core.1', Actions: [...prepares.slice(0, 25), ...executes.slice(0, 25)] },
      { Name: 'prod-core.2', Actions: [...prepares.slice(25), ...executes.slice(25)] },
    ]), options);

    expect(oneStage.totalSeconds).toBe(D.changeSetPrepare + D.stackUpdate + TRAFFIC.prod);
    expect(split.totalSeconds).toBe(oneStage.totalSeconds + D.changeSetPrepare + D.emptyChangeSetExecute);
    expect(split.totalSeconds).toBeGreaterThan(oneStage.totalSeconds);
  });

  test('recognises dependency checks, end-to-end tests and prefixed step names', () => {
    const result = codePipelineLeadTime(templateOf([
      { Name: 'a', Actions: [build('payments-dev.DependencyCheck-payments-dev')] },
      { Name: 'b', Actions: [build('EndToEndTests-staging')] },
      { Name: 'Assets.1', Actions: [build('Fn-createPayment_Function_Code')] },
    ]), options);
    expect(result.stages.map(s => s.seconds)).toEqual([D.dependencyCheck, D.endToEndTests, D.assetPublishing]);
  });

  test('an action of an unknown kind takes the documented default instead of failing', () => {
    const result = codePipelineLeadTime(templateOf([{
      Name: 'Notify',
      Actions: [
        { Name: 'Slack', ActionTypeId: { Category: 'Invoke', Provider: 'Lambda' } },
        build('SecurityScan', 2),
      ],
    }]), { ...options, durations: { unknown: 45 } });
    expect(result.stages).toEqual([{ name: 'Notify', seconds: 45 + 45 }]);
    expect(codePipelineLeadTime(templateOf([{ Name: 'x', Actions: [build('SecurityScan')] }]), options).totalSeconds).toBe(D.unknown);
  });

  test('refuses a template without exactly one pipeline, naming what it found', () => {
    expect(() => codePipelineLeadTime({ Resources: {} }, options))
      .toThrow('template: has 0 AWS::CodePipeline::Pipeline resources (none); allowed: exactly one');
    expect(() => codePipelineLeadTime({ Resources: { P: { Type: 'AWS::CodePipeline::Pipeline', Properties: {} } } }, options))
      .toThrow('template: P.Properties.Stages is not a list of stages');
  });

  test('refuses a negative duration, naming the option', () => {
    expect(() => codePipelineLeadTime(templateOf([]), { ...options, durations: { build: -1 } }))
      .toThrow('codePipelineLeadTime: options.durations.build -1 is not a duration; allowed: seconds, a finite number >= 0');
  });
});

/** A job of a cdk-pipelines-github workflow, by kind. */
type Job = Record<string, unknown>;

const deployJob = (stack: string, environment: string, needs: string[]): Job => ({
  needs,
  environment,
  steps: [
    { name: 'Authenticate Via OIDC Role', uses: 'aws-actions/configure-aws-credentials@v6' },
    { uses: 'aws-actions/aws-cloudformation-github-deploy@v2', with: { 'name': stack, 'no-fail-on-empty-changeset': '1' } },
  ],
});

const runJob = (run: string, needs: string | string[], env: Record<string, string> = {}): Job => ({
  needs,
  env,
  steps: [{ name: 'Checkout', uses: 'actions/checkout@v6' }, { name: 'Run', run }],
});

const workflow = (jobs: Record<string, Job>): string => stringify({ name: 'deploy', on: { push: { branches: ['main'] } }, jobs });

describe('the GitHub Actions lead time', () => {
  test('is the critical path through needs: a slow branch wins over a fast one', () => {
    const yaml = workflow({
      'Build-Build': { needs: [], steps: [{ run: 'npx cdk synth' }] },
      'Assets-FileAsset1': { needs: ['Build-Build'], steps: [{ run: 'npx cdk-assets publish' }] },
      // Fast branch: a service that did not change.
      'ledger-dev-eu-west-1-Deploy': deployJob('ledger-dev-eu-west-1', 'dev', ['Build-Build', 'Assets-FileAsset1']),
      // Slow branch: the changed service, then its smoke tests.
      'payments-dev-eu-west-1-Deploy': deployJob('payments-dev-eu-west-1', 'dev', ['Build-Build', 'Assets-FileAsset1']),
      'payments-dev-IntegrationTests-payments': runJob('npx tsx test/integration/smoke.ts', ['payments-dev-eu-west-1-Deploy']),
    });
    const result = workflowLeadTime(yaml, options);
    expect(result.stages).toEqual([
      { name: 'Build-Build', seconds: D.build },
      { name: 'Assets-FileAsset1', seconds: D.assetPublishing },
      { name: 'payments-dev-eu-west-1-Deploy', seconds: D.changeSetPrepare + D.stackUpdate + TRAFFIC.dev },
      { name: 'payments-dev-IntegrationTests-payments', seconds: D.integrationTests },
    ]);
    expect(result.totalSeconds).toBe(D.build + D.assetPublishing + D.changeSetPrepare + D.stackUpdate + TRAFFIC.dev + D.integrationTests);
    expect(result.approvals).toBe(0);

    // Changing ledger makes its branch the slow one (150 s of deploy) but the
    // payments branch (a 45 s no-op deploy, then 120 s of smoke tests) still
    // runs and is longer: the workflow waits for every job.
    const ledger = workflowLeadTime(yaml, { ...options, changedService: 'ledger' });
    expect(D.changeSetPrepare + D.stackUpdate + TRAFFIC.dev).toBeLessThan(D.changeSetPrepare + D.emptyChangeSetExecute + D.integrationTests);
    expect(ledger.stages.map(s => s.name)).toEqual(['Build-Build', 'Assets-FileAsset1', 'payments-dev-eu-west-1-Deploy', 'payments-dev-IntegrationTests-payments']);
    expect(ledger.totalSeconds).toBe(D.build + D.assetPublishing + D.changeSetPrepare + D.emptyChangeSetExecute + D.integrationTests);
  });

  test('approval jobs take 0 seconds, stay on the path and are counted', () => {
    const yaml = workflow({
      'Build-Build': { needs: [], steps: [] },
      'staging-e2e-EndToEndTests-staging': runJob('npx tsx test/e2e/payment-flow.ts\nnpx tsx test/e2e/load.ts', ['Build-Build']),
      'prod-Approve-prod': { needs: ['staging-e2e-EndToEndTests-staging'], environment: 'prod-approval', steps: [{ run: 'echo approved' }] },
      'payments-prod-eu-west-1-Deploy': deployJob('payments-prod-eu-west-1', 'prod', ['Build-Build', 'staging-e2e-EndToEndTests-staging', 'prod-Approve-prod']),
      'payments-prod-BakeTime-prod-payments-prod-eu-west-1': runJob('bash pipeline/bake-check.sh', ['payments-prod-eu-west-1-Deploy'], { BAKE_MINUTES: '15' }),
    });
    const result = workflowLeadTime(yaml, options);
    expect(result.approvals).toBe(1);
    expect(result.stages).toEqual([
      { name: 'Build-Build', seconds: D.build },
      { name: 'staging-e2e-EndToEndTests-staging', seconds: D.endToEndTests },
      { name: 'prod-Approve-prod', seconds: 0 },
      { name: 'payments-prod-eu-west-1-Deploy', seconds: D.changeSetPrepare + D.stackUpdate + TRAFFIC.prod },
      { name: 'payments-prod-BakeTime-prod-payments-prod-eu-west-1', seconds: 15 * 60 },
    ]);
    expect(result.totalSeconds).toBe(D.build + D.endToEndTests + D.changeSetPrepare + D.stackUpdate + TRAFFIC.prod + 15 * 60);
  });

  test('recognises dependency checks and gives an unknown job the documented default', () => {
    const yaml = workflow({
      'Build-Build': { needs: [], steps: [] },
      'Governance-Deploy': runJob('npx cdk deploy --app cdk.out/assembly-GitHub-Governance --all', 'Build-Build'), // `needs` may be one id
      'payments-dev-DependencyCheck-payments-dev': runJob('bash pipeline/dependency-check.sh', ['Governance-Deploy']),
    });
    const result = workflowLeadTime(yaml, options);
    expect(result.stages).toEqual([
      { name: 'Build-Build', seconds: D.build },
      { name: 'Governance-Deploy', seconds: D.unknown },
      { name: 'payments-dev-DependencyCheck-payments-dev', seconds: D.dependencyCheck },
    ]);
  });

  test('refuses needs that name no job, and cycles, saying which', () => {
    expect(() => workflowLeadTime(workflow({ a: { needs: ['b'], steps: [] } }), options))
      .toThrow('workflow: jobs.a.needs "b", which is not a job of the workflow');
    expect(() => workflowLeadTime(workflow({ a: { needs: ['b'], steps: [] }, b: { needs: ['a'], steps: [] } }), options))
      .toThrow('workflow: jobs need each other in a cycle: a -> b -> a');
    expect(() => workflowLeadTime('name: x\n', options))
      .toThrow('workflow: has no jobs mapping');
  });
});

describe('the point of the model', () => {
  // One wave of n services through prod. Shared: one pipeline holds every
  // service, split into stages of at most 50 actions (2 per stack).
  // Per service: a pipeline holds only the changed service.
  function sharedPipeline(n: number): CloudFormationTemplateJson {
    const services = Array.from({ length: n }, (_, i) => (i === 0 ? 'payments' : `svc${i}`));
    const perStage = 25;
    const chunks = Array.from({ length: Math.ceil(n / perStage) }, (_, i) => services.slice(i * perStage, (i + 1) * perStage));
    return templateOf([
      { Name: 'Build', Actions: [build('Synth')] },
      ...chunks.map((chunk, i) => ({
        Name: chunks.length > 1 ? `prod-core.${i + 1}` : 'prod-core',
        Actions: chunk.flatMap(s => deployOf(s, 'prod')),
      })),
    ]);
  }

  test('the lead time of a one-service change grows with the services of a shared pipeline, not with per-service pipelines', () => {
    const shared = [10, 60, 120].map(n => codePipelineLeadTime(sharedPipeline(n), options).totalSeconds);
    // payments' own pipeline holds only payments, however many services there are.
    const perService = codePipelineLeadTime(sharedPipeline(1), options).totalSeconds;
    expect(shared[0]).toBe(perService);
    expect(shared[1]).toBeGreaterThan(shared[0]);
    expect(shared[2]).toBeGreaterThan(shared[1]);
    // Each extra stage of 25 unchanged services adds one prepare and one no-op execute.
    expect(shared[2] - shared[1]).toBe(2 * (D.changeSetPrepare + D.emptyChangeSetExecute));
  });
});
