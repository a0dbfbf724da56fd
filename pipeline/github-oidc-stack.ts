import * as cdk from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { CDK_BOOTSTRAP_QUALIFIER, Organization, PIPELINE_OBSERVER_ROLE_NAME } from '../accounts';
import { GovernanceTarget, governanceTargets } from '../governance';
import { acknowledgeWildcardResource } from '../kit';

/** GitHub's OIDC issuer host; its claims are IAM condition keys under this prefix. */
export const GITHUB_OIDC_ISSUER = 'token.actions.githubusercontent.com';
/** The audience aws-actions/configure-aws-credentials asks GitHub to put in the token. */
export const GITHUB_OIDC_AUDIENCE = 'sts.amazonaws.com';

/** Role of the service workflow (tooling account): publishes assets and deploys the service stages. */
export const GITHUB_ACTION_ROLE_NAME = 'GitHubActionRole';
/** Role of the governance job (management account). */
export const GITHUB_GOVERNANCE_ROLE_NAME = 'GitHubGovernanceRole';
/**
 * Role of the governance review job (management account, and by the same name in the other
 * governance accounts): creates, describes and deletes change sets of the governance stacks,
 * never executes one.
 */
export const GITHUB_GOVERNANCE_REVIEW_ROLE_NAME = 'GitHubGovernanceReviewRole';
/** Role of the post-deploy integration tests (tooling account): calls the first environment's APIs. */
export const GITHUB_TEST_ROLE_NAME = 'GitHubIntegrationTestRole';
/** GitHub environment of the governance job; its required reviewers approve organization-wide changes. */
export const GOVERNANCE_ENVIRONMENT = 'governance';

/** ARN of a role in the workflow's form (plain text: `arn:aws:iam::<account>:role/<name>`). */
function roleArn(account: string, name: string): string {
  return `arn:aws:iam::${account}:role/${name}`;
}

/** ARN of the service workflow's role, in the tooling account. */
export function gitHubActionRoleArn(organization: Organization): string {
  return roleArn(organization.pipeline.toolingAccount.id, GITHUB_ACTION_ROLE_NAME);
}

/** ARN of the governance job's role, in `account` (the management account). */
export function gitHubGovernanceRoleArn(account: string): string {
  return roleArn(account, GITHUB_GOVERNANCE_ROLE_NAME);
}

/** ARN of the governance review job's role, in `account` (the management account). */
export function gitHubGovernanceReviewRoleArn(account: string): string {
  return roleArn(account, GITHUB_GOVERNANCE_REVIEW_ROLE_NAME);
}

/** ARN of the integration tests' role, in the tooling account. */
export function gitHubTestRoleArn(organization: Organization): string {
  return roleArn(organization.pipeline.toolingAccount.id, GITHUB_TEST_ROLE_NAME);
}

/** The OIDC subject of jobs without a GitHub environment, run from the pipeline's branch. */
export function branchSubject(organization: Organization): string {
  const { owner, name, branch } = organization.pipeline.repository;
  return `repo:${owner}/${name}:ref:refs/heads/${branch}`;
}

/** The OIDC subject of jobs that run in GitHub environment `environment`, whatever the branch. */
export function environmentSubject(organization: Organization, environment: string): string {
  const { owner, name } = organization.pipeline.repository;
  return `repo:${owner}/${name}:environment:${environment}`;
}

/** Which workflow roles a {@link GitHubOidcStack} holds. */
export type GitHubOidcPurpose = 'services' | 'governance';

/** Properties of a {@link GitHubOidcStack}. */
export interface GitHubOidcStackProps extends cdk.StackProps {
  readonly organization: Organization;
  /**
   * `services`: the tooling account's {@link GITHUB_ACTION_ROLE_NAME} and
   * {@link GITHUB_TEST_ROLE_NAME}; `governance`: the management account's
   * {@link GITHUB_GOVERNANCE_ROLE_NAME}. The stack deploys to that account.
   */
  readonly purpose: GitHubOidcPurpose;
  /**
   * The account's GitHub OIDC provider, when it already has one (IAM allows
   * one provider per URL and account).
   * @default - a provider for token.actions.githubusercontent.com is created
   */
  readonly provider?: iam.IOidcProvider;
}

/**
 * GitHub's OIDC provider and the roles the `github` engine's workflow
 * assumes, so no long-lived AWS key exists anywhere. Trust is scoped to this
 * repository's pipeline branch and GitHub environments by the token's `sub`
 * (and its `aud`); the roles may only assume the CDK bootstrap roles
 * (deploy, file publishing) of the accounts and regions they deploy to.
 *
 * Deployed once per account by an administrator (`cdk deploy <stack>` with
 * that account's credentials), before the workflow's first run: the tooling
 * stack (`purpose: 'services'`) and the management stack (`purpose: 'governance'`).
 * cdk-pipelines-github's `GitHubActionRole` is not used: its trust has no
 * `aud` condition and its policy may assume any account's bootstrap roles
 * and read any ECR authorization token.
 */
export class GitHubOidcStack extends cdk.Stack {
  /** The GitHub OIDC provider of the account. */
  public readonly provider: iam.IOidcProvider;
  /** The workflow role: GitHubActionRole (services) or GitHubGovernanceRole (governance). */
  public readonly role: iam.Role;
  /** The integration tests' role (services only). */
  public readonly testRole?: iam.Role;
  /** The governance review job's role (governance only). */
  public readonly reviewRole?: iam.Role;

  constructor(scope: Construct, id: string, props: GitHubOidcStackProps) {
    const org = props.organization;
    const governance = props.purpose === 'governance';
    super(scope, id, {
      description: governance
        ? `GitHub OIDC role of ${org.name}'s governance job (management account)`
        : `GitHub OIDC roles of ${org.name}'s service workflow (tooling account)`,
      ...props,
      env: { account: governance ? org.managementAccount.id : org.pipeline.toolingAccount.id, region: org.homeRegion },
    });
    this.provider = props.provider ?? new iam.OidcProviderNative(this, 'GitHubProvider', {
      url: `https://${GITHUB_OIDC_ISSUER}`,
      clientIds: [GITHUB_OIDC_AUDIENCE],
    });

    if (governance) {
      // Only jobs of the governance environment (required reviewers, main only): never a branch or another environment.
      this.role = this.workflowRole('GovernanceRole', GITHUB_GOVERNANCE_ROLE_NAME, [environmentSubject(org, GOVERNANCE_ENVIRONMENT)],
        'Deploys the governance stacks from the GitHub workflow (governance environment only)');
      // The governance stage's accounts and regions: the management account and the security account (delegated administrator).
      this.allowBootstrapRoles(this.role, governanceTargets(org));
      // The review job runs before the governance environment's approval, so its role must not be able to deploy:
      // from the pipeline's branch only, it may create, describe and delete change sets of the governance stacks here,
      // and assume the review roles of the other governance accounts (GitHubGovernanceReviewStack), nothing else.
      this.reviewRole = this.workflowRole('GovernanceReviewRole', GITHUB_GOVERNANCE_REVIEW_ROLE_NAME, [branchSubject(org)],
        'Creates, describes and deletes change sets of the governance stacks for the review before the governance approval; never executes one');
      const targets = governanceTargets(org);
      const own = targets.filter(t => t.account === this.account);
      const others = targets.filter(t => t.account !== this.account).map(t => `arn:${cdk.Aws.PARTITION}:iam::${t.account}:role/${GITHUB_GOVERNANCE_REVIEW_ROLE_NAME}`);
      governanceReviewPolicy(this, this.reviewRole, own.flatMap(t => t.regions), others);
      return;
    }

    // Asset jobs run without an environment (branch subject); deploy jobs in their environment.
    this.role = this.workflowRole('ActionRole', GITHUB_ACTION_ROLE_NAME,
      [branchSubject(org), ...org.environments.map(e => environmentSubject(org, e.name))],
      'Publishes assets and deploys the service stages from the GitHub workflow');
    this.allowBootstrapRoles(this.role, org.environments.map(e => ({ account: e.account.id, regions: e.regions })));

    // The post-deploy tests call the pre-production APIs with SigV4 (the
    // integration tests in the first environment, the end-to-end and load
    // tests in the others), the bake check reads production alarms and the
    // dependency checks read SSM parameters. They
    // get their own role so that the deploying role stays limited to the CDK
    // bootstrap roles; the APIs accept callers of the organization.
    const preProduction = org.environments.filter(e => !e.production);
    this.testRole = this.workflowRole('IntegrationTestRole', GITHUB_TEST_ROLE_NAME, [branchSubject(org)],
      'Runs the GitHub workflow\'s post-deploy tests and bake-time checks');
    const stages = preProduction.flatMap(env => env.regions.map(region =>
      `arn:${cdk.Aws.PARTITION}:execute-api:${region}:${env.account.id}:*/${env.name}/*`));
    // The read-only observer roles of the environments (governance
    // StackSets; they trust this role by name): the tests read the API URLs the
    // services publish in SSM, the bake check reads alarms, and in a sharded
    // topology the dependency checks read what dependencies published, in
    // every environment.
    const observerRoles = org.environments.map(env =>
      `arn:${cdk.Aws.PARTITION}:iam::${env.account.id}:role/${PIPELINE_OBSERVER_ROLE_NAME}`);
    const testPolicy = new iam.ManagedPolicy(this, 'InvokeFirstEnvironmentApis', {
      description: `Lets ${GITHUB_TEST_ROLE_NAME} call the pre-production APIs and read through the pipeline observer roles`,
      roles: [this.testRole],
      statements: [
        new iam.PolicyStatement({ actions: ['execute-api:Invoke'], resources: stages }),
        ...(observerRoles.length > 0 ? [new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: observerRoles })] : []),
      ],
    });
    for (const resource of stages) {
      acknowledgeWildcardResource(testPolicy, resource,
        'API ids are created later by the service stacks; the grant is limited to one pre-production account, its regions and its stage name');
    }
  }

  /** A role GitHub's OIDC tokens for `subjects` (and audience sts.amazonaws.com) may assume. */
  private workflowRole(id: string, roleName: string, subjects: readonly string[], description: string): iam.Role {
    return new iam.Role(this, id, {
      // Physical name: the workflow refers to it by ARN.
      roleName,
      description,
      assumedBy: new iam.WebIdentityPrincipal(this.provider.oidcProviderArn, {
        StringEquals: {
          [`${GITHUB_OIDC_ISSUER}:aud`]: GITHUB_OIDC_AUDIENCE,
          [`${GITHUB_OIDC_ISSUER}:sub`]: [...subjects],
        },
      }),
      // Long enough for a production canary (the deploy job polls CloudFormation until it ends).
      maxSessionDuration: cdk.Duration.hours(1),
    });
  }

  /** Lets `role` assume the CDK deploy and file-publishing roles of `targets`, nothing else. */
  private allowBootstrapRoles(role: iam.Role, targets: ReadonlyArray<{ account: string; regions: readonly string[] }>): void {
    const resources = targets.flatMap(t => t.regions.flatMap(region => ['deploy-role', 'file-publishing-role'].map(kind =>
      `arn:${cdk.Aws.PARTITION}:iam::${t.account}:role/cdk-${CDK_BOOTSTRAP_QUALIFIER}-${kind}-${t.account}-${region}`)));
    new iam.ManagedPolicy(this, 'AssumeCdkBootstrapRoles', {
      description: 'Lets the workflow role assume the CDK deploy and file-publishing roles of its targets',
      roles: [role],
      statements: [new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources })],
    });
  }
}

/** Name pattern of the governance stacks (governance/governance-stage.ts names each `Governance-<part>`). */
const GOVERNANCE_STACKS = 'Governance-*';

/**
 * The review role's one policy: change sets of the governance stacks of its
 * account in `regions` (created, described, deleted: no ExecuteChangeSet, no
 * PassRole, so a change set it creates runs as the stack's own role if ever
 * executed by someone else), the CDK bootstrap version their templates
 * resolve, and the review roles `reviewRolesElsewhere` of the other accounts.
 */
function governanceReviewPolicy(stack: cdk.Stack, role: iam.Role, regions: readonly string[], reviewRolesElsewhere: readonly string[]): void {
  const stacks = regions.map(region => stack.formatArn({ service: 'cloudformation', region, resource: 'stack', resourceName: `${GOVERNANCE_STACKS}/*` }));
  const policy = new iam.ManagedPolicy(stack, 'ReviewGovernanceChangeSets', {
    description: 'Lets the governance review create, describe and delete change sets of the governance stacks, never execute them',
    roles: [role],
    statements: [
      new iam.PolicyStatement({
        actions: ['cloudformation:DescribeStacks', 'cloudformation:CreateChangeSet', 'cloudformation:DescribeChangeSet', 'cloudformation:DeleteChangeSet'],
        resources: stacks,
      }),
      // The templates' BootstrapVersion parameter is this SSM parameter, resolved when the change set is created.
      new iam.PolicyStatement({
        actions: ['ssm:GetParameters'],
        resources: regions.map(region => stack.formatArn({ service: 'ssm', region, resource: 'parameter', resourceName: `cdk-bootstrap/${CDK_BOOTSTRAP_QUALIFIER}/version` })),
      }),
      ...(reviewRolesElsewhere.length > 0 ? [new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [...reviewRolesElsewhere] })] : []),
    ],
  });
  for (const resource of stacks) {
    acknowledgeWildcardResource(policy, resource, 'The governance stacks by their fixed name prefix (Governance-*), any stack id: CloudFormation adds a '
      + 'random id to a stack ARN; the actions only create, describe and delete change sets');
  }
}

/** Properties of a {@link GitHubGovernanceReviewStack}. */
export interface GitHubGovernanceReviewStackProps extends cdk.StackProps {
  readonly organization: Organization;
  /** The governance account (not the management account) and the regions of its governance stacks. */
  readonly target: GovernanceTarget;
}

/**
 * The governance review role in a governance account other than the
 * management account (the security account): assumed only by the management
 * account's {@link GITHUB_GOVERNANCE_REVIEW_ROLE_NAME}, it may create, describe
 * and delete change sets of the governance stacks there, never execute one.
 * Deployed once by an administrator, like the other OIDC stacks.
 */
export class GitHubGovernanceReviewStack extends cdk.Stack {
  /** The review role. */
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: GitHubGovernanceReviewStackProps) {
    const org = props.organization;
    super(scope, id, {
      description: `Governance review role of ${org.name}'s GitHub workflow (change sets only, never executed)`,
      ...props,
      env: { account: props.target.account, region: org.homeRegion },
    });
    this.role = new iam.Role(this, 'GovernanceReviewRole', {
      // Physical name: the management account's review role assumes it by ARN.
      roleName: GITHUB_GOVERNANCE_REVIEW_ROLE_NAME,
      description: 'Creates, describes and deletes change sets of the governance stacks for the governance review; never executes one',
      assumedBy: new iam.ArnPrincipal(`arn:${cdk.Aws.PARTITION}:iam::${org.managementAccount.id}:role/${GITHUB_GOVERNANCE_REVIEW_ROLE_NAME}`),
      maxSessionDuration: cdk.Duration.hours(1),
    });
    governanceReviewPolicy(this, this.role, props.target.regions, []);
  }
}

/**
 * The OIDC stacks of the `github` engine: `GitHubOidc` (tooling account),
 * `GitHubOidc-Governance` (management account) and a
 * `GitHubOidc-GovernanceReview-<account>` per other governance account (the
 * security account's review role).
 */
export function gitHubOidcStacks(scope: Construct, organization: Organization): cdk.Stack[] {
  const management = organization.managementAccount.id;
  return [
    new GitHubOidcStack(scope, 'GitHubOidc', { organization, purpose: 'services' }),
    new GitHubOidcStack(scope, 'GitHubOidc-Governance', { organization, purpose: 'governance' }),
    ...governanceTargets(organization).filter(t => t.account !== management)
      .map(target => new GitHubGovernanceReviewStack(scope, `GitHubOidc-GovernanceReview-${target.account}`, { organization, target })),
  ];
}
