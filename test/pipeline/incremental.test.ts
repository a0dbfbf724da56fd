import * as fs from 'node:fs';
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { transformSync } from 'esbuild';
import { buildBundles, buildPlatform } from '../../main';
import { loadServices } from '../../services';
import { loadFixtureOrganization, REPO_ROOT } from '../fixtures/organization';

// A copy of the fixture services inside the repository (gitignored), at the
// same depth, so their relative imports and node_modules still resolve.
const work = path.join(REPO_ROOT, '.build', `incremental-${process.pid}`);
const servicesDir = path.join(work, 'services');
const organization = loadFixtureOrganization();

/** Synthesizes the copy and returns each stack's template, by stack id. */
function synthTemplates(): Record<string, string> {
  // Each synth reads the manifests afresh (a test edits one), as a new process would.
  const services = loadServices({ servicesDir, organization, loadManifest: file => freshDefaultExport(file) });
  const app = new cdk.App();
  // No policy validation: this test reads templates only.
  const stacks = buildPlatform(app, { organization, services, ...buildBundles(services, path.join(work, 'bundles')), policyValidation: false });
  return Object.fromEntries(stacks.map(s => [s.node.id, JSON.stringify(Template.fromStack(s).toJSON())]));
}

/**
 * The default export of a manifest, read from disk now: jest keeps the source
 * of every file it loaded for the whole test file, so an edited manifest is
 * transpiled here (esbuild) and evaluated, its own imports through jest.
 */
function freshDefaultExport(file: string): unknown {
  const { code } = transformSync(fs.readFileSync(file, 'utf8'), { loader: 'ts', format: 'cjs' });
  const module = { exports: {} as Record<string, unknown> };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const localRequire = (id: string): unknown => require(id.startsWith('.') ? path.resolve(path.dirname(file), id) : id);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  new Function('require', 'module', 'exports', code)(localRequire, module, module.exports);
  return module.exports.default;
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

test('moving a route off the monolith changes only the stacks of the service that takes it: not the edge, not the other services', () => {
  const before = synthTemplates();
  // orders takes over POST /orders (in the monolith's inventory): scopes in its manifest, the same in its contract.
  const edit = (file: string, from: string, to: string) => {
    const at = path.join(servicesDir, 'orders', file);
    const text = fs.readFileSync(at, 'utf8');
    if (!text.includes(from)) throw new Error(`${file} no longer holds ${from}`);
    fs.writeFileSync(at, text.replace(from, to));
  };
  edit('service.ts', "route: { method: 'POST', path: '/orders' },", "route: { method: 'POST', path: '/orders', scopes: ['orders/write'] },");
  edit('api.yaml', '    post:\n', '    post:\n      security: [{ sigv4: [] }, { merchant: [orders/write] }]\n');
  edit('api.yaml', 'components:\n', 'components:\n  securitySchemes:\n    sigv4: { type: apiKey, name: Authorization, in: header }\n'
    + '    merchant: { type: oauth2, flows: { clientCredentials: { tokenUrl: \'https://t.example/token\', scopes: { orders/write: create } } } }\n');
  const after = synthTemplates();

  const changed = Object.keys(before).filter(id => before[id] !== after[id]).sort();
  expect(changed).toEqual(['orders-dev-eu-west-1', 'orders-prod-eu-central-1', 'orders-prod-eu-west-1']);
  // The route itself, with its authorizer, now in orders' stacks.
  type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;
  const routes = (template: string) => Object.values(JSON.parse(template).Resources as Resources)
    .filter(r => r.Type === 'AWS::ApiGatewayV2::Route').map(r => r.Properties.RouteKey);
  expect(routes(before['orders-dev-eu-west-1'])).toEqual([]);
  expect(routes(after['orders-dev-eu-west-1'])).toEqual(['POST /orders']);
  // The edge keeps sending everything no service claims to the monolith.
  expect(routes(after['edge-dev-eu-west-1'])).toEqual(['ANY /{proxy+}', 'ANY /']);
});

test('flipping a feature flag changes only AppConfig resources of the owning service\'s stacks in that environment: no function, no code', () => {
  const before = synthTemplates();
  // orders' expressShipping: off (with targeting) in prod -> on for everyone in prod.
  const manifest = path.join(servicesDir, 'orders', 'service.ts');
  const from = "prod: { value: false, targeting: { merchants: ['merchant-1'], percent: 10 } } },";
  const text = fs.readFileSync(manifest, 'utf8');
  if (!text.includes(from)) throw new Error(`service.ts no longer holds ${from}`);
  fs.writeFileSync(manifest, text.replace(from, 'prod: true },'));
  const after = synthTemplates();

  const changed = Object.keys(before).filter(id => before[id] !== after[id]).sort();
  expect(changed).toEqual(['orders-prod-eu-central-1', 'orders-prod-eu-west-1']);
  type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  for (const id of changed) {
    const [old, now] = [before[id], after[id]].map(t => JSON.parse(t).Resources as Resources);
    const differing = [...new Set([...Object.keys(old), ...Object.keys(now)])]
      .filter(logicalId => JSON.stringify(old[logicalId]) !== JSON.stringify(now[logicalId]));
    // Only the hosted version's content: CloudFormation replaces the version (its content cannot be updated in place), and
    // the deployment, which names the version, with it: AppConfig rolls the new version out with the environment's strategy.
    expect(differing.map(logicalId => now[logicalId].Type)).toEqual(['AWS::AppConfig::HostedConfigurationVersion']);
    const hosted = now[differing[0]];
    expect(JSON.parse(hosted.Properties!.Content as string).values.expressShipping).toEqual({ enabled: true });
    const deployment = Object.values(now).find(r => r.Type === 'AWS::AppConfig::Deployment')!;
    expect(deployment.Properties!.ConfigurationVersion).toEqual({ Ref: differing[0] });
  }
});
