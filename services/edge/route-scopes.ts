/**
 * Where the edge's authorizer finds the scopes of each public route: one SSM
 * parameter per route, written by the stack of the service that owns the
 * route (so the scopes deploy with the route, and CloudFormation refuses a
 * second owner), read by the environment's one authorizer. The name is a
 * hash of the route key (SSM names allow no braces or spaces); the value
 * names the route again, so a lookup never trusts the hash alone.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';

/** The value of a route's parameter: `{ "route": "GET /payments/{paymentId}", "scopes": ["payments/read"] }`. */
export const RouteScopesValueSchema = z.object({
  route: z.string().min(1),
  scopes: z.array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/)).min(1),
});

/** A route's parameter value, as parsed. */
export type RouteScopesValue = z.output<typeof RouteScopesValueSchema>;

/** The SSM parameter of `routeKey` under `prefix` (which ends with `/`). */
export function routeScopesParameterName(prefix: string, routeKey: string): string {
  return `${prefix}${createHash('sha256').update(routeKey).digest('hex').slice(0, 40)}`;
}
