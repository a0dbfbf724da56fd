import { z } from 'zod';
import { ConfigError, parseWith } from './config-error';

/** AWS account ids are exactly 12 digits. */
export const AccountIdSchema = z.string().regex(/^\d{12}$/, { error: 'is not a 12-digit account id' });

/** Organization ids: `o-` and 10 to 32 lowercase letters or digits. */
export const OrganizationIdSchema = z.string().regex(/^o-[a-z0-9]{10,32}$/, {
  error: 'is not an organization id; allowed: "o-" followed by 10-32 lowercase letters or digits',
});

/** Root ids: `r-` and 4 to 32 lowercase letters or digits. */
export const RootIdSchema = z.string().regex(/^r-[0-9a-z]{4,32}$/, {
  error: 'is not a root id; allowed: "r-" followed by 4-32 lowercase letters or digits',
});

/** OU ids: `ou-`, the root id's suffix, `-`, and 8 to 32 lowercase letters or digits. */
export const OrganizationalUnitIdSchema = z.string().regex(/^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/, {
  error: 'is not an OU id; allowed: "ou-<root suffix>-" followed by 8-32 lowercase letters or digits',
});

/**
 * Schema of `accounts/accounts.lock.json`: the ids the bootstrap tool
 * resolved, so synth needs no AWS call.
 */
export const LockFileSchema = z.strictObject({
  /** Free text for humans (JSON has no comments). */
  '//': z.string().optional(),
  'organizationId': OrganizationIdSchema,
  'rootId': RootIdSchema,
  'managementAccountId': AccountIdSchema,
  /** OU path (e.g. `Workloads/Prod`) to OU id. */
  'organizationalUnits': z.record(z.string(), OrganizationalUnitIdSchema),
  /** Account name (as declared) to account id. */
  'accounts': z.record(z.string(), AccountIdSchema),
});

/** The validated lock file. */
export type LockFile = z.output<typeof LockFileSchema>;

/** Parses and validates the text of a lock file; `file` names it in errors. */
export function parseLockFile(text: string, file: string): LockFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ConfigError([`${file}: is not valid JSON (${(e as Error).message})`]);
  }
  return parseWith(LockFileSchema, json, file);
}

/** Renders a lock file as the bootstrap tool writes it: stable key order, trailing newline. */
export function renderLockFile(lock: LockFile): string {
  const sorted = (record: Record<string, string>) =>
    Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
  return `${JSON.stringify({
    ...(lock['//'] === undefined ? {} : { '//': lock['//'] }),
    organizationId: lock.organizationId,
    rootId: lock.rootId,
    managementAccountId: lock.managementAccountId,
    organizationalUnits: sorted(lock.organizationalUnits),
    accounts: sorted(lock.accounts),
  }, undefined, 2)}\n`;
}
