import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../../fixtures/organization';

/**
 * Runs accounts/bootstrap/cli.ts as `npx projen bootstrap` does (tsx), in an
 * environment where the SDK's default credential chain finds nothing: no
 * AWS variables, an empty home, no instance metadata. Nothing reaches AWS.
 */
function runEntry(args: readonly string[]) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'bootstrap-cli-'));
  try {
    const result = spawnSync(path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), ['accounts/bootstrap/cli.ts', ...args], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        PATH: process.env.PATH,
        HOME: home,
        AWS_CONFIG_FILE: path.join(home, 'no-config'),
        AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'no-credentials'),
        AWS_EC2_METADATA_DISABLED: 'true',
        // The SDK warns about Node.js 20 on stderr; that warning is not the tool's output.
        NODE_NO_WARNINGS: '1',
      },
    });
    return { code: result.status, stdout: result.stdout, stderrLines: result.stderr.trimEnd().split('\n') };
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

describe('the bootstrap tool, run as a command', () => {
  test('without credentials it prints one line saying how to provide them, no stack trace, and exits 1', () => {
    const { code, stdout, stderrLines } = runEntry(['plan']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderrLines).toHaveLength(1);
    expect(stderrLines[0]).toMatch(/^no AWS credentials could be loaded from the environment, the shared config files or instance metadata /);
    expect(stderrLines[0]).toContain('(Could not load credentials from any providers): pass --profile <name> of the management account');
    expect(stderrLines.join('\n')).not.toContain('    at ');
  }, 60_000);

  test('with an endpoint nothing listens on it prints one line naming it, no stack trace, and exits 1', () => {
    // Port 1 on this machine: refused at once. Dummy credentials, as for an emulator.
    const { code, stderrLines } = runEntry(['plan', '--endpoint-url', 'http://localhost:1']);
    expect(code).toBe(1);
    expect(stderrLines).toHaveLength(1);
    expect(stderrLines[0]).toMatch(/^cannot reach localhost:1 \(sts in [a-z0-9-]+\) for GetCallerIdentityCommand: ECONNREFUSED: .*: check the network/);
    expect(stderrLines.join('\n')).not.toContain('    at ');
  }, 60_000);
});
