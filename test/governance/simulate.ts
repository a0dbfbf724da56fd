import { EvaluationResult, runSimulation, Simulation, SimulationOrgPolicies } from '@cloud-copilot/iam-simulate';
import { Account, Organization, ROOT_TARGET } from '../../accounts';
import { composeOrganizationPolicies, OrganizationPolicies } from '../../governance';

/**
 * Test harness: evaluates requests against the organization's composed SCPs
 * and RCPs with @cloud-copilot/iam-simulate (AGPL-3.0, used by tests only).
 *
 * The simulator treats a level without an Allow as ImplicitlyDenied, so each
 * level (root, each OU down to the account's, the account) gets AWS's
 * FullAWSAccess as in a real organization; RCPFullAWSAccess it adds itself.
 */

/** AWS's default SCP, attached to every root, OU and account. */
const FULL_AWS_ACCESS = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

/** Policies that allow the caller everything in its own account (an administrator's identity policy). */
export const ADMINISTRATOR = [{ name: 'AdministratorAccess', policy: FULL_AWS_ACCESS }];

/** A request to simulate. */
export interface GuardrailRequest {
  /** The account the principal (and, unless `resourceAccount` says otherwise, the resource) is in. */
  readonly account: Account;
  /** The calling principal's ARN (role ARNs: `arn:aws:iam::<acct>:role/<path><name>`). */
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  /** Account of the resource, when not the principal's. */
  readonly resourceAccount?: Account;
  /**
   * Request context. Filled in unless given: `aws:PrincipalArn`,
   * `aws:PrincipalAccount`, `aws:RequestedRegion`, `aws:SecureTransport`
   * (`true`: SDKs use TLS) and, for principals of the organization,
   * `aws:PrincipalOrgID` (the simulator knows none of these by itself).
   */
  readonly context?: Record<string, string | string[]>;
  /** The principal's identity policies. @default administrator */
  readonly identityPolicies?: Simulation['identityPolicies'];
  /** The resource's policy, if any. */
  readonly resourcePolicy?: unknown;
  /** Region of the request. @default the organization's home region */
  readonly region?: string;
}

/** The SCP or RCP levels (root first, account last) of an account, as the simulator wants them. */
function levels(
  organization: Organization,
  composed: OrganizationPolicies,
  account: Account,
  type: 'SERVICE_CONTROL_POLICY' | 'RESOURCE_CONTROL_POLICY',
): SimulationOrgPolicies[] {
  const parts = account.ou.split('/');
  const targets = [ROOT_TARGET, ...parts.map((_, i) => parts.slice(0, i + 1).join('/'))];
  const base = type === 'SERVICE_CONTROL_POLICY' ? [{ name: 'FullAWSAccess', policy: FULL_AWS_ACCESS }] : [];
  const atTarget = (target: string) => composed.policies
    .filter(p => p.type === type && p.target === target)
    .map(p => ({ name: p.name, policy: p.content }));
  return [
    ...targets.map(target => ({
      orgIdentifier: target === ROOT_TARGET ? organization.rootId : organization.organizationalUnits.find(u => u.path === target)!.id,
      policies: [...base, ...atTarget(target)],
    })),
    { orgIdentifier: account.id, policies: base },
  ];
}

/** Evaluates `request` under the organization's guardrails: Allowed, ExplicitlyDenied or ImplicitlyDenied. */
export async function decide(organization: Organization, request: GuardrailRequest): Promise<EvaluationResult> {
  const composed = composeOrganizationPolicies(organization);
  const resourceAccount = request.resourceAccount ?? request.account;
  // Service principals (`sns.amazonaws.com`) have no account.
  const principalAccount = request.principal.startsWith('arn:') ? request.principal.split(':')[4] : '';
  const member = principalAccount === organization.managementAccount.id || organization.accounts.some(a => a.id === principalAccount);
  const simulation: Simulation = {
    request: {
      principal: request.principal,
      action: request.action,
      resource: { resource: request.resource, accountId: resourceAccount.id },
      contextVariables: {
        ...(principalAccount ? { 'aws:PrincipalArn': request.principal, 'aws:PrincipalAccount': principalAccount } : {}),
        'aws:RequestedRegion': request.region ?? organization.homeRegion,
        'aws:SecureTransport': 'true',
        ...(member ? { 'aws:PrincipalOrgID': organization.id } : {}),
        ...request.context,
      },
    },
    identityPolicies: request.identityPolicies ?? ADMINISTRATOR,
    // SCPs apply to principals of member accounts (not to outsiders).
    serviceControlPolicies: organization.accounts.some(a => a.id === principalAccount)
      ? levels(organization, composed, organization.accounts.find(a => a.id === principalAccount)!, 'SERVICE_CONTROL_POLICY')
      : [],
    resourceControlPolicies: levels(organization, composed, resourceAccount, 'RESOURCE_CONTROL_POLICY'),
    resourcePolicy: request.resourcePolicy,
  };
  const result = await runSimulation(simulation, {});
  if (result.resultType === 'error') {
    throw new Error(`simulation input rejected: ${JSON.stringify(result.errors)}`);
  }
  return result.overallResult;
}

/** ARN of role `name` (with its path, e.g. `workload/fn-role`) in `account`. */
export function roleArn(account: Account | string, name: string): string {
  return `arn:aws:iam::${typeof account === 'string' ? account : account.id}:role/${name}`;
}

/** A person's federated role in `account` (IAM Identity Center permission set `Developer`). */
export function developerRole(account: Account): string {
  return roleArn(account, 'aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Developer_0123456789abcdef');
}
