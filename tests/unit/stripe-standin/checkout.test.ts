import type Stripe from 'stripe';
import type { StripeStandin } from '../../support/stripe-standin';
import { caught, control, startStandin } from './helpers';
import { SAVE_DETAILS_LABEL } from '../../support/stripe-standin/checkout-text';
import { stripeJsStandinSource } from '../../support/stripe-js-standin/build';

describe('Checkout Sessions', () => {
  let standin: StripeStandin;
  let stripe: Stripe;

  beforeAll(async () => {
    ({ standin, stripe } = await startStandin());
  });
  afterAll(() => standin.close());
  beforeEach(() => standin.control.reset());

  const lineItems = (
    unitAmount = 1500,
    quantity = 2,
    currency = 'usd',
  ): Stripe.Checkout.SessionCreateParams.LineItem[] => [
    { price_data: { currency, unit_amount: unitAmount, product_data: { name: 'Invoice INV-42' } }, quantity },
  ];

  const hosted = (extra: Partial<Stripe.Checkout.SessionCreateParams> = {}): Promise<Stripe.Checkout.Session> =>
    stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: lineItems(),
      success_url: 'https://merchant.test/paid?session={CHECKOUT_SESSION_ID}',
      cancel_url: 'https://merchant.test/invoice/42',
      client_reference_id: 'INV-42',
      metadata: { invoice: 'INV-42' },
      payment_intent_data: { metadata: { invoice: 'INV-42' } },
      ...extra,
    });

  it('creates a hosted session pointing at the stand-in', async () => {
    const session = await hosted();
    expect(session.id).toMatch(/^cs_test_a1[0-9A-Za-z]{56}$/);
    expect(session.object).toBe('checkout.session');
    expect(session.status).toBe('open');
    expect(session.payment_status).toBe('unpaid');
    expect(session.amount_total).toBe(3000);
    expect(session.currency).toBe('usd');
    expect(session.ui_mode).toBe('hosted_page');
    expect(session.url).toBe(`${standin.url}/_standin/checkout/${session.id}`);
    expect(session.client_secret).toBeNull();
    expect(session.payment_intent).toBeNull();
    expect(session.client_reference_id).toBe('INV-42');
    const items = await stripe.checkout.sessions.listLineItems(session.id);
    expect(
      items.data.map((item) => [item.description, item.quantity, item.amount_total, item.price?.unit_amount]),
    ).toEqual([['Invoice INV-42', 2, 3000, 1500]]);
  });

  it('completes via control: PaymentIntent, charge and checkout.session.completed', async () => {
    const session = await hosted();
    const res = await control(standin, 'POST', `/_standin/checkout/sessions/${session.id}/complete`, {});
    expect(res.status).toBe(200);
    const done = await stripe.checkout.sessions.retrieve(session.id, { expand: ['payment_intent'] });
    expect(done.status).toBe('complete');
    expect(done.payment_status).toBe('paid');
    expect(done.url).toBeNull();
    expect(done.customer_details?.email).toBe('customer@example.com');
    const pi = done.payment_intent as Stripe.PaymentIntent;
    expect(pi.status).toBe('succeeded');
    expect(pi.amount).toBe(3000);
    expect(pi.metadata).toEqual({ invoice: 'INV-42' });
    expect(standin.control.events().map((event) => event.type)).toEqual([
      'payment_intent.created',
      'charge.succeeded',
      'payment_intent.succeeded',
      'checkout.session.completed',
    ]);
    const again = await control(standin, 'POST', `/_standin/checkout/sessions/${session.id}/complete`, {});
    expect(again.status).toBe(400);
  });

  it('hosted page: Pay redirects to success_url with the session id; Cancel to cancel_url', async () => {
    const session = await hosted();
    const page = await fetch(String(session.url));
    const html = await page.text();
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(html).toContain('Pay $30.00');
    expect(html).toContain('id="pay"');

    const cancel = await fetch(`${standin.url}/_standin/checkout/${session.id}/cancel`, {
      method: 'POST',
      redirect: 'manual',
    });
    expect(cancel.status).toBe(303);
    expect(cancel.headers.get('location')).toBe('https://merchant.test/invoice/42');
    expect((await stripe.checkout.sessions.retrieve(session.id)).status).toBe('open');

    const declined = await fetch(`${standin.url}/_standin/checkout/${session.id}/pay`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'payment_method=pm_card_chargeDeclined',
      redirect: 'manual',
    });
    expect(declined.status).toBe(402);
    expect(await declined.text()).toContain('Your card was declined.');

    const paid = await fetch(`${standin.url}/_standin/checkout/${session.id}/pay`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'payment_method=pm_card_visa&email=payer%40example.com',
      redirect: 'manual',
    });
    expect(paid.status).toBe(303);
    expect(paid.headers.get('location')).toBe(`https://merchant.test/paid?session=${session.id}`);
    const done = await stripe.checkout.sessions.retrieve(session.id);
    expect(done.status).toBe('complete');
    expect(done.customer_details?.email).toBe('payer@example.com');
    // The declined attempt and the successful one share one PaymentIntent, as in Stripe Checkout.
    expect(standin.control.stats().created.payment_intents).toBe(1);
    expect(standin.control.stats().created.charges).toBe(2);
  });

  it('keeps a locale Checkout knows and refuses any other, as Stripe does', async () => {
    expect((await hosted({ locale: 'fr' })).locale).toBe('fr');
    expect((await hosted()).locale).toBeNull();
    for (const locale of ['fr-FR', 'klingon', 'DE']) {
      const error = await caught(() => hosted({ locale: locale as Stripe.Checkout.SessionCreateParams.Locale }));
      expect([locale, error.type, error.param]).toEqual([locale, 'StripeInvalidRequestError', 'locale']);
    }
  });

  it('embedded sessions need return_url and get a client_secret', async () => {
    const missing = await caught(() =>
      stripe.checkout.sessions.create({ mode: 'payment', ui_mode: 'embedded_page', line_items: lineItems() }),
    );
    expect(missing.param).toBe('return_url');
    const withSuccess = await caught(() =>
      stripe.checkout.sessions.create({
        mode: 'payment',
        ui_mode: 'embedded_page',
        line_items: lineItems(),
        return_url: 'https://merchant.test/return?cs={CHECKOUT_SESSION_ID}',
        success_url: 'https://merchant.test/ok',
      }),
    );
    expect(withSuccess.param).toBe('success_url');
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      ui_mode: 'embedded_page',
      line_items: lineItems(),
      return_url: 'https://merchant.test/return?cs={CHECKOUT_SESSION_ID}',
    });
    expect(session.ui_mode).toBe('embedded_page');
    expect(session.url).toBeNull();
    expect(session.client_secret).toMatch(new RegExp(`^${session.id}_secret_`));
    expect(session.return_url).toBe('https://merchant.test/return?cs={CHECKOUT_SESSION_ID}');
    const done = standin.control.completeCheckout(session.id, { payment_method: 'pm_card_mastercard' });
    expect(done.status).toBe('complete');
    expect(done.payment_status).toBe('paid');
  });

  it('refuses the ui_mode names renamed in 2026-03-25.dahlia, and payment_method_types', async () => {
    // SDK 23.1.0 Checkout.SessionCreateParams.UiMode: 'elements' | 'embedded_page' | 'form' | 'hosted_page'.
    for (const old of ['hosted', 'embedded', 'custom']) {
      const error = await caught(() =>
        stripe.checkout.sessions.create({
          mode: 'payment',
          ui_mode: old as Stripe.Checkout.SessionCreateParams.UiMode,
          line_items: lineItems(),
          return_url: 'https://merchant.test/return',
        }),
      );
      expect(error.statusCode).toBe(400);
      expect(error.rawType).toBe('invalid_request_error');
      expect(error.param).toBe('ui_mode');
    }
    const elements = await stripe.checkout.sessions.create({
      mode: 'payment',
      ui_mode: 'elements',
      line_items: lineItems(),
      return_url: 'https://merchant.test/return',
    });
    expect(elements.ui_mode).toBe('elements');
    expect(elements.client_secret).not.toBeNull();
    expect(elements.url).toBeNull();
    const types = await caught(() =>
      stripe.checkout.sessions.create({
        mode: 'payment',
        line_items: lineItems(),
        success_url: 'https://merchant.test/ok',
        payment_method_types: ['card'],
      } as Stripe.Checkout.SessionCreateParams),
    );
    expect(types.statusCode).toBe(400);
    expect(types.param).toBe('payment_method_types');
  });

  it('expires open sessions with checkout.session.expired', async () => {
    const session = await hosted();
    const expired = await stripe.checkout.sessions.expire(session.id);
    expect(expired.status).toBe('expired');
    expect(expired.url).toBeNull();
    const events = await stripe.events.list({ type: 'checkout.session.expired' });
    expect((events.data[0].data.object as Stripe.Checkout.Session).id).toBe(session.id);
    const again = await caught(() => stripe.checkout.sessions.expire(session.id));
    expect(again.statusCode).toBe(400);
    const complete = await control(standin, 'POST', `/_standin/checkout/sessions/${session.id}/complete`, {});
    expect(complete.status).toBe(400);
  });

  it('delayed success: complete + unpaid, then async_payment_succeeded', async () => {
    const session = await hosted();
    const done = standin.control.completeCheckout(session.id, { outcome: 'delayed_success' });
    expect(done.status).toBe('complete');
    expect(done.payment_status).toBe('unpaid');
    const pi = await stripe.paymentIntents.retrieve(String(done.payment_intent));
    expect(pi.status).toBe('processing');
    standin.control.settleDelayed(pi.id);
    const after = await stripe.checkout.sessions.retrieve(session.id);
    expect(after.payment_status).toBe('paid');
    expect(standin.control.events().map((event) => event.type)).toEqual([
      'payment_intent.created',
      'charge.pending',
      'payment_intent.processing',
      'checkout.session.completed',
      'charge.succeeded',
      'payment_intent.succeeded',
      'checkout.session.async_payment_succeeded',
    ]);
  });

  it('delayed failure: async_payment_failed and the session stays unpaid', async () => {
    const session = await hosted();
    standin.control.completeCheckout(session.id, { outcome: 'delayed_failure' });
    const pi = String((await stripe.checkout.sessions.retrieve(session.id)).payment_intent);
    await control(standin, 'POST', `/_standin/payment_intents/${pi}/settle`, {});
    const after = await stripe.checkout.sessions.retrieve(session.id);
    expect(after.status).toBe('complete');
    expect(after.payment_status).toBe('unpaid');
    const failed = await stripe.events.list({ type: 'checkout.session.async_payment_failed' });
    expect(failed.data).toHaveLength(1);
    expect((await stripe.paymentIntents.retrieve(pi)).status).toBe('requires_payment_method');
  });

  it('validates line items and totals; lists sessions', async () => {
    const tooSmall = await caught(() => hosted({ line_items: lineItems(10, 1) }));
    expect(tooSmall.message).toBe('Amount must be at least $0.50 usd');
    const noItems = await caught(() => hosted({ line_items: [] }));
    expect(noItems.param).toBe('line_items');
    const price = await caught(() => hosted({ line_items: [{ price: 'price_123', quantity: 1 }] }));
    expect(price.message).toBe("No such price: 'price_123'");
    expect((await stripe.checkout.sessions.list({ limit: 5 })).data).toEqual([]);
    const open = await hosted();
    const paid = await hosted();
    standin.control.completeCheckout(paid.id);
    const all = await stripe.checkout.sessions.list();
    expect(all.data.map((session) => session.id)).toEqual([paid.id, open.id]);
    const complete = await stripe.checkout.sessions.list({ status: 'complete' });
    expect(complete.data.map((session) => session.id)).toEqual([paid.id]);
    const byIntent = await stripe.checkout.sessions.list({ payment_intent: String(complete.data[0].payment_intent) });
    expect(byIntent.data.map((session) => session.id)).toEqual([paid.id]);
  });

  describe('saving the payment method (https://docs.stripe.com/payments/checkout/save-during-payment)', () => {
    const customerMethods = async (customer: string) =>
      (await stripe.customers.listPaymentMethods(customer)).data.map((pm) => [pm.type, pm.allow_redisplay]);

    it("payment_method_save with a customer shows Checkout's box; ticked, the method is saved with allow_redisplay always", async () => {
      const customer = await stripe.customers.create({ email: 'ada@example.test' });
      const session = await hosted({
        customer: customer.id,
        saved_payment_method_options: { payment_method_save: 'enabled' },
        custom_text: { submit: { message: 'Saved for automatic payment of later invoices.' } },
      });
      expect(session.saved_payment_method_options?.payment_method_save).toBe('enabled');
      expect(session.custom_text.submit?.message).toBe('Saved for automatic payment of later invoices.');
      const page = await (await fetch(session.url!)).text();
      expect(page).toContain('id="save"');
      expect(page).toContain('Saved for automatic payment of later invoices.');
      standin.control.completeCheckout(session.id, { payment_method: 'pm_card_visa', save: true });
      expect(await customerMethods(customer.id)).toEqual([['card', 'always']]);
    });

    it('unticked, or without a customer, nothing is saved; a box not shown cannot be ticked', async () => {
      const customer = await stripe.customers.create({});
      const unticked = await hosted({
        customer: customer.id,
        saved_payment_method_options: { payment_method_save: 'enabled' },
      });
      standin.control.completeCheckout(unticked.id, { payment_method: 'pm_card_visa' });
      expect(await customerMethods(customer.id)).toEqual([]);
      const noCustomer = await hosted({ saved_payment_method_options: { payment_method_save: 'enabled' } });
      expect(await (await fetch(noCustomer.url!)).text()).not.toContain('id="save"');
      expect(() => standin.control.completeCheckout(noCustomer.id, { save: true })).toThrow(/does not offer to save/);
      const unknown = await caught(() => hosted({ customer: 'cus_doesnotexist' }));
      expect(unknown.code).toBe('resource_missing');
    });

    it('embedded Checkout shows the same box as the hosted page when the session offers saving', async () => {
      const customer = await stripe.customers.create({ email: 'ada@example.test' });
      const embedded = (extra: Partial<Stripe.Checkout.SessionCreateParams>) =>
        stripe.checkout.sessions.create({
          mode: 'payment',
          ui_mode: 'embedded_page',
          line_items: lineItems(),
          return_url: 'https://merchant.test/return?cs={CHECKOUT_SESSION_ID}',
          ...extra,
        });
      const saving = await embedded({
        customer: customer.id,
        saved_payment_method_options: { payment_method_save: 'enabled' },
      });
      const plain = await embedded({});
      // What the Stripe.js stand-in reads (CORS, like Stripe.js's own calls) before mounting the form.
      const shown = await fetch(`${standin.url}/_standin/checkout/sessions/${saving.id}/embedded`);
      expect(shown.headers.get('access-control-allow-origin')).toBe('*');
      expect(await shown.json()).toEqual({ id: saving.id, status: 'open', offers_saving: true });
      expect((await control(standin, 'GET', `/_standin/checkout/sessions/${plain.id}/embedded`)).json).toMatchObject({
        offers_saving: false,
      });
      // One label for both pages: the hosted page's and the bundled Stripe.js stand-in's.
      const hostedPage = await hosted({
        customer: customer.id,
        saved_payment_method_options: { payment_method_save: 'enabled' },
      });
      expect(await (await fetch(hostedPage.url!)).text()).toContain(SAVE_DETAILS_LABEL);
      expect(stripeJsStandinSource()).toContain(SAVE_DETAILS_LABEL);
      expect(stripeJsStandinSource()).toContain('/embedded');
      // The embedded form's Pay sends save=true when ticked: the method is saved to the customer.
      const paid = await control(standin, 'POST', `/_standin/checkout/sessions/${saving.id}/complete`, {
        payment_method: 'pm_card_visa',
        save: 'true',
      });
      expect(paid.status).toBe(200);
      expect(await customerMethods(customer.id)).toEqual([['card', 'always']]);
    });

    it('payment_intent_data.setup_future_usage saves every method, allow_redisplay limited', async () => {
      const customer = await stripe.customers.create({});
      const session = await hosted({
        customer: customer.id,
        payment_intent_data: { setup_future_usage: 'off_session' },
      });
      standin.control.completeCheckout(session.id, { payment_method: 'pm_card_visa' });
      expect(await customerMethods(customer.id)).toEqual([['card', 'limited']]);
    });

    it('a SEPA debit saved on Checkout is debited later under a reusable mandate', async () => {
      const customer = await stripe.customers.create({});
      const session = await hosted({
        line_items: lineItems(1500, 2, 'eur'),
        customer: customer.id,
        saved_payment_method_options: { payment_method_save: 'enabled' },
      });
      standin.control.completeCheckout(session.id, { payment_method: 'pm_sepaDebit_success', save: true });
      const [pm] = (await stripe.customers.listPaymentMethods(customer.id)).data;
      expect(pm?.type).toBe('sepa_debit');
      const done = await stripe.checkout.sessions.retrieve(session.id);
      const charges = await stripe.charges.list({ payment_intent: String(done.payment_intent) });
      const mandate = await stripe.mandates.retrieve(
        String(charges.data[0]!.payment_method_details?.sepa_debit?.mandate),
      );
      expect(mandate.type).toBe('multi_use');
      expect(mandate.payment_method).toBe(pm!.id);
    });
  });
});
