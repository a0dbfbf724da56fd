import { ConfigError } from '../../../accounts';
import { parseLocalArgs } from '../../../services/local/cli';

describe('npx projen local: its command line', () => {
  test('defaults: every service, APIs from port 4100, the emulator on a free port', () => {
    expect(parseLocalArgs([])).toEqual({ help: false, only: undefined, port: 4100, emulatorPort: undefined });
  });

  test('--only, --port and --emulator-port, after the -- that projen passes on', () => {
    expect(parseLocalArgs(['--', '--only', 'payments, ledger', '--port=5000', '--emulator-port', '5999']))
      .toEqual({ help: false, only: ['payments', 'ledger'], port: 5000, emulatorPort: 5999 });
  });

  test.each([
    [['--port', '80'], 'npx projen local: --port "80" is not a port; allowed: a number from 1024 to 65535'],
    [['--emulator-port', 'five'], 'npx projen local: --emulator-port "five" is not a port; allowed: a number from 1024 to 65535'],
    [['--only', ','], 'npx projen local: --only "," names no service; allowed: service names separated by commas, e.g. payments,ledger'],
    [['--services', 'a'], 'npx projen local: --services is not an option; allowed: --only, --port, --emulator-port, --help, -h'],
    [['payments'], 'npx projen local: "payments" is not an option; allowed: --only, --port, --emulator-port, --help'],
    [['--port'], 'npx projen local: --port needs a value: --port <port>'],
  ])('%j: %s', (argv, message) => {
    expect(() => parseLocalArgs(argv)).toThrow(ConfigError);
    expect(() => parseLocalArgs(argv)).toThrow(message);
  });

  test('every problem at once', () => {
    expect(() => parseLocalArgs(['--port', '1', '--emulator-port', '2'])).toThrow(/--port "1"[\s\S]*--emulator-port "2"/);
  });
});
