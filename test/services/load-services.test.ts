import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify as toYaml } from 'yaml';
import { ConfigError, Organization } from '../../accounts';
import { loadServices, Service, ServiceManifestInput } from '../../services';
import { loadSample, productionEdgeBehindWaf } from '../fixtures/organization';
import { problemsOf as problemsFrom } from '../fixtures/problems';

// The sample organization declares no waves; services here use these two.
const organization: Organization = loadSample(d => { d.pipeline.waves = ['foundation', 'core']; });

/** One service folder of a test workspace. */
interface Folder {
  /** What loadManifest returns for the folder's service.ts. */
  readonly manifest: unknown;
  /**
   * Contents of api.yaml.
   * @default - a minimal OpenAPI 3.0 contract describing exactly the manifest's routes
   * `null` writes no api.yaml.
   */
  readonly api?: string | null;
  /**
   * Handler files the manifest names that are not created.
   * @default - every handler the manifest names exists
   */
  readonly withoutFiles?: readonly string[];
}

interface ManifestShape {
  readonly functions?: Record<string, { readonly handler?: string; readonly route?: { readonly method: string; readonly path: string } }>;
}

const workspaces: string[] = [];
afterEach(() => {
  for (const dir of workspaces.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** Writes the service folders to a fresh temporary services/ folder and returns its path. */
function workspace(folders: Readonly<Record<string, Folder>>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'load-services-'));
  workspaces.push(dir);
  for (const [name, folder] of Object.entries(folders)) {
    const serviceDir = path.join(dir, name);
    fs.mkdirSync(serviceDir);
    fs.writeFileSync(path.join(serviceDir, 'service.ts'), '// the test supplies the manifest\n');
    const functions = Object.values((folder.manifest as ManifestShape).functions ?? {});
    for (const handler of functions.map(fn => fn.handler)) {
      if (handler === undefined || folder.withoutFiles?.includes(handler)) continue;
      fs.mkdirSync(path.dirname(path.join(serviceDir, handler)), { recursive: true });
      fs.writeFileSync(path.join(serviceDir, handler), 'export const handler = async () => ({ statusCode: 200 });\n');
    }
    const api = folder.api === undefined ? contractFor(name, folder.manifest as ManifestShape) : folder.api;
    if (api !== null) fs.writeFileSync(path.join(serviceDir, 'api.yaml'), api);
  }
  return dir;
}

/** A contract that describes exactly the manifest's routes, or null when it has none. */
function contractFor(title: string, manifest: ManifestShape): string | null {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const fn of Object.values(manifest.functions ?? {})) {
    if (!fn.route) continue;
    paths[fn.route.path] = { ...paths[fn.route.path], [fn.route.method.toLowerCase()]: { responses: { 200: { description: 'ok' } } } };
  }
  if (Object.keys(paths).length === 0) return null;
  return toYaml({ openapi: '3.0.3', info: { title, version: '1' }, paths });
}

function load(folders: Readonly<Record<string, Folder>>, org: Organization = organization): Service[] {
  const servicesDir = workspace(folders);
  return loadServices({
    servicesDir,
    organization: org,
    displayDir: 'services',
    loadManifest: file => folders[path.basename(path.dirname(file))]?.manifest,
  });
}

/** The problems loading reports; fails the test when the services load. */
function problemsOf(folders: Readonly<Record<string, Folder>>, org: Organization = organization): readonly string[] {
  return problemsFrom(() => load(folders, org));
}

/** A small valid manifest: one GET route in wave "core", changed by `overrides`. */
function service(name: string, overrides: Partial<ServiceManifestInput> = {}): ServiceManifestInput {
  return {
    name,
    description: `The ${name} service`,
    owner: 'team-test',
    costCenter: 'CC-1000',
    wave: 'core',
    onCall: [{ email: 'team-test@test.example' }],
    functions: {
      getStatus: { handler: 'src/get-status.ts', route: { method: 'GET', path: `/${name}/status` } },
    },
    ...overrides,
  };
}

/** Every folder from a manifest, with its default handlers and contract. */
function foldersOf(...manifests: ServiceManifestInput[]): Record<string, Folder> {
  return Object.fromEntries(manifests.map(m => [m.name, { manifest: m }]));
}

describe('loading valid services', () => {
  const catalogContract = `
openapi: 3.0.3
info: { title: catalog, version: '1' }
paths:
  /items:
    post:
      requestBody:
        content:
          application/json:
            schema: { $ref: '#/components/schemas/NewItem' }
      responses: { '201': { description: created } }
  /items/{itemId}:
    get:
      responses: { '200': { description: found } }
components:
  schemas:
    NewItem:
      type: object
      required: [sku]
      properties:
        sku: { type: string, example: sku-1 }
        price: { type: number, minimum: 0 }
`;
  const catalog = service('catalog', {
    wave: 'foundation',
    functions: {
      createItem: { handler: 'src/create-item.ts', route: { method: 'POST', path: '/items' } },
      getItem: { handler: 'src/get-item.ts', route: { method: 'GET', path: '/items/{itemId}' } },
      indexItem: { handler: 'src/index-item.ts', queue: 'item-events' },
    },
    queues: { 'item-events': {} },
  });
  const orders = service('orders', {
    memoryMiB: 512,
    functions: {
      createOrder: { handler: 'src/create-order.ts', route: { method: 'POST', path: '/orders' }, calls: ['catalog'] },
    },
    dependsOn: ['catalog'],
  });

  // Written orders first, so the result is sorted by the loader, not by creation order.
  const loadPair = () => load({ orders: { manifest: orders }, catalog: { manifest: catalog, api: catalogContract } });

  test('loads every service, sorted by name, with its folder for messages', () => {
    const services = loadPair();
    expect(services.map(s => [s.manifest.name, s.folder, path.basename(s.dir)])).toEqual([
      ['catalog', 'services/catalog', 'catalog'],
      ['orders', 'services/orders', 'orders'],
    ]);
  });

  test('applies the defaults of everything the manifest leaves out', () => {
    const [loadedCatalog, loadedOrders] = loadPair();
    expect(loadedCatalog.manifest).toMatchObject({
      memoryMiB: 256,
      timeoutSeconds: 10,
      architecture: 'arm64',
      logRetentionDays: 365,
      alarms: { errors: 1, p99LatencyMs: 1000, throttles: 1 },
      tables: {},
      secrets: {},
      environment: {},
      deployment: {},
      dependsOn: [],
      queues: { 'item-events': { maxReceiveCount: 5, batchSize: 10 } },
    });
    expect(loadedCatalog.manifest.functions.createItem).toEqual({
      handler: 'src/create-item.ts', route: { method: 'POST', path: '/items' }, secrets: [], tables: {}, calls: [],
    });
    // What the manifest sets wins over the default.
    expect(loadedOrders.manifest.memoryMiB).toBe(512);
  });

  test('keeps the request body schema of a POST route, $ref inlined, as JSON Schema draft 4', () => {
    const [loadedCatalog, loadedOrders] = loadPair();
    expect(loadedCatalog.requestSchemas).toEqual({
      createItem: {
        $schema: 'http://json-schema.org/draft-04/schema#',
        type: 'object',
        required: ['sku'],
        properties: {
          sku: { type: 'string' },
          price: { type: 'number', minimum: 0 },
        },
      },
    });
    // The default contract describes POST /orders without a body: nothing to validate.
    expect(loadedOrders.requestSchemas).toEqual({});
  });

  test('ignores folders without service.ts and files next to the service folders', () => {
    const servicesDir = workspace(foldersOf(service('catalog')));
    fs.mkdirSync(path.join(servicesDir, 'shared', 'src'), { recursive: true });
    fs.writeFileSync(path.join(servicesDir, 'shared', 'src', 'util.ts'), 'export const x = 1;\n');
    fs.writeFileSync(path.join(servicesDir, 'README.md'), '# services\n');
    const manifests: Record<string, unknown> = { catalog: service('catalog') };
    const loadManifest = jest.fn((file: string) => manifests[path.basename(path.dirname(file))]);

    const services = loadServices({ servicesDir, organization, displayDir: 'services', loadManifest });

    expect(services.map(s => s.manifest.name)).toEqual(['catalog']);
    expect(loadManifest.mock.calls).toEqual([[path.join(servicesDir, 'catalog', 'service.ts')]]);
  });

  test('a service without routes needs no api.yaml', () => {
    const worker = service('worker', {
      functions: { drain: { handler: 'src/drain.ts', queue: 'jobs' } },
      queues: { jobs: {} },
      timeoutSeconds: 300,
    });
    expect(load({ worker: { manifest: worker, api: null } }).map(s => s.manifest.name)).toEqual(['worker']);
  });
});

describe('a manifest is refused when', () => {
  test('its name differs from its folder', () => {
    expect(problemsOf({ orders: { manifest: service('order') } })).toEqual([
      'services/orders/service.ts: name "order" does not match its folder; allowed: "orders"',
    ]);
  });

  test.each([
    ['the same path', '/items/{id}'],
    ['a path that differs only in parameter names', '/items/{itemId}'],
  ])('it serves a route another service owns: %s', (_, otherPath) => {
    const a = service('a', { functions: { getItem: { handler: 'src/get-item.ts', route: { method: 'GET', path: '/items/{id}' } } } });
    const b = service('b', { functions: { fetchItem: { handler: 'src/fetch-item.ts', route: { method: 'GET', path: otherPath } } } });
    expect(problemsOf(foldersOf(a, b))).toEqual([
      `services/b/service.ts: functions.fetchItem.route "GET ${otherPath}" is already owned by services/a`,
    ]);
  });

  test('two of its functions serve the same route', () => {
    const a = service('a', {
      functions: {
        getItem: { handler: 'src/get-item.ts', route: { method: 'GET', path: '/items/{id}' } },
        fetchItem: { handler: 'src/fetch-item.ts', route: { method: 'GET', path: '/items/{id}' } },
      },
    });
    const api = toYaml({
      openapi: '3.0.3',
      info: { title: 'a', version: '1' },
      paths: { '/items/{id}': { get: { responses: {} } } },
    });
    expect(problemsOf({ a: { manifest: a, api } })).toEqual([
      'services/a/service.ts: functions.fetchItem.route "GET /items/{id}" is already served by functions.getItem; a route has one function',
    ]);
  });

  test('two routes name the same path parameter differently (API Gateway allows one name per position)', () => {
    const a = service('a', {
      functions: {
        getItem: { handler: 'src/get-item.ts', route: { method: 'GET', path: '/items/{id}' } },
        deleteItem: { handler: 'src/delete-item.ts', route: { method: 'DELETE', path: '/items/{itemId}' } },
      },
    });
    const api = toYaml({
      openapi: '3.0.3',
      info: { title: 'a', version: '1' },
      paths: { '/items/{id}': { get: { responses: {} } }, '/items/{itemId}': { delete: { responses: {} } } },
    });
    expect(problemsOf({ a: { manifest: a, api } })).toEqual([
      'services/a/service.ts: functions.deleteItem.route.path "/items/{itemId}" names the parameter under /items {itemId}, '
      + 'but functions.getItem names it {id}; API Gateway allows one name per position',
    ]);
  });

  test('the same path with another method is not a duplicate route', () => {
    const a = service('a', { functions: { getItem: { handler: 'src/get-item.ts', route: { method: 'GET', path: '/items/{id}' } } } });
    const b = service('b', { functions: { putItem: { handler: 'src/put-item.ts', route: { method: 'PUT', path: '/items/{id}' } } } });
    expect(load(foldersOf(a, b))).toHaveLength(2);
  });

  test('its wave is not declared by the organization', () => {
    expect(problemsOf(foldersOf(service('a', { wave: 'edge' })))).toEqual([
      'services/a/service.ts: wave "edge" is not a wave declared in accounts/organization.ts (pipeline.waves); allowed: foundation, core',
    ]);
  });

  test('it names no on-call', () => {
    const { onCall: _, ...withoutOnCall } = service('a');
    expect(problemsOf(foldersOf(withoutOnCall as ServiceManifestInput))).toEqual([
      'services/a/service.ts: onCall is required (expected array)',
    ]);
  });

  test('an environment it deploys to would reach nobody when its alarms fire', () => {
    expect(problemsOf(foldersOf(service('a', { onCall: [{ email: 'a@test.example', environments: ['prod'] }] })))).toEqual([
      'services/a/service.ts: onCall reaches nobody for the alarms of dev; allowed: at least one endpoint for every environment '
        + 'the service deploys to (dev, prod): add one without `environments`, or list dev in one',
    ]);
    // A service that only deploys to prod needs no one for dev.
    expect(load(foldersOf(service('a', { environments: ['prod'], onCall: [{ email: 'a@test.example', environments: ['prod'] }] }))).map(s => s.manifest.name))
      .toEqual(['a']);
  });

  test('an on-call endpoint names an environment that does not exist', () => {
    expect(problemsOf(foldersOf(service('a', { onCall: [{ email: 'a@test.example' }, { email: 'b@test.example', environments: ['production'] }] })))).toEqual([
      'services/a/service.ts: onCall[1].environments[0] "production" is not an environment of accounts/organization.ts; allowed: dev, prod',
    ]);
  });

  test('it depends on a service that does not exist', () => {
    expect(problemsOf(foldersOf(service('a', { dependsOn: ['ghost'] }), service('b')))).toEqual([
      'services/a/service.ts: dependsOn[0] "ghost" is not a service; allowed: b',
    ]);
    expect(problemsOf(foldersOf(service('a', { dependsOn: ['ghost'] })))).toEqual([
      'services/a/service.ts: dependsOn[0] "ghost" is not a service; allowed: (no other services)',
    ]);
  });

  test('it depends on itself', () => {
    expect(problemsOf(foldersOf(service('a', { dependsOn: ['a'] })))).toEqual([
      'services/a/service.ts: dependsOn[0] "a" is the service itself',
    ]);
  });

  test('its dependencies form a cycle, reported once', () => {
    expect(problemsOf(foldersOf(service('a', { dependsOn: ['b'] }), service('b', { dependsOn: ['a'] })))).toEqual([
      'services/a/service.ts: dependsOn forms a cycle a -> b -> a; a service can only depend on services deployed before it',
    ]);
  });

  test('a longer cycle is named along its path', () => {
    const problems = problemsOf(foldersOf(
      service('a', { dependsOn: ['b'] }), service('b', { dependsOn: ['c'] }), service('c', { dependsOn: ['a'] }),
    ));
    expect(problems).toEqual([
      'services/a/service.ts: dependsOn forms a cycle a -> b -> c -> a; a service can only depend on services deployed before it',
    ]);
  });

  test('wave order between dependencies is left to the delivery plan (pipeline/delivery-plan.ts)', () => {
    const a = service('a', { wave: 'foundation', dependsOn: ['b', 'c'] });
    expect(load(foldersOf(a, service('b', { wave: 'core' }), service('c', { wave: 'foundation' })))).toHaveLength(3);
  });

  test.each([
    ['memoryMiB', 64, 'must be at least 128'],
    ['memoryMiB', 20000, 'must be at most 10240'],
    ['timeoutSeconds', 0, 'must be at least 1'],
    ['timeoutSeconds', 901, 'must be at most 900'],
  ] as const)('%s is %d, for the service or a function', (field, value, message) => {
    expect(problemsOf(foldersOf(service('a', { [field]: value })))).toEqual([
      `services/a/service.ts: ${field} ${value} ${message}`,
    ]);
    const fn = service('b', { functions: { work: { handler: 'src/work.ts', queue: 'jobs', [field]: value } }, queues: { jobs: {} } });
    expect(problemsOf(foldersOf(fn))).toEqual([
      `services/b/service.ts: functions.work.${field} ${value} ${message}`,
    ]);
  });

  test('a route function waits longer than API Gateway (its own timeout)', () => {
    const a = service('a', {
      functions: { getStatus: { handler: 'src/get-status.ts', route: { method: 'GET', path: '/a/status' }, timeoutSeconds: 30 } },
    });
    expect(problemsOf(foldersOf(a))).toEqual([
      'services/a/service.ts: functions.getStatus.timeoutSeconds 30 is longer than the 29 seconds API Gateway waits for functions.getStatus (a route); allowed: 1-29',
    ]);
  });

  test('a route function waits longer than API Gateway (the timeout it inherits from the service)', () => {
    expect(problemsOf(foldersOf(service('a', { timeoutSeconds: 60 })))).toEqual([
      'services/a/service.ts: timeoutSeconds 60 is longer than the 29 seconds API Gateway waits for functions.getStatus (a route); allowed: 1-29',
    ]);
  });

  test('long timeouts are fine for queue consumers, and a route may lower the service default', () => {
    const a = service('a', {
      timeoutSeconds: 300,
      functions: {
        getStatus: { handler: 'src/get-status.ts', route: { method: 'GET', path: '/a/status' }, timeoutSeconds: 29 },
        drain: { handler: 'src/drain.ts', queue: 'jobs' },
      },
      queues: { jobs: {} },
    });
    expect(load(foldersOf(a))).toHaveLength(1);
  });

  test('a queue\'s message schema is not a module reference, or its module does not exist', () => {
    const a = service('a', {
      functions: {
        getStatus: { handler: 'src/get-status.ts', route: { method: 'GET', path: '/a/status' } },
        drain: { handler: 'src/drain.ts', queue: 'jobs' },
      },
      queues: { jobs: { messageSchema: 'src/job.ts' }, tasks: { messageSchema: 'src/task.ts#TaskSchema' } },
    });
    expect(problemsOf(foldersOf(a))).toEqual([
      'services/a/service.ts: queues.jobs.messageSchema "src/job.ts" is not a message schema reference; '
      + 'allowed: <a .ts file under src/>#<export>, e.g. src/payment-event.ts#PaymentEventSchema',
    ]);
    delete (a.queues!.jobs as { messageSchema?: string }).messageSchema;
    expect(problemsOf(foldersOf(a))).toEqual([
      'services/a/service.ts: queues.tasks.messageSchema "src/task.ts#TaskSchema" names src/task.ts, which does not exist in services/a/; '
      + 'allowed: an existing .ts file exporting the schema',
    ]);
  });

  test('a handler file does not exist', () => {
    const a = service('a', {
      functions: { createOrder: { handler: 'src/missing.ts', route: { method: 'POST', path: '/orders' } } },
    });
    expect(problemsOf({ a: { manifest: a, withoutFiles: ['src/missing.ts'] } })).toEqual([
      'services/a/service.ts: functions.createOrder.handler "src/missing.ts" does not exist in services/a/; allowed: an existing .ts file exporting "handler"',
    ]);
  });

  test('a handler file does not exist, named under the display folder', () => {
    const a = service('a', {
      functions: { createOrder: { handler: 'src/missing.ts', route: { method: 'POST', path: '/orders' } } },
    });
    const servicesDir = workspace({ a: { manifest: a, withoutFiles: ['src/missing.ts'] } });
    const run = () => loadServices({ servicesDir, organization, displayDir: 'test/fixtures/services', loadManifest: () => a });
    expect(run).toThrow(new ConfigError([
      'test/fixtures/services/a/service.ts: functions.createOrder.handler "src/missing.ts" does not exist in test/fixtures/services/a/; allowed: an existing .ts file exporting "handler"',
    ]));
  });

  test('a function has both a route and a queue', () => {
    const a = service('a', {
      functions: { getStatus: { handler: 'src/get-status.ts', route: { method: 'GET', path: '/a/status' }, queue: 'jobs' } },
      queues: { jobs: {} },
    });
    expect(problemsOf(foldersOf(a))).toEqual([
      'services/a/service.ts: functions.getStatus must have exactly one trigger: either route or queue',
    ]);
  });

  test('a function has neither a route nor a queue', () => {
    const a = service('a', {
      functions: {
        getStatus: { handler: 'src/get-status.ts', route: { method: 'GET', path: '/a/status' } },
        idle: { handler: 'src/idle.ts' },
      },
    });
    expect(problemsOf(foldersOf(a))).toEqual([
      'services/a/service.ts: functions.idle must have exactly one trigger: either route or queue',
    ]);
  });

  test('a function consumes a queue the service does not declare', () => {
    const a = service('a', { functions: { drain: { handler: 'src/drain.ts', queue: 'jobs' } } });
    expect(problemsOf(foldersOf(a))).toEqual([
      'services/a/service.ts: functions.drain.queue "jobs" is not a queue of this service; allowed: (none declared)',
    ]);
    const b = service('b', { functions: { drain: { handler: 'src/drain.ts', queue: 'job' } }, queues: { jobs: {}, events: {} } });
    expect(problemsOf(foldersOf(b))).toEqual([
      'services/b/service.ts: functions.drain.queue "job" is not a queue of this service; allowed: jobs, events',
    ]);
  });

  test('two functions consume one queue', () => {
    const a = service('a', {
      functions: {
        first: { handler: 'src/first.ts', queue: 'jobs' },
        second: { handler: 'src/second.ts', queue: 'jobs' },
      },
      queues: { jobs: {} },
    });
    expect(problemsOf(foldersOf(a))).toEqual([
      'services/a/service.ts: functions.second.queue "jobs" is already consumed by functions.first; a queue has one consumer',
    ]);
  });

  test('a function uses a secret the service does not declare', () => {
    const a = service('a', {
      functions: { getStatus: { handler: 'src/get-status.ts', route: { method: 'GET', path: '/a/status' }, secrets: ['signing-key', 'api-key'] } },
      secrets: { 'signing-key': { description: 'Signs receipts' } },
    });
    expect(problemsOf(foldersOf(a))).toEqual([
      'services/a/service.ts: functions.getStatus.secrets[1] "api-key" is not a secret of this service; allowed: signing-key',
    ]);
  });

  test('a function uses a table the service does not declare', () => {
    const a = service('a', {
      functions: { getStatus: { handler: 'src/get-status.ts', route: { method: 'GET', path: '/a/status' }, tables: { order: 'read' } } },
      tables: { orders: { partitionKey: 'orderId' } },
    });
    expect(problemsOf(foldersOf(a))).toEqual([
      'services/a/service.ts: functions.getStatus.tables.order "order" is not a table of this service; allowed: orders',
    ]);
  });

  test('a function calls a service that is not in dependsOn', () => {
    const a = service('a', {
      functions: { getStatus: { handler: 'src/get-status.ts', route: { method: 'GET', path: '/a/status' }, calls: ['b'] } },
    });
    expect(problemsOf(foldersOf(a, service('b')))).toEqual([
      'services/a/service.ts: functions.getStatus.calls[0] "b" is not in dependsOn; allowed: (none declared)',
    ]);
  });

  test('a per-environment variable names an unknown environment', () => {
    const a = service('a', { environment: { LIMIT: { dev: '10', prod: '5', staging: '7' } } });
    expect(problemsOf(foldersOf(a))).toEqual([
      'services/a/service.ts: environment.LIMIT.staging "7" is for an unknown environment "staging"; allowed: dev, prod',
    ]);
  });

  test('a per-environment variable misses an environment', () => {
    const a = service('a', { environment: { CURRENCY: 'EUR', LIMIT: { dev: '10' } } });
    expect(problemsOf(foldersOf(a))).toEqual([
      'services/a/service.ts: environment.LIMIT has no value for environment(s) prod; give one for each of: dev, prod',
    ]);
  });

  test('a deployment override names an unknown environment', () => {
    const a = service('a', { deployment: { prod: 'canary-10-percent-15-minutes', staging: 'all-at-once' } });
    expect(problemsOf(foldersOf(a))).toEqual([
      'services/a/service.ts: deployment.staging "all-at-once" is for an unknown environment "staging"; allowed: dev, prod',
    ]);
  });

  test('it has an unknown or misspelt field', () => {
    const a = { ...service('a'), memorySize: 512 };
    expect(problemsOf({ a: { manifest: a } })).toEqual([
      'services/a/service.ts: (top level) has unknown field "memorySize" (check the spelling)',
    ]);
    const b = service('b');
    const misspelt = { ...b, functions: { getStatus: { ...b.functions.getStatus, timeout: 5 } } };
    expect(problemsOf({ b: { manifest: misspelt } })).toEqual([
      'services/b/service.ts: functions.getStatus has unknown field "timeout" (check the spelling)',
    ]);
  });
});

describe('public routes (route.scopes) are refused when', () => {
  const withEdges = loadSample(d => {
    d.pipeline.waves = ['foundation', 'core'];
    d.environments.forEach(e => { e.edge = { identity: { provider: 'cognito', domainPrefix: `test-${e.name}` } }; });
    productionEdgeBehindWaf(d);
  });
  // A contract with the route's scopes, so that only the manifest's problem shows.
  const api = (scopes: readonly string[]) => toYaml({
    openapi: '3.0.3',
    info: { title: 'a', version: '1' },
    paths: { '/a/status': { get: { security: [{ merchant: scopes }], responses: { 200: { description: 'ok' } } } } },
    components: { securitySchemes: { merchant: { type: 'oauth2', flows: { clientCredentials: { tokenUrl: 'https://t.example', scopes: Object.fromEntries(scopes.map(s => [s, s])) } } } } },
  });
  const publicService = (scopes: string[]) => service('a', {
    functions: { getStatus: { handler: 'src/get-status.ts', route: { method: 'GET', path: '/a/status', scopes } } },
  });

  test('a route of a service with an edge in every environment loads', () => {
    expect(load({ a: { manifest: publicService(['a/read']), api: api(['a/read']) } }, withEdges)).toHaveLength(1);
  });

  test('a scope is another service\'s, or not a scope', () => {
    expect(problemsOf({ a: { manifest: publicService(['b/read']), api: api(['b/read']) } }, withEdges)).toEqual([
      'services/a/service.ts: functions.getStatus.route.scopes[0] "b/read" is not a scope of this service; allowed: a/<name>, e.g. a/read',
    ]);
    expect(problemsOf({ a: { manifest: publicService(['read']), api: api(['read']) } }, withEdges)).toEqual([
      'services/a/service.ts: functions.getStatus.route.scopes[0] "read" is not a scope; allowed: <service>/<name> in lowercase, e.g. payments/read',
    ]);
  });

  test('an environment the service deploys to has no edge', () => {
    expect(problemsOf({ a: { manifest: publicService(['a/read']), api: api(['a/read']) } })).toEqual([
      'services/a/service.ts: functions.getStatus.route.scopes make the route public, but environment(s) dev, prod declare no edge '
      + '(environments[i].edge in accounts/organization.ts); allowed: scopes only where every environment the service deploys to has an edge',
    ]);
  });

  test('a route would move backwards in promotion (served in prod, by the monolith in dev)', () => {
    const org = loadSample(d => {
      d.pipeline.waves = ['foundation', 'core'];
      d.environments.forEach(e => { e.edge = { identity: { provider: 'cognito', domainPrefix: `test-${e.name}` }, monolithUrl: 'https://m.test.example' }; });
      d.monolith = { routes: ['GET /a/status'] };
      productionEdgeBehindWaf(d);
    });
    const prodOnly = { ...publicService(['a/read']), environments: ['prod'] };
    expect(problemsOf({ a: { manifest: prodOnly, api: api(['a/read']) } }, org)).toEqual([
      'services/a/service.ts: functions.getStatus.route "GET /a/status" is served by a from prod on, but not in the earlier dev (the monolith serves it there); '
      + 'promotion must not move a route backwards. Allowed: deploy a to dev too (environments in its manifest), or keep the route internal (no scopes) until it does',
    ]);
  });
});

describe('the api.yaml contract is refused when', () => {
  test('it is missing while the service has routes', () => {
    expect(problemsOf({ a: { manifest: service('a'), api: null } })).toEqual([
      'services/a/api.yaml: is missing; a service with routes publishes its OpenAPI 3.0 contract there',
    ]);
  });

  test('it does not describe a route of the manifest', () => {
    const a = service('a', {
      functions: {
        getStatus: { handler: 'src/get-status.ts', route: { method: 'GET', path: '/a/status' } },
        createOrder: { handler: 'src/create-order.ts', route: { method: 'POST', path: '/orders' } },
      },
    });
    const api = toYaml({ openapi: '3.0.3', info: { title: 'a', version: '1' }, paths: { '/a/status': { get: { responses: {} } } } });
    expect(problemsOf({ a: { manifest: a, api } })).toEqual([
      'services/a/api.yaml: paths["/orders"].post is missing; functions.createOrder serves POST /orders and the contract must describe it',
    ]);
  });

  test('it offers an operation the manifest does not have', () => {
    const api = toYaml({
      openapi: '3.0.3',
      info: { title: 'a', version: '1' },
      paths: { '/a/status': { get: { responses: {} }, delete: { responses: {} } } },
    });
    expect(problemsOf({ a: { manifest: service('a'), api } })).toEqual([
      'services/a/api.yaml: paths["/a/status"].delete is not a route of a; the manifest must declare every operation the contract offers',
    ]);
  });

  test('it is OpenAPI 3.1', () => {
    const api = toYaml({ openapi: '3.1.0', info: { title: 'a', version: '1' }, paths: { '/a/status': { get: { responses: {} } } } });
    expect(problemsOf({ a: { manifest: service('a'), api } })).toEqual([
      'services/a/api.yaml: openapi "3.1.0" is not supported; allowed: 3.0.x (API Gateway validates with JSON Schema draft 4)',
    ]);
  });

  test('it is not valid YAML', () => {
    expect(problemsOf({ a: { manifest: service('a'), api: 'openapi: 3.0.3\npaths:\n  /a/status: [get\n' } })).toEqual([
      'services/a/api.yaml: is not valid YAML (Flow sequence in block collection must be sufficiently indented and end with a ] at line 4, column 1:)',
    ]);
  });
});

describe('reporting', () => {
  test('a dependency whose own manifest is invalid is not reported as missing', () => {
    const a = { ...service('a'), owners: 'team-a' };
    expect(problemsOf({ a: { manifest: a }, b: { manifest: service('b', { dependsOn: ['a'] }) } })).toEqual([
      'services/a/service.ts: (top level) has unknown field "owners" (check the spelling)',
    ]);
  });

  test('reports the problems of every service together, each naming its file', () => {
    const a = service('a', { wave: 'edge' });
    const b = service('b', { functions: { getStatus: { handler: 'src/gone.ts', route: { method: 'GET', path: '/b/status' } } } });
    const c = { ...service('c'), owners: 'team-c' };
    const d = service('d', { dependsOn: ['d'], deployment: { qa: 'all-at-once' } });

    let error: unknown;
    try {
      load({ a: { manifest: a }, b: { manifest: b, withoutFiles: ['src/gone.ts'] }, c: { manifest: c }, d: { manifest: d } });
    } catch (e) {
      error = e;
    }

    expect(error).toBeInstanceOf(ConfigError);
    const problems = [
      'services/a/service.ts: wave "edge" is not a wave declared in accounts/organization.ts (pipeline.waves); allowed: foundation, core',
      'services/b/service.ts: functions.getStatus.handler "src/gone.ts" does not exist in services/b/; allowed: an existing .ts file exporting "handler"',
      'services/c/service.ts: (top level) has unknown field "owners" (check the spelling)',
      'services/d/service.ts: deployment.qa "all-at-once" is for an unknown environment "qa"; allowed: dev, prod',
      'services/d/service.ts: dependsOn[0] "d" is the service itself',
    ];
    expect((error as ConfigError).problems).toEqual(problems);
    expect((error as ConfigError).message).toBe(`5 problems:\n${problems.map(p => `  - ${p}`).join('\n')}`);
  });
});
