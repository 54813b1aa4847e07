/**
 * Bank debits, bank redirects and wallets in the stand-in (resources/local-methods.ts), each as
 * Stripe's docs describe it: SEPA processing -> succeeded / failed later
 * (https://docs.stripe.com/payments/sepa-debit), iDEAL redirect_to_url and the return with
 * payment_intent / payment_intent_client_secret / redirect_status
 * (https://docs.stripe.com/payments/ideal/accept-a-payment), wallets as cards.
 */
import type Stripe from 'stripe';
import type { StripeStandin } from '../../support/stripe-standin';
import { caught, startStandin } from './helpers';

describe('SEPA Direct Debit, iDEAL and wallets', () => {
  let standin: StripeStandin;
  let stripe: Stripe;

  beforeAll(async () => {
    ({ standin, stripe } = await startStandin());
  });
  afterAll(() => standin.close());
  beforeEach(() => standin.control.reset());

  const types = (id: string): string[] =>
    standin.control
      .events()
      .filter((e) => (e.data as { object: { id?: string } }).object.id === id)
      .map((e) => String(e.type));
  const eur = () => stripe.paymentIntents.create({ amount: 182750, currency: 'eur' });

  it('offers sepa_debit, ideal and bancontact on EUR intents, not on USD ones', async () => {
    expect((await eur()).payment_method_types).toEqual(expect.arrayContaining(['sepa_debit', 'ideal', 'bancontact']));
    const usd = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
    expect(usd.payment_method_types).not.toContain('sepa_debit');
  });

  it('SEPA: a test IBAN processes, then succeeds', async () => {
    const pi = await stripe.paymentIntents.confirm((await eur()).id, {
      payment_method_data: {
        type: 'sepa_debit',
        sepa_debit: { iban: 'AT611904300234573201' },
        billing_details: { name: 'Jenny Rosen', email: 'jenny@example.com' },
      },
    });
    expect(pi.status).toBe('processing');
    expect(pi.amount_received).toBe(0);
    standin.control.settleDelayed(pi.id);
    const done = await stripe.paymentIntents.retrieve(pi.id, { expand: ['latest_charge'] });
    expect(done.status).toBe('succeeded');
    const charge = done.latest_charge as Stripe.Charge;
    expect(charge.payment_method_details?.type).toBe('sepa_debit');
    expect(charge.payment_method_details?.sepa_debit?.last4).toBe('3201');
    expect(types(pi.id)).toEqual(expect.arrayContaining(['payment_intent.processing', 'payment_intent.succeeded']));
  });

  it('SEPA: the failing IBAN fails after processing, back to requires_payment_method', async () => {
    const pi = await stripe.paymentIntents.confirm((await eur()).id, {
      payment_method_data: { type: 'sepa_debit', sepa_debit: { iban: 'AT861904300235473202' } },
    });
    expect(pi.status).toBe('processing');
    standin.control.settleDelayed(pi.id);
    const failed = await stripe.paymentIntents.retrieve(pi.id);
    expect(failed.status).toBe('requires_payment_method');
    expect(failed.last_payment_error?.message).toBeTruthy();
    expect(types(pi.id)).toContain('payment_intent.payment_failed');
  });

  it('SEPA: an IBAN that is not a test one is refused and changes nothing', async () => {
    const created = await eur();
    const error = await caught(() =>
      stripe.paymentIntents.confirm(created.id, {
        payment_method_data: { type: 'sepa_debit', sepa_debit: { iban: 'FR7630006000011234567890189' } },
      }),
    );
    expect(error.statusCode).toBe(400);
    expect((await stripe.paymentIntents.retrieve(created.id)).status).toBe('requires_payment_method');
  });

  it('iDEAL: without return_url it is refused before anything changes', async () => {
    const created = await eur();
    const error = await caught(() =>
      stripe.paymentIntents.confirm(created.id, { payment_method_data: { type: 'ideal' } }),
    );
    expect(error.statusCode).toBe(400);
    expect(error.param).toBe('return_url');
    const after = await stripe.paymentIntents.retrieve(created.id);
    expect(after.status).toBe('requires_payment_method');
    expect(after.payment_method).toBeNull();
  });

  it("iDEAL: redirect_to_url, and the bank page returns with Stripe's three parameters", async () => {
    const pi = await stripe.paymentIntents.confirm((await eur()).id, {
      payment_method_data: { type: 'ideal' },
      return_url: 'https://shop.example/return?order=7',
    });
    expect(pi.status).toBe('requires_action');
    expect(pi.next_action?.type).toBe('redirect_to_url');
    const bank = pi.next_action!.redirect_to_url!.url!;
    expect((await fetch(bank)).status).toBe(200);
    const res = await fetch(bank, {
      method: 'POST',
      body: new URLSearchParams({ outcome: 'succeed' }),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      redirect: 'manual',
    });
    const back = new URL(res.headers.get('location')!);
    expect(`${back.origin}${back.pathname}`).toBe('https://shop.example/return');
    expect(back.searchParams.get('order')).toBe('7');
    expect(back.searchParams.get('payment_intent')).toBe(pi.id);
    expect(back.searchParams.get('payment_intent_client_secret')).toBe(pi.client_secret);
    expect(back.searchParams.get('redirect_status')).toBe('succeeded');
    expect((await stripe.paymentIntents.retrieve(pi.id)).status).toBe('succeeded');
  });

  it('iDEAL: failing on the bank page returns redirect_status=failed and payment_failed', async () => {
    const pi = await stripe.paymentIntents.confirm((await eur()).id, {
      payment_method_data: { type: 'ideal' },
      return_url: 'https://shop.example/return',
    });
    const res = await fetch(pi.next_action!.redirect_to_url!.url!, {
      method: 'POST',
      body: new URLSearchParams({ outcome: 'fail' }),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      redirect: 'manual',
    });
    expect(new URL(res.headers.get('location')!).searchParams.get('redirect_status')).toBe('failed');
    expect((await stripe.paymentIntents.retrieve(pi.id)).status).toBe('requires_payment_method');
    expect(types(pi.id)).toContain('payment_intent.payment_failed');
  });

  it('wallets are cards with card.wallet.type', async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      payment_method: 'pm_card_applePay',
      confirm: true,
      expand: ['payment_method', 'latest_charge'],
    });
    expect(pi.status).toBe('succeeded');
    expect((pi.payment_method as Stripe.PaymentMethod).card?.wallet?.type).toBe('apple_pay');
    expect((pi.latest_charge as Stripe.Charge).payment_method_details?.card?.wallet?.type).toBe('apple_pay');
  });
});
