import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { parse, stringify } from 'yaml';
import { edgeRegions } from '../../accounts';
import { GovernanceStage } from '../../governance';
import { buildGovernanceBundles, repositoryLayout } from '../../main';
import {
  addPolicyValidation,
  DeliveryPlan,
  deliveryTopology,
  describePlan,
  GitHubEngine,
  gitHubActionRoleArn,
  gitHubGovernanceRoleArn,
  gitHubOidcStacks,
  gitHubTestRoleArn,
  planFromModels,
  workflowOrder,
} from '../../pipeline';
import { NODE_VERSION } from '../../pipeline/runtime-versions';
import { EdgeStage, ServiceStage } from '../../services';
import { ASSEMBLIES, sharedAssembly } from '../fixtures/assembly';
import { loadSample } from '../fixtures/organization';
import { servicesFixture } from '../fixtures/services';
import { CACHED_VALIDATION } from '../fixtures/validation';

const fixture = servicesFixture();
const { organization } = fixture;
const plan = planFromModels(organization, fixture.services);
const byName = new Map(fixture.services.map(s => [s.manifest.name, s]));

const TOOLING_ROLE = 'arn:aws:iam::100000000003:role/GitHubActionRole';
const GOVERNANCE_ROLE = 'arn:aws:iam::100000000000:role/GitHubGovernanceRole';
const GOVERNANCE_REVIEW_ROLE = 'arn:aws:iam::100000000000:role/GitHubGovernanceReviewRole';
const TEST_ROLE = 'arn:aws:iam::100000000003:role/GitHubIntegrationTestRole';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'github-engine-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Synthesizes an app with the github engine rendering `deliveryPlan` and returns the workflow it wrote. */
function synthWorkflow(deliveryPlan: DeliveryPlan, name: string): string {
  const dir = path.join(tmp, name);
  const workflowPath = path.join(dir, '.github', 'workflows', 'deploy.yml');
  // Diff protection compares with a committed file when run inside the deploy
  // workflow (GITHUB_WORKFLOW=deploy): off here, the file is a temporary one.
  const app = new cdk.App({ outdir: path.join(dir, 'cdk.out'), context: { 'cdk-pipelines-github:diffProtection': 'false' } });
  const topology = deliveryTopology(deliveryPlan, 'single', fixture.services.map(s => ({ name: s.manifest.name, owner: s.manifest.owner })), organization.name);
  new GitHubEngine(app, 'GitHub', {
    organization,
    plan: deliveryPlan,
    topology,
    shard: topology.shards[0],
    layout: repositoryLayout(),
    dependencyParameters: () => ({}),
    shardOf: () => 'services',
    workflowPath,
    serviceStage: (scope, env, service) => new ServiceStage(scope, `${service}-${env}`, {
      service: byName.get(service)!,
      organization,
      environment: organization.environments.find(e => e.name === env)!,
      bundles: fixture.bundles[service],
      hookBundle: fixture.hookBundle,
      dependencies: byName.get(service)!.manifest.dependsOn.map(d => byName.get(d)!.manifest),
    }),
    governanceStage: scope => new GovernanceStage(scope, 'Governance', { organization, bundles: buildGovernanceBundles(path.join(tmp, 'bundles')) }),
    edgeStage: (scope, env) => new EdgeStage(scope, `edge-${env}`, {
      organization, environment: organization.environments.find(e => e.name === env)!, authorizerBundle: fixture.authorizerBundle,
    }),
  });
  app.synth();
  return fs.readFileSync(workflowPath, 'utf8');
}

interface Step { name?: string; uses?: string; run?: string; with?: Record<string, unknown> }
interface Job {
  name: string;
  /** Absent where a job needs none (the build). */
  needs?: string[];
  environment?: string;
  permissions: Record<string, string>;
  env?: Record<string, string>;
  outputs?: Record<string, string>;
  steps: Step[];
}
interface Workflow { on: Record<string, unknown>; concurrency: Record<string, unknown>; jobs: Record<string, Job> }

// The fixture app as `cdk synth -c pipeline:engine=github` builds it (buildPipelines), shared with the suites that read it.
const yaml = sharedAssembly(ASSEMBLIES.fixtureGitHub).workflows['deploy.yml'];
const workflow = parse(yaml) as Workflow;
const jobs = Object.entries(workflow.jobs);

const stepUsing = (job: Job, action: string) => job.steps.find(s => s.uses?.startsWith(`${action}@`));
const credentialsOf = (job: Job) => job.steps.filter(s => s.uses?.startsWith('aws-actions/configure-aws-credentials@'));
const stackOf = (job: Job) => stepUsing(job, 'aws-actions/aws-cloudformation-github-deploy')?.with?.name as string | undefined;
const deployJobs = jobs.filter(([, job]) => stackOf(job));
const deployJobOf = (stackName: string) => deployJobs.find(([, job]) => stackOf(job) === stackName)![0];
const jobWithEnvironment = (environment: string) => jobs.filter(([, job]) => job.environment === environment);

/** Whether job `later` (transitively) needs job `earlier`. */
function waitsFor(later: string, earlier: string, seen = new Set<string>()): boolean {
  for (const need of workflow.jobs[later].needs ?? []) {
    if (need === earlier) return true;
    if (!seen.has(need) && (seen.add(need), waitsFor(need, earlier, seen))) return true;
  }
  return false;
}

describe('the github engine\'s workflow', () => {
  test('runs on push to the pipeline\'s branch or by hand, one delivery at a time', () => {
    expect(workflow.on).toEqual({ push: { branches: ['main'] }, workflow_dispatch: {} });
    expect(workflow.concurrency).toEqual({ 'group': 'deploy-main', 'cancel-in-progress': false });
  });

  test('the build installs with the npm cache, runs the CodePipeline engine\'s gates and synthesizes itself with the github engine', () => {
    const build = workflow.jobs['Build-Build'];
    expect(stepUsing(build, 'actions/setup-node')?.with).toEqual({ 'node-version': String(NODE_VERSION), 'cache': 'npm' });
    expect(build.steps.map(s => s.run).filter(Boolean)).toEqual([
      'npm ci --prefer-offline --no-audit',
      'npm audit --audit-level=high --omit=dev\nnpx projen scan:secrets\nnpx projen test\nnpx cdk synth -c pipeline:engine=github\nnpx projen scan:iac\nnpx projen scan:deps\nnpx projen scan:workflows',
    ]);
    // It runs third-party code and needs no AWS access: no OIDC token.
    // No AWS role: the build reads the repository and uploads the scanners' SARIF to code scanning.
    expect(build.permissions).toEqual({ 'contents': 'read', 'actions': 'read', 'security-events': 'write' });
  });

  test('renders the delivery plan\'s order: governance, dev\'s edge and waves, approval, prod\'s edge and waves', () => {
    expect(workflowOrder(yaml)).toEqual(describePlan(plan));
    expect(describePlan(plan)).toEqual([
      'governance@100000000000/eu-west-1', 'edge dev', 'dev: catalog', 'dev: orders', 'approve prod', 'edge prod', 'prod: catalog', 'prod: orders',
    ]);
  });

  test('jobs need each other in that order: governance before dev, dev before prod, foundation before core', () => {
    const [governance] = jobWithEnvironment('governance').map(([id]) => id);
    const [approval] = jobWithEnvironment('prod-approval').map(([id]) => id);
    const dev = deployJobs.filter(([, job]) => job.environment === 'dev').map(([id]) => id);
    const prod = deployJobs.filter(([, job]) => job.environment === 'prod').map(([id]) => id);
    expect(dev).toHaveLength(3); // the edge, catalog, orders
    expect(prod).toHaveLength(7); // each in two regions, and the edge's front (WAF, CloudFront) in us-east-1
    // The edge of an environment deploys before its services (their public routes attach to it).
    for (const env of ['dev', 'prod']) {
      const regions = organization.environments.find(e => e.name === env)!.regions;
      for (const service of ['catalog', 'orders']) {
        for (const region of regions) {
          for (const edgeRegion of edgeRegions(organization.environments.find(e => e.name === env)!)) {
            expect(waitsFor(deployJobOf(`${service}-${env}-${region}`), deployJobOf(`edge-${env}-${edgeRegion}`))).toBe(true);
          }
        }
      }
    }
    for (const id of dev) expect(waitsFor(id, governance)).toBe(true);
    for (const id of prod) {
      expect(waitsFor(id, approval)).toBe(true);
      for (const devId of dev) expect(waitsFor(id, devId)).toBe(true);
    }
    for (const devId of dev) expect(waitsFor(approval, devId)).toBe(true);
    for (const env of ['dev', 'prod']) {
      const regions = organization.environments.find(e => e.name === env)!.regions;
      for (const core of regions) {
        for (const foundation of regions) {
          expect(waitsFor(deployJobOf(`orders-${env}-${core}`), deployJobOf(`catalog-${env}-${foundation}`))).toBe(true);
        }
      }
    }
    // The front after the primary region's edge (its origin secret and log bucket); the regions of the edge in parallel.
    expect(waitsFor(deployJobOf('edge-prod-us-east-1'), deployJobOf('edge-prod-eu-west-1'))).toBe(true);
    expect(waitsFor(deployJobOf('edge-prod-eu-central-1'), deployJobOf('edge-prod-eu-west-1'))).toBe(false);
    // A wave's services deploy in parallel: the two regions of a stage do not wait for each other.
    expect(waitsFor(deployJobOf('catalog-prod-eu-central-1'), deployJobOf('catalog-prod-eu-west-1'))).toBe(false);
  });

  test('every deploy job runs in the GitHub environment of its environment', () => {
    expect(deployJobs.map(([, job]) => [stackOf(job), job.environment]).sort()).toEqual([
      ['catalog-dev-eu-west-1', 'dev'],
      ['catalog-prod-eu-central-1', 'prod'], ['catalog-prod-eu-west-1', 'prod'],
      ['edge-dev-eu-west-1', 'dev'],
      ['edge-prod-eu-central-1', 'prod'], ['edge-prod-eu-west-1', 'prod'], ['edge-prod-us-east-1', 'prod'],
      ['orders-dev-eu-west-1', 'dev'],
      ['orders-prod-eu-central-1', 'prod'], ['orders-prod-eu-west-1', 'prod'],
    ]);
  });

  test('gates prod once, on the required reviewers of GitHub environment prod-approval, without AWS access', () => {
    const gates = jobWithEnvironment('prod-approval');
    expect(gates).toHaveLength(1);
    const [, gate] = gates[0];
    expect(gate.permissions).toEqual({ contents: 'none' });
    expect(credentialsOf(gate)).toEqual([]);
    expect(jobWithEnvironment('dev-approval')).toEqual([]);
  });

  test('authenticates with GitHub OIDC only: id-token write and contents read where AWS is called, no key secrets anywhere', () => {
    const withAws = jobs.filter(([, job]) => credentialsOf(job).length > 0);
    expect(withAws.length).toBeGreaterThan(deployJobs.length);
    for (const [, job] of withAws) {
      expect(job.permissions).toEqual({ 'contents': 'read', 'id-token': 'write' });
      expect(credentialsOf(job)[0].with).not.toHaveProperty('aws-access-key-id');
    }
    expect(yaml).not.toMatch(/secrets\./);
    expect(yaml).not.toMatch(/secrets\.AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY)/);
  });

  test('service jobs assume the tooling account\'s role, then the target\'s CDK deploy role, for an hour', () => {
    for (const [, job] of deployJobs) {
      const [oidc, deploy] = credentialsOf(job);
      const account = stackOf(job)!.includes('-prod-') ? '100000000005' : '100000000004';
      expect(oidc.with).toMatchObject({ 'role-to-assume': TOOLING_ROLE, 'role-duration-seconds': 3600 });
      expect(deploy.with).toMatchObject({
        'role-to-assume': `arn:aws:iam::${account}:role/cdk-hnb659fds-deploy-role-${account}-${oidc.with!['aws-region'] as string}`,
        'role-duration-seconds': 3600,
      });
    }
  });

  test('publishes assets with the tooling role, authenticating in the home region (not us-west-2)', () => {
    const assets = jobs.filter(([id]) => id.startsWith('Assets-'));
    expect(assets.length).toBeGreaterThan(0);
    for (const [, job] of assets) {
      expect(credentialsOf(job).map(s => s.with)).toEqual([expect.objectContaining({ 'role-to-assume': TOOLING_ROLE, 'aws-region': 'eu-west-1' })]);
      expect(job.steps.find(s => s.run?.startsWith('npm install'))?.run).toBe('npm install --no-save cdk-assets@4.7.3');
    }
    expect(yaml).not.toContain('us-west-2');
  });

  test('deploys governance in GitHub environment governance with the management account\'s own role, never the tooling role', () => {
    const governance = jobWithEnvironment('governance');
    expect(governance).toHaveLength(1);
    const [, job] = governance[0];
    expect(credentialsOf(job).map(s => s.with)).toEqual([
      expect.objectContaining({ 'role-to-assume': GOVERNANCE_ROLE, 'aws-region': 'eu-west-1' }),
    ]);
    expect(job.steps.at(-1)?.run).toBe('npx cdk deploy --app cdk.out/assembly-GitHub-Governance --all --require-approval never --progress events');
    expect(JSON.stringify(job)).not.toContain('100000000003');
    // Nothing else reaches the management account but the review, whose role cannot deploy.
    const others = jobs.filter(([, other]) => other !== job).filter(([, other]) => JSON.stringify(other).includes('100000000000'));
    expect(others.map(([id]) => id)).toEqual(['Governance-Review']);
    expect(credentialsOf(others[0][1]).map(s => s.with?.['role-to-assume'])).toEqual([GOVERNANCE_REVIEW_ROLE]);
  });

  test('reviews every governance change set into the run\'s summary before the one governance approval, which needs the review', () => {
    const review = workflow.jobs['Governance-Review'];
    const [[deployId, deploy]] = jobWithEnvironment('governance');
    // No environment: it runs before anyone approves, with a role that may only create, describe and delete change sets.
    expect(review.environment).toBeUndefined();
    expect(review.permissions).toEqual({ 'contents': 'read', 'id-token': 'write' });
    expect(credentialsOf(review).map(s => s.with)).toEqual([
      expect.objectContaining({ 'role-to-assume': GOVERNANCE_REVIEW_ROLE, 'aws-region': 'eu-west-1' }),
    ]);
    expect(review.steps.map(s => s.run).filter(Boolean)).toEqual([
      'npm ci --prefer-offline --no-audit',
      // Writes the summary to $GITHUB_STEP_SUMMARY, which GitHub shows on the run the reviewers approve.
      'npx tsx pipeline/governance-review.ts --assembly cdk.out/assembly-GitHub-Governance --role GitHubGovernanceReviewRole',
    ]);
    expect(stepUsing(review, 'actions/download-artifact')?.with).toEqual({ name: 'cdk.out', path: 'cdk.out' });
    expect(review.steps.findIndex(s => s.run?.startsWith('npm ci'))).toBeLessThan(review.steps.indexOf(credentialsOf(review)[0]));
    expect(review.needs).toEqual(['Build-Build']);
    expect(deploy.needs).toContain('Governance-Review');
    // One approval: only the governance job is in an environment with reviewers; nothing of governance waits for another.
    expect(jobs.filter(([, job]) => job.environment === 'governance' || job.environment === 'governance-approval')).toHaveLength(1);
    expect(deploy.steps.filter(s => s.run?.includes('cdk deploy'))).toHaveLength(1);
    expect(waitsFor(deployJobOf('edge-dev-eu-west-1'), deployId)).toBe(true);
  });

  test('tests each dev API after its deploy, with the URL from the stack output and the test role', () => {
    const tests = jobs.filter(([, job]) => job.steps.some(s => s.run === 'npx tsx test/integration/smoke.ts'));
    expect(tests.map(([, job]) => job.env?.SERVICE).sort()).toEqual(['catalog', 'orders']);
    for (const [, job] of tests) {
      const deployJob = deployJobOf(`${job.env!.SERVICE}-dev-eu-west-1`);
      expect(job.needs).toContain(deployJob);
      expect(job.env!.API_URL).toBe(`\${{ needs.${deployJob}.outputs.ApiUrl }}`);
      expect(workflow.jobs[deployJob].outputs).toEqual({ ApiUrl: '${{ steps.Deploy.outputs.ApiUrl }}' });
      expect(credentialsOf(job).map(s => s.with)).toEqual([expect.objectContaining({ 'role-to-assume': TEST_ROLE, 'aws-region': 'eu-west-1' })]);
      expect(job.steps.map(s => s.run).filter(Boolean)).toEqual(['npm ci --prefer-offline --no-audit', 'npx tsx test/integration/smoke.ts']);
      // Install before the credentials: dependency install scripts never see them.
      expect(job.steps.findIndex(s => s.run?.startsWith('npm ci'))).toBeLessThan(job.steps.indexOf(credentialsOf(job)[0]));
    }
    // The next wave waits for the tests.
    const catalogTests = tests.find(([, job]) => job.env!.SERVICE === 'catalog')![0];
    expect(waitsFor(deployJobOf('orders-dev-eu-west-1'), catalogTests)).toBe(true);
  });

  test('without governance in the plan, the first wave only waits for the build and its assets', () => {
    const withoutGovernance: DeliveryPlan = { ...plan, governance: undefined };
    const other = synthWorkflow(withoutGovernance, 'no-governance');
    expect(workflowOrder(other)).toEqual(describePlan(withoutGovernance));
    const { jobs: otherJobs } = parse(other) as Workflow;
    expect(Object.values(otherJobs).filter(job => job.environment === 'governance')).toEqual([]);
    expect(otherJobs[deployJobOf('edge-dev-eu-west-1')].needs?.every(n => n === 'Build-Build' || n.startsWith('Assets-'))).toBe(true);
  });

  test('workflowOrder notices a wave that no longer waits for the one before it', () => {
    const broken = parse(yaml) as Workflow;
    const ordersDev = broken.jobs[deployJobOf('orders-dev-eu-west-1')];
    ordersDev.needs = ordersDev.needs?.filter(n => !n.startsWith('catalog-dev-'));
    expect(workflowOrder(stringify(broken))).not.toEqual(describePlan(plan));
  });
});

describe('the GitHub OIDC stacks', () => {
  const sample = loadSample();
  const [tooling, governance, securityReview, ...others] = gitHubOidcStacks(new cdk.App(), sample);
  const toolingTemplate = Template.fromStack(tooling);
  const governanceTemplate = Template.fromStack(governance);
  const securityReviewTemplate = Template.fromStack(securityReview);

  type Statement = { Effect: string; Action: string | string[]; Condition?: Record<string, Record<string, string | string[]>>; Resource?: unknown };
  type Resource = { Properties: Record<string, unknown> };
  const roleNamed = (template: Template, name: string) => {
    const [logicalId, role] = Object.entries(template.findResources('AWS::IAM::Role', { Properties: { RoleName: name } }))[0] as [string, Resource];
    return { logicalId, role };
  };
  const trust = (template: Template, name: string) =>
    (roleNamed(template, name).role.Properties.AssumeRolePolicyDocument as { Statement: Statement[] }).Statement;

  /** Whether a GitHub token with `sub` and `aud` may assume the role (evaluates the StringEquals conditions). */
  function admits(template: Template, roleName: string, token: { sub: string; aud?: string }): boolean {
    return trust(template, roleName).some(statement => {
      if (statement.Effect !== 'Allow' || statement.Action !== 'sts:AssumeRoleWithWebIdentity') return false;
      const claims: Record<string, string> = {
        'token.actions.githubusercontent.com:sub': token.sub,
        'token.actions.githubusercontent.com:aud': token.aud ?? 'sts.amazonaws.com',
      };
      return Object.entries(statement.Condition ?? {}).every(([operator, keys]) => {
        if (operator !== 'StringEquals') throw new Error(`unexpected condition operator ${operator}`);
        return Object.entries(keys).every(([key, values]) => [values].flat().includes(claims[key]));
      });
    });
  }

  /** A resource as text: `Fn::Join` parts concatenated, `{ Ref: X }` as `${X}`. */
  const flatten = (value: unknown): string => {
    if (typeof value === 'string') return value;
    const node = value as { 'Fn::Join'?: [string, unknown[]]; 'Ref'?: string };
    if (node['Fn::Join']) return node['Fn::Join'][1].map(flatten).join(node['Fn::Join'][0]);
    if (node.Ref) return `\${${node.Ref}}`;
    throw new Error(`unexpected resource ${JSON.stringify(value)}`);
  };

  /** The actions and resources the managed policies attached to the role allow. */
  function permissionsOf(template: Template, roleName: string): Array<{ actions: string[]; resources: string[] }> {
    const { logicalId, role } = roleNamed(template, roleName);
    expect(role.Properties.Policies).toBeUndefined();
    expect(Object.keys(template.findResources('AWS::IAM::Policy'))).toEqual([]);
    return Object.values(template.findResources('AWS::IAM::ManagedPolicy'))
      .filter(p => JSON.stringify((p as Resource).Properties.Roles) === JSON.stringify([{ Ref: logicalId }]))
      .flatMap(p => ((p as Resource).Properties.PolicyDocument as { Statement: Statement[] }).Statement)
      .map(s => ({
        actions: [s.Action].flat(),
        resources: [s.Resource].flat().map(flatten),
      }));
  }

  test('live in the tooling and management accounts, with the role ARNs the workflow uses', () => {
    expect([tooling.account, governance.account]).toEqual(['100000000003', '100000000000']);
    expect([gitHubActionRoleArn(sample), gitHubGovernanceRoleArn(governance.account), gitHubTestRoleArn(sample)])
      .toEqual([TOOLING_ROLE, GOVERNANCE_ROLE, TEST_ROLE]);
    expect(roleNamed(toolingTemplate, 'GitHubActionRole').role).toBeDefined();
    expect(roleNamed(toolingTemplate, 'GitHubIntegrationTestRole').role).toBeDefined();
    expect(roleNamed(governanceTemplate, 'GitHubGovernanceRole').role).toBeDefined();
    toolingTemplate.hasResourceProperties('AWS::IAM::OIDCProvider', {
      Url: 'https://token.actions.githubusercontent.com', ClientIdList: ['sts.amazonaws.com'],
    });
    governanceTemplate.resourceCountIs('AWS::IAM::OIDCProvider', 1);
  });

  test('the tooling role trusts GitHub tokens for sts.amazonaws.com from the branch and each environment of this repository', () => {
    const [statement] = trust(toolingTemplate, 'GitHubActionRole');
    expect(statement.Condition).toEqual({
      StringEquals: {
        'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
        'token.actions.githubusercontent.com:sub': [
          'repo:test-org/platform:ref:refs/heads/main',
          'repo:test-org/platform:environment:dev',
          'repo:test-org/platform:environment:prod',
        ],
      },
    });
    expect(admits(toolingTemplate, 'GitHubActionRole', { sub: 'repo:test-org/platform:environment:prod' })).toBe(true);
    expect(admits(toolingTemplate, 'GitHubActionRole', { sub: 'repo:test-org/platform:ref:refs/heads/feature' })).toBe(false);
    expect(admits(toolingTemplate, 'GitHubActionRole', { sub: 'repo:test-org/platform:pull_request' })).toBe(false);
    expect(admits(toolingTemplate, 'GitHubActionRole', { sub: 'repo:other-org/platform:ref:refs/heads/main' })).toBe(false);
    expect(admits(toolingTemplate, 'GitHubActionRole', { sub: 'repo:test-org/platform:environment:governance' })).toBe(false);
    expect(admits(toolingTemplate, 'GitHubActionRole', { sub: 'repo:test-org/platform:ref:refs/heads/main', aud: 'https://github.com/test-org' })).toBe(false);
  });

  test('the governance role trusts only the governance environment', () => {
    expect(trust(governanceTemplate, 'GitHubGovernanceRole')).toEqual([expect.objectContaining({
      Condition: {
        StringEquals: {
          'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
          'token.actions.githubusercontent.com:sub': ['repo:test-org/platform:environment:governance'],
        },
      },
    })]);
    expect(admits(governanceTemplate, 'GitHubGovernanceRole', { sub: 'repo:test-org/platform:environment:governance' })).toBe(true);
    for (const sub of ['ref:refs/heads/main', 'environment:prod', 'environment:dev', 'environment:prod-approval']) {
      expect(admits(governanceTemplate, 'GitHubGovernanceRole', { sub: `repo:test-org/platform:${sub}` })).toBe(false);
    }
  });

  test('the workflow roles may only assume the CDK deploy and file-publishing roles of their targets', () => {
    const bootstrapRoles = (account: string, regions: string[]) => regions.flatMap(r => [
      `arn:\${AWS::Partition}:iam::${account}:role/cdk-hnb659fds-deploy-role-${account}-${r}`,
      `arn:\${AWS::Partition}:iam::${account}:role/cdk-hnb659fds-file-publishing-role-${account}-${r}`,
    ]);
    expect(permissionsOf(toolingTemplate, 'GitHubActionRole')).toEqual([{
      actions: ['sts:AssumeRole'],
      resources: [...bootstrapRoles('100000000004', ['eu-west-1']), ...bootstrapRoles('100000000005', ['eu-west-1', 'eu-central-1'])],
    }]);
    // The governance stage: management account (home region; us-east-1 for the cost baseline) and the security account.
    expect(permissionsOf(governanceTemplate, 'GitHubGovernanceRole')).toEqual([{
      actions: ['sts:AssumeRole'],
      resources: [...bootstrapRoles('100000000000', ['eu-west-1', 'us-east-1']), ...bootstrapRoles('100000000002', ['eu-west-1'])],
    }]);
  });

  test('the governance review role trusts only the pipeline\'s branch and may only create, describe and delete governance change sets', () => {
    expect(admits(governanceTemplate, 'GitHubGovernanceReviewRole', { sub: 'repo:test-org/platform:ref:refs/heads/main' })).toBe(true);
    for (const sub of ['ref:refs/heads/feature', 'pull_request', 'environment:governance', 'environment:prod']) {
      expect(admits(governanceTemplate, 'GitHubGovernanceReviewRole', { sub: `repo:test-org/platform:${sub}` })).toBe(false);
    }
    const changeSets = ['cloudformation:DescribeStacks', 'cloudformation:CreateChangeSet', 'cloudformation:DescribeChangeSet', 'cloudformation:DeleteChangeSet'];
    const stacks = (account: string, regions: string[]) =>
      regions.map(r => `arn:\${AWS::Partition}:cloudformation:${r}:${account}:stack/Governance-*/*`);
    const bootstrapVersion = (account: string, regions: string[]) =>
      regions.map(r => `arn:\${AWS::Partition}:ssm:${r}:${account}:parameter/cdk-bootstrap/hnb659fds/version`);
    expect(permissionsOf(governanceTemplate, 'GitHubGovernanceReviewRole')).toEqual([
      { actions: changeSets, resources: stacks('100000000000', ['eu-west-1', 'us-east-1']) },
      { actions: ['ssm:GetParameters'], resources: bootstrapVersion('100000000000', ['eu-west-1', 'us-east-1']) },
      // The security account's review role, never a CDK bootstrap role (those deploy).
      { actions: ['sts:AssumeRole'], resources: ['arn:${AWS::Partition}:iam::100000000002:role/GitHubGovernanceReviewRole'] },
    ]);
    // The security account: a review role of the same name, assumed only by the management account's, with the same rights there.
    expect([securityReview.account, securityReview.stackName, others.length]).toEqual(['100000000002', 'GitHubOidc-GovernanceReview-100000000002', 0]);
    expect(trust(securityReviewTemplate, 'GitHubGovernanceReviewRole')).toEqual([{
      Effect: 'Allow',
      Action: 'sts:AssumeRole',
      Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::100000000000:role/GitHubGovernanceReviewRole']] } },
    }]);
    expect(permissionsOf(securityReviewTemplate, 'GitHubGovernanceReviewRole')).toEqual([
      { actions: changeSets, resources: stacks('100000000002', ['eu-west-1']) },
      { actions: ['ssm:GetParameters'], resources: bootstrapVersion('100000000002', ['eu-west-1']) },
    ]);
    const everything = JSON.stringify([governanceTemplate.toJSON(), securityReviewTemplate.toJSON()]);
    for (const action of ['cloudformation:ExecuteChangeSet', 'iam:PassRole', 'cloudformation:UpdateStack']) expect(everything).not.toContain(action);
  });

  test('the test role may only call pre-production APIs and read through the environments\' observer roles, from the branch', () => {
    expect(permissionsOf(toolingTemplate, 'GitHubIntegrationTestRole')).toEqual([
      { actions: ['execute-api:Invoke'], resources: ['arn:${AWS::Partition}:execute-api:eu-west-1:100000000004:*/dev/*'] },
      {
        actions: ['sts:AssumeRole'],
        resources: [
          'arn:${AWS::Partition}:iam::100000000004:role/platform-pipeline-observer',
          'arn:${AWS::Partition}:iam::100000000005:role/platform-pipeline-observer',
        ],
      },
    ]);
    expect(admits(toolingTemplate, 'GitHubIntegrationTestRole', { sub: 'repo:test-org/platform:ref:refs/heads/main' })).toBe(true);
    expect(admits(toolingTemplate, 'GitHubIntegrationTestRole', { sub: 'repo:test-org/platform:environment:prod' })).toBe(false);
  });

  test('pass the policy validation (cdk-nag packs, cfn-guard Control Tower rules) with every finding fixed or acknowledged', () => {
    const app = new cdk.App();
    // Results cached by content: a cached finding is reported again.
    addPolicyValidation(app, CACHED_VALIDATION);
    gitHubOidcStacks(app, sample);
    // Validation plugins (cdk-nag, cfn-guard) run inside synth and throw on any unacknowledged error.
    expect(() => app.synth()).not.toThrow();
  });
});
