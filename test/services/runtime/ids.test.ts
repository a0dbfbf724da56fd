import { deterministicUuid, idSchema } from '../../../services/runtime/ids';

describe('deterministicUuid', () => {
  test('gives the same RFC 9562 version 8 UUID for the same parts', () => {
    const id = deterministicUuid('payment', 'merchant-1', 'key-1');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(deterministicUuid('payment', 'merchant-1', 'key-1')).toBe(id);
  });

  test('gives different ids for different parts, however they are split', () => {
    const ids = new Set([
      deterministicUuid('payment', 'merchant-1', 'key-1'),
      deterministicUuid('payment', 'merchant-2', 'key-1'),
      deterministicUuid('payment', 'merchant-1', 'key-2'),
      deterministicUuid('ab', 'c'),
      deterministicUuid('a', 'bc'),
    ]);
    expect(ids.size).toBe(5);
  });
});

describe('idSchema', () => {
  test('accepts letters, digits, underscores and hyphens and names what it checks when refusing', () => {
    const schema = idSchema('merchant id');
    expect(schema.safeParse('merchant_42-eu').success).toBe(true);
    expect(schema.safeParse('-leading').error?.issues[0].message)
      .toBe('is not a valid merchant id; allowed: 1-64 letters, digits, "_" or "-", starting with a letter or digit');
    expect(schema.safeParse('x'.repeat(65)).success).toBe(false);
    expect(schema.safeParse(42).error?.issues[0].message).toBe('merchant id must be a string');
  });
});
