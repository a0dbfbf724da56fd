/**
 * The lint's security rules for real: the project's ESLint configuration over sample code. In the integration suite: loading the
 * typed project takes about 15 s, too slow for the unit suite.
 */
import * as path from 'node:path';
import { ESLint } from 'eslint';
import { REPO_ROOT } from '../fixtures/organization';

/**
 * The project's lint (its .eslintrc.json, as `npx projen test` runs it) over `code`, as if it were the text of `file`
 * (an existing file: the typed parser needs one of the project's).
 */
let eslint: ESLint | undefined;
async function securityFindings(code: string, file: string): Promise<string[]> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { LegacyESLint } = require('eslint/use-at-your-own-risk') as { LegacyESLint: typeof ESLint };
  // One instance: loading the typed project is most of the time.
  eslint ??= new LegacyESLint({ cwd: REPO_ROOT });
  const [result] = await eslint.lintText(code, { filePath: path.join(REPO_ROOT, file) });
  return result.messages.filter(m => m.ruleId?.startsWith('security/')).map(m => `${m.ruleId} ${m.severity === 2 ? 'error' : 'warning'}`);
}

describe('security rules in the lint every build runs', () => {
  test('eval of an expression, a non-literal require, a ReDoS-prone regex: errors', async () => {
    const code = [
      'export function run(code: string, name: string, text: string): unknown {',
      '  const loaded = require(name) as unknown;',
      '  return [eval(code), loaded, /^(a+)+$/.test(text)];',
      '}',
      '',
    ].join('\n');
    expect(await securityFindings(code, 'pipeline/scan-iac.ts')).toEqual(expect.arrayContaining([
      'security/detect-eval-with-expression error', 'security/detect-non-literal-require error', 'security/detect-unsafe-regex error',
    ]));
  }, 60_000);

  test('code that runs deployed may not open a file named by a variable; the tools may', async () => {
    const code = "import { readFileSync } from 'node:fs';\nexport const read = (file: string): string => readFileSync(file, 'utf8');\n";
    expect(await securityFindings(code, 'services/runtime/flags.ts')).toEqual(['security/detect-non-literal-fs-filename error']);
    expect(await securityFindings(code, 'pipeline/scan-iac.ts')).toEqual([]);
  }, 60_000);

  test('a finding acknowledged in place, with its reason, passes', async () => {
    const code = [
      'export function matches(text: string): boolean {',
      '  // eslint-disable-next-line security/detect-unsafe-regex -- the input is a constant of this file, never a caller\'s',
      '  return /^(a+)+$/.test(text);',
      '}',
      '',
    ].join('\n');
    expect(await securityFindings(code, 'pipeline/scan-iac.ts')).toEqual([]);
  }, 60_000);
});
