/**
 * Reads the operations runbooks (docs/runbooks/*.md) for their tests: the
 * `npx projen` commands of their fenced code blocks, their relative links,
 * and how each command can be run safely (with --help, or as a dry run that
 * changes nothing and needs no AWS credentials). Pure functions of strings,
 * so the tests can prove the checks bite on a made-up runbook.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fencedBlocks } from '../../plan';

/** The repository's root. */
export const ROOT = path.resolve(__dirname, '..', '..');

/** Where the runbooks live, relative to the root. */
export const RUNBOOKS_DIR = 'docs/runbooks';

/** The runbooks issue 17 (item 4) asks for, each linked from the folder's README.md. */
export const REQUIRED_RUNBOOKS = [
  'bootstrap-organization.md',
  'add-account.md',
  'add-service.md',
  'promote-and-roll-back.md',
  'break-glass.md',
  'rotate-secret.md',
  'flip-feature-flag.md',
  'failed-production-wave.md',
  'move-route-off-monolith.md',
] as const;

/** One step of a projen task, as .projen/tasks.json records it. */
interface ProjenStep {
  readonly receiveArgs?: boolean;
}

/** A projen task, as .projen/tasks.json records it. */
export interface ProjenTask {
  readonly name: string;
  readonly description?: string;
  readonly steps?: readonly ProjenStep[];
}

/** Reads the tasks of .projen/tasks.json. */
export function loadTasks(root = ROOT): Record<string, ProjenTask> {
  const manifest = JSON.parse(fs.readFileSync(path.join(root, '.projen', 'tasks.json'), 'utf8')) as { tasks?: Record<string, ProjenTask> };
  return manifest.tasks ?? {};
}

/** Whether a task passes the arguments after its name on to its command. */
export function receivesArgs(task: ProjenTask): boolean {
  return (task.steps ?? []).some(step => step.receiveArgs === true);
}

/** An `npx projen` command found in a runbook. */
export interface RunbookCommand {
  /** `docs/runbooks/<file>.md:<line>`. */
  readonly where: string;
  /** The command as written (comments and continuation lines joined). */
  readonly command: string;
  /** The task it runs (`''` for a bare `npx projen`). */
  readonly task: string;
  /** The words after the task name. */
  readonly args: readonly string[];
}

/** Splits a shell line into words, outside quotes; `#` starts a comment where a word could start. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else word = (word ?? '') + ch;
    } else if (ch === '"' || ch === '\'') {
      quote = ch;
      word = word ?? '';
    } else if (/\s/.test(ch)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (ch === '#' && word === undefined) {
      break;
    } else {
      word = (word ?? '') + ch;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** Words that end one shell command and start the next. */
const COMMAND_SEPARATORS = new Set(['&&', '||', ';', '|']);

/**
 * The `npx projen` commands of the shell blocks of a runbook (blocks in
 * bash, sh, shell, console or no language), each with where it is.
 * Continuation lines are joined; `a && b` counts as two commands;
 * leading `VAR=value` assignments are skipped.
 */
export function projenCommands(markdown: string, file: string): RunbookCommand[] {
  const commands: RunbookCommand[] = [];
  for (const block of fencedBlocks(markdown)) {
    if (!['', 'bash', 'sh', 'shell', 'console', 'zsh'].includes(block.language)) continue;
    let pending = '';
    let startLine = 0;
    for (const { text, line } of block.lines) {
      if (pending === '') startLine = line;
      const continued = /\\\s*$/.test(text);
      pending += ` ${text.replace(/\\\s*$/, '')}`;
      if (continued) continue;
      const words = shellWords(pending.replace(/^\s*\$\s/, ' '));
      pending = '';
      let current: string[] = [];
      for (const w of [...words, ';']) {
        if (!COMMAND_SEPARATORS.has(w)) {
          current.push(w);
          continue;
        }
        while (current.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(current[0])) current = current.slice(1);
        if (current[0] === 'npx' && current[1] === 'projen') {
          commands.push({
            where: `${file}:${startLine}`,
            command: current.join(' '),
            task: current[2] ?? '',
            args: current.slice(3),
          });
        }
        current = [];
      }
    }
  }
  return commands;
}

/**
 * What is wrong with the `npx projen` commands: a task that does not exist,
 * arguments given to a task that ignores them (projen drops them silently),
 * or an angle-bracket placeholder (a shell redirection when pasted).
 */
export function commandProblems(commands: readonly RunbookCommand[], tasks: Record<string, ProjenTask>): string[] {
  const problems: string[] = [];
  for (const c of commands) {
    if (c.task === '' || c.task.startsWith('-')) {
      problems.push(`${c.where}: "${c.command}" names no task; allowed: npx projen <task>, one of ${Object.keys(tasks).sort().join(', ')}`);
      continue;
    }
    const task = tasks[c.task];
    if (task === undefined) {
      problems.push(`${c.where}: "${c.command}" runs task "${c.task}", which .projen/tasks.json does not define; `
        + `allowed: ${Object.keys(tasks).sort().join(', ')}`);
      continue;
    }
    if (c.args.length > 0 && !receivesArgs(task)) {
      problems.push(`${c.where}: "${c.command}" passes arguments to task "${c.task}", which takes none (projen would drop them)`);
    }
    if (/[<>]/.test(c.command)) {
      problems.push(`${c.where}: "${c.command}" holds a <placeholder>, which the shell reads as a redirection; write an example value`);
    }
  }
  return problems;
}

/** GitHub's anchor for a Markdown heading. */
export function headingAnchor(heading: string): string {
  return heading.trim().toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of a Markdown text's headings (outside code blocks), with GitHub's -1, -2 suffixes for repeats. */
export function headingAnchors(markdown: string): Set<string> {
  const codeLines = new Set(fencedBlocks(markdown).flatMap(b => b.lines.map(l => l.line)));
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  markdown.split('\n').forEach((text, index) => {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text);
    if (!heading || codeLines.has(index + 1)) return;
    const base = headingAnchor(heading[1]);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  });
  return anchors;
}

/** The inline links `[text](target)` of a Markdown text outside code, with their line numbers. */
export function markdownLinks(markdown: string): Array<{ target: string; line: number }> {
  const codeLines = new Set(fencedBlocks(markdown).flatMap(b => b.lines.map(l => l.line)));
  const links: Array<{ target: string; line: number }> = [];
  markdown.split('\n').forEach((text, index) => {
    if (codeLines.has(index + 1)) return;
    const withoutCode = text.replace(/`[^`]*`/g, '');
    for (const m of withoutCode.matchAll(/\]\(([^)\s]+)[^)]*\)/g)) links.push({ target: m[1], line: index + 1 });
  });
  return links;
}

/**
 * Relative links of a runbook that point nowhere: a missing file, or an
 * anchor no heading of the target Markdown file has. `read` reads a file
 * relative to the root, or returns undefined when there is none.
 */
export function linkProblems(markdown: string, file: string, read: (relative: string) => string | undefined): string[] {
  const problems: string[] = [];
  for (const { target, line } of markdownLinks(markdown)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: ...
    const [pathPart, anchor] = target.split('#', 2);
    const relative = pathPart === '' ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), pathPart));
    const text = read(relative);
    if (text === undefined) {
      problems.push(`${file}:${line}: link "${target}" points to ${relative}, which does not exist`);
      continue;
    }
    if (anchor !== undefined && relative.endsWith('.md') && !headingAnchors(text).has(anchor)) {
      problems.push(`${file}:${line}: link "${target}": ${relative} has no heading with anchor #${anchor}`);
    }
  }
  return problems;
}

/** Reads a file relative to the root, undefined when it does not exist (a folder reads as ''). */
export function readRelative(relative: string, root = ROOT): string | undefined {
  const full = path.join(root, relative);
  if (!fs.existsSync(full)) return undefined;
  return fs.statSync(full).isDirectory() ? '' : fs.readFileSync(full, 'utf8');
}

/** The runbooks of docs/runbooks (README.md excluded), by file name. */
export function runbookFiles(root = ROOT): string[] {
  return fs.readdirSync(path.join(root, RUNBOOKS_DIR)).filter(f => f.endsWith('.md') && f !== 'README.md').sort();
}

/**
 * Tasks whose own command prints usage with `--help` and exits 0 without
 * doing anything, whatever other arguments precede it (checked: the
 * bootstrap tool, the scaffolder, the local stage, `cdk deploy`).
 */
export const TASKS_WITH_HELP: Record<string, RegExp> = {
  'bootstrap': /Usage: npx projen bootstrap/,
  'new-service': /Usage: npx projen new-service/,
  'local': /Usage: npx projen local/,
  'deploy': /cdk deploy/,
  'flags': /Usage: npx projen flags/,
  'contracts': /Usage: npx projen contracts/,
  'test:services': /Usage: npx projen test:services/,
  'scan:iac': /Usage: npx projen scan:iac/,
};


/** How one distinct runbook command is exercised without changing anything or calling AWS. */
export interface Probe {
  /** Arguments of `npx` (starting with `projen`). */
  readonly argv: readonly string[];
  /** How it runs: its own --help, projen's help for the task, or projen's --inspect. */
  readonly kind: 'help' | 'projen-help' | 'inspect';
  /** What the output must contain to prove the task ran as that task (not projen's general help). */
  readonly expect: RegExp;
}

/** Escapes a string for a RegExp. */
function literal(text: string): RegExp {
  return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
}

/**
 * The safe way to run a command: with `--help` appended where the task's
 * command has a help that runs nothing; projen's own help for a task that
 * takes no arguments (it runs nothing: a bare `npx projen plan` would write
 * files); otherwise projen's `--inspect`,
 * which prints the task's steps and runs none (for tasks whose command has
 * no --help: test, scan:deps, ...).
 */
export function probeFor(command: RunbookCommand, task: ProjenTask): Probe {
  const help = TASKS_WITH_HELP[command.task];
  if (help) {
    const args = command.args.includes('--help') ? command.args : [...command.args, '--help'];
    return { argv: ['projen', command.task, ...args], kind: 'help', expect: help };
  }
  if (!receivesArgs(task)) return { argv: ['projen', command.task, '--help'], kind: 'projen-help', expect: /show all steps in this task/ };
  return {
    argv: ['projen', command.task, '--inspect'],
    kind: 'inspect',
    expect: task.description ? literal(`description: ${task.description}`) : /- /,
  };
}

/** Every distinct probe of a set of commands, in a stable order, with where each command appears. */
export function distinctProbes(commands: readonly RunbookCommand[], tasks: Record<string, ProjenTask>): Array<Probe & { readonly where: string[] }> {
  const byKey = new Map<string, Probe & { where: string[] }>();
  for (const c of commands) {
    const task = tasks[c.task];
    if (task === undefined) continue;
    const probe = probeFor(c, task);
    const key = probe.argv.join('\u0000');
    const known = byKey.get(key);
    if (known) known.where.push(c.where);
    else byKey.set(key, { ...probe, where: [c.where] });
  }
  return [...byKey.values()].sort((a, b) => a.argv.join(' ').localeCompare(b.argv.join(' ')));
}
