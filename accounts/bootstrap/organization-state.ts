import {
  DescribeOrganizationCommand,
  OrganizationsClient,
  paginateListAccountsForParent,
  paginateListAWSServiceAccessForOrganization,
  paginateListCreateAccountStatus,
  paginateListOrganizationalUnitsForParent,
  paginateListRoots,
} from '@aws-sdk/client-organizations';
import { OU_PATH_SEPARATOR } from '../organization-model';
import { errorName, withRetry, RetryOptions } from './retry';

/** The organization itself, as DescribeOrganization reports it. */
export interface RealOrganization {
  readonly id: string;
  readonly arn: string;
  readonly managementAccountId: string;
  readonly managementAccountEmail: string;
  /** `ALL` or `CONSOLIDATED_BILLING`. */
  readonly featureSet: string;
}

/** An OU found in the organization. */
export interface RealOrganizationalUnit {
  readonly id: string;
  readonly name: string;
  /** Root id or OU id. */
  readonly parentId: string;
  /** Path from the root, e.g. `Workloads/Prod`. */
  readonly path: string;
}

/** A member (or the management) account found in the organization. */
export interface RealAccount {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  /** `ACTIVE`, `SUSPENDED`, `PENDING_CLOSURE`. */
  readonly status: string;
  /** Root id or OU id. */
  readonly parentId: string;
}

/** An account creation AWS has not finished yet. */
export interface PendingCreation {
  readonly requestId: string;
  readonly accountName: string;
}

/** Everything the tool compares with the declaration; read-only snapshot. */
export interface OrganizationState {
  /** Undefined when the caller's account has no organization yet. */
  readonly organization?: RealOrganization;
  readonly rootId?: string;
  /** Policy types enabled (or being enabled) on the root. */
  readonly enabledPolicyTypes: readonly string[];
  /** Service principals with trusted access. */
  readonly enabledServicePrincipals: readonly string[];
  /** Parents before children. */
  readonly organizationalUnits: readonly RealOrganizationalUnit[];
  readonly accounts: readonly RealAccount[];
  readonly pendingCreations: readonly PendingCreation[];
}

/** A state with no organization: what a fresh management account has. */
export const NO_ORGANIZATION: OrganizationState = {
  enabledPolicyTypes: [],
  enabledServicePrincipals: [],
  organizationalUnits: [],
  accounts: [],
  pendingCreations: [],
};

/**
 * Reads the organization: every list call paginated (AWS returns at most 20
 * accounts or OUs per page, and may return fewer, even an empty page with a
 * next token), every call retried on throttling.
 */
export async function readOrganizationState(client: OrganizationsClient, retry: RetryOptions = {}): Promise<OrganizationState> {
  const pages = { client };
  let description;
  try {
    description = await withRetry(() => client.send(new DescribeOrganizationCommand({})), retry);
  } catch (e) {
    if (errorName(e) === 'AWSOrganizationsNotInUseException') return NO_ORGANIZATION;
    throw e;
  }
  const org = description.Organization!;
  const organization: RealOrganization = {
    id: org.Id!,
    arn: org.Arn!,
    managementAccountId: org.MasterAccountId!,
    managementAccountEmail: org.MasterAccountEmail ?? '',
    featureSet: org.FeatureSet ?? 'ALL',
  };

  const roots = await collect(() => paginateListRoots(pages, {}), page => page.Roots ?? [], retry);
  const root = roots[0];
  const rootId = root.Id!;
  const enabledPolicyTypes = (root.PolicyTypes ?? [])
    .filter(p => p.Status === 'ENABLED' || p.Status === 'PENDING_ENABLE')
    .map(p => p.Type!);

  // Breadth first, so parents come before children.
  const organizationalUnits: RealOrganizationalUnit[] = [];
  const accounts: RealAccount[] = [];
  const parents: { id: string; path?: string }[] = [{ id: rootId }];
  for (let i = 0; i < parents.length; i++) {
    const parent = parents[i];
    const units = await collect(() => paginateListOrganizationalUnitsForParent(pages, { ParentId: parent.id }),
      page => page.OrganizationalUnits ?? [], retry);
    for (const unit of units) {
      const path = parent.path === undefined ? unit.Name! : `${parent.path}${OU_PATH_SEPARATOR}${unit.Name!}`;
      organizationalUnits.push({ id: unit.Id!, name: unit.Name!, parentId: parent.id, path });
      parents.push({ id: unit.Id!, path });
    }
    const members = await collect(() => paginateListAccountsForParent(pages, { ParentId: parent.id }),
      page => page.Accounts ?? [], retry);
    for (const account of members) {
      accounts.push({
        id: account.Id!,
        name: account.Name ?? '',
        email: account.Email ?? '',
        status: account.State ?? account.Status ?? 'ACTIVE',
        parentId: parent.id,
      });
    }
  }

  // Trusted access can only be listed once all features are enabled.
  const enabledServicePrincipals = organization.featureSet === 'ALL'
    ? (await collect(() => paginateListAWSServiceAccessForOrganization(pages, {}),
      page => page.EnabledServicePrincipals ?? [], retry)).map(s => s.ServicePrincipal!)
    : [];

  const pendingCreations = (await collect(() => paginateListCreateAccountStatus(pages, { States: ['IN_PROGRESS'] }),
    page => page.CreateAccountStatuses ?? [], retry))
    .map(s => ({ requestId: s.Id!, accountName: s.AccountName ?? '' }));

  return {
    organization,
    rootId,
    enabledPolicyTypes,
    enabledServicePrincipals,
    organizationalUnits,
    accounts,
    pendingCreations,
  };
}

/**
 * Collects every item of a paginated call. A throttled page restarts the
 * listing (paginators cannot resume mid-way), which is cheap at our sizes.
 */
async function collect<P, T>(
  paginate: () => AsyncIterable<P>,
  items: (page: P) => readonly T[],
  retry: RetryOptions,
): Promise<T[]> {
  return withRetry(async () => {
    const all: T[] = [];
    for await (const page of paginate()) all.push(...items(page));
    return all;
  }, retry);
}
