import { ConfigError, parseWith, problem } from './config-error';
import { LockFile, parseLockFile } from './lock-model';
import {
  Account,
  flattenOrganizationalUnits,
  Organization,
  OrganizationDeclaration,
  OrganizationDeclarationSchema,
} from './organization-model';

/** Where the declaration lives, relative to the repository root. */
export const DECLARATION_FILE = 'accounts/organization.ts';
/** Where the lock file lives, relative to the repository root. */
export const LOCK_FILE = 'accounts/accounts.lock.json';

/** Inputs of {@link loadOrganization}: file contents, already read. */
export interface LoadOrganizationOptions {
  /** The declaration object exported by `accounts/organization.ts`. */
  readonly declaration: unknown;
  /** The text of `accounts/accounts.lock.json`. */
  readonly lockText: string;
  /** Name of the declaration in error messages. @default 'accounts/organization.ts' */
  readonly declarationFile?: string;
  /** Name of the lock file in error messages. @default 'accounts/accounts.lock.json' */
  readonly lockFile?: string;
}

/**
 * Validates the declaration and the lock file and resolves every OU and
 * account to its id. Throws one {@link ConfigError} listing every problem.
 */
export function loadOrganization(options: LoadOrganizationOptions): Organization {
  const declarationFile = options.declarationFile ?? DECLARATION_FILE;
  const lockFile = options.lockFile ?? LOCK_FILE;
  const declaration = parseWith(OrganizationDeclarationSchema, options.declaration, declarationFile);
  const lock = parseLockFile(options.lockText, lockFile);
  return resolveOrganization(declaration, lock, declarationFile, lockFile);
}

/** A pipeline connection declared in another account than the one whose pipeline uses it. */
export interface MisplacedConnection {
  readonly field: 'connectionArn' | 'governanceConnectionArn';
  readonly arn: string;
  /** The account it must be in. */
  readonly accountId: string;
  /** That account, in words. */
  readonly owner: string;
}

/**
 * The connections not in the account that uses them: the tooling account's
 * (service pipeline) and the management account's (governance pipeline).
 */
export function misplacedConnections(declaration: OrganizationDeclaration, lock: LockFile): MisplacedConnection[] {
  const owners = [
    ['connectionArn', lock.accounts[declaration.pipeline.toolingAccount], `the tooling account (${declaration.pipeline.toolingAccount})`],
    ['governanceConnectionArn', lock.managementAccountId, 'the management account'],
  ] as const;
  return owners
    .filter(([field, accountId]) => accountId !== undefined && declaration.pipeline[field].split(':')[4] !== accountId)
    .map(([field, accountId, owner]) => ({ field, arn: declaration.pipeline[field], accountId: accountId!, owner }));
}

/** Joins a validated declaration and lock file; every declared OU and account must have an id. */
export function resolveOrganization(
  declaration: OrganizationDeclaration,
  lock: LockFile,
  declarationFile: string = DECLARATION_FILE,
  lockFile: string = LOCK_FILE,
): Organization {
  const problems: string[] = [];
  const units = flattenOrganizationalUnits(declaration.organizationalUnits);
  const recordHint = 'the bootstrap tool records it when it creates or adopts it';

  // Every declared OU has an id under this root; nothing undeclared is locked.
  const rootSuffix = lock.rootId.slice('r-'.length);
  for (const unit of units) {
    if (!(unit.path in lock.organizationalUnits)) {
      problems.push(problem(lockFile, ['organizationalUnits'], undefined,
        `has no id for OU "${unit.path}" (declared in ${declarationFile}); ${recordHint}`));
    }
  }
  const declaredPaths = new Set(units.map(u => u.path));
  for (const [path, id] of Object.entries(lock.organizationalUnits)) {
    if (!declaredPaths.has(path)) {
      problems.push(problem(lockFile, ['organizationalUnits', path], id,
        `is not declared in ${declarationFile}; allowed: ${[...declaredPaths].join(', ')}`));
    } else if (!id.startsWith(`ou-${rootSuffix}-`)) {
      problems.push(problem(lockFile, ['organizationalUnits', path], id,
        `does not belong to root "${lock.rootId}"; its OU ids start with "ou-${rootSuffix}-"`));
    }
  }

  // Every declared account has an id; ids are unique; nothing undeclared is locked.
  const declaredAccounts = new Set(declaration.accounts.map(a => a.name));
  for (const account of declaration.accounts) {
    if (!(account.name in lock.accounts)) {
      problems.push(problem(lockFile, ['accounts'], undefined,
        `has no id for account "${account.name}" (declared in ${declarationFile}); ${recordHint}`));
    }
  }
  const idOwners = new Map<string, string>([[lock.managementAccountId, 'managementAccountId']]);
  for (const [name, id] of Object.entries(lock.accounts)) {
    if (!declaredAccounts.has(name)) {
      problems.push(problem(lockFile, ['accounts', name], id,
        `is not declared in ${declarationFile}; allowed: ${[...declaredAccounts].join(', ')}`));
    }
    const owner = idOwners.get(id);
    if (owner) {
      problems.push(problem(lockFile, ['accounts', name], id, `is already the id of ${owner}; every account has its own id`));
    } else {
      idOwners.set(id, `accounts.${name}`);
    }
  }
  // Each connection belongs to the account whose pipeline uses it.
  for (const c of misplacedConnections(declaration, lock)) {
    problems.push(problem(declarationFile, ['pipeline', c.field], c.arn, `is not in ${c.owner}, ${c.accountId}; create the connection there`));
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const accounts: Account[] = declaration.accounts.map(a => ({ ...a, id: lock.accounts[a.name] }));
  const accountByName = new Map(accounts.map(a => [a.name, a]));
  return {
    name: declaration.name,
    id: lock.organizationId,
    rootId: lock.rootId,
    homeRegion: declaration.homeRegion,
    allowedRegions: declaration.allowedRegions,
    managementAccount: { ...declaration.managementAccount, id: lock.managementAccountId },
    organizationalUnits: units.map(u => ({
      path: u.path,
      name: u.name,
      parentPath: u.parentPath,
      depth: u.depth,
      id: lock.organizationalUnits[u.path],
    })),
    accounts,
    environments: declaration.environments.map((env, order) => ({
      name: env.name,
      order,
      account: accountByName.get(env.account)!,
      regions: env.regions,
      manualApproval: env.manualApproval,
      production: order === declaration.environments.length - 1,
      ...(env.edge ? { edge: env.edge } : {}),
      quotas: env.quotas,
    })),
    pipeline: {
      engine: declaration.pipeline.engine,
      topology: declaration.pipeline.topology,
      iamRoleQuota: declaration.pipeline.iamRoleQuota,
      toolingAccount: accountByName.get(declaration.pipeline.toolingAccount)!,
      waves: declaration.pipeline.waves,
      repository: declaration.pipeline.repository,
      connectionArn: declaration.pipeline.connectionArn,
      governanceConnectionArn: declaration.pipeline.governanceConnectionArn,
      bakeTimeMinutes: declaration.pipeline.bakeTimeMinutes,
    },
    onCall: declaration.onCall,
    governance: declaration.governance,
    ...(declaration.monolith ? { monolith: declaration.monolith } : {}),
  };
}
