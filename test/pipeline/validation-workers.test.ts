import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GuardJob, JobReport, SharedValidationWorkers, ValidationWorkers } from '../../pipeline';

/** A template CDK's schema check faults (a queue's VisibilityTimeout is not an integer). */
function faultyTemplate(): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'validation-workers-')), 'Probe.template.json');
  fs.writeFileSync(file, JSON.stringify({ Resources: { Queue: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: 'abc' } } } }));
  return file;
}
const schemaJob = (templatePath: string, final?: boolean) =>
  ({ kind: 'schema' as const, final, stackTemplates: [{ stackConstructPath: 'Probe', templatePath, accountId: '123456789012', region: 'eu-west-1' }] });
const guardJob = (name: string): GuardJob => ({ kind: 'guard', rules: [name], templatePaths: [] });

/** Runs guard jobs "here": records them and reports a finding named after the job's rule. */
function recorder() {
  const ran: string[] = [];
  const runHere = (job: GuardJob): JobReport => {
    ran.push(job.rules[0]);
    return { success: false, violations: [{ ruleName: job.rules[0], description: 'ran here', violatingResources: [] }] };
  };
  return { ran, runHere };
}

describe('validation worker threads', () => {
  test('guard jobs no thread has started are run by the thread waiting for them; schema checks run on the worker', () => {
    const { ran, runHere } = recorder();
    const workers = new ValidationWorkers(1, runHere);
    try {
      // CDK's engine takes about a second to start: the worker is busy with the schema job while this thread waits.
      const schema = workers.post(schemaJob(faultyTemplate()));
      const guards = [workers.post(guardJob('g1')), workers.post(guardJob('g2'))];
      expect(workers.wait(guards).map(r => r.violations[0].ruleName)).toEqual(['g1', 'g2']);
      expect(ran).toEqual(['g1', 'g2']);
      const [report] = workers.wait([schema]);
      expect(report.violations.map(v => v.ruleName)).toContain('F3012');
      expect(workers.busy.schema).toBeGreaterThan(0);
    } finally {
      workers.close();
    }
  });

  test('after the final schema job its thread stops: the guard jobs it held run here, and no schema job is taken', () => {
    const { ran, runHere } = recorder();
    const workers = new ValidationWorkers(1, runHere);
    try {
      const schema = workers.post(schemaJob(faultyTemplate(), true));
      const guard = workers.post(guardJob('g1'));
      expect(workers.wait([schema])[0].violations.length).toBeGreaterThan(0);
      expect(workers.checksSchemas).toBe(false);
      expect(workers.wait([guard])[0].violations[0].ruleName).toBe('g1');
      expect(ran).toEqual(['g1']);
      // A guard job posted now has no thread but this one.
      const later = workers.post(guardJob('g2'));
      expect(workers.wait([later])[0].violations[0].description).toBe('ran here');
      expect(() => workers.post(schemaJob(faultyTemplate()))).toThrow(/after the final one/);
    } finally {
      workers.close();
    }
  });

  test('apps validated at once share the process\'s threads, which stop when the last lets go', () => {
    const outer = new SharedValidationWorkers(1);
    const inner = new SharedValidationWorkers(1);
    outer.addUser();
    inner.addUser();
    const threads = outer.get();
    try {
      expect(outer.alone).toBe(true);
      expect(inner.get()).toBe(threads);
      expect(outer.alone).toBe(false);
      inner.finish();
      expect(inner.started).toBeUndefined();
      expect(outer.alone).toBe(true);
      expect(outer.started).toBe(threads);
      outer.finish();
      expect(outer.started).toBeUndefined();
      // A later validation starts new threads.
      const again = outer.get();
      expect(again).not.toBe(threads);
      outer.finish();
    } finally {
      threads.close();
    }
  });

  test('with a concurrency of one there are no threads to start', () => {
    const single = new SharedValidationWorkers(0);
    expect(single.available).toBe(false);
    expect(() => single.get()).toThrow(/concurrency is 1/);
  });
});
