import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const REPO_ROOT = path.join(__dirname, '..', '..');
const ACCOUNT = '222222222222';
const ROLE = 'platform-pipeline-observer';
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/${ROLE}`;
const param = (dep: string, leaf: string) => `/acme-pay/staging/services/${dep}/${leaf}`;
const PAYMENTS_DEPENDENCIES = [
  `ledger=${param('ledger', 'api-url')}`,
  `ledger=${param('ledger', 'api-id')}`,
  `notifications=${param('notifications', 'queue/events/arn')}`,
].join(' ');

/**
 * A fake `aws` CLI: logs each call (with the access key it ran under) and answers
 * `sts assume-role` with per-region credentials and `ssm get-parameters` with the
 * requested names listed in FAKE_MISSING (`<region>:<name>`, or `<name>` for every region).
 * FAKE_EMPTY=None prints `None` for an empty answer instead of nothing;
 * FAKE_FAIL=sts|ssm fails that call the way the CLI does on AccessDenied.
 */
const FAKE_AWS = `#!/usr/bin/env bash
set -euo pipefail
echo "key=\${AWS_ACCESS_KEY_ID:-} $*" >> "$FAKE_AWS_LOG"
args=("$@") region="" names=()
for ((i = 0; i < \${#args[@]}; i++)); do
  case "\${args[i]}" in
    --region) region=\${args[i+1]} ;;
    --names) for ((j = i + 1; j < \${#args[@]}; j++)); do
        [[ \${args[j]} == --* ]] && break
        names+=("\${args[j]}")
      done ;;
  esac
done
case "$1 $2" in
  "sts assume-role")
    if [ "\${FAKE_FAIL:-}" = sts ]; then
      echo "An error occurred (AccessDenied) when calling the AssumeRole operation: User: arn:aws:sts::111111111111:assumed-role/ci/build is not authorized to perform: sts:AssumeRole" >&2
      exit 254
    fi
    printf 'AKIA-%s\\tsecret-%s\\ttoken-%s\\n' "$region" "$region" "$region" ;;
  "ssm get-parameters")
    if [ "\${FAKE_FAIL:-}" = ssm ]; then
      echo "An error occurred (AccessDeniedException) when calling the GetParameters operation: not authorized to perform: ssm:GetParameters" >&2
      exit 254
    fi
    if [ "\${#names[@]}" -gt 10 ]; then echo "ValidationException: more than 10 names" >&2; exit 254; fi
    out=()
    for entry in \${FAKE_MISSING:-}; do
      if [[ $entry == *:* ]]; then r=\${entry%%:*} n=\${entry#*:}; else r=$region n=$entry; fi
      [ "$r" = "$region" ] || continue
      for want in "\${names[@]}"; do if [ "$want" = "$n" ]; then out+=("$n"); fi; done
    done
    if [ "\${#out[@]}" -gt 0 ]; then (IFS=$'\\t'; echo "\${out[*]}")
    elif [ "\${FAKE_EMPTY:-}" = None ]; then echo None; fi ;;
  *) echo "fake aws: unexpected call: $*" >&2; exit 255 ;;
esac
`;

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The fake CLI's calls, one line each: `key=<access key> <arguments>`. */
  readonly calls: string[];
}

/** Runs the script as the pipeline does, against the fake CLI, with the payments/staging defaults overridden by `vars`. */
function runCheck(vars: Record<string, string | undefined> = {}): Run {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dependency-check-'));
  fs.writeFileSync(path.join(dir, 'aws'), FAKE_AWS, { mode: 0o755 });
  const log = path.join(dir, 'aws.log');
  const env: Record<string, string> = {};
  const merged: Record<string, string | undefined> = {
    PATH: `${dir}${path.delimiter}${process.env.PATH}`,
    FAKE_AWS_LOG: log,
    SERVICE: 'payments',
    TARGET_ENVIRONMENT: 'staging',
    TARGET_ACCOUNT: ACCOUNT,
    TARGET_REGIONS: 'eu-west-1 eu-central-1',
    OBSERVER_ROLE_NAME: ROLE,
    REQUIRED_PARAMETERS: PAYMENTS_DEPENDENCIES,
    ...vars,
  };
  for (const [k, v] of Object.entries(merged)) if (v !== undefined) env[k] = v;
  const result = spawnSync('bash', ['pipeline/dependency-check.sh'], { cwd: REPO_ROOT, env, encoding: 'utf8' });
  const calls = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
  fs.rmSync(dir, { recursive: true, force: true });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, calls };
}

const lines = (text: string) => text.split('\n').filter(Boolean);
/** The `--names` of each get-parameters call in `region`. */
const namesAsked = (run: Run, region: string) => run.calls
  .filter(c => c.includes('ssm get-parameters') && c.includes(`--region ${region} `))
  .map(c => c.split('--names ')[1].split(' --')[0].split(' '));

describe('every dependency is live', () => {
  test.each([
    ['nothing', undefined],
    ['None', 'None'],
  ])('passes with one line when get-parameters prints %s for no invalid parameter', (_, empty) => {
    const run = runCheck({ FAKE_EMPTY: empty });
    expect(run.stderr).toBe('');
    expect(lines(run.stdout)).toEqual([
      'Dependencies of payments are live in staging (eu-west-1 eu-central-1): ledger, notifications',
    ]);
    expect(run.status).toBe(0);
  });

  test('each region is read through the observer role assumed in that region', () => {
    const run = runCheck();
    const assumed = run.calls.filter(c => c.includes('sts assume-role'));
    expect(assumed).toEqual(['eu-west-1', 'eu-central-1'].map(region => expect.stringContaining(
      `sts assume-role --region ${region} --role-arn ${ROLE_ARN} --role-session-name dependency-check`)));
    // Never the pipeline's own credentials: each get-parameters runs under the role's keys for its region.
    for (const region of ['eu-west-1', 'eu-central-1']) {
      const reads = run.calls.filter(c => c.includes(`ssm get-parameters --region ${region} `));
      expect(reads).toEqual([expect.stringMatching(new RegExp(`^key=AKIA-${region} .*--query InvalidParameters --output text$`))]);
    }
    expect(namesAsked(run, 'eu-west-1')).toEqual([
      [param('ledger', 'api-url'), param('ledger', 'api-id'), param('notifications', 'queue/events/arn')],
    ]);
  });
});

describe('a dependency is not live', () => {
  test('names the dependency, the region, the parameter and the pipeline to run', () => {
    const run = runCheck({ FAKE_MISSING: `eu-west-1:${param('ledger', 'api-url')}` });
    expect(lines(run.stderr)).toEqual([
      'payments cannot deploy to staging: its dependency ledger is not live in staging (eu-west-1): '
      + 'SSM parameter /acme-pay/staging/services/ledger/api-url does not exist. '
      + 'Deploy ledger to staging first (pipeline ServicePipeline-ledger), then retry this stage.',
    ]);
    expect(run.stdout).toBe('');
    expect(run.status).toBe(1);
  });

  test('lists all of a dependency\'s missing parameters in one line per dependency and region', () => {
    const run = runCheck({
      FAKE_MISSING: [param('ledger', 'api-url'), param('ledger', 'api-id'), `eu-central-1:${param('notifications', 'queue/events/arn')}`].join(' '),
      PIPELINE_PREFIX: 'Deliver-',
    });
    expect(lines(run.stderr)).toEqual([
      'payments cannot deploy to staging: its dependency ledger is not live in staging (eu-west-1): '
      + 'SSM parameters /acme-pay/staging/services/ledger/api-url, /acme-pay/staging/services/ledger/api-id do not exist. '
      + 'Deploy ledger to staging first (pipeline Deliver-ledger), then retry this stage.',
      'payments cannot deploy to staging: its dependency ledger is not live in staging (eu-central-1): '
      + 'SSM parameters /acme-pay/staging/services/ledger/api-url, /acme-pay/staging/services/ledger/api-id do not exist. '
      + 'Deploy ledger to staging first (pipeline Deliver-ledger), then retry this stage.',
      'payments cannot deploy to staging: its dependency notifications is not live in staging (eu-central-1): '
      + 'SSM parameter /acme-pay/staging/services/notifications/queue/events/arn does not exist. '
      + 'Deploy notifications to staging first (pipeline Deliver-notifications), then retry this stage.',
    ]);
    expect(run.status).toBe(1);
  });

  test('names the pipeline or workflow DEPENDENCY_PIPELINES gives for a dependency (a team\'s pipeline in per-owner)', () => {
    const run = runCheck({
      FAKE_MISSING: `eu-west-1:${param('ledger', 'api-url')}`,
      DEPENDENCY_PIPELINES: 'notifications=services-team-notify.yml ledger=ServicePipeline-team-ledger',
    });
    expect(lines(run.stderr)).toEqual([
      'payments cannot deploy to staging: its dependency ledger is not live in staging (eu-west-1): '
      + 'SSM parameter /acme-pay/staging/services/ledger/api-url does not exist. '
      + 'Deploy ledger to staging first (pipeline ServicePipeline-team-ledger), then retry this stage.',
    ]);
    expect(run.status).toBe(1);
  });

  test('more than 10 parameters are read in calls of at most 10 names (the GetParameters limit), none skipped', () => {
    const required = Array.from({ length: 23 }, (_, i) => `ledger=${param('ledger', `p${i}`)}`);
    const run = runCheck({ REQUIRED_PARAMETERS: required.join(' '), FAKE_MISSING: `eu-central-1:${param('ledger', 'p22')}` });
    for (const region of ['eu-west-1', 'eu-central-1']) {
      const batches = namesAsked(run, region);
      expect(batches.map(b => b.length)).toEqual([10, 10, 3]);
      expect(batches.flat()).toEqual(required.map(r => r.split('=')[1]));
    }
    expect(lines(run.stderr)).toEqual([expect.stringContaining(
      'its dependency ledger is not live in staging (eu-central-1): SSM parameter /acme-pay/staging/services/ledger/p22 does not exist.')]);
    expect(run.status).toBe(1);
  });

  test('a parameter required twice is asked for once', () => {
    const run = runCheck({ REQUIRED_PARAMETERS: `${PAYMENTS_DEPENDENCIES} ledger=${param('ledger', 'api-url')}`, TARGET_REGIONS: 'eu-west-1' });
    expect(namesAsked(run, 'eu-west-1')).toEqual([
      [param('ledger', 'api-url'), param('ledger', 'api-id'), param('notifications', 'queue/events/arn')],
    ]);
    expect(run.stdout).toBe('Dependencies of payments are live in staging (eu-west-1): ledger, notifications\n');
  });
});

describe('a CLI failure is not a missing dependency', () => {
  test.each([
    ['ssm', 'aws ssm get-parameters failed (exit 254, its error is above)', 'AccessDeniedException'],
    ['sts', 'aws sts assume-role failed (exit 254, its error is above)', 'AccessDenied'],
  ])('%s AccessDenied stops the check with the CLI\'s error and says the parameters could not be read', (fail, what, cliError) => {
    const run = runCheck({ FAKE_FAIL: fail, FAKE_MISSING: param('ledger', 'api-url') });
    const [first, second, ...rest] = lines(run.stderr);
    expect(first).toContain(`An error occurred (${cliError})`);
    expect(second).toBe('dependency-check: could not read the SSM parameters of payments\'s dependencies in staging (eu-west-1) '
      + `through the observer role ${ROLE_ARN}: ${what}. `
      + 'This says nothing about whether the dependencies are live; fix the access and retry this stage.');
    expect(rest).toEqual([]);
    expect(run.stderr).not.toContain('cannot deploy');
    expect(run.stdout).toBe('');
    expect(run.status).toBe(3);
  });
});

describe('bad input', () => {
  test.each(['ledger', 'ledger=', '=/acme-pay/staging/services/ledger/api-url'])(
    'the malformed pair "%s" is named, before any AWS call', pair => {
      const run = runCheck({ REQUIRED_PARAMETERS: `notifications=${param('notifications', 'queue/events/arn')} ${pair}` });
      expect(run.stderr).toBe(`dependency-check: REQUIRED_PARAMETERS entry "${pair}" is not <dependency>=<ssm parameter name> `
        + '(e.g. ledger=/acme-pay/staging/services/ledger/api-url)\n');
      expect(run.calls).toEqual([]);
      expect(run.status).toBe(2);
    });

  test('an account id that is not 12 digits is refused', () => {
    const run = runCheck({ TARGET_ACCOUNT: '12345' });
    expect(run.stderr).toBe('dependency-check: TARGET_ACCOUNT "12345" is not a 12-digit account id\n');
    expect(run.status).toBe(2);
  });

  test('a missing required variable is named', () => {
    const run = runCheck({ OBSERVER_ROLE_NAME: undefined });
    expect(run.stderr).toContain('OBSERVER_ROLE_NAME (the read-only role to assume) is required');
    expect(run.calls).toEqual([]);
    expect(run.status).not.toBe(0);
  });
});

test.each([
  ['unset', undefined],
  ['empty', ''],
  ['blank', '  \n '],
])('%s REQUIRED_PARAMETERS: nothing to check, no AWS call', (_, value) => {
  const run = runCheck({ REQUIRED_PARAMETERS: value });
  expect(run.stdout).toBe('Nothing to check: payments declares no dependency parameters for staging\n');
  expect(run.calls).toEqual([]);
  expect(run.status).toBe(0);
});
