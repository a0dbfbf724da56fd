import { classifyAwsError, isNetworkError, servicePrefix } from './aws-errors';

/** Attempts at an endpoint that cannot be reached, the first included, before the tool gives up on it. */
export const MAX_NETWORK_ATTEMPTS = 3;

/** How {@link translateAwsErrors} words its messages. */
export interface TranslateOptions {
  /** The named profile in use (for `aws sso login --profile` advice). @default - none named */
  readonly profile?: string;
  /** The caller's ARN, for access-denied messages whose AWS text names none (Organizations'). @default - "the credentials in use" */
  readonly callerArn?: () => Promise<string | undefined>;
}

/** The part of an SDK command's context read here. */
interface CallContext {
  readonly clientName?: string;
  readonly commandName?: string;
  readonly endpointV2?: { readonly url: URL };
}

/** The part of the arguments of a handler read here (an `HttpRequest` once built). */
interface CallArgs {
  readonly request?: unknown;
}

type Handler = (args: CallArgs) => Promise<unknown>;
type Middleware = (next: Handler, context: CallContext) => Handler;

/** The part of an SDK v3 middleware stack used here, independent of each client's input and output types. */
interface MiddlewareStack {
  add(middleware: Middleware, options: { step: 'initialize'; priority: 'high'; name: string }): void;
  addRelativeTo(middleware: Middleware, options: { relation: 'after'; toMiddleware: string; name: string }): void;
  identify(): string[];
}

/** An SDK v3 client (Organizations, STS, IAM, ...): its resolved config and middleware stack. */
export interface ClientWithMiddleware {
  readonly config: { readonly region?: unknown };
  readonly middlewareStack: object;
}

const TRANSLATE = 'platformTranslateAwsErrors';
const BOUND_NETWORK_RETRIES = 'platformBoundNetworkRetries';

/**
 * Makes every call of `client` fail with an `AwsCallError` (one line
 * naming the call, the IAM action, the endpoint and the fix) for missing,
 * expired or invalid credentials, access denied and unreachable endpoints,
 * and bounds the SDK's retries of an unreachable endpoint to
 * {@link MAX_NETWORK_ATTEMPTS}. Other errors pass unchanged. Idempotent.
 */
export function translateAwsErrors<C extends ClientWithMiddleware>(client: C, options: TranslateOptions = {}): C {
  // Each client's stack is typed with its own inputs and outputs; these middlewares only pass them through.
  const stack = client.middlewareStack as MiddlewareStack;
  if (stack.identify().some(entry => entry.startsWith(TRANSLATE))) return client;
  const region = async (): Promise<string | undefined> => {
    try {
      const value = client.config.region;
      return typeof value === 'function' ? String(await (value as () => Promise<unknown>)()) : value === undefined ? undefined : String(value);
    } catch {
      return undefined;
    }
  };

  // Outermost, so it sees the error after the SDK's retries, credential resolution included.
  stack.add((next, context) => async args => {
    try {
      return await next(args);
    } catch (e) {
      const site = {
        service: servicePrefix(context.clientName ?? 'Client'),
        command: context.commandName ?? 'the call',
        region: await region(),
        endpoint: context.endpointV2?.url.host,
        profile: options.profile,
      };
      let problem = classifyAwsError(e, site);
      if (problem?.kind === 'access-denied' && options.callerArn && !/ denied for arn:/.test(problem.message)) {
        const principalArn = await options.callerArn().catch(() => undefined);
        if (principalArn) problem = classifyAwsError(e, { ...site, principalArn });
      }
      throw problem ?? e;
    }
  }, { step: 'initialize', priority: 'high', name: TRANSLATE });

  // Inside the retry loop: the SDK retries network errors up to maxAttempts
  // (10 here, for throttling) with backoff, and a connection that times out
  // takes seconds each time. After a few attempts the endpoint is not coming
  // back: fail with a non-retryable error instead.
  const attempts = new WeakMap<object, number>();
  stack.addRelativeTo((next, context) => async args => {
    try {
      return await next(args);
    } catch (e) {
      if (!isNetworkError(e)) throw e;
      const count = (attempts.get(context) ?? 0) + 1;
      attempts.set(context, count);
      if (count < MAX_NETWORK_ATTEMPTS) throw e;
      throw classifyAwsError(e, {
        service: servicePrefix(context.clientName ?? 'Client'),
        command: context.commandName ?? 'the call',
        region: await region(),
        endpoint: hostOf(args.request) ?? context.endpointV2?.url.host,
      }) ?? e;
    }
  }, { relation: 'after', toMiddleware: 'retryMiddleware', name: BOUND_NETWORK_RETRIES });
  return client;
}

/** `host:port` of a built HTTP request. */
function hostOf(request: unknown): string | undefined {
  const r = request as { hostname?: unknown; port?: unknown } | undefined;
  if (typeof r?.hostname !== 'string') return undefined;
  return typeof r.port === 'number' ? `${r.hostname}:${r.port}` : r.hostname;
}

/**
 * `error` as an {@link AwsCallError} when it is one of the problems above,
 * for credentials resolved outside a call (`client.config.credentials()`); else `error` itself.
 */
export function explainCredentialsFailure(error: unknown, profile: string | undefined, what: string): unknown {
  return classifyAwsError(error, { service: 'sts', command: what, profile }) ?? error;
}
