import { Organization, ResourceControlGuardrail } from '../accounts';
import { PolicyStatement } from './guardrails';

/**
 * The services whose resources hold the platform's data (payment records in
 * DynamoDB are reached only through the APIs and roles; these are the ones
 * with resource policies that could grant outsiders access). Resource control
 * policies support these (and a few more) services.
 */
export const DATA_PERIMETER_ACTIONS = ['s3:*', 'kms:*', 'secretsmanager:*', 'sqs:*'];

/**
 * A mistaken bucket, key, secret or queue policy must not hand data to
 * another AWS account: only principals of the organization, and AWS services
 * acting for one of its accounts (confused-deputy protection through
 * aws:SourceOrgID), can reach these resources, whatever their own policies say.
 */
export function denyAccessFromOutsideOrganization(organizationId: string): PolicyStatement[] {
  return [
    {
      Sid: 'DenyPrincipalsOutsideOrganization',
      Effect: 'Deny',
      Principal: '*',
      Action: DATA_PERIMETER_ACTIONS,
      Resource: '*',
      Condition: {
        StringNotEqualsIfExists: { 'aws:PrincipalOrgID': organizationId },
        BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' },
      },
    },
    {
      Sid: 'DenyServicesActingForOutsiders',
      Effect: 'Deny',
      Principal: '*',
      Action: DATA_PERIMETER_ACTIONS,
      Resource: '*',
      Condition: {
        StringNotEqualsIfExists: { 'aws:SourceOrgID': organizationId },
        Null: { 'aws:SourceAccount': 'false' },
        Bool: { 'aws:PrincipalIsAWSService': 'true' },
      },
    },
  ];
}

/**
 * Card and personal data travel only over TLS (PCI DSS 4.1): the data
 * services refuse plain-HTTP requests, whatever a resource's own policy says.
 */
export function denyInsecureTransport(): PolicyStatement[] {
  return [{
    Sid: 'DenyInsecureTransport',
    Effect: 'Deny',
    Principal: '*',
    Action: DATA_PERIMETER_ACTIONS,
    Resource: '*',
    Condition: { BoolIfExists: { 'aws:SecureTransport': 'false' } },
  }];
}

/** The statements of each resource control guardrail, for one organization. */
export function resourceControlGuardrail(name: ResourceControlGuardrail, organization: Organization): PolicyStatement[] {
  const guardrails: Record<ResourceControlGuardrail, () => PolicyStatement[]> = {
    'deny-access-from-outside-organization': () => denyAccessFromOutsideOrganization(organization.id),
    'deny-insecure-transport': denyInsecureTransport,
  };
  return guardrails[name]();
}
