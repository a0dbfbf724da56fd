import { parse as parseYaml } from 'yaml';
import { problem } from '../accounts';
import { HTTP_METHODS, ServiceManifest } from './service-model';

/** A JSON Schema (draft 4, what API Gateway models accept). */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** What the loader learns from a service's `api.yaml`. */
export interface ApiContract {
  /** Request body schema of each function whose route takes a JSON body, by function id. */
  readonly requestSchemas: Readonly<Record<string, JsonSchema>>;
  readonly problems: readonly string[];
}

// OpenAPI-only keywords that draft-4 JSON Schema (API Gateway models) rejects or ignores.
const OPENAPI_ONLY = new Set(['example', 'examples', 'nullable', 'readOnly', 'writeOnly', 'deprecated', 'discriminator', 'xml', 'externalDocs']);

/**
 * Checks `api.yaml` (OpenAPI 3.0) against the manifest: every route is
 * described and every described operation is a route. Extracts request body
 * schemas, with local `$ref`s inlined, for API Gateway request validation.
 */
export function readApiContract(text: string | undefined, file: string, manifest: ServiceManifest): ApiContract {
  const routes = Object.entries(manifest.functions).filter(([, fn]) => fn.route);
  if (text === undefined) {
    return {
      requestSchemas: {},
      problems: routes.length === 0 ? [] : [`${file}: is missing; a service with routes publishes its OpenAPI 3.0 contract there`],
    };
  }
  let doc: ContractDocument;
  try {
    doc = parseYaml(text) as typeof doc;
  } catch (e) {
    return { requestSchemas: {}, problems: [`${file}: is not valid YAML (${(e as Error).message.split('\n')[0]})`] };
  }
  if (typeof doc?.openapi !== 'string' || !doc.openapi.startsWith('3.0.')) {
    return { requestSchemas: {}, problems: [problem(file, ['openapi'], doc?.openapi, 'is not supported; allowed: 3.0.x (API Gateway validates with JSON Schema draft 4)')] };
  }
  const problems: string[] = [];
  const paths = doc.paths ?? {};
  const requestSchemas: Record<string, JsonSchema> = {};
  const declared = new Set<string>();
  for (const [id, fn] of routes) {
    const { method, path } = fn.route!;
    declared.add(`${method.toLowerCase()} ${path}`);
    const operation = paths[path]?.[method.toLowerCase()];
    if (!operation) {
      problems.push(problem(file, ['paths', path, method.toLowerCase()], undefined,
        `is missing; functions.${id} serves ${method} ${path} and the contract must describe it`));
      continue;
    }
    problems.push(...checkScopes(doc, file, id, fn.route!, operation));
    try {
      // The request body itself may be a $ref (#/components/requestBodies/...).
      const body = resolveRef(operation.requestBody, doc, []) as { content?: Record<string, { schema?: unknown }> } | undefined;
      const schema = body?.content?.['application/json']?.schema;
      if (schema !== undefined) {
        requestSchemas[id] = { $schema: 'http://json-schema.org/draft-04/schema#', ...toDraft4(schema, doc, []) as object };
      }
    } catch (e) {
      problems.push(problem(file, ['paths', path, method.toLowerCase(), 'requestBody'], undefined, (e as Error).message));
    }
  }
  const methods = new Set(HTTP_METHODS.map(m => m.toLowerCase()));
  for (const [path, item] of Object.entries(paths)) {
    for (const method of Object.keys(item ?? {}).filter(m => methods.has(m))) {
      if (!declared.has(`${method} ${path}`)) {
        problems.push(problem(file, ['paths', path, method], undefined,
          `is not a route of ${manifest.name}; the manifest must declare every operation the contract offers`));
      }
    }
  }
  return { requestSchemas, problems };
}

/** The schemas of one operation of a contract, by function id: see {@link readOperationSchemas}. */
export interface OperationSchemas {
  /** Each path parameter's schema, by name (parameters without a schema are left out). */
  readonly pathParameters: Readonly<Record<string, JsonSchema>>;
  /** Each response's body schema by status code (`'201'`, `'default'`, ...); `undefined` for a status without a JSON body. */
  readonly responses: Readonly<Record<string, JsonSchema | undefined>>;
}

/**
 * The path parameter and response body schemas of each route of `manifest`,
 * by function id, from its `api.yaml`, with local `$ref`s (parameters,
 * responses and schemas) inlined: what the local stage checks each answer
 * against and the contract tests check consumers against. The contract is
 * assumed valid (the loader checked it with readApiContract).
 */
export function readOperationSchemas(text: string, manifest: ServiceManifest): Record<string, OperationSchemas> {
  type Operation = { parameters?: unknown[]; responses?: Record<string, unknown> };
  const doc = parseYaml(text) as { paths?: Record<string, Record<string, Operation | unknown[]>> };
  const draft4 = (schema: unknown) => ({ $schema: 'http://json-schema.org/draft-04/schema#', ...toDraft4(schema, doc, []) as object });
  const out: Record<string, OperationSchemas> = {};
  for (const [id, fn] of Object.entries(manifest.functions)) {
    if (!fn.route) continue;
    const item = doc.paths?.[fn.route.path] ?? {};
    const operation = (item[fn.route.method.toLowerCase()] ?? {}) as Operation;
    // Path-item parameters apply to every operation; the operation's own override them.
    const parameters = [...(item.parameters as unknown[] | undefined) ?? [], ...operation.parameters ?? []]
      .map(p => resolveRef(p, doc, []) as { in?: unknown; name?: unknown; schema?: unknown })
      .filter(p => p.in === 'path' && typeof p.name === 'string' && p.schema !== undefined);
    out[id] = {
      pathParameters: Object.fromEntries(parameters.map(p => [p.name as string, draft4(p.schema)])),
      responses: Object.fromEntries(Object.entries(operation.responses ?? {}).map(([status, response]) => {
        const resolved = resolveRef(response, doc, []) as { content?: Record<string, { schema?: unknown }> } | undefined;
        const schema = resolved?.content?.['application/json']?.schema;
        return [status, schema === undefined ? undefined : draft4(schema)];
      })),
    };
  }
  return out;
}

/** The response body schemas of each route of `manifest` by function id and status: see {@link readOperationSchemas}. */
export function readResponseSchemas(text: string, manifest: ServiceManifest): Record<string, Record<string, JsonSchema | undefined>> {
  return Object.fromEntries(Object.entries(readOperationSchemas(text, manifest)).map(([id, op]) => [id, { ...op.responses }]));
}

/** The parts of an OpenAPI document the checks read. */
interface ContractDocument {
  readonly openapi?: unknown;
  readonly security?: unknown;
  readonly paths?: Record<string, Record<string, { requestBody?: unknown; security?: unknown }>>;
  readonly components?: { readonly securitySchemes?: Record<string, { type?: unknown; flows?: { clientCredentials?: { scopes?: unknown } } }> };
}

/**
 * The manifest's `route.scopes` and the contract's OAuth 2.0 security of the
 * operation must agree: the same scopes, each defined by the scheme's
 * client credentials flow. No scopes on either side: an internal route.
 */
function checkScopes(doc: ContractDocument, file: string, functionId: string, route: { method: string; path: string; scopes?: readonly string[] },
  operation: { security?: unknown }): string[] {
  const schemes = doc.components?.securitySchemes ?? {};
  const oauth = new Set(Object.entries(schemes).filter(([, scheme]) => scheme?.type === 'oauth2').map(([name]) => name));
  const requirements = (Array.isArray(operation.security) ? operation.security : Array.isArray(doc.security) ? doc.security : []) as unknown[];
  const where = ['paths', route.path, route.method.toLowerCase(), 'security'];
  const problems: string[] = [];
  const declared = new Map<string, string>();
  for (const requirement of requirements) {
    for (const [scheme, scopes] of Object.entries((requirement ?? {}) as Record<string, unknown>)) {
      if (!oauth.has(scheme) || !Array.isArray(scopes)) continue;
      for (const scope of scopes) declared.set(String(scope), scheme);
    }
  }
  const wanted = [...route.scopes ?? []].sort();
  const found = [...declared.keys()].sort();
  if (wanted.join(' ') !== found.join(' ')) {
    const manifestSide = wanted.length > 0 ? `[${wanted.join(', ')}]` : 'no scopes (an internal route)';
    const contractSide = found.length > 0 ? `scopes [${found.join(', ')}]` : 'no OAuth 2.0 scopes';
    problems.push(problem(file, where, undefined, `declares ${contractSide}, but functions.${functionId}.route.scopes in the manifest is ${manifestSide}; `
      + 'the manifest and the contract must agree (a public route needs a security requirement of an oauth2 scheme with exactly its scopes)'));
  }
  for (const [scope, scheme] of declared) {
    const defined = schemes[scheme]?.flows?.clientCredentials?.scopes;
    if (!defined || typeof defined !== 'object' || !(scope in defined)) {
      problems.push(problem(file, ['components', 'securitySchemes', scheme, 'flows', 'clientCredentials', 'scopes'], undefined,
        `does not define scope ${scope}, which ${route.method} ${route.path} requires; merchants get tokens through the client credentials flow`));
    }
  }
  return problems;
}

// Keywords whose values are data, not schemas: copied as they are.
const LITERAL_VALUES = new Set(['default', 'enum', 'const', 'required']);

/** Follows a local `$ref` (repeatedly); returns other nodes as they are. */
function resolveRef(node: unknown, doc: unknown, seen: readonly string[]): unknown {
  const ref = (node as { $ref?: unknown } | null)?.$ref;
  if (typeof ref !== 'string') return node;
  if (!ref.startsWith('#/')) throw new Error(`has $ref "${ref}"; only local references (#/...) are supported`);
  if (seen.includes(ref)) throw new Error(`has a recursive $ref "${ref}"; API Gateway models cannot express it`);
  const target = ref.slice(2).split('/').reduce<unknown>((at, key) => (at as Record<string, unknown> | undefined)?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
  if (target === undefined) throw new Error(`has $ref "${ref}" that points nowhere`);
  return resolveRef(target, doc, [...seen, ref]);
}

/** Inlines local `$ref`s and drops OpenAPI-only keywords; `nullable` becomes a type union. */
function toDraft4(node: unknown, doc: unknown, seen: readonly string[]): unknown {
  if (Array.isArray(node)) return node.map(n => toDraft4(n, doc, seen));
  if (node === null || typeof node !== 'object') return node;
  const ref = (node as { $ref?: unknown }).$ref;
  if (typeof ref === 'string') {
    return toDraft4(resolveRef(node, doc, seen), doc, [...seen, ref]);
  }
  const obj = node as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(obj)) {
    if (OPENAPI_ONLY.has(key)) continue;
    if (LITERAL_VALUES.has(key)) {out[key] = value;} else if (key === 'properties' && value && typeof value === 'object') {
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toDraft4(v, doc, seen)]));
    } else {out[key] = toDraft4(value, doc, seen);}
  }
  if (obj.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  return out;
}
