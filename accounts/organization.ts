import { defineOrganization } from './organization-model';

/**
 * The organization of Acme Pay, as the platform team declares it.
 *
 * Edit this file to add an OU, an account or an environment, then run the
 * bootstrap tool so the real organization and `accounts.lock.json` follow.
 * Everything here is validated when the app loads (see organization-model.ts).
 */
export default defineOrganization({
  name: 'acme-pay',
  homeRegion: 'eu-west-1',
  // Data residency: EU regions only, plus us-east-1 where global services
  // (IAM, CloudFront, Organizations) are managed from.
  allowedRegions: ['eu-west-1', 'eu-central-1', 'us-east-1'],

  managementAccount: { name: 'management', email: 'aws-management@acme-pay.example' },

  organizationalUnits: [
    { name: 'Security' },
    { name: 'Infrastructure' },
    {
      name: 'Workloads',
      children: [{ name: 'Dev' }, { name: 'Staging' }, { name: 'Prod' }],
    },
    { name: 'Sandbox' },
    // Accounts awaiting closure: everything denied by guardrails.
    { name: 'Suspended' },
  ],

  accounts: [
    { name: 'log-archive', email: 'aws-log-archive@acme-pay.example', ou: 'Security', role: 'log-archive' },
    { name: 'audit', email: 'aws-audit@acme-pay.example', ou: 'Security', role: 'security' },
    { name: 'tooling', email: 'aws-tooling@acme-pay.example', ou: 'Infrastructure', role: 'tooling' },
    { name: 'shared-services', email: 'aws-shared-services@acme-pay.example', ou: 'Infrastructure', role: 'shared-services' },
    { name: 'workload-dev', email: 'aws-workload-dev@acme-pay.example', ou: 'Workloads/Dev', role: 'workload' },
    { name: 'workload-staging', email: 'aws-workload-staging@acme-pay.example', ou: 'Workloads/Staging', role: 'workload' },
    { name: 'workload-prod', email: 'aws-workload-prod@acme-pay.example', ou: 'Workloads/Prod', role: 'workload' },
    { name: 'sandbox', email: 'aws-sandbox@acme-pay.example', ou: 'Sandbox', role: 'sandbox' },
  ],

  // Promotion order: a change reaches prod only after dev and staging. Each
  // has a public edge: merchants' client credentials tokens come from the
  // environment's Cognito user pool; routes no service serves yet go to the
  // monolith (see monolith below).
  environments: [
    {
      name: 'dev',
      account: 'workload-dev',
      regions: ['eu-west-1'],
      edge: { identity: { provider: 'cognito', domainPrefix: 'acme-pay-dev' }, monolithUrl: 'https://monolith.dev.acme-pay.example' },
    },
    {
      name: 'staging',
      account: 'workload-staging',
      regions: ['eu-west-1'],
      edge: { identity: { provider: 'cognito', domainPrefix: 'acme-pay-staging' }, monolithUrl: 'https://monolith.staging.acme-pay.example' },
    },
    {
      name: 'prod',
      account: 'workload-prod',
      regions: ['eu-west-1', 'eu-central-1'],
      manualApproval: true,
      edge: {
        identity: { provider: 'cognito', domainPrefix: 'acme-pay', accessTokenMinutes: 30 },
        monolithUrl: 'https://monolith.acme-pay.example',
        // AWS WAF in front (required in production): CloudFront answers merchants on the domain's name and forwards
        // to the regional APIs on origin.api.acme-pay.example. Fake examples, like the lock file's ids: request the
        // certificates in ACM (DNS validation), paste their ARNs: the CloudFront one in us-east-1 for api.acme-pay.example,
        // the regional ones for origin.api.acme-pay.example.
        waf: { ipRateLimit: 2000 },
        domain: {
          name: 'api.acme-pay.example',
          cloudFrontCertificateArn: 'arn:aws:acm:us-east-1:888888888888:certificate/00000000-0000-4000-8000-000000000005',
          certificateArns: {
            'eu-west-1': 'arn:aws:acm:eu-west-1:888888888888:certificate/00000000-0000-4000-8000-000000000003',
            'eu-central-1': 'arn:aws:acm:eu-central-1:888888888888:certificate/00000000-0000-4000-8000-000000000004',
          },
        },
        throttling: { rateLimit: 1000, burstLimit: 2000 },
      },
    },
  ],

  // The monolith the services replace, route by route: every route it serves
  // today. A service takes one over by declaring it with scopes in its
  // manifest; synth prints each environment's progress.
  monolith: {
    description: 'The Acme Pay merchant API monolith (PHP), api.acme-pay.example until the migration',
    routes: [
      'POST /payments',
      'GET /payments/{id}',
      'POST /payments/{id}/refunds',
      'GET /merchants/{id}/notifications',
      'GET /accounts/{id}/balances',
      'GET /merchants/{id}/settlements',
      'GET /merchants/{id}/invoices',
      'PUT /merchants/{id}/webhook',
    ],
  },

  pipeline: {
    engine: 'codepipeline',
    // One pipeline for every service while there are few; 'per-service' or
    // 'per-owner' (a pipeline per service or team, plus the platform pipeline)
    // at scale: see the README's "Delivery at scale". Synth says when to switch.
    topology: 'single',
    toolingAccount: 'tooling',
    // Systems of record first, then what builds on them.
    waves: ['foundation', 'core'],
    repository: { owner: 'acme-pay', name: 'landing-zone', branch: 'main' },
    // Fake examples (like the lock file's ids): create the connections in the
    // console (they need a GitHub authorization) and paste their ARNs here.
    connectionArn: 'arn:aws:codeconnections:eu-west-1:444444444444:connection/00000000-0000-4000-8000-000000000001',
    governanceConnectionArn: 'arn:aws:codeconnections:eu-west-1:111111111111:connection/00000000-0000-4000-8000-000000000002',
    bakeTimeMinutes: 10,
  },

  // Who is told when a platform alarm fires: the organization trail's security
  // alarms, budgets and pipeline failures. Each service names its own on-call
  // in its manifest. Endpoints: { email }, { webhook: 'https://...' } (e.g. a
  // PagerDuty or Opsgenie Amazon SNS integration URL), { slack: { workspaceId,
  // channelId } } or { teams: { tenantId, teamId, channelId } } (authorise the
  // workspace or team once per account in the AWS chat console first).
  onCall: [
    { email: 'platform-oncall@acme-pay.example' },
  ],

  governance: {
    // Guardrails (SCPs) by target; an OU inherits its parents'. Guardrails are
    // listed where they first apply. See governance/guardrails.ts.
    serviceControlPolicies: {
      'Root': [
        'deny-leaving-organization',
        'deny-root-user',
        'deny-regions-outside-allow-list',
        'protect-security-services',
        'protect-platform-roles',
      ],
      'Workloads': ['deny-iam-users'],
      'Workloads/Prod': ['deny-changes-outside-pipeline'],
      'Sandbox': ['deny-iam-users'],
      'Suspended': ['deny-all'],
    },
    // Data perimeter (RCPs): S3, KMS, Secrets Manager and SQS only for the organization, over TLS.
    resourceControlPolicies: {
      Root: ['deny-access-from-outside-organization', 'deny-insecure-transport'],
    },
    // MFA-protected IAM users of the management account, for when federation is down.
    breakGlassUsers: ['break-glass-1', 'break-glass-2'],
    // Roles of the audit account that may assume the read-only audit role everywhere.
    auditRoles: ['SecurityAuditor'],
    platformTags: { owner: 'platform-team', costCenter: 'platform' },
    controlTower: {
      landingZoneVersion: '3.3',
      securityOu: 'Security',
      sandboxOu: 'Sandbox',
      logRetentionDays: 400, // PCI DSS: a year of audit trail, 3 months immediately available
      accessLogRetentionDays: 3650,
      // Accounts awaiting closure stay outside Control Tower.
      unregisteredOus: ['Suspended'],
      controls: {
        'Infrastructure': ['AWS-GR_RESTRICT_ROOT_USER_ACCESS_KEYS', 'AWS-GR_ROOT_ACCOUNT_MFA_ENABLED', 'AWS-GR_S3_BUCKET_PUBLIC_READ_PROHIBITED'],
        'Workloads/Dev': ['AWS-GR_RESTRICT_ROOT_USER_ACCESS_KEYS', 'AWS-GR_S3_BUCKET_PUBLIC_READ_PROHIBITED', 'AWS-GR_S3_BUCKET_PUBLIC_WRITE_PROHIBITED'],
        'Workloads/Staging': [
          'AWS-GR_RESTRICT_ROOT_USER_ACCESS_KEYS', 'AWS-GR_S3_BUCKET_PUBLIC_READ_PROHIBITED', 'AWS-GR_S3_BUCKET_PUBLIC_WRITE_PROHIBITED',
          'AWS-GR_ROOT_ACCOUNT_MFA_ENABLED',
        ],
        // Prod is stricter: data stays in-region and undeletable without MFA.
        'Workloads/Prod': [
          'AWS-GR_RESTRICT_ROOT_USER_ACCESS_KEYS', 'AWS-GR_S3_BUCKET_PUBLIC_READ_PROHIBITED', 'AWS-GR_S3_BUCKET_PUBLIC_WRITE_PROHIBITED',
          'AWS-GR_ROOT_ACCOUNT_MFA_ENABLED', 'AWS-GR_RESTRICT_S3_CROSS_REGION_REPLICATION', 'AWS-GR_RESTRICT_S3_DELETE_WITHOUT_MFA',
          'AWS-GR_S3_VERSIONING_ENABLED', 'AWS-GR_RESTRICTED_SSH', 'AWS-GR_RESTRICTED_COMMON_PORTS',
        ],
      },
    },
    budgets: {
      defaultMonthlyUsd: 500,
      accounts: { 'management': 1000, 'log-archive': 300, 'tooling': 800, 'workload-staging': 1500, 'workload-prod': 8000 },
      actualThresholdsPercent: [50, 80, 100],
      forecastThresholdPercent: 100,
      notificationEmails: ['finops@acme-pay.example', 'platform-oncall@acme-pay.example'],
    },
    costAnomaly: { thresholdUsd: 100, thresholdPercent: 20 },
    // Security baselines with a notable per-account cost, narrowed or turned off per target (Root or an OU path).
    // An account gets, for each key, the setting of its closest OU (or Root) that sets it; unset everywhere means
    // the platform's default: every GuardDuty protection plan on, Runtime Monitoring with GuardDuty managing its
    // agent, Security Hub with FSBP and PCI DSS 4.0.1. For example, sandboxes without Runtime Monitoring or malware
    // scans, and checked against FSBP only:
    // costSwitches: {
    //   Sandbox: {
    //     // runtimeMonitoring: 'agent-managed' | 'self-managed' (you install the agent) | 'off'; plans: true | false
    //     guardDuty: { runtimeMonitoring: 'off', ebsMalwareProtection: false },
    //     // Needs two or more allowedRegions (Security Hub central configuration); [] = Security Hub, no standard.
    //     securityHub: { standards: ['aws-foundational-security-best-practices/v/1.0.0'] },
    //   },
    // },
  },
});
