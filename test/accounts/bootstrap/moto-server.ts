import { Emulator, startEmulator } from '../../../services/local/emulator';

/** A moto server this test file started. */
export type MotoServer = Pick<Emulator, 'endpoint' | 'stop'>;

/**
 * Starts a fresh moto server on a free loopback port and waits until it
 * answers. Throws (so the suite fails, never skips) when moto is not
 * installed or does not start within `timeoutMs`.
 */
export function startMotoServer(timeoutMs = 30_000): Promise<MotoServer> {
  return startEmulator({ timeoutMs });
}
