import {
  AccountKind,
  accountKindOf,
  allowsAction,
  bootstrapTargets,
  executionPolicyDocument,
  requiredActionOf,
} from '../../../accounts/bootstrap';
import { sharedAssemblies } from '../../fixtures/assembly';
import { loadShippedOrganization } from '../../fixtures/organization';

/**
 * Reads the real app as `cdk synth` builds it (both pipelines, with every
 * stage they deploy) and checks each template against the execution policy
 * of the account it deploys to: a stack that starts using a new service
 * fails here, not in the middle of a deployment.
 */
describe('every stack the pipelines deploy is allowed by its account\'s execution policy', () => {
  const organization = loadShippedOrganization();
  // Both engines (the GitHub one adds the OIDC stacks of the tooling and management accounts),
  // and a sharded topology (the platform pipeline and one pipeline per service).
  const stacks = sharedAssemblies([
    { engine: 'codepipeline', topology: 'single', validation: true },
    { engine: 'github', topology: 'single', validation: true },
    { engine: 'codepipeline', topology: 'per-service', validation: true },
  ]).flatMap(app => app.assembly.stacksRecursively);

  const kindOfAccount = new Map<string, AccountKind>([
    [organization.managementAccount.id, 'management'],
    ...organization.accounts.map(a => [a.id, accountKindOf(a.role)] as [string, AccountKind]),
  ]);
  /** Resource types by account kind, each with a stack that uses it. */
  const typesByKind = new Map<AccountKind, Map<string, string>>();
  for (const stack of stacks) {
    const kind = kindOfAccount.get(stack.environment.account);
    if (!kind) throw new Error(`stack ${stack.stackName} deploys to ${stack.environment.account}, which is no account of the organization`);
    const types = typesByKind.get(kind) ?? new Map<string, string>();
    typesByKind.set(kind, types);
    const resources = (stack.template as { Resources?: Record<string, { Type: string }> }).Resources ?? {};
    for (const resource of Object.values(resources)) types.set(resource.Type, stack.stackName);
  }

  test('the app deploys to workload, tooling, management and security accounts', () => {
    expect([...typesByKind.keys()].sort()).toEqual(expect.arrayContaining(['management', 'tooling', 'workload']));
  });

  test('every stack deploys to an account and region the bootstrap command bootstraps', () => {
    const bootstrapped = new Set(bootstrapTargets(organization).flatMap(t => t.regions.map(r => `${t.accountId}/${r}`)));
    const missing = stacks.filter(s => !bootstrapped.has(`${s.environment.account}/${s.environment.region}`))
      .map(s => `${s.stackName} (${s.environment.account}/${s.environment.region})`);
    expect([...new Set(missing)]).toEqual([]);
  });

  test.each(['management', 'security', 'tooling', 'workload'] as const)('%s accounts', kind => {
    const policy = executionPolicyDocument(kind, '123456789012');
    const missing = [...(typesByKind.get(kind) ?? new Map<string, string>())]
      .filter(([type]) => { const action = requiredActionOf(type); return action !== undefined && !allowsAction(policy, action); })
      .map(([type, stack]) => `${type} (${requiredActionOf(type)}) in ${stack}`);
    expect(missing).toEqual([]);
  });
});
