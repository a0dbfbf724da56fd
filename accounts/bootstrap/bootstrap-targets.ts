import { edgeRegions } from '../edge-model';
import { Organization } from '../organization-model';
import { CDK_BOOTSTRAP_QUALIFIER, CDK_TOOLKIT_STACK_NAME } from '../platform-names';
import { AccountKind, accountKindOf } from './execution-policy';

/** One account to CDK-bootstrap, in the regions it deploys to. */
export interface BootstrapTarget {
  /** Declared account name (`management` for the management account). */
  readonly accountName: string;
  readonly accountId: string;
  /** Which execution policy the account gets. */
  readonly kind: AccountKind;
  /** Regions to bootstrap, in declaration order. */
  readonly regions: readonly string[];
  /** Accounts whose pipelines may deploy here (`cdk bootstrap --trust` and `--trust-for-lookup`). */
  readonly trust: readonly string[];
  /** True for the management account: the tool acts with its own credentials there, no role to assume. */
  readonly isManagement: boolean;
}

/**
 * Budgets' and Cost Explorer's anomaly detection resources exist only in
 * us-east-1, so governance's cost baseline deploys there from the management
 * account (governance/cost-baseline-stack.ts, COST_BASELINE_REGION).
 */
export const COST_MANAGEMENT_REGION = 'us-east-1';

/**
 * Where CDK must be bootstrapped, and whom each account trusts:
 *
 * - workload accounts: every region of their environments (the home region
 *   when they have none), and us-east-1 where an environment's edge has WAF
 *   in front (services/edge-front.ts), trusting the tooling account, whose pipeline deploys there;
 * - the tooling account: the home region and every region the pipelines deploy
 *   to (CodePipeline deploys a support stack with an artifact bucket in each),
 *   trusting itself (the pipeline's own stack);
 * - the security (audit) account: the home region, trusting the management
 *   account, whose governance pipeline deploys the delegated-admin stacks there;
 * - the management account: the home region for the governance pipeline, and
 *   us-east-1 for the cost baseline (no trust needed: its own pipeline);
 * - every other account: the home region, trusting nobody (teams deploy there with their own credentials).
 *
 * No other region is bootstrapped unless an environment declares it. A unit test
 * synthesizes the app and checks every stack's account and region is in this list.
 */
export function bootstrapTargets(organization: Organization): BootstrapTarget[] {
  const tooling = organization.pipeline.toolingAccount.id;
  const management = organization.managementAccount.id;
  const targets: BootstrapTarget[] = [{
    accountName: organization.managementAccount.name,
    accountId: management,
    kind: 'management',
    regions: [...new Set([organization.homeRegion, COST_MANAGEMENT_REGION])],
    trust: [],
    isManagement: true,
  }];
  for (const account of organization.accounts) {
    const kind = accountKindOf(account.role);
    const deployedTo = (e: Organization['environments'][number]) => [...e.regions, ...edgeRegions(e)];
    const envRegions = organization.environments.filter(e => e.account.name === account.name).flatMap(deployedTo);
    let regions = envRegions.length > 0 ? [...new Set(envRegions)] : [organization.homeRegion];
    if (account.role === 'tooling') regions = [...new Set([organization.homeRegion, ...organization.environments.flatMap(deployedTo)])];
    let trust: string[] = [];
    if (account.role === 'workload' || account.role === 'tooling') trust = [tooling];
    else if (account.role === 'security') trust = [management];
    targets.push({ accountName: account.name, accountId: account.id, kind, regions, trust, isManagement: false });
  }
  return targets;
}

/**
 * The `cdk bootstrap` arguments for one account and region. The stack name
 * and qualifier are spelled out, not left to the CLI's defaults: the
 * production guardrail lets the bootstrap tool's role write exactly that
 * stack and its `cdk-<qualifier>-*` resources, so a changed default must fail here, visibly.
 */
export function cdkBootstrapArgs(target: BootstrapTarget, region: string, executionPolicyArn: string): string[] {
  return [
    'bootstrap',
    `aws://${target.accountId}/${region}`,
    '--toolkit-stack-name', CDK_TOOLKIT_STACK_NAME,
    '--qualifier', CDK_BOOTSTRAP_QUALIFIER,
    '--cloudformation-execution-policies', executionPolicyArn,
    ...target.trust.flatMap(account => ['--trust', account, '--trust-for-lookup', account]),
    '--no-notices',
    '--ci',
  ];
}
