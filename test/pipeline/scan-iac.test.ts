import * as cdk from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { acknowledgeFindings } from '../../kit';
import { MIN_REASON_LENGTH, readCheckovReport, renderOutcome } from '../../pipeline/scan-iac';

const REASON = 'A log bucket written only by AWS log delivery; its own access logs would need another bucket';

describe('acknowledging a finding once for every scanner', () => {
  test('checkov ids become checkov\'s skip metadata on each resource, with the reason; the others go to cdk.Validations', () => {
    const stack = new cdk.Stack();
    const bucket = new s3.Bucket(stack, 'Logs');
    acknowledgeFindings(bucket, ['AwsSolutions-S1', 'CKV_AWS_18'], REASON);
    acknowledgeFindings(bucket, ['CKV_AWS_21'], `${REASON} (versions add nothing)`);
    // Acknowledging an id again replaces its reason rather than listing it twice.
    acknowledgeFindings(bucket, ['CKV_AWS_18'], `${REASON}, restated`);
    const [resource] = Object.values(Template.fromStack(stack).findResources('AWS::S3::Bucket'));
    expect(resource.Metadata.checkov).toEqual({
      skip: [{ id: 'CKV_AWS_21', comment: `${REASON} (versions add nothing)` }, { id: 'CKV_AWS_18', comment: `${REASON}, restated` }],
    });
    // cdk-nag's id is not checkov's: it is not in the skip list.
    expect(JSON.stringify(resource.Metadata)).not.toContain('AwsSolutions-S1');
  });
});

describe('reading checkov\'s report', () => {
  const check = (id: string, resource: string, comment?: string | null) => ({
    check_id: id, check_name: `name of ${id}`, resource, file_path: '/assembly-X/stack.template.json', check_result: { suppress_comment: comment },
  });
  const report = (failed: object[], skipped: object[]) => [{ summary: { passed: 10 }, results: { failed_checks: failed, skipped_checks: skipped } },
    { summary: { passed: 2 }, results: { failed_checks: [], skipped_checks: [] } }];

  test('a failed check fails the scan, one line naming template, resource and check, and how to acknowledge', () => {
    const outcome = readCheckovReport(report([check('CKV_AWS_117', 'AWS::Lambda::Function.Fn')], [check('CKV_AWS_18', 'AWS::S3::Bucket.B', REASON)]));
    expect(outcome).toEqual({
      passed: 12,
      failed: ['assembly-X/stack.template.json: AWS::Lambda::Function.Fn CKV_AWS_117 name of CKV_AWS_117'],
      weakReasons: [],
      skipped: { CKV_AWS_18: 1 },
    });
    const { text, ok } = renderOutcome(outcome);
    expect(ok).toBe(false);
    expect(text.split('\n')[0]).toBe('checkov: 12 passed, 1 failed, 1 acknowledged (CKV_AWS_18 1)');
    expect(text).toContain('  FAILED assembly-X/stack.template.json: AWS::Lambda::Function.Fn CKV_AWS_117 name of CKV_AWS_117');
    expect(text).toContain('acknowledgeFindings(scope, [');
  });

  test.each([
    ['no reason', null], ['an empty one', ''], ['"n/a"', 'n/a'], ['"not applicable"', 'Not applicable.'], ['a short one', 'we do not need it'],
  ])('an acknowledgement with %s fails the scan too', (_, comment) => {
    const { text, ok } = renderOutcome(readCheckovReport(report([], [check('CKV_AWS_18', 'AWS::S3::Bucket.B', comment)])));
    expect(ok).toBe(false);
    expect(text).toContain(`WEAK REASON assembly-X/stack.template.json: AWS::S3::Bucket.B CKV_AWS_18 name of CKV_AWS_18: acknowledged with ${JSON.stringify(comment ?? '')}`);
    expect(text).toContain(`at least ${MIN_REASON_LENGTH} characters`);
  });

  test('nothing failed and every acknowledgement with a reason passes', () => {
    const { text, ok } = renderOutcome(readCheckovReport(report([], [check('CKV_AWS_18', 'AWS::S3::Bucket.B', REASON), check('CKV_AWS_18', 'AWS::S3::Bucket.C', REASON)])));
    expect(ok).toBe(true);
    expect(text).toBe('checkov: 12 passed, 0 failed, 2 acknowledged (CKV_AWS_18 2)');
  });
});
