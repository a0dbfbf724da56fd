import {
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  DeletePolicyVersionCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  IAMClient,
  IAMServiceException,
  ListPolicyVersionsCommand,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import {
  ACCOUNT_KINDS,
  allowedServicePrefixes,
  bootstrapTargets,
  cdkBootstrapArgs,
  ensureExecutionPolicy,
  executionPolicyDocument,
  MANAGED_POLICY_MAX_CHARS,
  renderPolicyDocument,
  servicePrefixOf,
} from '../../../accounts/bootstrap';
import { loadSample } from '../../fixtures/organization';

describe('execution policy', () => {
  test.each(ACCOUNT_KINDS)('of a %s account fits in a managed policy', kind => {
    expect(renderPolicyDocument(executionPolicyDocument(kind, '123456789012')).length).toBeLessThan(MANAGED_POLICY_MAX_CHARS);
  });

  test('workload accounts get what service stacks deploy, not what governance or pipelines deploy', () => {
    const allowed = allowedServicePrefixes(executionPolicyDocument('workload', '123456789012'));
    for (const service of ['lambda', 'apigateway', 'dynamodb', 'sqs', 'kms', 'codedeploy', 'appconfig', 'wafv2', 'iam']) expect(allowed).toContain(service);
    for (const service of ['organizations', 'controltower', 'codepipeline', 'codebuild', 'ec2', 's3']) expect(allowed).not.toContain(service);
  });

  test('workload accounts get S3 on the buckets of WAF\'s logs only (the production edge\'s front), and no other kind gets them', () => {
    const workload = executionPolicyDocument('workload', '123456789012');
    const s3 = workload.Statement.filter(s => s.Action.some(a => a.startsWith('s3:')));
    expect(s3).toEqual([{
      Sid: 'WafLogBuckets',
      Effect: 'Allow',
      Action: ['s3:*'],
      Resource: ['arn:aws:s3:::aws-waf-logs-123456789012-*', 'arn:aws:s3:::aws-waf-logs-123456789012-*/*'],
    }]);
    expect(executionPolicyDocument('security', '123456789012').Statement.some(s => s.Sid === 'WafLogBuckets')).toBe(false);
  });

  test('IAM is limited to the account\'s own roles and policies; users only for the management account\'s break-glass users', () => {
    const workload = executionPolicyDocument('workload', '123456789012');
    const iamStatements = workload.Statement.filter(s => s.Effect === 'Allow' && s.Action.some(a => a.startsWith('iam:')));
    expect(iamStatements.flatMap(s => s.Resource)).toEqual(['arn:aws:iam::123456789012:role/*', 'arn:aws:iam::123456789012:policy/*']);
    expect(iamStatements.flatMap(s => s.Action)).not.toContain('iam:CreateUser');
    expect(iamStatements.flatMap(s => s.Action)).not.toContain('iam:CreateAccessKey');
    const management = executionPolicyDocument('management', '111111111111');
    expect(management.Statement.find(s => s.Sid === 'BreakGlassUsers')).toMatchObject({ Resource: ['arn:aws:iam::111111111111:user/*'] });
  });

  test('denies rewriting itself and the CDK bootstrap roles (no privilege escalation through a stack)', () => {
    for (const kind of ACCOUNT_KINDS) {
      const deny = executionPolicyDocument(kind, '123456789012').Statement.find(s => s.Effect === 'Deny')!;
      expect(deny.Action).toEqual(expect.arrayContaining(['iam:Create*', 'iam:Put*', 'iam:Attach*', 'iam:SetDefaultPolicyVersion']));
      expect(deny.Resource).toEqual(['arn:aws:iam::123456789012:policy/platform-cdk-execution', 'arn:aws:iam::123456789012:role/cdk-hnb659fds-*']);
    }
  });

  test('maps CloudFormation resource types to IAM service prefixes', () => {
    expect(servicePrefixOf('AWS::Lambda::Function')).toBe('lambda');
    expect(servicePrefixOf('AWS::WAFv2::WebACL')).toBe('wafv2');
    expect(servicePrefixOf('AWS::CodeStarConnections::Connection')).toBe('codestar-connections');
    expect(servicePrefixOf('Custom::LogRetention')).toBe('lambda');
    expect(servicePrefixOf('AWS::CDK::Metadata')).toBeUndefined();
  });
});

describe('bootstrap targets', () => {
  const organization = loadSample();
  const targets = bootstrapTargets(organization);
  const byName = new Map(targets.map(t => [t.accountName, t]));

  test('workload accounts in their environments\' regions, trusting the tooling account', () => {
    expect(byName.get('prod')).toMatchObject({ kind: 'workload', regions: ['eu-west-1', 'eu-central-1'], trust: ['100000000003'] });
    expect(byName.get('dev')).toMatchObject({ regions: ['eu-west-1'], trust: ['100000000003'] });
  });

  test('the tooling account (in every region its pipeline deploys to) trusts itself, the security account trusts the management account', () => {
    expect(byName.get('tooling')).toMatchObject({ kind: 'tooling', regions: ['eu-west-1', 'eu-central-1'], trust: ['100000000003'] });
    expect(byName.get('audit')).toMatchObject({ kind: 'security', regions: ['eu-west-1'], trust: ['100000000000'] });
    expect(byName.get('log-archive')).toMatchObject({ kind: 'security', trust: [] });
  });

  test('the management account in its home region for the governance pipeline and us-east-1 for the cost baseline; us-east-1 nowhere else', () => {
    expect(targets[0]).toMatchObject({ accountName: 'management', accountId: '100000000000', kind: 'management', regions: ['eu-west-1', 'us-east-1'], isManagement: true });
    expect(targets.slice(1).flatMap(t => t.regions)).not.toContain('us-east-1');
  });

  test('cdk bootstrap gets the execution policy and the trust, for deployments and lookups', () => {
    expect(cdkBootstrapArgs(byName.get('dev')!, 'eu-west-1', 'arn:aws:iam::100000000004:policy/platform-cdk-execution')).toEqual([
      'bootstrap', 'aws://100000000004/eu-west-1',
      // The names the production guardrail lets the bootstrap tool's role write (governance/guardrails.ts).
      '--toolkit-stack-name', 'CDKToolkit', '--qualifier', 'hnb659fds',
      '--cloudformation-execution-policies', 'arn:aws:iam::100000000004:policy/platform-cdk-execution',
      '--trust', '100000000003', '--trust-for-lookup', '100000000003', '--no-notices', '--ci',
    ]);
  });
});

describe('keeping the execution policy up to date', () => {
  const iam = mockClient(IAMClient);
  afterEach(() => iam.reset());
  afterAll(() => iam.restore());
  const document = executionPolicyDocument('workload', '123456789012');
  const client = () => new IAMClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const noSuchEntity = new IAMServiceException({ name: 'NoSuchEntityException', $fault: 'client', $metadata: {}, message: 'no' });

  test('creates it when missing', async () => {
    iam.on(GetPolicyCommand).rejects(noSuchEntity);
    iam.on(CreatePolicyCommand).resolves({});
    expect(await ensureExecutionPolicy(client(), '123456789012', document)).toBe('created');
    expect(iam.commandCalls(CreatePolicyCommand)[0].args[0].input).toMatchObject({ PolicyName: 'platform-cdk-execution', PolicyDocument: renderPolicyDocument(document) });
  });

  test('leaves it alone when IAM holds the same document (URL-encoded, keys in any order)', async () => {
    iam.on(GetPolicyCommand).resolves({ Policy: { DefaultVersionId: 'v3' } });
    const reordered = JSON.stringify({ Statement: document.Statement, Version: document.Version });
    iam.on(GetPolicyVersionCommand).resolves({ PolicyVersion: { Document: encodeURIComponent(reordered) } });
    expect(await ensureExecutionPolicy(client(), '123456789012', document)).toBe('unchanged');
    expect(iam.commandCalls(CreatePolicyVersionCommand)).toHaveLength(0);
  });

  test('adds a default version when it changed, first deleting the oldest non-default one to stay within IAM\'s five', async () => {
    iam.on(GetPolicyCommand).resolves({ Policy: { DefaultVersionId: 'v5' } });
    iam.on(GetPolicyVersionCommand).resolves({ PolicyVersion: { Document: encodeURIComponent('{"Version":"2012-10-17","Statement":[]}') } });
    iam.on(ListPolicyVersionsCommand)
      .resolvesOnce({ Versions: [3, 1].map(n => ({ VersionId: `v${n}`, IsDefaultVersion: false, CreateDate: new Date(2020, 0, n) })), Marker: 'm', IsTruncated: true })
      .resolvesOnce({
        Versions: [{ VersionId: 'v5', IsDefaultVersion: true, CreateDate: new Date(2020, 0, 5) },
          ...[2, 4].map(n => ({ VersionId: `v${n}`, IsDefaultVersion: false, CreateDate: new Date(2020, 0, n) }))],
      });
    iam.on(DeletePolicyVersionCommand).resolves({});
    iam.on(CreatePolicyVersionCommand).resolves({});
    expect(await ensureExecutionPolicy(client(), '123456789012', document)).toBe('updated');
    expect(iam.commandCalls(DeletePolicyVersionCommand).map(c => c.args[0].input.VersionId)).toEqual(['v1']);
    expect(iam.commandCalls(CreatePolicyVersionCommand)[0].args[0].input).toMatchObject({ SetAsDefault: true });
  });
});
