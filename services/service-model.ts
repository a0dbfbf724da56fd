import { z } from 'zod';
import { FLAG_NAME_PATTERN, FlagSchema } from './flag-schema';
import { OnCallSchema } from '../accounts/on-call-model';

/** How CodeDeploy moves traffic to a new Lambda version. */
export const DEPLOYMENT_STRATEGIES = [
  'all-at-once',
  'linear-10-percent-every-1-minute',
  'linear-10-percent-every-2-minutes',
  'linear-10-percent-every-3-minutes',
  'linear-10-percent-every-10-minutes',
  'canary-10-percent-5-minutes',
  'canary-10-percent-10-minutes',
  'canary-10-percent-15-minutes',
  'canary-10-percent-30-minutes',
] as const;
/** A CodeDeploy traffic-shifting strategy. */
export type DeploymentStrategy = (typeof DEPLOYMENT_STRATEGIES)[number];

/** HTTP methods a route may use. */
export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** CloudWatch Logs accepts only these retention periods (days). */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

/** API Gateway stops waiting for an integration after 29 seconds. */
export const API_TIMEOUT_LIMIT_SECONDS = 29;

// eslint-disable-next-line security/detect-non-literal-regexp -- built from a number (the maximum length), not from input
const kebab = (what: string, max: number) => z.string().regex(new RegExp(`^[a-z][a-z0-9-]{0,${max - 1}}$`), {
  error: `is not a valid ${what}; allowed: 1-${max} lowercase letters, digits or hyphens, starting with a letter`,
});

/** An OAuth 2.0 scope of a service: `<service>/<name>`, e.g. `payments/read`. */
export const SCOPE_PATTERN = /^[a-z][a-z0-9-]{0,29}\/[a-z][a-z0-9.:-]{0,49}$/;

const RouteSchema = z.strictObject({
  method: z.enum(HTTP_METHODS),
  // Path parameters in braces, e.g. /payments/{paymentId}.
  // eslint-disable-next-line security/detect-unsafe-regex -- anchored, and "/" delimits segments no segment matches: linear; input is a route path of our own manifests
  path: z.string().regex(/^(\/([a-z0-9-]+|\{[a-zA-Z][a-zA-Z0-9]*\}))+$/, {
    error: 'is not a valid route path; allowed: "/" separated lowercase segments or {parameters}, e.g. /payments/{paymentId}',
  }),
  /**
   * Makes the route public on each environment's edge: merchants call it
   * with an access token holding at least one of these scopes, and the
   * function gets the verified merchant id. The contract (api.yaml) must
   * declare the same scopes. @default - internal: only the service's IAM API
   */
  scopes: z.array(z.string().regex(SCOPE_PATTERN, {
    error: 'is not a scope; allowed: <service>/<name> in lowercase, e.g. payments/read',
  })).min(1).max(10).optional(),
});

const SmokeTestSchema = z.strictObject({
  /** Body of the smoke request (JSON). @default - no body */
  body: z.unknown().optional(),
  /** Values for the route's path parameters. @default - "smoke-test" for each */
  pathParameters: z.record(z.string(), z.string()).optional(),
  /** Status codes that pass. @default - any status below 500 */
  expectStatus: z.array(z.number().int().min(100).max(599)).min(1).optional(),
});

const FunctionSchema = z.strictObject({
  /** TypeScript file, relative to the service folder, exporting `handler`. */
  handler: z.string().regex(/^src\/[a-z0-9][a-z0-9-/]*\.ts$/, {
    error: 'is not a valid handler path; allowed: a .ts file under src/ with a lowercase kebab-case name, e.g. src/create-payment.ts',
  }),
  description: z.string().max(256).optional(),
  /** The HTTP route this function serves (exactly one of route or queue). */
  route: RouteSchema.optional(),
  /** The name of a queue of this service that this function consumes (exactly one of route or queue). */
  queue: z.string().optional(),
  /** @default - the service's memoryMiB */
  memoryMiB: z.number().int().min(128).max(10240).optional(),
  /** @default - the service's timeoutSeconds */
  timeoutSeconds: z.number().int().min(1).max(900).optional(),
  /** Reserved concurrency (also a ceiling). @default - unreserved */
  reservedConcurrency: z.number().int().min(1).max(1000).optional(),
  /** Secrets of this service the function reads. */
  secrets: z.array(z.string()).default([]),
  /** Tables of this service the function uses, and how. */
  tables: z.record(z.string(), z.enum(['read', 'readwrite'])).default({}),
  /** Services (from dependsOn) this function calls: their APIs and queues. */
  calls: z.array(z.string()).default([]),
  /** The request the pre-traffic hook sends to a new version before it gets traffic. */
  smokeTest: SmokeTestSchema.optional(),
});

const TableSchema = z.strictObject({
  partitionKey: z.string().min(1),
  sortKey: z.string().min(1).optional(),
  /** Attribute holding an expiry time (epoch seconds). @default - no TTL */
  timeToLiveAttribute: z.string().min(1).optional(),
});

const QueueSchema = z.strictObject({
  description: z.string().max(256).optional(),
  /** Deliveries before a message moves to the dead-letter queue. */
  maxReceiveCount: z.number().int().min(1).max(1000).default(5),
  /** Messages handed to one invocation. */
  batchSize: z.number().int().min(1).max(10).default(10),
  /**
   * The contract of the message bodies this queue accepts: a module of the
   * service and its export, a zod schema (what the consumer parses with),
   * e.g. `src/payment-event.ts#PaymentEventSchema`. Senders' contracts.ts
   * are checked against it. Required for a queue other services send to.
   */
  messageSchema: z.string().regex(/^src\/[a-z0-9][a-z0-9-/]*\.ts#[A-Za-z_$][\w$]*$/, {
    error: 'is not a message schema reference; allowed: <a .ts file under src/>#<export>, e.g. src/payment-event.ts#PaymentEventSchema',
  }).optional(),
});

const SecretSchema = z.strictObject({
  description: z.string().min(1).max(256),
});

const AlarmsSchema = z.strictObject({
  /** Lambda errors per minute that fail a deployment. */
  errors: z.number().int().min(1).default(1),
  /** p99 duration (ms) over a minute that fails a deployment. */
  p99LatencyMs: z.number().int().min(1).max(900_000).default(1000),
  /** Throttled invocations per minute that fail a deployment. */
  throttles: z.number().int().min(1).default(1),
});

const EnvVarValueSchema = z.union([z.string(), z.record(z.string(), z.string())], {
  error: 'is not a string or a map from environment name to string',
});

/** Schema of `services/<name>/service.ts`. */
export const ServiceManifestSchema = z.strictObject({
  /** Must equal the folder name. */
  name: kebab('service name', 30),
  description: z.string().min(1).max(256),
  /** Owning team, applied as the `owner` tag. */
  owner: kebab('owner', 40),
  /** Cost center, applied as the `cost-center` tag. */
  costCenter: z.string().regex(/^[A-Za-z0-9-]{1,32}$/, { error: 'is not a valid cost center; allowed: 1-32 letters, digits or hyphens' }),
  /** The promotion wave (declared in accounts/organization.ts, pipeline.waves). */
  wave: z.string(),
  /** Defaults for every function of the service. */
  memoryMiB: z.number().int().min(128).max(10240).default(256),
  timeoutSeconds: z.number().int().min(1).max(900).default(10),
  architecture: z.enum(['arm64', 'x86_64']).default('arm64'),
  /** Lambda functions by id (camelCase; the id names AWS resources: renaming replaces them). */
  functions: z.record(
    z.string().regex(/^[a-z][a-zA-Z0-9]{0,39}$/, { error: 'is not a valid function id; allowed: camelCase, 1-40 letters or digits' }),
    FunctionSchema,
  ).refine(f => Object.keys(f).length > 0, { error: 'must declare at least one function' }),
  tables: z.record(kebab('table name', 40), TableSchema).default({}),
  queues: z.record(kebab('queue name', 40), QueueSchema).default({}),
  secrets: z.record(kebab('secret name', 40), SecretSchema).default({}),
  /** Environment variables; a map gives one value per environment (every environment must have one). */
  environment: z.record(
    z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/, { error: 'is not a valid variable name; allowed: UPPER_SNAKE_CASE' }),
    EnvVarValueSchema,
  ).default({}),
  alarms: AlarmsSchema.default({ errors: 1, p99LatencyMs: 1000, throttles: 1 }),
  /**
   * Who is told when the service's alarms fire: email, an https webhook
   * (PagerDuty, Opsgenie...) or a Slack or Microsoft Teams channel, each for
   * every environment or only those in its `environments`. Every environment
   * the service deploys to needs at least one.
   */
  onCall: OnCallSchema,
  /**
   * Feature flags by name (camelCase: the accessor's name), delivered by AWS
   * AppConfig without redeploying code; handlers read them through the
   * generated accessors (`src/flags.generated.ts`, `npx projen flags`).
   */
  flags: z.record(z.string().regex(FLAG_NAME_PATTERN, { error: 'is not a valid flag name; allowed: camelCase, 1-40 letters or digits' }), FlagSchema)
    .default({}),
  /** Traffic shifting per environment name. @default - see defaultDeploymentStrategy */
  deployment: z.record(z.string(), z.enum(DEPLOYMENT_STRATEGIES)).default({}),
  logRetentionDays: z.union(LOG_RETENTION_DAYS.map(d => z.literal(d)), {
    error: `is not a CloudWatch Logs retention period; allowed: ${LOG_RETENTION_DAYS.join(', ')}`,
  }).default(365),
  /** Services that must be deployed before this one (their APIs or queues are called). */
  dependsOn: z.array(z.string()).default([]),
  /**
   * Environments the service deploys to (e.g. only `dev` while it is new).
   * @default - every environment
   */
  environments: z.array(z.string()).min(1).optional(),
});

/** A service manifest as written (defaults not yet applied). */
export type ServiceManifestInput = z.input<typeof ServiceManifestSchema>;
/** A validated service manifest. */
export type ServiceManifest = z.output<typeof ServiceManifestSchema>;
/** A validated function of a service. */
export type ServiceFunctionManifest = z.output<typeof FunctionSchema>;

/**
 * Declares a service. Typing only: the framework validates the manifest when
 * it discovers the folder, so errors can name it.
 */
export function defineService(manifest: ServiceManifestInput): ServiceManifestInput {
  return manifest;
}

/** A discovered, validated service. */
export interface Service {
  readonly manifest: ServiceManifest;
  /**
   * JSON Schema (draft 4) of the request body of each route that takes one,
   * by function id, from the service's `api.yaml`.
   */
  readonly requestSchemas: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Absolute path of the service folder. */
  readonly dir: string;
  /** Path relative to the repository root, for messages, e.g. `services/payments`. */
  readonly folder: string;
  /** What synth prints but does not refuse (e.g. a declared flag nothing reads). @default - none */
  readonly warnings?: readonly string[];
}

/** Whether a service with `manifest` deploys to the environment named `environment` (every one, unless it lists some). */
export function deploysTo(manifest: Pick<ServiceManifest, 'environments'>, environment: string): boolean {
  return !manifest.environments || manifest.environments.includes(environment);
}

/**
 * The traffic-shifting default: all at once in the first environment,
 * canary 10% for 5 minutes in the last (production), linear 10% a minute
 * in between.
 */
export function defaultDeploymentStrategy(envIndex: number, envCount: number): DeploymentStrategy {
  if (envIndex === 0 && envCount > 1) return 'all-at-once';
  if (envIndex === envCount - 1) return 'canary-10-percent-5-minutes';
  return 'linear-10-percent-every-1-minute';
}

/** Upper snake case of a kebab or camel name: `payment-events` -> `PAYMENT_EVENTS`. */
export function envName(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/-/g, '_').toUpperCase();
}

/**
 * Names of the environment variables the framework gives a function. Handler
 * code reads its resources through these names only.
 */
export const runtimeVariables = {
  /** Name of a table of the service: `TABLE_<NAME>_NAME`. */
  table: (table: string) => `TABLE_${envName(table)}_NAME`,
  /** ARN of a secret of the service: `SECRET_<NAME>_ARN`. */
  secret: (secret: string) => `SECRET_${envName(secret)}_ARN`,
  /** Base URL (with stage) of a called service's API: `<SERVICE>_API_URL`. */
  apiUrl: (service: string) => `${envName(service)}_API_URL`,
  /** URL of a called service's queue: `<SERVICE>_QUEUE_<QUEUE>_URL`. */
  queueUrl: (service: string, queue: string) => `${envName(service)}_QUEUE_${envName(queue)}_URL`,
  /** The environment name (dev, staging, prod). */
  environment: 'ENVIRONMENT',
} as const;

/**
 * SSM parameters through which a service publishes, per environment, what
 * its dependents need. Read at deploy time, so services deploy on their own.
 */
export const serviceParameters = {
  apiUrl: (org: string, env: string, service: string) => `/${org}/${env}/services/${service}/api-url`,
  apiId: (org: string, env: string, service: string) => `/${org}/${env}/services/${service}/api-id`,
  queueUrl: (org: string, env: string, service: string, queue: string) => `/${org}/${env}/services/${service}/queues/${queue}/url`,
  queueArn: (org: string, env: string, service: string, queue: string) => `/${org}/${env}/services/${service}/queues/${queue}/arn`,
  keyArn: (org: string, env: string, service: string) => `/${org}/${env}/services/${service}/kms-key-arn`,
} as const;

/**
 * SSM parameters through which the edge of an environment
 * (services/edge-stack.ts) publishes what services attach to. Under
 * `services/_edge` (no service name has `_`): the pipelines' dependency
 * check reads `/<org>/<env>/services/*` and finds the edge there too.
 */
export const edgeParameters = {
  apiId: (org: string, env: string) => `/${org}/${env}/services/_edge/api-id`,
  userPoolId: (org: string, env: string) => `/${org}/${env}/services/_edge/user-pool-id`,
  authorizerId: (org: string, env: string) => `/${org}/${env}/services/_edge/authorizer-id`,
  /** Where each public route's scopes are (services/edge/route-scopes.ts): written by its service's stack, read by the authorizer. */
  routeScopesPrefix: (org: string, env: string) => `/${org}/${env}/services/_edge/route-scopes/`,
} as const;

/** The name no service may take: the edge's stacks are named `edge-<env>-<region>`, like a service's. */
export const EDGE_SERVICE_NAME = 'edge';

/** The name the pipelines' dependency check gives the edge among a service's dependencies. */
export const EDGE_DEPENDENCY = '_edge';

/**
 * The SSM parameters `manifest`'s stack resolves at deploy time from each of
 * its dependencies in environment `env`: those of the APIs and queues its
 * functions call (services/service-stack.ts reads them). A dependency it only orders itself
 * after is represented by the first parameter it publishes, so that every
 * dependency has something to prove it is live; one that publishes nothing
 * (no routes, no queues) has an empty list. With `edge` (the environment has
 * one), a service with public routes also needs the edge's API id, under
 * {@link EDGE_DEPENDENCY}.
 */
export function dependencyParameters(org: string, env: string, manifest: ServiceManifest,
  dependencies: readonly ServiceManifest[], edge = false): Record<string, string[]> {
  const called = new Set(Object.values(manifest.functions).flatMap(fn => fn.calls));
  const parameters: Record<string, string[]> = Object.fromEntries(dependencies.map(dep => {
    const hasApi = Object.values(dep.functions).some(fn => fn.route);
    const queues = Object.keys(dep.queues);
    const published = [
      ...(hasApi ? [serviceParameters.apiUrl(org, env, dep.name), serviceParameters.apiId(org, env, dep.name)] : []),
      ...queues.flatMap(q => [serviceParameters.queueUrl(org, env, dep.name, q), serviceParameters.queueArn(org, env, dep.name, q)]),
      ...(queues.length > 0 ? [serviceParameters.keyArn(org, env, dep.name)] : []),
    ];
    return [dep.name, called.has(dep.name) ? published : published.slice(0, 1)];
  }));
  // Public routes attach to the environment's edge: it must be live first.
  if (edge && Object.values(manifest.functions).some(fn => fn.route?.scopes)) parameters[EDGE_DEPENDENCY] = [edgeParameters.apiId(org, env)];
  return parameters;
}
