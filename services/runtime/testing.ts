/**
 * Builders of Lambda events and contexts for handler tests. Not used by
 * handler code (so never bundled): import it from tests only.
 */
import type { APIGatewayProxyEvent, Context, SQSEvent, SQSRecord } from 'aws-lambda';

/**
 * Sets the variables a handler module reads when it loads, plus quiet
 * Powertools defaults (no log lines, no metric blobs) unless `vars` set them.
 * Handler modules read them when they load: call it in a module that the
 * test imports before the handler (`import './environment';` first).
 */
export function setTestEnvironment(vars: Readonly<Record<string, string>>): void {
  Object.assign(process.env, {
    POWERTOOLS_SERVICE_NAME: 'test-service',
    POWERTOOLS_METRICS_NAMESPACE: 'test',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_TRACE_ENABLED: 'false',
    AWS_REGION: 'eu-west-1',
    ENVIRONMENT: 'test',
    ...vars,
  });
}

/** What an API Gateway REST proxy event may be built from. */
export interface ApiEventOptions {
  readonly method?: string;
  /** The resource, e.g. `/payments/{paymentId}`. */
  readonly resource?: string;
  readonly pathParameters?: Record<string, string>;
  readonly queryStringParameters?: Record<string, string>;
  readonly headers?: Record<string, string>;
  /** Serialized as JSON; a string is sent as is. @default - no body */
  readonly body?: unknown;
  /**
   * The merchant whose access token the public edge verified: sets the
   * edge authorizer's output, as the edge passes it on.
   * @default - no authorizer output: a service calling through its IAM API
   */
  readonly merchant?: TestMerchant;
}

/** A merchant calling through the public edge, for {@link ApiEventOptions.merchant}. */
export interface TestMerchant {
  readonly merchantId: string;
  /** The access token's scopes. @default - none */
  readonly scopes?: readonly string[];
}

/** The output of the edge's Lambda authorizer for `merchant` (the identity contract of services/runtime/merchant.ts). */
export function edgeAuthorizer(merchant: TestMerchant): { lambda: { merchantId: string; scopes: string; clientId: string } } {
  return { lambda: { merchantId: merchant.merchantId, scopes: (merchant.scopes ?? []).join(' '), clientId: merchant.merchantId } };
}

/**
 * An API Gateway proxy event as the Lambda integration receives it: from the
 * service's IAM-authorized API, or from the public edge when `merchant` is given
 * (the IAM identity is kept then too: harmless, the authorizer output decides).
 */
export function apiEvent(options: ApiEventOptions = {}): APIGatewayProxyEvent {
  const resource = options.resource ?? '/';
  const path = resource.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(options.pathParameters?.[name] ?? name));
  const method = options.method ?? 'GET';
  return {
    resource,
    path,
    httpMethod: method,
    headers: options.headers ?? {},
    multiValueHeaders: {},
    queryStringParameters: options.queryStringParameters ?? null,
    multiValueQueryStringParameters: null,
    pathParameters: options.pathParameters ?? null,
    stageVariables: null,
    body: options.body === undefined ? null : typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      authorizer: options.merchant ? edgeAuthorizer(options.merchant) : null,
      protocol: 'HTTP/1.1',
      httpMethod: method,
      path: `/test${path}`,
      stage: 'test',
      requestId: 'request-1',
      requestTimeEpoch: 0,
      resourceId: 'res',
      resourcePath: resource,
      identity: iamIdentity({
        accountId: '123456789012',
        caller: 'AROAEXAMPLE:caller',
        userAgent: 'test',
        userArn: 'arn:aws:sts::123456789012:assumed-role/caller/test',
      }),
    },
  };
}

/** Who called, as an IAM-authorized REST API puts it in `requestContext.identity` (the rest null). */
export function iamIdentity(caller: {
  readonly accountId: string;
  readonly caller: string | null;
  readonly userArn: string | null;
  readonly userAgent: string | null;
  readonly accessKey?: string | null;
}): APIGatewayProxyEvent['requestContext']['identity'] {
  return {
    accessKey: caller.accessKey ?? null,
    accountId: caller.accountId,
    apiKey: null,
    apiKeyId: null,
    caller: caller.caller,
    clientCert: null,
    cognitoAuthenticationProvider: null,
    cognitoAuthenticationType: null,
    cognitoIdentityId: null,
    cognitoIdentityPoolId: null,
    principalOrgId: null,
    sourceIp: '127.0.0.1',
    user: caller.caller,
    userAgent: caller.userAgent,
    userArn: caller.userArn,
  };
}

/** An SQS record with `body` (objects are serialized as JSON). */
export function sqsRecord(body: unknown, messageId: string): SQSRecord {
  return {
    messageId,
    receiptHandle: `handle-${messageId}`,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '0',
      SenderId: 'AROAEXAMPLE',
      ApproximateFirstReceiveTimestamp: '0',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:queue',
    awsRegion: 'eu-west-1',
  };
}

/** An SQS batch of the given bodies; message ids are `m-1`, `m-2`, ... */
export function sqsEvent(bodies: readonly unknown[]): SQSEvent {
  return { Records: bodies.map((body, i) => sqsRecord(body, `m-${i + 1}`)) };
}

/** A Lambda context with plenty of time left. */
export function lambdaContext(): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'test-function',
    functionVersion: '1',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:test-function:live',
    memoryLimitInMB: '256',
    awsRequestId: 'aws-request-1',
    logGroupName: '/aws/lambda/test-function',
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
