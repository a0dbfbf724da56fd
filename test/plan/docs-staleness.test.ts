import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../../accounts';
import { loadRepositoryModels } from '../../main';
import {
  PLAN_COMMAND, PLATFORM_PLAN_FILE, platformPlan, README_DIAGRAM_END, README_DIAGRAM_START, README_FILE, readmeWithDeliveryDiagram, stalePlanProblem,
} from '../../plan';
import { REPO_ROOT } from '../fixtures/organization';

const file = path.join(REPO_ROOT, PLATFORM_PLAN_FILE);
const plan = platformPlan(loadRepositoryModels());
const generated = plan.markdown;

test(`${PLATFORM_PLAN_FILE} is what ${PLAN_COMMAND} writes from the current declarations`, () => {
  const committed = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  const problem = stalePlanProblem(committed, generated);
  if (problem) throw new Error(problem);
});

test('a stale or missing plan is reported with the command that fixes it and the first line that differs', () => {
  const lines = generated.split('\n');
  const edited = [...lines.slice(0, 2), '# Edited by hand', ...lines.slice(3)].join('\n');
  expect(stalePlanProblem(edited, generated)).toBe(
    `docs/platform.md is stale: run "npx projen plan" and commit it (line 3: committed "# Edited by hand", generated ${JSON.stringify(lines[2])})`);
  expect(stalePlanProblem(undefined, generated)).toBe('docs/platform.md is stale: run "npx projen plan" and commit it (the file is missing)');
  expect(stalePlanProblem(generated.trimEnd(), generated)).toMatch(/\(line \d+: committed "\(end of file\)", generated ""\)$/);
  expect(stalePlanProblem(generated, generated)).toBeUndefined();
});

test(`${README_FILE}'s delivery diagram is the one ${PLAN_COMMAND} writes (the same as ${PLATFORM_PLAN_FILE}'s)`, () => {
  const readme = fs.readFileSync(path.join(REPO_ROOT, README_FILE), 'utf8');
  const problem = stalePlanProblem(readme, readmeWithDeliveryDiagram(readme, plan.diagrams.delivery), README_FILE);
  if (problem) throw new Error(problem);
  expect(readme).toContain(plan.diagrams.delivery.text);
});

test('the README\'s diagram goes between its markers, and a README without them is one clear error', () => {
  const diagram = { text: 'flowchart TB\n  a --> b', edges: 1 };
  expect(readmeWithDeliveryDiagram(`intro\n${README_DIAGRAM_START}\nold\n${README_DIAGRAM_END}\nrest`, diagram))
    .toBe(`intro\n${README_DIAGRAM_START}\n\n\`\`\`mermaid\nflowchart TB\n  a --> b\n\`\`\`\n\n${README_DIAGRAM_END}\nrest`);
  expect(() => readmeWithDeliveryDiagram('no markers', diagram)).toThrow(ConfigError);
  expect(() => readmeWithDeliveryDiagram(`${README_DIAGRAM_END}\n${README_DIAGRAM_START}`, diagram)).toThrow(/has no place for the delivery diagram/);
});
