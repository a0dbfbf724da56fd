import {
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  DeletePolicyVersionCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  IAMClient,
  paginateListPolicyVersions,
} from '@aws-sdk/client-iam';
import { CDK_EXECUTION_POLICY_NAME } from '../platform-names';
import { executionPolicyArn, PolicyDocument, renderPolicyDocument } from './execution-policy';
import { errorName, RetryOptions, withRetry } from './retry';

/** IAM keeps at most five versions of a managed policy. */
export const MAX_POLICY_VERSIONS = 5;

/** What {@link ensureExecutionPolicy} did. */
export type PolicySyncOutcome = 'created' | 'updated' | 'unchanged';

/**
 * Makes the account's execution policy hold `document`: creates it, or adds a
 * new default version when the document changed, first deleting the oldest
 * non-default versions so the new one fits in IAM's five.
 */
export async function ensureExecutionPolicy(
  iam: IAMClient,
  accountId: string,
  document: PolicyDocument,
  options: { readonly partition?: string; readonly retry?: RetryOptions } = {},
): Promise<PolicySyncOutcome> {
  const arn = executionPolicyArn(accountId, options.partition);
  const text = renderPolicyDocument(document);
  const retry = options.retry ?? {};
  let defaultVersionId: string;
  try {
    const policy = await withRetry(() => iam.send(new GetPolicyCommand({ PolicyArn: arn })), retry);
    defaultVersionId = policy.Policy!.DefaultVersionId!;
  } catch (e) {
    if (errorName(e) !== 'NoSuchEntityException') throw e;
    await withRetry(() => iam.send(new CreatePolicyCommand({
      PolicyName: CDK_EXECUTION_POLICY_NAME,
      PolicyDocument: text,
      Description: 'What CloudFormation may do when CDK deploys here (written by the platform bootstrap tool; do not edit)',
    })), retry);
    return 'created';
  }
  const current = await withRetry(() => iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: defaultVersionId })), retry);
  if (sameDocument(current.PolicyVersion?.Document, document)) return 'unchanged';

  const versions: { id: string; created: number; isDefault: boolean }[] = [];
  for await (const page of paginateListPolicyVersions({ client: iam }, { PolicyArn: arn })) {
    for (const v of page.Versions ?? []) {
      versions.push({ id: v.VersionId!, created: v.CreateDate?.getTime() ?? 0, isDefault: v.IsDefaultVersion === true });
    }
  }
  const prunable = versions.filter(v => !v.isDefault).sort((a, b) => a.created - b.created);
  for (let count = versions.length; count >= MAX_POLICY_VERSIONS && prunable.length > 0; count--) {
    const oldest = prunable.shift()!;
    await withRetry(() => iam.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: oldest.id })), retry);
  }
  await withRetry(() => iam.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: text, SetAsDefault: true })), retry);
  return 'updated';
}

/** Whether IAM's stored document (URL-encoded JSON, as IAM returns it) is `document`. */
export function sameDocument(stored: string | undefined, document: PolicyDocument): boolean {
  if (stored === undefined) return false;
  const parse = (text: string): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      return JSON.parse(decodeURIComponent(text));
    }
  };
  return canonical(parse(stored)) === canonical(document);
}

/** JSON with object keys sorted, so key order never counts as a change. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
    : v));
}
