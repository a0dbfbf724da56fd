import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { atScale } from './generated-services';
import { loadRepositoryModels } from '../../main';
import { mermaidBlocks, PLATFORM_PLAN_FILE, platformPlan } from '../../plan';
import { REPO_ROOT } from '../fixtures/organization';

/** What test/plan/mermaid-check.mjs says of one diagram. */
interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly type?: string;
  readonly edges?: number;
  readonly error?: string;
}

/**
 * Parses `diagrams` with the real Mermaid parser (mermaid under jsdom, ES modules only: in a Node.js child process),
 * all in one process: about a second and a half.
 */
function checkWithMermaid(diagrams: ReadonlyArray<{ name: string; text: string }>): CheckResult[] {
  const run = spawnSync(process.execPath, [path.join(__dirname, 'mermaid-check.mjs')], {
    cwd: REPO_ROOT, input: JSON.stringify(diagrams), encoding: 'utf8', timeout: 60_000,
  });
  if (run.status !== 0) throw new Error(`mermaid-check.mjs exited ${run.status}: ${run.stderr}`);
  return JSON.parse(run.stdout) as CheckResult[];
}

const committed = fs.readFileSync(path.join(REPO_ROOT, PLATFORM_PLAN_FILE), 'utf8');
const blocks = mermaidBlocks(committed);
const models = loadRepositoryModels();
const atThreeHundred = (['single', 'per-service', 'per-owner'] as const).flatMap(topology => {
  const plan = platformPlan(atScale(models, 300, topology));
  const github = platformPlan(atScale(models, 300, topology, 'github'));
  return [
    { name: `300 services, ${topology}: delivery`, text: plan.diagrams.delivery.text, edges: plan.diagrams.delivery.edges },
    { name: `300 services, ${topology}, github: delivery`, text: github.diagrams.delivery.text, edges: github.diagrams.delivery.edges },
  ];
});
const broken = [
  // An edge to nowhere: GitHub shows "Unable to render rich display" instead of the diagram.
  { name: 'broken: dangling edge', text: 'flowchart TB\n  a["ready"] -->\n  subgraph s["wave"]\n  end' },
  // A subgraph never closed.
  { name: 'broken: unclosed subgraph', text: 'flowchart TB\n  subgraph s["wave"]\n    a --> b' },
  { name: 'broken: too many edges', text: ['flowchart TB', ...Array.from({ length: 501 }, (_, i) => `  n${i} --> n${i + 1}`)].join('\n') },
];
const results = checkWithMermaid([
  ...blocks.map((text, i) => ({ name: `${PLATFORM_PLAN_FILE} diagram ${i + 1}`, text })),
  ...atThreeHundred,
  ...broken,
]);
const resultOf = (name: string) => results.find(r => r.name === name)!;

test(`every diagram of ${PLATFORM_PLAN_FILE} parses with Mermaid, as the flowchart the renderer counted`, () => {
  expect(blocks).toHaveLength(2);
  const plan = platformPlan(models);
  const counted = [plan.diagrams.organization.edges, plan.diagrams.delivery.edges];
  blocks.forEach((_, i) => {
    expect(resultOf(`${PLATFORM_PLAN_FILE} diagram ${i + 1}`)).toEqual({ name: `${PLATFORM_PLAN_FILE} diagram ${i + 1}`, ok: true, type: 'flowchart-v2', edges: counted[i] });
  });
});

test('the delivery diagrams of 300 services parse with Mermaid within its limits, in every topology and engine', () => {
  for (const d of atThreeHundred) expect(resultOf(d.name)).toEqual({ name: d.name, ok: true, type: 'flowchart-v2', edges: d.edges });
});

test('the check bites: a diagram GitHub cannot draw fails it, with Mermaid\'s message', () => {
  expect(resultOf('broken: dangling edge')).toMatchObject({ ok: false, error: expect.stringMatching(/^Parse error on line 3/) });
  expect(resultOf('broken: unclosed subgraph')).toMatchObject({ ok: false, error: expect.stringMatching(/Parse error/) });
  expect(resultOf('broken: too many edges')).toMatchObject({ ok: false, error: expect.stringMatching(/Edge limit exceeded.*the limit is 500/) });
});
