import * as path from 'node:path';
import { bundleGroups, FunctionBundle } from '../kit';
import { Service } from './service-model';

/** Bundles of every function of every service: `bundles[service][functionId]`. */
export type ServiceBundles = Readonly<Record<string, Readonly<Record<string, FunctionBundle>>>>;

/**
 * Bundles every function of every service once, into `outdir/<service>/<functionId>/`,
 * with one esbuild run for the services whose sources changed since their
 * last bundle. Every environment's stack deploys these same folders: build
 * once, deploy many.
 */
export function bundleServices(services: readonly Service[], outdir: string): ServiceBundles {
  return bundleGroups(Object.fromEntries(services.map(service => [service.manifest.name, {
    entries: Object.fromEntries(Object.entries(service.manifest.functions).map(([id, fn]) => [id, path.join(service.dir, fn.handler)])),
    outdir: path.join(outdir, service.manifest.name),
  }])));
}
