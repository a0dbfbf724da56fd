import { ConfigError } from '../config-error';

/** What went wrong calling AWS, when it is the environment's fault rather than the tool's. */
export type AwsProblemKind =
  | 'no-credentials'
  | 'expired-credentials'
  | 'invalid-credentials'
  | 'not-management-account'
  | 'access-denied'
  | 'unreachable';

/**
 * An AWS call that failed for a reason the person running the tool fixes
 * outside the code (credentials, permissions, the account used, the network):
 * the CLI prints its one-line message without a stack trace.
 */
export class AwsCallError extends ConfigError {
  /** Which kind of problem it is; `access-denied` concerns one call, every other kind stops the run. */
  public readonly kind: AwsProblemKind;
  /**
   * The SDK's error. Deliberately not `cause`: the SDK's retry classifies an
   * error by its cause too, and would retry a network error we gave up on.
   */
  public readonly original?: unknown;

  constructor(kind: AwsProblemKind, message: string, original?: unknown) {
    super([oneLine(message)]);
    this.name = 'AwsCallError';
    this.kind = kind;
    this.original = original;
  }

  /** The same problem with `text` appended to its line (e.g. how to resume a half-done run). */
  withNote(text: string): AwsCallError {
    return new AwsCallError(this.kind, `${this.message}; ${text}`, this.original);
  }
}

/** True for an {@link AwsCallError} that every later call would hit too, so a run must stop (all kinds but `access-denied`). */
export function stopsTheRun(e: unknown): e is AwsCallError {
  return e instanceof AwsCallError && e.kind !== 'access-denied';
}

/** Where a failed call went and as whom; what {@link classifyAwsError} puts in its message. */
export interface AwsCallSite {
  /** IAM service prefix, e.g. `organizations`. */
  readonly service: string;
  /** The SDK command, e.g. `CreateAccountCommand`. */
  readonly command: string;
  readonly region?: string;
  /** Host (and port) the call was sent to. */
  readonly endpoint?: string;
  /** The named profile in use, for `aws sso login --profile` advice. */
  readonly profile?: string;
  /** ARN of the caller, when known (access-denied messages name it). */
  readonly principalArn?: string;
}

/** IAM service prefixes of the SDK clients, by client name (most are the lower-cased service name). */
const SERVICE_PREFIXES: Readonly<Record<string, string>> = {
  OrganizationsClient: 'organizations',
  STSClient: 'sts',
  IAMClient: 'iam',
  SSOClient: 'sso',
};

/** The IAM service prefix of an SDK client, e.g. `OrganizationsClient` -> `organizations`. */
export function servicePrefix(clientName: string): string {
  return SERVICE_PREFIXES[clientName] ?? clientName.replace(/Client$/, '').toLowerCase();
}

/**
 * The IAM action a command needs, e.g. (`organizations`, `CreateAccountCommand`)
 * -> `organizations:CreateAccount`. True for the Organizations, STS and IAM
 * calls of this tool; a few services name some actions differently (S3).
 */
export function iamAction(service: string, command: string): string {
  return `${service}:${command.replace(/Command$/, '')}`;
}

/** Errors of the credential providers (none found, an SSO session to renew). */
const PROVIDER_ERRORS = new Set(['CredentialsProviderError', 'TokenProviderError']);

/** Service errors for credentials past their expiry (STS and query APIs, JSON APIs, EC2). */
const EXPIRED_ERRORS = new Set(['ExpiredToken', 'ExpiredTokenException', 'RequestExpired', 'TokenRefreshRequired']);

/** Service errors for credentials AWS does not know or a signature it cannot check. */
const INVALID_ERRORS = new Set([
  'InvalidClientTokenId', 'UnrecognizedClientException', 'SignatureDoesNotMatch', 'InvalidSignatureException', 'IncompleteSignature',
  'InvalidAccessKeyId', 'AuthFailure',
]);

/** Service errors for a call the caller's policies do not allow. */
const DENIED_ERRORS = new Set([
  'AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'UnauthorizedAccess', 'AuthorizationError',
  'AuthorizationErrorException', 'NotAuthorized', 'Forbidden', 'AccessDeniedForDependencyException',
]);

/** Node.js socket and DNS error codes that mean the endpoint could not be reached. */
const NETWORK_CODES = new Set([
  'ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED',
]);

/** True when `e` says the endpoint could not be reached (DNS, refused or reset connection, timeout). */
export function isNetworkError(e: unknown): boolean {
  const { name, code, message } = fields(e);
  return NETWORK_CODES.has(code ?? '') || name === 'TimeoutError' || /socket hang up/i.test(message);
}

/**
 * Turns an SDK error into an {@link AwsCallError} naming the call, the
 * permission, the endpoint and what to do; undefined for anything else
 * (AWS's answers the tool handles itself, and bugs, which keep their stack).
 */
export function classifyAwsError(e: unknown, site: AwsCallSite): AwsCallError | undefined {
  if (e instanceof AwsCallError) return e;
  const { name, code, message, status } = fields(e);
  // A site that is no SDK command (credentials resolved directly) is named as given.
  const action = site.command.endsWith('Command') ? iamAction(site.service, site.command) : site.command;
  const where = `${site.command}${site.region ? ` in ${site.region}` : ''}`;
  if (name !== undefined && PROVIDER_ERRORS.has(name)) {
    if (/\bsso\b|token/i.test(message) || /UnauthorizedException/.test(message)) {
      const profile = site.profile ? `of profile "${site.profile}" ` : '';
      return new AwsCallError('expired-credentials', `the AWS SSO session ${profile}has expired or is invalid (${message}): `
        + `run \`${ssoLogin(site.profile)}\`, then run this command again`, e);
    }
    const source = site.profile ? `of profile "${site.profile}"` : 'from the environment, the shared config files or instance metadata';
    return new AwsCallError('no-credentials', `no AWS credentials could be loaded ${source} for ${action} (${message}): `
      + 'pass --profile <name> of the management account (after `aws sso login --profile <name>` or `aws configure --profile <name>`), '
      + 'or set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY', e);
  }
  if (name !== undefined && (EXPIRED_ERRORS.has(name) || /security token included in the request is expired/i.test(message))) {
    const clock = name === 'RequestExpired' ? ' (or this machine\'s clock is off by more than 15 minutes: check it)' : '';
    return new AwsCallError('expired-credentials', `the AWS credentials in use have expired${clock} (${name} on ${action}: ${message}): `
      + `${refreshAdvice(site.profile)}, then run this command again`, e);
  }
  if (name !== undefined && INVALID_ERRORS.has(name)) {
    return new AwsCallError('invalid-credentials', `AWS does not accept the credentials in use (${name} on ${action}: ${message}): `
      + `${refreshAdvice(site.profile)}, or check the access key and secret (and this machine's clock)`, e);
  }
  if (name !== undefined && (DENIED_ERRORS.has(name) || (status === 403 && !isNetworkError(e)))) {
    return new AwsCallError('access-denied', deniedMessage(name, message, action, where, site), e);
  }
  if (isNetworkError(e)) {
    const endpoint = site.endpoint ?? `the ${site.service} endpoint`;
    return new AwsCallError('unreachable', `cannot reach ${endpoint} (${site.service}${site.region ? ` in ${site.region}` : ''}) `
      + `for ${site.command}: ${code ?? name}: ${message}: check the network connection, any proxy (HTTPS_PROXY), `
      + 'the region (--region) and --endpoint-url', e);
  }
  return undefined;
}

function deniedMessage(name: string, message: string, action: string, where: string, site: AwsCallSite): string {
  const principal = principalIn(message) ?? site.principalArn ?? 'the credentials in use';
  const resource = /on resource:? (arn:\S+?)[.,;]?(?:\s|$)/.exec(message)?.[1];
  const explicit = /explicit deny in an? ([\w ]+?policy)/i.exec(message)?.[1];
  const scope = explicit ? ` (AWS: explicit deny in a ${explicit}: that policy must allow it too)` : '';
  if (name === 'AccessDeniedForDependencyException') {
    // Organizations creates a service-linked role for trusted access and similar features.
    return `${action} needs iam:CreateServiceLinkedRole, which is denied for ${principal} (${where}): `
      + `grant iam:CreateServiceLinkedRole for organizations.amazonaws.com to that principal${scope}`;
  }
  const on = resource ? ` on ${resource}` : '';
  const trust = action === 'sts:AssumeRole' ? ', and make sure the role\'s trust policy allows it' : '';
  return `${action} denied for ${principal} (${where}, ${name}): grant ${action}${on} to that principal in its IAM policy${trust}${scope}`;
}

/** The ARN AWS names in an access-denied message (`User: arn:... is not authorized`), if any. */
function principalIn(message: string): string | undefined {
  return /\b(arn:aws[\w-]*:(?:sts|iam)::\d{12}:[^\s,]+)/.exec(message)?.[1];
}

function ssoLogin(profile: string | undefined): string {
  return profile ? `aws sso login --profile ${profile}` : 'aws sso login --profile <the profile in use>';
}

function refreshAdvice(profile: string | undefined): string {
  return profile
    ? `refresh them: run \`aws sso login --profile ${profile}\` (for an SSO profile) or renew the profile's keys`
    : 'refresh them: run `aws sso login --profile <name>` and pass --profile <name>, '
      + 'or export new AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN';
}

function fields(e: unknown): { name?: string; code?: string; message: string; status?: number } {
  if (!(e instanceof Error)) return { message: String(e) };
  const extra = e as Error & { code?: unknown; $metadata?: { httpStatusCode?: number } };
  return {
    name: e.name,
    code: typeof extra.code === 'string' ? extra.code : undefined,
    message: e.message || e.name,
    status: extra.$metadata?.httpStatusCode,
  };
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
