import {
  CodeDeployClient,
  GetDeploymentCommand,
  LifecycleEventStatus,
  PutLifecycleEventHookExecutionStatusCommand,
} from '@aws-sdk/client-codedeploy';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { stringify as toYaml, YAMLParseError } from 'yaml';
import {
  HookDependencies, HookEvent, judgeSmokeAnswer, parseAppSpec, runHook, SmokeTest, SmokeTests,
} from '../../../services/hooks/pre-traffic-hook';

/** An AppSpec as CodeDeploy stores it for a Lambda deployment (JSON form). */
function appSpec(properties: Record<string, unknown>): string {
  return JSON.stringify({
    version: 0.0,
    Resources: [{ createOrder: { Type: 'AWS::Lambda::Function', Properties: properties } }],
  });
}

const TARGET = { Name: 'orders-dev-createOrder', Alias: 'live', CurrentVersion: '6', TargetVersion: '7' };

describe('parseAppSpec', () => {
  test('reads the function, alias and target version of the JSON form', () => {
    expect(parseAppSpec(appSpec(TARGET))).toEqual({ functionName: 'orders-dev-createOrder', alias: 'live', targetVersion: '7' });
  });

  test('reads the YAML form, with an unquoted version number', () => {
    const yaml = [
      'version: 0.0',
      'Resources:',
      '  - createOrder:',
      '      Type: AWS::Lambda::Function',
      '      Properties:',
      '        Name: orders-dev-createOrder',
      '        Alias: live',
      '        CurrentVersion: 6',
      '        TargetVersion: 7',
      'Hooks:',
      '  - BeforeAllowTraffic: orders-dev-preTrafficHook',
      '',
    ].join('\n');
    expect(parseAppSpec(yaml)).toEqual({ functionName: 'orders-dev-createOrder', alias: 'live', targetVersion: '7' });
  });

  test.each([
    ['no TargetVersion', appSpec({ Name: 'fn', Alias: 'live', CurrentVersion: '1' })],
    ['no Name', appSpec({ Alias: 'live', TargetVersion: '2' })],
    ['no Properties', JSON.stringify({ version: 0.0, Resources: [{ fn: { Type: 'AWS::Lambda::Function' } }] })],
    ['no Resources', toYaml({ version: 0.0, Hooks: [] })],
    ['empty Resources', toYaml({ version: 0.0, Resources: [] })],
    ['an empty document', ''],
  ])('refuses an AppSpec with %s', (_, content) => {
    expect(() => parseAppSpec(content)).toThrow(new Error('the AppSpec has no Lambda resource with Name, Alias and TargetVersion'));
  });

  test('refuses content that is neither JSON nor YAML', () => {
    const parse = () => parseAppSpec('{"Resources": [');
    expect(parse).toThrow(YAMLParseError);
    expect(parse).toThrow(/^Flow sequence in block collection must be sufficiently indented and end with a \] at line 1, column 16/);
  });
});

describe('judgeSmokeAnswer', () => {
  const http: SmokeTest = { kind: 'http', event: {} };
  const queue: SmokeTest = { kind: 'queue', event: {} };

  test('http passes when the status is one of expectStatus', () => {
    expect(judgeSmokeAnswer({ ...http, expectStatus: [400] }, undefined, { statusCode: 400, body: '{}' })).toBeUndefined();
    expect(judgeSmokeAnswer({ ...http, expectStatus: [200, 201] }, undefined, { statusCode: 201 })).toBeUndefined();
  });

  test('http fails when the status is not one of expectStatus, even below 500', () => {
    expect(judgeSmokeAnswer({ ...http, expectStatus: [400] }, undefined, { statusCode: 200 })).toBe('status 200, expected one of 400');
    expect(judgeSmokeAnswer({ ...http, expectStatus: [200, 201] }, undefined, { statusCode: 404 })).toBe('status 404, expected one of 200, 201');
  });

  test('http without expectStatus passes any status below 500', () => {
    for (const statusCode of [200, 302, 404, 499]) {
      expect(judgeSmokeAnswer(http, undefined, { statusCode })).toBeUndefined();
    }
  });

  test('http without expectStatus fails on a server error', () => {
    expect(judgeSmokeAnswer(http, undefined, { statusCode: 500 })).toBe('status 500 (a server error)');
    expect(judgeSmokeAnswer(http, undefined, { statusCode: 503 })).toBe('status 503 (a server error)');
  });

  test('http fails on an answer that is not an API Gateway proxy response', () => {
    expect(judgeSmokeAnswer(http, undefined, { ok: true })).toBe('expected an API Gateway proxy response, got {"ok":true}');
    expect(judgeSmokeAnswer(http, undefined, { statusCode: '200' })).toBe('expected an API Gateway proxy response, got {"statusCode":"200"}');
    expect(judgeSmokeAnswer(http, undefined, 'hello')).toBe('expected an API Gateway proxy response, got "hello"');
    expect(judgeSmokeAnswer(http, undefined, null)).toBe('expected an API Gateway proxy response, got null');
  });

  test('queue passes on an empty batchItemFailures, or no answer (Lambda reads it as all succeeded)', () => {
    expect(judgeSmokeAnswer(queue, undefined, { batchItemFailures: [] })).toBeUndefined();
    expect(judgeSmokeAnswer(queue, undefined, null)).toBeUndefined();
  });

  test('queue fails when items failed, or the answer is not a batch response', () => {
    expect(judgeSmokeAnswer(queue, undefined, { batchItemFailures: [{ itemIdentifier: 'smoke-1' }] }))
      .toBe('expected no batchItemFailures for the smoke batch, got {"batchItemFailures":[{"itemIdentifier":"smoke-1"}]}');
    expect(judgeSmokeAnswer(queue, undefined, { statusCode: 200 }))
      .toBe('expected no batchItemFailures for the smoke batch, got {"statusCode":200}');
  });

  test('a FunctionError fails, whatever the payload looks like', () => {
    const error = { errorType: 'Error', errorMessage: 'boom' };
    expect(judgeSmokeAnswer(http, 'Unhandled', error)).toBe('the function failed (Unhandled): {"errorType":"Error","errorMessage":"boom"}');
    expect(judgeSmokeAnswer(http, 'Unhandled', { statusCode: 200 })).toBe('the function failed (Unhandled): {"statusCode":200}');
    expect(judgeSmokeAnswer(queue, 'Handled', { batchItemFailures: [] })).toBe('the function failed (Handled): {"batchItemFailures":[]}');
  });
});

describe('runHook', () => {
  const codeDeployMock = mockClient(CodeDeployClient);
  const lambdaMock = mockClient(LambdaClient);

  const event: HookEvent = { DeploymentId: 'd-ABCDEF123', LifecycleEventHookExecutionId: 'hook-exec-42' };
  const smokeEvent = { httpMethod: 'POST', path: '/orders', body: '{}' };
  const smokeTests: SmokeTests = {
    'orders-dev-createOrder': { kind: 'http', event: smokeEvent, expectStatus: [400] },
  };

  let logger: { info: jest.Mock; error: jest.Mock };

  beforeEach(() => {
    codeDeployMock.reset();
    lambdaMock.reset();
    logger = { info: jest.fn(), error: jest.fn() };
    codeDeployMock.on(GetDeploymentCommand).resolves({
      deploymentInfo: {
        deploymentId: event.DeploymentId,
        revision: { revisionType: 'AppSpecContent', appSpecContent: { content: appSpec(TARGET) } },
      },
    });
    codeDeployMock.on(PutLifecycleEventHookExecutionStatusCommand).resolves({ lifecycleEventHookExecutionId: event.LifecycleEventHookExecutionId });
  });

  function answers(payload: unknown, functionError?: string): void {
    lambdaMock.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: functionError,
      Payload: blob(JSON.stringify(payload)),
    });
  }

  /** Bytes as the SDK returns them: a Uint8Array that can also turn itself into a string. */
  function blob(text: string) {
    const bytes = new TextEncoder().encode(text);
    return Object.assign(bytes, { transformToString: (encoding?: BufferEncoding) => Buffer.from(bytes).toString(encoding) });
  }

  function deps(tests: SmokeTests = smokeTests): HookDependencies {
    return {
      codeDeploy: new CodeDeployClient({ region: 'eu-west-1' }),
      lambda: new LambdaClient({ region: 'eu-west-1' }),
      smokeTests: tests,
      logger,
    };
  }

  /** The status reports sent to CodeDeploy, exactly as sent. */
  function reports() {
    return codeDeployMock.commandCalls(PutLifecycleEventHookExecutionStatusCommand).map(call => call.args[0].input);
  }

  test('invokes the target version of the deployed function with its smoke event', async () => {
    answers({ statusCode: 400, body: '{"message":"invalid"}' });
    await runHook(event, deps());

    expect(codeDeployMock).toHaveReceivedCommandWith(GetDeploymentCommand, { deploymentId: 'd-ABCDEF123' });
    const invocations = lambdaMock.commandCalls(InvokeCommand).map(call => call.args[0].input);
    expect(invocations).toHaveLength(1);
    const { Payload, ...rest } = invocations[0];
    expect(rest).toEqual({ FunctionName: 'orders-dev-createOrder', Qualifier: '7' });
    if (!(Payload instanceof Uint8Array)) throw new Error(`expected the smoke event as bytes, got ${typeof Payload}`);
    expect(JSON.parse(Buffer.from(Payload).toString('utf8'))).toEqual(smokeEvent);
  });

  test('reports SUCCEEDED on a good answer', async () => {
    answers({ statusCode: 400 });
    await expect(runHook(event, deps())).resolves.toBe(LifecycleEventStatus.SUCCEEDED);
    expect(reports()).toEqual([{ deploymentId: 'd-ABCDEF123', lifecycleEventHookExecutionId: 'hook-exec-42', status: 'Succeeded' }]);
    expect(logger.info).toHaveBeenCalledWith('smoke test passed', { functionName: 'orders-dev-createOrder', alias: 'live', targetVersion: '7' });
    expect(logger.error).not.toHaveBeenCalled();
  });

  test('reports FAILED on a bad answer, and logs why', async () => {
    answers({ statusCode: 201 });
    await expect(runHook(event, deps())).resolves.toBe(LifecycleEventStatus.FAILED);
    expect(reports()).toEqual([{ deploymentId: 'd-ABCDEF123', lifecycleEventHookExecutionId: 'hook-exec-42', status: 'Failed' }]);
    expect(logger.error).toHaveBeenCalledWith('smoke test failed', {
      functionName: 'orders-dev-createOrder', alias: 'live', targetVersion: '7', failure: 'status 201, expected one of 400',
    });
  });

  test('reports FAILED when the new version throws', async () => {
    answers({ errorType: 'TypeError', errorMessage: 'x is undefined' }, 'Unhandled');
    await expect(runHook(event, deps())).resolves.toBe(LifecycleEventStatus.FAILED);
    expect(reports()).toEqual([{ deploymentId: 'd-ABCDEF123', lifecycleEventHookExecutionId: 'hook-exec-42', status: 'Failed' }]);
    expect(logger.error).toHaveBeenCalledWith('smoke test failed', expect.objectContaining({
      failure: 'the function failed (Unhandled): {"errorType":"TypeError","errorMessage":"x is undefined"}',
    }));
  });

  test('reports FAILED, without invoking anything, when the function has no smoke test', async () => {
    answers({ statusCode: 200 });
    await expect(runHook(event, deps({ 'orders-dev-other': { kind: 'http', event: {} } }))).resolves.toBe(LifecycleEventStatus.FAILED);
    expect(lambdaMock).not.toHaveReceivedCommand(InvokeCommand);
    expect(reports()).toEqual([{ deploymentId: 'd-ABCDEF123', lifecycleEventHookExecutionId: 'hook-exec-42', status: 'Failed' }]);
    expect(logger.error).toHaveBeenCalledWith('smoke test could not run', {
      error: 'no smoke test is configured for function orders-dev-createOrder',
    });
  });

  test('reports FAILED when GetDeployment throws', async () => {
    codeDeployMock.on(GetDeploymentCommand).rejects(new Error('AccessDenied: not allowed'));
    answers({ statusCode: 400 });
    await expect(runHook(event, deps())).resolves.toBe(LifecycleEventStatus.FAILED);
    expect(lambdaMock).not.toHaveReceivedCommand(InvokeCommand);
    expect(reports()).toEqual([{ deploymentId: 'd-ABCDEF123', lifecycleEventHookExecutionId: 'hook-exec-42', status: 'Failed' }]);
    expect(logger.error).toHaveBeenCalledWith('smoke test could not run', { error: 'AccessDenied: not allowed' });
  });

  test('reports FAILED when the deployment has no AppSpec content', async () => {
    codeDeployMock.on(GetDeploymentCommand).resolves({ deploymentInfo: { deploymentId: event.DeploymentId } });
    await expect(runHook(event, deps())).resolves.toBe(LifecycleEventStatus.FAILED);
    expect(reports()).toEqual([{ deploymentId: 'd-ABCDEF123', lifecycleEventHookExecutionId: 'hook-exec-42', status: 'Failed' }]);
    expect(logger.error).toHaveBeenCalledWith('smoke test could not run', { error: 'deployment d-ABCDEF123 has no AppSpec content' });
  });

  test('reports FAILED when the invocation itself fails', async () => {
    lambdaMock.on(InvokeCommand).rejects(new Error('TooManyRequestsException: Rate exceeded'));
    await expect(runHook(event, deps())).resolves.toBe(LifecycleEventStatus.FAILED);
    expect(reports()).toEqual([{ deploymentId: 'd-ABCDEF123', lifecycleEventHookExecutionId: 'hook-exec-42', status: 'Failed' }]);
    expect(logger.error).toHaveBeenCalledWith('smoke test could not run', { error: 'TooManyRequestsException: Rate exceeded' });
  });

  test('judges an answer without payload as null', async () => {
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200 });
    await expect(runHook(event, deps())).resolves.toBe(LifecycleEventStatus.FAILED);
    expect(logger.error).toHaveBeenCalledWith('smoke test failed', expect.objectContaining({
      failure: 'expected an API Gateway proxy response, got null',
    }));
  });

  test('judges a queue consumer by its batch response', async () => {
    answers({ batchItemFailures: [] });
    const tests: SmokeTests = { 'orders-dev-createOrder': { kind: 'queue', event: { Records: [{ messageId: 'smoke-1', body: '{}' }] } } };
    await expect(runHook(event, deps(tests))).resolves.toBe(LifecycleEventStatus.SUCCEEDED);
    expect(reports()).toEqual([{ deploymentId: 'd-ABCDEF123', lifecycleEventHookExecutionId: 'hook-exec-42', status: 'Succeeded' }]);
  });

  test('always reports exactly once, for the hook execution it was given', async () => {
    const other: HookEvent = { DeploymentId: 'd-OTHER0001', LifecycleEventHookExecutionId: 'hook-exec-99' };
    codeDeployMock.on(GetDeploymentCommand).rejects(new Error('DeploymentDoesNotExistException'));
    await runHook(other, deps());
    expect(codeDeployMock).toHaveReceivedCommandTimes(PutLifecycleEventHookExecutionStatusCommand, 1);
    expect(reports()).toEqual([{ deploymentId: 'd-OTHER0001', lifecycleEventHookExecutionId: 'hook-exec-99', status: 'Failed' }]);
  });
});
