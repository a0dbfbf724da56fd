import { createHash } from 'node:crypto';
import * as z from 'zod';

/**
 * A UUID derived from `parts` (RFC 9562 version 8, from SHA-256): the same
 * parts always give the same id. Lets a retried request recreate the ids of
 * its first attempt, so downstream idempotency (ledger, notifications) holds.
 */
export function deterministicUuid(...parts: readonly string[]): string {
  // Length-prefixed, so ('ab', 'c') and ('a', 'bc') differ.
  const hex = createHash('sha256').update(parts.map(p => `${p.length}:${p}`).join('')).digest('hex');
  const variant = (8 + (parseInt(hex[16], 16) % 4)).toString(16);
  const h = `${hex.slice(0, 12)}8${hex.slice(13, 16)}${variant}${hex.slice(17, 32)}`;
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Identifiers of merchants and ledger accounts: 1-64 letters, digits, `_` or `-`, starting with a letter or digit. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** A zod schema for an identifier matching {@link ID_PATTERN}; `what` names it in the error. */
export function idSchema(what: string) {
  return z.string({ error: `${what} must be a string` }).regex(ID_PATTERN, {
    error: `is not a valid ${what}; allowed: 1-64 letters, digits, "_" or "-", starting with a letter or digit`,
  });
}
