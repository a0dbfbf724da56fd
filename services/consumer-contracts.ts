/**
 * Consumer-driven contracts. A consumer declares, in its own folder
 * (`services/<consumer>/contracts.ts`), the requests it sends to each
 * provider's API with the response fields it relies on, and the messages it
 * sends to each provider's queues. Each expectation is checked against what
 * the provider publishes: its `api.yaml` (with ajv, the request models API
 * Gateway validates with) and its queues' message schemas (zod, what the
 * consuming function parses with). A provider that renames or removes
 * something a consumer relies on fails the check, naming consumer, provider,
 * operation and field; so does a consumer that sends what the provider does
 * not accept.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv-draft-04';
import * as z from 'zod';
import { ConfigError, formatPath, parseWith, predicateMessages, valueAt } from '../accounts';
import { JsonSchema, OperationSchemas, readOperationSchemas } from './api-contract';
import { HTTP_METHODS, Service } from './service-model';

/** The file in a consumer's folder that declares what it sends to other services. */
export const CONSUMER_CONTRACTS_FILE = 'contracts.ts';

/** JSON types a consumer may rely on a response field having. */
export const FIELD_TYPES = ['string', 'number', 'integer', 'boolean', 'object', 'array'] as const;

// `message`, `payment.merchantId`, `entries[].accountId`.
// eslint-disable-next-line security/detect-unsafe-regex -- "." delimits names that never match it: linear; the input is a field path written in a consumer's contracts.ts
const FIELD_PATH = /^[A-Za-z_$][\w$-]*(\[\])?(\.[A-Za-z_$][\w$-]*(\[\])?)*$/;

const RequestExpectationSchema = z.strictObject({
  /** The service whose API is called (a folder of services/). */
  provider: z.string().min(1),
  /** The route as the provider's manifest declares it, e.g. `POST /transactions`. */
  // eslint-disable-next-line security/detect-non-literal-regexp -- built from the constant list HTTP_METHODS, not from input
  operation: z.string().regex(new RegExp(`^(${HTTP_METHODS.join('|')}) /\\S*$`), {
    error: `is not an operation; allowed: "<METHOD> <path>" as the provider's manifest declares the route (METHOD one of ${HTTP_METHODS.join(', ')}), e.g. "POST /transactions"`,
  }),
  /** Why the consumer calls it (shown in test names and reports). */
  description: z.string().max(256).optional(),
  /** A request as the consumer sends it: build it with the consumer's own code, so the check follows that code. */
  request: z.strictObject({
    /** A value for each path parameter of the route. */
    pathParameters: z.record(z.string(), z.string()).default({}),
    /** The JSON body. @default - no body */
    body: z.unknown().optional(),
  }).default({ pathParameters: {} }),
  /**
   * Each status the consumer handles (e.g. `'201'`), with the fields of that
   * response body it reads (e.g. `entries[].accountId`) and the JSON type it
   * expects; `{}` when it reads no field.
   */
  responses: z.record(z.string(), z.record(z.string(), z.enum(FIELD_TYPES))).superRefine((responses, ctx) => {
    if (Object.keys(responses).length === 0) {
      ctx.addIssue({ code: 'custom', message: 'must name at least one status the consumer handles', params: { showValue: false } });
    }
    for (const [status, fields] of Object.entries(responses)) {
      if (!/^[1-5]\d\d$/.test(status)) {
        ctx.addIssue({ code: 'custom', path: [status], message: 'is not an HTTP status; allowed: a three-digit code, e.g. "201"', params: { showValue: false } });
      }
      for (const field of Object.keys(fields).filter(f => !FIELD_PATH.test(f))) {
        ctx.addIssue({
          code: 'custom',
          path: [status, field],
          params: { showValue: false },
          message: 'is not a field path; allowed: dotted names with [] after an array, e.g. entries[].accountId',
        });
      }
    }
  }),
});

const MessageExpectationSchema = z.strictObject({
  /** The service that owns the queue (a folder of services/). */
  provider: z.string().min(1),
  /** The provider's queue, as its manifest names it. */
  queue: z.string().min(1),
  description: z.string().max(256).optional(),
  /** A message body as the consumer sends it (before JSON.stringify): build it with the consumer's own code. */
  message: z.unknown().refine(m => m !== undefined, { error: 'is required: a message body as the consumer sends it' }),
});

/** Schema of `services/<consumer>/contracts.ts`. */
export const ConsumerContractsSchema = z.strictObject({
  /** Requests to other services' APIs. */
  requests: z.array(RequestExpectationSchema).default([]),
  /** Messages to other services' queues. */
  messages: z.array(MessageExpectationSchema).default([]),
});

/** A consumer's contracts as written. */
export type ConsumerContractsInput = z.input<typeof ConsumerContractsSchema>;
/** A consumer's validated contracts. */
export type ConsumerContracts = z.output<typeof ConsumerContractsSchema>;

/** Declares what a service sends to others. Typing only: the contract check validates the file, naming it. */
export function defineContracts(contracts: ConsumerContractsInput): ConsumerContractsInput {
  return contracts;
}

/** The contracts of one consumer, as loaded. */
export interface ConsumerContractsFile {
  readonly consumer: Service;
  /** As shown in messages, e.g. `services/payments/contracts.ts`. */
  readonly file: string;
  /** `undefined` when the service has no contracts.ts. */
  readonly contracts: ConsumerContracts | undefined;
}

/** Loads a module of a service (a contracts.ts or a message schema module); the default is require(). */
export type ModuleLoader = (file: string) => Record<string, unknown>;

// eslint-disable-next-line @typescript-eslint/no-require-imports, security/detect-non-literal-require -- loads a service's contracts.ts or schema module from this repository: code the repository owns
const requireModule: ModuleLoader = file => require(file) as Record<string, unknown>;

/** Loads and validates the contracts.ts of each of `consumers`; throws one ConfigError listing every bad file. */
export function loadConsumerContracts(consumers: readonly Service[], load: ModuleLoader = requireModule): ConsumerContractsFile[] {
  const problems: string[] = [];
  const files = consumers.map(consumer => {
    const file = `${consumer.folder}/${CONSUMER_CONTRACTS_FILE}`;
    const absolute = path.join(consumer.dir, CONSUMER_CONTRACTS_FILE);
    if (!fs.existsSync(absolute)) return { consumer, file, contracts: undefined };
    try {
      return { consumer, file, contracts: parseWith(ConsumerContractsSchema, load(absolute).default, file) };
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      problems.push(...e.problems);
      return { consumer, file, contracts: undefined };
    }
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return files;
}

/** The outcome of checking one expectation (or the coverage of one consumer). */
export interface ContractCheck {
  readonly consumer: string;
  readonly provider: string;
  /** `POST /transactions`, `queue payment-events`, or `calls` for the coverage check. */
  readonly operation: string;
  /** Empty when the expectation holds. */
  readonly problems: readonly string[];
}

/** Options of {@link checkConsumerContracts}. */
export interface CheckContractsOptions {
  /** Every service (providers are looked up here). */
  readonly services: readonly Service[];
  /** Loads a provider's message schema module. @default require() */
  readonly loadModule?: ModuleLoader;
  /** Reads a provider's api.yaml. @default - from its folder */
  readonly readContract?: (provider: Service) => string | undefined;
}

/**
 * Checks every expectation of `files` against its provider, and that each
 * consumer declares something for every service its functions call.
 * Returns one check per expectation, plus one per consumer for coverage.
 */
export function checkConsumerContracts(files: readonly ConsumerContractsFile[], options: CheckContractsOptions): ContractCheck[] {
  const providers = new ProviderContracts(options);
  return files.flatMap(({ consumer, file, contracts }) => {
    const name = consumer.manifest.name;
    const requests = (contracts?.requests ?? []).map((expectation, i): ContractCheck => ({
      consumer: name,
      provider: expectation.provider,
      operation: expectation.operation,
      problems: checkRequest(expectation, providers, { consumer, at: `${file}: requests[${i}] ${name} -> ${expectation.provider} ${expectation.operation}` }),
    }));
    const messages = (contracts?.messages ?? []).map((expectation, i): ContractCheck => ({
      consumer: name,
      provider: expectation.provider,
      operation: `queue ${expectation.queue}`,
      problems: checkMessage(expectation, providers, { consumer, at: `${file}: messages[${i}] ${name} -> ${expectation.provider} queue ${expectation.queue}` }),
    }));
    return [...requests, ...messages, ...coverage(consumer, file, contracts)];
  });
}

interface Where {
  readonly consumer: Service;
  /** The message prefix: file, expectation, consumer -> provider operation. */
  readonly at: string;
}

/** What providers publish, read once each. */
class ProviderContracts {
  private readonly byName: ReadonlyMap<string, Service>;
  private readonly operations = new Map<string, Record<string, OperationSchemas>>();
  private readonly messageSchemas = new Map<string, { zod: z.ZodType; json: JsonSchema } | string>();
  private readonly loadModule: ModuleLoader;
  private readonly readContract: (provider: Service) => string | undefined;
  private readonly ajv = new Ajv({ allErrors: true, strict: false });
  private readonly validators = new Map<JsonSchema, ReturnType<Ajv['compile']>>();

  public constructor(options: CheckContractsOptions) {
    this.byName = new Map(options.services.map(s => [s.manifest.name, s]));
    this.loadModule = options.loadModule ?? requireModule;
    this.readContract = options.readContract ?? (provider => {
      const file = path.join(provider.dir, 'api.yaml');
      return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
    });
  }

  public service(name: string): Service | undefined {
    return this.byName.get(name);
  }

  public operationsOf(provider: Service): Record<string, OperationSchemas> {
    let operations = this.operations.get(provider.manifest.name);
    if (!operations) {
      const text = this.readContract(provider);
      operations = text === undefined ? {} : readOperationSchemas(text, provider.manifest);
      this.operations.set(provider.manifest.name, operations);
    }
    return operations;
  }

  /** The message schema of a queue, or why there is none. */
  public messageSchemaOf(provider: Service, queue: string): { zod: z.ZodType; json: JsonSchema } | string {
    const key = `${provider.manifest.name} ${queue}`;
    let schema = this.messageSchemas.get(key);
    if (schema === undefined) {
      schema = this.loadMessageSchema(provider, queue);
      this.messageSchemas.set(key, schema);
    }
    return schema;
  }

  /** Errors of `data` against `schema` (ajv, draft 4 as API Gateway), one string per error naming the field. */
  public validate(schema: JsonSchema, data: unknown): string[] {
    let validate = this.validators.get(schema);
    if (!validate) {
      validate = this.ajv.compile(schema);
      this.validators.set(schema, validate);
    }
    if (validate(data)) return [];
    return (validate.errors ?? []).map(e => {
      const field = e.instancePath.split('/').slice(1).map(s => (/^\d+$/.test(s) ? `[${s}]` : `.${s}`)).join('').replace(/^\./, '');
      return `${field || '(the body)'} ${e.message ?? 'is invalid'}${e.keyword === 'additionalProperties' ? ` (${String((e.params as { additionalProperty?: unknown }).additionalProperty)})` : ''}`;
    });
  }

  private loadMessageSchema(provider: Service, queue: string): { zod: z.ZodType; json: JsonSchema } | string {
    const manifestFile = `${provider.folder}/service.ts`;
    const reference = provider.manifest.queues[queue]?.messageSchema;
    if (reference === undefined) {
      return `${provider.manifest.name} declares no message schema for queue ${queue} (queues.${queue}.messageSchema in ${manifestFile}); `
        + 'a queue other services send to must publish the schema its consumer parses with';
    }
    const [module, exportName] = reference.split('#');
    const schema = this.loadModule(path.join(provider.dir, module))[exportName];
    if (!(schema instanceof z.ZodType)) {
      return `${manifestFile}: queues.${queue}.messageSchema "${reference}" is not a zod schema (${module} has no such export, or it is something else)`;
    }
    return { zod: schema, json: z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema };
  }
}

function checkRequest(expectation: z.output<typeof RequestExpectationSchema>, providers: ProviderContracts, where: Where): string[] {
  const provider = providers.service(expectation.provider);
  if (!provider) return [`${where.at}: ${expectation.provider} is not a service (no services/${expectation.provider}/service.ts)`];
  const providerName = provider.manifest.name;
  const contractFile = `${provider.folder}/api.yaml`;
  const [method, routePath] = expectation.operation.split(' ');
  const entry = Object.entries(provider.manifest.functions).find(([, fn]) => fn.route?.method === method && fn.route.path === routePath);
  if (!entry) {
    const offered = Object.values(provider.manifest.functions).flatMap(fn => (fn.route ? [`${fn.route.method} ${fn.route.path}`] : [])).sort();
    return [`${where.at}: ${providerName} has no such operation; allowed: ${offered.join(', ') || `(none: ${providerName} has no routes)`}`];
  }
  const [functionId] = entry;
  const operation = providers.operationsOf(provider)[functionId] ?? { pathParameters: {}, responses: {} };
  const problems: string[] = [];
  const at = (what: string) => problems.push(`${where.at}: ${what}`);

  // The path parameters: every one given, each valid for the provider.
  const names = [...routePath.matchAll(/\{([^}]+)\}/g)].map(m => m[1]);
  for (const name of names) {
    const value = expectation.request.pathParameters[name];
    if (value === undefined) {
      at(`request path parameter ${name} is missing; ${routePath} needs a value for each of: ${names.join(', ')}`);
    } else if (operation.pathParameters[name]) {
      providers.validate(operation.pathParameters[name], value).forEach(error =>
        at(`request path parameter ${name} "${value}" does not match ${of(providerName)} contract (${contractFile}): ${error.replace(/^\(the body\) /, '')}`));
    }
  }
  for (const name of Object.keys(expectation.request.pathParameters).filter(n => !names.includes(n))) {
    at(`request path parameter ${name} is not a parameter of ${routePath}; allowed: ${names.join(', ') || '(none)'}`);
  }

  // The body: valid against the request model, and every field sent is one the provider declares.
  const bodySchema = provider.requestSchemas[functionId];
  const body = expectation.request.body;
  if (bodySchema && body === undefined) {
    at(`the request has no body, but ${of(providerName)} contract (${contractFile}) takes one`);
  } else if (!bodySchema && body !== undefined) {
    at(`the request has a body, but ${of(providerName)} contract (${contractFile}) declares none for this operation: ${providerName} would ignore it`);
  } else if (bodySchema) {
    const errors = providers.validate(bodySchema, body);
    errors.forEach(error => at(`request field ${error}, in ${of(providerName)} contract (${contractFile})`));
    if (errors.length === 0) {
      for (const field of fieldsOf(body).filter(f => !('schema' in fieldAt(bodySchema, f)))) {
        at(`request field ${field} is not in ${of(providerName)} contract (${contractFile}); ${where.consumer.manifest.name} sends it and ${providerName} would ignore it`);
      }
    }
  }

  // The responses: each status handled is declared, and each field relied on is always there, with its type.
  for (const [status, fields] of Object.entries(expectation.responses)) {
    const declared = status in operation.responses ? operation.responses[status] : operation.responses.default;
    if (!(status in operation.responses) && !('default' in operation.responses)) {
      at(`response ${status} is not declared by ${of(providerName)} contract (${contractFile}); it declares: ${Object.keys(operation.responses).sort().join(', ') || '(none)'}`);
      continue;
    }
    for (const [field, type] of Object.entries(fields)) {
      const relies = `${where.consumer.manifest.name} relies on it (${a(type)})`;
      if (!declared) {
        at(`response ${status} field ${field}: ${of(providerName)} contract (${contractFile}) declares no JSON body for ${status}, and ${relies}`);
        continue;
      }
      const found = fieldAt(declared, field);
      if (!('schema' in found)) {
        at(`response ${status} field ${field} is not in ${of(providerName)} contract (${contractFile})${found.missing ? ` (${found.missing})` : ''}; ${relies}`);
      } else if (found.optional) {
        at(`response ${status} field ${field} is optional in ${of(providerName)} contract (${contractFile}) (${found.optional} is not required), so ${relies} but cannot count on it`);
      } else {
        const mismatch = typeMismatch(found.schema, type);
        if (mismatch) at(`response ${status} field ${field} ${mismatch} in ${of(providerName)} contract (${contractFile}), but ${relies}`);
      }
    }
  }
  return problems;
}

function checkMessage(expectation: z.output<typeof MessageExpectationSchema>, providers: ProviderContracts, where: Where): string[] {
  const provider = providers.service(expectation.provider);
  if (!provider) return [`${where.at}: ${expectation.provider} is not a service (no services/${expectation.provider}/service.ts)`];
  const providerName = provider.manifest.name;
  if (!(expectation.queue in provider.manifest.queues)) {
    return [`${where.at}: ${providerName} has no queue ${expectation.queue}; allowed: ${Object.keys(provider.manifest.queues).join(', ') || '(none)'}`];
  }
  const schema = providers.messageSchemaOf(provider, expectation.queue);
  if (typeof schema === 'string') return [`${where.at}: ${schema}`];
  const reference = `${provider.folder}/${provider.manifest.queues[expectation.queue].messageSchema}`;
  const parsed = schema.zod.safeParse(expectation.message, { error: predicateMessages });
  if (!parsed.success) {
    return parsed.error.issues.map(issue => {
      // A field the schema requires and the message lacks: say so, whatever the schema's own message.
      const missing = issue.code === 'invalid_type' && issue.path.length > 0 && valueAt(expectation.message, issue.path) === undefined;
      return `${where.at}: message field ${issue.path.length > 0 ? formatPath(issue.path) : '(the body)'} `
        + `${missing ? `is required (expected ${issue.expected})` : issue.message}, in ${of(providerName)} message schema (${reference})`;
    });
  }
  return fieldsOf(expectation.message).filter(f => !('schema' in fieldAt(schema.json, f))).map(field =>
    `${where.at}: message field ${field} is not in ${of(providerName)} message schema (${reference}); `
    + `${where.consumer.manifest.name} sends it and relies on ${providerName} reading it, which drops it`);
}

/** Every service a consumer's functions call has at least one expectation, and every expectation is of a service it calls. */
function coverage(consumer: Service, file: string, contracts: ConsumerContracts | undefined): ContractCheck[] {
  const name = consumer.manifest.name;
  const calledBy = new Map<string, string>();
  for (const [id, fn] of Object.entries(consumer.manifest.functions)) {
    for (const called of fn.calls) if (!calledBy.has(called)) calledBy.set(called, id);
  }
  const expected = new Set([...(contracts?.requests ?? []), ...(contracts?.messages ?? [])].map(e => e.provider));
  const checks: ContractCheck[] = [];
  for (const [provider, functionId] of calledBy) {
    checks.push({
      consumer: name,
      provider,
      operation: 'calls',
      problems: expected.has(provider) ? [] : [
        `${consumer.folder}/service.ts: functions.${functionId}.calls names ${provider}, but ${file} declares nothing ${name} sends to ${provider}; `
        + 'declare each request (with the response fields it reads) and each message, so that a change in the provider that breaks it is caught',
      ],
    });
  }
  for (const provider of [...expected].filter(p => !calledBy.has(p))) {
    checks.push({
      consumer: name,
      provider,
      operation: 'calls',
      problems: [`${file}: declares what ${name} sends to ${provider}, but no function of ${consumer.folder}/service.ts lists ${provider} in calls (which grants the access)`],
    });
  }
  return checks;
}

/** Every field path in a JSON value (`a`, `a.b`, `list[]`, `list[].c`), objects and arrays included. */
export function fieldsOf(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return value.flatMap(item => fieldsOf(item, `${prefix}[]`)).filter((f, i, all) => all.indexOf(f) === i);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).filter(([, v]) => v !== undefined).flatMap(([key, v]) => {
    const field = prefix ? `${prefix}.${key}` : key;
    return [field, ...fieldsOf(v, field)];
  });
}

type Lookup = { schema: JsonSchema; optional?: string } | { missing: string };

/**
 * The schema of `field` (a path such as `entries[].accountId`) in a JSON
 * Schema, and the first part of the path that is not required; or where the
 * path leaves the schema. Follows allOf (any member) and anyOf/oneOf (every branch).
 */
export function fieldAt(root: JsonSchema, field: string): Lookup {
  let schema = root;
  let optional: string | undefined;
  let walked = '';
  for (const segment of field.split('.')) {
    const name = segment.replace(/\[\]$/, '');
    const property = propertyOf(schema, name);
    const here = walked ? `${walked}.${name}` : name;
    // Nested: say where the path leaves the schema; at the top the field name says it all.
    if (!property) return { missing: walked ? `${walked} has no field ${name}` : '' };
    optional ??= property.required ? undefined : here;
    schema = property.schema;
    walked = here;
    if (segment.endsWith('[]')) {
      const items = schema.items;
      if (!isSchema(items)) return { missing: `${walked} is not an array there` };
      schema = items;
      walked = `${walked}[]`;
    }
  }
  return { schema, optional };
}

function isSchema(value: unknown): value is JsonSchema {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function propertyOf(schema: JsonSchema, name: string): { schema: JsonSchema; required: boolean } | undefined {
  const properties = schema.properties as Record<string, unknown> | undefined;
  const own = properties?.[name];
  if (isSchema(own)) return { schema: own, required: Array.isArray(schema.required) && schema.required.includes(name) };
  const allOf = (schema.allOf as unknown[] | undefined)?.filter(isSchema) ?? [];
  for (const member of allOf) {
    const found = propertyOf(member, name);
    if (found) {
      const requiredElsewhere = allOf.some(m => Array.isArray(m.required) && m.required.includes(name));
      return { schema: found.schema, required: found.required || requiredElsewhere };
    }
  }
  const branches = ((schema.anyOf ?? schema.oneOf) as unknown[] | undefined)?.filter(isSchema) ?? [];
  const inBranches = branches.map(b => propertyOf(b, name));
  if (branches.length > 0 && inBranches.every(Boolean)) {
    return { schema: inBranches[0]!.schema, required: inBranches.every(p => p!.required) };
  }
  return undefined;
}

/** Why a field of `schema` does not have the JSON type a consumer expects, or undefined. */
function typeMismatch(schema: JsonSchema, expected: (typeof FIELD_TYPES)[number]): string | undefined {
  const declared = typesOf(schema);
  if (declared.length === 0) return 'has no declared type';
  if (declared.includes('null')) return 'may be null';
  const fits = (t: string) => t === expected || (expected === 'number' && t === 'integer');
  return declared.every(fits) ? undefined : `is ${declared.map(a).join(' or ')}`;
}

function typesOf(schema: JsonSchema): string[] {
  if (typeof schema.type === 'string') return [schema.type];
  if (Array.isArray(schema.type)) return schema.type as string[];
  const branches = ((schema.anyOf ?? schema.oneOf) as unknown[] | undefined)?.filter(isSchema);
  return branches ? [...new Set(branches.flatMap(typesOf))] : [];
}

/** The possessive of a service name: `ledger's`, `notifications'`. */
function of(name: string): string {
  return name.endsWith('s') ? `${name}'` : `${name}'s`;
}

function a(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}
