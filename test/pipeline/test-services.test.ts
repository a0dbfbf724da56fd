import * as path from 'node:path';
import { parseServices, scopedTsconfig } from '../../pipeline/test-services';
import { REPO_ROOT } from '../fixtures/organization';

const servicesDir = path.join(REPO_ROOT, 'services');

describe('test:services (a service pipeline\'s tests)', () => {
  test('takes service folders only, naming the ones there are', () => {
    expect(parseServices(['payments', 'ledger', 'payments'], servicesDir)).toEqual(['ledger', 'payments']);
    expect(() => parseServices(['runtime'], servicesDir))
      .toThrow('test:services: "runtime" is not a service (no services/runtime/service.ts); allowed: ledger, notifications, payments');
    expect(() => parseServices([], servicesDir)).toThrow('test:services: name at least one service, e.g. npx projen test:services -- payments');
  });

  test('type-checks the app and the post-deploy suites with those services\' folders, not the other services', () => {
    expect(scopedTsconfig(['payments'])).toEqual({
      extends: '../tsconfig.dev.json',
      files: ['../main.ts', '../test/integration/smoke.ts', '../test/e2e/payment-flow.ts', '../test/e2e/load.ts'],
      include: ['../services/payments/**/*.ts'],
    });
  });
});
