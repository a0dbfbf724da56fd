/**
 * Names that the platform (services/service-flags.ts, the local stage) sets
 * and the runtime (services/runtime/flags.ts) reads: one place, with no
 * dependencies, so both sides import it without pulling in the other's.
 */

/** The feature-flags configuration profile of each service's AppConfig application. */
export const FEATURE_FLAGS_PROFILE = 'feature-flags';

/** The environment variables that tell a function where its flags are. */
export const flagVariables = {
  /** The AppConfig application (the service's name). */
  application: 'APPCONFIG_APPLICATION',
  /** The AppConfig environment (the deployment environment's name). */
  environment: 'APPCONFIG_ENVIRONMENT',
  /** The local stage's flags file, instead of AppConfig. */
  file: 'FEATURE_FLAGS_FILE',
} as const;
