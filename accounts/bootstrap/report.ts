import { BootstrapTarget } from './bootstrap-targets';
import { BootstrapStepResult } from './cdk-bootstrap';
import { executionPolicyArn } from './execution-policy';
import { StepResult } from './reconcile-apply';
import { describeChange, ReconcilePlan } from './reconcile-plan';

/** The plan as JSON for scripts (`--output json`). */
export function planJson(plan: ReconcilePlan): Record<string, unknown> {
  return {
    organization: plan.lock
      ? { id: plan.lock.organizationId, rootId: plan.lock.rootId, managementAccountId: plan.lock.managementAccountId }
      : null,
    changes: plan.changes.map(change => ({ ...change, description: describeChange(change) })),
    blocked: plan.blocked,
    lockDrift: plan.lockDrift,
    notes: plan.notes,
  };
}

/** The plan for people. */
export function planText(plan: ReconcilePlan): string {
  const lines: string[] = [];
  lines.push(plan.lock
    ? `Organization ${plan.lock.organizationId} (root ${plan.lock.rootId}, management account ${plan.lock.managementAccountId})`
    : 'No organization yet: apply creates one with this account as its management account');
  if (plan.changes.length === 0) {
    lines.push('No change: the organization matches the declaration.');
  } else {
    lines.push(`Changes (${plan.changes.length}):`, ...plan.changes.map(c => `  + ${describeChange(c)}`));
  }
  section(lines, 'Blocked', plan.blocked, '!');
  section(lines, 'Lock file drift (apply or lock rewrites it)', plan.lockDrift, '~');
  section(lines, 'Notes', plan.notes, '-');
  return lines.join('\n');
}

/** One line of apply progress. */
export function stepText(step: StepResult): string {
  const mark = { done: 'ok  ', failed: 'FAIL', skipped: 'skip' }[step.status];
  return `${mark} ${step.description}${step.detail ? `: ${step.detail}` : ''}`;
}

/** The outcome of an apply for people, after its progress lines. */
export function applySummaryText(steps: readonly StepResult[], remaining: ReconcilePlan, lockFile: string): string {
  const count = (status: StepResult['status']) => steps.filter(s => s.status === status).length;
  const lines = [`Applied: ${count('done')} done, ${count('failed')} failed, ${count('skipped')} skipped. Lock file: ${lockFile} (commit it).`];
  if (remaining.changes.length > 0) {
    lines.push(`Still to do (${remaining.changes.length}; fix what failed above, then run apply again):`,
      ...remaining.changes.map(c => `  + ${describeChange(c)}`));
  }
  section(lines, 'Blocked', remaining.blocked, '!');
  section(lines, 'Notes', remaining.notes, '-');
  return lines.join('\n');
}

/** The bootstrap targets for people, before confirmation. */
export function bootstrapPlanText(targets: readonly BootstrapTarget[], accessRoleName: string, partition = 'aws'): string {
  return [
    `CDK bootstrap (acting through ${accessRoleName} in member accounts):`,
    ...targets.map(t => `  ${t.accountName} (${t.accountId}, ${t.kind}): ${t.regions.join(', ')}; trust ${t.trust.join(', ') || 'none'}; `
      + `execution policy ${executionPolicyArn(t.accountId, partition)}`),
  ].join('\n');
}

/** One line of bootstrap progress. */
export function bootstrapStepText(step: BootstrapStepResult): string {
  const mark = step.status === 'done' ? 'ok  ' : 'FAIL';
  const where = step.region ? `${step.accountName}/${step.region}` : step.accountName;
  return `${mark} ${step.step} ${where}${step.detail ? `: ${step.detail}` : ''}`;
}

function section(lines: string[], title: string, items: readonly string[], mark: string): void {
  if (items.length > 0) lines.push(`${title} (${items.length}):`, ...items.map(i => `  ${mark} ${i}`));
}
