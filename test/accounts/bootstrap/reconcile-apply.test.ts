import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { awsError, FakeOrganization } from './fake-organization';
import { ConfigError, parseLockFile, parseWith, OrganizationDeclaration, OrganizationDeclarationSchema } from '../../../accounts';
import { applyPlan, ApplyOptions, memoryLockStore, organizationsClient, readOrganizationState, REQUIRED_SERVICE_PRINCIPALS, waitForAccount } from '../../../accounts/bootstrap';
import { sampleDeclaration } from '../../fixtures/organization';

const noSleep = async () => {};
const retry = { sleep: noSleep };
const wait = { sleep: noSleep };

function declaration(): OrganizationDeclaration {
  return parseWith(OrganizationDeclarationSchema, sampleDeclaration(), 'test declaration');
}

let fake: FakeOrganization;
beforeEach(() => { fake = new FakeOrganization(); });
afterEach(() => fake.restore());

function apply(extra: Partial<ApplyOptions> = {}) {
  const lockStore = memoryLockStore();
  const run = applyPlan({ declaration: declaration(), organizations: fake.client(), lockStore, retry, wait, ...extra });
  return { lockStore, run };
}

describe('apply', () => {
  test('reconciles an empty organization: OUs, accounts in their OUs, policy types, trusted access, a complete lock', async () => {
    const { lockStore, run } = apply();
    const result = await run;
    expect(result.steps.every(s => s.status === 'done')).toBe(true);
    expect(result.remaining.changes).toEqual([]);
    expect(fake.ous.map(o => o.name).sort()).toEqual(['Dev', 'Infrastructure', 'Prod', 'Security', 'Workloads']);
    const dev = fake.accounts.find(a => a.email === 'dev@test.example')!;
    expect(fake.ous.find(o => o.id === dev.parentId)!.name).toBe('Dev');
    expect([...fake.policyTypes].sort()).toEqual(['RESOURCE_CONTROL_POLICY', 'SERVICE_CONTROL_POLICY', 'TAG_POLICY']);
    expect([...fake.services].sort()).toEqual([...REQUIRED_SERVICE_PRINCIPALS].sort());
    const lock = parseLockFile(lockStore.text!, 'lock');
    expect(Object.keys(lock.accounts).sort()).toEqual(['audit', 'dev', 'log-archive', 'prod', 'tooling']);
    expect(lock.organizationalUnits['Workloads/Dev']).toMatch(/^ou-fake-/);
  });

  test('creates the organization when the account has none', async () => {
    fake.exists = false;
    const result = await apply().run;
    expect(result.steps[0]).toMatchObject({ change: { kind: 'create-organization' }, status: 'done' });
    expect(fake.commandNames()).toContain('CreateOrganization');
  });

  test('writes the lock file after every step, so an interrupted run keeps what it did', async () => {
    const written: number[] = [];
    const { lockStore, run } = apply({ onStep: () => { written.push(lockStore.writes); } });
    await run;
    // Each OU and account step changes the lock and is written before the step is reported.
    const ouAndAccountSteps = written.slice(9);
    expect(ouAndAccountSteps).toEqual([...ouAndAccountSteps].sort((a, b) => a - b));
    expect(new Set(ouAndAccountSteps).size).toBe(ouAndAccountSteps.length);
  });

  test('adopts an existing account by its email instead of creating another', async () => {
    fake.accounts.push({ id: '300000000001', name: 'Old Name', email: 'DEV@test.example', parentId: fake.rootId });
    const { lockStore, run } = apply();
    const result = await run;
    expect(fake.calls.filter(c => c.command === 'CreateAccount').map(c => (c.input as { Email: string }).Email)).not.toContain('dev@test.example');
    expect(result.steps.find(s => s.change.kind === 'move-account')).toMatchObject({ status: 'done', change: { name: 'dev', from: 'Root', to: 'Workloads/Dev' } });
    expect(parseLockFile(lockStore.text!, 'lock').accounts.dev).toBe('300000000001');
  });

  test('a second apply changes nothing', async () => {
    await apply().run;
    const before = fake.calls.length;
    const second = await apply().run;
    expect(second.steps).toEqual([]);
    const writes = fake.calls.slice(before).map(c => c.command).filter(c => !/^(List|Describe)/.test(c));
    expect(writes).toEqual([]);
  });

  test('reports a failed account creation with its reason and goes on with the others', async () => {
    fake.creationOutcome.set('dev@test.example', { failureReason: 'EMAIL_ALREADY_EXISTS' });
    fake.creationOutcome.set('prod@test.example', { failureReason: 'ACCOUNT_LIMIT_EXCEEDED' });
    const { lockStore, run } = apply();
    const result = await run;
    const failed = result.steps.filter(s => s.status === 'failed');
    expect(failed.map(s => s.detail)).toEqual([
      expect.stringContaining('EMAIL_ALREADY_EXISTS: an AWS account outside this organization already uses this email'),
      expect.stringContaining('ACCOUNT_LIMIT_EXCEEDED: the organization has as many accounts as its quota allows'),
    ]);
    expect(Object.keys(parseLockFile(lockStore.text!, 'lock').accounts).sort()).toEqual(['audit', 'log-archive', 'tooling']);
    expect(result.remaining.changes.map(c => c.kind)).toEqual(['create-account', 'create-account']);
  });

  test('retries throttling and ConcurrentModificationException, then succeeds', async () => {
    fake.failNext.set('CreateOrganizationalUnit', [awsError('TooManyRequestsException'), awsError('ConcurrentModificationException')]);
    fake.failNext.set('MoveAccount', [awsError('ConcurrentModificationException')]);
    fake.failNext.set('ListAccountsForParent', [awsError('TooManyRequestsException')]);
    const result = await apply().run;
    expect(result.steps.every(s => s.status === 'done')).toBe(true);
    expect(fake.ous).toHaveLength(5);
  });

  test('gives up on an error that is not retryable, reports it and goes on', async () => {
    fake.failNext.set('EnableAWSServiceAccess', [awsError('AccessDeniedException', 'not allowed')]);
    const result = await apply().run;
    expect(result.steps.filter(s => s.status === 'failed')).toEqual([expect.objectContaining({
      description: `enable trusted access for ${REQUIRED_SERVICE_PRINCIPALS[0]}`, detail: 'AccessDeniedException: not allowed',
    })]);
    expect(result.remaining.changes).toEqual([{ kind: 'enable-service-access', servicePrincipal: REQUIRED_SERVICE_PRINCIPALS[0] }]);
  });

  test('adopts an OU someone created between the listing and the creation', async () => {
    const securityId = fake.addOu('Security');
    const realOus = fake.ous;
    // The first listing misses it (another run created it a moment later).
    let hidden = true;
    Object.defineProperty(fake, 'ous', { get: () => (hidden ? realOus.filter(o => o.id !== securityId) : realOus) });
    const result = await apply({ onStep: step => { if (step.change.kind === 'enable-service-access') hidden = false; } }).run;
    expect(result.steps.find(s => s.description === 'create OU Security')).toMatchObject({
      status: 'done', detail: `${securityId} (created meanwhile by someone else: adopted)`,
    });
    expect(realOus.filter(o => o.name === 'Security')).toHaveLength(1);
  });

  test('a move into an account\'s OU that already happened counts as done', async () => {
    const devOu = fake.addOu('Workloads');
    fake.accounts.push({ id: '300000000002', name: 'dev', email: 'dev@test.example', parentId: fake.rootId });
    fake.failNext.set('MoveAccount', [awsError('DuplicateAccountException')]);
    const result = await apply().run;
    expect(result.steps.find(s => s.change.kind === 'move-account')).toMatchObject({ status: 'done' });
    expect(devOu).toMatch(/^ou-fake-/);
  });

  test('moves an account out of another OU only with allowMoves', async () => {
    const sandbox = fake.addOu('Sandbox');
    fake.accounts.push({ id: '300000000003', name: 'dev', email: 'dev@test.example', parentId: sandbox });
    const blocked = await apply().run;
    expect(blocked.remaining.blocked).toEqual([expect.stringContaining('account dev (300000000003) is in Sandbox, declared in Workloads/Dev')]);
    expect(fake.accounts.find(a => a.id === '300000000003')!.parentId).toBe(sandbox);
    const allowed = await apply({ allowMoves: true }).run;
    expect(allowed.steps.find(s => s.change.kind === 'move-account')).toMatchObject({ status: 'done', change: { from: 'Sandbox' } });
    expect(allowed.remaining.blocked).toEqual([]);
  });

  test('resumes an account creation still in progress instead of starting another', async () => {
    fake.creations.set('car-pending', { name: 'dev', email: 'dev@test.example', states: [{ State: 'IN_PROGRESS' }, { State: 'SUCCEEDED' }] });
    const result = await apply().run;
    expect(result.steps.find(s => s.change.kind === 'await-account')).toMatchObject({ status: 'done', change: { requestId: 'car-pending' } });
    expect(fake.calls.filter(c => c.command === 'CreateAccount')).toHaveLength(4);
  });

  test('with consolidated billing only, enables all features and leaves policies for the next run', async () => {
    fake.featureSet = 'CONSOLIDATED_BILLING';
    const result = await apply().run;
    expect(result.steps[0]).toMatchObject({ change: { kind: 'enable-all-features' }, status: 'done', detail: expect.stringContaining('handshake h-fake') });
    expect(result.steps.filter(s => s.status === 'skipped').map(s => s.change.kind)).toEqual([
      ...Array(2).fill('enable-policy-type'), ...Array(REQUIRED_SERVICE_PRINCIPALS.length).fill('enable-service-access'),
    ]);
  });

  test('a bug (not an AWS answer) stops the run instead of being reported as a failed change', async () => {
    fake.failNext.set('CreateOrganizationalUnit', [new TypeError('boom')]);
    await expect(apply().run).rejects.toThrow('boom');
  });
});

describe('account creation polling', () => {
  test('backs off between polls and gives up after the bounded wait, leaving the request for a later run', async () => {
    fake.creations.set('car-slow', { name: 'x', email: 'x@test.example', states: [{ State: 'IN_PROGRESS' }] });
    const pauses: number[] = [];
    const outcome = await waitForAccount(fake.client(), 'car-slow',
      { timeoutMs: 60_000, initialDelayMs: 5000, sleep: async ms => { pauses.push(ms); } });
    expect(outcome).toMatchObject({ state: 'TIMED_OUT', message: expect.stringContaining('run apply again to resume') });
    expect(pauses.slice(0, 4)).toEqual([5000, 7500, 11250, 16875]);
    expect(pauses.reduce((a, b) => a + b, 0)).toBe(60_000);
  });
});

describe('reading the organization', () => {
  test('follows every page, including empty ones', async () => {
    fake.pageSize = 1;
    const ids = ['a', 'b', 'c'].map(n => fake.addOu(n));
    fake.accounts.push({ id: '300000000004', name: 'x', email: 'x@test.example', parentId: ids[2] });
    const state = await readOrganizationState(fake.client(), retry);
    expect(state.organizationalUnits.map(o => o.path)).toEqual(['a', 'b', 'c']);
    expect(state.accounts.map(a => a.id)).toEqual(['100000000000', '300000000004']);
  });
});

describe('AWS clients', () => {
  test('use adaptive retry', async () => {
    const client: OrganizationsClient = organizationsClient({ region: 'eu-west-1', endpointUrl: 'http://localhost:1' });
    expect(client.config.retryMode).toBe('adaptive');
    expect((await client.config.retryStrategy()).constructor.name).toBe('AdaptiveRetryStrategy');
    expect(await client.config.maxAttempts()).toBe(10);
  });

  test('ConfigError stays the one error type for mistakes', () => {
    expect(new ConfigError(['x']).name).toBe('ConfigError');
  });
});
