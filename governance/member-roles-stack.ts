import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import * as cloudformation from 'aws-cdk-lib/aws-cloudformation';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import {
  accountWithRole,
  AUDIT_ROLE_NAME,
  BREAK_GLASS_ROLE_NAME,
  Organization,
  PIPELINE_OBSERVER_ROLE_NAME,
  ROOT_TARGET,
  SERVICE_PIPELINE_STACK_NAME,
} from '../accounts';
import { acknowledgeAwsManagedPolicy, acknowledgeWildcardResource } from '../kit';

/** Minutes a break-glass user's MFA sign-in stays good for assuming the role. */
export const BREAK_GLASS_MFA_MAX_AGE_SECONDS = 900;

/** The tooling-account principals that may assume the pipeline observer role (both engines' test and bake-check roles). */
export function pipelineObserverCallers(organization: Organization): string[] {
  const tooling = organization.pipeline.toolingAccount.id;
  return [
    // CodePipeline engine: the CodeBuild roles of the service pipeline stack (CloudFormation names them after it).
    `arn:aws:iam::${tooling}:role/${SERVICE_PIPELINE_STACK_NAME}-*`,
    // github engine: the post-deploy tests' OIDC role (pipeline/github-oidc-stack.ts).
    `arn:aws:iam::${tooling}:role/GitHubIntegrationTestRole`,
  ];
}

/** What one StackSet deploys, and where. */
interface MemberRoleSet {
  /** Construct id and StackSet name suffix; renaming it replaces the StackSet (and its roles in every account). */
  readonly id: string;
  readonly description: string;
  /** `Root` or OU paths. */
  readonly targets: readonly string[];
  readonly build: (stack: cdk.Stack) => void;
}

/** Properties of a {@link MemberRolesStack}. */
export interface MemberRolesStackProps extends cdk.StackProps {
  readonly organization: Organization;
  /**
   * Adds the project's policy validation to the separate app the StackSet
   * templates are synthesized in (pipeline/policy-validation.ts
   * `addPolicyValidation`), so they meet the same checks as every stack.
   * @default - the templates are not validated
   */
  readonly templateValidation?: (app: cdk.App) => void;
}

/**
 * The cross-account roles of every member account, rolled out by
 * service-managed StackSets with automatic deployment: an account created
 * in (or moved to) a target OU gets them without anyone deploying.
 *
 * - `platform-audit` (all member accounts): read-only, assumable by the
 *   security account's audit roles (`governance.auditRoles`).
 * - `platform-break-glass` (all member accounts): administrator, assumable
 *   only by the named management-account users (`governance.breakGlassUsers`)
 *   with MFA used in the last 15 minutes, one-hour sessions.
 * - `platform-pipeline-observer` (the environments' accounts): reads alarm
 *   states and the services' SSM parameters for the pipelines' bake checks
 *   and tests, assumable only by the pipelines' roles in the tooling account.
 *   (The CDK bootstrap roles the pipelines deploy through come from the
 *   bootstrap tool, which passes them a least-privilege execution policy.)
 *
 * Each StackSet's template is synthesized from CDK constructs in a separate
 * app, under the same policy validation (cdk-nag, Control Tower guard rules).
 */
export class MemberRolesStack extends cdk.Stack {
  /** The StackSets, by id. */
  public readonly stackSets: Record<string, cloudformation.CfnStackSet> = {};
  /** The template each StackSet deploys, by id. */
  public readonly templates: Record<string, MemberTemplate> = {};

  constructor(scope: Construct, id: string, props: MemberRolesStackProps) {
    const org = props.organization;
    super(scope, id, {
      description: `Cross-account roles of every member account of ${org.name}, through service-managed StackSets`,
      ...props,
      env: { account: org.managementAccount.id, region: org.homeRegion },
    });
    const sets = memberRoleSets(org);
    const templates = synthesizeMemberTemplates(sets, props.templateValidation);
    const ouId = (target: string) => target === ROOT_TARGET ? org.rootId : org.organizationalUnits.find(u => u.path === target)!.id;
    for (const set of sets) {
      this.templates[set.id] = templates[set.id];
      this.stackSets[set.id] = new cloudformation.CfnStackSet(this, set.id, {
        stackSetName: `${org.name}-${set.id}`,
        description: set.description,
        permissionModel: 'SERVICE_MANAGED',
        // New accounts in the target OUs get the roles; an account leaving them loses them.
        autoDeployment: { enabled: true, retainStacksOnAccountRemoval: false },
        managedExecution: { Active: true },
        capabilities: ['CAPABILITY_NAMED_IAM'],
        operationPreferences: { failureToleranceCount: 0, maxConcurrentPercentage: 100, regionConcurrencyType: 'PARALLEL' },
        // IAM is global: one region is enough.
        stackInstancesGroup: [{
          deploymentTargets: { organizationalUnitIds: [...new Set(set.targets.map(ouId))] },
          regions: [org.homeRegion],
        }],
        templateBody: JSON.stringify(templates[set.id]),
        tags: [{ key: 'service', value: 'governance' }],
      });
    }
  }
}

/** A synthesized CloudFormation template. */
export interface MemberTemplate {
  readonly Resources: Record<string, { readonly Type: string; readonly Properties?: Record<string, unknown> }>;
  readonly [key: string]: unknown;
}

function memberRoleSets(org: Organization): MemberRoleSet[] {
  const security = accountWithRole(org, 'security');
  const environmentOus = [...new Set(org.environments.map(e => e.account.ou))];
  return [
    {
      id: 'audit-role',
      description: 'Read-only audit role for the security account',
      targets: [ROOT_TARGET],
      build: stack => {
        const role = new iam.Role(stack, 'AuditRole', {
          roleName: AUDIT_ROLE_NAME,
          description: `Read-only audit access for the security account's audit roles (${org.name})`,
          assumedBy: new iam.ArnPrincipal(`arn:aws:iam::${security.id}:root`).withConditions({
            // Exact principals, named by ARN condition so the trust survives their re-creation.
            ArnEquals: { 'aws:PrincipalArn': org.governance.auditRoles.map(r => `arn:aws:iam::${security.id}:role/${r}`) },
          }),
          maxSessionDuration: cdk.Duration.hours(1),
        });
        for (const name of ['SecurityAudit', 'job-function/ViewOnlyAccess']) {
          const policy = iam.ManagedPolicy.fromAwsManagedPolicyName(name);
          role.addManagedPolicy(policy);
          acknowledgeAwsManagedPolicy(role, policy, 'AWS-maintained read-only policies that follow new services; '
            + 'ViewOnlyAccess (not ReadOnlyAccess) so auditors see configuration but not data');
        }
      },
    },
    {
      id: 'break-glass-role',
      description: 'Break-glass administrator role, MFA and named management-account users only',
      targets: [ROOT_TARGET],
      build: stack => {
        const role = new iam.Role(stack, 'BreakGlassRole', {
          roleName: BREAK_GLASS_ROLE_NAME,
          description: 'Emergency administrator access when federation is down; every use is an incident',
          assumedBy: new iam.ArnPrincipal(`arn:aws:iam::${org.managementAccount.id}:root`).withConditions({
            ArnEquals: { 'aws:PrincipalArn': org.governance.breakGlassUsers.map(u => `arn:aws:iam::${org.managementAccount.id}:user/${u}`) },
            Bool: { 'aws:MultiFactorAuthPresent': 'true' },
            NumericLessThan: { 'aws:MultiFactorAuthAge': String(BREAK_GLASS_MFA_MAX_AGE_SECONDS) },
          }),
          maxSessionDuration: cdk.Duration.hours(1),
        });
        const admin = iam.ManagedPolicy.fromAwsManagedPolicyName('AdministratorAccess');
        role.addManagedPolicy(admin);
        acknowledgeAwsManagedPolicy(role, admin, 'Break-glass exists to repair anything when federation or the pipeline is '
          + 'broken; it is limited by who may assume it (named users, MFA within 15 minutes, one-hour sessions), not by what it may do');
      },
    },
    {
      id: 'pipeline-observer-role',
      description: 'Read-only role the pipelines use for bake checks and post-deploy tests',
      targets: environmentOus,
      build: stack => {
        const account = cdk.Aws.ACCOUNT_ID;
        const role = new iam.Role(stack, 'PipelineObserverRole', {
          roleName: PIPELINE_OBSERVER_ROLE_NAME,
          description: 'Lets the pipelines read alarm states and the services\' published parameters',
          assumedBy: new iam.ArnPrincipal(`arn:aws:iam::${org.pipeline.toolingAccount.id}:root`).withConditions({
            ArnLike: { 'aws:PrincipalArn': pipelineObserverCallers(org) },
          }),
          maxSessionDuration: cdk.Duration.hours(1),
        });
        const alarms = `arn:${cdk.Aws.PARTITION}:cloudwatch:*:${account}:alarm:*`;
        const parameters = `arn:${cdk.Aws.PARTITION}:ssm:*:${account}:parameter/${org.name}/*/services/*`;
        const policy = new iam.ManagedPolicy(stack, 'PipelineObserverPolicy', {
          managedPolicyName: `${PIPELINE_OBSERVER_ROLE_NAME}-read`,
          description: 'Alarm states and the services\' SSM parameters, nothing else',
          roles: [role],
          statements: [
            new iam.PolicyStatement({
              actions: ['cloudwatch:DescribeAlarms'],
              resources: [alarms],
            }),
            new iam.PolicyStatement({
              actions: ['ssm:GetParameter', 'ssm:GetParameters'],
              resources: [parameters],
            }),
          ],
        });
        acknowledgeWildcardResource(policy, alarms, 'Alarm names come from the service stacks deployed later; '
          + 'DescribeAlarms only, this account only');
        acknowledgeWildcardResource(policy, parameters, 'Parameters the service stacks publish later; read-only, '
          + 'this account only, the /<org>/<env>/services/ tree only');
      },
    },
  ];
}

/**
 * Synthesizes each set's template in its own app (no bootstrap resources,
 * so it deploys into accounts that have none), under the project's policy
 * validation; the result is plain JSON for `templateBody`.
 */
function synthesizeMemberTemplates(
  sets: readonly MemberRoleSet[],
  validation: ((app: cdk.App) => void) | undefined,
): Record<string, MemberTemplate> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'member-roles-'));
  try {
    const app = new cdk.App({ outdir, analyticsReporting: false });
    validation?.(app);
    for (const set of sets) {
      set.build(new cdk.Stack(app, set.id, { synthesizer: new cdk.BootstraplessSynthesizer(), analyticsReporting: false }));
    }
    const assembly = app.synth();
    return Object.fromEntries(sets.map(set => [set.id, assembly.getStackByName(set.id).template as MemberTemplate]));
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}
