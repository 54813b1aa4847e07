import type Stripe from 'stripe';
import type { StripeStandin } from '../../support/stripe-standin';
import { startStandin } from './helpers';

/** What Stripe.js does from the browser: the publishable key plus the intent's client secret. */
describe('publishable-key calls (Stripe.js)', () => {
  let standin: StripeStandin;
  let stripe: Stripe;
  const PK = 'pk_test_standinUnitTests';

  beforeAll(async () => {
    ({ standin, stripe } = await startStandin());
  });
  afterAll(() => standin.close());
  beforeEach(() => standin.control.reset());

  const form = (values: Record<string, string>) => new URLSearchParams(values).toString();
  const call = async (method: 'GET' | 'POST', path: string, values: Record<string, string>) => {
    const res =
      method === 'GET'
        ? await fetch(`${standin.url}${path}?${form(values)}`)
        : await fetch(`${standin.url}${path}`, {
            method,
            headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
            body: form(values),
          });
    return {
      status: res.status,
      cors: res.headers.get('access-control-allow-origin'),
      body: (await res.json()) as Record<string, unknown> & {
        error?: { message: string; code?: string; decline_code?: string };
      },
    };
  };

  it('retrieves and confirms an intent with its client secret, like Stripe.js', async () => {
    const pi = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
    const got = await call('GET', `/v1/payment_intents/${pi.id}`, { key: PK, client_secret: pi.client_secret! });
    expect(got.status).toBe(200);
    expect(got.cors).toBe('*');
    expect(got.body).toMatchObject({ id: pi.id, status: 'requires_payment_method' });
    const confirmed = await call('POST', `/v1/payment_intents/${pi.id}/confirm`, {
      key: PK,
      client_secret: pi.client_secret!,
      payment_method: 'pm_card_visa',
      receipt_email: 'a@example.test',
    });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({ id: pi.id, status: 'succeeded', receipt_email: 'a@example.test' });
  });

  it('returns the card error of a decline, with the intent', async () => {
    const pi = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
    const declined = await call('POST', `/v1/payment_intents/${pi.id}/confirm`, {
      key: PK,
      client_secret: pi.client_secret!,
      payment_method: 'pm_card_chargeDeclinedInsufficientFunds',
    });
    expect(declined.status).toBe(402);
    expect(declined.body.error).toMatchObject({
      code: 'card_declined',
      decline_code: 'insufficient_funds',
      message: 'Your card has insufficient funds.',
    });
  });

  it('refuses a wrong or missing client secret as if the intent did not exist', async () => {
    const pi = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
    for (const values of [{ key: PK }, { key: PK, client_secret: `${pi.id}_secret_wrong` }] as Array<
      Record<string, string>
    >) {
      const res = await call('POST', `/v1/payment_intents/${pi.id}/confirm`, {
        ...values,
        payment_method: 'pm_card_visa',
      });
      expect(res.status).toBe(404);
      expect(res.body.error?.code).toBe('resource_missing');
    }
    expect((await stripe.paymentIntents.retrieve(pi.id)).status).toBe('requires_payment_method');
  });

  it('refuses a publishable key anywhere else, and in the other mode', async () => {
    const pi = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
    const create = await call('POST', '/v1/payment_intents', { key: PK, amount: '1000', currency: 'usd' });
    expect(create.status).toBe(401);
    expect(create.body.error?.message).toMatch(/publishable API key/);
    const refund = await call('POST', '/v1/refunds', { key: PK, payment_intent: pi.id });
    expect(refund.status).toBe(401);
    const live = await call('GET', `/v1/payment_intents/${pi.id}`, {
      key: 'pk_live_standinUnitTests',
      client_secret: pi.client_secret!,
    });
    expect(live.status).toBe(404);
  });
});
