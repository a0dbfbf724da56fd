import { COST_ALLOCATION_TAG_KEYS, Organization, SHARED_ENVIRONMENT_TAG } from '../accounts';

/** A tag policy document (Organizations' management-policy syntax). */
export interface TagPolicyDocument {
  readonly tags: Record<string, {
    readonly tag_key: { readonly '@@assign': string };
    readonly tag_value?: { readonly '@@assign': readonly string[] };
    readonly enforced_for?: { readonly '@@assign': readonly string[] };
  }>;
}

/**
 * Resource types on which a non-compliant tag is refused rather than only
 * reported (Organizations supports enforcement for a subset of types): the
 * two that hold the platform's data.
 */
export const TAG_ENFORCED_FOR = ['dynamodb:table', 'secretsmanager:*'];

/**
 * Cost reports break when one team writes `Environment: Production` and
 * another `environment: prod`: the cost-allocation tags have one spelling,
 * and `environment` only the declared environments (or `shared`).
 */
export function costAllocationTagPolicy(organization: Organization): TagPolicyDocument {
  const environments = [...organization.environments.map(e => e.name), SHARED_ENVIRONMENT_TAG];
  return {
    tags: Object.fromEntries(COST_ALLOCATION_TAG_KEYS.map(key => [key, {
      tag_key: { '@@assign': key },
      ...(key === 'environment' ? { tag_value: { '@@assign': environments } } : {}),
      enforced_for: { '@@assign': TAG_ENFORCED_FOR },
    }])),
  };
}
