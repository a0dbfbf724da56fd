import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildBundles, buildPlatform } from '../../../main';
import { loadServices } from '../../../services';
import { createService, parseArguments } from '../../../services/scaffold/new-service';
import { loadSample, REPO_ROOT } from '../../fixtures/organization';
import { problemsOf } from '../../fixtures/problems';
import { CACHED_VALIDATION } from '../../fixtures/validation';

// Inside the repository (gitignored), so the generated code resolves node_modules.
const servicesDir = path.join(REPO_ROOT, '.build', `scaffold-test-${process.pid}`, 'services');
// The generated manifest imports ../service-model: give it the real one.
const organization = loadSample(d => { d.pipeline.waves = ['foundation', 'core']; });

// Before the describe blocks run createService (it loads the new manifest to write its flag accessors).
fs.mkdirSync(servicesDir, { recursive: true });
fs.writeFileSync(path.join(servicesDir, 'service-model.ts'), "export * from '../../../services/service-model';\n");
afterAll(() => fs.rmSync(path.dirname(servicesDir), { recursive: true, force: true }));


describe('new-service', () => {
  fs.mkdirSync(servicesDir, { recursive: true });
  const written = createService({ servicesDir, name: 'fx-rates', wave: 'core', waves: ['foundation', 'core'], environments: ['dev', 'prod'] });

  test('writes a manifest with an example flag, a handler reading it through its accessors, its test and its contract', () => {
    expect(written.sort()).toEqual([
      'services/fx-rates/api.yaml', 'services/fx-rates/service.ts', 'services/fx-rates/src/flags.generated.ts',
      'services/fx-rates/src/get-status.ts', 'services/fx-rates/test/get-status.test.ts',
    ]);
    const [service] = loadServices({ servicesDir, organization });
    expect(service.manifest.flags.statusDetails.environments).toEqual({ dev: true, prod: false });
    expect(service.warnings).toEqual([]);
    expect(fs.readFileSync(path.join(servicesDir, 'fx-rates', 'src', 'get-status.ts'), 'utf8')).toContain('await flags.statusDetails.for()');
  });

  test('the new folder passes the framework\'s validation, contract check included', () => {
    const services = loadServices({ servicesDir, organization });
    expect(services.map(s => [s.manifest.name, s.manifest.wave])).toEqual([['fx-rates', 'core']]);
  });

  test('the new service synthesizes in every environment with no cdk-nag error', () => {
    const services = loadServices({ servicesDir, organization });
    const app = new cdk.App();
    // Validation results are cached by content (a cached finding is reported again).
    const stacks = buildPlatform(app, {
      organization, services, ...buildBundles(services, path.join(path.dirname(servicesDir), 'bundles')), policyValidation: CACHED_VALIDATION,
    });
    expect(stacks.map(s => s.node.id)).toEqual(expect.arrayContaining(['fx-rates-dev-eu-west-1', 'fx-rates-prod-eu-west-1']));
    expect(() => app.synth()).not.toThrow();
    const prod = Template.fromStack(stacks.find(s => s.node.id === 'fx-rates-prod-eu-west-1')!);
    prod.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'GET', AuthorizationType: 'AWS_IAM' });
    prod.hasResourceProperties('AWS::AppConfig::Application', { Name: 'fx-rates' });
  });

  test('the generated test passes unchanged', () => {
    const testFile = path.join(servicesDir, 'fx-rates', 'test', 'get-status.test.ts');
    const jest = path.join(REPO_ROOT, 'node_modules', '.bin', 'jest');
    const result = spawnSync(jest, ['--ci', '--rootDir', REPO_ROOT, '--testMatch', testFile, '--testPathIgnorePatterns', '/node_modules/'], {
      cwd: REPO_ROOT, encoding: 'utf8',
    });
    expect(result.stderr).toMatch(/Tests:\s+1 passed, 1 total/);
    expect(result.status).toBe(0);
  }, 60_000);

  test('refuses a name that is taken', () => {
    expect(problemsOf(() => createService({ servicesDir, name: 'fx-rates', wave: 'core', waves: ['core'], environments: ['dev', 'prod'] }))).toEqual([
      'new-service: name "fx-rates" is taken: services/fx-rates already exists; allowed: a name no folder under services/ has',
    ]);
  });

  test('refuses an invalid name and an unknown wave, together', () => {
    expect(problemsOf(() => createService({ servicesDir, name: 'FX_rates', wave: 'edge', waves: ['foundation', 'core'], environments: ['dev', 'prod'] }))).toEqual([
      'new-service: name "FX_rates" is not a valid service name; allowed: 1-30 lowercase letters, digits or hyphens, starting with a letter',
      'new-service: --wave "edge" is not declared in accounts/organization.ts (pipeline.waves); allowed: foundation, core',
    ]);
    expect(fs.existsSync(path.join(servicesDir, 'FX_rates'))).toBe(false);
  });
});

describe('parseArguments', () => {
  test('reads a name and a wave', () => {
    expect(parseArguments(['fx-rates', '--wave', 'core'])).toEqual({ name: 'fx-rates', wave: 'core', help: false });
    expect(parseArguments(['--wave=core', 'fx-rates'])).toEqual({ name: 'fx-rates', wave: 'core', help: false });
    // As `npx projen new-service -- fx-rates --help` passes them on.
    expect(parseArguments(['--', 'fx-rates', '--help'])).toEqual({ name: 'fx-rates', help: true });
  });

  test('refuses unknown options and extra names', () => {
    expect(problemsOf(() => parseArguments(['fx-rates', '--force']))).toEqual([
      'new-service: option "--force" is unknown; allowed: --wave <wave>, --help',
    ]);
    expect(problemsOf(() => parseArguments(['a', 'b']))).toEqual(['new-service: got 2 names (a, b); allowed: exactly one']);
  });
});
