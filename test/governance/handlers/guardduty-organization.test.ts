import {
  BadRequestException,
  CreateDetectorCommand,
  GuardDutyClient,
  InternalServerErrorException,
  ListDetectorsCommand,
  UpdateDetectorCommand,
  UpdateMemberDetectorsCommand,
  UpdateOrganizationConfigurationCommand,
} from '@aws-sdk/client-guardduty';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import 'aws-sdk-client-mock-jest';
import { regionalClients as mockRegionalClients } from './regional-clients';
import { handleGuardDutyOrganizationEvent, MEMBER_DETECTORS_PER_CALL, organizationPhysicalId } from '../../../governance/handlers/guardduty-organization';

const S3 = { Name: 'S3_DATA_EVENTS', AutoEnable: 'ALL' };
const RDS = { Name: 'RDS_LOGIN_EVENTS', AutoEnable: 'ALL' };
const RUNTIME = {
  Name: 'RUNTIME_MONITORING',
  AutoEnable: 'ALL',
  AdditionalConfiguration: [{ Name: 'ECS_FARGATE_AGENT_MANAGEMENT', AutoEnable: 'ALL' }, { Name: 'EKS_ADDON_MANAGEMENT', AutoEnable: 'NONE' }],
};

/** One mocked GuardDuty client per region; the administrator has a detector in each. */
const regionalClients = () => mockRegionalClients((mock, region) => mock.on(ListDetectorsCommand).resolves({ DetectorIds: [`detector-${region}`] }));

function event(requestType: 'Create' | 'Update' | 'Delete', region: string, features: unknown[] = [S3, RUNTIME],
  extra: Record<string, unknown> = {}): CloudFormationCustomResourceEvent {
  const props = {
    ServiceToken: 'arn:aws:lambda:eu-west-1:100000000002:function:provider', Region: region, AutoEnableOrganizationMembers: 'ALL', Features: features, ...extra,
  };
  const base = {
    ServiceToken: props.ServiceToken,
    ResponseURL: 'https://example.invalid/response',
    StackId: 'arn:aws:cloudformation:eu-west-1:100000000002:stack/SecurityServices/1',
    RequestId: 'request-1',
    LogicalResourceId: 'GuardDutyOrganizationConfiguration',
    ResourceType: 'Custom::GuardDutyOrganizationConfiguration',
    ResourceProperties: props,
  };
  if (requestType === 'Create') return { ...base, RequestType: 'Create' };
  const physical = { PhysicalResourceId: organizationPhysicalId(region) };
  if (requestType === 'Delete') return { ...base, ...physical, RequestType: 'Delete' };
  return { ...base, ...physical, RequestType: 'Update', OldResourceProperties: props };
}

describe('GuardDuty organization configuration handler', () => {
  test('create auto-enables every member account with the plans, on the administrator\'s existing detector', async () => {
    const { deps, mock } = regionalClients();
    const gd = mock('eu-west-1');
    const result = await handleGuardDutyOrganizationEvent(event('Create', 'eu-west-1'), deps);
    expect(gd).toHaveReceivedCommandWith(UpdateOrganizationConfigurationCommand, {
      DetectorId: 'detector-eu-west-1',
      AutoEnableOrganizationMembers: 'ALL',
      Features: [S3, RUNTIME],
    } as never);
    expect(gd).not.toHaveReceivedCommand(CreateDetectorCommand);
    expect(result).toEqual({
      PhysicalResourceId: 'guardduty-organization-configuration-eu-west-1',
      Data: { DetectorId: 'detector-eu-west-1', SkippedFeatures: '', UnprocessedAccounts: '' },
    });
    expect(gd).not.toHaveReceivedCommand(UpdateMemberDetectorsCommand);
  });

  test('without AdministratorFeatures (properties written before cost switches) the administrator\'s own detector gets the auto-enabled plans', async () => {
    const { deps, mock } = regionalClients();
    await handleGuardDutyOrganizationEvent(event('Create', 'eu-west-1'), deps);
    expect(mock('eu-west-1')).toHaveReceivedCommandWith(UpdateDetectorCommand, {
      DetectorId: 'detector-eu-west-1',
      Enable: true,
      Features: [
        { Name: 'S3_DATA_EVENTS', Status: 'ENABLED', AdditionalConfiguration: undefined },
        {
          Name: 'RUNTIME_MONITORING',
          Status: 'ENABLED',
          AdditionalConfiguration: [{ Name: 'ECS_FARGATE_AGENT_MANAGEMENT', Status: 'ENABLED' }, { Name: 'EKS_ADDON_MANAGEMENT', Status: 'DISABLED' }],
        },
      ],
    });
  });

  test('creates a detector (publishing every 15 minutes) when the administrator has none in the region', async () => {
    const { deps, mock } = regionalClients();
    const gd = mock('eu-central-1');
    gd.on(ListDetectorsCommand).resolves({ DetectorIds: [] });
    gd.on(CreateDetectorCommand).resolves({ DetectorId: 'new-detector' });
    const result = await handleGuardDutyOrganizationEvent(event('Create', 'eu-central-1'), deps);
    expect(gd).toHaveReceivedCommandWith(CreateDetectorCommand, { Enable: true, FindingPublishingFrequency: 'FIFTEEN_MINUTES' });
    expect(gd).toHaveReceivedCommandWith(UpdateOrganizationConfigurationCommand, { DetectorId: 'new-detector' });
    expect(result.Data?.DetectorId).toBe('new-detector');
  });

  test('configures each region through its own client', async () => {
    const { deps, mock } = regionalClients();
    await handleGuardDutyOrganizationEvent(event('Create', 'eu-west-1'), deps);
    await handleGuardDutyOrganizationEvent(event('Update', 'us-east-1'), deps);
    expect(mock('eu-west-1')).toHaveReceivedCommandWith(UpdateOrganizationConfigurationCommand, { DetectorId: 'detector-eu-west-1' });
    expect(mock('us-east-1')).toHaveReceivedCommandWith(UpdateOrganizationConfigurationCommand, { DetectorId: 'detector-us-east-1' });
    expect(mock('eu-west-1')).not.toHaveReceivedCommandWith(UpdateOrganizationConfigurationCommand, { DetectorId: 'detector-us-east-1' });
  });

  test('a plan the region does not offer is skipped and reported; the others and member enrolment still apply', async () => {
    const { deps, mock } = regionalClients();
    const gd = mock('eu-west-1');
    const unsupported = new BadRequestException({ message: 'The feature RDS_LOGIN_EVENTS is not supported in this region', $metadata: {} });
    gd.on(UpdateOrganizationConfigurationCommand).resolves({});
    gd.on(UpdateOrganizationConfigurationCommand, { Features: [S3, RDS, RUNTIME] } as never).rejects(unsupported);
    gd.on(UpdateOrganizationConfigurationCommand, { Features: [RDS] } as never).rejects(unsupported);
    const result = await handleGuardDutyOrganizationEvent(event('Create', 'eu-west-1', [S3, RDS, RUNTIME]), deps);
    expect(gd).toHaveReceivedCommandWith(UpdateOrganizationConfigurationCommand, { Features: undefined, AutoEnableOrganizationMembers: 'ALL' });
    expect(gd).toHaveReceivedCommandWith(UpdateOrganizationConfigurationCommand, { Features: [S3] } as never);
    expect(gd).toHaveReceivedCommandWith(UpdateOrganizationConfigurationCommand, { Features: [RUNTIME] } as never);
    expect(result.Data?.SkippedFeatures).toBe('RDS_LOGIN_EVENTS');
    const detectorUpdate = gd.commandCalls(UpdateDetectorCommand)[0].args[0].input;
    expect(detectorUpdate.Features?.map(f => f.Name)).toEqual(['S3_DATA_EVENTS', 'RUNTIME_MONITORING']);
  });

  test('a rejection that is not about plans (member enrolment itself refused) fails the deployment', async () => {
    const { deps, mock } = regionalClients();
    mock('eu-west-1').on(UpdateOrganizationConfigurationCommand)
      .rejects(new BadRequestException({ message: 'The request is rejected because the account is not the delegated administrator', $metadata: {} }));
    await expect(handleGuardDutyOrganizationEvent(event('Create', 'eu-west-1'), deps)).rejects.toThrow('not the delegated administrator');
    expect(mock('eu-west-1')).not.toHaveReceivedCommand(UpdateDetectorCommand);
  });

  test('errors other than a bad request fail at once, without retrying plan by plan', async () => {
    const { deps, mock } = regionalClients();
    mock('eu-west-1').on(UpdateOrganizationConfigurationCommand).rejects(new InternalServerErrorException({ message: 'boom', $metadata: {} }));
    await expect(handleGuardDutyOrganizationEvent(event('Create', 'eu-west-1'), deps)).rejects.toThrow('boom');
    expect(mock('eu-west-1')).toHaveReceivedCommandTimes(UpdateOrganizationConfigurationCommand, 1);
  });

  test('delete leaves GuardDuty running for the organization (no call at all)', async () => {
    const { deps, mock } = regionalClients();
    const result = await handleGuardDutyOrganizationEvent(event('Delete', 'eu-west-1'), deps);
    expect(mock('eu-west-1').calls()).toHaveLength(0);
    expect(result).toEqual({ PhysicalResourceId: 'guardduty-organization-configuration-eu-west-1' });
  });

  test('an unknown plan name fails before any call', async () => {
    const { deps, mock } = regionalClients();
    await expect(handleGuardDutyOrganizationEvent(event('Create', 'eu-west-1', [{ Name: 'S3_LOGS', AutoEnable: 'ALL' }]), deps))
      .rejects.toThrow(/ResourceProperties: Features\.0\.Name/);
    expect(mock('eu-west-1').calls()).toHaveLength(0);
  });

  describe('with cost switches', () => {
    const ON = (Name: string) => ({ Name, Status: 'ENABLED' });
    const OFF = (Name: string) => ({ Name, Status: 'DISABLED' });
    const RUNTIME_SELF_MANAGED = {
      Name: 'RUNTIME_MONITORING',
      Status: 'ENABLED',
      AdditionalConfiguration: [{ Name: 'ECS_FARGATE_AGENT_MANAGEMENT', Status: 'DISABLED' }, { Name: 'EKS_ADDON_MANAGEMENT', Status: 'DISABLED' }],
    };
    const ids = (from: number, count: number) => Array.from({ length: count }, (_, i) => String(200000000000 + from + i));

    test('the administrator\'s detector gets exactly AdministratorFeatures, disabled plans included', async () => {
      const { deps, mock } = regionalClients();
      const administrator = [OFF('S3_DATA_EVENTS'), RUNTIME_SELF_MANAGED];
      await handleGuardDutyOrganizationEvent(event('Create', 'eu-west-1', [S3, RUNTIME], { AdministratorFeatures: administrator }), deps);
      expect(mock('eu-west-1')).toHaveReceivedCommandWith(UpdateDetectorCommand, {
        DetectorId: 'detector-eu-west-1', Enable: true, Features: administrator,
      } as never);
    });

    test('each group of members gets its plans through UpdateMemberDetectors, at most 50 accounts a call, in order', async () => {
      const { deps, mock } = regionalClients();
      const gd = mock('eu-west-1');
      gd.on(UpdateMemberDetectorsCommand).resolves({ UnprocessedAccounts: [] });
      const sandbox = ids(0, 120);
      const dev = ids(500, 3);
      const result = await handleGuardDutyOrganizationEvent(event('Update', 'eu-west-1', [S3, RUNTIME], {
        AdministratorFeatures: [ON('S3_DATA_EVENTS')],
        MemberOverrides: [
          { AccountIds: sandbox, Features: [OFF('S3_DATA_EVENTS'), RUNTIME_SELF_MANAGED] },
          { AccountIds: dev, Features: [ON('S3_DATA_EVENTS'), OFF('RUNTIME_MONITORING')] },
        ],
      }), deps);
      expect(MEMBER_DETECTORS_PER_CALL).toBe(50);
      const calls = gd.commandCalls(UpdateMemberDetectorsCommand).map(c => c.args[0].input);
      expect(calls.map(c => c.AccountIds)).toEqual([sandbox.slice(0, 50), sandbox.slice(50, 100), sandbox.slice(100), dev]);
      expect(calls.map(c => c.DetectorId)).toEqual(Array(4).fill('detector-eu-west-1'));
      expect(calls[0].Features).toEqual([OFF('S3_DATA_EVENTS'), RUNTIME_SELF_MANAGED]);
      expect(calls[3].Features).toEqual([ON('S3_DATA_EVENTS'), OFF('RUNTIME_MONITORING')]);
      expect(result.Data?.UnprocessedAccounts).toBe('');
    });

    test('accounts GuardDuty cannot process are reported in the log and the response, without failing the deploy', async () => {
      const { deps, mock } = regionalClients();
      const warn = jest.spyOn(deps.logger, 'warn');
      const gd = mock('eu-west-1');
      gd.on(UpdateMemberDetectorsCommand).resolves({
        UnprocessedAccounts: [{ AccountId: '200000000001', Result: 'The request is rejected because the given account ID is not a member' }],
      });
      const result = await handleGuardDutyOrganizationEvent(event('Create', 'eu-west-1', [S3], {
        MemberOverrides: [{ AccountIds: ['200000000000', '200000000001'], Features: [OFF('S3_DATA_EVENTS')] }],
      }), deps);
      expect(result.Data?.UnprocessedAccounts).toBe('200000000001: The request is rejected because the given account ID is not a member');
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('could not set'), expect.objectContaining({ accountId: '200000000001', region: 'eu-west-1' }));
    });

    test('a plan the region does not offer is left out of the administrator\'s and the members\' plans; a group left with none is not sent', async () => {
      const { deps, mock } = regionalClients();
      const gd = mock('eu-west-1');
      const unsupported = new BadRequestException({ message: 'The feature RDS_LOGIN_EVENTS is not supported in this region', $metadata: {} });
      gd.on(UpdateOrganizationConfigurationCommand).resolves({});
      gd.on(UpdateOrganizationConfigurationCommand, { Features: [S3, RDS] } as never).rejects(unsupported);
      gd.on(UpdateOrganizationConfigurationCommand, { Features: [RDS] } as never).rejects(unsupported);
      gd.on(UpdateMemberDetectorsCommand).resolves({ UnprocessedAccounts: [] });
      const result = await handleGuardDutyOrganizationEvent(event('Create', 'eu-west-1', [S3, RDS], {
        AdministratorFeatures: [ON('S3_DATA_EVENTS'), OFF('RDS_LOGIN_EVENTS')],
        MemberOverrides: [
          { AccountIds: ['200000000000'], Features: [OFF('S3_DATA_EVENTS'), OFF('RDS_LOGIN_EVENTS')] },
          { AccountIds: ['200000000001'], Features: [OFF('RDS_LOGIN_EVENTS')] },
        ],
      }), deps);
      expect(result.Data?.SkippedFeatures).toBe('RDS_LOGIN_EVENTS');
      expect(gd.commandCalls(UpdateDetectorCommand)[0].args[0].input.Features).toEqual([ON('S3_DATA_EVENTS')]);
      const calls = gd.commandCalls(UpdateMemberDetectorsCommand).map(c => c.args[0].input);
      expect(calls).toEqual([{ DetectorId: 'detector-eu-west-1', AccountIds: ['200000000000'], Features: [OFF('S3_DATA_EVENTS')] }]);
    });

    test('a failed UpdateMemberDetectors call (not an unprocessed account) fails the deployment', async () => {
      const { deps, mock } = regionalClients();
      mock('eu-west-1').on(UpdateMemberDetectorsCommand).rejects(new InternalServerErrorException({ message: 'boom', $metadata: {} }));
      await expect(handleGuardDutyOrganizationEvent(event('Create', 'eu-west-1', [S3], {
        MemberOverrides: [{ AccountIds: ['200000000000'], Features: [OFF('S3_DATA_EVENTS')] }],
      }), deps)).rejects.toThrow('boom');
    });

    test('delete touches no member either', async () => {
      const { deps, mock } = regionalClients();
      await handleGuardDutyOrganizationEvent(event('Delete', 'eu-west-1', [S3], {
        MemberOverrides: [{ AccountIds: ['200000000000'], Features: [OFF('S3_DATA_EVENTS')] }],
      }), deps);
      expect(mock('eu-west-1').calls()).toHaveLength(0);
    });

    test('an override with an account id that is not one fails before any call', async () => {
      const { deps, mock } = regionalClients();
      await expect(handleGuardDutyOrganizationEvent(event('Create', 'eu-west-1', [S3], {
        MemberOverrides: [{ AccountIds: ['12345'], Features: [OFF('S3_DATA_EVENTS')] }],
      }), deps)).rejects.toThrow('ResourceProperties: MemberOverrides.0.AccountIds.0 is not a 12-digit account id');
      expect(mock('eu-west-1').calls()).toHaveLength(0);
    });
  });
});
