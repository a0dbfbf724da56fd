/**
 * `npx projen scan:iac`: an independent IaC scanner, checkov, over every
 * template of a cloud assembly (the pipelines' and every stage's, nested
 * assemblies included). Every finding must be fixed, or acknowledged in code
 * with a reason (kit/nag.ts `acknowledgeFindings`, which writes checkov's
 * own skip metadata on the resource): a failed check fails the build, and
 * so does an acknowledgement without a real reason. Writes SARIF (GitHub
 * code scanning) and JUnit (`checkov.xml` beside it: CodeBuild report groups).
 *
 *   npx projen scan:iac [-- --assembly cdk.out] [--sarif .build/reports/checkov.sarif] [--checkov .venv-scan/bin/checkov]
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, runCommand } from '../accounts';
import { readFlags } from '../kit';

const ROOT = path.resolve(__dirname, '..');

/** One check of checkov's JSON report (the fields read here). */
interface CheckovCheck {
  readonly check_id: string;
  readonly check_name: string;
  readonly resource: string;
  readonly file_path: string;
  /** For a skipped check: the acknowledgement's reason (checkov puts it here). */
  readonly check_result?: { readonly suppress_comment?: string | null };
}

/** checkov's JSON report: one object per framework, or a list of them. */
interface CheckovReport {
  readonly summary?: { readonly passed?: number; readonly failed?: number; readonly skipped?: number };
  readonly results?: { readonly failed_checks?: readonly CheckovCheck[]; readonly skipped_checks?: readonly CheckovCheck[] };
}

/** What a scan found. */
export interface ScanOutcome {
  readonly passed: number;
  /** Failed checks: unacknowledged findings, one line each. */
  readonly failed: readonly string[];
  /** Acknowledgements whose reason is not one (empty, too short, "n/a"): one line each. */
  readonly weakReasons: readonly string[];
  /** Acknowledged findings, by check id. */
  readonly skipped: Readonly<Record<string, number>>;
}

/** The shortest reason an acknowledgement may give: a reason says why, in words. */
export const MIN_REASON_LENGTH = 30;
const NON_REASON = /^\s*(n\/?a|none|todo|fixme|not applicable|ignore|skip(ped)?)\s*[.!]?\s*$/i;

/** A finding as one line: template, resource, check and what it checks. */
function line(check: CheckovCheck): string {
  return `${check.file_path.replace(/^\//, '')}: ${check.resource} ${check.check_id} ${check.check_name}`;
}

/** Reads checkov's JSON report into failed findings, weak acknowledgements and counts. */
export function readCheckovReport(json: unknown): ScanOutcome {
  const reports = (Array.isArray(json) ? json : [json]) as CheckovReport[];
  const failed: string[] = [];
  const weakReasons: string[] = [];
  const skipped: Record<string, number> = {};
  let passed = 0;
  for (const report of reports) {
    passed += report.summary?.passed ?? 0;
    for (const check of report.results?.failed_checks ?? []) failed.push(line(check));
    for (const check of report.results?.skipped_checks ?? []) {
      skipped[check.check_id] = (skipped[check.check_id] ?? 0) + 1;
      const reason = check.check_result?.suppress_comment ?? '';
      if (reason.trim().length < MIN_REASON_LENGTH || NON_REASON.test(reason)) {
        weakReasons.push(`${line(check)}: acknowledged with ${JSON.stringify(reason)}; a reason says why the finding does not apply or is accepted `
          + `(at least ${MIN_REASON_LENGTH} characters)`);
      }
    }
  }
  return { passed, failed: failed.sort(), weakReasons: weakReasons.sort(), skipped };
}

/** The report as printed: the summary, then each problem on a line, then how to fix one. */
export function renderOutcome(outcome: ScanOutcome): { text: string; ok: boolean } {
  const skippedTotal = Object.values(outcome.skipped).reduce((a, b) => a + b, 0);
  const ok = outcome.failed.length === 0 && outcome.weakReasons.length === 0;
  const lines = [
    `checkov: ${outcome.passed} passed, ${outcome.failed.length} failed, ${skippedTotal} acknowledged `
      + `(${Object.entries(outcome.skipped).sort(([a], [b]) => a.localeCompare(b)).map(([id, n]) => `${id} ${n}`).join(', ') || 'none'})`,
    ...outcome.failed.map(f => `  FAILED ${f}`),
    ...outcome.weakReasons.map(w => `  WEAK REASON ${w}`),
  ];
  if (!ok) {
    lines.push('Fix the resource, or acknowledge the finding where the construct is made, with the reason: '
      + 'acknowledgeFindings(scope, [<cdk-nag, guard and checkov ids of the finding>], \'<why>\') from kit/nag.ts (README, "Quality gates")');
  }
  return { text: lines.join('\n'), ok };
}

const FLAGS = {
  '--assembly': { value: true, help: 'the cloud assembly to scan', placeholder: '<dir>' },
  '--sarif': { value: true, help: 'where to write the SARIF report', placeholder: '<file>' },
  '--checkov': { value: true, help: 'the checkov executable', placeholder: '<path>' },
  '--help': { value: false, help: 'show this help' },
} as const;

function main(): void {
  const read = readFlags(process.argv.slice(2), FLAGS, {}, 'npx projen scan:iac');
  const problems = [...read.problems, ...read.positionals.map(p => `npx projen scan:iac: unexpected argument ${JSON.stringify(p)}; allowed: ${Object.keys(FLAGS).join(', ')}`)];
  if (problems.length > 0) throw new ConfigError(problems);
  if (read.values.has('--help')) {
    console.log(`Usage: npx projen scan:iac [-- <options>]

checkov over every template of a synthesized cloud assembly; fails on any unacknowledged finding.
${Object.entries(FLAGS).map(([flag, spec]) => `  ${flag} ${'placeholder' in spec ? spec.placeholder : ''}  ${spec.help}`).join('\n')}`);
    return;
  }
  const value = (flag: keyof typeof FLAGS, fallback: string) => path.resolve(ROOT, read.values.get(flag)?.at(-1) ?? fallback);
  const assembly = value('--assembly', 'cdk.out');
  const sarif = value('--sarif', '.build/reports/checkov.sarif');
  const checkov = value('--checkov', '.venv-scan/bin/checkov');
  if (!fs.existsSync(path.join(assembly, 'manifest.json'))) {
    throw new ConfigError([`npx projen scan:iac: ${path.relative(ROOT, assembly) || assembly} is not a cloud assembly (no manifest.json); run npx projen synth first`]);
  }
  if (!fs.existsSync(checkov)) throw new ConfigError([`npx projen scan:iac: no checkov at ${path.relative(ROOT, checkov)}; run npx projen scan:install`]);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'checkov-'));
  const result = spawnSync(checkov, [
    '--directory', assembly, '--framework', 'cloudformation', '--compact', '--soft-fail',
    '--output', 'json', '--output', 'sarif', '--output', 'junitxml', '--output-file-path', out,
  ], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const report = path.join(out, 'results_json.json');
  if (result.status !== 0 || !fs.existsSync(report)) {
    throw new Error(`checkov did not run (exit ${result.status}): ${result.stderr || result.stdout}`);
  }
  fs.mkdirSync(path.dirname(sarif), { recursive: true });
  fs.copyFileSync(path.join(out, 'results_sarif.sarif'), sarif);
  // JUnit next to it: CodeBuild's report groups read JUnit, not SARIF.
  fs.copyFileSync(path.join(out, 'results_junitxml.xml'), path.join(path.dirname(sarif), 'checkov.xml'));
  const { text, ok } = renderOutcome(readCheckovReport(JSON.parse(fs.readFileSync(report, 'utf8'))));
  fs.rmSync(out, { recursive: true, force: true });
  console.log(`${text}\nSARIF: ${path.relative(ROOT, sarif)}`);
  if (!ok) process.exitCode = 1;
}

if (require.main === module) runCommand(main);
