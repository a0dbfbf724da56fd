/**
 * `npx projen bench` (second part): cdk-nag findings per pack for the
 * shipped app, before and after acknowledgements, and bundle sizes per
 * service. Counting acknowledged findings needs the packs' private
 * acknowledgement check turned off, which is why this is a report script
 * and not a test.
 */
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { AwsSolutionsChecks, NagPack, PCIDSS321Checks, ServerlessChecks } from 'cdk-nag';
import { buildBundles, buildPlatform, BUNDLE_DIR } from '../../main';
import { loadServices } from '../../services';
import { loadShippedOrganization, REPO_ROOT } from '../fixtures/organization';

const organization = loadShippedOrganization();
const services = loadServices({ servicesDir: path.join(REPO_ROOT, 'services'), organization });
const built = buildBundles(services, BUNDLE_DIR);
const app = new cdk.App({ outdir: path.join(REPO_ROOT, '.build', 'nag-report.out') });
const stacks = buildPlatform(app, { organization, services, ...built });

type Counts = { errors: number; warnings: number };
function count(pack: NagPack, ignoreAcknowledgements: boolean): Counts {
  if (ignoreAcknowledgements) {
    (pack as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
  }
  const report = pack.validateScope(app);
  const sum = (severity: string) => report.violations
    .filter(v => v.severity === severity)
    .reduce((n, v) => n + v.violatingResources.length, 0);
  return { errors: sum('error'), warnings: sum('warning') };
}

console.log(`\ncdk-nag over ${stacks.length} stacks (findings = rule x resource)`);
console.log('pack               findings (err/warn)   acknowledged   unacknowledged (err/warn)');
for (const make of [() => new AwsSolutionsChecks(), () => new PCIDSS321Checks(), () => new ServerlessChecks()]) {
  const all = count(make(), true);
  const open = count(make(), false);
  const name = make().readPackName;
  console.log(`${name.padEnd(18)} ${`${all.errors}/${all.warnings}`.padStart(10)} ${String(all.errors + all.warnings - open.errors - open.warnings).padStart(22)} ${`${open.errors}/${open.warnings}`.padStart(20)}`);
}

console.log('\nbundle sizes (minified index.js, AWS SDK external)');
for (const [service, fns] of Object.entries(built.bundles)) {
  const total = Object.values(fns).reduce((n, b) => n + b.bytes, 0);
  console.log(`  ${service.padEnd(16)} ${(total / 1024).toFixed(1).padStart(8)} KiB  ${Object.entries(fns).map(([id, b]) => `${id} ${(b.bytes / 1024).toFixed(1)} KiB`).join(', ')}`);
}
console.log(`  pre-traffic hook ${(built.hookBundle.bytes / 1024).toFixed(1).padStart(8)} KiB`);
console.log(`  edge authorizer  ${(built.authorizerBundle.bytes / 1024).toFixed(1).padStart(8)} KiB`);
