import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../fixtures/organization';

/**
 * The secret scanner for real (gitleaks, built into .bin/ by the script):
 * a secret in a file fails it, one in a commit since removed fails it too
 * (history), and an acknowledged false positive passes.
 */
// Built at run time, so this file holds no secret of its own for the scanner to find.
const TOKEN = ['ghp', '_', 'R7wqK2mZpX9vLbT4nC8dF1sHjY6eA3uG5iOk'].join('');
const dirs: string[] = [];
afterAll(() => dirs.forEach(d => fs.rmSync(d, { recursive: true, force: true })));

function folder(files: Readonly<Record<string, string>>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scan-secrets-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}
const scan = (dir: string) => spawnSync('bash', [path.join(REPO_ROOT, 'scripts', 'scan-secrets.sh'), dir], { encoding: 'utf8' });

test('a secret in a file fails the scan, redacted in its output', () => {
  const result = scan(folder({ 'config.ts': `export const token = '${TOKEN}';\n` }));
  expect(result.status).toBe(1);
  expect(result.stdout + result.stderr).toContain('leaks found: 1');
  expect(result.stdout + result.stderr).not.toContain(TOKEN);
}, 180_000);

test('a secret committed and removed since is found in the history', () => {
  const dir = folder({ 'config.ts': `export const token = '${TOKEN}';\n` });
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: dir });
  git('init', '-q');
  git('add', '.');
  git('commit', '-qm', 'add a token');
  fs.writeFileSync(path.join(dir, 'config.ts'), 'export const token = process.env.TOKEN;\n');
  git('commit', '-qam', 'read it from the environment');
  const result = scan(dir);
  expect(result.stdout).toContain('every commit (2)');
  expect(result.status).toBe(1);
}, 60_000);

test('a false positive acknowledged in place (gitleaks:allow) passes', () => {
  const result = scan(folder({ 'fixture.ts': `// A fixture value, not a credential.\nexport const token = '${TOKEN}'; // gitleaks:allow\n` }));
  expect(result.stdout + result.stderr).toContain('no leaks found');
  expect(result.status).toBe(0);
}, 60_000);
