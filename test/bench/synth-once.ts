/** Synthesizes the shipped app once in process; timed by bench.ts. */
import * as os from 'node:os';
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { buildPlatform } from '../../main';
import { loadShippedOrganization } from '../fixtures/organization';

const start = process.hrtime.bigint();
const app = new cdk.App({ outdir: path.join(os.tmpdir(), 'bench-synth-once.out') });
buildPlatform(app, loadShippedOrganization());
app.synth();
console.log(`synth in process: ${(Number(process.hrtime.bigint() - start) / 1e9).toFixed(2)} s`);
