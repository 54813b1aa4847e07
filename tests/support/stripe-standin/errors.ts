/**
 * Stripe-shaped API errors: `{ error: { type, code, message, param, ... } }` with Stripe's HTTP
 * status per error type. Handlers throw StripeApiError; the server turns it into a response.
 *
 * Follows https://docs.stripe.com/api/errors (types, HTTP statuses, code/param/doc_url) and SDK 23.1.0 Error.d.ts.
 */
import type { JsonObject } from './types';

export type StripeErrorType =
  'api_error' | 'card_error' | 'idempotency_error' | 'invalid_request_error' | 'rate_limit_error';

export interface StripeErrorBody {
  type: StripeErrorType;
  message: string;
  code?: string;
  decline_code?: string;
  advice_code?: string;
  param?: string;
  charge?: string;
  payment_intent?: JsonObject;
  payment_method?: JsonObject;
}

export class StripeApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: StripeErrorBody,
    readonly headers: Record<string, string> = {},
  ) {
    super(body.message);
    this.name = 'StripeApiError';
  }

  /** The JSON body Stripe sends, with doc_url/request_log_url filled in like Stripe does. */
  toJSON(requestId: string, livemode: boolean): JsonObject {
    const error: JsonObject = {};
    for (const [key, value] of Object.entries(this.body)) {
      if (value !== undefined) error[key] = value;
    }
    if (this.body.code) error.doc_url = `https://stripe.com/docs/error-codes/${this.body.code.replace(/_/g, '-')}`;
    error.request_log_url = `https://dashboard.stripe.com/${livemode ? '' : 'test/'}logs/${requestId}`;
    return { error };
  }

  static invalidRequest(message: string, param?: string, code?: string, status = 400): StripeApiError {
    return new StripeApiError(status, { type: 'invalid_request_error', message, param, code });
  }

  static parameterMissing(param: string): StripeApiError {
    return StripeApiError.invalidRequest(`Missing required param: ${param}.`, param, 'parameter_missing');
  }

  static parameterUnknown(param: string): StripeApiError {
    return StripeApiError.invalidRequest(`Received unknown parameter: ${param}`, param, 'parameter_unknown');
  }

  /**
   * "No such payment_intent: 'pi_123'" — plus Stripe's hint when the object lives in the other mode.
   * Ids in the URL path are 404s; ids passed as parameters (`param`) are 400s, as in Stripe.
   */
  static resourceMissing(kind: string, id: string, param?: string, otherMode?: 'test' | 'live'): StripeApiError {
    let message = `No such ${kind}: '${id}'`;
    if (otherMode) {
      const keyMode = otherMode === 'test' ? 'live' : 'test';
      message += `; a similar object exists in ${otherMode} mode, but a ${keyMode} mode key was used to make this request.`;
    }
    return new StripeApiError(param ? 400 : 404, {
      type: 'invalid_request_error',
      code: 'resource_missing',
      message,
      param,
    });
  }

  static unexpectedState(message: string, paymentIntent?: JsonObject): StripeApiError {
    return new StripeApiError(400, {
      type: 'invalid_request_error',
      code: 'payment_intent_unexpected_state',
      message,
      payment_intent: paymentIntent,
    });
  }

  static unrecognizedUrl(method: string, path: string): StripeApiError {
    return StripeApiError.invalidRequest(
      `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
      undefined,
      undefined,
      404,
    );
  }

  static authentication(message: string): StripeApiError {
    return new StripeApiError(401, { type: 'invalid_request_error', message });
  }

  static idempotencyMismatch(key: string): StripeApiError {
    return new StripeApiError(400, {
      type: 'idempotency_error',
      message:
        `Keys for idempotent requests can only be used with the same parameters they were first used with. ` +
        `Try using a key other than '${key}' if you meant to execute a different request.`,
    });
  }

  static api(message = 'An unknown error occurred', status = 500): StripeApiError {
    return new StripeApiError(status, { type: 'api_error', message });
  }

  static rateLimit(): StripeApiError {
    return new StripeApiError(429, {
      type: 'rate_limit_error',
      code: 'rate_limit',
      message: 'Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.',
    });
  }
}
