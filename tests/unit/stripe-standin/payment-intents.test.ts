import Stripe from 'stripe';
import type { StripeStandin } from '../../support/stripe-standin';
import { caught, sdk, startStandin } from './helpers';

describe('PaymentIntents through the real stripe SDK', () => {
  let standin: StripeStandin;
  let stripe: Stripe;

  beforeAll(async () => {
    ({ standin, stripe } = await startStandin());
  });
  afterAll(() => standin.close());
  beforeEach(() => standin.control.reset());

  describe('auth and account', () => {
    it('returns a stable account per secret key', async () => {
      const first = await stripe.accounts.retrieve(null);
      const again = await stripe.accounts.retrieveCurrent();
      const other = await sdk(standin, 'sk_test_someoneElse').accounts.retrieve(null);
      expect(first.id).toMatch(/^acct_standin[0-9A-Za-z]{8}$/);
      expect(again.id).toBe(first.id);
      expect(other.id).not.toBe(first.id);
      expect(first.charges_enabled).toBe(true);
    });

    it('rejects keys containing "invalid" with a masked 401', async () => {
      const error = await caught(() => sdk(standin, 'sk_test_invalid_key_1234').accounts.retrieve(null));
      expect(error).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
      expect(error.statusCode).toBe(401);
      expect(error.rawType).toBe('invalid_request_error');
      expect(error.message).toBe('Invalid API Key provided: sk_test_************1234');
    });

    it('rejects a missing Authorization header', async () => {
      const res = await fetch(`${standin.url}/v1/payment_intents`);
      const body = (await res.json()) as { error: { type: string; message: string } };
      expect(res.status).toBe(401);
      expect(body.error.type).toBe('invalid_request_error');
      expect(body.error.message).toMatch(/^You did not provide an API key/);
      expect(res.headers.get('request-id')).toMatch(/^req_/);
    });

    it('sets livemode from the key prefix and keeps modes apart', async () => {
      const live = sdk(standin, 'sk_live' + '_standinUnitTests');
      const pi = await live.paymentIntents.create({ amount: 1000, currency: 'usd' });
      expect(pi.livemode).toBe(true);
      const error = await caught(() => stripe.paymentIntents.retrieve(pi.id));
      expect(error.statusCode).toBe(404);
      expect(error.message).toBe(
        `No such payment_intent: '${pi.id}'; a similar object exists in live mode, but a test mode key was used to make this request.`,
      );
      const declined = await caught(() => live.paymentIntents.confirm(pi.id, { payment_method: 'pm_card_visa' }));
      expect(declined).toBeInstanceOf(Stripe.errors.StripeCardError);
      expect(declined.decline_code).toBe('test_mode_live_card');
    });
  });

  describe('create / retrieve / list', () => {
    it('creates with metadata and lowercases the currency', async () => {
      const pi = await stripe.paymentIntents.create({
        amount: 12345,
        currency: 'EUR',
        metadata: { invoice: 'INV-1' },
        description: 'Invoice INV-1',
        receipt_email: 'payer@example.com',
      });
      expect(pi.id).toMatch(/^pi_[0-9A-Za-z]{24}$/);
      expect(pi.object).toBe('payment_intent');
      expect(pi.status).toBe('requires_payment_method');
      expect(pi.currency).toBe('eur');
      expect(pi.amount).toBe(12345);
      expect(pi.metadata).toEqual({ invoice: 'INV-1' });
      expect(pi.client_secret).toMatch(new RegExp(`^${pi.id}_secret_`));
      expect(pi.livemode).toBe(false);
      const fetched = await stripe.paymentIntents.retrieve(pi.id);
      expect(fetched).toEqual(pi);
    });

    it('404s unknown ids with Stripe’s message', async () => {
      const error = await caught(() => stripe.paymentIntents.retrieve('pi_123'));
      expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(error.statusCode).toBe(404);
      expect(error.code).toBe('resource_missing');
      expect(error.message).toBe("No such payment_intent: 'pi_123'");
      expect(error.requestId).toMatch(/^req_/);
    });

    it('rejects unknown parameters like Stripe', async () => {
      const error = await caught(() =>
        stripe.paymentIntents.create({
          amount: 1000,
          currency: 'usd',
          invoice: 'x',
        } as Stripe.PaymentIntentCreateParams),
      );
      expect(error.code).toBe('parameter_unknown');
      expect(error.message).toBe('Received unknown parameter: invoice');
    });

    it('lists newest first with limit, starting_after and created[gte]', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i += 1)
        ids.push((await stripe.paymentIntents.create({ amount: 1000 + i, currency: 'usd' })).id);
      const first = await stripe.paymentIntents.list({ limit: 2 });
      expect(first.object).toBe('list');
      expect(first.url).toBe('/v1/payment_intents');
      expect(first.data.map((pi) => pi.id)).toEqual([ids[4], ids[3]]);
      expect(first.has_more).toBe(true);
      const next = await stripe.paymentIntents.list({ limit: 10, starting_after: ids[3] });
      expect(next.data.map((pi) => pi.id)).toEqual([ids[2], ids[1], ids[0]]);
      expect(next.has_more).toBe(false);
      const future = await stripe.paymentIntents.list({ created: { gte: Math.floor(Date.now() / 1000) + 60 } });
      expect(future.data).toEqual([]);
      const recent = await stripe.paymentIntents.list({ created: { gte: Math.floor(Date.now() / 1000) - 60 } });
      expect(recent.data).toHaveLength(5);
      const all: string[] = [];
      for await (const pi of stripe.paymentIntents.list({ limit: 2 })) all.push(pi.id);
      expect(all).toEqual([...ids].reverse());
    });

    it('restricts payment method types with allowed_payment_method_types; refuses the removed payment_method_types', async () => {
      const pi = await stripe.paymentIntents.create({
        amount: 1000,
        currency: 'usd',
        allowed_payment_method_types: ['card'],
      });
      expect(pi.payment_method_types).toEqual(['card']);
      expect(pi.allowed_payment_method_types).toEqual(['card']);
      expect(pi.automatic_payment_methods).toBeNull();
      const error = await caught(() =>
        stripe.paymentIntents.confirm(pi.id, { payment_method: 'pm_usBankAccount_success' }),
      );
      expect(error.code).toBe('payment_intent_incompatible_payment_method');
      expect((await stripe.paymentIntents.retrieve(pi.id)).status).toBe('requires_payment_method');
      // Removed in API 2026-09-30.endive (stripe-node 23.0.0 CHANGELOG); the SDK type has no such field.
      const legacyParams = { amount: 1000, currency: 'usd', payment_method_types: ['card'] };
      for (const attempt of [
        () => stripe.paymentIntents.create(legacyParams as Stripe.PaymentIntentCreateParams),
        () =>
          stripe.paymentIntents.update(pi.id, { payment_method_types: ['card'] } as Stripe.PaymentIntentUpdateParams),
        () =>
          stripe.paymentIntents.confirm(pi.id, { payment_method_types: ['card'] } as Stripe.PaymentIntentConfirmParams),
        () => stripe.setupIntents.create({ payment_method_types: ['card'] } as Stripe.SetupIntentCreateParams),
      ]) {
        const refused = await caught(attempt);
        expect(refused.statusCode).toBe(400);
        expect(refused.type).toBe('StripeInvalidRequestError');
        expect(refused.param).toBe('payment_method_types');
        expect(refused.message).toMatch(/^Received unknown parameter: payment_method_types/);
      }
      const automatic = await stripe.paymentIntents.create({
        amount: 1000,
        currency: 'usd',
        automatic_payment_methods: { enabled: true },
      });
      expect(automatic.automatic_payment_methods?.enabled).toBe(true);
      // Dynamic payment methods for USD on the stand-in's account: cards, ACH, bank transfers.
      expect(automatic.payment_method_types).toEqual(['card', 'us_bank_account', 'customer_balance']);
    });

    it('payment_intent.created snapshots the intent as created (payment method attached)', async () => {
      const pi = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_visa' });
      expect(pi.status).toBe('requires_confirmation');
      const [created] = (await stripe.events.list({ type: 'payment_intent.created' })).data;
      const snapshot = created.data.object as Stripe.PaymentIntent;
      expect(snapshot.status).toBe('requires_confirmation');
      expect(snapshot.payment_method).toBe(pi.payment_method);
    });

    it('searches by metadata and status', async () => {
      await stripe.paymentIntents.create({ amount: 1000, currency: 'usd', metadata: { invoice: 'INV-A' } });
      const paid = await stripe.paymentIntents.create({
        amount: 2000,
        currency: 'usd',
        metadata: { invoice: 'INV-B' },
        payment_method: 'pm_card_visa',
        confirm: true,
      });
      const result = await stripe.paymentIntents.search({
        query: "metadata['invoice']:'INV-B' AND status:'succeeded'",
      });
      expect(result.data.map((pi) => pi.id)).toEqual([paid.id]);
      const none = await stripe.paymentIntents.search({ query: "metadata['invoice']:'INV-A' AND status:'succeeded'" });
      expect(none.data).toEqual([]);
    });
  });

  describe('test payment methods', () => {
    it.each([
      ['pm_card_visa', 'visa', '4242'],
      ['pm_card_mastercard', 'mastercard', '4444'],
    ])('%s succeeds and creates a charge', async (pm, brand, last4) => {
      const pi = await stripe.paymentIntents.create({
        amount: 2500,
        currency: 'usd',
        payment_method: pm,
        confirm: true,
      });
      expect(pi.status).toBe('succeeded');
      expect(pi.amount_received).toBe(2500);
      expect(pi.payment_method).toMatch(/^pm_[0-9A-Za-z]{24}$/);
      const charge = await stripe.charges.retrieve(String(pi.latest_charge));
      expect(charge).toMatchObject({
        paid: true,
        captured: true,
        status: 'succeeded',
        amount: 2500,
        amount_captured: 2500,
        amount_refunded: 0,
        refunded: false,
        payment_intent: pi.id,
        payment_method: pi.payment_method,
      });
      expect(charge.payment_method_details?.card?.brand).toBe(brand);
      expect(charge.payment_method_details?.card?.last4).toBe(last4);
      expect(charge.balance_transaction).toMatch(/^txn_/);
      const txn = await stripe.balanceTransactions.retrieve(String(charge.balance_transaction));
      expect(txn.amount).toBe(2500);
      expect(txn.fee).toBe(Math.round(2500 * 0.029) + 30);
      expect(txn.net).toBe(2500 - txn.fee);
    });

    it.each([
      ['pm_card_chargeDeclined', 'card_declined', 'generic_decline', 'Your card was declined.'],
      [
        'pm_card_chargeDeclinedInsufficientFunds',
        'card_declined',
        'insufficient_funds',
        'Your card has insufficient funds.',
      ],
      ['pm_card_chargeDeclinedExpiredCard', 'expired_card', 'expired_card', 'Your card has expired.'],
    ])('%s declines with a 402 card_error', async (pm, code, declineCode, message) => {
      const created = await stripe.paymentIntents.create({
        amount: 2500,
        currency: 'usd',
        metadata: { invoice: 'INV-7' },
      });
      const error = await caught(() => stripe.paymentIntents.confirm(created.id, { payment_method: pm }));
      expect(error).toBeInstanceOf(Stripe.errors.StripeCardError);
      expect(error.statusCode).toBe(402);
      expect(error.code).toBe(code);
      expect(error.decline_code).toBe(declineCode);
      expect(error.message).toBe(message);
      expect(error.doc_url).toBe(`https://stripe.com/docs/error-codes/${code.replace('_', '-')}`);
      const raw = error.raw as { payment_intent?: Stripe.PaymentIntent; charge?: string };
      expect(raw.payment_intent?.id).toBe(created.id);
      expect(raw.payment_intent?.status).toBe('requires_payment_method');
      expect(raw.payment_intent?.last_payment_error?.decline_code).toBe(declineCode);
      const after = await stripe.paymentIntents.retrieve(created.id);
      expect(after.status).toBe('requires_payment_method');
      expect(after.payment_method).toBeNull();
      expect(after.last_payment_error?.code).toBe(code);
      expect(after.last_payment_error?.message).toBe(message);
      expect(after.latest_charge).toBe(raw.charge);
      const charge = await stripe.charges.retrieve(String(raw.charge));
      expect(charge.status).toBe('failed');
      expect(charge.paid).toBe(false);
      expect(charge.failure_code).toBe(code);
      expect(charge.outcome?.reason).toBe(declineCode);
      // The customer can retry with another card.
      const retried = await stripe.paymentIntents.confirm(created.id, { payment_method: 'pm_card_visa' });
      expect(retried.status).toBe('succeeded');
      expect(retried.last_payment_error).toBeNull();
      const charges = await stripe.charges.list({ payment_intent: created.id });
      expect(charges.data.map((item) => [item.id, item.status])).toEqual([
        [retried.latest_charge, 'succeeded'],
        [raw.charge, 'failed'],
      ]);
    });

    it('unknown payment method -> 400 resource_missing', async () => {
      const error = await caught(() =>
        stripe.paymentIntents.create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_nope', confirm: true }),
      );
      expect(error.statusCode).toBe(400);
      expect(error.code).toBe('resource_missing');
      expect(error.param).toBe('payment_method');
      expect(error.message).toBe("No such PaymentMethod: 'pm_card_nope'");
      expect(standin.control.stats().created.payment_intents).toBe(0);
    });

    it('pm_card_createDispute succeeds, then a dispute opens', async () => {
      const pi = await stripe.paymentIntents.create({
        amount: 3000,
        currency: 'usd',
        payment_method: 'pm_card_createDispute',
        confirm: true,
      });
      expect(pi.status).toBe('succeeded');
      const dispute = standin.control.openDispute(String(pi.latest_charge));
      expect(dispute.status).toBe('needs_response');
      expect((await stripe.charges.retrieve(String(pi.latest_charge))).disputed).toBe(true);
    });
  });

  describe('3D Secure', () => {
    it('requires_action with use_stripe_sdk, then authentication succeeds', async () => {
      const pi = await stripe.paymentIntents.create({
        amount: 5000,
        currency: 'usd',
        payment_method: 'pm_card_authenticationRequired',
        confirm: true,
      });
      expect(pi.status).toBe('requires_action');
      expect(pi.next_action?.type).toBe('use_stripe_sdk');
      expect(pi.latest_charge).toBeNull();
      const done = standin.control.authenticate(pi.id, 'succeed');
      expect(done.status).toBe('succeeded');
      const after = await stripe.paymentIntents.retrieve(pi.id, { expand: ['latest_charge'] });
      const charge = after.latest_charge as Stripe.Charge;
      expect(after.next_action).toBeNull();
      expect(charge.status).toBe('succeeded');
      expect(charge.payment_method_details?.card?.three_d_secure?.result).toBe('authenticated');
    });

    it('redirect_to_url with return_url, and a failed authentication', async () => {
      const created = await stripe.paymentIntents.create({ amount: 5000, currency: 'usd' });
      const pi = await stripe.paymentIntents.confirm(created.id, {
        payment_method: 'pm_card_authenticationRequired',
        return_url: 'https://merchant.test/return',
      });
      expect(pi.next_action?.type).toBe('redirect_to_url');
      expect(pi.next_action?.redirect_to_url?.return_url).toBe('https://merchant.test/return');
      expect(pi.next_action?.redirect_to_url?.url).toBe(`${standin.url}/_standin/3ds/${pi.id}`);
      const res = await fetch(`${standin.url}/_standin/payment_intents/${pi.id}/authenticate`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ outcome: 'fail' }),
      });
      expect(res.status).toBe(200);
      const after = await stripe.paymentIntents.retrieve(pi.id);
      expect(after.status).toBe('requires_payment_method');
      expect(after.last_payment_error?.code).toBe('payment_intent_authentication_failure');
      expect(after.last_payment_error?.type).toBe('invalid_request_error');
      expect(after.payment_method).toBeNull();
      expect(standin.control.stats().created.charges).toBe(0);
    });

    it('the hosted 3DS page completes and redirects to return_url', async () => {
      const pi = await stripe.paymentIntents.create({
        amount: 5000,
        currency: 'usd',
        payment_method: 'pm_card_authenticationRequired',
        confirm: true,
        return_url: 'https://merchant.test/return',
      });
      const page = await fetch(String(pi.next_action?.redirect_to_url?.url));
      expect(await page.text()).toContain('Complete authentication');
      const res = await fetch(`${standin.url}/_standin/3ds/${pi.id}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'outcome=succeed',
        redirect: 'manual',
      });
      expect(res.status).toBe(303);
      const location = new URL(String(res.headers.get('location')));
      expect(location.origin + location.pathname).toBe('https://merchant.test/return');
      expect(location.searchParams.get('payment_intent')).toBe(pi.id);
      expect(location.searchParams.get('redirect_status')).toBe('succeeded');
      expect((await stripe.paymentIntents.retrieve(pi.id)).status).toBe('succeeded');
    });
  });

  describe('delayed payment methods', () => {
    it('processing, then settled as succeeded by control', async () => {
      const pi = await stripe.paymentIntents.create({
        amount: 10000,
        currency: 'usd',
        payment_method: 'pm_usBankAccount_success',
        confirm: true,
      });
      expect(pi.status).toBe('processing');
      expect(pi.amount_received).toBe(0);
      const pending = await stripe.charges.retrieve(String(pi.latest_charge));
      expect(pending.status).toBe('pending');
      expect(pending.paid).toBe(false);
      expect(pending.payment_method_details?.type).toBe('us_bank_account');
      standin.control.settleDelayed(pi.id);
      const after = await stripe.paymentIntents.retrieve(pi.id);
      expect(after.status).toBe('succeeded');
      expect(after.amount_received).toBe(10000);
      expect((await stripe.charges.retrieve(String(pi.latest_charge))).status).toBe('succeeded');
    });

    it('pm_usBankAccount_failure settles as failed automatically after autoSettleDelayMs', async () => {
      const auto = await startStandin({ autoSettleDelayMs: 30 });
      try {
        const pi = await auto.stripe.paymentIntents.create({
          amount: 10000,
          currency: 'usd',
          payment_method: 'pm_usBankAccount_failure',
          confirm: true,
        });
        expect(pi.status).toBe('processing');
        let current = pi;
        const deadline = Date.now() + 2000;
        while (current.status === 'processing' && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 10));
          current = await auto.stripe.paymentIntents.retrieve(pi.id);
        }
        expect(current.status).toBe('requires_payment_method');
        expect(current.last_payment_error?.code).toBe('account_closed');
        expect((await auto.stripe.charges.retrieve(String(pi.latest_charge))).status).toBe('failed');
        const types = auto.standin.control.events().map((event) => event.type);
        expect(types).toEqual([
          'payment_intent.created',
          'charge.pending',
          'payment_intent.processing',
          'charge.failed',
          'payment_intent.payment_failed',
        ]);
      } finally {
        await auto.standin.close();
      }
    });

    it('cannot be canceled while processing', async () => {
      const pi = await stripe.paymentIntents.create({
        amount: 10000,
        currency: 'usd',
        payment_method: 'pm_usBankAccount_success',
        confirm: true,
      });
      const error = await caught(() => stripe.paymentIntents.cancel(pi.id));
      expect(error.code).toBe('payment_intent_unexpected_state');
      expect(error.message).toMatch(/^You cannot cancel this PaymentIntent because it has a status of processing\./);
    });
  });

  describe('update and cancel rules', () => {
    it('updates the amount only before confirmation', async () => {
      const pi = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
      const updated = await stripe.paymentIntents.update(pi.id, { amount: 1500, metadata: { invoice: 'INV-2' } });
      expect(updated.amount).toBe(1500);
      expect(updated.metadata).toEqual({ invoice: 'INV-2' });
      const withPm = await stripe.paymentIntents.update(pi.id, { payment_method: 'pm_card_visa', amount: 1700 });
      expect(withPm.status).toBe('requires_confirmation');
      expect(withPm.amount).toBe(1700);
      const confirmed = await stripe.paymentIntents.confirm(pi.id);
      expect(confirmed.status).toBe('succeeded');
      expect(confirmed.amount_received).toBe(1700);
      const error = await caught(() => stripe.paymentIntents.update(pi.id, { amount: 2000 }));
      expect(error.statusCode).toBe(400);
      expect(error.code).toBe('payment_intent_unexpected_state');
      expect(error.message).toBe(
        "This PaymentIntent's amount could not be updated because it has a status of succeeded. You may only update the amount of a PaymentIntent with one of the following statuses: requires_payment_method, requires_confirmation.",
      );
      // Metadata and description stay editable after success, and unset with ''.
      const meta = await stripe.paymentIntents.update(pi.id, {
        metadata: { invoice: '', note: 'paid' },
        description: 'Paid',
      });
      expect(meta.metadata).toEqual({ note: 'paid' });
      expect(meta.description).toBe('Paid');
      expect(meta.amount).toBe(1700);
    });

    it('cancels before success but not after', async () => {
      const pi = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
      const canceled = await stripe.paymentIntents.cancel(pi.id, { cancellation_reason: 'abandoned' });
      expect(canceled.status).toBe('canceled');
      expect(canceled.cancellation_reason).toBe('abandoned');
      expect(canceled.canceled_at).toBeGreaterThan(1_600_000_000);
      const again = await caught(() => stripe.paymentIntents.cancel(pi.id));
      expect(again.code).toBe('payment_intent_unexpected_state');
      const confirmCanceled = await caught(() =>
        stripe.paymentIntents.confirm(pi.id, { payment_method: 'pm_card_visa' }),
      );
      expect(confirmCanceled.message).toMatch(/because it has a status of canceled/);

      const paid = await stripe.paymentIntents.create({
        amount: 1000,
        currency: 'usd',
        payment_method: 'pm_card_visa',
        confirm: true,
      });
      const error = await caught(() => stripe.paymentIntents.cancel(paid.id));
      expect(error.statusCode).toBe(400);
      expect(error.code).toBe('payment_intent_unexpected_state');
      expect(error.message).toMatch(/^You cannot cancel this PaymentIntent because it has a status of succeeded\./);
      const reconfirm = await caught(() => stripe.paymentIntents.confirm(paid.id));
      expect(reconfirm.message).toBe(
        'You cannot confirm this PaymentIntent because it has already succeeded after being previously confirmed.',
      );
    });

    it('confirm without a payment method is refused', async () => {
      const pi = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
      const error = await caught(() => stripe.paymentIntents.confirm(pi.id));
      expect(error.code).toBe('payment_intent_unexpected_state');
      expect(error.message).toMatch(/missing a payment method/);
    });
  });

  describe('amount rules', () => {
    const create = (amount: number, currency: string): Promise<Stripe.PaymentIntent> =>
      stripe.paymentIntents.create({ amount, currency });

    it('accepts boundary amounts', async () => {
      expect((await create(50, 'usd')).amount).toBe(50);
      expect((await create(30, 'gbp')).amount).toBe(30);
      expect((await create(50, 'jpy')).currency).toBe('jpy');
      expect((await create(99_999_999, 'usd')).amount).toBe(99_999_999);
      expect((await create(1230, 'kwd')).amount).toBe(1230);
      expect((await create(1000, 'mxn')).amount).toBe(1000);
    });

    it.each([
      [49, 'usd', 'amount_too_small', 'Amount must be at least $0.50 usd'],
      [29, 'gbp', 'amount_too_small', 'Amount must be at least £0.30 gbp'],
      [49, 'jpy', 'amount_too_small', 'Amount must be at least ¥50 jpy'],
      [999, 'mxn', 'amount_too_small', 'Amount must be at least $10.00 mxn'],
      [399, 'hkd', 'amount_too_small', 'Amount must be at least $4.00 hkd'],
      [100_000_000, 'usd', 'amount_too_large', 'Amount must be no more than $999,999.99'],
    ])('%i %s -> %s', async (amount, currency, code, message) => {
      const error = await caught(() => create(amount, currency));
      expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(error.param).toBe('amount');
      expect(error.code).toBe(code);
      expect(error.message).toBe(message);
    });

    it('three-decimal currencies need a multiple of 10', async () => {
      const error = await caught(() => create(1235, 'kwd'));
      expect(error.param).toBe('amount');
      expect(error.code).toBe('invalid_charge_amount');
      expect(error.message).toMatch(/multiple of 10/);
      const update = await create(1000, 'usd');
      const viaUpdate = await caught(() => stripe.paymentIntents.update(update.id, { currency: 'bhd', amount: 1001 }));
      expect(viaUpdate.code).toBe('invalid_charge_amount');
    });

    it('rejects non-integers, negatives, missing params and unknown currencies', async () => {
      expect((await caught(() => create(-5, 'usd'))).message).toBe('This value must be greater than or equal to 1.');
      expect((await caught(() => create(10.5, 'usd'))).message).toBe('Invalid integer: 10.5');
      const missing = await caught(() =>
        stripe.paymentIntents.create({ currency: 'usd' } as Stripe.PaymentIntentCreateParams),
      );
      expect(missing.code).toBe('parameter_missing');
      expect(missing.message).toBe('Missing required param: amount.');
      const currency = await caught(() => create(1000, 'xyz'));
      expect(currency.param).toBe('currency');
      expect(currency.message).toMatch(/^Invalid currency: xyz\./);
      expect(standin.control.stats().created.payment_intents).toBe(0);
    });
  });
});
