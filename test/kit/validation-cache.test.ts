import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ValidationCache } from '../../kit';

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'validation-cache-'));

describe('ValidationCache', () => {
  test('reads back what was stored under a key, and nothing under another', () => {
    const cache = new ValidationCache(tempDir());
    const key = ValidationCache.key('rules v1', 'template');
    expect(cache.get(key)).toBeUndefined();
    cache.set(key, [{ ruleName: 'r', violatingResources: [] }]);
    expect(cache.get(key)).toEqual([{ ruleName: 'r', violatingResources: [] }]);
    expect(cache.get(ValidationCache.key('rules v2', 'template'))).toBeUndefined();
  });

  test('a key changes with any part, and parts cannot be shifted into each other', () => {
    const base = ValidationCache.key('a', 'bc');
    expect(ValidationCache.key('a', 'bc')).toBe(base);
    expect(ValidationCache.key('ab', 'c')).not.toBe(base);
    expect(ValidationCache.key('a', 'bd')).not.toBe(base);
    expect(ValidationCache.key('a', Buffer.from('bc'))).toBe(base);
    expect(ValidationCache.key('a', 'bc', '')).not.toBe(base);
  });

  test('a damaged entry, or one stored under another key, reads as a miss', () => {
    const dir = tempDir();
    const cache = new ValidationCache(dir);
    const key = ValidationCache.key('x');
    cache.set(key, 'value');
    const file = path.join(dir, key.slice(0, 2), `${key}.json`);
    fs.writeFileSync(file, '{"key": "');
    expect(cache.get(key)).toBeUndefined();
    fs.writeFileSync(file, JSON.stringify({ key: ValidationCache.key('y'), value: 'other' }));
    expect(cache.get(key)).toBeUndefined();
  });

  test('prune keeps the most recently used entries up to the limit', () => {
    const dir = tempDir();
    const cache = new ValidationCache(dir, 2);
    const keys = ['1', '2', '3'].map(k => ValidationCache.key(k));
    keys.forEach((key, i) => {
      cache.set(key, i);
      const at = new Date(Date.now() - (10 - i) * 60_000);
      fs.utimesSync(path.join(dir, key.slice(0, 2), `${key}.json`), at, at);
    });
    // Reading the oldest makes it the most recently used.
    expect(cache.get(keys[0])).toBe(0);
    cache.prune();
    expect(cache.get(keys[0])).toBe(0);
    expect(cache.get(keys[1])).toBeUndefined();
    expect(cache.get(keys[2])).toBe(2);
  });
});
