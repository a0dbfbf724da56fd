import * as z from 'zod';
import { EnvironmentError, requireEnv } from '../../../services/runtime/env';

describe('requireEnv', () => {
  afterEach(() => {
    delete process.env.TEST_TABLE_NAME;
  });

  test('returns the value of a set variable', () => {
    process.env.TEST_TABLE_NAME = 'payments-table';
    expect(requireEnv('TEST_TABLE_NAME')).toBe('payments-table');
  });

  test.each([undefined, ''])('names a missing variable and where it should come from (value %p)', value => {
    if (value !== undefined) process.env.TEST_TABLE_NAME = value;
    expect(() => requireEnv('TEST_TABLE_NAME')).toThrow(EnvironmentError);
    expect(() => requireEnv('TEST_TABLE_NAME')).toThrow(
      'environment variable TEST_TABLE_NAME is not set; the framework sets it from the service manifest (see runtimeVariables in services/service-model.ts)');
  });

  test('parses the value with a schema', () => {
    process.env.TEST_TABLE_NAME = '5000';
    expect(requireEnv('TEST_TABLE_NAME', z.coerce.number().pipe(z.int()))).toBe(5000);
  });

  test('names the variable, its value and the problem when the schema refuses it', () => {
    process.env.TEST_TABLE_NAME = 'lots';
    expect(() => requireEnv('TEST_TABLE_NAME', z.string().regex(/^\d+$/, { error: 'must be digits' })))
      .toThrow('environment variable TEST_TABLE_NAME "lots" is invalid: must be digits');
  });
});
