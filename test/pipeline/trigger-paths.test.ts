import { repositoryLayout } from '../../main';
import { frameworkPaths, matchesGlob, platformTriggerPaths, serviceTriggerPaths } from '../../pipeline';

// Derived from this repository's folders, as the pipelines are.
const layout = repositoryLayout();
const shipped = ['ledger', 'notifications', 'payments'];

/** The service pipelines (by service) a push changing `files` starts. */
function started(files: readonly string[]): string[] {
  return shipped.filter(service => files.some(f => serviceTriggerPaths(layout, [service]).some(glob => matchesGlob(f, glob))));
}
const startsPlatform = (file: string) => platformTriggerPaths(layout).some(glob => matchesGlob(file, glob));

describe('trigger paths', () => {
  test('are derived from the folder layout: code folders have an index.ts, framework folders of services/ have no manifest', () => {
    expect(layout).toEqual({
      codeFolders: ['accounts', 'governance', 'kit', 'pipeline', 'plan', 'services'],
      servicesFolder: 'services',
      frameworkServiceFolders: ['edge', 'hooks', 'local', 'runtime', 'scaffold'],
      governanceFolder: 'governance',
    });
    expect(frameworkPaths(layout)).toEqual([
      'accounts/**', 'kit/**', 'pipeline/**', 'services/*.ts', 'services/edge/**', 'services/hooks/**', 'services/runtime/**',
      'main.ts', 'package.json', 'package-lock.json', '.projenrc.ts', 'cdk.json', 'test/integration/**', 'test/e2e/**',
    ]);
  });

  test('a commit inside services/x/ starts only x\'s pipeline', () => {
    expect(started(['services/payments/src/create-payment.ts'])).toEqual(['payments']);
    expect(started(['services/ledger/api.yaml', 'services/ledger/test/get-balances.test.ts'])).toEqual(['ledger']);
    expect(started(['services/payments/service.ts', 'services/notifications/src/notification.ts'])).toEqual(['notifications', 'payments']);
  });

  test('a change to the framework, the models, accounts/, the lock files or .projenrc.ts starts every service pipeline', () => {
    for (const file of [
      'services/service-stack.ts', 'services/runtime/http.ts', 'services/hooks/pre-traffic-hook.ts', 'kit/nag.ts', 'pipeline/bake-check.sh',
      'accounts/accounts.lock.json', 'accounts/organization.ts', 'package-lock.json', '.projenrc.ts', 'main.ts', 'cdk.json',
      'test/e2e/payment-flow.ts', 'test/integration/smoke.ts',
    ]) {
      expect([file, started([file])]).toEqual([file, shipped]);
    }
  });

  test('governance code, unit tests, documentation, the plan\'s renderer and the developers\' tools (scaffolder, local stage) start no service pipeline', () => {
    for (const file of [
      'governance/guardrails.ts', 'test/pipeline/topology.test.ts', 'README.md', 'docs/runbooks/x.md', 'docs/platform.md', 'plan/platform-plan.ts',
      'services/local/gateway.ts', 'services/scaffold/new-service.ts',
    ]) {
      expect([file, started([file])]).toEqual([file, []]);
    }
  });

  test('the platform pipeline starts on the framework, governance, any test and any manifest (a service added or removed), not on handler code', () => {
    for (const file of [
      'services/service-stack.ts', 'governance/guardrails.ts', 'test/pipeline/topology.test.ts', 'services/fx-rates/service.ts', 'package-lock.json',
      'services/local/stage.ts', 'services/scaffold/new-service.ts', 'plan/platform-plan.ts',
    ]) {
      expect([file, startsPlatform(file)]).toEqual([file, true]);
    }
    for (const file of ['services/payments/src/create-payment.ts', 'services/payments/api.yaml', 'README.md']) {
      expect([file, startsPlatform(file)]).toEqual([file, false]);
    }
  });

  test('globs: * stays within a folder, ** crosses folders and matches the folder\'s own files', () => {
    expect(matchesGlob('services/service-stack.ts', 'services/*.ts')).toBe(true);
    expect(matchesGlob('services/payments/service.ts', 'services/*.ts')).toBe(false);
    expect(matchesGlob('kit/nag.ts', 'kit/**')).toBe(true);
    expect(matchesGlob('kit/deep/er/x.ts', 'kit/**')).toBe(true);
    expect(matchesGlob('kitchen/x.ts', 'kit/**')).toBe(false);
    expect(matchesGlob('xmain.ts', 'main.ts')).toBe(false);
    expect(matchesGlob('.projenrc.ts', '.projenrc.ts')).toBe(true);
  });
});
