import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { transformProblems } from '../../accounts';
import { REPO_ROOT } from '../fixtures/organization';

describe('a TypeScript syntax error in a declaration file is one line: file:line:column and the message', () => {
  test('esbuild\'s transform error (as tsx throws it) becomes display:line:column (columns counted from 1)', () => {
    const error = Object.assign(new Error('Transform failed with 2 errors:\n/work/x/services/a/service.ts:9:8: ERROR: Unexpected ","\n'
      + '/work/x/services/a/service.ts:12:0: ERROR: Expected "}" but found end of file'), { name: 'TransformError' });
    expect(transformProblems(error, 'services/a/service.ts')).toEqual([
      'services/a/service.ts:9:9: Unexpected ","',
      'services/a/service.ts:12:1: Expected "}" but found end of file',
    ]);
    // Anything else is a bug: not turned into a user's mistake.
    expect(transformProblems(new TypeError('x is undefined'), 'services/a/service.ts')).toEqual([]);
  });

  test('synth of a broken manifest prints that line and exits 1, without a stack trace', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'broken-declaration-'));
    fs.writeFileSync(path.join(dir, 'service.ts'), 'export default {\n  name: \'a\',\n  wave: ,\n};\n');
    const script = path.join(dir, 'load.ts');
    fs.writeFileSync(script, `import { requireDeclaration, runCommand } from '${path.join(REPO_ROOT, 'accounts')}';\n`
      + `runCommand(() => { requireDeclaration('${path.join(dir, 'service.ts')}', 'services/a/service.ts'); });\n`);
    const result = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: REPO_ROOT, encoding: 'utf8' });
    fs.rmSync(dir, { recursive: true, force: true });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe('services/a/service.ts:3:9: Unexpected ","');
  }, 30_000);
});
