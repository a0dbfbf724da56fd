import type { CloudFormationStackArtifact } from 'aws-cdk-lib/cx-api';
import type { Organization } from '../../../accounts';
import {
  AccountKind,
  accountKindOf,
  allowsAction,
  bootstrapTargets,
  executionPolicyDocument,
  requiredActionOf,
} from '../../../accounts/bootstrap';
import { ASSEMBLIES, fixtureOrganization, sharedAssembly } from '../../fixtures/assembly';
import { loadShippedOrganization } from '../../fixtures/organization';

/**
 * Reads the app as `cdk synth` builds it (its pipelines, with every stage
 * they deploy) and checks each template against the execution policy of the
 * account it deploys to: a stack that starts using a new service fails here,
 * not in the middle of a deployment.
 *
 * Each engine and topology on the fixture services (the GitHub engine adds
 * the OIDC stacks of the tooling and management accounts, the sharded
 * topology a platform pipeline and one pipeline per service), and the
 * shipped sample services in the github engine (the assembly
 * workflow-staleness renders, read here too): what they deploy is the same
 * in every engine. Fixed sets of services: what a service stack may hold
 * comes from the framework's features, which the fixture services use.
 */
describe('every stack the pipelines deploy is allowed by its account\'s execution policy', () => {
  const fixture = fixtureOrganization();
  const shipped = loadShippedOrganization();
  const apps: ReadonlyArray<{ organization: Organization; stacks: CloudFormationStackArtifact[] }> = [
    ...[ASSEMBLIES.fixture, ASSEMBLIES.fixtureGitHub, ASSEMBLIES.fixturePerService]
      .map(request => ({ organization: fixture, stacks: sharedAssembly(request).assembly.stacksRecursively })),
    { organization: shipped, stacks: sharedAssembly(ASSEMBLIES.shippedGitHub).assembly.stacksRecursively },
  ];
  const stacks = apps.flatMap(app => app.stacks.map(stack => ({ stack, organization: app.organization })));

  const kindsOf = (organization: Organization) => new Map<string, AccountKind>([
    [organization.managementAccount.id, 'management'],
    ...organization.accounts.map(a => [a.id, accountKindOf(a.role)] as [string, AccountKind]),
  ]);
  /** Resource types by account kind, each with a stack that uses it. */
  const typesByKind = new Map<AccountKind, Map<string, string>>();
  for (const { stack, organization } of stacks) {
    const kind = kindsOf(organization).get(stack.environment.account);
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
    const bootstrappedBy = (organization: Organization) => new Set(bootstrapTargets(organization).flatMap(t => t.regions.map(r => `${t.accountId}/${r}`)));
    const missing = stacks.filter(({ stack: s, organization }) => !bootstrappedBy(organization).has(`${s.environment.account}/${s.environment.region}`))
      .map(({ stack: s }) => `${s.stackName} (${s.environment.account}/${s.environment.region})`);
    expect(stacks.length).toBeGreaterThan(40);
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
