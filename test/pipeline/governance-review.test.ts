import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CloudFormationClient,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DescribeChangeSetCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
} from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, parseReviewArgs, readReviewTargets, runReviewCli, TEMPLATE_BODY_LIMIT } from '../../pipeline/governance-review';

const cfn = mockClient(CloudFormationClient);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'governance-review-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
beforeEach(() => cfn.reset());

const template = (resources: Record<string, string>) =>
  JSON.stringify({ Resources: Object.fromEntries(Object.entries(resources).map(([id, type]) => [id, { Type: type }])) }, null, 1);

/** A stage assembly as cdk synth writes it: three governance stacks, the security account's one last. */
function assembly(name: string, templates: Record<string, string> = {}): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  const stacks = [
    ['Guardrails', 'Governance-Guardrails', '100000000000', 'eu-west-1'],
    ['CostBaseline', 'Governance-CostBaseline', '100000000000', 'us-east-1'],
    ['SecurityServices', 'Governance-SecurityServices', '100000000002', 'eu-west-1'],
  ];
  const artifacts: Record<string, unknown> = { 'Guardrails.assets': { type: 'cdk:asset-manifest' } };
  for (const [id, stackName, account, region] of stacks) {
    fs.writeFileSync(path.join(dir, `${id}.template.json`), templates[id] ?? template({ [`${id}Topic`]: 'AWS::SNS::Topic' }));
    artifacts[id] = {
      type: 'aws:cloudformation:stack',
      environment: `aws://${account}/${region}`,
      properties: {
        templateFile: `${id}.template.json`,
        stackName,
        assumeRoleArn: `arn:\${AWS::Partition}:iam::${account}:role/cdk-hnb659fds-deploy-role-${account}-${region}`,
        cloudFormationExecutionRoleArn: `arn:\${AWS::Partition}:iam::${account}:role/cdk-hnb659fds-cfn-exec-role-${account}-${region}`,
      },
    };
  }
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ version: '48.0.0', artifacts }));
  return dir;
}

/** Guardrails changes (its change set is pending once), CostBaseline is unchanged, SecurityServices does not exist yet. */
function mockStacks(): void {
  cfn.on(DescribeStacksCommand, { StackName: 'Governance-Guardrails' }).resolves({ Stacks: [{ StackName: 'Governance-Guardrails', StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date() }] });
  cfn.on(DescribeStacksCommand, { StackName: 'Governance-CostBaseline' }).resolves({ Stacks: [{ StackName: 'Governance-CostBaseline', StackStatus: 'CREATE_COMPLETE', CreationTime: new Date() }] });
  cfn.on(DescribeStacksCommand, { StackName: 'Governance-SecurityServices' })
    .rejects(Object.assign(new Error('Stack with id Governance-SecurityServices does not exist'), { name: 'ValidationError', $metadata: {} }));
  cfn.on(CreateChangeSetCommand).resolves({ Id: 'arn:change-set' });
  cfn.on(DescribeChangeSetCommand, { StackName: 'Governance-Guardrails' })
    .resolvesOnce({ Status: 'CREATE_PENDING' })
    .resolves({
      Status: 'CREATE_COMPLETE',
      Changes: [{ Type: 'Resource', ResourceChange: { Action: 'Modify', LogicalResourceId: 'GuardrailsTopic', ResourceType: 'AWS::SNS::Topic', Replacement: 'True' } }],
    });
  cfn.on(DescribeChangeSetCommand, { StackName: 'Governance-CostBaseline' })
    .resolves({ Status: 'FAILED', StatusReason: 'The submitted information didn\'t contain changes. Submit different information to create a change set.' });
  cfn.on(DeleteChangeSetCommand).resolves({});
}

/** Runs the CLI with a client per stack from the mock; returns its exit status and what it printed. */
async function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  let out = '';
  const errors: string[] = [];
  const roles: Array<[string, string | undefined]> = [];
  const code = await runReviewCli(argv, {
    cloudFormation: async (target, roleName) => {
      roles.push([target.stackName, roleName]);
      return { client: new CloudFormationClient({ region: target.region }), executionRoleArn: roleName ? undefined : `exec-role-of-${target.account}` };
    },
    stdout: text => { out += text; },
    stderr: line => errors.push(line),
    env,
    pollMilliseconds: 1,
  });
  return { code, out, errors, roles };
}

describe('the governance review command', () => {
  test('reads the stage\'s stacks, their accounts, regions, templates and CDK roles from the assembly', () => {
    const targets = readReviewTargets(assembly('read'));
    expect(targets.map(t => [t.stackName, t.account, t.region])).toEqual([
      ['Governance-Guardrails', '100000000000', 'eu-west-1'],
      ['Governance-CostBaseline', '100000000000', 'us-east-1'],
      ['Governance-SecurityServices', '100000000002', 'eu-west-1'],
    ]);
    expect(targets[2].deployRoleArn).toBe('arn:${AWS::Partition}:iam::100000000002:role/cdk-hnb659fds-deploy-role-100000000002-eu-west-1');
    expect(targets[0].templateFile).toBe(path.join(tmp, 'read', 'Guardrails.template.json'));
  });

  test('summarizes every stack\'s change set, deletes each and never executes one', async () => {
    mockStacks();
    const summaryFile = path.join(tmp, 'step-summary.md');
    const outDir = path.join(tmp, 'out');
    const { code, out, roles } = await run(['--assembly', assembly('run'), '--out-dir', outDir],
      { GITHUB_STEP_SUMMARY: summaryFile, CODEBUILD_BUILD_NUMBER: '42', CODEBUILD_BUILD_ARN: 'arn:aws:codebuild:eu-west-1:100000000000:build/Review:1234-abcd' });
    expect(code).toBe(EXIT_OK);
    // Without --role: each stack through its CDK deploy role, passing the execution role as cdk deploy does.
    expect(roles).toEqual([['Governance-Guardrails', undefined], ['Governance-CostBaseline', undefined], ['Governance-SecurityServices', undefined]]);
    expect(cfn).toHaveReceivedCommandTimes(CreateChangeSetCommand, 2);
    expect(cfn).toHaveReceivedCommandWith(CreateChangeSetCommand, {
      StackName: 'Governance-Guardrails',
      ChangeSetName: 'governance-review-42',
      ChangeSetType: 'UPDATE',
      // Minified: the inline template limit is on bytes.
      TemplateBody: '{"Resources":{"GuardrailsTopic":{"Type":"AWS::SNS::Topic"}}}',
      RoleARN: 'exec-role-of-100000000000',
      Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
    });
    expect(cfn).toHaveReceivedCommandTimes(DeleteChangeSetCommand, 2);
    expect(cfn).toHaveReceivedCommandWith(DeleteChangeSetCommand, { StackName: 'Governance-Guardrails', ChangeSetName: 'governance-review-42' });
    expect(cfn).not.toHaveReceivedCommand(ExecuteChangeSetCommand);
    // A stack that does not exist gets no change set (nothing left in REVIEW_IN_PROGRESS): its template is the summary.
    expect(cfn).not.toHaveReceivedCommandWith(CreateChangeSetCommand, { StackName: 'Governance-SecurityServices' });
    expect(out).toContain('| Governance-Guardrails | 100000000000/eu-west-1 | changes | 0 | 0 | 1 | 0 | 0 | 0 |');
    expect(out).toContain('| Replace | `GuardrailsTopic` | AWS::SNS::Topic |  |  |');
    expect(out).toContain('| Governance-CostBaseline | 100000000000/us-east-1 | no changes |');
    expect(out).toContain('| Add | `SecurityServicesTopic` | AWS::SNS::Topic |  |  |');
    expect(fs.readFileSync(summaryFile, 'utf8')).toBe(out);
    expect(fs.readFileSync(path.join(outDir, 'summary.md'), 'utf8')).toBe(out);
    expect(fs.readFileSync(path.join(outDir, 'headline.txt'), 'utf8'))
      .toBe('3 stacks: Governance-Guardrails replace 1; Governance-SecurityServices new (+1); 1 unchanged');
    expect(fs.readFileSync(path.join(outDir, 'review-url.txt'), 'utf8')).toContain('/projects/Review/build/Review%3A1234-abcd/log');
  });

  test('with --role, passes the role name on and no execution role (the stack keeps its own)', async () => {
    mockStacks();
    const { code, roles } = await run(['--assembly', assembly('role'), '--role', 'GitHubGovernanceReviewRole'], { GITHUB_RUN_ID: '7' });
    expect(code).toBe(EXIT_OK);
    expect(new Set(roles.map(([, role]) => role))).toEqual(new Set(['GitHubGovernanceReviewRole']));
    const created = cfn.commandCalls(CreateChangeSetCommand).map(call => call.args[0].input);
    expect(created.map(input => [input.ChangeSetName, input.RoleARN])).toEqual([['governance-review-7', undefined], ['governance-review-7', undefined]]);
  });

  test('fails, with the summary, when a change set fails or a template is too large to pass inline', async () => {
    mockStacks();
    cfn.on(DescribeChangeSetCommand, { StackName: 'Governance-CostBaseline' }).resolves({ Status: 'FAILED', StatusReason: 'Unresolved resource dependencies [X]' });
    const big = template(Object.fromEntries(Array.from({ length: 1500 }, (_, i) => [`Topic${i}WithALongLogicalIdToFillTheTemplate`, 'AWS::SNS::Topic'])));
    expect(JSON.stringify(JSON.parse(big)).length).toBeGreaterThan(TEMPLATE_BODY_LIMIT);
    const { code, out, errors } = await run(['--assembly', assembly('fails', { Guardrails: big })]);
    expect(code).toBe(EXIT_FAILED);
    expect(out).toContain('### Governance-CostBaseline (100000000000/us-east-1): change set failed');
    expect(out).toContain('> Unresolved resource dependencies [X]');
    expect(out).toMatch(/Guardrails\.template\.json is \d+ bytes minified, over CloudFormation's 51200-byte inline template limit/);
    expect(errors).toEqual(['A governance change set could not be created: fix it before anything is approved (see the summary above).']);
  });

  test('an AWS error of one stack (e.g. a role it may not assume) fails that stack, not the others', async () => {
    mockStacks();
    cfn.on(DescribeStacksCommand, { StackName: 'Governance-CostBaseline' })
      .rejects(Object.assign(new Error('User is not authorized to perform: cloudformation:DescribeStacks'), { name: 'AccessDenied', $metadata: {} }));
    const { code, out } = await run(['--assembly', assembly('denied')]);
    expect(code).toBe(EXIT_FAILED);
    expect(out).toContain('> AccessDenied: User is not authorized to perform: cloudformation:DescribeStacks');
    expect(out).toContain('| Governance-Guardrails | 100000000000/eu-west-1 | changes |');
  });

  test('bad arguments and assemblies are refused with what is allowed', async () => {
    expect(() => parseReviewArgs([])).toThrow('command line: --assembly is required; allowed: --assembly <dir>, the governance stage\'s cloud assembly');
    expect(() => parseReviewArgs(['--assembly', 'x', '--role', 'no spaces'])).toThrow('command line: --role "no spaces" is not an IAM role name');
    const { code, errors } = await run(['--assembly', path.join(tmp, 'missing')]);
    expect(code).toBe(EXIT_USAGE);
    expect(errors[0]).toMatch(/missing\/manifest\.json: cannot be read as JSON/);
  });
});
