/**
 * Names the bootstrap tool, the governance stacks and the pipelines agree on:
 * roles that guardrails protect or exempt, and the CDK bootstrap resources.
 * Renaming one here renames the real role on the next deploy (and the
 * guardrails follow), so change them only with a migration plan.
 */

/** CDK's default bootstrap qualifier: every account is bootstrapped with it. */
export const CDK_BOOTSTRAP_QUALIFIER = 'hnb659fds';

/** The roles `cdk bootstrap` creates in each account and region. */
export type CdkBootstrapRole = 'deploy' | 'cfn-exec' | 'file-publishing' | 'image-publishing' | 'lookup';

/** Name of a CDK bootstrap role, e.g. `cdk-hnb659fds-deploy-role-123456789012-eu-west-1`. */
export function cdkBootstrapRoleName(kind: CdkBootstrapRole, account: string, region: string): string {
  return `cdk-${CDK_BOOTSTRAP_QUALIFIER}-${kind}-role-${account}-${region}`;
}

/** Name pattern (IAM ARN wildcard) of every CDK bootstrap role of any account and region. */
export const CDK_BOOTSTRAP_ROLE_PATTERN = `cdk-${CDK_BOOTSTRAP_QUALIFIER}-*`;

/** Stack name `cdk bootstrap` deploys the bootstrap resources in (the CDK CLI's default; the bootstrap tool keeps it). */
export const CDK_TOOLKIT_STACK_NAME = 'CDKToolkit';

/** Name pattern of the CDK staging (file assets) bucket of any account and region, `cdk-<qualifier>-assets-<account>-<region>`. */
export const CDK_ASSETS_BUCKET_PATTERN = `cdk-${CDK_BOOTSTRAP_QUALIFIER}-assets-*`;

/** Name pattern of the SSM parameters the CDKToolkit stack writes (`/cdk-bootstrap/<qualifier>/version`). */
export const CDK_BOOTSTRAP_PARAMETER_PATTERN = `/cdk-bootstrap/${CDK_BOOTSTRAP_QUALIFIER}/*`;

/**
 * The customer-managed policy the bootstrap tool creates in each account and
 * passes to `cdk bootstrap --cloudformation-execution-policies`, instead of
 * AdministratorAccess.
 */
export const CDK_EXECUTION_POLICY_NAME = 'platform-cdk-execution';

/** Break-glass role in every member account (StackSet), assumable with MFA by the named management-account users. */
export const BREAK_GLASS_ROLE_NAME = 'platform-break-glass';

/** Read-only audit role in every member account (StackSet), assumable by the security account's audit roles. */
export const AUDIT_ROLE_NAME = 'platform-audit';

/**
 * Read-only role in each environment's account (StackSet) through which the
 * pipelines read alarm states (bake checks) and the services' SSM parameters
 * (post-deploy tests), assumable only by the pipelines' roles.
 */
export const PIPELINE_OBSERVER_ROLE_NAME = 'platform-pipeline-observer';

/**
 * Stack name of the CodePipeline engine's service pipeline (tooling account)
 * in the `single` topology, and the prefix of the service pipelines' stack
 * names in the sharded ones (`ServicePipeline-<shard>`). CloudFormation
 * names the pipelines' roles after their stacks, which is how the observer
 * roles recognize the pipelines' CodeBuild steps.
 */
export const SERVICE_PIPELINE_STACK_NAME = 'ServicePipeline';

/** Stack name of the platform pipeline of the sharded topologies (tooling account), which creates the service pipelines. */
export const PLATFORM_PIPELINE_STACK_NAME = 'PlatformPipeline';

/**
 * Name prefix of the governance stacks (CloudFormation names their roles
 * after them): guardrails protect roles with this prefix and let them
 * manage the security services, e.g. the security account's GuardDuty
 * organization configuration.
 */
export const GOVERNANCE_STACK_PREFIX = 'Governance-';

/** Role Control Tower creates in each enrolled account and acts through. */
export const CONTROL_TOWER_EXECUTION_ROLE_NAME = 'AWSControlTowerExecution';

/** Role AWS Organizations creates in each account it creates; the bootstrap tool acts through it. */
export const ORGANIZATION_ACCESS_ROLE_NAME = 'OrganizationAccountAccessRole';

/** Name prefix of the roles service-managed StackSets deploy through in member accounts. */
export const STACKSET_EXECUTION_ROLE_PATTERN = 'stacksets-exec-*';

/**
 * IAM path of every role a service stack creates (functions, CodeDeploy,
 * hooks). Production guardrails let roles under this path act (they are
 * the application) while people may not; only the pipeline can create them.
 */
export const WORKLOAD_ROLE_PATH = '/workload/';

/**
 * Cost-allocation tags every stack of the project carries (services from
 * their manifests, the platform's stacks from `governance.platformTags`);
 * the organization's tag policy fixes their spelling and allowed values.
 */
export const COST_ALLOCATION_TAG_KEYS = ['service', 'environment', 'cost-center', 'owner'] as const;

/** The `environment` tag of stacks that serve every environment (governance, pipelines). */
export const SHARED_ENVIRONMENT_TAG = 'shared';
