import { decide, developerRole, roleArn } from './simulate';
import { accountWithRole, cdkBootstrapRoleName, loadOrganization } from '../../accounts';
import { loadSample, sampleDeclaration, sampleLock } from '../fixtures/organization';

/**
 * Each guardrail of issue 5, evaluated by a policy simulator against the
 * SCPs and RCPs composed for the sample organization: one denied and one
 * allowed request each, so a guardrail that stops working, or that blocks
 * what it must not, fails here.
 */
const org = loadSample();
const dev = org.accounts.find(a => a.name === 'dev')!;
const prod = org.accounts.find(a => a.name === 'prod')!;
const tooling = accountWithRole(org, 'tooling');
const region = org.homeRegion;

const cfnExecRole = (account = prod, r = region) => roleArn(account, cdkBootstrapRoleName('cfn-exec', account.id, r));
const deployRole = (account = prod) => roleArn(account, cdkBootstrapRoleName('deploy', account.id, region));
const breakGlass = (account = prod) => roleArn(account, 'platform-break-glass');
const controlTower = (account = prod) => roleArn(account, 'AWSControlTowerExecution');
const stackArn = (account = prod) => `arn:aws:cloudformation:${region}:${account.id}:stack/payments-prod-${region}/0b7c1f40-1111-11ef-9e8e-0a1b2c3d4e5f`;

describe('deny-leaving-organization (root)', () => {
  test('an administrator of a member account cannot leave the organization', async () => {
    expect(await decide(org, { account: dev, principal: developerRole(dev), action: 'organizations:LeaveOrganization', resource: '*' }))
      .toBe('ExplicitlyDenied');
  });
  test('but can still describe it', async () => {
    expect(await decide(org, { account: dev, principal: developerRole(dev), action: 'organizations:DescribeOrganization', resource: '*' }))
      .toBe('Allowed');
  });
});

describe('deny-root-user (root)', () => {
  test('the root user of a member account can do nothing', async () => {
    expect(await decide(org, { account: dev, principal: `arn:aws:iam::${dev.id}:root`, action: 's3:ListAllMyBuckets', resource: '*' }))
      .toBe('ExplicitlyDenied');
  });
  test('a federated person of the same account can', async () => {
    expect(await decide(org, { account: dev, principal: developerRole(dev), action: 's3:ListAllMyBuckets', resource: '*' }))
      .toBe('Allowed');
  });
});

describe('deny-regions-outside-allow-list (root)', () => {
  const functionArn = (r: string) => `arn:aws:lambda:${r}:${prod.id}:function:payments-create`;

  test('a developer in the prod account cannot deploy in a region outside the allow-list', async () => {
    expect(await decide(org, {
      account: prod,
      principal: developerRole(prod),
      action: 'cloudformation:CreateStack',
      region: 'ap-southeast-2',
      resource: `arn:aws:cloudformation:ap-southeast-2:${prod.id}:stack/payments/*`,
    })).toBe('ExplicitlyDenied');
  });
  test('even the pipeline cannot create a function outside the allow-list', async () => {
    expect(await decide(org, {
      account: prod,
      principal: cfnExecRole(prod, 'ap-southeast-2'),
      action: 'lambda:CreateFunction',
      region: 'ap-southeast-2',
      resource: functionArn('ap-southeast-2'),
    })).toBe('ExplicitlyDenied');
  });
  test('the pipeline creates functions in an allowed region', async () => {
    expect(await decide(org, {
      account: prod,
      principal: cfnExecRole(prod, 'eu-central-1'),
      action: 'lambda:CreateFunction',
      region: 'eu-central-1',
      resource: functionArn('eu-central-1'),
    })).toBe('Allowed');
  });
  test('global services answering from us-east-1 are not blocked', async () => {
    expect(await decide(org, {
      account: dev, principal: developerRole(dev), action: 'iam:GetRole', region: 'us-east-1', resource: roleArn(dev, 'anything'),
    })).toBe('Allowed');
  });
  test('Control Tower keeps governing every region', async () => {
    expect(await decide(org, {
      account: dev, principal: controlTower(dev), action: 'config:PutConfigRule', region: 'ap-southeast-2', resource: '*',
    })).toBe('Allowed');
  });
});

describe('protect-security-services (root)', () => {
  const trail = `arn:aws:cloudtrail:${region}:${org.managementAccount.id}:trail/aws-controltower-BaselineCloudTrail`;

  test('a developer in the prod account cannot stop CloudTrail', async () => {
    expect(await decide(org, { account: prod, principal: developerRole(prod), action: 'cloudtrail:StopLogging', resource: trail }))
      .toBe('ExplicitlyDenied');
  });
  test.each([
    ['guardduty:DeleteDetector', `arn:aws:guardduty:${region}:${dev.id}:detector/12abc34d567e8fa901bc2d34e56789f0`],
    ['securityhub:DisableSecurityHub', `arn:aws:securityhub:${region}:${dev.id}:hub/default`],
    ['config:StopConfigurationRecorder', '*'],
    ['access-analyzer:DeleteAnalyzer', `arn:aws:access-analyzer:${region}:${dev.id}:analyzer/org`],
  ])('nobody but the landing zone and break-glass may %s', async (action, resource) => {
    expect(await decide(org, { account: dev, principal: developerRole(dev), action, resource })).toBe('ExplicitlyDenied');
  });
  test('reading the trail stays allowed', async () => {
    expect(await decide(org, { account: prod, principal: developerRole(prod), action: 'cloudtrail:LookupEvents', resource: '*' }))
      .toBe('Allowed');
  });
  test('the governance stack\'s GuardDuty handler in the security account configures the detector', async () => {
    const security = accountWithRole(org, 'security');
    const detector = `arn:aws:guardduty:${region}:${security.id}:detector/12abc34d567e8fa901bc2d34e56789f0`;
    const handler = roleArn(security, 'Governance-SecurityServices-GuardDutyOrganizationRo-1A2B3C4D5E6F');
    expect(await decide(org, { account: security, principal: handler, action: 'guardduty:UpdateDetector', resource: detector })).toBe('Allowed');
    expect(await decide(org, { account: security, principal: developerRole(security), action: 'guardduty:UpdateDetector', resource: detector }))
      .toBe('ExplicitlyDenied');
  });
  test('and nobody else may create a role that passes for one of the governance stacks\'', async () => {
    const security = accountWithRole(org, 'security');
    expect(await decide(org, {
      account: security, principal: developerRole(security), action: 'iam:CreateRole', resource: roleArn(security, 'Governance-SecurityServices-x'),
    })).toBe('ExplicitlyDenied');
  });
  test('break-glass can stop a recorder during an incident', async () => {
    expect(await decide(org, { account: prod, principal: breakGlass(), action: 'config:StopConfigurationRecorder', resource: '*' }))
      .toBe('Allowed');
  });
});

describe('protect-platform-roles (root)', () => {
  const pipelineRole = roleArn(prod, cdkBootstrapRoleName('deploy', prod.id, region));

  test('a developer in the prod account cannot change a pipeline role', async () => {
    expect(await decide(org, { account: prod, principal: developerRole(prod), action: 'iam:UpdateAssumeRolePolicy', resource: pipelineRole }))
      .toBe('ExplicitlyDenied');
  });
  test('a developer in the dev account cannot attach a policy to the break-glass role either', async () => {
    expect(await decide(org, { account: dev, principal: developerRole(dev), action: 'iam:AttachRolePolicy', resource: breakGlass(dev) }))
      .toBe('ExplicitlyDenied');
  });
  test('nor rewrite the CDK execution policy', async () => {
    expect(await decide(org, {
      account: dev,
      principal: developerRole(dev),
      action: 'iam:CreatePolicyVersion',
      resource: `arn:aws:iam::${dev.id}:policy/platform-cdk-execution`,
    })).toBe('ExplicitlyDenied');
  });
  test('a developer in the dev account may still change their own roles', async () => {
    expect(await decide(org, { account: dev, principal: developerRole(dev), action: 'iam:AttachRolePolicy', resource: roleArn(dev, 'experiment') }))
      .toBe('Allowed');
  });
  test('the pipeline\'s CloudFormation role updates platform roles', async () => {
    expect(await decide(org, { account: tooling, principal: cfnExecRole(tooling), action: 'iam:UpdateAssumeRolePolicy', resource: roleArn(tooling, 'GitHubActionRole') }))
      .toBe('Allowed');
  });
  test('StackSets roll out the member roles', async () => {
    expect(await decide(org, {
      account: dev, principal: roleArn(dev, 'stacksets-exec-0123456789abcdef0123456789abcdef'), action: 'iam:CreateRole', resource: breakGlass(dev),
    })).toBe('Allowed');
  });
});

describe('deny-iam-users (Workloads)', () => {
  test('a developer in the prod account cannot create an IAM user', async () => {
    expect(await decide(org, { account: prod, principal: developerRole(prod), action: 'iam:CreateUser', resource: `arn:aws:iam::${prod.id}:user/ci` }))
      .toBe('ExplicitlyDenied');
  });
  test('nor can anyone create an access key in the dev account, break-glass included', async () => {
    expect(await decide(org, { account: dev, principal: breakGlass(dev), action: 'iam:CreateAccessKey', resource: `arn:aws:iam::${dev.id}:user/legacy` }))
      .toBe('ExplicitlyDenied');
  });
  test('outside the Workloads OU the guardrail does not apply (tooling account)', async () => {
    expect(await decide(org, { account: tooling, principal: developerRole(tooling), action: 'iam:CreateUser', resource: `arn:aws:iam::${tooling.id}:user/ci` }))
      .toBe('Allowed');
  });
});

describe('deny-changes-outside-pipeline (Workloads/Prod)', () => {
  const table = `arn:aws:dynamodb:${region}:${prod.id}:table/payments-prod`;
  const fn = `arn:aws:lambda:${region}:${prod.id}:function:payments-prod-create`;

  test('a developer in the prod account cannot write production data', async () => {
    expect(await decide(org, { account: prod, principal: developerRole(prod), action: 'dynamodb:PutItem', resource: table }))
      .toBe('ExplicitlyDenied');
  });
  test('nor update a service stack or a function by hand', async () => {
    expect(await decide(org, { account: prod, principal: developerRole(prod), action: 'cloudformation:UpdateStack', resource: stackArn() }))
      .toBe('ExplicitlyDenied');
    expect(await decide(org, { account: prod, principal: developerRole(prod), action: 'lambda:UpdateFunctionCode', resource: fn }))
      .toBe('ExplicitlyDenied');
  });
  test('nor silence the alarms that roll deployments back', async () => {
    expect(await decide(org, {
      account: prod,
      principal: developerRole(prod),
      action: 'cloudwatch:DisableAlarmActions',
      resource: `arn:aws:cloudwatch:${region}:${prod.id}:alarm:payments-errors`,
    })).toBe('ExplicitlyDenied');
  });
  test.each([
    ['add a merchant to the edge\'s user pool', 'cognito-idp:AdminCreateUser', 'userpool/eu-west-1_Merchants'],
    ['change the edge\'s CloudFront distribution', 'cloudfront:UpdateDistribution', 'distribution/E2EDGE'],
    ['swap the edge\'s certificate', 'acm:ImportCertificate', 'certificate/11111111-2222-4333-8444-555555555555'],
    ['move where a service\'s alarms go in chat', 'chatbot:UpdateSlackChannelConfiguration', 'chat-configuration/slack-channel/payments'],
    ['roll an IAM policy back to an older version', 'iam:SetDefaultPolicyVersion', 'policy/payments'],
  ])('nor, by hand, %s', async (_, action, resource) => {
    const service = action.split(':')[0];
    const arn = service === 'iam' || service === 'cloudfront'
      ? `arn:aws:${service}::${prod.id}:${resource}`
      : `arn:aws:${service}:${service === 'chatbot' ? '' : region}:${prod.id}:${resource}`;
    expect(await decide(org, { account: prod, principal: developerRole(prod), action, resource: arn })).toBe('ExplicitlyDenied');
  });
  test('a developer may read production for diagnosis', async () => {
    expect(await decide(org, { account: prod, principal: developerRole(prod), action: 'dynamodb:GetItem', resource: table }))
      .toBe('Allowed');
  });
  test('the same write is allowed in the dev account', async () => {
    expect(await decide(org, {
      account: dev, principal: developerRole(dev), action: 'dynamodb:PutItem', resource: `arn:aws:dynamodb:${region}:${dev.id}:table/payments-dev`,
    })).toBe('Allowed');
  });
  test('the pipeline\'s execution role in prod can update a service stack', async () => {
    expect(await decide(org, { account: prod, principal: cfnExecRole(), action: 'cloudformation:UpdateStack', resource: stackArn() }))
      .toBe('Allowed');
    expect(await decide(org, { account: prod, principal: cfnExecRole(), action: 'lambda:UpdateFunctionCode', resource: fn }))
      .toBe('Allowed');
  });
  test('the pipeline\'s deploy role in prod can create and execute change sets', async () => {
    expect(await decide(org, { account: prod, principal: deployRole(), action: 'cloudformation:CreateChangeSet', resource: stackArn() }))
      .toBe('Allowed');
  });
  test('the workloads\' own roles (path /workload/) write their data', async () => {
    expect(await decide(org, { account: prod, principal: roleArn(prod, 'workload/payments-prod-CreatePaymentRole'), action: 'dynamodb:PutItem', resource: table }))
      .toBe('Allowed');
  });
  test('the break-glass role can act in prod', async () => {
    expect(await decide(org, { account: prod, principal: breakGlass(), action: 'lambda:UpdateFunctionCode', resource: fn })).toBe('Allowed');
    expect(await decide(org, { account: prod, principal: breakGlass(), action: 'dynamodb:PutItem', resource: table })).toBe('Allowed');
  });
});

describe('deny-changes-outside-pipeline: the organization access role in prod does the bootstrap and nothing else', () => {
  // Every administrator of the management account can assume this role in every member account.
  const accessRole = (account = prod) => roleArn(account, 'OrganizationAccountAccessRole');
  const toolkitStack = (account = prod) => `arn:aws:cloudformation:${region}:${account.id}:stack/CDKToolkit/5f2c1e30-2222-11ef-9e8e-0a1b2c3d4e5f`;
  const bootstrapRole = (kind: 'deploy' | 'cfn-exec' | 'lookup', account = prod) => cdkBootstrapRoleName(kind, account.id, region);
  const assetsBucket = (account = prod) => `arn:aws:s3:::cdk-hnb659fds-assets-${account.id}-${region}`;
  const versionParameter = (account = prod) => `arn:aws:ssm:${region}:${account.id}:parameter/cdk-bootstrap/hnb659fds/version`;
  const executionPolicy = (account = prod) => `arn:aws:iam::${account.id}:policy/platform-cdk-execution`;
  const table = `arn:aws:dynamodb:${region}:${prod.id}:table/payments-prod`;
  const fn = `arn:aws:lambda:${region}:${prod.id}:function:payments-prod-create`;
  const key = `arn:aws:kms:${region}:${prod.id}:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0`;
  // CloudFormation deploying the CDKToolkit stack (no service role) calls IAM, S3 and SSM with the caller's credentials.
  const viaCloudFormation = { 'aws:CalledVia': ['cloudformation.amazonaws.com'] };
  const asAccessRole = (action: string, resource: string, context?: Record<string, string | string[]>) =>
    decide(org, { account: prod, principal: accessRole(), action, resource, context });

  test.each([
    ['cloudformation:CreateChangeSet'], ['cloudformation:ExecuteChangeSet'], ['cloudformation:DeleteChangeSet'],
    ['cloudformation:DescribeStacks'], ['cloudformation:DeleteStack'],
  ])('runs cdk bootstrap: %s on the CDKToolkit stack', async action => {
    expect(await asAccessRole(action, toolkitStack())).toBe('Allowed');
  });
  test.each([
    ['iam:CreateRole', 'deploy'], ['iam:PutRolePolicy', 'deploy'], ['iam:AttachRolePolicy', 'cfn-exec'], ['iam:AttachRolePolicy', 'lookup'],
    ['iam:DeleteRolePolicy', 'deploy'], ['iam:DetachRolePolicy', 'cfn-exec'],
    // A new --trust, or a bootstrap template that changes the roles' trust (see the guardrail's doc comment).
    ['iam:UpdateAssumeRolePolicy', 'deploy'],
  ] as const)('through the CDKToolkit stack\'s CloudFormation calls: %s on the %s bootstrap role', async (action, kind) => {
    expect(await asAccessRole(action, roleArn(prod, bootstrapRole(kind)), viaCloudFormation)).toBe('Allowed');
  });
  test.each([
    ['s3:CreateBucket'], ['s3:PutBucketPolicy'], ['s3:PutEncryptionConfiguration'], ['s3:PutBucketVersioning'], ['s3:PutLifecycleConfiguration'],
    ['s3:PutBucketPublicAccessBlock'],
  ])('through the CDKToolkit stack: %s on the staging bucket', async action => {
    expect(await asAccessRole(action, assetsBucket(), viaCloudFormation)).toBe('Allowed');
  });
  test('through the CDKToolkit stack: ssm:PutParameter on the bootstrap version', async () => {
    expect(await asAccessRole('ssm:PutParameter', versionParameter(), viaCloudFormation)).toBe('Allowed');
  });
  test.each([
    ['iam:CreatePolicy'], ['iam:CreatePolicyVersion'], ['iam:DeletePolicyVersion'], ['iam:GetPolicyVersion'],
  ])('keeps the execution policy in sync itself: %s', async action => {
    expect(await asAccessRole(action, executionPolicy())).toBe('Allowed');
  });

  test.each([
    ['lambda:UpdateFunctionCode', fn], ['lambda:UpdateFunctionConfiguration', fn], ['lambda:InvokeFunction', fn],
    ['dynamodb:DeleteTable', table], ['dynamodb:UpdateTable', table], ['dynamodb:PutItem', table], ['dynamodb:Scan', table],
    ['kms:ScheduleKeyDeletion', key], ['kms:PutKeyPolicy', key], ['kms:Decrypt', key],
    ['cloudformation:UpdateStack', stackArn()], ['cloudformation:CreateChangeSet', stackArn()], ['cloudformation:ExecuteChangeSet', stackArn()],
    ['cloudformation:CreateStack', `arn:aws:cloudformation:${region}:${prod.id}:stack/CDKToolkit-Backdoor/6a3d2f40-3333-11ef-9e8e-0a1b2c3d4e5f`],
    ['iam:CreateRole', roleArn(prod, 'backdoor')], ['iam:CreateRole', roleArn(prod, 'workload/backdoor')],
    ['iam:AttachRolePolicy', roleArn(prod, 'workload/payments-prod-CreatePaymentRole')],
    ['iam:UpdateAssumeRolePolicy', breakGlass()], ['iam:CreatePolicyVersion', `arn:aws:iam::${prod.id}:policy/payments-prod-access`],
    ['ssm:PutParameter', `arn:aws:ssm:${region}:${prod.id}:parameter/payments/prod/psp-endpoint`],
    ['s3:PutBucketPolicy', `arn:aws:s3:::payments-prod-exports-${prod.id}`],
    ['sts:AssumeRole', roleArn(prod, 'platform-pipeline-observer')],
  ])('cannot %s on %s, not even through CloudFormation', async (action, resource) => {
    expect(await asAccessRole(action, resource)).toBe('ExplicitlyDenied');
    expect(await asAccessRole(action, resource, viaCloudFormation)).toBe('ExplicitlyDenied');
  });
  test.each([
    ['iam:PutRolePolicy', roleArn(prod, bootstrapRole('deploy'))], ['iam:AttachRolePolicy', roleArn(prod, bootstrapRole('cfn-exec'))],
    ['iam:UpdateAssumeRolePolicy', roleArn(prod, bootstrapRole('deploy'))], ['iam:CreateRole', roleArn(prod, 'cdk-hnb659fds-backdoor')],
    ['s3:PutBucketPolicy', assetsBucket()], ['s3:PutObject', `${assetsBucket()}/4f1c5e9a2b.zip`], ['s3:DeleteObject', `${assetsBucket()}/4f1c5e9a2b.zip`],
    ['ssm:PutParameter', versionParameter()],
  ])('cannot %s on %s by hand, outside the CDKToolkit stack', async (action, resource) => {
    expect(await asAccessRole(action, resource)).toBe('ExplicitlyDenied');
  });
  test.each([
    ['sts:AssumeRole', 'deploy'], ['sts:AssumeRole', 'cfn-exec'], ['sts:AssumeRole', 'lookup'], ['iam:PassRole', 'cfn-exec'],
  ] as const)('cannot act as the pipeline: %s the %s role (which trusts its own account), even through CloudFormation', async (action, kind) => {
    expect(await asAccessRole(action, roleArn(prod, bootstrapRole(kind)))).toBe('ExplicitlyDenied');
    expect(await asAccessRole(action, roleArn(prod, bootstrapRole(kind)), viaCloudFormation)).toBe('ExplicitlyDenied');
  });
  test('may still read production for the bootstrap (and diagnosis) where nothing is at stake', async () => {
    expect(await asAccessRole('cloudformation:DescribeStacks', stackArn())).toBe('Allowed');
    expect(await asAccessRole('iam:GetRole', roleArn(prod, 'workload/payments-prod-CreatePaymentRole'))).toBe('Allowed');
  });
  test('nor may a developer in prod deploy through the pipeline\'s roles', async () => {
    expect(await decide(org, { account: prod, principal: developerRole(prod), action: 'sts:AssumeRole', resource: deployRole() }))
      .toBe('ExplicitlyDenied');
  });

  describe('outside production the access role is unchanged', () => {
    test.each([
      ['lambda:UpdateFunctionCode', `arn:aws:lambda:${region}:${dev.id}:function:payments-dev-create`],
      ['dynamodb:DeleteTable', `arn:aws:dynamodb:${region}:${dev.id}:table/payments-dev`],
      ['iam:CreateRole', roleArn(dev, 'experiment')],
      ['iam:PutRolePolicy', roleArn(dev, cdkBootstrapRoleName('deploy', dev.id, region))],
      ['sts:AssumeRole', roleArn(dev, cdkBootstrapRoleName('deploy', dev.id, region))],
      ['cloudformation:UpdateStack', `arn:aws:cloudformation:${region}:${dev.id}:stack/payments-dev-${region}/0b7c1f40-1111-11ef-9e8e-0a1b2c3d4e5f`],
    ])('in the dev account: %s on %s', async (action, resource) => {
      expect(await decide(org, { account: dev, principal: accessRole(dev), action, resource })).toBe('Allowed');
    });
  });

  describe('the pipeline and break-glass still change production', () => {
    test('CloudFormation\'s execution role updates functions, tables and keys and creates the workloads\' roles', async () => {
      for (const [action, resource] of [
        ['lambda:UpdateFunctionCode', fn], ['dynamodb:UpdateTable', table], ['iam:CreateRole', roleArn(prod, 'workload/payments-prod-CreatePaymentRole')],
      ]) {
        expect(await decide(org, { account: prod, principal: cfnExecRole(), action, resource })).toBe('Allowed');
      }
      // KMS also needs the key's own policy to allow the account (CDK's default key policy does).
      const keyPolicy = {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${prod.id}:root` }, Action: 'kms:*', Resource: '*' }],
      };
      expect(await decide(org, { account: prod, principal: cfnExecRole(), action: 'kms:PutKeyPolicy', resource: key, resourcePolicy: keyPolicy }))
        .toBe('Allowed');
    });
    test('the deploy role passes the execution role to CloudFormation and executes a service\'s change set', async () => {
      expect(await decide(org, { account: prod, principal: deployRole(), action: 'iam:PassRole', resource: cfnExecRole() })).toBe('Allowed');
      expect(await decide(org, { account: prod, principal: deployRole(), action: 'cloudformation:ExecuteChangeSet', resource: stackArn() }))
        .toBe('Allowed');
    });
    test('break-glass changes a function and may deploy through the pipeline\'s roles', async () => {
      expect(await decide(org, { account: prod, principal: breakGlass(), action: 'lambda:UpdateFunctionCode', resource: fn })).toBe('Allowed');
      expect(await decide(org, { account: prod, principal: breakGlass(), action: 'sts:AssumeRole', resource: deployRole() })).toBe('Allowed');
    });
  });
});

describe('deny-all (an OU of accounts awaiting closure)', () => {
  const declaration = sampleDeclaration();
  const suspended = (() => {
    declaration.organizationalUnits.push({ name: 'Suspended' });
    declaration.accounts.push({ name: 'old', email: 'old@test.example', ou: 'Suspended', role: 'sandbox' });
    declaration.governance.serviceControlPolicies.Suspended = ['deny-all'];
    const lock = sampleLock();
    lock.organizationalUnits.Suspended = 'ou-test-suspende';
    lock.accounts.old = '100000000009';
    return loadOrganization({ declaration, lockText: JSON.stringify(lock) });
  })();
  const old = suspended.accounts.find(a => a.name === 'old')!;

  test('an administrator of a suspended account can do nothing', async () => {
    expect(await decide(suspended, { account: old, principal: developerRole(old), action: 's3:ListAllMyBuckets', resource: '*' }))
      .toBe('ExplicitlyDenied');
  });
  test('Control Tower still reaches it', async () => {
    expect(await decide(suspended, { account: old, principal: controlTower(old), action: 'config:DescribeConfigRules', resource: '*' }))
      .toBe('Allowed');
  });
});

describe('data perimeter (resource control policies at the root)', () => {
  const secret = `arn:aws:secretsmanager:${region}:${prod.id}:secret:payments/psp-api-key-AbCdEf`;
  const outsider = 'arn:aws:iam::999988887777:role/attacker';
  // A resource policy that (by mistake) lets any AWS principal read the secret.
  const openPolicy = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'secretsmanager:GetSecretValue', Resource: '*' }],
  };

  test('a principal outside the organization cannot read a prod secret, even if its policy allows it', async () => {
    expect(await decide(org, {
      account: prod,
      principal: outsider,
      action: 'secretsmanager:GetSecretValue',
      resource: secret,
      resourcePolicy: openPolicy,
      context: { 'aws:PrincipalOrgID': 'o-attacker999', 'aws:SecureTransport': 'true' },
    })).toBe('ExplicitlyDenied');
  });
  test('a principal of another organization account reads it when the policy allows', async () => {
    expect(await decide(org, {
      account: tooling,
      resourceAccount: prod,
      principal: roleArn(tooling, 'reader'),
      action: 'secretsmanager:GetSecretValue',
      resource: secret,
      resourcePolicy: openPolicy,
      context: { 'aws:PrincipalOrgID': org.id, 'aws:SecureTransport': 'true' },
    })).toBe('Allowed');
  });
  test('requests without TLS are refused, even from inside the account', async () => {
    const queue = `arn:aws:sqs:${region}:${prod.id}:payments-events`;
    const base = { account: prod, principal: roleArn(prod, 'workload/payments-prod-CreatePaymentRole'), action: 'sqs:SendMessage', resource: queue };
    expect(await decide(org, { ...base, context: { 'aws:PrincipalOrgID': org.id, 'aws:SecureTransport': 'false' } })).toBe('ExplicitlyDenied');
    expect(await decide(org, { ...base, context: { 'aws:PrincipalOrgID': org.id, 'aws:SecureTransport': 'true' } })).toBe('Allowed');
  });
  test('an AWS service acting for an outside account cannot use the organization\'s keys (confused deputy)', async () => {
    const key = `arn:aws:kms:${region}:${prod.id}:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0`;
    const keyPolicy = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' }, Action: 'kms:GenerateDataKey', Resource: '*' }],
    };
    const request = { account: prod, principal: 'sns.amazonaws.com', action: 'kms:GenerateDataKey', resource: key, resourcePolicy: keyPolicy };
    const service = { 'aws:PrincipalIsAWSService': 'true', 'aws:SecureTransport': 'true' };
    expect(await decide(org, { ...request, context: { ...service, 'aws:SourceAccount': '999988887777', 'aws:SourceOrgID': 'o-attacker999' } }))
      .toBe('ExplicitlyDenied');
    expect(await decide(org, { ...request, context: { ...service, 'aws:SourceAccount': prod.id, 'aws:SourceOrgID': org.id } }))
      .toBe('Allowed');
  });
});
