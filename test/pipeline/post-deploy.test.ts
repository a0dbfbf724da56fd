import { runWithFakeAws as run } from './fake-aws';
import { findApisScript } from '../../pipeline';

const find = findApisScript('acme-pay', 'staging', 'eu-west-1', 'arn:aws:iam::777777777777:role/platform-pipeline-observer', ['payments', 'ledger']);

describe('finding the APIs for the end-to-end suite', () => {
  test('exports each service\'s URL from its SSM parameter, for the commands that follow in the same shell', () => {
    const result = run(`${find.command} && node -e 'console.log(process.env.PAYMENTS_API_URL, process.env.LEDGER_API_URL)'`);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('https://payments.example/staging https://ledger.example/staging');
    expect(find.variables).toEqual(['PAYMENTS_API_URL', 'LEDGER_API_URL']);
  });

  test('fails when a service has not published its URL, before any suite runs', () => {
    const result = run(`${find.command} && echo suite ran`, { FAKE_MISSING: '/acme-pay/staging/services/ledger/api-url' });
    expect(result.status).not.toBe(0);
    expect(result.stdout).not.toContain('suite ran');
    expect(result.stderr).toContain('ParameterNotFound');
  });
});
