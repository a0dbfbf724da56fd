import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MoveAccountCommand, OrganizationsClient, paginateListAccounts } from '@aws-sdk/client-organizations';
import * as cdk from 'aws-cdk-lib';
import { declarationFor, shippedDeclarationInput, shippedOrganization, useEmulatorCredentials } from './integration-fixtures';
import { MotoServer, startMotoServer } from './moto-server';
import { loadOrganization, OrganizationDeclaration, parseLockFile } from '../../../accounts';
import {
  applyPlan,
  computePlan,
  fileLockStore,
  organizationsClient,
  readLock,
  readOrganizationState,
  REQUIRED_SERVICE_PRINCIPALS,
  runCli,
} from '../../../accounts/bootstrap';
import { buildPlatform } from '../../../main';

/**
 * The bootstrap tool against moto server, a real AWS Organizations API over
 * HTTP (fresh per file): everything from a fresh organization to drift.
 * The tests run in order and share the organization they build up.
 */
describe('reconciling an organization on moto server', () => {
  let moto: MotoServer;
  let client: OrganizationsClient;
  let dir: string;
  let lockPath: string;
  const declaration: OrganizationDeclaration = shippedOrganization();

  beforeAll(async () => {
    useEmulatorCredentials();
    moto = await startMotoServer();
    client = organizationsClient({ region: 'eu-west-1', endpointUrl: moto.endpoint });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lz-moto-'));
    lockPath = path.join(dir, 'accounts.lock.json');
  });
  afterAll(async () => {
    await moto?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const store = () => fileLockStore(lockPath, 'accounts/accounts.lock.json');
  const fastWait = { initialDelayMs: 50, sleep: (ms: number) => new Promise<void>(r => setTimeout(r, ms)) };
  const allAccounts = async () => {
    const accounts = [];
    for await (const page of paginateListAccounts({ client, pageSize: 3 }, {})) accounts.push(...page.Accounts ?? []);
    return accounts;
  };

  test('plan (the CLI, as the platform team runs it) shows a fresh organization to create and changes nothing', async () => {
    const out: string[] = [];
    const code = await runCli(['plan', '--endpoint-url', moto.endpoint, '--output', 'json', '--lock-file', lockPath],
      { stdout: t => out.push(t), stderr: () => {} });
    expect(code).toBe(0);
    const plan = JSON.parse(out.join('\n')) as { organization: unknown; changes: { kind: string }[] };
    expect(plan.organization).toBeNull();
    expect(plan.changes[0].kind).toBe('create-organization');
    expect(plan.changes.filter(c => c.kind === 'create-account')).toHaveLength(declaration.accounts.length);
    expect(fs.existsSync(lockPath)).toBe(false);
  });

  test('an interrupted apply leaves a lock file of what it did, and the next apply finishes without duplicates', async () => {
    let accountsCreated = 0;
    const crash = applyPlan({
      declaration,
      organizations: client,
      lockStore: store(),
      wait: fastWait,
      onStep: step => {
        if (step.change.kind === 'create-account' && ++accountsCreated === 3) throw new Error('simulated crash');
      },
    });
    await expect(crash).rejects.toThrow('simulated crash');
    const partial = parseLockFile(fs.readFileSync(lockPath, 'utf8'), 'lock');
    expect(Object.keys(partial.accounts)).toHaveLength(3);
    expect(Object.keys(partial.organizationalUnits)).toHaveLength(8);

    const resumed = await applyPlan({ declaration, organizations: client, lockStore: store(), wait: fastWait });
    expect(resumed.steps.every(s => s.status === 'done')).toBe(true);
    expect(resumed.steps.filter(s => s.change.kind === 'create-account')).toHaveLength(declaration.accounts.length - 3);
    expect(resumed.remaining.changes).toEqual([]);
    const emails = (await allAccounts()).map(a => a.Email!.toLowerCase());
    expect(emails).toHaveLength(declaration.accounts.length + 1);
    expect(new Set(emails).size).toBe(emails.length);
  });

  test('puts every account in its OU and enables what governance needs', async () => {
    const state = await readOrganizationState(client);
    const ouPath = new Map(state.organizationalUnits.map(u => [u.id, u.path]));
    for (const account of declaration.accounts) {
      const real = state.accounts.find(a => a.email === account.email)!;
      expect(`${account.name} in ${ouPath.get(real.parentId)}`).toBe(`${account.name} in ${account.ou}`);
    }
    expect([...state.enabledPolicyTypes].sort()).toEqual(['RESOURCE_CONTROL_POLICY', 'SERVICE_CONTROL_POLICY', 'TAG_POLICY']);
    expect([...state.enabledServicePrincipals].sort()).toEqual([...REQUIRED_SERVICE_PRINCIPALS].sort());
  });

  test('a second apply is a no-op and leaves the lock file byte for byte', async () => {
    const before = fs.readFileSync(lockPath, 'utf8');
    const again = await applyPlan({ declaration, organizations: client, lockStore: store(), wait: fastWait });
    expect(again.steps).toEqual([]);
    expect(fs.readFileSync(lockPath, 'utf8')).toBe(before);
  });

  test('the lock file it wrote is accepted by loadOrganization and synth, once the connection ARNs are moved', () => {
    const lockText = fs.readFileSync(lockPath, 'utf8');
    const lock = parseLockFile(lockText, 'lock');
    // As written, synth refuses the example's connection ARNs (the plan said so) ...
    expect(() => loadOrganization({ declaration: shippedDeclarationInput(), lockText })).toThrow(/pipeline\.connectionArn .* is not in the tooling account/);
    // ... and accepts the lock once they are in the new accounts.
    const organization = loadOrganization({ declaration: declarationFor(lock), lockText });
    expect(organization.accounts.find(a => a.name === 'workload-prod')!.id).toBe(lock.accounts['workload-prod']);
    const app = new cdk.App();
    buildPlatform(app, { organization });
    const assembly = app.synth();
    expect(assembly.stacksRecursively.map(s => s.environment.account)).toContain(lock.managementAccountId);
  });

  test('an account moved by hand shows in plan; apply moves it back only with --allow-moves', async () => {
    const state = await readOrganizationState(client);
    const prod = state.accounts.find(a => a.email === 'aws-workload-prod@acme-pay.example')!;
    const sandbox = state.organizationalUnits.find(u => u.path === 'Sandbox')!;
    await client.send(new MoveAccountCommand({ AccountId: prod.id, SourceParentId: prod.parentId, DestinationParentId: sandbox.id }));

    const out: string[] = [];
    await runCli(['plan', '--endpoint-url', moto.endpoint, '--lock-file', lockPath], { stdout: t => out.push(t), stderr: () => {} });
    expect(out.join('\n')).toContain(`! account workload-prod (${prod.id}) is in Sandbox, declared in Workloads/Prod`);

    const refused = await applyPlan({ declaration, organizations: client, lockStore: store() });
    expect(refused.remaining.blocked).toHaveLength(1);
    const moved = await applyPlan({ declaration, organizations: client, lockStore: store(), allowMoves: true });
    expect(moved.steps.map(s => s.description)).toEqual([`move account workload-prod (${prod.id}) from Sandbox to Workloads/Prod`]);
    expect(computePlan(declaration, await readOrganizationState(client)).blocked).toEqual([]);
  });

  test('lock-file drift (a stale or hand-edited lock) shows in plan and lock rewrites it', async () => {
    const lock = readLock(store())!;
    fs.writeFileSync(lockPath, JSON.stringify({ ...lock, accounts: { ...lock.accounts, 'workload-dev': '000000000000' } }));
    const plan = computePlan(declaration, await readOrganizationState(client), { currentLock: readLock(store()) });
    expect(plan.lockDrift).toEqual([`accounts/accounts.lock.json: accounts.workload-dev is "000000000000", the organization's id is "${lock.accounts['workload-dev']}"`]);
    const out: string[] = [];
    expect(await runCli(['lock', '--endpoint-url', moto.endpoint, '--lock-file', lockPath], { stdout: t => out.push(t) })).toBe(0);
    expect(readLock(store())).toEqual(lock);
  });
});
