import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../config-error';
import { LockFile, parseLockFile, renderLockFile } from '../lock-model';

/** Where the lock file is read from and written to; injectable for tests. */
export interface LockStore {
  /** Name of the lock file in messages. */
  readonly name: string;
  /** The lock file's text, or undefined when there is none. */
  read(): string | undefined;
  /** Replaces the lock file's text. */
  write(text: string): void;
}

/** A lock file on disk, replaced atomically so an interrupted write never leaves half a file. */
export function fileLockStore(file: string, name: string = file): LockStore {
  return {
    name,
    read: () => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined),
    write: text => {
      const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
      fs.writeFileSync(temporary, text);
      fs.renameSync(temporary, file);
    },
  };
}

/** An in-memory lock store (tests, dry runs). */
export function memoryLockStore(initial?: string, name = 'accounts/accounts.lock.json'): LockStore & { text?: string; writes: number } {
  const store = {
    name,
    text: initial,
    writes: 0,
    read: () => store.text,
    write: (text: string) => {
      store.text = text;
      store.writes++;
    },
  };
  return store;
}

/** The committed lock file, or undefined when it is missing or invalid (drift reports that). */
export function readLock(store: LockStore): LockFile | undefined {
  const text = store.read();
  if (text === undefined) return undefined;
  try {
    return parseLockFile(text, store.name);
  } catch (e) {
    if (e instanceof ConfigError) return undefined;
    throw e;
  }
}

/** Writes `lock` in canonical form when it differs from what is stored; returns whether it wrote. */
export function writeLock(store: LockStore, lock: LockFile): boolean {
  const text = renderLockFile(lock);
  if (store.read() === text) return false;
  store.write(text);
  return true;
}
