import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Bump when what is stored, or how keys are made, changes: older entries are then never read. */
const CACHE_FORMAT = 'lz-validation-cache/1';

/** Entries kept at most; the least recently used beyond it are deleted after a synth writes new ones. */
const DEFAULT_MAX_ENTRIES = 20_000;

/**
 * Results of policy validation kept on disk, by content: the key of an entry
 * is a hash of everything the result depends on (the template bytes, the
 * rules and their versions, the acknowledgements a plugin reads), so an entry
 * can only be read back for the same input and a changed input always misses.
 * A finding is stored like a pass: a cached result reports it again.
 *
 * Safe for parallel synths (test workers): entries are written to a temporary
 * file and renamed into place, and a damaged entry reads as a miss.
 */
export class ValidationCache {
  /** A key over `parts`, in order (strings and bytes). */
  public static key(...parts: ReadonlyArray<string | Buffer>): string {
    const hash = createHash('sha256').update(CACHE_FORMAT);
    for (const part of parts) {
      // Length-prefixed, so ("ab", "c") and ("a", "bc") differ.
      hash.update(`\0${Buffer.byteLength(part)}\0`).update(part);
    }
    return hash.digest('hex');
  }

  private written = 0;

  /**
   * @param dir where entries live (gitignored, e.g. `.build/validation-cache`)
   * @param maxEntries entries kept at most @default 20,000
   */
  constructor(public readonly dir: string, private readonly maxEntries: number = DEFAULT_MAX_ENTRIES) {}

  /** The value stored under `key`, or undefined. */
  public get<T>(key: string): T | undefined {
    const file = this.fileOf(key);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
    try {
      const entry = JSON.parse(text) as { key?: string; value?: T };
      if (entry.key !== key) return undefined;
      // Recently used: pruning keeps it.
      const now = new Date();
      fs.utimesSync(file, now, now);
      return entry.value;
    } catch {
      return undefined;
    }
  }

  /** Stores `value` (JSON) under `key`. */
  public set(key: string, value: unknown): void {
    const file = this.fileOf(key);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify({ key, value }));
    fs.renameSync(tmp, file);
    this.written++;
  }

  /** Deletes the least recently used entries beyond the limit, once this process has written some. */
  public prune(): void {
    if (this.written === 0 || !fs.existsSync(this.dir)) return;
    this.written = 0;
    const entries: Array<{ file: string; used: number }> = [];
    for (const shard of fs.readdirSync(this.dir)) {
      const dir = path.join(this.dir, shard);
      if (!fs.statSync(dir).isDirectory()) continue;
      for (const name of fs.readdirSync(dir)) {
        const file = path.join(dir, name);
        try {
          entries.push({ file, used: fs.statSync(file).mtimeMs });
        } catch {
          // Deleted by a parallel prune.
        }
      }
    }
    if (entries.length <= this.maxEntries) return;
    entries.sort((a, b) => a.used - b.used);
    for (const { file } of entries.slice(0, entries.length - this.maxEntries)) fs.rmSync(file, { force: true });
  }

  private fileOf(key: string): string {
    return path.join(this.dir, key.slice(0, 2), `${key}.json`);
  }
}
