import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { buildBundles, buildPipelines } from '../../main';
import { describePlan, planFromModels, workflowOrder } from '../../pipeline';
import { loadServices } from '../../services';
import { loadShippedOrganization, REPO_ROOT } from '../fixtures/organization';

const organization = loadShippedOrganization();
const services = loadServices({ servicesDir: path.join(REPO_ROOT, 'services'), organization });
const committed = path.join(REPO_ROOT, '.github', 'workflows', 'deploy.yml');

/** The deploy workflow the github engine renders for the shipped app. */
function renderWorkflow(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'workflow-'));
  const workflowPath = path.join(dir, '.github', 'workflows', 'deploy.yml');
  const app = new cdk.App({
    outdir: path.join(dir, 'cdk.out'),
    // The library's own diff protection compares against a committed file; this test does that itself.
    context: { 'pipeline:engine': 'github', 'cdk-pipelines-github:diffProtection': 'false' },
  });
  buildPipelines(app, { organization, services, ...buildBundles(services, path.join(dir, 'bundles')), workflowPath });
  app.synth();
  return fs.readFileSync(workflowPath, 'utf8');
}

test('the github engine renders the shipped app in the plan\'s order', () => {
  expect(workflowOrder(renderWorkflow())).toEqual(describePlan(planFromModels(organization, services)));
});

test('a deploy workflow is committed only while github is the declared engine, and then it is current', () => {
  if (organization.pipeline.engine === 'github') {
    // Stale after a change to services or the organization: run `npx cdk synth` and commit the file.
    expect(fs.readFileSync(committed, 'utf8')).toBe(renderWorkflow());
  } else {
    // CodePipeline deploys: a committed deploy workflow would deploy a second time, with other credentials.
    expect(fs.existsSync(committed)).toBe(false);
  }
});
