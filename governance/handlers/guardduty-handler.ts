import { Logger } from '@aws-lambda-powertools/logger';
import { GuardDutyClient } from '@aws-sdk/client-guardduty';

/** What the CDK provider framework expects back from a custom resource handler. */
export interface ProviderResponse {
  readonly PhysicalResourceId: string;
  readonly Data?: Record<string, string>;
}

/** What the GuardDuty handlers talk to; tests pass mocked clients. */
export interface GuardDutyDependencies {
  /** A GuardDuty client for the region (GuardDuty's organization settings are regional). */
  readonly client: (region: string) => GuardDutyClient;
  readonly logger: Logger;
}

/** One GuardDuty client per region, created on first use and kept for the function's warm invocations. */
export function guardDutyClientPerRegion(): (region: string) => GuardDutyClient {
  const clients = new Map<string, GuardDutyClient>();
  return region => {
    let client = clients.get(region);
    if (!client) {
      client = new GuardDutyClient({ region });
      clients.set(region, client);
    }
    return client;
  };
}
