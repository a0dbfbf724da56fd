import { envName } from '../services';

/**
 * The journey suite the pipelines run after the last wave of every
 * pre-production environment but the first (the first gets each service's
 * integration tests): the sample organization's payment flow and a short
 * load test (test/e2e/). A pipeline runs it where it deploys one of
 * `services`; the suite finds their APIs through the SSM parameters every
 * service publishes, so it works whether those services share its pipeline
 * or not. A platform with other journeys lists them here.
 */
export const END_TO_END_SUITE = {
  /** The services whose APIs the suite calls. */
  services: ['payments', 'ledger', 'notifications'],
  commands: ['npx tsx test/e2e/payment-flow.ts', 'npx tsx test/e2e/load.ts'],
  /** Thresholds of the short load test (see test/e2e/load.ts). */
  env: { LOAD_REQUESTS: '300', LOAD_CONCURRENCY: '10', LOAD_MAX_P99_MS: '1000', LOAD_MAX_ERROR_RATE: '0.01' },
} as const;

/** What {@link findApisScript} makes: a shell command and the variables it exports. */
export interface FindApisScript {
  /**
   * One shell command (steps joined by `&&`, so any failed call fails it):
   * assumes the observer role, reads each service's URL and exports it.
   */
  readonly command: string;
  /** The variables it exports: `<SERVICE>_API_URL`, as the suites read them. */
  readonly variables: readonly string[];
}

/**
 * The command that assumes `observerRoleArn` and exports `<SERVICE>_API_URL`
 * for each of `services`, read from the SSM parameters the services publish
 * in `region` (`/<org>/<env>/services/<service>/api-url`). Both engines run
 * it before the end-to-end suite.
 */
export function findApisScript(org: string, env: string, region: string, observerRoleArn: string, services: readonly string[]): FindApisScript {
  const variables = services.map(s => `${envName(s)}_API_URL`);
  const steps = [
    `creds=$(aws sts assume-role --role-arn ${observerRoleArn} --role-session-name e2e-urls --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text)`,
    'read -r key secret token <<<"$creds"',
    ...services.map((s, i) => `${variables[i]}=$(AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret AWS_SESSION_TOKEN=$token `
      + `aws ssm get-parameter --region ${region} --name /${org}/${env}/services/${s}/api-url --query Parameter.Value --output text)`),
    `export ${variables.join(' ')}`,
  ];
  return { command: steps.join(' && '), variables };
}
