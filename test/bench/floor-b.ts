/**
 * Floor B of the scale benchmark (test/bench/scale.ts): a plain CDK app with
 * only the platform's Lambda functions. It loads the organization and the
 * services as main.ts does, takes the same bundles (already built into the
 * copy's .build/bundles), and for every (service, environment, region) the
 * delivery plan deploys makes one stack holding one `lambda.Function` per
 * function of the manifest: no pipeline, no alarms, no validation plugins.
 * What CDK costs for that many functions in that many stacks.
 *
 * Run in a copy made by the benchmark: `npx tsx <repo>/test/bench/floor-b.ts <outdir>`.
 * The copy's code is loaded (its generated services), not this repository's.
 * Writes its phases to the file PLATFORM_SYNTH_TIMINGS names, as main.ts does.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as Accounts from '../../accounts';
import type * as OrganizationDeclaration from '../../accounts/organization';
import type * as Kit from '../../kit';
import type * as Main from '../../main';
import type * as Pipeline from '../../pipeline';
import type * as Services from '../../services';

const root = process.cwd();
/** A module of the copy: the same code as this repository's, typed by it. */
function fromCopy<T>(file: string): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(root, file)) as T;
}

const outdir = process.argv[2];
if (!outdir) {
  process.stderr.write('usage: npx tsx test/bench/floor-b.ts <outdir> (in a copy made by test/bench/scale.ts)\n');
  process.exit(2);
}
if (!fs.existsSync(path.join(root, 'main.ts'))) throw new Error(`${root}: no main.ts; run floor-b.ts in a copy of the repository`);

const { synthTimings, SYNTH_PHASES } = fromCopy<typeof Kit>('kit');
const { loadOrganization, LOCK_FILE } = fromCopy<typeof Accounts>('accounts');
const declaration = fromCopy<typeof OrganizationDeclaration>('accounts/organization.ts').default;
const { loadServices, SERVICE_RUNTIME } = fromCopy<typeof Services>('services');
const { planFromModels } = fromCopy<typeof Pipeline>('pipeline');
const { buildBundles, SYNTH_TIMINGS_ENV } = fromCopy<typeof Main>('main.ts');

const { organization, services, plan } = synthTimings.time(SYNTH_PHASES.models, () => {
  const org = loadOrganization({ declaration, lockText: fs.readFileSync(path.join(root, LOCK_FILE), 'utf8') });
  const loaded = loadServices({ servicesDir: path.join(root, 'services'), organization: org });
  return { organization: org, services: loaded, plan: planFromModels(org, loaded) };
});
// Into the copy's .build/bundles (main.ts's BUNDLE_DIR): the full synth built them, so they are reused.
const { bundles } = buildBundles(services);

// cdk.json's context holds the feature flags the CLI would pass the app.
const context = (JSON.parse(fs.readFileSync(path.join(root, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> }).context;
const app = new cdk.App({ outdir, context });
const manifests = new Map(services.map(s => [s.manifest.name, s.manifest]));
let functions = 0;
const stacks = synthTimings.time(SYNTH_PHASES.constructs, () => plan.environments.flatMap(env => env.regions.flatMap(region =>
  env.waves.flatMap(w => w.services).map(service => {
    const stack = new cdk.Stack(app, `${service.name}-${env.name}-${region}`, { env: { account: env.accountId, region } });
    for (const id of Object.keys(manifests.get(service.name)!.functions)) {
      new lambda.Function(stack, id, {
        code: lambda.Code.fromAsset(bundles[service.name][id].dir),
        handler: 'index.handler',
        runtime: SERVICE_RUNTIME,
        architecture: lambda.Architecture.ARM_64,
      });
      functions++;
    }
    return stack;
  }))));
synthTimings.time(SYNTH_PHASES.synthesis, () => app.synth());
process.stderr.write(`floor B: ${organization.name}: ${stacks.length} stacks, ${functions} functions into ${outdir}\n`);
const timings = process.env[SYNTH_TIMINGS_ENV];
if (timings) synthTimings.write(timings);
