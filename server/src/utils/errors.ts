import { errors } from '@strapi/utils';

/**
 * Errors a route answers with. Services throw them; controllers/`respond` (and, outside a
 * controller, Strapi's own error middleware) turn them into Strapi's usual error body
 * `{ data: null, error: { status, name, message, details } }`. Anything else becomes a plain 500
 * without a stack trace or message.
 *
 * 400 and 404 are Strapi's own classes from @strapi/utils (ValidationError and NotFoundError;
 * ForbiddenError where a guard refuses). Strapi has none for 409, 502 and 503 (its error middleware answers any other
 * ApplicationError with 400), so those are a StatusError carrying its status.
 */
export interface FieldProblem {
  path: string[];
  message: string;
}

type Details = Record<string, unknown>;

/** 409 / 502 / 503. Not an ApplicationError on purpose: Strapi would answer those with 400. */
export class StatusError extends Error {
  /** Read by Strapi's error middleware (http-errors) when one escapes a controller: 4xx shown, 5xx hidden. */
  readonly expose: boolean;
  constructor(
    readonly status: 409 | 502 | 503,
    name: string,
    message: string,
    readonly details: Details = {},
  ) {
    super(message);
    this.name = name;
    this.expose = status < 500;
  }
}

/** A 400 with a problem per field. `code` names the refusal when a client tells them apart (e.g. Overpayment). */
export function badRequest(
  message: string,
  problems: FieldProblem[] = [],
  code = 'ValidationError',
): errors.ValidationError<string, Details> {
  const error = new errors.ValidationError<string, Details>(message, problems.length ? { errors: problems } : {});
  if (code !== 'ValidationError') (error as { name: string }).name = code;
  return error;
}
export const notFound = (message = 'Not found.') => new errors.NotFoundError(message, {});
export const conflict = (message: string, code = 'ConflictError', details: Details = {}) =>
  new StatusError(409, code, message, details);
export const badGateway = (message: string, details: Details = {}) =>
  new StatusError(502, 'PaymentProviderError', message, details);
export const serviceUnavailable = (message: string) => new StatusError(503, 'ServiceUnavailableError', message);

/** An error meant for the client: its status, name, message and details may be answered. */
export type AnswerableError = errors.ApplicationError<string, string, unknown> | StatusError;
export const isAnswerable = (error: unknown): error is AnswerableError =>
  error instanceof errors.ApplicationError || error instanceof StatusError;

/** The status Strapi's error middleware gives each of its classes (@strapi/core services/errors), ours carry theirs. */
export function statusOf(error: AnswerableError): number {
  if (error instanceof StatusError) return error.status;
  if (error instanceof errors.UnauthorizedError) return 401;
  if (error instanceof errors.ForbiddenError) return 403;
  if (error instanceof errors.NotFoundError) return 404;
  if (error instanceof errors.PayloadTooLargeError) return 413;
  if (error instanceof errors.RateLimitError) return 429;
  if (error instanceof errors.NotImplementedError) return 501;
  return 400;
}

/**
 * What went wrong, for a log line or a stored failure: an error's message, also when it was made in
 * another realm (a driver's error class is not always this realm's Error) or thrown as a plain
 * object; `fallback` (or "unknown error" and the value's kind) when it carries none or an empty one.
 */
export function reasonOf(error: unknown, fallback?: string): string {
  let message: unknown;
  try {
    message = (error as { message?: unknown } | null)?.message;
  } catch {
    // A throwing `message` getter must not turn a log line into a new failure.
  }
  if (typeof message === 'string' && message.trim() !== '') return message;
  return fallback ?? `unknown error (${Object.prototype.toString.call(error)})`;
}
