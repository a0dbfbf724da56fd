/**
 * The platform team's bootstrap tool: reconciles the AWS organization with
 * accounts/organization.ts, writes accounts/accounts.lock.json and
 * CDK-bootstraps the accounts. Entry point: `cli.ts` (`npx projen bootstrap`).
 */
export * from './aws-clients';
export * from './aws-errors';
export * from './bootstrap-targets';
export * from './cdk-bootstrap';
export * from './cdk-runner';
export * from './cli-args';
export { runCli, CliDependencies, EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE } from './cli';
export * from './create-account';
export * from './execution-policy';
export * from './execution-policy-sync';
export * from './lock-store';
export * from './management-account';
export * from './organization-state';
export * from './reconcile-apply';
export * from './reconcile-plan';
export * from './report';
export * from './retry';
export * from './translate-aws-errors';
