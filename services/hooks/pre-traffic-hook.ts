/**
 * CodeDeploy pre-traffic hook: before any traffic shifts to a new Lambda
 * version, invoke that version with the function's smoke request and fail
 * the deployment (CodeDeploy then rolls back) on a bad answer.
 *
 * One hook serves every deployment group of a service stack: it reads which
 * function and version are being deployed from the deployment's AppSpec.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import {
  CodeDeployClient,
  GetDeploymentCommand,
  LifecycleEventStatus,
  PutLifecycleEventHookExecutionStatusCommand,
} from '@aws-sdk/client-codedeploy';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { parse as parseYaml } from 'yaml';

/** What CodeDeploy sends a lifecycle hook. */
export interface HookEvent {
  readonly DeploymentId: string;
  readonly LifecycleEventHookExecutionId: string;
}

/** The smoke request for one function, as the framework renders it at synth. */
export interface SmokeTest {
  /** `http` for API Gateway proxy events, `queue` for SQS batches. */
  readonly kind: 'http' | 'queue';
  /** The event the new version is invoked with. */
  readonly event: unknown;
  /** Status codes that pass (http only). @default - any status below 500 */
  readonly expectStatus?: readonly number[];
}

/** The function and versions a Lambda deployment shifts traffic between. */
export interface LambdaTarget {
  readonly functionName: string;
  readonly alias: string;
  readonly targetVersion: string;
}

/** Smoke tests keyed by function name, from the SMOKE_TESTS variable. */
export type SmokeTests = Readonly<Record<string, SmokeTest>>;

/** Reads the Lambda target out of an AppSpec (YAML or JSON, as CodeDeploy stores it). */
export function parseAppSpec(content: string): LambdaTarget {
  const spec = parseYaml(content) as { Resources?: Array<Record<string, { Properties?: Record<string, unknown> }>> };
  const resource = spec?.Resources?.[0];
  const properties = resource ? Object.values(resource)[0]?.Properties : undefined;
  const name = properties?.Name;
  const alias = properties?.Alias;
  const target = properties?.TargetVersion;
  if (typeof name !== 'string' || typeof alias !== 'string' || (typeof target !== 'string' && typeof target !== 'number')) {
    throw new Error('the AppSpec has no Lambda resource with Name, Alias and TargetVersion');
  }
  return { functionName: name, alias, targetVersion: String(target) };
}

/** Judges the answer of a smoke invocation; returns why it failed, or undefined when it passed. */
export function judgeSmokeAnswer(test: SmokeTest, functionError: string | undefined, payload: unknown): string | undefined {
  if (functionError) return `the function failed (${functionError}): ${JSON.stringify(payload)}`;
  if (test.kind === 'queue') {
    // With ReportBatchItemFailures, Lambda reads an empty answer as "all succeeded".
    if (payload === null || payload === undefined || payload === '') return undefined;
    const failures = (payload as { batchItemFailures?: unknown[] }).batchItemFailures;
    return Array.isArray(failures) && failures.length === 0
      ? undefined
      : `expected no batchItemFailures for the smoke batch, got ${JSON.stringify(payload)}`;
  }
  const status = (payload as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status !== 'number') return `expected an API Gateway proxy response, got ${JSON.stringify(payload)}`;
  if (test.expectStatus) {
    return test.expectStatus.includes(status) ? undefined : `status ${status}, expected one of ${test.expectStatus.join(', ')}`;
  }
  return status < 500 ? undefined : `status ${status} (a server error)`;
}

/** Clients and configuration of the hook; injectable for tests. */
export interface HookDependencies {
  readonly codeDeploy: CodeDeployClient;
  readonly lambda: LambdaClient;
  readonly smokeTests: SmokeTests;
  readonly logger: Pick<Logger, 'info' | 'error'>;
}

/** Runs the smoke test of the deployment's target version and reports the verdict to CodeDeploy. */
export async function runHook(event: HookEvent, deps: HookDependencies): Promise<LifecycleEventStatus> {
  let status: LifecycleEventStatus = LifecycleEventStatus.FAILED;
  try {
    const deployment = await deps.codeDeploy.send(new GetDeploymentCommand({ deploymentId: event.DeploymentId }));
    const content = deployment.deploymentInfo?.revision?.appSpecContent?.content;
    if (!content) throw new Error(`deployment ${event.DeploymentId} has no AppSpec content`);
    const target = parseAppSpec(content);
    const test = deps.smokeTests[target.functionName];
    if (!test) throw new Error(`no smoke test is configured for function ${target.functionName}`);

    const answer = await deps.lambda.send(new InvokeCommand({
      FunctionName: target.functionName,
      Qualifier: target.targetVersion,
      Payload: Buffer.from(JSON.stringify(test.event)),
    }));
    const text = answer.Payload ? Buffer.from(answer.Payload).toString('utf8') : 'null';
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch {
      payload = text;
    }
    const failure = judgeSmokeAnswer(test, answer.FunctionError, payload);
    if (failure) {
      deps.logger.error('smoke test failed', { ...target, failure });
    } else {
      deps.logger.info('smoke test passed', { ...target });
      status = LifecycleEventStatus.SUCCEEDED;
    }
  } catch (e) {
    deps.logger.error('smoke test could not run', { error: (e as Error).message });
  } finally {
    // Always answer: a hook that never reports leaves the deployment hanging
    // until CodeDeploy's one-hour timeout.
    await deps.codeDeploy.send(new PutLifecycleEventHookExecutionStatusCommand({
      deploymentId: event.DeploymentId,
      lifecycleEventHookExecutionId: event.LifecycleEventHookExecutionId,
      status,
    }));
  }
  return status;
}

const codeDeploy = new CodeDeployClient({});
const lambda = new LambdaClient({});
const logger = new Logger({ serviceName: 'pre-traffic-hook' });

/** The Lambda entry point. */
export async function handler(event: HookEvent): Promise<void> {
  await runHook(event, {
    codeDeploy,
    lambda,
    smokeTests: JSON.parse(process.env.SMOKE_TESTS ?? '{}') as SmokeTests,
    logger,
  });
}
