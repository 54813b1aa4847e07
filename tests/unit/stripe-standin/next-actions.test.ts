/**
 * PaymentIntent next actions beyond card 3-D Secure (SDK 23.1.0 `PaymentIntent.NextAction`),
 * refunds that need action or fail later, webhook API versions, and the list/search calls a
 * server uses to find what exists at Stripe after a 500.
 */
import type Stripe from 'stripe';
import type { StripeStandin } from '../../support/stripe-standin';
import {
  asRecord,
  caught,
  control,
  startReceiver,
  startStandin,
  waitFor,
  WEBHOOK_SECRET,
  type Receiver,
} from './helpers';

describe('next actions, refunds needing action, API versions, lookups', () => {
  let standin: StripeStandin;
  let stripe: Stripe;

  beforeAll(async () => {
    ({ standin, stripe } = await startStandin());
  });
  afterAll(() => standin.close());
  beforeEach(() => standin.control.reset());

  const types = (): string[] => standin.control.events().map((event) => String(event.type));

  describe('vouchers', () => {
    it.each([
      ['oxxo', 'mxn', 'oxxo_display_details'],
      ['boleto', 'brl', 'boleto_display_details'],
      ['konbini', 'jpy', 'konbini_display_details'],
      ['multibanco', 'eur', 'multibanco_display_details'],
    ] as const)('%s: requires_action with %s until paid (control payVoucher)', async (voucher, currency, action) => {
      const pi = await stripe.paymentIntents.create({
        amount: 20000,
        currency,
        payment_method: `pm_${voucher}`,
        confirm: true,
      });
      expect(pi.status).toBe('requires_action');
      expect(pi.next_action?.type).toBe(action);
      // The SDK's own types for each voucher's details (compile-time check of the shape we return).
      const details: Stripe.PaymentIntent.NextAction[typeof action] = pi.next_action?.[action];
      expect(details?.hosted_voucher_url).toMatch(/^http/);
      expect(types()).toContain('payment_intent.requires_action');
      // Still live: a later retrieve shows the same, and 3-D Secure completion does not apply.
      const refused = await control(standin, 'POST', `/_standin/payment_intents/${pi.id}/authenticate`, {
        outcome: 'succeed',
      });
      expect(refused.status).toBe(400);
      const paid = standin.control.payVoucher(pi.id);
      expect(paid.status).toBe('succeeded');
      const after = await stripe.paymentIntents.retrieve(pi.id, { expand: ['latest_charge'] });
      expect(after.next_action).toBeNull();
      expect((after.latest_charge as Stripe.Charge).payment_method_details?.type).toBe(voucher);
      expect(types().slice(-2)).toEqual(['charge.succeeded', 'payment_intent.succeeded']);
    });

    it('an expired voucher returns the intent to requires_payment_method with payment_intent.payment_failed', async () => {
      const pi = await stripe.paymentIntents.create({
        amount: 20000,
        currency: 'mxn',
        payment_method: 'pm_oxxo',
        confirm: true,
      });
      const expired = await control(standin, 'POST', `/_standin/payment_intents/${pi.id}/voucher`, {
        outcome: 'expire',
      });
      expect(expired.status).toBe(200);
      const after = await stripe.paymentIntents.retrieve(pi.id);
      expect(after.status).toBe('requires_payment_method');
      expect(after.last_payment_error?.code).toBe('payment_intent_payment_attempt_expired');
      expect(types().at(-1)).toBe('payment_intent.payment_failed');
      expect(() => standin.control.payVoucher(pi.id)).toThrow(/not awaiting a voucher/);
    });

    it("payment_method_data[type]=oxxo with Stripe's test emails", async () => {
      const confirm = (email: string) =>
        stripe.paymentIntents.create({
          amount: 20000,
          currency: 'mxn',
          confirm: true,
          payment_method_data: { type: 'oxxo', billing_details: { name: 'Jenny Rosen', email } },
        });
      expect((await confirm('succeed_immediately@example.com')).status).toBe('succeeded');
      expect((await confirm('expire_immediately@example.com')).status).toBe('requires_payment_method');
      const never = await confirm('fill_never@example.com');
      expect(never.status).toBe('requires_action');
      expect(never.next_action?.oxxo_display_details?.number).toMatch(/^\d+$/);
      const missingName = await caught(() =>
        stripe.paymentIntents.create({
          amount: 20000,
          currency: 'mxn',
          confirm: true,
          payment_method_data: { type: 'oxxo', billing_details: { email: 'a@b.c' } },
        }),
      );
      expect(missingName.param).toBe('payment_method_data[billing_details][name]');
    });

    it('refuses a voucher in a currency it does not support', async () => {
      const error = await caught(() =>
        stripe.paymentIntents.create({ amount: 2000, currency: 'usd', payment_method: 'pm_oxxo', confirm: true }),
      );
      expect(error.statusCode).toBe(400);
      expect(error.param).toBe('payment_method');
    });

    it('is paid on its own after autoSettleDelayMs', async () => {
      const auto = await startStandin({ autoSettleDelayMs: 30 });
      try {
        const pi = await auto.stripe.paymentIntents.create({
          amount: 20000,
          currency: 'mxn',
          payment_method: 'pm_oxxo',
          confirm: true,
        });
        await waitFor(
          () => auto.standin.control.events().some((event) => event.type === 'payment_intent.succeeded'),
          2000,
          'voucher paid',
        );
        expect((await auto.stripe.paymentIntents.retrieve(pi.id)).status).toBe('succeeded');
      } finally {
        await auto.standin.close();
      }
    });

    it('Checkout completes unpaid, then async_payment_succeeded when the voucher is paid', async () => {
      const session = await stripe.checkout.sessions.create({
        mode: 'payment',
        success_url: 'https://merchant.test/ok',
        line_items: [
          { quantity: 1, price_data: { currency: 'mxn', unit_amount: 20000, product_data: { name: 'Invoice' } } },
        ],
      });
      const done = standin.control.completeCheckout(session.id, { payment_method: 'pm_oxxo' });
      expect(done).toMatchObject({ status: 'complete', payment_status: 'unpaid' });
      standin.control.payVoucher(String(done.payment_intent));
      expect((await stripe.checkout.sessions.retrieve(session.id)).payment_status).toBe('paid');
      expect(types()).toContain('checkout.session.async_payment_succeeded');
    });
  });

  describe('bank transfers (customer_balance)', () => {
    it('needs a customer; display_bank_transfer_instructions until funded, partial funding keeps it waiting', async () => {
      const noCustomer = await caught(() =>
        stripe.paymentIntents.create({
          amount: 5000,
          currency: 'usd',
          payment_method: 'pm_customerBalance',
          confirm: true,
        }),
      );
      expect(noCustomer.param).toBe('customer');
      const customer = await stripe.customers.create({ name: 'Bank transfer client' });
      const pi = await stripe.paymentIntents.create({
        amount: 5000,
        currency: 'usd',
        customer: customer.id,
        payment_method: 'pm_customerBalance',
        confirm: true,
      });
      expect(pi.status).toBe('requires_action');
      const instructions: Stripe.PaymentIntent.NextAction.DisplayBankTransferInstructions | undefined =
        pi.next_action?.display_bank_transfer_instructions;
      expect(instructions).toMatchObject({ amount_remaining: 5000, currency: 'usd', type: 'us_bank_transfer' });
      expect(instructions?.financial_addresses?.[0].aba?.routing_number).toBe('110000000');
      const partial = standin.control.fundBankTransfer(pi.id, 2000);
      expect(partial.status).toBe('requires_action');
      expect(
        (await stripe.paymentIntents.retrieve(pi.id)).next_action?.display_bank_transfer_instructions?.amount_remaining,
      ).toBe(3000);
      expect(types().at(-1)).toBe('payment_intent.partially_funded');
      const rest = await control(standin, 'POST', `/_standin/payment_intents/${pi.id}/fund`, {});
      expect(asRecord(rest.json).status).toBe('succeeded');
      expect((await stripe.paymentIntents.retrieve(pi.id)).amount_received).toBe(5000);
    });

    it('payment_method_data[type]=customer_balance in EUR gives IBAN instructions', async () => {
      const customer = await stripe.customers.create({ name: 'IBAN client' });
      const pi = await stripe.paymentIntents.create({
        amount: 5000,
        currency: 'eur',
        customer: customer.id,
        confirm: true,
        payment_method_data: { type: 'customer_balance' },
      });
      expect(pi.next_action?.display_bank_transfer_instructions?.financial_addresses?.[0].type).toBe('iban');
    });
  });

  describe('ACH microdeposits', () => {
    it('verify_with_microdeposits, wrong amounts refused, 32/45 -> processing -> succeeded', async () => {
      const pi = await stripe.paymentIntents.create({
        amount: 5000,
        currency: 'usd',
        payment_method: 'pm_usBankAccount_microdeposits',
        confirm: true,
      });
      expect(pi.status).toBe('requires_action');
      const verify: Stripe.PaymentIntent.NextAction.VerifyWithMicrodeposits | undefined =
        pi.next_action?.verify_with_microdeposits;
      expect(verify?.microdeposit_type).toBe('amounts');
      expect(verify?.hosted_verification_url).toMatch(/^http/);
      const wrong = await caught(() => stripe.paymentIntents.verifyMicrodeposits(pi.id, { amounts: [1, 2] }));
      expect(wrong.code).toBe('payment_method_microdeposit_verification_amounts_mismatch');
      const verified = await stripe.paymentIntents.verifyMicrodeposits(pi.id, { amounts: [32, 45] });
      expect(verified.status).toBe('processing');
      standin.control.settleDelayed(pi.id);
      expect((await stripe.paymentIntents.retrieve(pi.id)).status).toBe('succeeded');
    });

    it('descriptor code SM11AA, or the control hook', async () => {
      const first = await stripe.paymentIntents.create({
        amount: 5000,
        currency: 'usd',
        payment_method: 'pm_usBankAccount_microdeposits',
        confirm: true,
      });
      expect((await stripe.paymentIntents.verifyMicrodeposits(first.id, { descriptor_code: 'SM11AA' })).status).toBe(
        'processing',
      );
      const second = await stripe.paymentIntents.create({
        amount: 5000,
        currency: 'usd',
        confirm: true,
        payment_method_data: {
          type: 'us_bank_account',
          us_bank_account: {
            account_holder_type: 'individual',
            account_number: '000123456789',
            routing_number: '110000000',
          },
          billing_details: { name: 'Jenny Rosen' },
        },
      });
      expect(second.next_action?.type).toBe('verify_with_microdeposits');
      expect(standin.control.verifyMicrodeposits(second.id).status).toBe('processing');
    });
  });

  it('card 3-D Secure flows are unchanged (use_stripe_sdk without return_url, redirect_to_url with one)', async () => {
    const sdkFlow = await stripe.paymentIntents.create({
      amount: 2000,
      currency: 'usd',
      payment_method: 'pm_card_authenticationRequired',
      confirm: true,
    });
    expect(sdkFlow.next_action?.type).toBe('use_stripe_sdk');
    const redirect = await stripe.paymentIntents.create({
      amount: 2000,
      currency: 'usd',
      payment_method: 'pm_card_authenticationRequired',
      confirm: true,
      return_url: 'https://merchant.test/back',
    });
    expect(redirect.next_action?.type).toBe('redirect_to_url');
    expect(standin.control.authenticate(sdkFlow.id, 'succeed').status).toBe('succeeded');
    const verify = await caught(() => stripe.paymentIntents.verifyMicrodeposits(redirect.id, { amounts: [32, 45] }));
    expect(verify.code).toBe('payment_intent_unexpected_state');
  });

  describe('refunds', () => {
    it('a voucher refund waits in requires_action and can be canceled; a succeeded one cannot', async () => {
      const pi = await stripe.paymentIntents.create({
        amount: 20000,
        currency: 'mxn',
        payment_method: 'pm_oxxo',
        confirm: true,
      });
      standin.control.payVoucher(pi.id);
      const refund = await stripe.refunds.create({
        payment_intent: pi.id,
        amount: 5000,
        instructions_email: 'client@example.test',
        metadata: { ledger: 'r-9' },
      });
      expect(refund.status).toBe('requires_action');
      expect(refund.next_action?.display_details?.email_sent.email_sent_to).toBe('client@example.test');
      const canceled = await stripe.refunds.cancel(refund.id);
      expect(canceled.status).toBe('canceled');
      expect(canceled.metadata).toEqual({ ledger: 'r-9' });
      const charge = String((await stripe.paymentIntents.retrieve(pi.id)).latest_charge);
      expect((await stripe.charges.retrieve(charge)).amount_refunded).toBe(0);
      expect(types().slice(-2)).toEqual(['refund.updated', 'charge.refund.updated']);

      const card = await stripe.paymentIntents.create({
        amount: 2000,
        currency: 'usd',
        payment_method: 'pm_card_visa',
        confirm: true,
      });
      const done = await stripe.refunds.create({ payment_intent: card.id });
      const refused = await caught(() => stripe.refunds.cancel(done.id));
      expect(refused.statusCode).toBe(400);
    });

    it('4000000000007726 (pm_card_refundPending): pending, then succeeded', async () => {
      const pi = await stripe.paymentIntents.create({
        amount: 2000,
        currency: 'usd',
        payment_method: 'pm_card_refundPending',
        confirm: true,
      });
      const refund = await stripe.refunds.create({ payment_intent: pi.id });
      expect(refund.status).toBe('pending');
      expect(standin.control.settleRefund(refund.id, 'succeed').status).toBe('succeeded');
    });

    it('fail route with a failure_reason from the SDK list', async () => {
      const pi = await stripe.paymentIntents.create({
        amount: 2000,
        currency: 'usd',
        payment_method: 'pm_card_refundFail',
        confirm: true,
      });
      const refund = await stripe.refunds.create({ payment_intent: pi.id });
      const failed = await control(standin, 'POST', `/_standin/refunds/${refund.id}/fail`, {
        failure_reason: 'lost_or_stolen_card',
      });
      expect(asRecord(failed.json)).toMatchObject({ status: 'failed', failure_reason: 'lost_or_stolen_card' });
      expect(
        (await control(standin, 'POST', `/_standin/refunds/${refund.id}/fail`, { failure_reason: 'nope' })).status,
      ).toBe(400);
    });
  });

  describe('webhook API version', () => {
    let receiver: Receiver;
    beforeAll(async () => {
      receiver = await startReceiver();
    });
    afterAll(() => receiver.close());

    it("events carry the endpoint's api_version, the pinned one by default", async () => {
      standin.control.setWebhook({ url: receiver.url, secret: WEBHOOK_SECRET });
      await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
      await standin.control.idle();
      expect(JSON.parse(receiver.received.at(-1)?.body ?? '{}').api_version).toBe('2026-10-28.endive');
      standin.control.setWebhook({ apiVersion: '2026-09-30.endive' });
      await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
      await standin.control.idle();
      expect(JSON.parse(receiver.received.at(-1)?.body ?? '{}').api_version).toBe('2026-09-30.endive');
      const viaRoute = await control(standin, 'POST', '/_standin/webhook', { apiVersion: '2026-08-26.dahlia' });
      expect(asRecord(asRecord(viaRoute.json).endpoint).apiVersion).toBe('2026-08-26.dahlia');
      // Events read through the API use the account's version.
      expect((await stripe.events.list({ limit: 1 })).data[0].api_version).toBe('2026-10-28.endive');
      standin.control.reset();
      expect(standin.control.webhookConfig().endpoint.apiVersion).toBe('2026-10-28.endive');
    });
  });

  describe('finding what exists after a 500', () => {
    it('paymentIntents.list created[gte], search by metadata; checkout.sessions.list by payment_intent/status/created', async () => {
      const old = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd', metadata: { invoice: 'INV-A' } });
      const mine = await stripe.paymentIntents.create({
        amount: 1000,
        currency: 'usd',
        metadata: { invoice: 'INV-B' },
      });
      const since = await stripe.paymentIntents.list({ created: { gte: mine.created } });
      expect(since.data.map((pi) => pi.id)).toContain(mine.id);
      expect((await stripe.paymentIntents.list({ created: { gt: mine.created + 60 } })).data).toHaveLength(0);
      const found = await stripe.paymentIntents.search({ query: "metadata['invoice']:'INV-B'" });
      expect(found.data.map((pi) => pi.id)).toEqual([mine.id]);
      expect(found.data.map((pi) => pi.id)).not.toContain(old.id);

      const open = await stripe.checkout.sessions.create({
        mode: 'payment',
        success_url: 'https://merchant.test/ok',
        metadata: { invoice: 'INV-B' },
        line_items: [
          { quantity: 1, price_data: { currency: 'usd', unit_amount: 3000, product_data: { name: 'Invoice' } } },
        ],
      });
      const paidSession = await stripe.checkout.sessions.create({
        mode: 'payment',
        success_url: 'https://merchant.test/ok',
        line_items: [
          { quantity: 1, price_data: { currency: 'usd', unit_amount: 3000, product_data: { name: 'Invoice' } } },
        ],
      });
      const done = standin.control.completeCheckout(paidSession.id);
      expect((await stripe.checkout.sessions.list({ status: 'open' })).data.map((s) => s.id)).toEqual([open.id]);
      expect(
        (await stripe.checkout.sessions.list({ payment_intent: String(done.payment_intent) })).data.map((s) => s.id),
      ).toEqual([paidSession.id]);
      expect((await stripe.checkout.sessions.list({ created: { gte: open.created } })).data).toHaveLength(2);
    });
  });
});
