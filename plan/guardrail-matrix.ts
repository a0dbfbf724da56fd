import { Organization, ROOT_TARGET } from '../accounts';
import { ComposedPolicy, OrganizationPolicies, OrganizationPolicyType } from '../governance';
import { code, table, thousands } from './markdown';

const TYPE_NAMES: Record<OrganizationPolicyType, string> = {
  SERVICE_CONTROL_POLICY: 'SCP',
  RESOURCE_CONTROL_POLICY: 'RCP',
  TAG_POLICY: 'tag policy',
};

/** The size quota (characters, minified) of a policy of `type`. */
function maxChars(organization: Organization, type: OrganizationPolicyType): number {
  const quotas = organization.governance.quotas;
  switch (type) {
    case 'SERVICE_CONTROL_POLICY': return quotas.serviceControlPolicyMaxChars;
    case 'RESOURCE_CONTROL_POLICY': return quotas.resourceControlPolicyMaxChars;
    case 'TAG_POLICY': return quotas.tagPolicyMaxChars;
  }
}

/** A policy's size against its quota: `4,854 / 10,240 chars (47%)`. */
export function policySizeText(organization: Organization, policy: ComposedPolicy): string {
  const max = maxChars(organization, policy.type);
  return `${thousands(policy.size)} / ${thousands(max)} chars (${Math.round((100 * policy.size) / max)}%)`;
}

/** Whether the OU at `path` (or `Root`) is `target` or below it. */
function under(target: string, path: string): boolean {
  return target === ROOT_TARGET || path === target || path.startsWith(`${target}/`);
}

/** The OUs a policy attached to `target` applies to: the target's own (if an OU) and every OU below it, in tree order. */
export function ousUnder(organization: Organization, target: string): string[] {
  return organization.organizationalUnits.map(u => u.path).filter(path => under(target, path));
}

/**
 * The member accounts a policy attached to `target` applies to (those in its
 * OUs), plus the management account for a tag policy at the root: AWS
 * never applies SCPs or RCPs to the management account.
 */
export function accountsUnder(organization: Organization, policy: Pick<ComposedPolicy, 'type' | 'target'>): string[] {
  const members = organization.accounts.filter(a => under(policy.target, a.ou)).map(a => a.name).sort();
  const management = policy.type === 'TAG_POLICY' && policy.target === ROOT_TARGET ? [`${organization.managementAccount.name} (management)`] : [];
  return [...management, ...members];
}

/**
 * The guardrail matrix: each SCP, RCP and tag policy with its guardrails,
 * where it is attached, the OUs and accounts it applies to (attached and
 * inherited below) and its size against the quota; then each OU against
 * each policy; then the policies each target holds against its quota.
 */
export function guardrailMatrix(organization: Organization, composed: OrganizationPolicies): string {
  const policies = [...composed.policies].sort((a, b) => a.type.localeCompare(b.type) || a.name.localeCompare(b.name));
  const byPolicy = table(
    ['Policy', 'Type', 'Guardrails', 'Attached to', 'Applies to (OUs)', 'Accounts', 'Size (minified)'],
    policies.map(p => [
      code(p.name),
      TYPE_NAMES[p.type],
      p.guardrails.join(', '),
      `${p.target === ROOT_TARGET ? 'Root' : p.target} (${p.targetId})`,
      p.target === ROOT_TARGET ? 'every OU' : ousUnder(organization, p.target).join(', '),
      accountsUnder(organization, p).join(', ') || '(none)',
      policySizeText(organization, p),
    ]),
  );

  const state = (p: ComposedPolicy, path: string) => {
    if (p.target === path) return 'attached';
    return under(p.target, path) ? `inherited (${p.target})` : '';
  };
  const rows = [
    ['Root', organization.managementAccount.name, ...policies.map(p => (p.target === ROOT_TARGET ? 'attached' : ''))],
    ...organization.organizationalUnits.map(u => [
      u.path,
      organization.accounts.filter(a => a.ou === u.path).map(a => a.name).sort().join(', '),
      ...policies.map(p => state(p, u.path)),
    ]),
  ];
  const matrix = table(['OU', 'Accounts directly in it', ...policies.map(p => p.name)], rows);

  const usage = table(
    ['Target', 'Type', 'Attached here', 'Attached by AWS or Control Tower', 'Quota per target'],
    [...composed.usage]
      .sort((a, b) => a.type.localeCompare(b.type) || a.target.localeCompare(b.target))
      .map(u => [u.target, TYPE_NAMES[u.type], String(u.attached), String(u.reserved), `${u.attached + u.reserved} / ${u.limit}`]),
  );

  return [
    'Composed by governance/organization-policies.ts (guardrails merged and packed into as few policies as the quotas allow), '
      + 'sizes measured as AWS counts them (minified JSON) against `governance.quotas`. '
      + 'SCPs and RCPs never apply to the management account (AWS); the tag policy applies to every account.',
    '',
    byPolicy,
    '',
    '### By OU',
    '',
    'Each OU against each policy: attached there, or inherited from the target named.',
    '',
    matrix,
    '',
    '### Policies per target',
    '',
    usage,
  ].join('\n');
}
