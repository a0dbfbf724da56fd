import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * A fake `aws` CLI: credentials for `sts assume-role`, and for `ssm get-parameter`
 * the URL `https://<service>.example/<env>` unless the parameter is in FAKE_MISSING,
 * which fails the way the CLI does (ParameterNotFound).
 */
const FAKE_AWS = `#!/usr/bin/env bash
case "$1 $2" in
  "sts assume-role") printf 'AKIAFAKE\\tsecret\\ttoken\\n' ;;
  "ssm get-parameter")
    while [ $# -gt 0 ]; do [ "$1" = --name ] && name=$2; shift; done
    case " \${FAKE_MISSING:-} " in *" $name "*) echo "An error occurred (ParameterNotFound) when calling the GetParameter operation" >&2; exit 254 ;; esac
    service=$(echo "$name" | cut -d/ -f5); env=$(echo "$name" | cut -d/ -f3)
    echo "https://$service.example/$env" ;;
  *) exit 255 ;;
esac
`;

/** Runs `command` in bash with a fake AWS CLI first on PATH (see FAKE_AWS). */
export function runWithFakeAws(command: string, env: Record<string, string> = {}) {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-aws-'));
  try {
    fs.writeFileSync(path.join(bin, 'aws'), FAKE_AWS, { mode: 0o755 });
    return spawnSync('bash', ['-c', command], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, ...env } });
  } finally {
    fs.rmSync(bin, { recursive: true, force: true });
  }
}
