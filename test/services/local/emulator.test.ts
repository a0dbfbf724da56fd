import * as net from 'node:net';
import { assertPortFree, LocalStageError, startEmulator } from '../../../services/local/emulator';

describe('the local stage\'s emulator and ports', () => {
  test('moto not installed: one line naming the missing file and the command that installs it', async () => {
    await expect(startEmulator({ bin: '/nowhere/.venv/bin/moto_server' })).rejects.toThrow(LocalStageError);
    await expect(startEmulator({ bin: '/nowhere/.venv/bin/moto_server' }))
      .rejects.toThrow('moto server is not installed (/nowhere/.venv/bin/moto_server is missing): run npx projen moto:install');
  });

  test('a port another process listens on is refused, naming the port and what it was for', async () => {
    const server = net.createServer();
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      await expect(assertPortFree(port, 'the ledger API')).rejects.toThrow(
        `port ${port} for the ledger API is taken by another process: stop it, or choose another port`);
    } finally {
      server.close();
    }
    await expect(assertPortFree(port, 'the ledger API')).resolves.toBeUndefined();
  });
});
