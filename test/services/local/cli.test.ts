import { ConfigError } from '../../../accounts';
import { describeEdge, describeFlags, parseLocalArgs } from '../../../services/local/cli';
import type { LocalStage } from '../../../services/local/stage';

describe('npx projen local: its command line', () => {
  test('defaults: every service, APIs from port 4100, the emulator on a free port', () => {
    expect(parseLocalArgs([])).toEqual({ help: false, only: undefined, port: 4100, emulatorPort: undefined });
  });

  test('--only, --port and --emulator-port, after the -- that projen passes on', () => {
    expect(parseLocalArgs(['--', '--only', 'payments, ledger', '--port=5000', '--emulator-port', '5999']))
      .toEqual({ help: false, only: ['payments', 'ledger'], port: 5000, emulatorPort: 5999 });
  });

  test.each([
    ['http://localhost:8080', 'http://localhost:8080'],
    ['https://monolith.dev.acme-pay.example/', 'https://monolith.dev.acme-pay.example'],
    ['http://127.0.0.1:9000/api/v1/', 'http://127.0.0.1:9000/api/v1'],
  ])('--monolith-url %s: the local edge\'s monolith, as %s', (given, used) => {
    expect(parseLocalArgs(['--monolith-url', given]).monolithUrl).toBe(used);
  });

  test.each([
    [['--port', '80'], 'npx projen local: --port "80" is not a port; allowed: a number from 1024 to 65535'],
    [['--emulator-port', 'five'], 'npx projen local: --emulator-port "five" is not a port; allowed: a number from 1024 to 65535'],
    [['--only', ','], 'npx projen local: --only "," names no service; allowed: service names separated by commas, e.g. payments,ledger'],
    [['--services', 'a'], 'npx projen local: --services is not an option; allowed: --only, --port, --emulator-port, --monolith-url, --help, -h'],
    [['payments'], 'npx projen local: "payments" is not an option; allowed: --only, --port, --emulator-port, --monolith-url, --help'],
    ...['ftp://monolith.example', 'localhost:8080', 'http://localhost:8080/?debug=1', 'http://localhost:8080/#top', 'monolith'].map((url): [string[], string] => [['--monolith-url', url],
      `npx projen local: --monolith-url ${JSON.stringify(url)} is not an http(s) base URL; allowed: http:// or https:// with a host, without query or fragment, e.g. http://localhost:8080`]),
    [['--port'], 'npx projen local: --port needs a value: --port <port>'],
  ])('%j: %s', (argv, message) => {
    expect(() => parseLocalArgs(argv)).toThrow(ConfigError);
    expect(() => parseLocalArgs(argv)).toThrow(message);
  });

  test('every problem at once', () => {
    expect(() => parseLocalArgs(['--port', '1', '--emulator-port', '2'])).toThrow(/--port "1"[\s\S]*--emulator-port "2"/);
  });
});

describe('npx projen local: what it prints of the edge', () => {
  const stage = (edge?: LocalStage['edge']) => ({ edge }) as LocalStage;

  test('the edge URL, the token URL with the local secret, and curl to get a token and read a payment through the edge', () => {
    const lines = describeEdge(stage({
      url: 'http://127.0.0.1:4200/local/', tokenUrl: 'http://127.0.0.1:4300/oauth2/token', issuer: 'http://127.0.0.1:4300', monolithUrl: 'http://127.0.0.1:4400', standInMonolith: false,
    })).join('\n');
    expect(lines).toContain('Public edge (merchants\' API, OAuth 2.0 tokens): http://127.0.0.1:4200/local/');
    expect(lines).toContain('routes no service serves go to the monolith at http://127.0.0.1:4400');
    // The local issuer's fixed test credential, not a secret: gitleaks:allow
    expect(lines).toContain('curl -s -u merchant-1:local-secret -d grant_type=client_credentials http://127.0.0.1:4300/oauth2/token'); // gitleaks:allow
    expect(lines).toMatch(/curl -H "Authorization: Bearer \$TOKEN" http:\/\/127\.0\.0\.1:4200\/local\/payments\/pay_/);
  });

  test('nothing without an edge; the stand-in monolith, or none, said plainly', () => {
    expect(describeEdge(stage())).toEqual([]);
    expect(describeEdge(stage({ url: 'u', tokenUrl: 't', issuer: 'i', standInMonolith: false })).join('\n')).toContain('no monolith (they answer 404)');
    expect(describeEdge(stage({ url: 'u', tokenUrl: 't', issuer: 'i', monolithUrl: 'http://127.0.0.1:4400', standInMonolith: true })).join('\n'))
      .toContain('a stand-in monolith that echoes each request, http://127.0.0.1:4400 (--monolith-url to use yours)');
  });
});

describe('npx projen local: what it prints of the feature flags', () => {
  test('the flags URL, each service\'s flags and file, and curl to flip one', () => {
    const lines = describeFlags({
      flagsUrl: 'http://127.0.0.1:4500/_local/flags',
      flags: { payments: { file: '/tmp/stage-x/flags/payments.json', names: ['acceptJpy'] } },
    }).join('\n');
    expect(lines).toContain('Feature flags (the manifests\' local settings; a flip reaches the functions within a second): http://127.0.0.1:4500/_local/flags');
    expect(lines).toContain('payments (acceptJpy): GET http://127.0.0.1:4500/_local/flags/payments   file /tmp/stage-x/flags/payments.json');
    expect(lines).toContain('curl -X PUT -d false http://127.0.0.1:4500/_local/flags/payments/acceptJpy');
    expect(lines).toContain('curl -X PUT -d \'{"value":false,"targeting":{"merchants":["merchant-1"],"percent":10}}\' http://127.0.0.1:4500/_local/flags/payments/acceptJpy');
  });

  test('nothing when no service on the stage declares flags', () => {
    expect(describeFlags({ flagsUrl: 'http://127.0.0.1:4500/_local/flags', flags: {} })).toEqual([]);
  });
});
