import * as path from 'node:path';

/**
 * The governance stacks' custom resource handlers: bundle name -> source
 * file, in the form `bundleEntries` (kit/bundle.ts) takes. The app
 * bundles them once per synth and passes the bundles to the stacks.
 */
export const GOVERNANCE_HANDLER_ENTRIES = {
  /** SecurityAdministrationStack: GuardDuty delegated administrator per region. */
  'guardduty-admin': path.join(__dirname, 'guardduty-admin.ts'),
  /** SecurityServicesStack: GuardDuty organization auto-enable per region. */
  'guardduty-organization': path.join(__dirname, 'guardduty-organization.ts'),
} as const;

/** A governance handler bundle name. */
export type GovernanceHandler = keyof typeof GOVERNANCE_HANDLER_ENTRIES;
