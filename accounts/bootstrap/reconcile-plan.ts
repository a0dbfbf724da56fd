import { PolicyType } from '@aws-sdk/client-organizations';
import { DECLARATION_FILE, LOCK_FILE, misplacedConnections } from '../load-organization';
import { LockFile } from '../lock-model';
import { flattenOrganizationalUnits, OrganizationDeclaration } from '../organization-model';
import { OrganizationState, RealAccount } from './organization-state';

/**
 * Policy types the governance stacks attach policies of; CloudFormation
 * cannot enable them, so the tool does, on the root.
 */
export const REQUIRED_POLICY_TYPES: readonly PolicyType[] = ['SERVICE_CONTROL_POLICY', 'RESOURCE_CONTROL_POLICY', 'TAG_POLICY'];

/**
 * Services the governance stacks need trusted access (EnableAWSServiceAccess)
 * for: service-managed StackSets, Control Tower, and the organization-wide
 * security services and trails.
 */
export const REQUIRED_SERVICE_PRINCIPALS = [
  'member.org.stacksets.cloudformation.amazonaws.com',
  'controltower.amazonaws.com',
  'guardduty.amazonaws.com',
  'securityhub.amazonaws.com',
  'config.amazonaws.com',
  'cloudtrail.amazonaws.com',
] as const;

/** One change `apply` makes, in the order it makes them. */
export type Change =
  | { readonly kind: 'create-organization' }
  | { readonly kind: 'enable-all-features' }
  | { readonly kind: 'enable-policy-type'; readonly policyType: PolicyType }
  | { readonly kind: 'enable-service-access'; readonly servicePrincipal: string }
  | { readonly kind: 'create-ou'; readonly path: string; readonly name: string; readonly parentPath?: string }
  | { readonly kind: 'create-account'; readonly name: string; readonly email: string; readonly ou: string }
  | { readonly kind: 'await-account'; readonly name: string; readonly email: string; readonly ou: string; readonly requestId: string }
  | { readonly kind: 'move-account'; readonly name: string; readonly accountId: string; readonly from: string; readonly to: string };

/** What differs between the declaration and the organization, and what `apply` would do. */
export interface ReconcilePlan {
  /** Changes `apply` makes, in order. Empty when the organization matches. */
  readonly changes: readonly Change[];
  /** Changes `apply` refuses to make without a flag, each with the reason. */
  readonly blocked: readonly string[];
  /** Differences between the lock file and the organization (`apply` and `lock` fix them). */
  readonly lockDrift: readonly string[];
  /** Things to know that the tool does not change: undeclared accounts, mismatched connection ARNs... */
  readonly notes: readonly string[];
  /** The lock file as the organization is now (undefined without an organization). */
  readonly lock?: LockFile;
}

/** Options of {@link computePlan}. */
export interface PlanOptions {
  /** Whether accounts may be moved out of an OU they are in (accounts in the root always may). */
  readonly allowMoves?: boolean;
  /** The lock file as committed, to report drift; undefined when there is none (or it is unreadable). */
  readonly currentLock?: LockFile;
  /** Name of the lock file in messages. @default accounts/accounts.lock.json */
  readonly lockFile?: string;
}

/** The path the plan and messages use for the root. */
export const ROOT_PATH = 'Root';

/**
 * Compares the declaration with the organization. Pure: the same inputs give
 * the same plan, so the decisions are tested without AWS.
 */
export function computePlan(declaration: OrganizationDeclaration, state: OrganizationState, options: PlanOptions = {}): ReconcilePlan {
  const lockFile = options.lockFile ?? LOCK_FILE;
  const changes: Change[] = [];
  const blocked: string[] = [];
  const notes: string[] = [];
  const org = state.organization;

  if (!org) {
    changes.push({ kind: 'create-organization' });
  } else if (org.featureSet !== 'ALL') {
    changes.push({ kind: 'enable-all-features' });
  }
  for (const policyType of REQUIRED_POLICY_TYPES) {
    if (!state.enabledPolicyTypes.includes(policyType)) changes.push({ kind: 'enable-policy-type', policyType });
  }
  for (const servicePrincipal of REQUIRED_SERVICE_PRINCIPALS) {
    if (!state.enabledServicePrincipals.includes(servicePrincipal)) changes.push({ kind: 'enable-service-access', servicePrincipal });
  }

  // OUs, by path: the same name elsewhere in the tree is another OU.
  const realOuByPath = new Map(state.organizationalUnits.map(u => [u.path, u]));
  const pathOfParent = new Map<string, string>(state.rootId ? [[state.rootId, ROOT_PATH]] : []);
  for (const unit of state.organizationalUnits) pathOfParent.set(unit.id, unit.path);
  const declaredUnits = flattenOrganizationalUnits(declaration.organizationalUnits);
  for (const unit of declaredUnits) {
    if (!realOuByPath.has(unit.path)) changes.push({ kind: 'create-ou', path: unit.path, name: unit.name, parentPath: unit.parentPath });
  }

  // Accounts, by email (AWS's unique key for an account): an existing account is adopted, never created twice.
  const accountByEmail = new Map<string, RealAccount>(state.accounts.map(a => [a.email.toLowerCase(), a]));
  const pendingByName = new Map(state.pendingCreations.map(p => [p.accountName, p]));
  for (const account of declaration.accounts) {
    const real = accountByEmail.get(account.email.toLowerCase());
    if (!real) {
      const pending = pendingByName.get(account.name);
      changes.push(pending
        ? { kind: 'await-account', name: account.name, email: account.email, ou: account.ou, requestId: pending.requestId }
        : { kind: 'create-account', name: account.name, email: account.email, ou: account.ou });
      continue;
    }
    if (real.status !== 'ACTIVE') {
      notes.push(`account ${account.name} (${real.id}) is ${real.status}: it stays in ${lockFile}, but nothing can be deployed to it`);
    }
    const from = pathOfParent.get(real.parentId) ?? real.parentId;
    if (from === account.ou) continue;
    if (from === ROOT_PATH || options.allowMoves) {
      changes.push({ kind: 'move-account', name: account.name, accountId: real.id, from, to: account.ou });
    } else {
      blocked.push(`account ${account.name} (${real.id}) is in ${from}, declared in ${account.ou}: moving it out of an OU changes `
        + 'the guardrails it is under, so apply moves it only with --allow-moves');
    }
  }

  if (org) {
    const declaredEmails = new Set([declaration.managementAccount.email, ...declaration.accounts.map(a => a.email)].map(e => e.toLowerCase()));
    for (const real of state.accounts) {
      if (real.id !== org.managementAccountId && !declaredEmails.has(real.email.toLowerCase())) {
        notes.push(`account ${real.name} (${real.id}, ${real.email}) is not declared in ${DECLARATION_FILE}; the tool leaves it alone`);
      }
    }
    const declaredPaths = new Set(declaredUnits.map(u => u.path));
    for (const unit of state.organizationalUnits) {
      if (!declaredPaths.has(unit.path)) notes.push(`OU ${unit.path} (${unit.id}) is not declared in ${DECLARATION_FILE}; the tool leaves it alone`);
    }
    if (org.managementAccountEmail.toLowerCase() !== declaration.managementAccount.email.toLowerCase()) {
      notes.push(`${DECLARATION_FILE}: managementAccount.email "${declaration.managementAccount.email}" differs from the management `
        + `account's email "${org.managementAccountEmail}"; only the account's root user can change it`);
    }
  }

  const lock = org && state.rootId ? lockFromState(declaration, state) : undefined;
  if (lock) notes.push(...connectionNotes(declaration, lock));
  return { changes, blocked, lockDrift: lockDrift(lock, options.currentLock, lockFile), notes, lock };
}

/**
 * The lock file as the organization is now: ids of the declared OUs and
 * accounts that exist (found by path and by email). Missing ones are left
 * out until they exist, so a partial lock records progress.
 */
export function lockFromState(declaration: OrganizationDeclaration, state: OrganizationState): LockFile {
  const org = state.organization!;
  const ouByPath = new Map(state.organizationalUnits.map(u => [u.path, u.id]));
  const accountByEmail = new Map(state.accounts.map(a => [a.email.toLowerCase(), a.id]));
  const organizationalUnits: Record<string, string> = {};
  for (const unit of flattenOrganizationalUnits(declaration.organizationalUnits)) {
    const id = ouByPath.get(unit.path);
    if (id) organizationalUnits[unit.path] = id;
  }
  const accounts: Record<string, string> = {};
  for (const account of declaration.accounts) {
    const id = accountByEmail.get(account.email.toLowerCase());
    if (id) accounts[account.name] = id;
  }
  return {
    '//': 'Written by the bootstrap tool (npx projen bootstrap -- apply | lock) from the organization; do not edit by hand.',
    'organizationId': org.id,
    'rootId': state.rootId!,
    'managementAccountId': org.managementAccountId,
    organizationalUnits,
    accounts,
  };
}

/** Each difference between the committed lock file and the organization. */
export function lockDrift(actual: LockFile | undefined, committed: LockFile | undefined, lockFile: string = LOCK_FILE): string[] {
  if (!actual) return [];
  if (!committed) return [`${lockFile} is missing or unreadable; apply or lock writes it`];
  const drift: string[] = [];
  for (const field of ['organizationId', 'rootId', 'managementAccountId'] as const) {
    if (committed[field] !== actual[field]) drift.push(`${lockFile}: ${field} is "${committed[field]}", the organization's is "${actual[field]}"`);
  }
  for (const group of ['organizationalUnits', 'accounts'] as const) {
    const keys = new Set([...Object.keys(committed[group]), ...Object.keys(actual[group])]);
    for (const key of [...keys].sort()) {
      const was = committed[group][key];
      const is = actual[group][key];
      if (was === is) continue;
      if (is === undefined) drift.push(`${lockFile}: ${group}.${key} is "${was}", but the organization has no such ${group === 'accounts' ? 'account' : 'OU'} yet`);
      else if (was === undefined) drift.push(`${lockFile}: ${group}.${key} is missing; the organization's id is "${is}"`);
      else drift.push(`${lockFile}: ${group}.${key} is "${was}", the organization's id is "${is}"`);
    }
  }
  return drift;
}

/**
 * The pipelines' connections must be in the account that uses them; after a
 * first apply the account ids are new, so the declared ARNs usually are not.
 */
export function connectionNotes(declaration: OrganizationDeclaration, lock: LockFile): string[] {
  return misplacedConnections(declaration, lock).map(c =>
    `${DECLARATION_FILE}: pipeline.${c.field} "${c.arn}" is not in ${c.owner}, ${c.accountId}: create a CodeConnections `
    + `connection to GitHub there (console, ${declaration.homeRegion}) and put its ARN in pipeline.${c.field}; synth refuses the old one`);
}

/** One line describing `change`, for the plan and the apply log. */
export function describeChange(change: Change): string {
  switch (change.kind) {
    case 'create-organization': return 'create the organization (all features)';
    case 'enable-all-features': return 'enable all features (AWS asks every member account to accept a handshake; policies wait for it)';
    case 'enable-policy-type': return `enable policy type ${change.policyType} on the root`;
    case 'enable-service-access': return `enable trusted access for ${change.servicePrincipal}`;
    case 'create-ou': return `create OU ${change.path}`;
    case 'create-account': return `create account ${change.name} <${change.email}> in ${change.ou}`;
    case 'await-account': return `wait for the creation of account ${change.name} <${change.email}> (request ${change.requestId}), then put it in ${change.ou}`;
    case 'move-account': return `move account ${change.name} (${change.accountId}) from ${change.from} to ${change.to}`;
  }
}
