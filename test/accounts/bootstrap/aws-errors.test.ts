import { CreatePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateAccountCommand, DescribeOrganizationCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { awsError, FakeOrganization } from './fake-organization';
import { ConfigError, parseWith, OrganizationDeclarationSchema } from '../../../accounts';
import {
  applyPlan,
  AwsCallError,
  checkManagementAccount,
  classifyAwsError,
  iamAction,
  MAX_NETWORK_ATTEMPTS,
  memoryLockStore,
  translateAwsErrors,
  withRetry,
} from '../../../accounts/bootstrap';
import { sampleDeclaration } from '../../fixtures/organization';

const noSleep = async () => {};
const KEYS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

/** An HTTP handler answering every request with `status` and `body`, recording how many it got; nothing leaves the process. */
function answering(status: number, body: string, contentType: string) {
  const handler = {
    requests: 0,
    handle: async () => {
      handler.requests++;
      return { response: { statusCode: status, headers: { 'content-type': contentType }, body: Buffer.from(body) } };
    },
    updateHttpClientConfig: () => {},
    httpHandlerConfigs: () => ({}),
  };
  return handler;
}

/** An HTTP handler failing every request as Node.js does when the endpoint cannot be reached. */
function failing(code: string, message: string) {
  const handler = {
    requests: 0,
    handle: async () => {
      handler.requests++;
      throw Object.assign(new Error(message), { code });
    },
    updateHttpClientConfig: () => {},
    httpHandlerConfigs: () => ({}),
  };
  return handler;
}

/** A JSON-protocol (Organizations) error response. */
const jsonError = (type: string, message: string) => answering(400, JSON.stringify({ __type: type, Message: message }), 'application/x-amz-json-1.1');

/** A query-protocol (STS, IAM) error response. */
const xmlError = (status: number, code: string, message: string) => answering(status,
  `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`,
  'text/xml');

/** An error as the SDK's credential providers raise it (`@smithy/core`'s CredentialsProviderError). */
function providerError(message: string, name = 'CredentialsProviderError'): Error {
  return Object.assign(new Error(message), { name, tryNextLink: false });
}

type Handler = ReturnType<typeof answering> | ReturnType<typeof failing>;

function organizations(requestHandler: Handler, options: Parameters<typeof translateAwsErrors>[1] = {}, credentials: unknown = KEYS) {
  return translateAwsErrors(new OrganizationsClient({
    region: 'us-east-1', credentials: credentials as typeof KEYS, requestHandler: requestHandler as never, retryMode: 'adaptive', maxAttempts: 10,
  }), options);
}

async function failureOf(promise: Promise<unknown>): Promise<AwsCallError> {
  const error: unknown = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(AwsCallError);
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as Error).message).not.toContain('\n');
  return error as AwsCallError;
}

describe('AWS errors the person running the tool must fix become one line', () => {
  test('no credentials: says none could be loaded and how to provide them', async () => {
    const client = organizations(answering(200, '{}', 'application/x-amz-json-1.1'), {}, async () => {
      throw providerError('Could not load credentials from any providers');
    });
    const error = await failureOf(client.send(new DescribeOrganizationCommand({})));
    expect(error.kind).toBe('no-credentials');
    expect(error.message).toBe('no AWS credentials could be loaded from the environment, the shared config files or instance metadata '
      + 'for organizations:DescribeOrganization (Could not load credentials from any providers): pass --profile <name> of the management account '
      + '(after `aws sso login --profile <name>` or `aws configure --profile <name>`), or set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
  });

  test('expired credentials: names the error and the call, and says to log in again with the profile in use', async () => {
    const client = organizations(jsonError('ExpiredTokenException', 'The security token included in the request is expired'), { profile: 'mgmt' });
    const error = await failureOf(client.send(new DescribeOrganizationCommand({})));
    expect(error.kind).toBe('expired-credentials');
    expect(error.message).toBe('the AWS credentials in use have expired (ExpiredTokenException on organizations:DescribeOrganization: '
      + 'The security token included in the request is expired): refresh them: run `aws sso login --profile mgmt` (for an SSO profile) '
      + 'or renew the profile\'s keys, then run this command again');
  });

  test('expired STS credentials (ExpiredToken, query protocol) without a profile: says how to refresh them', async () => {
    const sts = translateAwsErrors(new STSClient({
      region: 'eu-west-1', credentials: KEYS, requestHandler: xmlError(403, 'ExpiredToken', 'The security token included in the request is expired') as never,
    }));
    const error = await failureOf(sts.send(new GetCallerIdentityCommand({})));
    expect(error.message).toMatch(/^the AWS credentials in use have expired \(ExpiredToken on sts:GetCallerIdentity: /);
    expect(error.message).toContain('run `aws sso login --profile <name>` and pass --profile <name>, or export new AWS_ACCESS_KEY_ID');
  });

  test('an expired SSO session: says to run aws sso login for the profile', async () => {
    const client = organizations(jsonError('unused', ''), { profile: 'mgmt' }, async () => {
      throw providerError('The SSO session associated with this profile has expired. To refresh this SSO session run \'aws sso login\' '
        + 'with the corresponding profile.');
    });
    const error = await failureOf(client.send(new DescribeOrganizationCommand({})));
    expect(error.kind).toBe('expired-credentials');
    expect(error.message).toMatch(/^the AWS SSO session of profile "mgmt" has expired or is invalid \(The SSO session associated/);
    expect(error.message).toMatch(/: run `aws sso login --profile mgmt`, then run this command again$/);
  });

  test('a failed SSO token refresh (TokenProviderError) is an expired session too', () => {
    const error = classifyAwsError(providerError('Token is expired. To refresh this SSO session run \'aws sso login\' with the corresponding profile.',
      'TokenProviderError'), { service: 'organizations', command: 'ListRootsCommand', profile: 'mgmt' });
    expect(error?.kind).toBe('expired-credentials');
    expect(error?.message).toContain('run `aws sso login --profile mgmt`');
  });

  test('access denied on Organizations: names the IAM action, the caller (asked of STS) and the command', async () => {
    const handler = jsonError('AccessDeniedException', 'You don\'t have permissions to access this resource.');
    const client = organizations(handler, { callerArn: async () => 'arn:aws:sts::111111111111:assumed-role/ReadOnly/alice' });
    const error = await failureOf(client.send(new CreateAccountCommand({ Email: 'dev@test.example', AccountName: 'dev' })));
    expect(error.kind).toBe('access-denied');
    expect(error.message).toBe('organizations:CreateAccount denied for arn:aws:sts::111111111111:assumed-role/ReadOnly/alice '
      + '(CreateAccountCommand in us-east-1, AccessDeniedException): grant organizations:CreateAccount to that principal in its IAM policy');
    // Not retried: one request.
    expect(handler.requests).toBe(1);
  });

  test('access denied on sts:AssumeRole: names the caller and the role from AWS\'s message, and the trust policy', async () => {
    const requestHandler = xmlError(403, 'AccessDenied', 'User: arn:aws:iam::100000000000:user/alice '
      + 'is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::100000000001:role/OrganizationAccountAccessRole');
    const sts = translateAwsErrors(new STSClient({ region: 'eu-west-1', credentials: KEYS, requestHandler: requestHandler as never }));
    const error = await failureOf(sts.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::100000000001:role/OrganizationAccountAccessRole', RoleSessionName: 's' })));
    expect(error.message).toBe('sts:AssumeRole denied for arn:aws:iam::100000000000:user/alice (AssumeRoleCommand in eu-west-1, AccessDenied): '
      + 'grant sts:AssumeRole on arn:aws:iam::100000000001:role/OrganizationAccountAccessRole to that principal in its IAM policy, '
      + 'and make sure the role\'s trust policy allows it');
  });

  test('access denied by a service control policy on IAM: says which kind of policy denies it', async () => {
    const requestHandler = xmlError(403, 'AccessDenied', 'User: arn:aws:sts::100000000005:assumed-role/'
      + 'OrganizationAccountAccessRole/platform-bootstrap is not authorized to perform: iam:CreatePolicy on resource: policy cdk-exec '
      + 'with an explicit deny in a service control policy');
    const iam = translateAwsErrors(new IAMClient({ region: 'eu-west-1', credentials: KEYS, requestHandler: requestHandler as never }));
    const error = await failureOf(iam.send(new CreatePolicyCommand({ PolicyName: 'cdk-exec', PolicyDocument: '{}' })));
    expect(error.message).toBe('iam:CreatePolicy denied for arn:aws:sts::100000000005:assumed-role/OrganizationAccountAccessRole/platform-bootstrap '
      + '(CreatePolicyCommand in eu-west-1, AccessDenied): grant iam:CreatePolicy to that principal in its IAM policy '
      + '(AWS: explicit deny in a service control policy: that policy must allow it too)');
  });

  test('the IAM action comes from the client\'s service and the command\'s name', () => {
    expect(iamAction('organizations', 'CreateAccountCommand')).toBe('organizations:CreateAccount');
    expect(iamAction('sts', 'AssumeRoleCommand')).toBe('sts:AssumeRole');
  });

  test('an unreachable endpoint: gives up after a few attempts and names the host, the service and the region', async () => {
    const handler = failing('ENOTFOUND', 'getaddrinfo ENOTFOUND organizations.us-east-1.amazonaws.com');
    const error = await failureOf(organizations(handler).send(new DescribeOrganizationCommand({})));
    expect(error.kind).toBe('unreachable');
    expect(error.message).toBe('cannot reach organizations.us-east-1.amazonaws.com (organizations in us-east-1) for DescribeOrganizationCommand: '
      + 'ENOTFOUND: getaddrinfo ENOTFOUND organizations.us-east-1.amazonaws.com: check the network connection, any proxy (HTTPS_PROXY), '
      + 'the region (--region) and --endpoint-url');
    // Not the 10 attempts the client allows for throttling.
    expect(handler.requests).toBe(MAX_NETWORK_ATTEMPTS);
  });

  test('a refused connection to a custom endpoint names its host and port', async () => {
    const sts = translateAwsErrors(new STSClient({
      region: 'eu-west-1', endpoint: 'http://localhost:4566', credentials: KEYS, requestHandler: failing('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:4566') as never,
    }));
    const error = await failureOf(sts.send(new GetCallerIdentityCommand({})));
    expect(error.message).toMatch(/^cannot reach localhost:4566 \(sts in eu-west-1\) for GetCallerIdentityCommand: ECONNREFUSED: /);
  });

  test('a timeout and a dropped socket count as unreachable', () => {
    const site = { service: 'iam', command: 'GetPolicyCommand', region: 'eu-west-1', endpoint: 'iam.amazonaws.com' };
    expect(classifyAwsError(Object.assign(new Error('the request socket timed out'), { name: 'TimeoutError' }), site)?.kind).toBe('unreachable');
    expect(classifyAwsError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), site)?.kind).toBe('unreachable');
  });

  test('other errors pass unchanged: AWS answers the tool handles, and bugs (which keep their stack)', async () => {
    const handler = jsonError('DuplicateOrganizationalUnitException', 'exists');
    const error: unknown = await organizations(handler).send(new DescribeOrganizationCommand({})).catch((e: unknown) => e);
    expect((error as Error).name).toBe('DuplicateOrganizationalUnitException');
    expect(classifyAwsError(new TypeError('x is undefined'), { service: 'sts', command: 'GetCallerIdentityCommand' })).toBeUndefined();
  });

  test('the tool\'s own retry never retries these', async () => {
    let attempts = 0;
    const expired = new AwsCallError('expired-credentials', 'expired');
    await expect(withRetry(async () => { attempts++; throw expired; }, { sleep: noSleep })).rejects.toBe(expired);
    expect(attempts).toBe(1);
  });
});

describe('credentials of an account that is not the management account', () => {
  // Created per test: a mock replaces `send` of every client of its class, the real ones of the tests above included.
  const mockBoth = () => ({ sts: mockClient(STSClient), orgs: mockClient(OrganizationsClient) });
  let sts: ReturnType<typeof mockBoth>['sts'];
  let orgs: ReturnType<typeof mockBoth>['orgs'];
  beforeEach(() => ({ sts, orgs } = mockBoth()));
  afterEach(() => { sts.restore(); orgs.restore(); });
  const check = (lockedManagementAccountId?: string) => checkManagementAccount({
    sts: new STSClient({ region: 'eu-west-1', credentials: KEYS }),
    organizations: new OrganizationsClient({ region: 'us-east-1', credentials: KEYS }),
    lockedManagementAccountId,
    lockFile: 'accounts/accounts.lock.json',
    retry: { sleep: noSleep },
  });

  test('a member account is refused, naming both account ids and what is needed', async () => {
    sts.on(GetCallerIdentityCommand).resolves({ Account: '100000000005', Arn: 'arn:aws:sts::100000000005:assumed-role/Admin/alice' });
    orgs.on(DescribeOrganizationCommand).resolves({ Organization: { Id: 'o-abc123', MasterAccountId: '100000000000' } });
    const error = await failureOf(check('100000000000'));
    expect(error.kind).toBe('not-management-account');
    expect(error.message).toBe('the credentials in use are for account 100000000005 (arn:aws:sts::100000000005:assumed-role/Admin/alice), '
      + 'a member account of organization o-abc123, not the management account 100000000000: the tool needs credentials of account 100000000000 '
      + '(pass --profile of the management account)');
  });

  test('an account in no organization is refused when the lock file records a management account', async () => {
    sts.on(GetCallerIdentityCommand).resolves({ Account: '999999999999', Arn: 'arn:aws:iam::999999999999:user/alice' });
    orgs.on(DescribeOrganizationCommand).rejects(awsError('AWSOrganizationsNotInUseException'));
    const error = await failureOf(check('100000000000'));
    expect(error.message).toBe('the credentials in use are for account 999999999999 (arn:aws:iam::999999999999:user/alice), which is in no '
      + 'organization, but accounts/accounts.lock.json records management account 100000000000: use credentials of account 100000000000 '
      + '(pass --profile of the management account)');
  });

  test('the management account, and a fresh account before the first apply, are accepted', async () => {
    sts.on(GetCallerIdentityCommand).resolves({ Account: '100000000000', Arn: 'arn:aws:iam::100000000000:user/alice' });
    orgs.on(DescribeOrganizationCommand).resolves({ Organization: { Id: 'o-abc123', MasterAccountId: '100000000000' } });
    await expect(check('100000000000')).resolves.toEqual({ accountId: '100000000000', arn: 'arn:aws:iam::100000000000:user/alice' });
    orgs.on(DescribeOrganizationCommand).rejects(awsError('AWSOrganizationsNotInUseException'));
    await expect(check(undefined)).resolves.toMatchObject({ accountId: '100000000000' });
  });
});

describe('apply meets one of these problems midway', () => {
  let fake: FakeOrganization;
  beforeEach(() => { fake = new FakeOrganization(); });
  afterEach(() => fake.restore());
  const declaration = () => parseWith(OrganizationDeclarationSchema, sampleDeclaration(), 'test declaration');

  test('expired credentials stop it with one line that keeps what was done and says to run apply again', async () => {
    const expired = new AwsCallError('expired-credentials', 'the AWS credentials in use have expired (ExpiredTokenException on '
      + 'organizations:CreateAccount: The security token included in the request is expired): refresh them');
    fake.failNext.set('CreateAccount', [expired]);
    const lockStore = memoryLockStore();
    const done: string[] = [];
    const error = await failureOf(applyPlan({
      declaration: declaration(),
      organizations: fake.client(),
      lockStore,
      retry: { sleep: noSleep },
      wait: { sleep: noSleep },
      onStep: step => done.push(step.description),
    }));
    expect(error.kind).toBe('expired-credentials');
    expect(error.message).toMatch(/^the AWS credentials in use have expired \(ExpiredTokenException on organizations:CreateAccount: .*\): refresh them; /);
    expect(error.message).toMatch(new RegExp(`; apply stopped during "create account [^"]+" after ${done.length} of \\d+ changes done, `
      + 'recorded in accounts/accounts.lock.json: fix this, then run apply again to finish \\(it resumes from the organization and the lock file\\)$'));
    expect(done.length).toBeGreaterThan(0);
    // What was done before is in the lock file.
    expect(lockStore.text).toContain('"Workloads/Dev": "ou-fake-');
  });

  test('an access denied change fails that step with its line, and the run goes on', async () => {
    const denied = new AwsCallError('access-denied', 'organizations:EnableAWSServiceAccess denied for arn:aws:sts::100000000000:assumed-role/Ops/bob '
      + '(EnableAWSServiceAccessCommand in us-east-1, AccessDeniedException): grant organizations:EnableAWSServiceAccess to that principal in its IAM policy');
    fake.failNext.set('EnableAWSServiceAccess', [denied]);
    const result = await applyPlan({
      declaration: declaration(), organizations: fake.client(), lockStore: memoryLockStore(), retry: { sleep: noSleep }, wait: { sleep: noSleep },
    });
    expect(result.steps.filter(s => s.status === 'failed')).toEqual([expect.objectContaining({ detail: denied.message })]);
    expect(result.steps.filter(s => s.status === 'done').length).toBeGreaterThan(5);
  });
});
