/**
 * `npx projen plan`: writes docs/platform.md from the models synth validates
 * (loaded by main.ts, as a full synth loads them), and the same delivery
 * diagram into the README. A mistake in a declaration is one line and exit
 * code 1, as in synth.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCommand } from '../accounts';
import { loadRepositoryModels } from '../main';
import { PLATFORM_PLAN_FILE, platformPlan } from './platform-plan';
import { README_FILE, readmeWithDeliveryDiagram } from './readme-diagram';

const ROOT = path.resolve(__dirname, '..');

function main(): void {
  const { markdown, diagrams } = platformPlan(loadRepositoryModels(ROOT));
  const readmeFile = path.join(ROOT, README_FILE);
  const readme = readmeWithDeliveryDiagram(fs.readFileSync(readmeFile, 'utf8'), diagrams.delivery);
  const sizes = Object.entries(diagrams).map(([name, d]) => `${name} ${d.text.length} chars, ${d.edges} edges`).join('; ');
  console.log(`${PLATFORM_PLAN_FILE}: ${write(path.join(ROOT, PLATFORM_PLAN_FILE), markdown)} (diagrams: ${sizes})`);
  console.log(`${README_FILE} (delivery diagram): ${write(readmeFile, readme)}`);
}

/** Writes `text` to `file` unless it holds it already; says which. */
function write(file: string, text: string): 'written' | 'unchanged' {
  if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === text) return 'unchanged';
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return 'written';
}

if (require.main === module) runCommand(main);
