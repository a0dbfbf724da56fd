import { parse } from 'yaml';
import { ACTION_PINS, GENERATED_WORKFLOW_HEADER, hardenWorkflowYaml } from '../../pipeline';
import { NODE_VERSION } from '../../pipeline/runtime-versions';
import { ASSEMBLIES, sharedAssembly } from '../fixtures/assembly';

interface Step { readonly name?: string; readonly uses?: string; readonly run?: string; readonly with?: Record<string, unknown> }
interface Job {
  readonly needs?: string[];
  readonly env?: Record<string, string>;
  readonly outputs?: Record<string, string>;
  readonly environment?: string;
  readonly permissions?: Record<string, string>;
  readonly concurrency?: unknown;
  readonly steps: Step[];
}
interface Workflow {
  readonly name: string;
  readonly permissions?: Record<string, string>;
  readonly concurrency?: { readonly 'group': string; readonly 'cancel-in-progress': boolean };
  readonly jobs: Record<string, Job>;
}

/** The workflows the github engine generates (not the team's own), by topology and file: the fixture services' and the shipped app's. */
const topologies = {
  'single': sharedAssembly(ASSEMBLIES.fixtureGitHub).workflows,
  'single (shipped services)': sharedAssembly(ASSEMBLIES.shippedGitHub).workflows,
  'per-service': sharedAssembly(ASSEMBLIES.fixtureGitHubPerService).workflows,
};
const generated = Object.entries(topologies).flatMap(([topology, files]) => Object.entries(files)
  .filter(([, text]) => text.startsWith(GENERATED_WORKFLOW_HEADER))
  .map(([file, text]) => ({ topology, file, text, workflow: parse(text) as Workflow })));
const jobsOf = (workflow: Workflow) => Object.entries(workflow.jobs);
const AWS_CREDENTIALS = 'aws-actions/configure-aws-credentials@';

test('every topology generates workflows to check: single, and per service with a platform workflow', () => {
  expect(generated.map(g => `${g.topology}: ${g.file}`)).toEqual([
    'single: deploy.yml',
    'single (shipped services): deploy.yml',
    'per-service: platform.yml',
    'per-service: services-catalog.yml',
    'per-service: services-orders.yml',
  ]);
});

describe.each(generated.map(g => [`${g.topology}: ${g.file}`, g] as const))('%s', (_, { text, workflow }) => {
  test('runs every action at a full commit SHA, its release tag beside it, as ACTION_PINS reviewed it', () => {
    const uses = text.split('\n').filter(line => /^\s*(- )?uses:/.test(line));
    expect(uses.length).toBeGreaterThan(0);
    for (const line of uses) {
      // eslint-disable-next-line security/detect-unsafe-regex -- distinct delimiters between the groups: linear; the input is our generated workflow
      const [, action, sha, tag] = /^\s*(?:- )?uses: ([\w.-]+\/[\w./-]+)@([0-9a-f]{40}) # (v[\d.]+)$/.exec(line) ?? [];
      expect({ line, pin: ACTION_PINS.find(p => p.action === action) }).toEqual({ line, pin: { action, sha, tag } });
    }
    // Not on a floating tag anywhere (the parsed value carries no comment).
    for (const [, job] of jobsOf(workflow)) {
      for (const step of job.steps.filter(s => s.uses)) expect(step.uses).toMatch(/@[0-9a-f]{40}$/);
    }
  });

  test('grants nothing at the top; each job contents: read at most, id-token: write only where it assumes an AWS role, '
    + 'security-events: write only where it uploads the scanners\' SARIF', () => {
    expect(workflow.permissions).toEqual({});
    let uploads = 0;
    for (const [id, job] of jobsOf(workflow)) {
      const assumesRole = job.steps.some(s => s.uses?.startsWith(AWS_CREDENTIALS));
      const uploadsSarif = job.steps.some(s => s.uses?.startsWith('github/codeql-action/upload-sarif@'));
      uploads += uploadsSarif ? 1 : 0;
      // An approval gate reads nothing: its job only waits for the environment's reviewers.
      const contents = job.environment?.endsWith('-approval') ? 'none' : 'read';
      expect({ id, permissions: job.permissions }).toEqual({
        id,
        permissions: {
          contents,
          ...(assumesRole ? { 'id-token': 'write' } : {}),
          ...(uploadsSarif ? { 'actions': 'read', 'security-events': 'write' } : {}),
        },
      });
    }
    // The build job, whatever it builds, uploads the scanners' reports, also when a scan failed it.
    expect(uploads).toBe(1);
    const upload = jobsOf(workflow).flatMap(([, job]) => job.steps).find(s => s.uses?.startsWith('github/codeql-action/upload-sarif@'))!;
    expect(upload).toMatchObject({ if: 'always()', with: { sarif_file: '.build/reports' } });
  });

  test('runs one delivery at a time: a newer run waits for the one deploying (never cancels it), whichever ref it runs from', () => {
    expect(workflow.concurrency).toEqual({ 'group': `${workflow.name}-main`, 'cancel-in-progress': false });
    // Job-level groups would not help: GitHub cancels all but the newest pending job of a group, so a wave's
    // deploy jobs sharing an environment's group would cancel one another.
    for (const [, job] of jobsOf(workflow)) expect(job.concurrency).toBeUndefined();
  });

  test('has no empty needs, env or outputs (actionlint rejects them)', () => {
    for (const [id, job] of jobsOf(workflow)) {
      for (const key of ['needs', 'env', 'outputs'] as const) {
        if (job[key] !== undefined) expect({ id, key, size: Object.keys(job[key]).length }).not.toMatchObject({ size: 0 });
      }
    }
  });

  test('sets up Node.js NODE_VERSION in every job that runs npm, before it does', () => {
    for (const [id, job] of jobsOf(workflow).filter(([, j]) => j.steps.some(s => /\bnp[mx] /.test(s.run ?? '')))) {
      const setup = job.steps.findIndex(s => s.uses?.startsWith('actions/setup-node@'));
      expect({ id, nodeVersion: job.steps[setup]?.with?.['node-version'] }).toEqual({ id, nodeVersion: String(NODE_VERSION) });
      expect(setup).toBeLessThan(job.steps.findIndex(s => /\bnp[mx] /.test(s.run ?? '')));
    }
  });
});

describe('hardenWorkflowYaml', () => {
  const [checkout, credentials] = ['actions/checkout', 'aws-actions/configure-aws-credentials'].map(a => ACTION_PINS.find(p => p.action === a)!);
  const rendered = (job: Record<string, unknown>) => [
    '# Generated by pipeline/github-engine.ts: test.',
    '',
    'name: deploy',
    'on:',
    '  push: {}',
    'jobs:',
    `  Job: ${JSON.stringify(job)}`,
    '',
  ].join('\n');

  test('pins a library step on an older major to the reviewed release, keeping the header', () => {
    const out = hardenWorkflowYaml(rendered({ name: 'x', permissions: { contents: 'read' }, needs: [], env: {}, steps: [{ uses: 'actions/checkout@v6' }] }));
    expect(out.startsWith('# Generated by pipeline/github-engine.ts: test.\n')).toBe(true);
    expect(out).toContain(`      - uses: ${checkout.action}@${checkout.sha} # ${checkout.tag}\n`);
    const job = (parse(out) as Workflow).jobs.Job;
    expect(job).not.toHaveProperty('needs');
    expect(job).not.toHaveProperty('env');
    expect(job.permissions).toEqual({ contents: 'read' });
  });

  test('grants id-token only to a job that assumes a role, whatever the library asked for', () => {
    const asked = { 'contents': 'read', 'id-token': 'write' };
    const withoutRole = parse(hardenWorkflowYaml(rendered({ permissions: asked, steps: [{ run: 'echo hi' }] }))) as Workflow;
    expect(withoutRole.jobs.Job.permissions).toEqual({ contents: 'read' });
    const withRole = parse(hardenWorkflowYaml(rendered({ permissions: { contents: 'read' }, steps: [{ uses: `${credentials.action}@v6` }] }))) as Workflow;
    expect(withRole.jobs.Job.permissions).toEqual({ 'contents': 'read', 'id-token': 'write' });
  });

  test('refuses an action without a pin, a newer major than pinned, another commit, and permissions beyond contents: read', () => {
    expect(() => hardenWorkflowYaml(rendered({ steps: [{ uses: 'someone/else@v1' }] })))
      .toThrow('workflow deploy, job Job: someone/else@v1 has no pin in ACTION_PINS (pipeline/github-engine.ts)');
    expect(() => hardenWorkflowYaml(rendered({ steps: [{ uses: 'actions/checkout@v99' }] })))
      .toThrow(`workflow deploy, job Job: cdk-pipelines-github now writes actions/checkout@v99, a newer major than the pinned actions/checkout ${checkout.tag}`);
    expect(() => hardenWorkflowYaml(rendered({ steps: [{ uses: `actions/checkout@${'0'.repeat(40)}` }] })))
      .toThrow(`is neither a release tag nor the pinned commit of actions/checkout ${checkout.tag}`);
    expect(() => hardenWorkflowYaml(rendered({ permissions: { contents: 'write' }, steps: [] })))
      .toThrow('workflow deploy, job Job: asks for permission contents: write');
    expect(() => hardenWorkflowYaml(rendered({ permissions: { packages: 'read' }, steps: [] })))
      .toThrow('workflow deploy, job Job: asks for permission packages: read');
  });
});
