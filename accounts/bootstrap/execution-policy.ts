import { wafLogBucketName } from '../edge-model';
import { AccountRole } from '../organization-model';
import { CDK_BOOTSTRAP_QUALIFIER, CDK_EXECUTION_POLICY_NAME } from '../platform-names';

/**
 * What an account is for, as far as CloudFormation deployments go: each
 * kind gets its own execution policy, holding only the services its stacks use.
 */
export const ACCOUNT_KINDS = ['management', 'security', 'tooling', 'workload'] as const;
/** The kind of an account, for its CDK execution policy. */
export type AccountKind = (typeof ACCOUNT_KINDS)[number];

/**
 * The kind of a member account with `role`. The log-archive account is held
 * to the security account's services (only governance deploys there); shared
 * services and sandboxes deploy what workloads deploy.
 */
export function accountKindOf(role: AccountRole): AccountKind {
  switch (role) {
    case 'security':
    case 'log-archive':
      return 'security';
    case 'tooling':
      return 'tooling';
    case 'workload':
    case 'shared-services':
    case 'sandbox':
      return 'workload';
  }
}

/**
 * IAM service prefixes whose resources each kind of account's stacks create.
 * `iam` is not listed: every kind gets IAM roles and policies of its own
 * account only (see {@link executionPolicyDocument}).
 * The test `execution-policy-coverage.test.ts` synthesizes the real app and
 * fails when a stack uses a service missing here, so the list cannot fall behind.
 * Kinds whose stacks have alarm or notification topics have `chatbot` (Slack
 * and Teams on-call channels) and `sqs` (on-call webhooks' dead-letter
 * queues): see kit/on-call.ts.
 */
export const SERVICES_BY_KIND: Readonly<Record<AccountKind, readonly string[]>> = {
  // Service stacks (services/service-stack.ts): functions, API, data, deployment, flags, WAF; and the public edge
  // (services/edge-stack.ts): its HTTP API (apigateway, also for API Gateway v2), merchants' user pool, its domain's certificate,
  // and with WAF its front (services/edge-front.ts): the CloudFront distribution (and S3 for WAF's log buckets only, below).
  workload: [
    'lambda', 'apigateway', 'dynamodb', 'sqs', 'sns', 'kms', 'secretsmanager', 'ssm', 'logs',
    'cloudwatch', 'codedeploy', 'appconfig', 'wafv2', 'xray', 'events', 'cognito-idp', 'acm', 'cloudfront', 'chatbot',
  ],
  // Governance (guardrails, Control Tower, StackSets, budgets, security services, trail alarms) and its pipeline.
  management: [
    'organizations', 'controltower', 'cloudformation', 'budgets', 'ce', 'securityhub', 'guardduty',
    'sns', 'kms', 'lambda', 'logs', 'cloudwatch', 'events', 'ssm', 's3', 'codepipeline', 'codebuild',
    'codestar-connections', 'codeconnections', 'codestar-notifications', 'chatbot', 'sqs',
  ],
  // Delegated administration of the security services (governance stacks deployed from the management account).
  security: ['securityhub', 'guardduty', 'lambda', 'logs', 'kms', 'sns', 'events', 'config'],
  // The service pipeline: CodePipeline, CodeBuild, artifacts and notifications.
  tooling: [
    'codepipeline', 'codebuild', 'codestar-connections', 'codeconnections', 'codestar-notifications',
    's3', 'kms', 'events', 'sns', 'logs', 'ssm', 'chatbot', 'sqs',
  ],
};

/**
 * IAM actions on the account's own roles and customer-managed policies that
 * stacks need to create execution roles for what they deploy. No users, groups
 * or access keys: people never get long-lived credentials through a stack.
 */
const ROLE_MANAGEMENT_ACTIONS = [
  'iam:GetRole', 'iam:GetRolePolicy', 'iam:ListRolePolicies', 'iam:ListAttachedRolePolicies', 'iam:ListRoleTags',
  'iam:CreateRole', 'iam:DeleteRole', 'iam:UpdateRole', 'iam:UpdateRoleDescription', 'iam:UpdateAssumeRolePolicy',
  'iam:TagRole', 'iam:UntagRole', 'iam:PutRolePolicy', 'iam:DeleteRolePolicy', 'iam:AttachRolePolicy',
  'iam:DetachRolePolicy', 'iam:PutRolePermissionsBoundary', 'iam:DeleteRolePermissionsBoundary', 'iam:PassRole',
  'iam:GetPolicy', 'iam:GetPolicyVersion', 'iam:ListPolicyVersions', 'iam:CreatePolicy', 'iam:DeletePolicy',
  'iam:CreatePolicyVersion', 'iam:DeletePolicyVersion', 'iam:TagPolicy', 'iam:UntagPolicy',
  'iam:CreateServiceLinkedRole', 'iam:DeleteServiceLinkedRole', 'iam:GetServiceLinkedRoleDeletionStatus',
];

/**
 * The GitHub engine's OIDC provider lives in the tooling and management
 * accounts (pipeline/github-oidc-stack.ts).
 */
const OIDC_PROVIDER_ACTIONS = [
  'iam:CreateOpenIDConnectProvider', 'iam:DeleteOpenIDConnectProvider', 'iam:GetOpenIDConnectProvider',
  'iam:UpdateOpenIDConnectProviderThumbprint', 'iam:AddClientIDToOpenIDConnectProvider',
  'iam:RemoveClientIDFromOpenIDConnectProvider', 'iam:TagOpenIDConnectProvider', 'iam:UntagOpenIDConnectProvider',
];

/**
 * The management account's break-glass users (governance-model `breakGlassUsers`)
 * are IAM users its governance stacks create; no other kind may create users.
 */
const MANAGEMENT_USER_ACTIONS = [
  'iam:GetUser', 'iam:CreateUser', 'iam:DeleteUser', 'iam:TagUser', 'iam:UntagUser',
  'iam:PutUserPolicy', 'iam:DeleteUserPolicy', 'iam:AttachUserPolicy', 'iam:DetachUserPolicy', 'iam:ListUserTags',
];

/** Write actions denied on the deployment machinery itself, so a stack cannot widen its own rights. */
const PRIVILEGE_ESCALATION_ACTIONS = [
  'iam:Create*', 'iam:Delete*', 'iam:Put*', 'iam:Attach*', 'iam:Detach*', 'iam:Update*', 'iam:Tag*', 'iam:Untag*',
  'iam:SetDefaultPolicyVersion',
];

/** AWS refuses managed policies over 6,144 characters, whitespace excluded. */
export const MANAGED_POLICY_MAX_CHARS = 6144;

/** One statement of an IAM policy document. */
export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: readonly string[];
  readonly Resource: readonly string[];
}

/** An IAM policy document. */
export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly PolicyStatement[];
}

/**
 * The CloudFormation execution policy of an account of `kind`: what the CDK
 * `cfn-exec` role may do when the pipeline deploys there (instead of
 * AdministratorAccess). Pure: the same inputs give the same document.
 */
export function executionPolicyDocument(kind: AccountKind, accountId: string, partition = 'aws'): PolicyDocument {
  const iam = (resource: string) => `arn:${partition}:iam::${accountId}:${resource}`;
  const statements: PolicyStatement[] = [
    {
      Sid: 'ServicesTheStacksDeploy',
      Effect: 'Allow',
      Action: [...SERVICES_BY_KIND[kind]].sort().map(service => `${service}:*`),
      Resource: ['*'],
    },
    {
      Sid: 'RolesAndPoliciesOfThisAccount',
      Effect: 'Allow',
      Action: ROLE_MANAGEMENT_ACTIONS,
      Resource: [iam('role/*'), iam('policy/*')],
    },
    {
      // CDK templates check the bootstrap version through this parameter, and
      // CloudFormation resolves it with the execution role.
      Sid: 'ReadTheBootstrapVersion',
      Effect: 'Allow',
      Action: ['ssm:GetParameter', 'ssm:GetParameters'],
      Resource: [`arn:${partition}:ssm:*:${accountId}:parameter/cdk-bootstrap/${CDK_BOOTSTRAP_QUALIFIER}/*`],
    },
  ];
  if (kind === 'workload') {
    // The bucket of an edge front's WAF logs (services/edge-stack.ts); no other bucket of the account.
    const buckets = `arn:${partition}:s3:::${wafLogBucketName(accountId, '*')}`;
    statements.push({ Sid: 'WafLogBuckets', Effect: 'Allow', Action: ['s3:*'], Resource: [buckets, `${buckets}/*`] });
  }
  if (kind === 'management') {
    statements.push({ Sid: 'BreakGlassUsers', Effect: 'Allow', Action: MANAGEMENT_USER_ACTIONS, Resource: [iam('user/*')] });
  }
  if (kind === 'management' || kind === 'tooling') {
    statements.push({ Sid: 'GitHubOidcProvider', Effect: 'Allow', Action: OIDC_PROVIDER_ACTIONS, Resource: [iam('oidc-provider/*')] });
  }
  statements.push({
    // A stack that could rewrite this policy or the bootstrap roles could grant itself anything.
    Sid: 'ProtectTheDeploymentMachinery',
    Effect: 'Deny',
    Action: PRIVILEGE_ESCALATION_ACTIONS,
    Resource: [iam(`policy/${CDK_EXECUTION_POLICY_NAME}`), iam(`role/cdk-${CDK_BOOTSTRAP_QUALIFIER}-*`)],
  });
  return { Version: '2012-10-17', Statement: statements };
}

/** The document as IAM stores it: minified JSON. */
export function renderPolicyDocument(document: PolicyDocument): string {
  return JSON.stringify(document);
}

/** ARN of the execution policy in `accountId`. */
export function executionPolicyArn(accountId: string, partition = 'aws'): string {
  return `arn:${partition}:iam::${accountId}:policy/${CDK_EXECUTION_POLICY_NAME}`;
}

/**
 * Service prefixes the document allows on every resource (`<prefix>:*`), plus
 * `iam` when it allows role management. Used to check templates against it.
 */
export function allowedServicePrefixes(document: PolicyDocument): Set<string> {
  const prefixes = new Set<string>();
  for (const statement of document.Statement) {
    if (statement.Effect !== 'Allow') continue;
    for (const action of statement.Action) {
      const [prefix, name] = action.split(':');
      if (prefix === 'iam' || (name === '*' && statement.Resource.includes('*'))) prefixes.add(prefix);
    }
  }
  return prefixes;
}

// CloudFormation namespaces whose IAM prefix is not simply the lowercased namespace.
const PREFIX_EXCEPTIONS: Readonly<Record<string, string>> = {
  CodeStarConnections: 'codestar-connections',
  CodeConnections: 'codeconnections',
  ElasticLoadBalancingV2: 'elasticloadbalancing',
  ApplicationAutoScaling: 'application-autoscaling',
  StepFunctions: 'states',
  Cognito: 'cognito-idp',
  // API Gateway v2 (HTTP APIs) is managed with the apigateway actions.
  ApiGatewayV2: 'apigateway',
  CertificateManager: 'acm',
  CodeStarNotifications: 'codestar-notifications',
};

// IAM resources are granted action by action, not as `iam:*`.
const IAM_CREATE_ACTIONS: Readonly<Record<string, string>> = {
  'AWS::IAM::Role': 'iam:CreateRole',
  'AWS::IAM::Policy': 'iam:PutRolePolicy',
  'AWS::IAM::ManagedPolicy': 'iam:CreatePolicy',
  'AWS::IAM::ServiceLinkedRole': 'iam:CreateServiceLinkedRole',
  'AWS::IAM::User': 'iam:CreateUser',
  'AWS::IAM::OIDCProvider': 'iam:CreateOpenIDConnectProvider',
};

/**
 * The action CloudFormation needs to create a resource of `resourceType`:
 * the exact action for IAM resources, `<prefix>:*` for the others; undefined
 * when it needs none.
 */
export function requiredActionOf(resourceType: string): string | undefined {
  if (resourceType.startsWith('AWS::IAM::')) return IAM_CREATE_ACTIONS[resourceType] ?? `iam:Create${resourceType.split('::')[2]}`;
  const prefix = servicePrefixOf(resourceType);
  return prefix === undefined ? undefined : `${prefix}:*`;
}

/** Whether an Allow statement of `document` grants `action` (exact, or through `<prefix>:*`). */
export function allowsAction(document: PolicyDocument, action: string): boolean {
  const prefix = action.split(':')[0];
  return document.Statement.some(s => s.Effect === 'Allow' && (s.Action.includes(action) || s.Action.includes(`${prefix}:*`)));
}

/**
 * The IAM service prefix CloudFormation needs to create a resource of
 * `resourceType` (e.g. `AWS::Lambda::Function` -> `lambda`), or undefined
 * when it needs none (CDK metadata). Custom resources are Lambda invocations.
 */
export function servicePrefixOf(resourceType: string): string | undefined {
  if (resourceType === 'AWS::CDK::Metadata') return undefined;
  if (resourceType.startsWith('Custom::') || resourceType === 'AWS::CloudFormation::CustomResource') return 'lambda';
  const [vendor, namespace] = resourceType.split('::');
  if (vendor !== 'AWS' || !namespace) return undefined;
  return PREFIX_EXCEPTIONS[namespace] ?? namespace.toLowerCase();
}
