import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GENERATED_WORKFLOW_HEADER } from '../../pipeline';
import { ASSEMBLIES, sharedAssembly } from '../fixtures/assembly';
import { REPO_ROOT } from '../fixtures/organization';

/**
 * actionlint, with shellcheck on every `run:` script, over the workflows the
 * github engine generates in each topology. The linters come from
 * scripts/install-workflow-linters.sh (.venv-lint/): `npx projen lint:workflows`
 * installs them and sets LINT_WORKFLOWS, so that there a missing linter fails;
 * elsewhere this suite runs where they are installed and is skipped otherwise.
 */
const bin = path.join(REPO_ROOT, '.venv-lint', 'bin');
const installed = fs.existsSync(path.join(bin, 'actionlint')) && fs.existsSync(path.join(bin, 'shellcheck'));
const required = process.env.LINT_WORKFLOWS === '1';

if (!installed && required) {
  test('the workflow linters are installed', () => {
    throw new Error('actionlint and shellcheck are not in .venv-lint/bin: run bash scripts/install-workflow-linters.sh');
  });
}

const lint = installed ? test : test.skip;

const topologies = {
  'single': ASSEMBLIES.fixtureGitHub,
  'single, shipped services': ASSEMBLIES.shippedGitHub,
  'per-service': ASSEMBLIES.fixtureGitHubPerService,
};

describe.each(Object.entries(topologies))('the %s topology\'s generated workflows', (name, request) => {
  lint('pass actionlint and shellcheck without a finding', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'workflow-lint-'));
    try {
      const files = Object.entries(sharedAssembly(request).workflows)
        .filter(([, text]) => text.startsWith(GENERATED_WORKFLOW_HEADER))
        .map(([file, text]) => {
          fs.writeFileSync(path.join(dir, file), text);
          return file;
        });
      expect(files.length).toBeGreaterThan(0);
      const result = spawnSync(path.join(bin, 'actionlint'), ['-no-color', '-shellcheck', path.join(bin, 'shellcheck'), ...files],
        { cwd: dir, encoding: 'utf8' });
      expect({ topology: name, status: result.status, findings: result.stdout + result.stderr }).toEqual({ topology: name, status: 0, findings: '' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
