import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { acknowledgeFindings } from '../../kit';
import { REPO_ROOT } from '../fixtures/organization';

/**
 * The IaC scanner for real (checkov from .venv-scan, installed by
 * test:integration): a new unacknowledged finding fails the build, an
 * acknowledgement with a reason in code passes it, one without a reason does not.
 */
const dirs: string[] = [];
afterAll(() => dirs.forEach(d => fs.rmSync(d, { recursive: true, force: true })));

/** Synthesizes a stack with one bucket, changed by `change`, and scans it. */
function scan(change: (bucket: s3.Bucket) => void) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scan-iac-'));
  dirs.push(dir);
  const app = new cdk.App({ outdir: path.join(dir, 'cdk.out') });
  const stack = new cdk.Stack(app, 'Scanned');
  // Encrypted, private, TLS only: what checkov reports besides is access logs (CKV_AWS_18) and versioning (CKV_AWS_21).
  const bucket = new s3.Bucket(stack, 'Bucket', { enforceSSL: true, blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL, encryption: s3.BucketEncryption.KMS });
  change(bucket);
  app.synth();
  const result = spawnSync(path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
    ['pipeline/scan-iac.ts', '--assembly', path.join(dir, 'cdk.out'), '--sarif', path.join(dir, 'checkov.sarif')],
    { cwd: REPO_ROOT, encoding: 'utf8' });
  return { ...result, sarif: path.join(dir, 'checkov.sarif') };
}

test('a new unacknowledged finding fails, naming the template, the resource and the check; SARIF is written', () => {
  const result = scan(() => undefined);
  expect(result.status).toBe(1);
  expect(result.stdout).toMatch(/FAILED Scanned.template.json: AWS::S3::Bucket.Bucket[0-9A-F]+ CKV_AWS_18 Ensure the S3 bucket has access logging enabled/);
  expect(result.stdout).toMatch(/FAILED Scanned.template.json: AWS::S3::Bucket.Bucket[0-9A-F]+ CKV_AWS_21 /);
  const sarif = JSON.parse(fs.readFileSync(result.sarif, 'utf8'));
  expect(sarif.runs[0].tool.driver.name).toBe('Checkov');
}, 120_000);

test('acknowledged in code with a reason, it passes; with a non-reason, it fails', () => {
  const passing = scan(bucket => acknowledgeFindings(bucket, ['CKV_AWS_18', 'CKV_AWS_21'],
    'A test bucket of the scanner\'s own test, deleted with it: nothing to log or version'));
  expect(passing.stdout).toMatch(/^checkov: \d+ passed, 0 failed, 2 acknowledged \(CKV_AWS_18 1, CKV_AWS_21 1\)/);
  expect(passing.status).toBe(0);
  const weak = scan(bucket => acknowledgeFindings(bucket, ['CKV_AWS_18', 'CKV_AWS_21'], 'n/a'));
  expect(weak.status).toBe(1);
  expect(weak.stdout).toContain('WEAK REASON');
}, 180_000);
