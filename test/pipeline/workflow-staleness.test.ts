import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { runWithFakeAws } from './fake-aws';
import { describePlan, GENERATED_WORKFLOW_HEADER, planFromModels, workflowOrder } from '../../pipeline';
import { loadServices } from '../../services';
import { ASSEMBLIES, sharedAssembly } from '../fixtures/assembly';
import { loadShippedOrganization, REPO_ROOT } from '../fixtures/organization';

const organization = loadShippedOrganization();
const committed = path.join(REPO_ROOT, '.github', 'workflows', 'deploy.yml');

/**
 * Every workflow file the github engine writes for the shipped organization and its sample services, by name
 * (`cdk synth -c pipeline:engine=github`, with only those services: the suite costs the same however many a platform adds).
 */
const shippedGitHub = sharedAssembly(ASSEMBLIES.shippedGitHub);
const renderedFiles = shippedGitHub.workflows;
const services = loadServices({ servicesDir: path.join(REPO_ROOT, 'services'), organization }).filter(s => shippedGitHub.deployed.includes(s.manifest.name));
/** The deploy workflow among them. */
const rendered = renderedFiles[path.basename(committed)];
type Job = { needs?: string[]; env?: Record<string, string>; steps?: Array<{ run?: string; with?: Record<string, unknown> }> };
const jobs = (parse(rendered) as { jobs: Record<string, Job> }).jobs;
const jobRunning = (command: string) => Object.entries(jobs).filter(([, j]) => j.steps?.some(s => s.run?.includes(command)));

test('the github engine renders the shipped app in the plan\'s order', () => {
  expect(workflowOrder(rendered)).toEqual(describePlan(planFromModels(organization, services)));
});

test('staging runs the end-to-end suite and the load test, after its last wave, with the APIs found in SSM', () => {
  const [[id, job]] = jobRunning('npx tsx test/e2e/payment-flow.ts');
  expect(job.needs).toContain('payments-staging-eu-west-1-Deploy');
  expect(job.steps!.some(s => s.run === 'npx tsx test/e2e/load.ts')).toBe(true);
  const find = job.steps!.find(s => s.run?.includes('aws ssm get-parameter'))!.run!;
  for (const service of ['LEDGER', 'NOTIFICATIONS', 'PAYMENTS']) expect(find).toContain(`${service}_API_URL=`);
  expect(find).toContain('arn:aws:iam::777777777777:role/platform-pipeline-observer');
  // Run as GitHub runs it (against a fake AWS CLI): the URLs reach the next steps through $GITHUB_ENV.
  const githubEnv = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'github-env-')), 'env');
  const found = runWithFakeAws(find, { GITHUB_ENV: githubEnv });
  expect(found.status).toBe(0);
  expect(fs.readFileSync(githubEnv, 'utf8').trim().split('\n').sort()).toEqual([
    'LEDGER_API_URL=https://ledger.example/staging', 'NOTIFICATIONS_API_URL=https://notifications.example/staging',
    'PAYMENTS_API_URL=https://payments.example/staging',
  ]);
  expect(job.env).toMatchObject({ LOAD_MAX_P99_MS: '1000', LOAD_MAX_ERROR_RATE: '0.01' });
  expect(id).toMatch(/staging/);
});

test('each production wave is followed by a bake-time check of its stacks\' alarms', () => {
  const bakes = jobRunning('bash pipeline/bake-check.sh').map(([, j]) => j);
  expect(bakes.map(j => j.env?.ALARM_PREFIXES)).toEqual([
    'ledger-prod-eu-west-1- ledger-prod-eu-central-1- notifications-prod-eu-west-1- notifications-prod-eu-central-1-',
    'payments-prod-eu-west-1- payments-prod-eu-central-1-',
  ]);
  expect(bakes[1].needs).toEqual(expect.arrayContaining(['payments-prod-eu-west-1-Deploy', 'payments-prod-eu-central-1-Deploy']));
  expect(bakes[0].env).toMatchObject({ BAKE_MINUTES: '10', TARGET_ACCOUNT: '888888888888' });
});

test('generated workflows are committed only while github is the declared engine, and then they are all current', () => {
  const committedDir = path.dirname(committed);
  const generated = fs.existsSync(committedDir)
    ? fs.readdirSync(committedDir).filter(f => fs.readFileSync(path.join(committedDir, f), 'utf8').startsWith(GENERATED_WORKFLOW_HEADER)).sort()
    : [];
  if (organization.pipeline.engine === 'github') {
    // Stale after a change to services or the organization: run `npx cdk synth` and commit the files.
    // Rendered with every service (CI's `npx projen synth` then finds nothing to change either).
    const everyService = sharedAssembly({ engine: 'github', topology: 'single' }).workflows;
    expect(generated).toEqual(Object.keys(everyService).sort());
    for (const file of generated) expect(fs.readFileSync(path.join(committedDir, file), 'utf8')).toBe(everyService[file]);
  } else {
    // CodePipeline deploys: a committed deploy workflow would deploy a second time, with other credentials.
    expect(generated).toEqual([]);
  }
});
