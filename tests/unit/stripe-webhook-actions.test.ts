import Stripe from 'stripe';
import { stripeWebhookAction, stripeWebhooks, verifyStripeEvent } from '../../server/src/providers/stripe/webhook';
import { ProviderRequestError, type ProviderEvent } from '../../server/src/providers/types';

/**
 * Stripe events -> neutral WebhookActions. The ids a payload carries (`payment_intent` on charges,
 * refunds, disputes and Checkout sessions: https://docs.stripe.com/api/charges/object,
 * /api/refunds/object, /api/disputes/object, /api/checkout/sessions/object) name the payment
 * without an API call.
 */
const SECRET = 'whsec_' + 'unitTestSecret000000';

function event(type: string, object: Record<string, unknown>, id = 'evt_1'): ProviderEvent {
  const payload = {
    id,
    object: 'event',
    type,
    created: 1_700_000_000,
    livemode: false,
    api_version: '2026-10-28.endive',
    data: { object },
  };
  const raw = JSON.stringify(payload);
  return verifyStripeEvent(
    raw,
    Stripe.webhooks.generateTestHeaderString({ payload: raw, secret: SECRET }),
    SECRET,
    300,
  );
}

describe('stripeWebhookAction', () => {
  it.each([
    [
      'payment_intent.succeeded',
      { id: 'pi_1', object: 'payment_intent' },
      { kind: 'payment', providerPaymentId: 'pi_1', objectId: 'pi_1' },
    ],
    [
      'payment_intent.payment_failed',
      { id: 'pi_2', object: 'payment_intent' },
      { kind: 'payment', providerPaymentId: 'pi_2' },
    ],
    [
      'charge.refunded',
      { id: 'ch_1', object: 'charge', payment_intent: 'pi_3' },
      { kind: 'refund', providerPaymentId: 'pi_3', objectId: 'ch_1' },
    ],
    [
      'refund.failed',
      { id: 're_1', object: 'refund', payment_intent: 'pi_4' },
      { kind: 'refund', providerPaymentId: 'pi_4', objectId: 're_1' },
    ],
    [
      'charge.refund.updated',
      { id: 're_2', object: 'refund', payment_intent: null, charge: 'ch_9' },
      { kind: 'refund', providerPaymentId: null, objectId: 're_2' },
    ],
    [
      'charge.dispute.created',
      { id: 'dp_1', object: 'dispute', payment_intent: 'pi_5' },
      { kind: 'dispute', providerPaymentId: 'pi_5' },
    ],
    [
      'checkout.session.completed',
      { id: 'cs_test_a', object: 'checkout.session', payment_intent: 'pi_6' },
      { kind: 'checkout', providerPaymentId: 'pi_6', objectId: 'cs_test_a' },
    ],
    [
      'checkout.session.expired',
      { id: 'cs_test_b', object: 'checkout.session', payment_intent: null },
      { kind: 'checkout', providerPaymentId: null, objectId: 'cs_test_b' },
    ],
    [
      'charge.updated',
      { id: 'ch_2', object: 'charge', payment_intent: 'pi_7', balance_transaction: 'txn_1' },
      { kind: 'fee', providerPaymentId: 'pi_7', objectId: 'ch_2' },
    ],
    [
      'charge.succeeded',
      { id: 'ch_3', object: 'charge', payment_intent: null },
      { kind: 'payment', providerPaymentId: null, objectId: 'ch_3' },
    ],
    [
      'charge.succeeded',
      { id: 'ch_7', object: 'charge', payment_intent: 'pi_11', balance_transaction: 'txn_2' },
      { kind: 'fee', providerPaymentId: 'pi_11', objectId: 'ch_7' },
    ],
  ])('%s', (type, object, expected) => {
    expect(stripeWebhookAction(event(type, object))).toMatchObject({ ...expected, eventId: 'evt_1' });
  });

  it.each([
    ['charge.succeeded', { id: 'ch_4', object: 'charge', payment_intent: 'pi_8' }, /pi_8's own payment_intent event/],
    ['charge.failed', { id: 'ch_5', object: 'charge', payment_intent: 'pi_9' }, /pi_9/],
    [
      'charge.updated',
      { id: 'ch_6', object: 'charge', payment_intent: 'pi_10', balance_transaction: null },
      /no fee to read yet/,
    ],
    ['customer.created', { id: 'cus_1', object: 'customer' }, /customer\.created is not used/],
  ])('%s is not acted on', (type, object, reason) => {
    const action = stripeWebhookAction(event(type, object));
    expect(action.kind).toBe('not_supported');
    expect(action.kind === 'not_supported' && action.reason).toMatch(reason);
  });

  it('an event without an object id is not acted on', () => {
    expect(stripeWebhookAction(event('payment_intent.succeeded', { object: 'payment_intent' }))).toMatchObject({
      kind: 'not_supported',
      objectId: null,
    });
  });
});

describe('stripeWebhooks.parseWebhook', () => {
  const raw = JSON.stringify({
    id: 'evt_2',
    object: 'event',
    type: 'payment_intent.succeeded',
    created: 1,
    livemode: false,
    data: { object: { id: 'pi_1', object: 'payment_intent' } },
  });
  const headers = () => ({
    'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload: raw, secret: SECRET }),
  });

  it('verifies the raw JSON body with the signing secret', async () => {
    const parsed = await stripeWebhooks.parseWebhook(
      { rawBody: raw, body: JSON.parse(raw), headers: headers(), contentType: 'application/json' },
      SECRET,
      { toleranceSeconds: 300 },
    );
    expect(parsed).toMatchObject({
      id: 'evt_2',
      type: 'payment_intent.succeeded',
      objectId: 'pi_1',
      objectType: 'payment_intent',
    });
  });

  it.each([
    ['a form body', { contentType: 'application/x-www-form-urlencoded' }, 'content_type'],
    ['no raw body', { rawBody: null }, 'raw_body_missing'],
    ['no saved secret', { secret: null }, 'secret_missing'],
    ['another secret', { secret: 'whsec_other' }, 'signature_invalid'],
    ['no signature', { headers: {} }, 'signature_missing'],
  ])('refuses %s', async (_what, over: Record<string, unknown>, code) => {
    const request = { rawBody: raw, body: {}, headers: headers(), contentType: 'application/json', ...over };
    const secret = 'secret' in over ? (over.secret as string | null) : SECRET;
    const error = await stripeWebhooks
      .parseWebhook(request as never, secret, { toleranceSeconds: 300 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderRequestError);
    expect((error as ProviderRequestError).code).toBe(code);
  });
});

/**
 * A PaymentIntent in a state it never leaves (succeeded, canceled:
 * https://docs.stripe.com/payments/paymentintents/lifecycle) is handed to settlement as the
 * event shows it (`final`), so it is booked without reading the payment again. Anything else, or a
 * payload that is not a whole PaymentIntent in that state, carries no `final` (the payment is read).
 */
describe('final states from the event', () => {
  const intent = (over: Record<string, unknown> = {}) => ({
    id: 'pi_f1',
    object: 'payment_intent',
    status: 'succeeded',
    amount: 182750,
    amount_received: 182750,
    currency: 'usd',
    livemode: false,
    created: 1_700_000_000,
    latest_charge: 'ch_f1',
    payment_method_types: ['card', 'us_bank_account'],
    client_secret: 'pi_f1_secret_x',
    metadata: {
      invoice_payments_invoice: 'doc1',
      invoice_payments_number: 'INV-1',
      invoice_payments_portion: '180000',
      invoice_payments_fee: '2750',
    },
    ...over,
  });
  const finalOf = (type: string, object: Record<string, unknown>) => {
    const action = stripeWebhookAction(event(type, object));
    return action.kind === 'payment' ? (action.final ?? null) : null;
  };

  it('payment_intent.succeeded with a whole PaymentIntent: the payment as the event shows it', () => {
    expect(finalOf('payment_intent.succeeded', intent())).toMatchObject({
      id: 'pi_f1',
      status: 'succeeded',
      amount: 182750,
      amountReceived: 182750,
      currency: 'USD',
      chargeId: 'ch_f1',
      // payment_method_types lists what was allowed, not what was used.
      method: null,
      clientSecret: null,
      refunds: [],
      amountRefunded: 0,
      dispute: null,
      metadata: { invoiceDocumentId: 'doc1', portion: 180000, fee: 2750 },
    });
  });

  it('payment_intent.canceled: final too', () => {
    expect(finalOf('payment_intent.canceled', intent({ status: 'canceled', amount_received: 0 }))).toMatchObject({
      status: 'canceled',
    });
  });

  it.each([
    ['a status other than the event names', 'payment_intent.succeeded', intent({ status: 'processing' })],
    ['no amount_received', 'payment_intent.succeeded', intent({ amount_received: undefined })],
    ['an amount that is not an integer', 'payment_intent.succeeded', intent({ amount: '182750' })],
    ['an upper-case or odd currency', 'payment_intent.succeeded', intent({ currency: 'USDX' })],
    ['another object', 'payment_intent.succeeded', intent({ object: 'charge' })],
    ['no metadata', 'payment_intent.succeeded', intent({ metadata: null })],
    ['metadata not made by the plugin', 'payment_intent.succeeded', intent({ metadata: { order: '1' } })],
    ['a state that can still change', 'payment_intent.processing', intent({ status: 'processing' })],
    ['a failure (the payer may retry)', 'payment_intent.payment_failed', intent({ status: 'requires_payment_method' })],
  ])('%s: no final state, the payment is read', (_what, type, object) => {
    expect(finalOf(type, object)).toBeNull();
  });
});
