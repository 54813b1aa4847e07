/**
 * Stripe's webhooks: signature verification over the raw body, and what each event type means
 * for the plugin (a neutral WebhookAction). No API call here: the route verifies with the signing
 * secret alone, and settlement re-reads the payment afterwards unless the event shows its final state.
 */
import Stripe from 'stripe';
import { mapPayment } from './mappers';
import {
  ProviderRequestError,
  type ProviderPayment,
  type ProviderEvent,
  type WebhookAction,
  type WebhookParser,
  type WebhookRequest,
} from '../types';

/** Event types that move money or state; any other type is stored and acknowledged, then ignored. */
const PAYMENT_INTENT = new Set([
  'payment_intent.succeeded',
  'payment_intent.payment_failed',
  'payment_intent.processing',
  'payment_intent.canceled',
  'payment_intent.requires_action',
]);
/**
 * `charge.succeeded` / `charge.failed` of a PaymentIntent's charge come with the intent's own
 * `payment_intent.succeeded` / `payment_intent.payment_failed` (https://docs.stripe.com/payments/paymentintents/lifecycle),
 * which re-reads the same payment: acting on both would read it twice. Only a charge without an
 * intent (not one the plugin makes) is left to them, and settlement ignores it for lack of metadata.
 */
const CHARGE_OUTCOME = new Set(['charge.succeeded', 'charge.failed']);
const CHARGE_REFUNDED = 'charge.refunded';
const REFUND = new Set(['charge.refund.updated', 'refund.updated', 'refund.created', 'refund.failed']);
const DISPUTE = new Set([
  'charge.dispute.created',
  'charge.dispute.closed',
  'charge.dispute.updated',
  'charge.dispute.funds_withdrawn',
  'charge.dispute.funds_reinstated',
]);
const CHECKOUT = new Set([
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
  'checkout.session.async_payment_failed',
  'checkout.session.expired',
]);
/** Sent for any change to a charge; the one that matters is its balance transaction (Stripe's fee) being set. */
const CHARGE_UPDATED = 'charge.updated';

const text = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 255;
const idOf = (v: unknown): string | null =>
  text(v) ? v : v && typeof v === 'object' && text((v as { id?: unknown }).id) ? (v as { id: string }).id : null;

function header(headers: WebhookRequest['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Verifies Stripe's signature (https://docs.stripe.com/webhooks#verify-events) and checks the event's shape. */
export function verifyStripeEvent(
  rawBody: string,
  signature: string | undefined,
  secret: string,
  toleranceSeconds: number,
): ProviderEvent {
  if (!signature) throw new ProviderRequestError('Missing Stripe-Signature header.', false, 'signature_missing');
  let event: Stripe.Event;
  try {
    event = Stripe.webhooks.constructEvent(rawBody, signature, secret, toleranceSeconds);
  } catch (error) {
    const stale = error instanceof Error && /tolerance/i.test(error.message);
    throw new ProviderRequestError(
      stale ? 'The signature timestamp is outside the tolerance zone.' : 'The signature does not match the payload.',
      false,
      stale ? 'signature_stale' : 'signature_invalid',
    );
  }
  // Signed does not mean well-formed: refuse what could not be an event (a 400; never stored).
  const shape = event as unknown as Record<string, unknown> | null;
  if (
    typeof shape !== 'object' ||
    shape === null ||
    Array.isArray(shape) ||
    !text(shape.id) ||
    !text(shape.type) ||
    (shape.created !== undefined && !Number.isSafeInteger(shape.created)) ||
    (shape.livemode !== undefined && typeof shape.livemode !== 'boolean') ||
    (shape.api_version != null && !text(shape.api_version))
  ) {
    throw new ProviderRequestError('The event is malformed.', false, 'event_malformed');
  }
  const data = shape.data as { object?: unknown } | null | undefined;
  const object = (
    data && typeof data === 'object' && data.object && typeof data.object === 'object' ? data.object : {}
  ) as { id?: unknown; object?: unknown };
  return {
    id: event.id,
    type: event.type,
    created: Number.isSafeInteger(event.created) ? event.created : Math.floor(Date.now() / 1000),
    livemode: event.livemode === true,
    apiVersion: event.api_version ?? null,
    objectId: text(object.id) ? object.id : null,
    objectType: text(object.object) ? object.object : null,
    payload: event,
  };
}

/**
 * Events whose PaymentIntent is in a state it never leaves: "succeeded" ends the intent's flow and a
 * canceled intent makes no further charge, every later operation on it failing
 * (https://docs.stripe.com/payments/paymentintents/lifecycle, https://docs.stripe.com/api/payment_intents/cancel).
 * What happens to the money afterwards (refunds, disputes) is on the charge, with events of its own.
 */
const FINAL_INTENT = new Set(['payment_intent.succeeded', 'payment_intent.canceled']);

/**
 * The event's PaymentIntent as a payment, when its `data.object` is a whole PaymentIntent in the
 * final status the event names (https://docs.stripe.com/api/events/object: `data.object` is the
 * object at the time of the event, rendered in the endpoint's API version). Anything unexpected in
 * the fields settlement checks gives null: the payment is then read from Stripe as for any event.
 */
function finalIntent(object: Record<string, unknown>, objectId: string): ProviderPayment | null {
  const int = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  if (
    object.object !== 'payment_intent' ||
    object.id !== objectId ||
    (object.status !== 'succeeded' && object.status !== 'canceled') ||
    !int(object.amount) ||
    !int(object.amount_received) ||
    !int(object.created) ||
    typeof object.currency !== 'string' ||
    !/^[a-z]{3}$/.test(object.currency) ||
    typeof object.livemode !== 'boolean' ||
    !object.metadata ||
    typeof object.metadata !== 'object'
  )
    return null;
  const payment = mapPayment(object as unknown as Stripe.PaymentIntent, null, [], null);
  // payment_method_types lists every type the intent allowed, not the one used: unknown here.
  return payment.metadata ? { ...payment, method: null, clientSecret: null } : null;
}

/** The event's `data.object`, as sent (already verified). */
function objectOf(event: ProviderEvent): Record<string, unknown> {
  const data = (event.payload as { data?: { object?: unknown } } | null)?.data;
  const object = data && typeof data === 'object' ? data.object : null;
  return object && typeof object === 'object' && !Array.isArray(object) ? (object as Record<string, unknown>) : {};
}

/**
 * What a Stripe event means. A verified event's payload says which PaymentIntent a charge, refund,
 * dispute or Checkout session belongs to (`payment_intent` on each: https://docs.stripe.com/api/charges/object,
 * /api/refunds/object, /api/disputes/object, /api/checkout/sessions/object), so no API call is
 * needed to find it; its state is still re-read once by settlement.
 */
export function stripeWebhookAction(event: ProviderEvent): WebhookAction {
  const eventId = event.id;
  const objectId = event.objectId;
  if (!objectId) return { kind: 'not_supported', objectId: null, eventId, reason: 'The event carries no object id.' };
  const object = objectOf(event);
  const intent = idOf(object.payment_intent);
  if (PAYMENT_INTENT.has(event.type)) {
    // A connected account's event (Connect endpoints receive them, signed with the same secret:
    // https://docs.stripe.com/connect/webhooks) is about another merchant's PaymentIntent: never
    // booked from the event; the read with this account's key finds no such payment.
    const connected = (event.payload as { account?: unknown } | null)?.account != null;
    const final = FINAL_INTENT.has(event.type) && !connected ? finalIntent(object, objectId) : null;
    return { kind: 'payment', providerPaymentId: objectId, objectId, eventId, ...(final ? { final } : {}) };
  }
  if (CHECKOUT.has(event.type)) return { kind: 'checkout', providerPaymentId: intent, objectId, eventId };
  if (REFUND.has(event.type)) return { kind: 'refund', providerPaymentId: intent, objectId, eventId };
  if (event.type === CHARGE_REFUNDED) return { kind: 'refund', providerPaymentId: intent, objectId, eventId };
  if (DISPUTE.has(event.type)) return { kind: 'dispute', providerPaymentId: intent, objectId, eventId };
  if (CHARGE_OUTCOME.has(event.type)) {
    if (!intent) return { kind: 'payment', providerPaymentId: null, objectId, eventId };
    // A card charge has its balance transaction (Stripe's fee) when it succeeds, and no
    // charge.updated may follow (https://docs.stripe.com/api/charges/object, `balance_transaction`):
    // worth one read while the ledger lacks the fee, since payment_intent.succeeded is booked
    // without one.
    if (event.type === 'charge.succeeded' && object.balance_transaction)
      return { kind: 'fee', providerPaymentId: intent, objectId, eventId };
    return {
      kind: 'not_supported',
      objectId,
      eventId,
      reason: `Settled through ${intent}'s own payment_intent event.`,
    };
  }
  if (event.type === CHARGE_UPDATED) {
    // Only the fee being set is worth a read; a charge without a balance transaction has none yet.
    if (!object.balance_transaction)
      return { kind: 'not_supported', objectId, eventId, reason: `Charge ${objectId} has no fee to read yet.` };
    return { kind: 'fee', providerPaymentId: intent, objectId, eventId };
  }
  return {
    kind: 'not_supported',
    objectId,
    eventId,
    reason: `Event type ${event.type} is not used by invoice-payments.`,
  };
}

async function parseStripeWebhook(
  request: WebhookRequest,
  secret: string | null,
  opts: { toleranceSeconds: number },
): Promise<ProviderEvent> {
  if (request.contentType !== 'application/json')
    throw new ProviderRequestError('Stripe webhooks are sent as application/json.', false, 'content_type');
  if (request.rawBody === null)
    throw new ProviderRequestError('The raw request body is not available.', false, 'raw_body_missing');
  if (!secret) throw new ProviderRequestError('No webhook signing secret is saved.', false, 'secret_missing');
  return verifyStripeEvent(request.rawBody, header(request.headers, 'stripe-signature'), secret, opts.toleranceSeconds);
}

/** Stripe's webhook half, usable before an API key is saved (verification needs the signing secret only). */
export const stripeWebhooks: WebhookParser = {
  id: 'stripe',
  label: 'Stripe',
  parseWebhook: parseStripeWebhook,
  webhookAction: stripeWebhookAction,
};
