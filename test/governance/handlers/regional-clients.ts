import { Logger } from '@aws-lambda-powertools/logger';
import { GuardDutyClient } from '@aws-sdk/client-guardduty';
import { AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { GuardDutyDependencies } from '../../../governance/handlers/guardduty-handler';

/** The handlers' dependencies, and the mock behind each region's client. */
export interface RegionalClients {
  readonly deps: GuardDutyDependencies;
  readonly mock: (region: string) => AwsClientStub<GuardDutyClient>;
}

/**
 * One mocked GuardDuty client per region, created as the handler asks for
 * it; `prepare` sets each new mock's default answers.
 */
export function regionalClients(prepare: (mock: AwsClientStub<GuardDutyClient>, region: string) => void): RegionalClients {
  const logger = new Logger({ logLevel: 'SILENT' });
  const mocks = new Map<string, AwsClientStub<GuardDutyClient>>();
  const clients = new Map<string, GuardDutyClient>();
  const get = (region: string) => {
    if (!clients.has(region)) {
      const client = new GuardDutyClient({ region });
      const mock = mockClient(client);
      prepare(mock, region);
      clients.set(region, client);
      mocks.set(region, mock);
    }
    return clients.get(region)!;
  };
  return { deps: { client: get, logger }, mock: region => { get(region); return mocks.get(region)!; } };
}
