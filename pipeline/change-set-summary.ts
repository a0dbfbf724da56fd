/*
 * The governance review's summary: CloudFormation change sets (DescribeChangeSet
 * output, as the API, the SDK and `aws cloudformation describe-change-set`
 * return it) of every governance stack, as one markdown document the approver
 * reads before the single approval of the governance deployment. Pure: no
 * AWS calls (pipeline/governance-review.ts makes them).
 */

/** Files the review writes to its --out-dir (pipeline/governance-review.ts): the summary, its headline, the review URL. */
export const REVIEW_FILES = { summary: 'summary.md', headline: 'headline.txt', reviewUrl: 'review-url.txt' } as const;

/** A stack the review covers, and where it deploys. */
export interface ReviewedStack {
  readonly stackName: string;
  readonly account: string;
  readonly region: string;
}

/** A detail of a resource change: which part of the resource changes, and whether that recreates it. */
export interface ResourceChangeDetailJson {
  readonly Target?: { readonly Attribute?: string; readonly Name?: string; readonly RequiresRecreation?: string };
  readonly Evaluation?: string;
  readonly ChangeSource?: string;
}

/** A resource change of a DescribeChangeSet response (the fields the summary reads). */
export interface ResourceChangeJson {
  /** Add | Modify | Remove | Import | Dynamic. */
  readonly Action?: string;
  readonly LogicalResourceId?: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceType?: string;
  /** For Modify: True | False | Conditional. */
  readonly Replacement?: string;
  /** What happens to the resource it removes or replaces: Delete | Retain | Snapshot | ReplaceAndDelete | ... */
  readonly PolicyAction?: string;
  /** Which parts of the resource change: Properties, Tags, Metadata, ... */
  readonly Scope?: readonly string[];
  readonly Details?: readonly ResourceChangeDetailJson[];
}

/** One page of a DescribeChangeSet response (the fields the summary reads). */
export interface DescribeChangeSetJson {
  /** CREATE_PENDING | CREATE_IN_PROGRESS | CREATE_COMPLETE | DELETE_* | FAILED. */
  readonly Status?: string;
  readonly StatusReason?: string;
  readonly Changes?: ReadonlyArray<{ readonly Type?: string; readonly ResourceChange?: ResourceChangeJson }>;
  readonly NextToken?: string;
}

/** A CloudFormation template, as far as the summary of a new stack reads it. */
export interface TemplateJson {
  readonly Resources?: Readonly<Record<string, { readonly Type: string; readonly Condition?: string }>>;
}

/**
 * What a change does to a resource: `replace` is a modification that
 * recreates it (Replacement True: a new physical resource, the old one
 * deleted unless retained), `conditional` one that may (Replacement
 * Conditional: decided at execution, from values unknown until then).
 */
export type ChangeKind = 'add' | 'modify' | 'conditional' | 'replace' | 'remove' | 'import' | 'dynamic';

/** One row of a stack's table. */
export interface ResourceChangeRow {
  readonly kind: ChangeKind;
  readonly logicalId: string;
  readonly resourceType: string;
  /** What changes (properties, tags, metadata), a recreating one marked; for a new stack, the resource's condition. */
  readonly details: readonly string[];
  /** What becomes of a removed or replaced resource (Retain, Snapshot, Delete, ...). */
  readonly policyAction?: string;
}

/** The review of one stack. */
export type StackReview =
  /** The stack exists and its change set lists changes. */
  | { readonly stack: ReviewedStack; readonly status: 'changes'; readonly changes: readonly ResourceChangeRow[] }
  /** The stack does not exist yet: every resource of its template is added. */
  | { readonly stack: ReviewedStack; readonly status: 'new'; readonly changes: readonly ResourceChangeRow[] }
  /** The stack exists and nothing changes. */
  | { readonly stack: ReviewedStack; readonly status: 'unchanged' }
  /** The change set could not be created: the deployment would fail the same way. */
  | { readonly stack: ReviewedStack; readonly status: 'failed'; readonly reason: string };

/** CloudFormation's status reasons of a change set that failed only because nothing changes. */
const NO_CHANGES = [/didn't contain changes/i, /no updates are to be performed/i];

/** Details listed per resource before the rest is counted (the table stays readable for a large resource). */
const MAX_DETAILS = 6;

/**
 * The review of `stack` from the pages of its change set's DescribeChangeSet
 * response (in order, every page once the change set is complete).
 */
export function reviewOfChangeSet(stack: ReviewedStack, pages: readonly DescribeChangeSetJson[]): StackReview {
  const first = pages[0] ?? {};
  if (first.Status === 'FAILED') {
    const reason = first.StatusReason ?? 'no reason given';
    return NO_CHANGES.some(pattern => pattern.test(reason)) ? { stack, status: 'unchanged' } : { stack, status: 'failed', reason };
  }
  if (first.Status !== 'CREATE_COMPLETE') {
    return { stack, status: 'failed', reason: `change set is ${first.Status ?? 'of unknown status'}, not CREATE_COMPLETE` };
  }
  const changes = pages.flatMap(page => page.Changes ?? [])
    .map(change => change.ResourceChange)
    .filter((change): change is ResourceChangeJson => change !== undefined)
    .map(rowOf);
  return changes.length === 0 ? { stack, status: 'unchanged' } : { stack, status: 'changes', changes: sortRows(changes) };
}

/** The review of a stack that does not exist yet: each resource of `template` added (a conditional one named with its condition). */
export function reviewOfNewStack(stack: ReviewedStack, template: TemplateJson): StackReview {
  const changes = Object.entries(template.Resources ?? {}).map(([logicalId, resource]): ResourceChangeRow => ({
    kind: 'add',
    logicalId,
    resourceType: resource.Type,
    details: resource.Condition ? [`if ${resource.Condition}`] : [],
  }));
  return { stack, status: 'new', changes: sortRows(changes) };
}

/** How much a detail recreates its resource, by CloudFormation's RequiresRecreation. */
const RECREATION_RANK: Readonly<Record<string, number>> = { Never: 0, Conditionally: 1, Always: 2 };
const RECREATION_MARK = ['', ' (may replace)', ' (replaces)'];

function rowOf(change: ResourceChangeJson): ResourceChangeRow {
  // A property is listed once per cause (a direct change, a changed reference): keep it once, with its strongest mark.
  const details = new Map<string, number>();
  for (const detail of change.Details ?? []) {
    const target = detail.Target ?? {};
    const name = target.Attribute === 'Properties' && target.Name ? target.Name : [target.Attribute, target.Name].filter(Boolean).join(' ');
    if (!name) continue;
    details.set(name, Math.max(details.get(name) ?? 0, RECREATION_RANK[target.RequiresRecreation ?? 'Never'] ?? 0));
  }
  return {
    kind: kindOf(change),
    logicalId: change.LogicalResourceId ?? '(unknown)',
    resourceType: change.ResourceType ?? '(unknown)',
    details: [...details].map(([name, rank]) => `${name}${RECREATION_MARK[rank]}`),
    policyAction: change.PolicyAction,
  };
}

function kindOf(change: ResourceChangeJson): ChangeKind {
  switch (change.Action) {
    case 'Add': return 'add';
    case 'Remove': return 'remove';
    case 'Import': return 'import';
    case 'Modify': return change.Replacement === 'True' ? 'replace' : change.Replacement === 'Conditional' ? 'conditional' : 'modify';
    // Dynamic, and any action CloudFormation adds later: shown, never hidden.
    default: return 'dynamic';
  }
}

/** The order of the rows: what destroys first (remove, replace, may replace), then modify, add, the rest; by logical id within. */
const KIND_ORDER: readonly ChangeKind[] = ['remove', 'replace', 'conditional', 'modify', 'add', 'import', 'dynamic'];

function sortRows(rows: readonly ResourceChangeRow[]): ResourceChangeRow[] {
  return [...rows].sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || a.logicalId.localeCompare(b.logicalId));
}

/** The columns of the counts, in table order. */
const COUNT_COLUMNS: ReadonlyArray<{ readonly title: string; readonly kinds: readonly ChangeKind[] }> = [
  { title: 'Add', kinds: ['add'] },
  { title: 'Modify', kinds: ['modify'] },
  { title: 'Replace', kinds: ['replace'] },
  { title: 'May replace', kinds: ['conditional'] },
  { title: 'Remove', kinds: ['remove'] },
  { title: 'Import / dynamic', kinds: ['import', 'dynamic'] },
];

const ACTION_LABEL: Readonly<Record<ChangeKind, string>> = {
  add: 'Add',
  modify: 'Modify',
  conditional: 'Modify (may replace)',
  replace: 'Replace',
  remove: 'Remove',
  import: 'Import',
  dynamic: 'Dynamic',
};

/** Counts of a review's changes, per column of {@link COUNT_COLUMNS}. */
function countsOf(review: StackReview): number[] {
  const changes = review.status === 'changes' || review.status === 'new' ? review.changes : [];
  return COUNT_COLUMNS.map(column => changes.filter(c => column.kinds.includes(c.kind)).length);
}

/** Whether any stack's change set could not be created (the review fails: there is nothing sound to approve). */
export function reviewFailed(reviews: readonly StackReview[]): boolean {
  return reviews.some(r => r.status === 'failed');
}

/** Text for a markdown table cell: pipes escaped, on one line. */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

function where(stack: ReviewedStack): string {
  return `${stack.account}/${stack.region}`;
}

const STATUS_LABEL: Readonly<Record<StackReview['status'], string>> = {
  changes: 'changes',
  new: 'new stack',
  unchanged: 'no changes',
  failed: '**change set failed**',
};

/**
 * The summary the approver reads: one table of every stack (its counts of
 * resources added, modified, replaced, possibly replaced, removed), then per
 * stack with changes a table of each resource (action, logical id, type,
 * what changes, what becomes of a removed or replaced resource).
 */
export function summaryMarkdown(reviews: readonly StackReview[], title = 'Governance change sets'): string {
  const lines = [`## ${title}`, '', headline(reviews), ''];
  lines.push(`| Stack | Account/region | Status | ${COUNT_COLUMNS.map(c => c.title).join(' | ')} |`);
  lines.push(`|---|---|---|${COUNT_COLUMNS.map(() => '---:').join('|')}|`);
  for (const review of reviews) {
    lines.push(`| ${cell(review.stack.stackName)} | ${where(review.stack)} | ${STATUS_LABEL[review.status]} | ${countsOf(review).join(' | ')} |`);
  }
  for (const review of reviews) {
    if (review.status === 'failed') {
      lines.push('', `### ${review.stack.stackName} (${where(review.stack)}): change set failed`, '', `> ${cell(review.reason)}`);
      continue;
    }
    if (review.status === 'unchanged') continue;
    lines.push('', `### ${review.stack.stackName} (${where(review.stack)})${review.status === 'new' ? ': new stack' : ''}`, '');
    lines.push('| Action | Logical id | Type | Changes | On removal |', '|---|---|---|---|---|');
    for (const row of review.changes) {
      const details = row.details.length > MAX_DETAILS
        ? [...row.details.slice(0, MAX_DETAILS), `and ${row.details.length - MAX_DETAILS} more`]
        : row.details;
      lines.push(`| ${ACTION_LABEL[row.kind]} | \`${cell(row.logicalId)}\` | ${cell(row.resourceType)} | ${cell(details.join(', '))} | ${cell(row.policyAction ?? '')} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Compact counts of one stack: `+2 ~1 replace 1 may-replace 1 -1 other 1` (only what is not zero). */
function compactCounts(review: StackReview): string {
  const [add, modify, replace, conditional, remove, other] = countsOf(review);
  return [
    add ? `+${add}` : '', modify ? `~${modify}` : '', replace ? `replace ${replace}` : '',
    conditional ? `may-replace ${conditional}` : '', remove ? `-${remove}` : '', other ? `other ${other}` : '',
  ].filter(Boolean).join(' ');
}

/**
 * One line for the approval's comment: the stacks with changes and their
 * counts, the new ones, the failed ones, how many are unchanged; cut at
 * `maxLength` characters (CodePipeline shows at most 512 in an approval's comment).
 */
export function headline(reviews: readonly StackReview[], maxLength = 300): string {
  const parts: string[] = [];
  for (const review of reviews) {
    if (review.status === 'changes') parts.push(`${review.stack.stackName} ${compactCounts(review)}`);
    else if (review.status === 'new') parts.push(`${review.stack.stackName} new (+${review.changes.length})`);
    else if (review.status === 'failed') parts.push(`${review.stack.stackName} CHANGE SET FAILED`);
  }
  const unchanged = reviews.filter(r => r.status === 'unchanged').length;
  if (unchanged > 0) parts.push(`${unchanged} unchanged`);
  const line = `${reviews.length} stack${reviews.length === 1 ? '' : 's'}: ${parts.join('; ')}`;
  return line.length <= maxLength ? line : `${line.slice(0, maxLength - 1)}…`;
}

/**
 * The console page of a CodeBuild build (its log), from its ARN
 * (`CODEBUILD_BUILD_ARN`): where the approval's review URL points.
 */
export function codeBuildConsoleUrl(buildArn: string): string | undefined {
  // arn:<partition>:codebuild:<region>:<account>:build/<project>:<build uuid>
  const match = /^arn:aws:codebuild:([a-z0-9-]+):(\d{12}):build\/([^:]+):([0-9a-f-]+)$/.exec(buildArn);
  if (!match) return undefined;
  const [, region, account, project, build] = match;
  return `https://${region}.console.aws.amazon.com/codesuite/codebuild/${account}/projects/${encodeURIComponent(project)}`
    + `/build/${encodeURIComponent(`${project}:${build}`)}/log?region=${region}`;
}
