/** Loads, bundles and synthesizes the shipped app once in process; timed by bench.ts. */
import * as os from 'node:os';
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { buildBundles, buildPlatform } from '../../main';
import { loadServices } from '../../services';
import { loadShippedOrganization, REPO_ROOT } from '../fixtures/organization';

const organization = loadShippedOrganization();
const services = loadServices({ servicesDir: path.join(REPO_ROOT, 'services'), organization });
const app = new cdk.App({ outdir: path.join(os.tmpdir(), 'bench-synth-once.out') });
buildPlatform(app, { organization, services, ...buildBundles(services) });
app.synth();
