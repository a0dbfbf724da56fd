import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify as toYaml } from 'yaml';
import { readApiContract, readOperationSchemas, readResponseSchemas, ServiceManifest, ServiceManifestInput, ServiceManifestSchema } from '../../services';

const FILE = 'services/items/api.yaml';
const DRAFT_4 = 'http://json-schema.org/draft-04/schema#';

/** The items service: one POST route with a body, one GET route, one queue consumer. */
function manifest(functions?: ServiceManifestInput['functions']): ServiceManifest {
  return ServiceManifestSchema.parse({
    name: 'items',
    description: 'Items',
    owner: 'team-items',
    costCenter: 'CC-1',
    wave: 'core',
    onCall: [{ email: 'items@test.example' }],
    functions: functions ?? {
      createItem: { handler: 'src/create-item.ts', route: { method: 'POST', path: '/items' } },
      getItem: { handler: 'src/get-item.ts', route: { method: 'GET', path: '/items/{itemId}' } },
    },
  });
}

/** A contract for {@link manifest} whose POST /items body is `schema`, with `schemas` as components. */
function contract(schema: unknown, schemas: Record<string, unknown> = {}): string {
  return toYaml({
    openapi: '3.0.3',
    info: { title: 'items', version: '1' },
    paths: {
      '/items': {
        post: {
          requestBody: { required: true, content: { 'application/json': { schema } } },
          responses: { 201: { description: 'created' } },
        },
      },
      '/items/{itemId}': { get: { responses: { 200: { description: 'found' } } } },
    },
    components: { schemas },
  });
}

/** The request body schema of POST /items, failing the test on any problem. */
function requestSchemaOf(schema: unknown, schemas: Record<string, unknown> = {}): unknown {
  const result = readApiContract(contract(schema, schemas), FILE, manifest());
  expect(result.problems).toEqual([]);
  expect(Object.keys(result.requestSchemas)).toEqual(['createItem']);
  return result.requestSchemas.createItem;
}

describe('request body schemas', () => {
  test('are taken per function from routes with a JSON body, marked draft 4', () => {
    expect(readApiContract(contract({ type: 'object' }), FILE, manifest())).toEqual({
      requestSchemas: { createItem: { $schema: DRAFT_4, type: 'object' } },
      problems: [],
    });
  });

  test('inline local $refs, including refs nested in refs, properties and items', () => {
    const schema = requestSchemaOf({ $ref: '#/components/schemas/NewItem' }, {
      NewItem: {
        type: 'object',
        required: ['name', 'price'],
        properties: {
          name: { type: 'string', maxLength: 100 },
          price: { $ref: '#/components/schemas/Money' },
          tags: { type: 'array', items: { $ref: '#/components/schemas/Tag' } },
        },
      },
      Money: {
        type: 'object',
        properties: { amount: { type: 'integer' }, currency: { $ref: '#/components/schemas/Currency' } },
      },
      Currency: { type: 'string', enum: ['EUR', 'USD'] },
      Tag: { type: 'string', pattern: '^[a-z]+$' },
    });
    expect(schema).toEqual({
      $schema: DRAFT_4,
      type: 'object',
      required: ['name', 'price'],
      properties: {
        name: { type: 'string', maxLength: 100 },
        price: {
          type: 'object',
          properties: { amount: { type: 'integer' }, currency: { type: 'string', enum: ['EUR', 'USD'] } },
        },
        tags: { type: 'array', items: { type: 'string', pattern: '^[a-z]+$' } },
      },
    });
    expect(JSON.stringify(schema)).not.toContain('$ref');
  });

  test('inline a schema used twice side by side (not a recursion)', () => {
    const schema = requestSchemaOf({
      type: 'object',
      properties: {
        billing: { $ref: '#/components/schemas/Address' },
        shipping: { $ref: '#/components/schemas/Address' },
      },
    }, { Address: { type: 'object', properties: { city: { type: 'string' } } } });
    const address = { type: 'object', properties: { city: { type: 'string' } } };
    expect(schema).toEqual({ $schema: DRAFT_4, type: 'object', properties: { billing: address, shipping: address } });
  });

  test('inline refs with escaped JSON pointer segments', () => {
    const schema = requestSchemaOf({ $ref: '#/components/schemas/a~1b~0c' }, { 'a/b~c': { type: 'boolean' } });
    expect(schema).toEqual({ $schema: DRAFT_4, type: 'boolean' });
  });

  test('turn nullable: true into a type union with null, and drop nullable: false', () => {
    const schema = requestSchemaOf({
      type: 'object',
      properties: {
        note: { type: 'string', nullable: true },
        count: { type: 'integer', nullable: false },
        tags: { type: 'array', items: { type: 'string', nullable: true } },
      },
    });
    expect(schema).toEqual({
      $schema: DRAFT_4,
      type: 'object',
      properties: {
        note: { type: ['string', 'null'] },
        count: { type: 'integer' },
        tags: { type: 'array', items: { type: ['string', 'null'] } },
      },
    });
  });

  test('drop OpenAPI-only keywords, but keep properties that happen to share their names', () => {
    const schema = requestSchemaOf({
      type: 'object',
      example: { id: 'x' },
      externalDocs: { url: 'https://example.com' },
      xml: { name: 'item' },
      discriminator: { propertyName: 'kind' },
      properties: {
        id: { type: 'string', readOnly: true, example: 'item-1', examples: ['item-1'] },
        secret: { type: 'string', writeOnly: true },
        legacy: { type: 'string', deprecated: true },
        example: { type: 'string' },
      },
    });
    expect(schema).toEqual({
      $schema: DRAFT_4,
      type: 'object',
      properties: {
        id: { type: 'string' },
        secret: { type: 'string' },
        legacy: { type: 'string' },
        example: { type: 'string' },
      },
    });
  });

  test('copy data keywords (default, enum) as they are, even when they hold OpenAPI keyword names', () => {
    expect(requestSchemaOf({
      type: 'object',
      properties: { mode: { type: 'object', default: { example: 1 } }, kind: { enum: [{ readOnly: true }, 'b'] } },
    })).toEqual({
      $schema: DRAFT_4,
      type: 'object',
      properties: { mode: { type: 'object', default: { example: 1 } }, kind: { enum: [{ readOnly: true }, 'b'] } },
    });
  });

  test('follow a requestBody that is itself a $ref', () => {
    const text = toYaml({
      openapi: '3.0.3',
      info: { title: 'items', version: '1' },
      paths: {
        '/items': { post: { requestBody: { $ref: '#/components/requestBodies/NewItem' }, responses: {} } },
        '/items/{itemId}': { get: { responses: {} } },
      },
      components: {
        requestBodies: { NewItem: { content: { 'application/json': { schema: { type: 'object', required: ['name'] } } } } },
      },
    });
    expect(readApiContract(text, FILE, manifest())).toEqual({
      requestSchemas: { createItem: { $schema: DRAFT_4, type: 'object', required: ['name'] } },
      problems: [],
    });
  });

  test('are absent for routes without a body', () => {
    const result = readApiContract(contract({ type: 'object' }), FILE, manifest());
    expect(result.requestSchemas).not.toHaveProperty('getItem');
  });
});

describe('request body schemas are refused when', () => {
  test('a $ref is recursive', () => {
    const result = readApiContract(contract({ $ref: '#/components/schemas/Node' }, {
      Node: { type: 'object', properties: { children: { type: 'array', items: { $ref: '#/components/schemas/Node' } } } },
    }), FILE, manifest());
    expect(result).toEqual({
      requestSchemas: {},
      problems: [
        'services/items/api.yaml: paths["/items"].post.requestBody has a recursive $ref "#/components/schemas/Node"; API Gateway models cannot express it',
      ],
    });
  });

  test.each([
    'https://example.com/schemas/item.json',
    'common.yaml#/components/schemas/Item',
  ])('a $ref is remote: %s', ref => {
    const result = readApiContract(contract({ type: 'object', properties: { item: { $ref: ref } } }), FILE, manifest());
    expect(result).toEqual({
      requestSchemas: {},
      problems: [
        `services/items/api.yaml: paths["/items"].post.requestBody has $ref "${ref}"; only local references (#/...) are supported`,
      ],
    });
  });

  test('a $ref points nowhere', () => {
    const result = readApiContract(contract({ $ref: '#/components/schemas/Missing' }, { Item: { type: 'object' } }), FILE, manifest());
    expect(result).toEqual({
      requestSchemas: {},
      problems: [
        'services/items/api.yaml: paths["/items"].post.requestBody has $ref "#/components/schemas/Missing" that points nowhere',
      ],
    });
  });
});

describe('services without routes', () => {
  const worker = () => manifest({ drain: { handler: 'src/drain.ts', queue: 'jobs' } });

  test('need no api.yaml', () => {
    expect(readApiContract(undefined, FILE, worker())).toEqual({ requestSchemas: {}, problems: [] });
  });

  test('may still publish a contract without operations', () => {
    const text = toYaml({ openapi: '3.0.3', info: { title: 'items', version: '1' }, paths: {} });
    expect(readApiContract(text, FILE, worker())).toEqual({ requestSchemas: {}, problems: [] });
  });

  test('but a service with routes must have one', () => {
    expect(readApiContract(undefined, FILE, manifest())).toEqual({
      requestSchemas: {},
      problems: ['services/items/api.yaml: is missing; a service with routes publishes its OpenAPI 3.0 contract there'],
    });
  });
});

describe('readResponseSchemas: the answers a contract allows, for the local stage to check', () => {
  test('the body schema of each status of each route, with responses and schemas by $ref inlined', () => {
    const services = path.join(__dirname, '..', '..', 'services');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const payments = ServiceManifestSchema.parse((require(path.join(services, 'payments', 'service.ts')) as { default: unknown }).default);
    const schemas = readResponseSchemas(fs.readFileSync(path.join(services, 'payments', 'api.yaml'), 'utf8'), payments);
    expect(Object.keys(schemas)).toEqual(['createPayment', 'getPayment']);
    expect(Object.keys(schemas.createPayment)).toEqual(['201', '400', '403', '409', '422', '500', '502']);
    expect(schemas.createPayment['201']).toMatchObject({ $schema: DRAFT_4, type: 'object', properties: { paymentId: expect.any(Object) } });
    expect(JSON.stringify(schemas)).not.toContain('$ref');
  });
});

describe('readOperationSchemas: path parameters too, for the contract tests', () => {
  const itemsContract = `
openapi: 3.0.3
info: { title: items, version: '1' }
paths:
  /items/{itemId}:
    parameters:
      - { $ref: '#/components/parameters/ItemId' }
    get:
      parameters:
        - { name: verbose, in: query, schema: { type: boolean } }
      responses:
        '200': { description: found, content: { application/json: { schema: { type: object, nullable: true } } } }
        '404': { description: none }
components:
  parameters:
    ItemId: { name: itemId, in: path, required: true, schema: { $ref: '#/components/schemas/Id' } }
  schemas:
    Id: { type: string, pattern: '^[a-z]+$', example: abc }
`;
  test('path parameters declared on the path item, by $ref, with their schemas inlined; query parameters left out', () => {
    const items = manifest({ getItem: { handler: 'src/get-item.ts', route: { method: 'GET', path: '/items/{itemId}' } } });
    expect(readOperationSchemas(itemsContract, items)).toEqual({
      getItem: {
        pathParameters: { itemId: { $schema: DRAFT_4, type: 'string', pattern: '^[a-z]+$' } },
        responses: { 200: { $schema: DRAFT_4, type: ['object', 'null'] }, 404: undefined },
      },
    });
  });
});

describe('public routes: the manifest\'s scopes and the contract\'s OAuth 2.0 security agree', () => {
  const FILE_ = 'services/items/api.yaml';
  const publicItems = () => manifest({
    createItem: { handler: 'src/create-item.ts', route: { method: 'POST', path: '/items', scopes: ['items/write'] } },
    getItem: { handler: 'src/get-item.ts', route: { method: 'GET', path: '/items/{itemId}', scopes: ['items/read', 'items/admin'] } },
  });
  const secured = (security: { post?: unknown; get?: unknown }, scopes: Record<string, string> = { 'items/read': 'read', 'items/write': 'write', 'items/admin': 'admin' }) => toYaml({
    openapi: '3.0.3',
    info: { title: 'items', version: '1' },
    security: [{ sigv4: [] }],
    paths: {
      '/items': { post: { ...(security.post ? { security: security.post } : {}), responses: { 201: { description: 'created' } } } },
      '/items/{itemId}': { get: { ...(security.get ? { security: security.get } : {}), responses: { 200: { description: 'found' } } } },
    },
    components: {
      securitySchemes: {
        sigv4: { type: 'apiKey', name: 'Authorization', in: 'header' },
        merchant: { type: 'oauth2', flows: { clientCredentials: { tokenUrl: 'https://auth.example/oauth2/token', scopes } } },
      },
    },
  });

  test('the same scopes on both sides (as an alternative to SigV4) pass', () => {
    const text = secured({
      post: [{ sigv4: [] }, { merchant: ['items/write'] }],
      get: [{ sigv4: [] }, { merchant: ['items/admin', 'items/read'] }],
    });
    expect(readApiContract(text, FILE_, publicItems()).problems).toEqual([]);
  });

  test('a public route whose operation declares no scopes, or other ones', () => {
    const text = secured({ get: [{ sigv4: [] }, { merchant: ['items/read'] }] });
    expect(readApiContract(text, FILE_, publicItems()).problems).toEqual([
      `${FILE_}: paths["/items"].post.security declares no OAuth 2.0 scopes, but functions.createItem.route.scopes in the manifest is [items/write]; `
      + 'the manifest and the contract must agree (a public route needs a security requirement of an oauth2 scheme with exactly its scopes)',
      `${FILE_}: paths["/items/{itemId}"].get.security declares scopes [items/read], but functions.getItem.route.scopes in the manifest is [items/admin, items/read]; `
      + 'the manifest and the contract must agree (a public route needs a security requirement of an oauth2 scheme with exactly its scopes)',
    ]);
  });

  test('an internal route whose operation declares scopes', () => {
    const text = secured({ get: [{ merchant: ['items/read'] }] });
    expect(readApiContract(text, FILE_, manifest()).problems).toEqual([
      `${FILE_}: paths["/items/{itemId}"].get.security declares scopes [items/read], but functions.getItem.route.scopes in the manifest is no scopes (an internal route); `
      + 'the manifest and the contract must agree (a public route needs a security requirement of an oauth2 scheme with exactly its scopes)',
    ]);
  });

  test('a scope the oauth2 scheme\'s client credentials flow does not define', () => {
    const text = secured({ post: [{ merchant: ['items/write'] }], get: [{ merchant: ['items/admin', 'items/read'] }] }, { 'items/read': 'read', 'items/admin': 'admin' });
    expect(readApiContract(text, FILE_, publicItems()).problems).toEqual([
      `${FILE_}: components.securitySchemes.merchant.flows.clientCredentials.scopes does not define scope items/write, which POST /items requires; `
      + 'merchants get tokens through the client credentials flow',
    ]);
  });
});
