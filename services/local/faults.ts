/**
 * Faults the local stage injects in front of a route, for the journeys that
 * prove how services behave when another one is slow or refuses: a delay
 * before the function runs, or an answer in its place. Set through the
 * stage's control endpoint (`LOCAL_STAGE_CONTROL_URL`), which only the local
 * stage has: a deployed stage cannot be told to fail.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as z from 'zod';
import { FLAGS_PATH, type LocalFlags } from './flags';

/** What happens to the next `times` requests of a route. */
export const FaultSchema = z.strictObject({
  service: z.string().min(1),
  method: z.string().regex(/^[A-Z]+$/),
  /** The route's path as declared, e.g. /transactions or /payments/{paymentId}. */
  path: z.string().startsWith('/'),
  /** Wait this long before the function runs (the caller may give up first). */
  delayMs: z.number().int().min(0).max(60_000).optional(),
  /** Answer this instead of running the function. */
  respond: z.strictObject({ status: z.number().int().min(200).max(599), body: z.unknown() }).optional(),
  /** How many requests it applies to. @default - every one, until cleared */
  times: z.number().int().min(1).optional(),
}).refine(f => f.delayMs !== undefined || f.respond !== undefined, { error: 'a fault needs delayMs or respond' });

export type Fault = z.infer<typeof FaultSchema>;

/** The faults set, by route. */
export class Faults {
  private readonly byRoute = new Map<string, Fault & { remaining?: number }>();

  public set(fault: Fault): void {
    this.byRoute.set(key(fault.service, fault.method, fault.path), { ...fault, remaining: fault.times });
  }

  public clear(): void {
    this.byRoute.clear();
  }

  /** Applies the fault of a route to one request: waits its delay; returns the answer to give instead, if any. */
  public async apply(service: string, method: string, path: string): Promise<{ status: number; body: string } | undefined> {
    const k = key(service, method, path);
    const fault = this.byRoute.get(k);
    if (!fault) return undefined;
    if (fault.remaining !== undefined && --fault.remaining <= 0) this.byRoute.delete(k);
    if (fault.delayMs) await new Promise(resolve => setTimeout(resolve, fault.delayMs));
    return fault.respond ? { status: fault.respond.status, body: JSON.stringify(fault.respond.body ?? {}) } : undefined;
  }
}

const key = (service: string, method: string, path: string) => `${service} ${method} ${path}`;

/**
 * The control endpoint: `POST /faults` with a {@link Fault} sets it (400
 * with the problems when it is not one, or names no route of the stage),
 * `DELETE /faults` clears them all; with `flags`, the feature flags of the
 * stage's services under `/_local/flags` (see {@link LocalFlags.handle}).
 */
export async function startControl(faults: Faults, routes: ReadonlySet<string>, flags?: LocalFlags): Promise<{ url: string; stop(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const pathname = new URL(req.url ?? '/', 'http://control').pathname;
      if (flags && (pathname === FLAGS_PATH || pathname.startsWith(`${FLAGS_PATH}/`))) {
        const answer = flags.handle(req.method ?? 'GET', pathname, Buffer.concat(chunks).toString('utf8'));
        return reply(answer.status, answer.body);
      }
      if (req.url !== '/faults') {
        const allowed = ['POST /faults', 'DELETE /faults', ...(flags ? [`GET ${FLAGS_PATH}/<service>`, `PUT ${FLAGS_PATH}/<service>/<flag>`] : [])];
        return reply(404, { message: `not found; allowed: ${allowed.join(', ')}` });
      }
      if (req.method === 'DELETE') {
        faults.clear();
        return reply(204, {});
      }
      if (req.method !== 'POST') return reply(405, { message: 'allowed: POST /faults, DELETE /faults' });
      let input: unknown;
      try {
        input = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return reply(400, { message: 'the body is not JSON' });
      }
      const parsed = FaultSchema.safeParse(input);
      if (!parsed.success) return reply(400, { message: parsed.error.issues.map(i => `${i.path.join('.') || 'fault'}: ${i.message}`).join('; ') });
      const route = key(parsed.data.service, parsed.data.method, parsed.data.path);
      if (!routes.has(route)) return reply(400, { message: `no route ${route} on this stage; allowed: ${[...routes].join(', ')}` });
      faults.set(parsed.data);
      return reply(201, parsed.data);
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () => new Promise<void>(resolve => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
