import {
  CONTROL_CATALOG,
  ConfigError,
  DECLARATION_FILE,
  Organization,
  problem,
  ResourceControlGuardrail,
  ROOT_TARGET,
  ServiceControlGuardrail,
} from '../accounts';
import { PolicyDocument, PolicyStatement, policyDocument, serviceControlGuardrail } from './guardrails';
import { resourceControlGuardrail } from './resource-guardrails';
import { costAllocationTagPolicy, TagPolicyDocument } from './tag-policy';

/** The Organizations policy types the governance stacks attach. */
export type OrganizationPolicyType = 'SERVICE_CONTROL_POLICY' | 'RESOURCE_CONTROL_POLICY' | 'TAG_POLICY';

/** One policy to create and attach to one target. */
export interface ComposedPolicy {
  readonly type: OrganizationPolicyType;
  /** Policy name in Organizations, stable across synths. */
  readonly name: string;
  /** `Root` or an OU path. */
  readonly target: string;
  /** `r-...` or `ou-...`. */
  readonly targetId: string;
  /** The guardrails whose statements it holds. */
  readonly guardrails: readonly string[];
  readonly content: PolicyDocument | TagPolicyDocument;
  /** Characters of the minified JSON, the size AWS checks. */
  readonly size: number;
}

/** How many policies of a type a target holds against its quota. */
export interface TargetUsage {
  readonly type: OrganizationPolicyType;
  readonly target: string;
  readonly targetId: string;
  /** Policies the governance stacks attach. */
  readonly attached: number;
  /** Policies AWS or Control Tower attach (FullAWSAccess, RCPFullAWSAccess, Control Tower's SCPs). */
  readonly reserved: number;
  readonly limit: number;
}

/** Everything the guardrails stack attaches, checked against the quotas. */
export interface OrganizationPolicies {
  readonly policies: readonly ComposedPolicy[];
  readonly usage: readonly TargetUsage[];
}

/** Minified JSON length: Organizations counts characters without whitespace outside strings. */
export function policySize(content: unknown): number {
  return JSON.stringify(content).length;
}

const TYPE_LABEL: Record<OrganizationPolicyType, { short: string; long: string; field: string }> = {
  SERVICE_CONTROL_POLICY: { short: 'scp', long: 'service control policies', field: 'serviceControlPolicies' },
  RESOURCE_CONTROL_POLICY: { short: 'rcp', long: 'resource control policies', field: 'resourceControlPolicies' },
  TAG_POLICY: { short: 'tag', long: 'tag policies', field: 'tagPolicy' },
};

/** A guardrail's statements under its name. */
interface GuardrailStatements {
  readonly guardrail: string;
  readonly statements: readonly PolicyStatement[];
}

/**
 * Composes the organization's SCPs and RCPs per target from the model, and
 * its tag policy at the root, fitting each target's guardrails into as few
 * policies as the size quota allows (minified; statements that differ only
 * in their actions merged; then split across policies by guardrail), and
 * checks every quota. Throws one {@link ConfigError} naming each target,
 * its policies and the quota it would exceed.
 */
export function composeOrganizationPolicies(organization: Organization): OrganizationPolicies {
  const gov = organization.governance;
  const quotas = gov.quotas;
  const problems: string[] = [];
  const policies: ComposedPolicy[] = [];
  const usage: TargetUsage[] = [];
  const targetId = (target: string) => target === ROOT_TARGET
    ? organization.rootId
    : organization.organizationalUnits.find(u => u.path === target)!.id;

  const compose = (
    type: 'SERVICE_CONTROL_POLICY' | 'RESOURCE_CONTROL_POLICY',
    perTarget: Record<string, readonly string[]>,
    statementsOf: (guardrail: string) => PolicyStatement[],
    maxChars: number,
    limit: number,
    reservedFor: (target: string) => number,
  ) => {
    const label = TYPE_LABEL[type];
    for (const [target, guardrails] of Object.entries(perTarget)) {
      const groups = guardrails.map(g => ({ guardrail: g, statements: statementsOf(g) }));
      const where = ['governance', label.field, target];
      const tooBig = groups.filter(g => policySize(policyDocument(mergeStatements(g.statements))) > maxChars);
      for (const g of tooBig) {
        problems.push(problem(DECLARATION_FILE, where, g.guardrail, `is ${policySize(policyDocument(mergeStatements(g.statements)))} `
          + `characters minified on its own; one of the ${label.long} may hold at most ${maxChars} `
          + '(governance.quotas); split the guardrail or raise the quota once AWS has'));
      }
      if (tooBig.length > 0) continue;
      const packed = pack(groups, maxChars);
      const id = targetId(target);
      packed.forEach((documentGroups, i) => {
        const content = policyDocument(mergeStatements(documentGroups.flatMap(g => g.statements)));
        policies.push({
          type,
          name: `${organization.name}-${label.short}-${slug(target)}${packed.length > 1 ? `-${i + 1}` : ''}`,
          target,
          targetId: id,
          guardrails: documentGroups.map(g => g.guardrail),
          content,
          size: policySize(content),
        });
      });
      const reserved = reservedFor(target);
      usage.push({ type, target, targetId: id, attached: packed.length, reserved, limit });
      if (packed.length + reserved > limit) {
        const names = policies.filter(p => p.type === type && p.target === target).map(p => `${p.name} (${p.guardrails.join(', ')})`);
        problems.push(problem(DECLARATION_FILE, where, undefined, `needs ${packed.length + reserved} ${label.long} on `
          + `${target === ROOT_TARGET ? 'the root' : `OU "${target}"`} (${id}): ${names.join('; ')}, plus ${reserved} attached by AWS`
          + `${type === 'SERVICE_CONTROL_POLICY' ? ' and Control Tower' : ''}; AWS allows ${limit} per target `
          + '(governance.quotas); move guardrails to a parent or child OU'));
      }
    }
  };

  // FullAWSAccess stays attached everywhere (removing it denies everything
  // not explicitly allowed); Control Tower attaches its own to the OUs it governs.
  const unregistered = new Set(gov.controlTower.unregisteredOus);
  compose('SERVICE_CONTROL_POLICY', gov.serviceControlPolicies,
    g => serviceControlGuardrail(g as ServiceControlGuardrail, organization),
    quotas.serviceControlPolicyMaxChars, quotas.serviceControlPoliciesPerTarget,
    target => {
      if (target === ROOT_TARGET || unregistered.has(target)) return 1;
      const preventive = (gov.controlTower.controls[target] ?? []).some(c => CONTROL_CATALOG[c].behavior === 'preventive');
      return 1 + quotas.controlTowerPoliciesPerOu + (preventive ? 1 : 0);
    });
  compose('RESOURCE_CONTROL_POLICY', gov.resourceControlPolicies,
    g => resourceControlGuardrail(g as ResourceControlGuardrail, organization),
    quotas.resourceControlPolicyMaxChars, quotas.resourceControlPoliciesPerTarget, () => 1);

  // One tag policy, at the root: every account tags the same way.
  const tagPolicy = costAllocationTagPolicy(organization);
  const tagSize = policySize(tagPolicy);
  if (tagSize > quotas.tagPolicyMaxChars) {
    problems.push(problem(DECLARATION_FILE, ['environments'], undefined, `make the cost-allocation tag policy ${tagSize} `
      + `characters minified; AWS allows ${quotas.tagPolicyMaxChars} (governance.quotas.tagPolicyMaxChars)`));
  }
  policies.push({
    type: 'TAG_POLICY',
    name: `${organization.name}-tag-cost-allocation`,
    target: ROOT_TARGET,
    targetId: organization.rootId,
    guardrails: ['cost-allocation-tags'],
    content: tagPolicy,
    size: tagSize,
  });
  usage.push({ type: 'TAG_POLICY', target: ROOT_TARGET, targetId: organization.rootId, attached: 1, reserved: 0, limit: quotas.tagPoliciesPerTarget });

  if (problems.length > 0) throw new ConfigError(problems);
  return { policies, usage };
}

/**
 * Merges statements that differ only in their actions (same effect,
 * principal, resources or excluded resources and conditions, all using
 * `Action`) into one:
 * fewer characters, same decisions.
 */
export function mergeStatements(statements: readonly PolicyStatement[]): PolicyStatement[] {
  const merged: PolicyStatement[] = [];
  const byShape = new Map<string, number>();
  for (const statement of statements) {
    if (statement.Action === undefined) {
      merged.push(statement);
      continue;
    }
    const shape = JSON.stringify([statement.Effect, statement.Principal, statement.Resource, statement.NotResource, statement.Condition]);
    const at = byShape.get(shape);
    if (at === undefined) {
      byShape.set(shape, merged.length);
      merged.push(statement);
      continue;
    }
    const previous = merged[at];
    const actions = [...new Set([...asList(previous.Action!), ...asList(statement.Action)])];
    merged[at] = { ...previous, Sid: `${previous.Sid}And${statement.Sid}`.slice(0, 100), Action: actions };
  }
  return merged;
}

/** Packs guardrails into documents under `maxChars`, first fit, in declaration order (stable names). */
function pack(groups: readonly GuardrailStatements[], maxChars: number): GuardrailStatements[][] {
  const documents: GuardrailStatements[][] = [];
  for (const group of groups) {
    const fits = documents.find(doc =>
      policySize(policyDocument(mergeStatements([...doc, group].flatMap(g => g.statements)))) <= maxChars);
    if (fits) fits.push(group);
    else documents.push([group]);
  }
  return documents.length > 0 ? documents : [[]];
}

function asList(value: string | readonly string[]): readonly string[] {
  return typeof value === 'string' ? [value] : value;
}

/** `Workloads/Prod` -> `workloads-prod`. */
function slug(target: string): string {
  return target.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}
