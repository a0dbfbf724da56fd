import * as fs from 'node:fs';
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildBundles, buildPlatform } from '../../main';
import { loadServices } from '../../services';
import { loadSample, REPO_ROOT } from '../fixtures/organization';

// A copy of the fixture services inside the repository (gitignored), at the
// same depth, so their relative imports and node_modules still resolve.
const work = path.join(REPO_ROOT, '.build', `incremental-${process.pid}`);
const servicesDir = path.join(work, 'services');
const organization = loadSample(d => { d.pipeline.waves = ['foundation', 'core']; });

/** Synthesizes the copy and returns each stack's template, by stack id. */
function synthTemplates(): Record<string, string> {
  const services = loadServices({ servicesDir, organization });
  const app = new cdk.App();
  // No policy validation: this test reads templates only.
  const stacks = buildPlatform(app, { organization, services, ...buildBundles(services, path.join(work, 'bundles')), policyValidation: false });
  return Object.fromEntries(stacks.map(s => [s.node.id, JSON.stringify(Template.fromStack(s).toJSON())]));
}

beforeAll(() => fs.cpSync(path.join(__dirname, '..', 'fixtures', 'services'), servicesDir, { recursive: true }));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

test('a change to one service leaves every other service\'s templates identical, so only it redeploys', () => {
  const before = synthTemplates();
  expect(synthTemplates()).toEqual(before); // deterministic: same sources, same templates

  const handler = path.join(servicesDir, 'orders', 'src', 'create-order.ts');
  fs.appendFileSync(handler, '\nexport const apiVersion = 2;\n');
  const after = synthTemplates();

  const changed = Object.keys(before).filter(id => before[id] !== after[id]).sort();
  expect(changed).toEqual(['orders-dev-eu-west-1', 'orders-prod-eu-central-1', 'orders-prod-eu-west-1']);
  // What changed in orders is the code asset of the edited function; the hook's is the same.
  type Resources = Record<string, { Type: string; Properties: { Code?: { S3Key?: string } } }>;
  const codeKey = (template: string, prefix: string) => Object.entries(JSON.parse(template).Resources as Resources)
    .find(([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith(prefix))![1].Properties.Code?.S3Key;
  expect(codeKey(after['orders-dev-eu-west-1'], 'PreTrafficHook')).toBe(codeKey(before['orders-dev-eu-west-1'], 'PreTrafficHook'));
  expect(codeKey(after['orders-dev-eu-west-1'], 'FncreateOrder')).not.toBe(codeKey(before['orders-dev-eu-west-1'], 'FncreateOrder'));
});
