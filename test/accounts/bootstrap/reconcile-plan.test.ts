import { OrganizationDeclaration, OrganizationDeclarationSchema, parseWith } from '../../../accounts';
import { computePlan, describeChange, lockDrift, NO_ORGANIZATION, OrganizationState, planText } from '../../../accounts/bootstrap';
import { sampleDeclaration, sampleLock } from '../../fixtures/organization';

function declaration(): OrganizationDeclaration {
  return parseWith(OrganizationDeclarationSchema, sampleDeclaration(), 'test declaration');
}

/** The organization exactly as the sample declaration and lock describe it. */
function matchingState(): OrganizationState {
  const lock = sampleLock();
  const ou = (path: string, name: string, parentId: string) => ({ id: lock.organizationalUnits[path], name, parentId, path });
  const units = [
    ou('Security', 'Security', 'r-test'), ou('Infrastructure', 'Infrastructure', 'r-test'), ou('Workloads', 'Workloads', 'r-test'),
    ou('Workloads/Dev', 'Dev', lock.organizationalUnits.Workloads), ou('Workloads/Prod', 'Prod', lock.organizationalUnits.Workloads),
  ];
  const decl = declaration();
  return {
    organization: { id: lock.organizationId, arn: 'arn', managementAccountId: lock.managementAccountId, managementAccountEmail: 'mgmt@test.example', featureSet: 'ALL' },
    rootId: lock.rootId,
    enabledPolicyTypes: ['SERVICE_CONTROL_POLICY', 'RESOURCE_CONTROL_POLICY', 'TAG_POLICY'],
    enabledServicePrincipals: [
      'member.org.stacksets.cloudformation.amazonaws.com', 'controltower.amazonaws.com', 'guardduty.amazonaws.com',
      'securityhub.amazonaws.com', 'config.amazonaws.com', 'cloudtrail.amazonaws.com',
    ],
    organizationalUnits: units,
    accounts: [
      { id: lock.managementAccountId, name: 'management', email: 'mgmt@test.example', status: 'ACTIVE', parentId: lock.rootId },
      ...decl.accounts.map(a => ({ id: lock.accounts[a.name], name: a.name, email: a.email, status: 'ACTIVE', parentId: lock.organizationalUnits[a.ou] })),
    ],
    pendingCreations: [],
  };
}

describe('plan', () => {
  test('is empty when the organization and the lock file match the declaration', () => {
    const plan = computePlan(declaration(), matchingState(), { currentLock: sampleLock() });
    expect(plan).toMatchObject({ changes: [], blocked: [], lockDrift: [], notes: [] });
    expect(planText(plan)).toContain('No change: the organization matches the declaration.');
  });

  test('for a fresh account: create the organization, enable what governance needs, then OUs parents first, then accounts', () => {
    const plan = computePlan(declaration(), NO_ORGANIZATION);
    const kinds = plan.changes.map(c => c.kind);
    expect(kinds[0]).toBe('create-organization');
    expect(plan.changes.filter(c => c.kind === 'enable-policy-type').map(describeChange)).toEqual([
      'enable policy type SERVICE_CONTROL_POLICY on the root', 'enable policy type RESOURCE_CONTROL_POLICY on the root',
      'enable policy type TAG_POLICY on the root',
    ]);
    expect(plan.changes.filter(c => c.kind === 'create-ou').map(c => (c as { path: string }).path))
      .toEqual(['Security', 'Infrastructure', 'Workloads', 'Workloads/Dev', 'Workloads/Prod']);
    expect(kinds.lastIndexOf('create-ou')).toBeLessThan(kinds.indexOf('create-account'));
    expect(plan.lock).toBeUndefined();
  });

  test('shows an account moved by hand: from the root it is moved back, from another OU only with --allow-moves', () => {
    const state = matchingState();
    const moved = { ...state, accounts: state.accounts.map(a => (a.name === 'prod' ? { ...a, parentId: 'ou-test-workldev' } : a)) };
    const plan = computePlan(declaration(), moved);
    expect(plan.changes).toEqual([]);
    expect(plan.blocked).toEqual(['account prod (100000000005) is in Workloads/Dev, declared in Workloads/Prod: moving it out of an OU '
      + 'changes the guardrails it is under, so apply moves it only with --allow-moves']);
    expect(computePlan(declaration(), moved, { allowMoves: true }).changes).toEqual([
      { kind: 'move-account', name: 'prod', accountId: '100000000005', from: 'Workloads/Dev', to: 'Workloads/Prod' },
    ]);
    const inRoot = { ...state, accounts: state.accounts.map(a => (a.name === 'prod' ? { ...a, parentId: 'r-test' } : a)) };
    expect(computePlan(declaration(), inRoot).changes.map(describeChange)).toEqual(['move account prod (100000000005) from Root to Workloads/Prod']);
  });

  test('adopts an existing account by email, whatever its name or the email\'s case', () => {
    const state = matchingState();
    const renamed = { ...state, accounts: state.accounts.map(a => (a.name === 'dev' ? { ...a, name: 'Legacy Dev', email: 'DEV@Test.Example' } : a)) };
    const plan = computePlan(declaration(), renamed, { currentLock: sampleLock() });
    expect(plan.changes).toEqual([]);
    expect(plan.lock!.accounts.dev).toBe('100000000004');
  });

  test('waits for an account creation already in progress instead of creating it again', () => {
    const state = matchingState();
    const pending = { ...state, accounts: state.accounts.filter(a => a.name !== 'dev'), pendingCreations: [{ requestId: 'car-1', accountName: 'dev' }] };
    expect(computePlan(declaration(), pending).changes).toEqual([
      { kind: 'await-account', name: 'dev', email: 'dev@test.example', ou: 'Workloads/Dev', requestId: 'car-1' },
    ]);
  });

  test('reports lock-file drift, field by field', () => {
    const stale = sampleLock();
    stale.accounts.dev = '999999999999';
    delete stale.organizationalUnits['Workloads/Prod'];
    stale.accounts.ghost = '555555555555';
    expect(computePlan(declaration(), matchingState(), { currentLock: stale }).lockDrift).toEqual([
      'accounts/accounts.lock.json: organizationalUnits.Workloads/Prod is missing; the organization\'s id is "ou-test-wrkldprd"',
      'accounts/accounts.lock.json: accounts.dev is "999999999999", the organization\'s id is "100000000004"',
      'accounts/accounts.lock.json: accounts.ghost is "555555555555", but the organization has no such account yet',
    ]);
    expect(lockDrift(sampleLock(), undefined)).toEqual(['accounts/accounts.lock.json is missing or unreadable; apply or lock writes it']);
  });

  test('tells to replace connection ARNs that are not in the accounts that use them', () => {
    const state = matchingState();
    const otherTooling = { ...state, accounts: state.accounts.map(a => (a.name === 'tooling' ? { ...a, id: '123123123123' } : a)) };
    expect(computePlan(declaration(), otherTooling).notes).toEqual([expect.stringMatching(
      /^accounts\/organization\.ts: pipeline\.connectionArn "arn:aws:codeconnections:eu-west-1:100000000003:.*" is not in the tooling account \(tooling\), 123123123123: create a CodeConnections connection/)]);
  });

  test('notes what it leaves alone: undeclared accounts and OUs, suspended accounts, a different management email', () => {
    const state = matchingState();
    const extra: OrganizationState = {
      ...state,
      organization: { ...state.organization!, managementAccountEmail: 'root@elsewhere.example' },
      organizationalUnits: [...state.organizationalUnits, { id: 'ou-test-legacy01', name: 'Legacy', parentId: 'r-test', path: 'Legacy' }],
      accounts: [
        ...state.accounts.map(a => (a.name === 'audit' ? { ...a, status: 'SUSPENDED' } : a)),
        { id: '100000000099', name: 'old', email: 'old@test.example', status: 'ACTIVE', parentId: 'ou-test-legacy01' },
      ],
    };
    expect(computePlan(declaration(), extra).notes).toEqual([
      'account audit (100000000002) is SUSPENDED: it stays in accounts/accounts.lock.json, but nothing can be deployed to it',
      'account old (100000000099, old@test.example) is not declared in accounts/organization.ts; the tool leaves it alone',
      'OU Legacy (ou-test-legacy01) is not declared in accounts/organization.ts; the tool leaves it alone',
      'accounts/organization.ts: managementAccount.email "mgmt@test.example" differs from the management account\'s email "root@elsewhere.example"; only the account\'s root user can change it',
    ]);
  });

  test('enables all features when the organization has only consolidated billing', () => {
    const state = { ...matchingState(), organization: { ...matchingState().organization!, featureSet: 'CONSOLIDATED_BILLING' } };
    expect(computePlan(declaration(), state).changes.map(c => c.kind)).toEqual(['enable-all-features']);
  });
});
