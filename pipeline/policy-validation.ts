import * as cdk from 'aws-cdk-lib';
import { AwsSolutionsChecks, PCIDSS321Checks, ServerlessChecks } from 'cdk-nag';

/**
 * The policy validation every synth runs (locally, in CI and in the
 * pipeline's build): cdk-nag's AWS Solutions, PCI DSS 3.2.1 and Serverless
 * packs. Any finding that is neither fixed nor acknowledged with a reason
 * (`Validations.of(x).acknowledge`) fails synth.
 */
export function addPolicyValidation(app: cdk.App): void {
  cdk.Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new PCIDSS321Checks(app), new ServerlessChecks(app));
}
