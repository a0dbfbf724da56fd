import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  commandProblems, distinctProbes, headingAnchor, linkProblems, loadTasks, probeFor, projenCommands, readRelative,
  REQUIRED_RUNBOOKS, ROOT, RUNBOOKS_DIR, runbookFiles,
} from './runbooks';

const tasks = loadTasks();
const readme = fs.readFileSync(path.join(ROOT, RUNBOOKS_DIR, 'README.md'), 'utf8');
const runbooks = runbookFiles().map(file => ({
  file: `${RUNBOOKS_DIR}/${file}`,
  text: fs.readFileSync(path.join(ROOT, RUNBOOKS_DIR, file), 'utf8'),
}));
const allDocs = [...runbooks, { file: `${RUNBOOKS_DIR}/README.md`, text: readme }];

describe('the runbooks of issue 17', () => {
  test.each(REQUIRED_RUNBOOKS)('%s exists and docs/runbooks/README.md links to it', file => {
    expect(fs.existsSync(path.join(ROOT, RUNBOOKS_DIR, file))).toBe(true);
    expect(readme).toContain(`](${file})`);
  });

  test('every runbook in the folder is indexed in its README', () => {
    const unindexed = runbooks.map(r => path.basename(r.file)).filter(f => !readme.includes(`](${f})`));
    expect(unindexed).toEqual([]);
  });

  test('every npx projen command names a task of .projen/tasks.json, with arguments only where the task takes them', () => {
    const commands = allDocs.flatMap(d => projenCommands(d.text, d.file));
    expect(commands.length).toBeGreaterThan(20);
    expect(commandProblems(commands, tasks)).toEqual([]);
  });

  test('every relative link points to an existing file and, in Markdown, an existing heading', () => {
    expect(allDocs.flatMap(d => linkProblems(d.text, d.file, rel => readRelative(rel)))).toEqual([]);
  });

  test('each runbook has shell commands to run and says when to stop and escalate', () => {
    for (const r of runbooks) {
      expect({ file: r.file, hasShellBlock: /```bash\n/.test(r.text) }).toEqual({ file: r.file, hasShellBlock: true });
      expect({ file: r.file, escalates: /escalate/i.test(r.text) }).toEqual({ file: r.file, escalates: true });
    }
  });
});

describe('the command check bites', () => {
  const made = (body: string) => `# A runbook\n\n1. Do this:\n\n${body}\n`;

  test('a task that does not exist is reported with where it is and what is allowed', () => {
    const commands = projenCommands(made('```bash\nnpx projen no-such-task --flag\n```'), 'docs/runbooks/x.md');
    expect(commands).toEqual([{ where: 'docs/runbooks/x.md:6', command: 'npx projen no-such-task --flag', task: 'no-such-task', args: ['--flag'] }]);
    const problems = commandProblems(commands, tasks);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^docs\/runbooks\/x\.md:6: "npx projen no-such-task --flag" runs task "no-such-task", which \.projen\/tasks\.json does not define; allowed: .*bootstrap/);
  });

  test('finds commands after &&, after VAR=value, across continuation lines, indented in a list, and ignores comments', () => {
    const md = made([
      '   ```bash',
      '   npx projen test && npx projen no-such-one   # npx projen commented-out',
      '   AWS_PROFILE=mgmt npx projen bootstrap -- plan \\',
      '     --profile mgmt',
      '   ```',
      '```ts',
      'const x = "npx projen in-typescript";',
      '```',
    ].join('\n'));
    expect(projenCommands(md, 'f.md').map(c => c.command)).toEqual([
      'npx projen test', 'npx projen no-such-one', 'npx projen bootstrap -- plan --profile mgmt',
    ]);
    expect(commandProblems(projenCommands(md, 'f.md'), tasks)).toEqual([expect.stringContaining('runs task "no-such-one"')]);
  });

  test('arguments to a task that takes none, a bare npx projen and placeholders are reported', () => {
    const md = made('```bash\nnpx projen synth --all\nnpx projen\nnpx projen new-service <name>\n```');
    expect(commandProblems(projenCommands(md, 'f.md'), tasks)).toEqual([
      'f.md:6: "npx projen synth --all" passes arguments to task "synth", which takes none (projen would drop them)',
      expect.stringMatching(/^f\.md:7: "npx projen" names no task/),
      'f.md:8: "npx projen new-service <name>" holds a <placeholder>, which the shell reads as a redirection; write an example value',
    ]);
  });

  test('a link to a missing file or heading is reported', () => {
    const md = made('See [a](missing.md), [b](../../README.md#no-such-heading), [c](../../README.md#feature-flags) and [d](https://x.example).');
    expect(linkProblems(md, 'docs/runbooks/x.md', rel => readRelative(rel))).toEqual([
      'docs/runbooks/x.md:5: link "missing.md" points to docs/runbooks/missing.md, which does not exist',
      'docs/runbooks/x.md:5: link "../../README.md#no-such-heading": README.md has no heading with anchor #no-such-heading',
    ]);
  });

  test('heading anchors follow GitHub', () => {
    expect(headingAnchor('Governance (`governance` in `accounts/organization.ts`)')).toBe('governance-governance-in-accountsorganizationts');
    expect(headingAnchor('On-call: where alarms go')).toBe('on-call-where-alarms-go');
  });
});

describe('how each command is exercised safely', () => {
  const cmd = (command: string) => projenCommands(`\`\`\`bash\n${command}\n\`\`\``, 'f.md')[0];

  test('with its own --help where the task has one, else projen help or --inspect', () => {
    const probe = (command: string) => {
      const c = cmd(command);
      const p = probeFor(c, tasks[c.task]);
      return `${p.kind}: npx ${p.argv.join(' ')}`;
    };
    expect(probe('npx projen bootstrap -- apply --profile mgmt')).toBe('help: npx projen bootstrap -- apply --profile mgmt --help');
    expect(probe('npx projen bootstrap -- --help')).toBe('help: npx projen bootstrap -- --help');
    expect(probe('npx projen new-service fx-rates --wave core')).toBe('help: npx projen new-service fx-rates --wave core --help');
    expect(probe('npx projen synth')).toBe('projen-help: npx projen synth --help');
    expect(probe('npx projen flags')).toBe('help: npx projen flags --help');
    expect(probe('npx projen contracts -- payments')).toBe('help: npx projen contracts -- payments --help');
    expect(probe('npx projen test')).toBe('inspect: npx projen test --inspect');
  });

  test('the same command in several runbooks runs once', () => {
    const commands = [...projenCommands('```bash\nnpx projen synth\n```', 'a.md'), ...projenCommands('```bash\nnpx projen synth\n```', 'b.md')];
    expect(distinctProbes(commands, tasks).map(p => p.where)).toEqual([['a.md:2', 'b.md:2']]);
  });
});
