import {
  BadRequestException,
  DisableOrganizationAdminAccountCommand,
  EnableOrganizationAdminAccountCommand,
  GuardDutyClient,
  ListOrganizationAdminAccountsCommand,
} from '@aws-sdk/client-guardduty';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import 'aws-sdk-client-mock-jest';
import { regionalClients as mockRegionalClients } from './regional-clients';
import { adminPhysicalId, handleGuardDutyAdminEvent } from '../../../governance/handlers/guardduty-admin';

const SECURITY = '100000000002';
const OTHER = '100000000009';

/** One mocked GuardDuty client per region; no delegated administrator yet. */
const regionalClients = () => mockRegionalClients(mock => mock.on(ListOrganizationAdminAccountsCommand).resolves({ AdminAccounts: [] }));

function event(requestType: 'Create' | 'Update' | 'Delete', props: Record<string, string>, old?: Record<string, string>): CloudFormationCustomResourceEvent {
  const base = {
    ServiceToken: 'arn:aws:lambda:eu-west-1:100000000000:function:provider',
    ResponseURL: 'https://example.invalid/response',
    StackId: 'arn:aws:cloudformation:eu-west-1:100000000000:stack/SecurityAdministration/1',
    RequestId: 'request-1',
    LogicalResourceId: 'GuardDutyDelegatedAdmin',
    ResourceType: 'Custom::GuardDutyDelegatedAdmin',
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:eu-west-1:100000000000:function:provider', ...props },
  };
  if (requestType === 'Create') return { ...base, RequestType: 'Create' };
  const physical = { PhysicalResourceId: adminPhysicalId(props.Region) };
  const oldProperties = { ServiceToken: base.ServiceToken, ...old };
  if (requestType === 'Delete') return { ...base, ...physical, RequestType: 'Delete' };
  return { ...base, ...physical, RequestType: 'Update', OldResourceProperties: oldProperties };
}

describe('GuardDuty delegated administrator handler', () => {
  test('create makes the security account administrator in the event\'s region only, through that region\'s client', async () => {
    const { deps, mock } = regionalClients();
    const central = mock('eu-central-1');
    const result = await handleGuardDutyAdminEvent(event('Create', { Region: 'eu-central-1', AdminAccountId: SECURITY }), deps);
    expect(central).toHaveReceivedCommandWith(EnableOrganizationAdminAccountCommand, { AdminAccountId: SECURITY });
    expect(central).toHaveReceivedCommandTimes(EnableOrganizationAdminAccountCommand, 1);
    expect(await central.send.thisValues[0]?.config.region()).toBe('eu-central-1');
    expect(result).toEqual({ PhysicalResourceId: 'guardduty-delegated-admin-eu-central-1', Data: { AdminAccountId: SECURITY } });
  });

  test('each region gets its own client and delegation', async () => {
    const { deps, mock } = regionalClients();
    await handleGuardDutyAdminEvent(event('Create', { Region: 'eu-west-1', AdminAccountId: SECURITY }), deps);
    await handleGuardDutyAdminEvent(event('Create', { Region: 'us-east-1', AdminAccountId: SECURITY }), deps);
    for (const region of ['eu-west-1', 'us-east-1']) {
      expect(mock(region)).toHaveReceivedCommandTimes(EnableOrganizationAdminAccountCommand, 1);
    }
  });

  test('is idempotent: an account that already is administrator is left alone', async () => {
    const { deps, mock } = regionalClients();
    mock('eu-west-1').on(ListOrganizationAdminAccountsCommand).resolves({ AdminAccounts: [{ AdminAccountId: SECURITY, AdminStatus: 'ENABLED' }] });
    const result = await handleGuardDutyAdminEvent(event('Create', { Region: 'eu-west-1', AdminAccountId: SECURITY }), deps);
    expect(mock('eu-west-1')).not.toHaveReceivedCommand(EnableOrganizationAdminAccountCommand);
    expect(result.PhysicalResourceId).toBe('guardduty-delegated-admin-eu-west-1');
  });

  test('refuses to take over from another administrator it did not appoint, saying how to fix it', async () => {
    const { deps, mock } = regionalClients();
    mock('eu-west-1').on(ListOrganizationAdminAccountsCommand).resolves({ AdminAccounts: [{ AdminAccountId: OTHER, AdminStatus: 'ENABLED' }] });
    await expect(handleGuardDutyAdminEvent(event('Create', { Region: 'eu-west-1', AdminAccountId: SECURITY }), deps)).rejects.toThrow(
      `GuardDuty in eu-west-1 already has delegated administrator ${OTHER}, not ${SECURITY}`);
    expect(mock('eu-west-1')).not.toHaveReceivedCommand(EnableOrganizationAdminAccountCommand);
    expect(mock('eu-west-1')).not.toHaveReceivedCommand(DisableOrganizationAdminAccountCommand);
  });

  test('an update to another account moves the delegation it made: disable the old, then enable the new', async () => {
    const { deps, mock } = regionalClients();
    const gd = mock('eu-west-1');
    gd.on(ListOrganizationAdminAccountsCommand).resolves({ AdminAccounts: [{ AdminAccountId: OTHER, AdminStatus: 'ENABLED' }] });
    await handleGuardDutyAdminEvent(event('Update', { Region: 'eu-west-1', AdminAccountId: SECURITY }, { Region: 'eu-west-1', AdminAccountId: OTHER }), deps);
    expect(gd).toHaveReceivedNthSpecificCommandWith(1, DisableOrganizationAdminAccountCommand, { AdminAccountId: OTHER });
    expect(gd).toHaveReceivedCommandWith(EnableOrganizationAdminAccountCommand, { AdminAccountId: SECURITY });
    const names = gd.calls().map(c => c.args[0].constructor.name);
    expect(names.indexOf('DisableOrganizationAdminAccountCommand')).toBeLessThan(names.indexOf('EnableOrganizationAdminAccountCommand'));
  });

  test('an administrator whose removal is still in progress does not count as the current one', async () => {
    const { deps, mock } = regionalClients();
    mock('eu-west-1').on(ListOrganizationAdminAccountsCommand).resolves({ AdminAccounts: [{ AdminAccountId: SECURITY, AdminStatus: 'DISABLE_IN_PROGRESS' }] });
    await handleGuardDutyAdminEvent(event('Create', { Region: 'eu-west-1', AdminAccountId: SECURITY }), deps);
    expect(mock('eu-west-1')).toHaveReceivedCommandWith(EnableOrganizationAdminAccountCommand, { AdminAccountId: SECURITY });
  });

  test('delete removes the delegation when the account holds it, and keeps the physical id', async () => {
    const { deps, mock } = regionalClients();
    mock('eu-west-1').on(ListOrganizationAdminAccountsCommand).resolves({ AdminAccounts: [{ AdminAccountId: SECURITY, AdminStatus: 'ENABLED' }] });
    const result = await handleGuardDutyAdminEvent(event('Delete', { Region: 'eu-west-1', AdminAccountId: SECURITY }), deps);
    expect(mock('eu-west-1')).toHaveReceivedCommandWith(DisableOrganizationAdminAccountCommand, { AdminAccountId: SECURITY });
    expect(result).toEqual({ PhysicalResourceId: 'guardduty-delegated-admin-eu-west-1' });
  });

  test('delete does nothing when the account is not (or no longer) administrator', async () => {
    const { deps, mock } = regionalClients();
    mock('eu-west-1').on(ListOrganizationAdminAccountsCommand).resolves({ AdminAccounts: [{ AdminAccountId: OTHER, AdminStatus: 'ENABLED' }] });
    await handleGuardDutyAdminEvent(event('Delete', { Region: 'eu-west-1', AdminAccountId: SECURITY }), deps);
    expect(mock('eu-west-1')).not.toHaveReceivedCommand(DisableOrganizationAdminAccountCommand);
  });

  test('reads every page of administrators', async () => {
    const { deps, mock } = regionalClients();
    mock('eu-west-1').on(ListOrganizationAdminAccountsCommand)
      .resolvesOnce({ AdminAccounts: [], NextToken: 'page-2' })
      .resolvesOnce({ AdminAccounts: [{ AdminAccountId: SECURITY, AdminStatus: 'ENABLED' }] });
    await handleGuardDutyAdminEvent(event('Create', { Region: 'eu-west-1', AdminAccountId: SECURITY }), deps);
    expect(mock('eu-west-1')).toHaveReceivedCommandWith(ListOrganizationAdminAccountsCommand, { NextToken: 'page-2' });
    expect(mock('eu-west-1')).not.toHaveReceivedCommand(EnableOrganizationAdminAccountCommand);
  });

  test('GuardDuty errors fail the deployment with GuardDuty\'s message', async () => {
    const { deps, mock } = regionalClients();
    mock('eu-west-1').on(EnableOrganizationAdminAccountCommand).rejects(new BadRequestException({ message: 'The account is not a member of the organization', $metadata: {} }));
    await expect(handleGuardDutyAdminEvent(event('Create', { Region: 'eu-west-1', AdminAccountId: SECURITY }), deps))
      .rejects.toThrow('The account is not a member of the organization');
  });

  test('bad properties fail before any call, naming the field', async () => {
    const { deps, mock } = regionalClients();
    await expect(handleGuardDutyAdminEvent(event('Create', { Region: 'eu-west-1', AdminAccountId: '12345' }), deps))
      .rejects.toThrow('ResourceProperties: AdminAccountId is not a 12-digit account id');
    expect(mock('eu-west-1').calls()).toHaveLength(0);
  });
});
