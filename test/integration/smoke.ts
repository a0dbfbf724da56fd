/**
 * Post-deploy integration test (pipeline, first environment): calls every
 * route of SERVICE at API_URL with the request its manifest's smokeTest
 * describes, signed with SigV4 like any caller inside the organization, and
 * checks the status. Run: SERVICE=payments API_URL=https://... npx tsx test/integration/smoke.ts
 */
import * as path from 'node:path';
import { ServiceManifestSchema, smokeTestFor } from '../../services';
import { call, env, runChecks, urlOf } from '../e2e/http';

const service = env('SERVICE');
const apiUrl = env('API_URL');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const manifest = ServiceManifestSchema.parse((require(path.join(__dirname, '..', '..', 'services', service, 'service.ts')) as { default: unknown }).default);
const stage = new URL(apiUrl).pathname.split('/').filter(Boolean)[0] ?? '';

void runChecks(Object.entries(manifest.functions).filter(([, fn]) => fn.route).map(([id, fn]) => {
  const smoke = smokeTestFor(fn, stage);
  const event = smoke.event as { httpMethod: string; path: string; body: string | null };
  return [`${service} ${id}: ${event.httpMethod} ${event.path}`, async () => {
    const { status, body } = await call(urlOf(apiUrl, event.path), {
      method: event.httpMethod,
      json: event.body === null ? undefined : JSON.parse(event.body),
    });
    const ok = smoke.expectStatus ? smoke.expectStatus.includes(status) : status < 500;
    if (!ok) throw new Error(`status ${status} (expected ${smoke.expectStatus?.join(' or ') ?? 'below 500'}): ${JSON.stringify(body)}`);
  }] as const;
}));
