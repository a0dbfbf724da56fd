/**
 * `npx projen test:e2e`: starts the local stage of every service, runs the
 * smoke, end-to-end and load suites against it (test/e2e/local-suites.ts),
 * stops it, and exits non-zero when a suite failed or a function answered
 * something its service's contract (api.yaml) does not allow. The stage's own log
 * (requests, batches, handler logs) goes to .build/local-stage.log.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runLocalSuites } from './local-suites';
import { ConfigError, LOCK_FILE, loadOrganization } from '../../accounts';
import declaration from '../../accounts/organization';
import { loadServices } from '../../services';
import { LocalStageError } from '../../services/local/emulator';
import { startLocalStage } from '../../services/local/stage';

const ROOT = path.resolve(__dirname, '..', '..');
const LOG_FILE = path.join(ROOT, '.build', 'local-stage.log');

async function main(): Promise<number> {
  const started = performance.now();
  const organization = loadOrganization({ declaration, lockText: fs.readFileSync(path.join(ROOT, LOCK_FILE), 'utf8') });
  const services = loadServices({ servicesDir: path.join(ROOT, 'services'), organization });
  fs.mkdirSync(path.dirname(LOG_FILE), { recursive: true });
  const log = fs.openSync(LOG_FILE, 'w');
  const stage = await startLocalStage({ organization, services, port: 0, watch: false, log: line => fs.writeSync(log, `${line}\n`) });
  console.log(`local stage of ${stage.services.length} services up in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  try {
    const runs = await runLocalSuites(stage);
    for (const run of runs) {
      console.log(`\n=== ${run.name}: ${run.exitCode === 0 ? 'passed' : 'FAILED'} (${run.seconds.toFixed(1)} s)`);
      console.log(run.output.trimEnd());
    }
    const failed = runs.filter(r => r.exitCode !== 0);
    console.log(`\n${runs.length - failed.length} of ${runs.length} suites passed; the stage's log: ${path.relative(ROOT, LOG_FILE)}`);
    // Every answer a function gave during the suites, checked against its service's own contract (api.yaml).
    const violations = stage.contractViolations();
    for (const v of violations) console.log(`contract: ${v.service} ${v.operation} answered ${v.status}: ${v.problem}`);
    console.log(violations.length ? `${violations.length} answers broke their service's contract` : 'every answer matched its service\'s contract');
    return failed.length || violations.length ? 1 : 0;
  } finally {
    await stage.stop();
    fs.closeSync(log);
  }
}

main().then(code => process.exit(code), (e: unknown) => {
  if (e instanceof ConfigError || e instanceof LocalStageError) {
    console.error(e.message);
    process.exit(1);
  }
  throw e;
});
