import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type * as z from 'zod';
import { logger } from './observability';

/** One problem with a request, e.g. `{ path: 'entries[1].currency', message: '...' }`. */
export interface FieldError {
  /** Where in the input, in JavaScript accessor notation; empty for the input as a whole. */
  readonly path: string;
  readonly message: string;
}

/** The body of every error response: a message, and field errors when validation failed. */
export interface ErrorBody {
  readonly message: string;
  readonly errors?: readonly FieldError[];
  readonly [extra: string]: unknown;
}

/** An error the caller caused or should see: becomes a response with its status and body. */
export class HttpError extends Error {
  public readonly name = 'HttpError';

  /**
   * @param statusCode the HTTP status to answer with
   * @param message the `message` of the response body
   * @param details extra fields of the response body (e.g. `errors`)
   */
  constructor(public readonly statusCode: number, message: string, public readonly details: Readonly<Record<string, unknown>> = {}) {
    super(message);
  }

  /** The response body. */
  public get body(): ErrorBody {
    return { message: this.message, ...this.details };
  }
}

/** A JSON response; never cached, since it carries account data. */
export function json(statusCode: number, body: unknown, headers: Readonly<Record<string, string>> = {}): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}

/** Renders a zod issue path: `['entries', 1, 'currency']` -> `entries[1].currency`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => typeof key === 'number'
    ? `${out}[${key}]`
    : `${out}${out === '' ? '' : '.'}${String(key)}`, '');
}

/** The issues of a failed zod validation as field errors. */
export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map(issue => ({ path: formatPath(issue.path), message: issue.message }));
}

/** Validates `value` with `schema`; throws a 400 {@link HttpError} `Invalid <what>` listing every issue. */
export function validate<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new HttpError(400, `Invalid ${what}`, { errors: fieldErrors(parsed.error) });
  return parsed.data;
}

/** Parses the JSON body of a proxy event and validates it; 400 when it is not JSON or not valid. */
export function parseJsonBody<T extends z.ZodType>(event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>, schema: T): z.output<T> {
  let value: unknown = undefined;
  if (event.body !== null && event.body !== undefined && event.body !== '') {
    const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
    try {
      value = JSON.parse(text);
    } catch {
      throw new HttpError(400, 'Request body is not valid JSON');
    }
  }
  return validate(schema, value, 'request body');
}

/** Validates the path parameters of a proxy event; 400 when invalid. */
export function parsePathParameters<T extends z.ZodType>(event: Pick<APIGatewayProxyEvent, 'pathParameters'>, schema: T): z.output<T> {
  return validate(schema, event.pathParameters ?? {}, 'path parameters');
}

/** Validates the query string parameters of a proxy event; 400 when invalid. */
export function parseQueryParameters<T extends z.ZodType>(event: Pick<APIGatewayProxyEvent, 'queryStringParameters'>, schema: T): z.output<T> {
  return validate(schema, event.queryStringParameters ?? {}, 'query parameters');
}

/** A request header by name, case-insensitively (API Gateway keeps the caller's casing). */
export function header(event: Pick<APIGatewayProxyEvent, 'headers'>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  const found = Object.entries(event.headers ?? {}).find(([key]) => key.toLowerCase() === wanted);
  return found?.[1] ?? undefined;
}

/** What {@link errorResponse} logs with. */
export type ErrorLogger = Pick<typeof logger, 'info' | 'error'>;

/**
 * Maps an error to a response: an {@link HttpError} answers with its status
 * and body; anything else is logged with its stack and answered with a bare
 * 500, so no internals (stack, SDK messages, resource names) reach the caller.
 */
export function errorResponse(error: unknown, log: ErrorLogger = logger): APIGatewayProxyResult {
  if (error instanceof HttpError) {
    if (error.statusCode >= 500) log.error('request failed', { statusCode: error.statusCode, error });
    else log.info('request refused', { statusCode: error.statusCode, reason: error.message });
    return json(error.statusCode, error.body);
  }
  if (error instanceof Error) log.error('unhandled error', error);
  else log.error('unhandled error', { error: String(error) });
  return json(500, { message: 'Internal server error' });
}

/** An API Gateway REST proxy handler. */
export type HttpHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** Turns whatever `handler` throws into a clean JSON error response (see {@link errorResponse}). */
export function httpHandler(handler: HttpHandler): HttpHandler {
  return async (event, context) => {
    try {
      return await handler(event, context);
    } catch (error) {
      return errorResponse(error);
    }
  };
}
