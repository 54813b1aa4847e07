/**
 * Mollie's (classic) webhook: a POST with `Content-Type: application/x-www-form-urlencoded` and one
 * field, `id=tr_…`, unsigned (https://docs.mollie.com/reference/webhooks). Nothing in it is trusted:
 * the payment is fetched again, which is the plugin's re-read design anyway. Refunds and chargebacks
 * call the payment's webhook too, with the payment's id (https://docs.mollie.com/docs/refunds,
 * "Webhook" column; https://docs.mollie.com/reference/webhooks). Pure functions.
 */
import { ProviderRequestError, type WebhookRequest } from '../types';

/** Mollie payment ids: `tr_` + alphanumerics (https://docs.mollie.com/reference/get-payment, `id`). */
const PAYMENT_ID = /^tr_[A-Za-z0-9]{4,60}$/;

export function isMolliePaymentId(value: unknown): value is string {
  return typeof value === 'string' && PAYMENT_ID.test(value);
}

/** The payment id of a webhook body; throws a 400-worthy error on anything else. */
export function parseMollieWebhookBody(rawBody: string): string {
  if (rawBody.length > 1024)
    throw new ProviderRequestError(
      'The webhook body is too large for a Mollie webhook.',
      false,
      'event_malformed',
      400,
    );
  const form = new URLSearchParams(rawBody);
  const ids = form.getAll('id');
  if (ids.length !== 1)
    throw new ProviderRequestError(
      'A Mollie webhook carries exactly one "id" field (id=tr_…).',
      false,
      'event_malformed',
      400,
    );
  if (!isMolliePaymentId(ids[0])) {
    throw new ProviderRequestError(
      'The webhook "id" is not a Mollie payment id (tr_…). Only payment webhooks are handled.',
      false,
      'event_malformed',
      400,
    );
  }
  return ids[0];
}

/**
 * The payment id a webhook delivery names, checked without any call: the form content type
 * (https://docs.mollie.com/reference/webhooks) and one `id=tr_…` field. Throws a 400-worthy error.
 */
export function mollieWebhookPaymentId(request: WebhookRequest): string {
  if (request.contentType !== 'application/x-www-form-urlencoded') {
    throw new ProviderRequestError(
      'Mollie webhooks are sent as application/x-www-form-urlencoded (id=tr_…).',
      false,
      'content_type',
      400,
    );
  }
  const form = request.body && typeof request.body === 'object' ? (request.body as Record<string, unknown>) : {};
  return parseMollieWebhookBody(
    request.rawBody ?? (typeof form.id === 'string' ? new URLSearchParams({ id: form.id }).toString() : ''),
  );
}
