import * as cdk from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { Organization, SHARED_ENVIRONMENT_TAG } from '../accounts';

/**
 * Tags a platform stack (or a stage or app of them) with the cost-allocation
 * tags the organization's tag policy fixes: `service` names the platform
 * part, `environment` is `shared`, owner and cost center come from
 * `governance.platformTags`. Service stacks tag themselves from their manifests.
 */
export function tagPlatformStacks(scope: IConstruct, organization: Organization, service: 'governance' | 'pipeline'): void {
  const tags = organization.governance.platformTags;
  cdk.Tags.of(scope).add('service', service);
  cdk.Tags.of(scope).add('environment', SHARED_ENVIRONMENT_TAG);
  cdk.Tags.of(scope).add('cost-center', tags.costCenter);
  cdk.Tags.of(scope).add('owner', tags.owner);
}
