import * as cdk from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { GuardrailsStack } from '../../governance';
import { loadSample } from '../fixtures/organization';

describe('GuardrailsStack', () => {
  const organization = loadSample();
  const stack = new GuardrailsStack(new cdk.App(), 'Guardrails', { organization });
  const template = Template.fromStack(stack);
  const policies = template.findResources('AWS::Organizations::Policy');
  const attachments = Object.values(policies).map(p => [p.Properties.Type, p.Properties.Name, p.Properties.TargetIds]);

  test('deploys to the management account in the home region', () => {
    expect(stack.account).toBe('100000000000');
    expect(stack.region).toBe('eu-west-1');
  });

  test('attaches each target\'s policies to exactly that target\'s id from the lock file', () => {
    expect(attachments).toEqual([
      ['SERVICE_CONTROL_POLICY', 'testorg-scp-root', ['r-test']],
      ['SERVICE_CONTROL_POLICY', 'testorg-scp-workloads', ['ou-test-workload']],
      ['SERVICE_CONTROL_POLICY', 'testorg-scp-workloads-prod', ['ou-test-wrkldprd']],
      ['RESOURCE_CONTROL_POLICY', 'testorg-rcp-root', ['r-test']],
      ['TAG_POLICY', 'testorg-tag-cost-allocation', ['r-test']],
    ]);
  });

  test('the root SCP holds the organization-wide guardrails, as an object', () => {
    template.hasResourceProperties('AWS::Organizations::Policy', {
      Name: 'testorg-scp-root',
      Content: {
        Version: '2012-10-17',
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 'organizations:LeaveOrganization', Resource: '*' }),
          Match.objectLike({
            Sid: 'DenyRegionsOutsideAllowList',
            Condition: Match.objectLike({
              StringNotEquals: { 'aws:RequestedRegion': ['eu-west-1', 'eu-central-1'] },
            }),
          }),
        ]),
      },
    });
  });

  test('only the prod OU gets the pipeline-only guardrail', () => {
    const withPipelineOnly = Object.values(policies)
      .filter(p => JSON.stringify(p.Properties.Content).includes('DenyChangesOutsidePipeline'))
      .map(p => p.Properties.TargetIds);
    expect(withPipelineOnly).toEqual([['ou-test-wrkldprd']]);
  });

  test('the prod SCP holds the organization access role to the bootstrap resources, as an object with NotResource', () => {
    template.hasResourceProperties('AWS::Organizations::Policy', {
      Name: 'testorg-scp-workloads-prod',
      Content: {
        Version: '2012-10-17',
        Statement: Match.arrayWith([Match.objectLike({
          Sid: 'AccessRoleOnlyBootstraps',
          Action: Match.arrayWith(['dynamodb:*', 'kms:*', 'lambda:*', 'sts:AssumeRole']),
          NotResource: [
            'arn:aws:iam::*:policy/platform-cdk-execution',
            'arn:aws:cloudformation:*:*:stack/CDKToolkit/*',
            'arn:aws:iam::*:role/cdk-hnb659fds-*',
            'arn:aws:s3:::cdk-hnb659fds-assets-*',
            'arn:aws:ssm:*:*:parameter/cdk-bootstrap/hnb659fds/*',
          ],
          Condition: { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/OrganizationAccountAccessRole' } },
        })]),
      },
    });
  });

  test('the RCP requires the organization id of the lock file', () => {
    template.hasResourceProperties('AWS::Organizations::Policy', {
      Type: 'RESOURCE_CONTROL_POLICY',
      Content: {
        Version: '2012-10-17',
        Statement: Match.arrayWith([Match.objectLike({
          Principal: '*',
          Condition: Match.objectLike({ StringNotEqualsIfExists: { 'aws:PrincipalOrgID': 'o-testorg123' } }),
        })]),
      },
    });
  });

  test('the tag policy fixes the four cost-allocation tag keys and the environment values', () => {
    template.hasResourceProperties('AWS::Organizations::Policy', {
      Type: 'TAG_POLICY',
      Content: {
        tags: {
          'service': Match.objectLike({ tag_key: { '@@assign': 'service' } }),
          'cost-center': Match.objectLike({ tag_key: { '@@assign': 'cost-center' } }),
          'owner': Match.objectLike({ tag_key: { '@@assign': 'owner' } }),
          'environment': Match.objectLike({ tag_value: { '@@assign': ['dev', 'prod', 'shared'] } }),
        },
      },
    });
  });
});
