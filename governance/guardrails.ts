import {
  AUDIT_ROLE_NAME,
  BREAK_GLASS_ROLE_NAME,
  CDK_ASSETS_BUCKET_PATTERN,
  CDK_BOOTSTRAP_PARAMETER_PATTERN,
  CDK_BOOTSTRAP_ROLE_PATTERN,
  CDK_EXECUTION_POLICY_NAME,
  CDK_TOOLKIT_STACK_NAME,
  CONTROL_TOWER_EXECUTION_ROLE_NAME,
  GOVERNANCE_STACK_PREFIX,
  ORGANIZATION_ACCESS_ROLE_NAME,
  Organization,
  ServiceControlGuardrail,
  STACKSET_EXECUTION_ROLE_PATTERN,
  WORKLOAD_ROLE_PATH,
} from '../accounts';

/** A condition block: operator -> key -> value(s). */
export type PolicyCondition = Record<string, Record<string, string | readonly string[]>>;

/** An IAM policy statement as it appears in an SCP, RCP or trust policy. */
export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: 'Allow' | 'Deny';
  /** RCPs require `*`; SCPs have none. */
  readonly Principal?: '*' | Record<string, string | readonly string[]>;
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  /** Every resource but these (SCPs accept it since AWS's 2025 full IAM language support). */
  readonly NotResource?: string | readonly string[];
  readonly Condition?: PolicyCondition;
}

/** A policy document, as attached to an OU or the root. */
export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly PolicyStatement[];
}

/** Wraps statements in a policy document. */
export function policyDocument(statements: readonly PolicyStatement[]): PolicyDocument {
  return { Version: '2012-10-17', Statement: statements };
}

/** An IAM role ARN pattern matching `name` (may end in `*`) in every account. */
function anyAccountRole(name: string): string {
  return `arn:aws:iam::*:role/${name}`;
}

/**
 * Principals that keep the landing zone running and must never be blocked
 * by a guardrail: Control Tower's execution role, the StackSet execution
 * roles that roll out the platform roles, and the role the bootstrap tool
 * enters accounts through (only the management account may assume it). In
 * production the last one is held to the bootstrap itself: see
 * {@link denyChangesOutsidePipeline}.
 */
const LANDING_ZONE_OPERATORS = [
  anyAccountRole(CONTROL_TOWER_EXECUTION_ROLE_NAME),
  anyAccountRole('aws-controltower-*'),
  anyAccountRole(STACKSET_EXECUTION_ROLE_PATTERN),
  anyAccountRole(ORGANIZATION_ACCESS_ROLE_NAME),
];

/** The break-glass role (MFA, one hour, named people only: see member-roles). */
const BREAK_GLASS = anyAccountRole(BREAK_GLASS_ROLE_NAME);

/** Roles of the governance stacks (custom resources configuring the security services), created only by the pipeline. */
const GOVERNANCE_ROLES = anyAccountRole(`${GOVERNANCE_STACK_PREFIX}*`);

/** CloudFormation's execution role and the other CDK bootstrap roles: what the pipeline deploys through. */
const PIPELINE_DEPLOYERS = [anyAccountRole(CDK_BOOTSTRAP_ROLE_PATTERN)];

/** Roles the service stacks create (functions, CodeDeploy, hooks): only the pipeline can create roles there. */
const WORKLOAD_ROLES = anyAccountRole(`${WORKLOAD_ROLE_PATH.replace(/^\//, '')}*`);

/** CloudFormation's service principal, in `aws:CalledVia` when it acts with the caller's credentials (no service role). */
const CLOUDFORMATION_SERVICE = 'cloudformation.amazonaws.com';

/** Condition that exempts the listed principals from a Deny. */
function unless(principals: readonly string[]): PolicyCondition {
  return { ArnNotLike: { 'aws:PrincipalArn': [...principals] } };
}

/**
 * A member account that leaves the organization escapes every guardrail and
 * the consolidated audit trail: nobody in a member account may leave.
 */
export function denyLeavingOrganization(): PolicyStatement[] {
  return [{
    Sid: 'DenyLeavingOrganization',
    Effect: 'Deny',
    Action: 'organizations:LeaveOrganization',
    Resource: '*',
  }];
}

/**
 * Root user credentials of a member account are unrestricted by IAM and
 * rarely watched: nothing may be done as root (the management account, where
 * root is needed for a few billing tasks, is never subject to SCPs).
 */
export function denyRootUser(): PolicyStatement[] {
  return [{
    Sid: 'DenyRootUser',
    Effect: 'Deny',
    Action: '*',
    Resource: '*',
    Condition: { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:root' } },
  }];
}

/**
 * Global services (and the global parts of regional ones) whose requests
 * carry us-east-1 or another fixed region whatever the caller's region, so
 * a region allow-list must not block them. After AWS's example SCP, minus
 * services the platform does not use and minus KMS and Config, which are
 * regional and must stay in the allowed regions.
 */
export const GLOBAL_SERVICE_ACTIONS = [
  'account:*', 'acm:*', 'aws-marketplace:*', 'aws-marketplace-management:*', 'aws-portal:*', 'billing:*', 'budgets:*', 'ce:*',
  'cloudfront:*', 'cur:*', 'directconnect:*', 'ec2:DescribeRegions', 'ec2:DescribeTransitGateways', 'ec2:DescribeVpnGateways',
  'fms:*', 'globalaccelerator:*', 'health:*', 'iam:*', 'networkmanager:*', 'organizations:*', 'pricing:*', 'route53:*',
  'route53domains:*', 's3:GetAccountPublic*', 's3:ListAllMyBuckets', 's3:ListMultiRegionAccessPoints', 's3:PutAccountPublic*',
  'shield:*', 'sso:*', 'sts:*', 'support:*', 'tag:GetResources', 'trustedadvisor:*', 'waf:*', 'waf-regional:*', 'wafv2:*',
  'wellarchitected:*',
];

/**
 * Data residency: workloads run only in the declared regions, so data and
 * forgotten resources cannot appear elsewhere. Control Tower's own roles are
 * exempt (it governs every region it knows), as AWS requires.
 */
export function denyRegionsOutsideAllowList(allowedRegions: readonly string[]): PolicyStatement[] {
  return [{
    Sid: 'DenyRegionsOutsideAllowList',
    Effect: 'Deny',
    NotAction: GLOBAL_SERVICE_ACTIONS,
    Resource: '*',
    Condition: {
      StringNotEquals: { 'aws:RequestedRegion': [...allowedRegions] },
      ...unless([anyAccountRole(CONTROL_TOWER_EXECUTION_ROLE_NAME), anyAccountRole('aws-controltower-*')]),
    },
  }];
}

/**
 * An intruder's first move is to blind the defenders: nobody but the
 * landing zone's own roles, the governance stacks' roles (GuardDuty's
 * organization configuration) and break-glass may stop, delete or weaken
 * CloudTrail, Config, GuardDuty, Security Hub or IAM Access Analyzer.
 */
export function protectSecurityServices(): PolicyStatement[] {
  return [{
    Sid: 'ProtectSecurityServices',
    Effect: 'Deny',
    Action: [
      'cloudtrail:StopLogging', 'cloudtrail:DeleteTrail', 'cloudtrail:UpdateTrail', 'cloudtrail:PutEventSelectors',
      'config:StopConfigurationRecorder', 'config:DeleteConfigurationRecorder', 'config:DeleteDeliveryChannel',
      'config:DeleteRetentionConfiguration', 'config:PutConfigurationRecorder', 'config:PutDeliveryChannel',
      'guardduty:DeleteDetector', 'guardduty:UpdateDetector', 'guardduty:DisassociateFromAdministratorAccount',
      'guardduty:DisassociateFromMasterAccount', 'guardduty:DeleteMembers', 'guardduty:StopMonitoringMembers',
      'guardduty:DisassociateMembers', 'guardduty:CreateFilter', 'guardduty:UpdateFilter', 'guardduty:DeletePublishingDestination',
      'guardduty:CreateIPSet', 'guardduty:UpdateIPSet',
      'securityhub:DisableSecurityHub', 'securityhub:DisassociateFromAdministratorAccount',
      'securityhub:DisassociateFromMasterAccount', 'securityhub:DeleteMembers', 'securityhub:DisassociateMembers',
      'securityhub:BatchDisableStandards', 'securityhub:DisableImportFindingsForProduct', 'securityhub:UpdateStandardsControl',
      'access-analyzer:DeleteAnalyzer', 'access-analyzer:CreateArchiveRule', 'access-analyzer:UpdateArchiveRule',
    ],
    Resource: '*',
    Condition: unless([...LANDING_ZONE_OPERATORS, GOVERNANCE_ROLES, BREAK_GLASS]),
  }];
}

/** IAM actions that change a role or what it may do. */
const ROLE_CHANGES = [
  'iam:AttachRolePolicy', 'iam:CreateRole', 'iam:DeleteRole', 'iam:DeleteRolePermissionsBoundary', 'iam:DeleteRolePolicy',
  'iam:DetachRolePolicy', 'iam:PutRolePermissionsBoundary', 'iam:PutRolePolicy', 'iam:UpdateAssumeRolePolicy', 'iam:UpdateRole',
  'iam:UpdateRoleDescription', 'iam:TagRole', 'iam:UntagRole',
];

/**
 * Whoever can edit the roles the pipeline, StackSets, Control Tower and
 * break-glass act through can grant themselves everything they can: those
 * roles (and the CDK execution policy) change only through the pipeline's
 * CloudFormation role, the landing zone's operators or break-glass.
 */
export function protectPlatformRoles(): PolicyStatement[] {
  return [
    {
      Sid: 'ProtectPlatformRoles',
      Effect: 'Deny',
      Action: ROLE_CHANGES,
      Resource: [
        anyAccountRole('platform-*'),
        anyAccountRole(CDK_BOOTSTRAP_ROLE_PATTERN),
        // The github engine's OIDC roles (pipeline/github-oidc-stack.ts).
        anyAccountRole('GitHub*'),
        GOVERNANCE_ROLES,
        ...LANDING_ZONE_OPERATORS,
      ],
      Condition: unless([...PIPELINE_DEPLOYERS, ...LANDING_ZONE_OPERATORS, BREAK_GLASS]),
    },
    {
      Sid: 'ProtectCdkExecutionPolicy',
      Effect: 'Deny',
      Action: ['iam:CreatePolicy', 'iam:CreatePolicyVersion', 'iam:DeletePolicy', 'iam:DeletePolicyVersion', 'iam:SetDefaultPolicyVersion'],
      Resource: `arn:aws:iam::*:policy/${CDK_EXECUTION_POLICY_NAME}`,
      Condition: unless([...LANDING_ZONE_OPERATORS, BREAK_GLASS]),
    },
  ];
}

/**
 * Long-lived credentials leak (CI logs, laptops, repositories): in workload
 * accounts people sign in through federation and machines use roles, so no
 * IAM users, passwords or access keys can be created, by anyone.
 */
export function denyIamUsers(): PolicyStatement[] {
  return [{
    Sid: 'DenyIamUsersAndLongLivedKeys',
    Effect: 'Deny',
    Action: [
      'iam:CreateUser', 'iam:CreateAccessKey', 'iam:CreateLoginProfile', 'iam:UpdateLoginProfile',
      'iam:CreateServiceSpecificCredential', 'iam:UploadSSHPublicKey',
    ],
    Resource: '*',
  }];
}

/**
 * Actions that change production (control plane and the data people must
 * not write by hand): payments, ledger entries, queued events, secrets,
 * alarms that drive rollbacks and where they are sent, the edge (its
 * certificates, CloudFront distribution and the merchants' user pool).
 * Reads stay open for diagnosis.
 */
export const PRODUCTION_CHANGES = [
  'acm:Delete*', 'acm:Import*', 'acm:Request*', 'acm:Update*',
  'apigateway:DELETE', 'apigateway:PATCH', 'apigateway:POST', 'apigateway:PUT',
  'appconfig:Create*', 'appconfig:Delete*', 'appconfig:StartDeployment', 'appconfig:StopDeployment', 'appconfig:Update*',
  'chatbot:Create*', 'chatbot:Delete*', 'chatbot:Update*',
  'cloudformation:CancelUpdateStack', 'cloudformation:ContinueUpdateRollback', 'cloudformation:Create*', 'cloudformation:Delete*',
  'cloudformation:Execute*', 'cloudformation:RollbackStack', 'cloudformation:Set*', 'cloudformation:Update*',
  'cloudfront:Associate*', 'cloudfront:Create*', 'cloudfront:Delete*', 'cloudfront:Update*',
  'cloudwatch:Delete*', 'cloudwatch:DisableAlarmActions', 'cloudwatch:PutCompositeAlarm', 'cloudwatch:PutDashboard',
  'cloudwatch:PutMetricAlarm', 'cloudwatch:SetAlarmState',
  'codedeploy:ContinueDeployment', 'codedeploy:Create*', 'codedeploy:Delete*', 'codedeploy:PutLifecycleEventHookExecutionStatus',
  'codedeploy:StopDeployment', 'codedeploy:Update*',
  'cognito-idp:Add*', 'cognito-idp:Admin*', 'cognito-idp:Create*', 'cognito-idp:Delete*', 'cognito-idp:Set*', 'cognito-idp:Update*',
  'dynamodb:BatchWriteItem', 'dynamodb:Create*', 'dynamodb:Delete*', 'dynamodb:Import*', 'dynamodb:PartiQLDelete',
  'dynamodb:PartiQLInsert', 'dynamodb:PartiQLUpdate', 'dynamodb:Put*', 'dynamodb:Restore*', 'dynamodb:Update*',
  'ec2:Authorize*', 'ec2:Create*', 'ec2:Delete*', 'ec2:Modify*', 'ec2:Revoke*', 'ec2:RunInstances',
  'events:Delete*', 'events:Disable*', 'events:Put*', 'events:Remove*',
  'iam:Attach*', 'iam:Create*', 'iam:Delete*', 'iam:Detach*', 'iam:PassRole', 'iam:Put*', 'iam:SetDefaultPolicyVersion', 'iam:Update*',
  'kms:Create*', 'kms:Delete*', 'kms:Disable*', 'kms:Enable*', 'kms:Put*', 'kms:RevokeGrant', 'kms:ScheduleKeyDeletion', 'kms:Update*',
  'lambda:AddPermission', 'lambda:Create*', 'lambda:Delete*', 'lambda:Publish*', 'lambda:Put*', 'lambda:RemovePermission', 'lambda:Update*',
  'logs:Delete*', 'logs:DisassociateKmsKey', 'logs:PutRetentionPolicy',
  's3:DeleteBucket*', 's3:DeleteObject*', 's3:PutBucket*', 's3:PutEncryptionConfiguration', 's3:PutLifecycleConfiguration', 's3:PutObject*',
  'secretsmanager:Create*', 'secretsmanager:Delete*', 'secretsmanager:Put*', 'secretsmanager:Restore*', 'secretsmanager:Rotate*',
  'secretsmanager:Update*',
  'sns:Create*', 'sns:Delete*', 'sns:Publish', 'sns:Set*', 'sns:Subscribe', 'sns:Unsubscribe',
  'sqs:Create*', 'sqs:Delete*', 'sqs:PurgeQueue', 'sqs:SendMessage', 'sqs:SetQueueAttributes', 'sqs:StartMessageMoveTask',
  'ssm:DeleteParameter*', 'ssm:LabelParameterVersion', 'ssm:PutParameter', 'ssm:SendCommand', 'ssm:StartSession',
  'wafv2:Associate*', 'wafv2:Create*', 'wafv2:Delete*', 'wafv2:Disassociate*', 'wafv2:Put*', 'wafv2:Update*',
];

/** The role the bootstrap tool enters member accounts through (trusted by the management account). */
const ORGANIZATION_ACCESS_ROLE = anyAccountRole(ORGANIZATION_ACCESS_ROLE_NAME);

/**
 * What the bootstrap tool writes in an account: the execution policy (its
 * own IAM calls, accounts/bootstrap/execution-policy-sync.ts), the
 * CDKToolkit stack `cdk bootstrap` deploys, and the resources of that stack
 * CloudFormation writes with the caller's credentials (the stack has no
 * service role): the bootstrap roles and their policies, the staging
 * bucket and the version parameter. Its ECR repository needs nothing here
 * (ECR is not a production change), and no KMS key is created (the tool
 * does not pass --bootstrap-customer-key, so the bucket uses AWS's key).
 */
const CDK_BOOTSTRAP = {
  executionPolicy: `arn:aws:iam::*:policy/${CDK_EXECUTION_POLICY_NAME}`,
  toolkitStack: `arn:aws:cloudformation:*:*:stack/${CDK_TOOLKIT_STACK_NAME}/*`,
  stackResources: [
    anyAccountRole(CDK_BOOTSTRAP_ROLE_PATTERN),
    // Also matches the bucket's objects, which only the (denied below) direct calls could write.
    `arn:aws:s3:::${CDK_ASSETS_BUCKET_PATTERN}`,
    `arn:aws:ssm:*:*:parameter${CDK_BOOTSTRAP_PARAMETER_PATTERN}`,
  ],
};

/** Services holding the bootstrap resources; the access role may use no other service of {@link PRODUCTION_CHANGES} at all. */
const BOOTSTRAP_SERVICES = ['cloudformation', 'iam', 's3', 'ssm'];

/** The production changes of `services`, in {@link PRODUCTION_CHANGES} order. */
function productionChangesOf(services: readonly string[]): string[] {
  return PRODUCTION_CHANGES.filter(action => services.includes(action.split(':')[0]));
}

/**
 * Production changes are reviewed, tested and reversible only when they go
 * through the pipeline: people (federated roles) cannot change production;
 * the pipeline's CDK roles, the roles the service stacks create for the
 * workloads themselves, Control Tower, the StackSets and break-glass can.
 *
 * The organization access role (every administrator of the management
 * account can assume it) may only run the bootstrap tool here: write the
 * execution policy, deploy the CDKToolkit stack, and, through that stack's
 * CloudFormation calls only, its roles, bucket and parameter. It may not
 * touch any other resource, pass or assume any role, nor write the
 * bootstrap resources by hand. And nobody in production but the pipeline
 * and break-glass may assume or pass the CDK roles, which are exempt here:
 * they trust their own account, so any administrator of it could otherwise
 * deploy through them.
 *
 * Through the stack it may still set the CDK roles' trust (`--trust`, or a
 * bootstrap template that changes it): denying updates would not stop it
 * choosing the trust of a role it creates, and that trust only matters to
 * principals outside this account, which no SCP here reaches (a resource
 * control policy on sts:AssumeRole must).
 */
export function denyChangesOutsidePipeline(): PolicyStatement[] {
  const otherServices = [...new Set(PRODUCTION_CHANGES.map(action => action.split(':')[0]))].filter(s => !BOOTSTRAP_SERVICES.includes(s));
  const asAccessRole: PolicyCondition = { ArnLike: { 'aws:PrincipalArn': ORGANIZATION_ACCESS_ROLE } };
  return [
    {
      Sid: 'DenyChangesOutsidePipeline',
      Effect: 'Deny',
      Action: PRODUCTION_CHANGES,
      Resource: '*',
      Condition: unless([...PIPELINE_DEPLOYERS, WORKLOAD_ROLES, ...LANDING_ZONE_OPERATORS, BREAK_GLASS]),
    },
    {
      Sid: 'AccessRoleOnlyBootstraps',
      Effect: 'Deny',
      // Whole services it never needs (reads of functions, tables, keys and secrets included); role hops.
      Action: [...otherServices.map(s => `${s}:*`), ...productionChangesOf(BOOTSTRAP_SERVICES), 'sts:AssumeRole'],
      NotResource: [CDK_BOOTSTRAP.executionPolicy, CDK_BOOTSTRAP.toolkitStack, ...CDK_BOOTSTRAP.stackResources],
      Condition: asAccessRole,
    },
    {
      // The stack's resources are touched only through the stack, which the next bootstrap run puts back
      // (whole services: the tool reads none of them directly, and the statement stays small).
      Sid: 'AccessRoleBootstrapsThroughCloudFormation',
      Effect: 'Deny',
      Action: ['iam:*', 's3:*', 'ssm:*'],
      Resource: CDK_BOOTSTRAP.stackResources,
      Condition: { ...asAccessRole, 'ForAllValues:StringNotEquals': { 'aws:CalledVia': CLOUDFORMATION_SERVICE } },
    },
    {
      Sid: 'DenyActingAsPipeline',
      Effect: 'Deny',
      Action: ['sts:AssumeRole', 'iam:PassRole'],
      Resource: PIPELINE_DEPLOYERS,
      Condition: unless([...PIPELINE_DEPLOYERS, BREAK_GLASS]),
    },
  ];
}

/**
 * Accounts awaiting closure must do nothing (no cost, no foothold); Control
 * Tower and the StackSets still reach them, and break-glass can recover one.
 */
export function denyAll(): PolicyStatement[] {
  return [{
    Sid: 'DenyAll',
    Effect: 'Deny',
    Action: '*',
    Resource: '*',
    Condition: unless([...LANDING_ZONE_OPERATORS, BREAK_GLASS]),
  }];
}

/** The statements of each guardrail, for one organization. */
export function serviceControlGuardrail(name: ServiceControlGuardrail, organization: Organization): PolicyStatement[] {
  const guardrails: Record<ServiceControlGuardrail, () => PolicyStatement[]> = {
    'deny-leaving-organization': denyLeavingOrganization,
    'deny-root-user': denyRootUser,
    'deny-regions-outside-allow-list': () => denyRegionsOutsideAllowList(organization.allowedRegions),
    'protect-security-services': protectSecurityServices,
    'protect-platform-roles': protectPlatformRoles,
    'deny-iam-users': denyIamUsers,
    'deny-changes-outside-pipeline': denyChangesOutsidePipeline,
    'deny-all': denyAll,
  };
  return guardrails[name]();
}
