import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GuardJob, JobReport, SharedValidationWorkers, ValidationWorkers } from '../../pipeline';

/** Validators that answer without cfn-guard or CDK's engine (test/fixtures/stand-in-validators.cjs). */
const STAND_INS = path.join(__dirname, '..', 'fixtures', 'stand-in-validators.cjs');
const modules = { guard: STAND_INS, cdk: STAND_INS };

/** A schema job whose check keeps the worker busy for `ms` (the stand-in reads it from the file name). */
const schemaJob = (ms: number, final?: boolean) =>
  ({ kind: 'schema' as const, final, stackTemplates: [{ stackConstructPath: 'Probe', templatePath: `/probe/${ms}.template.json` }] });
const guardJob = (name: string): GuardJob => ({ kind: 'guard', rules: [name], templatePaths: [] });
const pause = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Runs guard jobs "here": records them and says so in its finding. */
function recorder() {
  const ran: string[] = [];
  const runHere = (job: GuardJob): JobReport => {
    ran.push(job.rules[0]);
    return { success: false, violations: [{ ruleName: job.rules[0], description: 'ran here', violatingResources: [] }] };
  };
  return { ran, runHere };
}
/** Runs `fn` with one worker thread on the stand-ins and a thread here that records the guard jobs it runs. */
function withWorkers(fn: (workers: ValidationWorkers, ran: string[]) => void): void {
  const { ran, runHere } = recorder();
  const workers = new ValidationWorkers(1, runHere, modules);
  try {
    fn(workers, ran);
  } finally {
    workers.close();
  }
}
const where = (reports: readonly JobReport[]) => reports.map(r => `${r.violations[0].ruleName}: ${r.violations[0].description}`);

describe('validation worker threads', () => {
  test('an idle worker runs the guard jobs posted to it', () => {
    withWorkers((workers, ran) => {
      const guard = workers.post(guardJob('g1'));
      // The worker claims it while this thread does other work.
      pause(300);
      expect(where(workers.wait([guard]))).toEqual(['g1: ran on a worker thread']);
      expect(ran).toEqual([]);
    });
  });

  test('guard jobs no worker has started are run by the thread waiting for them', () => {
    withWorkers((workers, ran) => {
    // The worker is busy for half a second.
      const schema = workers.post(schemaJob(500));
      const guards = [workers.post(guardJob('g1')), workers.post(guardJob('g2'))];
      expect(where(workers.wait(guards))).toEqual(['g1: ran here', 'g2: ran here']);
      expect(ran).toEqual(['g1', 'g2']);
      expect(where(workers.wait([schema]))).toEqual(['schema: /probe/500.template.json']);
      expect(workers.busy.schema).toBeGreaterThanOrEqual(450);
    });
  });

  test('a worker runs its schema checks before its guard jobs (only a worker runs them)', () => {
    // Nothing runs here: every job runs on the worker.
    const workers = new ValidationWorkers(1, undefined, modules);
    try {
      const first = workers.post(schemaJob(300));
      // Both wait while the first runs; the schema check posted last runs next.
      const guard = workers.post(guardJob('g1'));
      const schema = workers.post(schemaJob(0));
      const [, guardReport, schemaReport] = workers.wait([first, guard, schema]);
      expect(where([guardReport])).toEqual(['g1: ran on a worker thread']);
      expect(Number(schemaReport.violations[0].fix)).toBeLessThanOrEqual(Number(guardReport.violations[0].fix));
    } finally {
      workers.close();
    }
  });

  test('after the final schema job its thread stops: the guard jobs it held run here, and no schema job is taken', () => {
    withWorkers((workers, ran) => {
      const schema = workers.post(schemaJob(300, true));
      const guard = workers.post(guardJob('g1'));
      expect(workers.wait([schema])).toHaveLength(1);
      expect(workers.checksSchemas).toBe(false);
      expect(where(workers.wait([guard]))).toEqual(['g1: ran here']);
      // A guard job posted now has no thread but this one.
      const later = workers.post(guardJob('g2'));
      expect(where(workers.wait([later]))).toEqual(['g2: ran here']);
      expect(ran).toEqual(['g1', 'g2']);
      expect(() => workers.post(schemaJob(0))).toThrow(/after the final one/);
    });
  });

  test('a schema job that owns its snapshots removes them once checked', () => {
    withWorkers(workers => {
      const snapshot = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'validation-workers-')), '0.template.json');
      fs.writeFileSync(snapshot, '{}');
      const kept = path.join(path.dirname(snapshot), '1.template.json');
      fs.writeFileSync(kept, '{}');
      const stackTemplates = (templatePath: string) => [{ stackConstructPath: 'Probe', templatePath }];
      workers.wait([
        workers.post({ kind: 'schema', stackTemplates: stackTemplates(snapshot), removeAfter: true }),
        workers.post({ kind: 'schema', stackTemplates: stackTemplates(kept) }),
      ]);
      expect(fs.existsSync(snapshot)).toBe(false);
      expect(fs.existsSync(kept)).toBe(true);
    });
  });

  test('a failing job fails the wait with the worker\'s error', () => {
    const workers = new ValidationWorkers(1, undefined, { guard: path.join(__dirname, 'no-such-module.cjs'), cdk: STAND_INS });
    try {
      expect(() => workers.wait([workers.post(guardJob('g1'))])).toThrow(/policy validation failed in a worker thread: .*no-such-module/);
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
