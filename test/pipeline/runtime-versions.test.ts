import { Template } from 'aws-cdk-lib/assertions';
import { parse } from 'yaml';
import { NODE_VERSION } from '../../pipeline/runtime-versions';
import { ASSEMBLIES, sharedAssembly } from '../fixtures/assembly';

type BuildSpec = { phases?: { install?: { 'runtime-versions'?: { nodejs?: unknown } } } };
type Project = { Properties: { Environment: { Image: string }; Source: { BuildSpec?: string } } };

/** The CodeBuild projects of the CodePipeline engine's pipelines (service, platform and governance), as `cdk synth` builds them. */
function codeBuildProjects(): Project[] {
  const stacks = [ASSEMBLIES.fixture, ASSEMBLIES.fixturePerService].flatMap(request => sharedAssembly(request).assembly.stacks)
    .filter(stack => /Pipeline/.test(stack.stackName));
  return stacks.flatMap(stack => Object.values(Template.fromJSON(stack.template).findResources('AWS::CodeBuild::Project')) as Project[]);
}

test('the Node.js version is an LTS line in support (22 or 24)', () => {
  expect([22, 24]).toContain(NODE_VERSION);
});

test('every CodeBuild project that names a Node.js runtime names NODE_VERSION, on an image whose only Node.js runtimes are in support', () => {
  const projects = codeBuildProjects();
  // CDK Pipelines passes the asset project's long buildspec as a file of the assembly (`buildspec-*.yaml`): it names no runtime.
  const inline = projects.map(p => p.Properties.Source.BuildSpec).filter((spec): spec is string => spec?.startsWith('{') === true);
  const named = inline.map(spec => (JSON.parse(spec) as BuildSpec).phases?.install?.['runtime-versions']?.nodejs).filter(v => v !== undefined);
  // The builds and the test steps (integration, end-to-end, bake and dependency checks) at least.
  expect(named.length).toBeGreaterThanOrEqual(4);
  expect(new Set(named)).toEqual(new Set([NODE_VERSION]));
  expect(new Set(projects.map(p => p.Properties.Environment.Image))).toEqual(new Set(['aws/codebuild/standard:8.0']));
});

test('every GitHub job that sets up Node.js sets up NODE_VERSION', () => {
  type Workflow = { jobs?: Record<string, { steps: Array<{ uses?: string; with?: Record<string, unknown> }> }> };
  const workflows = [ASSEMBLIES.fixtureGitHub, ASSEMBLIES.fixtureGitHubPerService]
    .flatMap(request => Object.values(sharedAssembly(request).workflows))
    // The team's own workflows beside the generated ones may hold only comments.
    .map(text => (parse(text) ?? {}) as Workflow);
  const versions = workflows.flatMap(workflow => Object.values(workflow.jobs ?? {}))
    .flatMap(job => job.steps.filter(s => s.uses?.startsWith('actions/setup-node@')).map(s => s.with?.['node-version']));
  expect(versions.length).toBeGreaterThan(0);
  expect(new Set(versions)).toEqual(new Set([String(NODE_VERSION)]));
});
