/**
 * A stand-in for the monolith on the local stage: it answers every request
 * with what it received, so a test (or a developer with curl) sees what the
 * local edge passed on for a route no service serves: method, path, query
 * string, headers (the merchant's Authorization included) and body.
 *
 * It is no copy of the monolith and serves none of its behaviour. To try a
 * service against the real monolith, start the stage with
 * `npx projen local -- --monolith-url http://localhost:8080` (any http or
 * https URL): the stand-in is not started then.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the stand-in answers to every request (but `GET /health`). */
export interface MonolithEcho {
  readonly served_by: 'monolith';
  readonly method: string;
  /** The path as received, still percent-encoded. */
  readonly path: string;
  /** The query string's parameters; a repeated one as an array of its values. */
  readonly query: Readonly<Record<string, string | readonly string[]>>;
  /** The headers as received, names lowercased. */
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  /** The body as received (UTF-8), empty without one. */
  readonly body: string;
}

/** A running stand-in monolith. */
export interface StandInMonolith {
  /** `http://127.0.0.1:PORT`, without a trailing slash (as the edge declares a monolith's URL). */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** Starts the stand-in on `port` (0: any free port). */
export async function startStandInMonolith(port = 0): Promise<StandInMonolith> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const reply = (body: unknown) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method === 'GET' && url.pathname === '/health') return reply({ served_by: 'monolith', status: 'ok' });
      const query: Record<string, string | string[]> = {};
      for (const [key, value] of url.searchParams) {
        const seen = query[key];
        query[key] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
      }
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, v ?? '']));
      const echo: MonolithEcho = {
        served_by: 'monolith',
        method: req.method ?? 'GET',
        path: (req.url ?? '/').split('?')[0],
        query,
        headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      reply(echo);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    stop: () => new Promise<void>(resolve => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
