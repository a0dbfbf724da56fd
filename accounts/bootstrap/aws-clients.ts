import { IAMClient } from '@aws-sdk/client-iam';
import { OrganizationsClient, OrganizationsClientConfig } from '@aws-sdk/client-organizations';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromIni } from '@aws-sdk/credential-providers';
import { translateAwsErrors, TranslateOptions } from './translate-aws-errors';

/** Static AWS credentials. */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Credentials as the SDK clients take them: static, or a provider. */
export type CredentialsInput = NonNullable<OrganizationsClientConfig['credentials']>;

/** Where and as whom the tool calls AWS. */
export interface AwsConnection {
  /** Named profile of the shared config files. @default - the SDK's default credential chain */
  readonly profile?: string;
  /** Region of STS, IAM and CDK calls. */
  readonly region: string;
  /** Endpoint of every service (an emulator such as moto). @default - AWS */
  readonly endpointUrl?: string;
  /** Credentials to use instead of the profile or chain (tests, assumed roles). */
  readonly credentials?: CredentialsInput;
}

/**
 * Adaptive retry adds client-side rate limiting to the backoff, which
 * Organizations needs: it throttles per account at a few calls per second,
 * and a reconcile makes bursts of calls. 10 attempts ride out a burst.
 */
const RETRY = { retryMode: 'adaptive', maxAttempts: 10 } as const;

/**
 * Without a connection timeout, a firewalled endpoint hangs each attempt for
 * the operating system's TCP timeout (minutes); 10 s is ample for AWS.
 */
const HTTP = { requestHandler: { connectionTimeout: 10_000 } } as const;

/** Organizations is a global service served from us-east-1 (aws partition). */
export const ORGANIZATIONS_REGION = 'us-east-1';

/** Dummy credentials for a local emulator, which accepts any. */
export const EMULATOR_CREDENTIALS: AwsCredentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/** True for an endpoint on this machine (an emulator), never AWS. */
export function isLoopbackEndpoint(endpointUrl: string | undefined): boolean {
  if (!endpointUrl) return false;
  const host = new URL(endpointUrl).hostname;
  return host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
}

/**
 * The credentials of `connection`: explicit ones, else the profile, else the
 * SDK chain; for a loopback emulator without any credentials in the
 * environment, dummy ones (so `--endpoint-url http://localhost:PORT` just works).
 */
export function credentialsOf(connection: AwsConnection, env: NodeJS.ProcessEnv = process.env): CredentialsInput | undefined {
  if (connection.credentials) return connection.credentials;
  if (connection.profile) return fromIni({ profile: connection.profile });
  if (isLoopbackEndpoint(connection.endpointUrl) && !env.AWS_ACCESS_KEY_ID && !env.AWS_PROFILE) return EMULATOR_CREDENTIALS;
  return undefined;
}

/** An Organizations client for the management account. */
export function organizationsClient(connection: AwsConnection): OrganizationsClient {
  return translateAwsErrors(new OrganizationsClient({
    ...RETRY,
    ...HTTP,
    region: ORGANIZATIONS_REGION,
    endpoint: connection.endpointUrl,
    credentials: credentialsOf(connection),
  }), translateOptions(connection));
}

/** An STS client (assume role, caller identity). */
export function stsClient(connection: AwsConnection): STSClient {
  return translateAwsErrors(new STSClient({
    ...RETRY, ...HTTP, region: connection.region, endpoint: connection.endpointUrl, credentials: credentialsOf(connection),
  }), translateOptions(connection));
}

/** An IAM client. */
export function iamClient(connection: AwsConnection): IAMClient {
  return translateAwsErrors(new IAMClient({
    ...RETRY, ...HTTP, region: connection.region, endpoint: connection.endpointUrl, credentials: credentialsOf(connection),
  }), translateOptions(connection));
}

/**
 * How the clients of `connection` word AWS errors: the profile for login
 * advice, and the caller's ARN (asked of STS once, only when a call is denied)
 * because Organizations' access-denied messages name no principal.
 */
export function translateOptions(connection: AwsConnection, env: NodeJS.ProcessEnv = process.env): TranslateOptions {
  let arn: Promise<string | undefined> | undefined;
  return {
    profile: connection.profile ?? env.AWS_PROFILE,
    callerArn: () => {
      arn ??= new STSClient({
        ...HTTP, maxAttempts: 2, region: connection.region, endpoint: connection.endpointUrl, credentials: credentialsOf(connection),
      }).send(new GetCallerIdentityCommand({}))
        .then(identity => identity.Arn, () => undefined);
      return arn;
    },
  };
}
