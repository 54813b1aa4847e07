/**
 * Errors a route answers with. Services throw them; controllers/`respond` turn them into Strapi's
 * usual error body `{ data: null, error: { status, name, message, details } }`. Anything else
 * becomes a plain 500 without a stack trace or message (Strapi's error middleware).
 */
export interface FieldProblem {
  path: string[];
  message: string;
}

export class PluginError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = code;
  }
}

export const badRequest = (message: string, errors: FieldProblem[] = [], code = 'ValidationError') =>
  new PluginError(400, code, message, errors.length ? { errors } : {});
export const notFound = (message = 'Not found.') => new PluginError(404, 'NotFoundError', message);
export const conflict = (message: string, code = 'ConflictError', details: Record<string, unknown> = {}) =>
  new PluginError(409, code, message, details);
export const badGateway = (message: string, details: Record<string, unknown> = {}) =>
  new PluginError(502, 'PaymentProviderError', message, details);
export const serviceUnavailable = (message: string) => new PluginError(503, 'ServiceUnavailableError', message);
