import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { DeliveryPlanInput, describePlan, planDelivery, planFromModels, PlanServiceInput, selectedEngine } from '../../pipeline';
import { loadServices } from '../../services';
import { loadShippedOrganization, REPO_ROOT } from '../fixtures/organization';
import { problemsOf } from '../fixtures/problems';

const svc = (name: string, wave: string, dependsOn: string[] = [], extra: Partial<PlanServiceInput> = {}): PlanServiceInput =>
  ({ name, wave, dependsOn, hasApi: true, ...extra });

function input(services: PlanServiceInput[]): DeliveryPlanInput {
  return {
    environments: [
      { name: 'dev', accountId: '100000000004', regions: ['eu-west-1'], manualApproval: false, production: false },
      { name: 'staging', accountId: '100000000006', regions: ['eu-west-1'], manualApproval: false, production: false },
      { name: 'prod', accountId: '100000000005', regions: ['eu-west-1', 'eu-central-1'], manualApproval: true, production: true },
    ],
    waves: ['foundation', 'core', 'edge'],
    services,
    governance: { accountId: '100000000000', region: 'eu-west-1' },
  };
}

describe('the delivery plan', () => {
  test('goes governance first, then environments in promotion order, waves ascending, approval before prod', () => {
    const plan = planDelivery(input([svc('payments', 'core', ['ledger']), svc('ledger', 'foundation'), svc('audit', 'foundation'), svc('web', 'edge', ['payments'])]));
    expect(describePlan(plan)).toEqual([
      'governance@100000000000/eu-west-1',
      'dev: audit, ledger', 'dev: payments', 'dev: web',
      'staging: audit, ledger', 'staging: payments', 'staging: web',
      'approve prod',
      'prod: audit, ledger', 'prod: payments', 'prod: web',
    ]);
    expect(plan.environments.map(e => [e.name, e.approvalBefore, e.production])).toEqual([
      ['dev', false, false], ['staging', false, false], ['prod', true, true],
    ]);
  });

  test('leaves out empty waves and environments a service does not deploy to', () => {
    const plan = planDelivery(input([svc('ledger', 'foundation'), svc('beta', 'edge', [], { environments: ['dev'] })]));
    expect(describePlan(plan)).toEqual([
      'governance@100000000000/eu-west-1', 'dev: ledger', 'dev: beta', 'staging: ledger', 'approve prod', 'prod: ledger',
    ]);
  });

  test('of the shipped organization and services', () => {
    const organization = loadShippedOrganization();
    const services = loadServices({ servicesDir: path.join(REPO_ROOT, 'services'), organization });
    expect(describePlan(planFromModels(organization, services))).toEqual([
      'governance@111111111111/eu-west-1',
      'edge dev', 'dev: ledger, notifications', 'dev: payments',
      'edge staging', 'staging: ledger, notifications', 'staging: payments',
      'approve prod',
      'edge prod', 'prod: ledger, notifications', 'prod: payments',
    ]);
  });
});

describe('the delivery plan refuses', () => {
  test('a dependency cycle', () => {
    expect(problemsOf(() => planDelivery(input([svc('a', 'core', ['b']), svc('b', 'core', ['a'])])))).toContain(
      'services/a/service.ts: dependsOn forms a cycle a -> b -> a; no order can deploy it');
  });

  test('a dependency in a later wave', () => {
    expect(problemsOf(() => planDelivery(input([svc('payments', 'foundation', ['ledger']), svc('ledger', 'core')])))).toEqual([
      'services/payments/service.ts: dependsOn "ledger" deploys in wave "core", not before this service\'s wave "foundation"; '
      + 'services of one wave deploy in parallel, so a dependency must be in an earlier wave',
    ]);
  });

  test('a dependency in the same wave (it would deploy in parallel)', () => {
    expect(problemsOf(() => planDelivery(input([svc('payments', 'core', ['ledger']), svc('ledger', 'core')])))).toEqual([
      'services/payments/service.ts: dependsOn "ledger" deploys in wave "core", not before this service\'s wave "core"; '
      + 'services of one wave deploy in parallel, so a dependency must be in an earlier wave',
    ]);
  });

  test('an unknown environment', () => {
    expect(problemsOf(() => planDelivery(input([svc('ledger', 'core', [], { environments: ['dev', 'qa'] })])))).toEqual([
      'services/ledger/service.ts: environments has "qa", which is not an environment; allowed: dev, staging, prod',
    ]);
  });

  test('an unknown wave and an unknown dependency', () => {
    expect(problemsOf(() => planDelivery(input([svc('ledger', 'backbone', ['fx'])])))).toEqual([
      'services/ledger/service.ts: wave "backbone" is not a planned wave; allowed: foundation, core, edge',
      'services/ledger/service.ts: dependsOn "fx" is not a service of the plan; allowed: (none)',
    ]);
  });

  test('a dependency missing from an environment its dependent deploys to', () => {
    expect(problemsOf(() => planDelivery(input([
      svc('payments', 'core', ['ledger']), svc('ledger', 'foundation', [], { environments: ['dev'] }),
    ])))).toEqual([
      'services/payments/service.ts: dependsOn "ledger", which does not deploy to staging, prod; deploy it there too or drop those environments',
    ]);
  });
});

describe('engine selection', () => {
  test('takes the declared engine, or the CDK context override, and refuses anything else', () => {
    const organization = loadShippedOrganization();
    expect(selectedEngine(new cdk.App(), organization)).toBe('codepipeline');
    expect(selectedEngine(new cdk.App({ context: { 'pipeline:engine': 'github' } }), organization)).toBe('github');
    expect(problemsOf(() => selectedEngine(new cdk.App({ context: { 'pipeline:engine': 'jenkins' } }), organization))).toEqual([
      'CDK context pipeline:engine "jenkins" is not an engine; allowed: codepipeline, github',
    ]);
  });
});
