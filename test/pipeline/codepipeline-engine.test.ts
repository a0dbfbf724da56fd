import * as path from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { onCallResourceCount } from '../../kit';
import {
  codePipelineShape,
  deliveryTopology,
  describePlan,
  pipelineOrder,
  planFromModels,
} from '../../pipeline';
import { NODE_VERSION } from '../../pipeline/runtime-versions';
import { loadServices } from '../../services';
import { ASSEMBLIES, FIXTURE_SERVICES_DIR, fixtureOrganization, sharedAssembly } from '../fixtures/assembly';

// The fixture services' pipelines in the CodePipeline engine, as `cdk synth` builds them.
const organization = fixtureOrganization();
const services = loadServices({ servicesDir: FIXTURE_SERVICES_DIR, organization, displayDir: path.join('test', 'fixtures', 'services') });
const { assembly } = sharedAssembly(ASSEMBLIES.fixture);
const servicePipeline = assembly.getStackByName('ServicePipeline');
const governancePipeline = assembly.getStackByName('GovernancePipeline');
const template = Template.fromJSON(servicePipeline.template);
const governance = Template.fromJSON(governancePipeline.template);

interface Action {
  Name: string;
  RunOrder: number;
  ActionTypeId: { Category: string };
  RoleArn?: unknown;
  Configuration?: Record<string, unknown>;
}
type Stage = { Name: string; Actions: Action[] };
const stagesOf = (t: Template): Stage[] => (Object.values(t.findResources('AWS::CodePipeline::Pipeline'))[0] as { Properties: { Stages: Stage[] } }).Properties.Stages;
const stages = stagesOf(template);

describe('the CodePipeline engine', () => {
  test('runs in the tooling account as a V2 pipeline with rotated cross-account keys', () => {
    expect(servicePipeline.environment.account).toBe('100000000003');
    template.hasResourceProperties('AWS::CodePipeline::Pipeline', { PipelineType: 'V2' });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  test('builds from GitHub through the connection, on push to the branch', () => {
    expect(stages[0].Actions[0].Configuration).toMatchObject({
      ConnectionArn: 'arn:aws:codeconnections:eu-west-1:100000000003:connection/11111111-1111-4111-8111-111111111111',
      FullRepositoryId: 'test-org/platform',
      BranchName: 'main',
    });
  });

  test('mutates itself right after the build, before anything deploys', () => {
    expect(stages.slice(0, 4).map(s => s.Name)).toEqual(['Source', 'Build', 'UpdatePipeline', 'Assets']);
    expect(stages[2].Actions.map(a => a.Name)).toEqual(['SelfMutate']);
  });

  test('deploys in the plan\'s order: dev before prod, foundation before core, approval before prod', () => {
    expect(pipelineOrder(template.toJSON(), {
      template: governance.toJSON(), accountId: governancePipeline.environment.account, region: governancePipeline.environment.region,
    })).toEqual(describePlan(planFromModels(organization, services)));
    const prodFirst = stages.find(s => s.Actions.some(a => a.Name === 'Approve-prod'))!;
    const approval = prodFirst.Actions.find(a => a.Name === 'Approve-prod')!;
    expect(approval.ActionTypeId.Category).toBe('Approval');
    expect(Math.min(...prodFirst.Actions.filter(a => a.ActionTypeId.Category === 'Deploy').map(a => a.RunOrder))).toBeGreaterThan(approval.RunOrder);
  });

  test('deploys each environment through its own account\'s CDK deploy role, with change sets', () => {
    const deploys = stages.flatMap(s => s.Actions).filter(a => a.ActionTypeId.Category === 'Deploy');
    const roleOf = (stackName: string, mode: string) =>
      JSON.stringify(deploys.find(a => a.Configuration?.StackName === stackName && a.Configuration?.ActionMode === mode)?.RoleArn);
    expect(roleOf('catalog-dev-eu-west-1', 'CHANGE_SET_REPLACE')).toContain('cdk-hnb659fds-deploy-role-100000000004-eu-west-1');
    expect(roleOf('catalog-prod-eu-central-1', 'CHANGE_SET_EXECUTE')).toContain('cdk-hnb659fds-deploy-role-100000000005-eu-central-1');
  });

  test('the build installs with a cached npm, audits dependencies, scans for secrets, runs the tests with JUnit reports, synthesizes and scans the templates', () => {
    template.hasResourceProperties('AWS::CodeBuild::Project', {
      Cache: { Type: 'LOCAL', Modes: ['LOCAL_CUSTOM_CACHE'] },
      Source: {
        BuildSpec: Match.serializedJson(Match.objectLike({
          phases: Match.objectLike({
            install: { 'runtime-versions': { nodejs: NODE_VERSION }, 'commands': ['npm ci --prefer-offline --no-audit'] },
            build: { commands: ['npm audit --audit-level=high --omit=dev', 'npx projen scan:secrets', 'npx projen test', 'npx cdk synth', 'npx projen scan:iac', 'npx projen scan:deps'] },
          }),
          cache: { paths: ['/root/.npm/**/*'] },
          reports: {
            UnitTests: { 'files': ['**/*.xml'], 'base-directory': 'test-reports', 'file-format': 'JUNITXML' },
            SecurityScans: { 'files': ['*.xml'], 'base-directory': '.build/reports', 'file-format': 'JUNITXML' },
          },
        })),
      },
    });
  });

  test('runs integration tests against each service\'s API in the first environment, with the URL from its stack output', () => {
    const devStage = stages.find(s => s.Actions.some(a => a.Name.endsWith('IntegrationTests-catalog')))!;
    const step = devStage.Actions.find(a => a.Name.endsWith('IntegrationTests-catalog'))!;
    expect(JSON.parse(step.Configuration?.EnvironmentVariables as string)).toEqual([
      { name: 'API_URL', type: 'PLAINTEXT', value: expect.stringMatching(/^#\{[^}]+\.ApiUrl\}$/) },
    ]);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Action: 'execute-api:Invoke',
          Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':execute-api:eu-west-1:100000000004:*/dev/*']] },
        })]),
      },
    });
  });

  test('waits out a bake time on the alarms after each production wave', () => {
    const bakes = stages.flatMap(s => s.Actions).filter(a => a.Name.includes('BakeTime-prod'));
    expect(bakes).toHaveLength(2); // one per prod wave
    template.hasResourceProperties('AWS::CodeBuild::Project', {
      Environment: Match.objectLike({
        EnvironmentVariables: Match.arrayWith([
          { Name: 'BAKE_MINUTES', Type: 'PLAINTEXT', Value: '10' },
          { Name: 'TARGET_ACCOUNT', Type: 'PLAINTEXT', Value: '100000000005' },
          { Name: 'OBSERVER_ROLE_NAME', Type: 'PLAINTEXT', Value: 'platform-pipeline-observer' },
          { Name: 'ALARM_PREFIXES', Type: 'PLAINTEXT', Value: 'orders-prod-eu-west-1- orders-prod-eu-central-1-' },
        ]),
      }),
      Source: { BuildSpec: Match.serializedJson(Match.objectLike({ phases: { build: { commands: ['bash pipeline/bake-check.sh'] } } })) },
    });
  });

  test('the bake check reads alarms only through the prod account\'s observer role, which trusts this stack\'s roles by name', () => {
    // The observer role (governance/member-roles-stack.ts) trusts roles named ServicePipeline-*.
    expect(servicePipeline.stackName).toBe('ServicePipeline');
    const bakeRoles = Object.entries(template.findResources('AWS::IAM::Role'))
      .filter(([, r]) => JSON.stringify(r).includes('codebuild.amazonaws.com')).map(([id]) => id);
    expect(bakeRoles.length).toBeGreaterThan(0);
    const assumed = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap(p => p.Properties.PolicyDocument.Statement as Array<{ Action: unknown; Resource: unknown }>)
      .filter(st => st.Action === 'sts:AssumeRole' && JSON.stringify(st.Resource).includes('platform-pipeline-observer'));
    // The two prod waves' bake checks share one checks role: one statement.
    expect(assumed.map(st => st.Resource)).toEqual([
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::100000000005:role/platform-pipeline-observer']] },
    ]);
    const bakeProjects = Object.values(template.findResources('AWS::CodeBuild::Project'))
      .filter(p => JSON.stringify(p).includes('bake-check.sh')) as Array<{ Properties: { ServiceRole: unknown } }>;
    expect(bakeProjects).toHaveLength(2);
    expect(bakeProjects[0].Properties.ServiceRole).toEqual(bakeProjects[1].Properties.ServiceRole);
    // The CDK lookup roles (ReadOnlyAccess: they can read data) are not used.
    expect(JSON.stringify(template.toJSON())).not.toContain('lookup-role');
  });

  test('is the pipeline the limit model counts (stages, actions, CodeBuild projects, resources)', () => {
    const topology = deliveryTopology(planFromModels(organization, services), 'single',
      services.map(s => ({ name: s.manifest.name, owner: s.manifest.owner })), organization.name);
    const shape = codePipelineShape(topology.shards[0], {
      bakeTimeMinutes: 10,
      functionsOf: name => Object.keys(services.find(s => s.manifest.name === name)!.manifest.functions).length,
      runsEndToEnd: () => false,
      triggerPaths: () => [],
    }, onCallResourceCount(organization.onCall));
    // (CDK Pipelines names a wave of one stage after the stage: compare the actions.)
    expect(stages.map(s => s.Actions.length)).toEqual(shape.stages.map(s => s.actions));
    const resources = Object.values(template.toJSON().Resources as Record<string, { Type: string }>);
    expect(resources.filter(r => r.Type === 'AWS::CodeBuild::Project')).toHaveLength(shape.codeBuildProjects);
    expect(resources.filter(r => r.Type === 'AWS::IAM::Role')).toHaveLength(shape.roles);
    // The model counts the metadata resource the CDK CLI adds to every stack.
    expect(resources.filter(r => r.Type !== 'AWS::CDK::Metadata').length + 1).toBe(shape.resources);
    // Every file asset through one CodeBuild project, not one per asset.
    expect(stages.find(s => s.Name === 'Assets')!.Actions).toHaveLength(1);
  });

  test('notifies failures on a KMS-encrypted topic', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::CodeStarNotifications::NotificationRule', {
      EventTypeIds: Match.arrayWith(['codepipeline-pipeline-pipeline-execution-failed']),
    });
  });
});

describe('the governance pipeline', () => {
  test('lives in the management account and builds only the governance scope', () => {
    expect(governancePipeline.environment.account).toBe('100000000000');
    governance.hasResourceProperties('AWS::CodeBuild::Project', {
      Source: {
        BuildSpec: Match.serializedJson(Match.objectLike({
          phases: Match.objectLike({ build: { commands: ['npx cdk synth -c platform:scope=governance'] } }),
        })),
      },
    });
  });

  const governanceActions = () => stagesOf(governance).find(s => s.Name === 'Governance')!.Actions;
  const governanceStacks = ['Governance-ControlTower', 'Governance-CostBaseline', 'Governance-Guardrails', 'Governance-MemberRoles',
    'Governance-SecurityAdministration', 'Governance-SecurityServices'];

  test('asks for one approval, after the review of every change set and before any governance stack is prepared or deployed', () => {
    const actions = governanceActions();
    const approvals = stagesOf(governance).flatMap(s => s.Actions).filter(a => a.ActionTypeId.Category === 'Approval');
    expect(approvals.map(a => a.Name)).toEqual(['Approve-governance']);
    const [approval] = approvals;
    const review = actions.find(a => a.Name === 'ReviewChangeSets')!;
    expect(review.ActionTypeId.Category).toBe('Build');
    expect(review.RunOrder).toBeLessThan(approval.RunOrder);
    const deploys = actions.filter(a => a.ActionTypeId.Category === 'Deploy');
    // Every stack: its change set created (prepare) and executed (deploy), all after the approval.
    expect([...new Set(deploys.map(a => a.Configuration?.StackName))].sort()).toEqual(governanceStacks);
    expect(deploys.map(a => a.Configuration?.ActionMode).sort()).toEqual([...Array(6).fill('CHANGE_SET_EXECUTE'), ...Array(6).fill('CHANGE_SET_REPLACE')]);
    expect(Math.min(...deploys.map(a => a.RunOrder))).toBeGreaterThan(approval.RunOrder);
  });

  test('the approval shows the review\'s headline and links to its log, through the variables the review step exports', () => {
    const actions = governanceActions();
    const approval = actions.find(a => a.Name === 'Approve-governance')!;
    const review = actions.find(a => a.Name === 'ReviewChangeSets')! as Action & { Namespace?: string };
    expect(review.Namespace).toBe('Governance@ReviewChangeSets');
    expect(approval.Configuration?.CustomData).toContain('#{Governance@ReviewChangeSets.CHANGE_SUMMARY}');
    expect(approval.Configuration?.ExternalEntityLink).toBe('#{Governance@ReviewChangeSets.REVIEW_URL}');
    // CodePipeline shows at most 512 characters of an approval's comment; the headline is cut at 300.
    expect(String(approval.Configuration?.CustomData).length).toBeLessThan(512 - 300);
    governance.hasResourceProperties('AWS::CodeBuild::Project', {
      Source: {
        BuildSpec: Match.serializedJson(Match.objectLike({
          env: { 'exported-variables': ['CHANGE_SUMMARY', 'REVIEW_URL'] },
          phases: Match.objectLike({
            build: {
              commands: ['npx tsx pipeline/governance-review.ts --assembly cdk.out/assembly-GovernancePipeline-Governance --out-dir .build/governance-review'
                + ' && export CHANGE_SUMMARY="$(cat .build/governance-review/headline.txt)" REVIEW_URL="$(cat .build/governance-review/review-url.txt)"'],
            },
          }),
        })),
      },
    });
  });

  test('the review step may assume the governance stacks\' CDK deploy roles and nothing else outside its own build', () => {
    const projects = governance.findResources('AWS::CodeBuild::Project', {
      Properties: { Source: { BuildSpec: Match.stringLikeRegexp('governance-review.ts') } },
    });
    const [project] = Object.values(projects) as Array<{ Properties: { ServiceRole: { 'Fn::GetAtt': [string, string] } } }>;
    const roleId = project.Properties.ServiceRole['Fn::GetAtt'][0];
    const statements = Object.values(governance.findResources('AWS::IAM::Policy'))
      .filter(p => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
      .flatMap(p => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>);
    const assumed = statements.filter(st => st.Action === 'sts:AssumeRole');
    const deployRole = (account: string, region: string) =>
      ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${account}:role/cdk-hnb659fds-deploy-role-${account}-${region}`]] });
    expect(assumed.map(st => st.Resource)).toEqual([[
      deployRole('100000000000', 'eu-west-1'), deployRole('100000000000', 'us-east-1'), deployRole('100000000002', 'eu-west-1'),
    ]]);
    // The rest is the build's own: its logs, its reports, the pipeline's artifacts.
    const actions = statements.filter(st => st !== assumed[0]).flatMap(st => [st.Action].flat());
    expect(actions.every(a => /^(logs|codebuild|s3|kms):/.test(a))).toBe(true);
    expect(actions).not.toContain('s3:PutObject');
  });

  test('is never reached from the tooling account: no role of the service pipeline targets the management account', () => {
    expect(JSON.stringify(template.toJSON())).not.toContain('100000000000');
  });
});
