import {
  CreateOrganizationalUnitCommand,
  CreateOrganizationCommand,
  EnableAllFeaturesCommand,
  EnableAWSServiceAccessCommand,
  EnablePolicyTypeCommand,
  MoveAccountCommand,
  OrganizationsClient,
  paginateListOrganizationalUnitsForParent,
} from '@aws-sdk/client-organizations';
import { LockFile } from '../lock-model';
import { OrganizationDeclaration } from '../organization-model';
import { AwsCallError, stopsTheRun } from './aws-errors';
import { CreateAccountWait, startCreateAccount, waitForAccount } from './create-account';
import { LockStore, readLock, writeLock } from './lock-store';
import { OrganizationState, readOrganizationState, RealAccount, RealOrganizationalUnit } from './organization-state';
import { Change, computePlan, describeChange, lockFromState, ReconcilePlan, ROOT_PATH } from './reconcile-plan';
import { errorName, RetryOptions, withRetry } from './retry';

/** How one change of an apply ended. */
export interface StepResult {
  readonly change: Change;
  readonly description: string;
  /** `skipped`: not attempted because something it needs is missing (the detail says what). */
  readonly status: 'done' | 'failed' | 'skipped';
  readonly detail?: string;
}

/** Inputs of {@link applyPlan}. */
export interface ApplyOptions {
  /** The validated declaration. */
  readonly declaration: OrganizationDeclaration;
  /** Organizations client with management-account credentials. */
  readonly organizations: OrganizationsClient;
  /** Where the lock file is written after every step. */
  readonly lockStore: LockStore;
  /** Move accounts out of OUs they are in (accounts in the root are always moved). @default false */
  readonly allowMoves?: boolean;
  /** How long to wait for account creations. */
  readonly wait?: CreateAccountWait;
  /** Retry of throttled and concurrently modified calls. */
  readonly retry?: RetryOptions;
  /**
   * Called after each step, once the lock file is written; progress output.
   * An exception here stops the run there (tests simulate a crash with it).
   */
  readonly onStep?: (result: StepResult) => void;
}

/** What an apply did. */
export interface ApplyResult {
  /** The plan it started from. */
  readonly plan: ReconcilePlan;
  readonly steps: readonly StepResult[];
  /** What still differs afterwards (failed, skipped or blocked changes). */
  readonly remaining: ReconcilePlan;
}

/**
 * Makes the organization match the declaration: one change at a time, the
 * lock file rewritten after each, so a run that stops (crash, Ctrl-C,
 * throttling beyond retries) is finished by the next one. Never deletes or
 * closes anything. A change AWS refuses (access denied included) is reported
 * and the run goes on with the changes that do not depend on it; a problem
 * every later call would hit too (expired credentials, an unreachable
 * endpoint) stops the run with an {@link AwsCallError} whose line also says
 * what was done, that the lock file records it, and to run apply again.
 */
export async function applyPlan(options: ApplyOptions): Promise<ApplyResult> {
  const { declaration, organizations: client, lockStore } = options;
  const retry = options.retry ?? {};
  const planOptions = { allowMoves: options.allowMoves, lockFile: lockStore.name };
  const steps: StepResult[] = [];
  const record = (change: Change, status: StepResult['status'], detail?: string) => {
    const result: StepResult = { change, description: describeChange(change), status, detail };
    steps.push(result);
    options.onStep?.(result);
  };

  let state = await readOrganizationState(client, retry);
  const plan = computePlan(declaration, state, { ...planOptions, currentLock: readLock(lockStore) });
  if (!state.organization) {
    try {
      await withRetry(() => client.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' })), retry);
    } catch (e) {
      // Created by a run that stopped right after: adopt it.
      if (errorName(e) !== 'AlreadyInOrganizationException') throw e;
    }
    try {
      state = await readOrganizationState(client, retry);
    } catch (e) {
      if (e instanceof AwsCallError) throw e.withNote('apply created the organization, then stopped: fix this, then run apply again to go on');
      throw e;
    }
    writeLock(lockStore, lockFromState(declaration, state));
    record({ kind: 'create-organization' }, 'done', `${state.organization!.id}, root ${state.rootId}`);
  }

  const run = new RunState(declaration, state);
  writeLock(lockStore, run.lock());
  let featuresPending = false;
  const changes = computePlan(declaration, state, planOptions).changes;
  // The organization's creation, when this run made it, counts as a change.
  const total = steps.length + changes.length;
  for (const change of changes) {
    let outcome: { status: StepResult['status']; detail?: string };
    try {
      outcome = await applyChange(change);
    } catch (e) {
      if (stopsTheRun(e)) {
        // Keep what this change did before it stopped (a created account's id).
        writeLock(lockStore, run.lock());
        throw e.withNote(`apply stopped during "${describeChange(change)}" after ${progress()}: fix this, then run apply again to finish `
          + '(it resumes from the organization and the lock file)');
      }
      if (e instanceof AwsCallError) {
        outcome = { status: 'failed', detail: e.message };
      } else if (isAwsError(e)) {
        outcome = { status: 'failed', detail: `${errorName(e)}: ${(e as Error).message}` };
      } else {
        throw e;
      }
    }
    writeLock(lockStore, run.lock());
    record(change, outcome.status, outcome.detail);
  }

  let after: OrganizationState;
  try {
    after = await readOrganizationState(client, retry);
  } catch (e) {
    if (e instanceof AwsCallError) {
      throw e.withNote(`apply made its changes (${progress()}) but could not read the organization back: fix this, then run apply again `
        + 'to check and finish');
    }
    throw e;
  }
  // Listings are eventually consistent: an account created a moment ago may
  // not be listed yet, so ids learnt during the run are kept.
  const runLock = run.lock();
  const afterLock = lockFromState(declaration, after);
  const lock: LockFile = {
    ...afterLock,
    organizationalUnits: { ...runLock.organizationalUnits, ...afterLock.organizationalUnits },
    accounts: { ...runLock.accounts, ...afterLock.accounts },
  };
  writeLock(lockStore, lock);
  const remaining = computePlan(declaration, after, { ...planOptions, currentLock: lock });
  return { plan, steps, remaining };

  /** How far the run got, for a message that stops it. */
  function progress(): string {
    const done = steps.filter(s => s.status === 'done').length;
    return `${done} of ${total} changes done, recorded in ${lockStore.name}`;
  }

  async function applyChange(change: Change): Promise<{ status: StepResult['status']; detail?: string }> {
    switch (change.kind) {
      case 'create-organization':
        return { status: 'done' };
      case 'enable-all-features': {
        const response = await withRetry(() => client.send(new EnableAllFeaturesCommand({})), retry);
        featuresPending = true;
        return {
          status: 'done',
          detail: `handshake ${response.Handshake?.Id ?? '(no id)'} sent: every member account must accept it; then run apply again `
            + 'to enable the policy types and trusted access',
        };
      }
      case 'enable-policy-type':
        if (featuresPending) return { status: 'skipped', detail: 'waits until all features are enabled' };
        try {
          await withRetry(() => client.send(new EnablePolicyTypeCommand({ RootId: run.rootId, PolicyType: change.policyType })), retry);
        } catch (e) {
          if (errorName(e) !== 'PolicyTypeAlreadyEnabledException') throw e;
        }
        return { status: 'done' };
      case 'enable-service-access':
        if (featuresPending) return { status: 'skipped', detail: 'waits until all features are enabled' };
        await withRetry(() => client.send(new EnableAWSServiceAccessCommand({ ServicePrincipal: change.servicePrincipal })), retry);
        return { status: 'done' };
      case 'create-ou': {
        const parentId = change.parentPath === undefined ? run.rootId : run.ouId(change.parentPath);
        if (!parentId) return { status: 'skipped', detail: `its parent OU ${change.parentPath} does not exist` };
        const created = await createOrAdoptOu(parentId, change.name);
        run.addOu({ id: created.id, name: change.name, parentId, path: change.path });
        return { status: 'done', detail: created.adopted ? `${created.id} (created meanwhile by someone else: adopted)` : created.id };
      }
      case 'create-account':
      case 'await-account': {
        const requestId = change.kind === 'await-account' ? change.requestId : await startCreateAccount(client, change, retry);
        const outcome = await waitForAccount(client, requestId, options.wait, retry);
        if (outcome.state !== 'SUCCEEDED') return { status: 'failed', detail: outcome.message };
        // New accounts start in the root.
        run.addAccount({ id: outcome.accountId, name: change.name, email: change.email, status: 'ACTIVE', parentId: run.rootId });
        const destination = run.ouId(change.ou);
        if (!destination) return { status: 'failed', detail: `${outcome.accountId} created, but its OU ${change.ou} does not exist: it stays in the root` };
        await moveAccount(outcome.accountId, run.rootId, destination);
        run.moveAccount(outcome.accountId, destination);
        return { status: 'done', detail: outcome.accountId };
      }
      case 'move-account': {
        const source = change.from === ROOT_PATH ? run.rootId : run.ouId(change.from);
        const destination = run.ouId(change.to);
        if (!source || !destination) return { status: 'skipped', detail: `OU ${source ? change.to : change.from} does not exist` };
        await moveAccount(change.accountId, source, destination);
        run.moveAccount(change.accountId, destination);
        return { status: 'done' };
      }
    }
  }

  async function createOrAdoptOu(parentId: string, name: string): Promise<{ id: string; adopted: boolean }> {
    try {
      const response = await withRetry(() => client.send(new CreateOrganizationalUnitCommand({ ParentId: parentId, Name: name })), retry);
      return { id: response.OrganizationalUnit!.Id!, adopted: false };
    } catch (e) {
      if (errorName(e) !== 'DuplicateOrganizationalUnitException') throw e;
      // Another run (or a person) created it since we listed: adopt theirs, never a second one.
      for await (const page of paginateListOrganizationalUnitsForParent({ client }, { ParentId: parentId })) {
        const existing = (page.OrganizationalUnits ?? []).find(u => u.Name === name);
        if (existing) return { id: existing.Id!, adopted: true };
      }
      throw e;
    }
  }

  async function moveAccount(accountId: string, source: string, destination: string): Promise<void> {
    try {
      await withRetry(() => client.send(new MoveAccountCommand({
        AccountId: accountId, SourceParentId: source, DestinationParentId: destination,
      })), retry);
    } catch (e) {
      // Already there (a previous run moved it before it stopped).
      if (errorName(e) !== 'DuplicateAccountException') throw e;
    }
  }
}

/** True for errors AWS returned (service exceptions carry `$metadata`), as opposed to bugs. */
function isAwsError(e: unknown): boolean {
  return e instanceof Error && '$metadata' in e;
}

/** What the run knows of the organization, updated as it changes it. */
class RunState {
  public readonly rootId: string;
  private readonly units: RealOrganizationalUnit[];
  private readonly accounts: RealAccount[];

  constructor(private readonly declaration: OrganizationDeclaration, private readonly initial: OrganizationState) {
    this.rootId = initial.rootId!;
    this.units = [...initial.organizationalUnits];
    this.accounts = [...initial.accounts];
  }

  ouId(path: string): string | undefined {
    return this.units.find(u => u.path === path)?.id;
  }

  addOu(unit: RealOrganizationalUnit): void {
    this.units.push(unit);
  }

  addAccount(account: RealAccount): void {
    this.accounts.push(account);
  }

  moveAccount(accountId: string, parentId: string): void {
    const i = this.accounts.findIndex(a => a.id === accountId);
    this.accounts[i] = { ...this.accounts[i], parentId };
  }

  lock(): LockFile {
    return lockFromState(this.declaration, { ...this.initial, organizationalUnits: this.units, accounts: this.accounts });
  }
}

