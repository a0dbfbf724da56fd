import * as cdk from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { denyLeavingOrganization, GuardrailsStack } from '../../governance';
import { loadSample } from '../fixtures/organization';

describe('GuardrailsStack', () => {
  const organization = loadSample();
  const stack = new GuardrailsStack(new cdk.App(), 'Guardrails', { organization });
  const template = Template.fromStack(stack);

  test('deploys to the management account in the home region', () => {
    expect(stack.account).toBe('100000000000');
    expect(stack.region).toBe('eu-west-1');
  });

  test('attaches the deny-leaving-organization SCP to the root, as an object', () => {
    template.hasResourceProperties('AWS::Organizations::Policy', {
      Type: 'SERVICE_CONTROL_POLICY',
      TargetIds: ['r-test'],
      Content: {
        Version: '2012-10-17',
        Statement: [Match.objectLike({ Effect: 'Deny', Action: 'organizations:LeaveOrganization', Resource: '*' })],
      },
    });
  });
});

describe('denyLeavingOrganization', () => {
  test('denies exactly LeaveOrganization, on every resource', () => {
    expect(denyLeavingOrganization()).toEqual([
      { Sid: 'DenyLeavingOrganization', Effect: 'Deny', Action: 'organizations:LeaveOrganization', Resource: '*' },
    ]);
  });
});
