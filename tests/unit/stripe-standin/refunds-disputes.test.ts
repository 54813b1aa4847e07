import type Stripe from 'stripe';
import type { StripeStandin } from '../../support/stripe-standin';
import { caught, control, startStandin, waitFor } from './helpers';

describe('refunds and disputes', () => {
  let standin: StripeStandin;
  let stripe: Stripe;

  beforeAll(async () => {
    ({ standin, stripe } = await startStandin());
  });
  afterAll(() => standin.close());
  beforeEach(() => standin.control.reset());

  const pay = (amount: number, paymentMethod = 'pm_card_visa', currency = 'usd'): Promise<Stripe.PaymentIntent> =>
    stripe.paymentIntents.create({ amount, currency, payment_method: paymentMethod, confirm: true });

  describe('refunds', () => {
    it('partial then full refund updates the charge', async () => {
      const pi = await pay(10000);
      const partial = await stripe.refunds.create({
        payment_intent: pi.id,
        amount: 2500,
        metadata: { reason: 'discount' },
        reason: 'requested_by_customer',
      });
      expect(partial).toMatchObject({
        object: 'refund',
        amount: 2500,
        status: 'succeeded',
        charge: pi.latest_charge,
        payment_intent: pi.id,
        currency: 'usd',
        reason: 'requested_by_customer',
        metadata: { reason: 'discount' },
      });
      let charge = await stripe.charges.retrieve(String(pi.latest_charge));
      expect(charge.amount_refunded).toBe(2500);
      expect(charge.refunded).toBe(false);

      const rest = await stripe.refunds.create({ charge: String(pi.latest_charge) });
      expect(rest.amount).toBe(7500);
      charge = await stripe.charges.retrieve(String(pi.latest_charge));
      expect(charge.amount_refunded).toBe(10000);
      expect(charge.refunded).toBe(true);
      // Charge.refunds is expandable only (SDK 23.1.0 Charges.d.ts `refunds?:`).
      expect(charge.refunds).toBeUndefined();
      const expanded = await stripe.charges.retrieve(charge.id, { expand: ['refunds'] });
      expect(expanded.refunds?.data.map((refund) => refund.id)).toEqual([rest.id, partial.id]);
      expect((await stripe.refunds.retrieve(partial.id)).metadata).toEqual({ reason: 'discount' });

      const again = await caught(() => stripe.refunds.create({ payment_intent: pi.id }));
      expect(again.code).toBe('charge_already_refunded');
      expect(again.message).toBe(`Charge ${charge.id} has already been refunded.`);

      const byIntent = await stripe.refunds.list({ payment_intent: pi.id });
      expect(byIntent.data.map((refund) => refund.id)).toEqual([rest.id, partial.id]);
      expect((await stripe.refunds.retrieve(partial.id)).amount).toBe(2500);
    });

    it('refuses over-refunds with Stripe’s message', async () => {
      const pi = await pay(5000);
      await stripe.refunds.create({ payment_intent: pi.id, amount: 1000 });
      const error = await caught(() => stripe.refunds.create({ payment_intent: pi.id, amount: 4500 }));
      expect(error.statusCode).toBe(400);
      expect(error.param).toBe('amount');
      expect(error.message).toBe('Refund amount ($45.00) is greater than unrefunded amount on charge ($40.00)');
      const jpy = await pay(1000, 'pm_card_visa', 'jpy');
      const yen = await caught(() => stripe.refunds.create({ payment_intent: jpy.id, amount: 1001 }));
      expect(yen.message).toBe('Refund amount (¥1,001) is greater than unrefunded amount on charge (¥1,000)');
      expect(standin.control.stats().created.refunds).toBe(1);
    });

    it('refuses refunds of intents without a successful charge', async () => {
      const pi = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
      const error = await caught(() => stripe.refunds.create({ payment_intent: pi.id }));
      expect(error.code).toBe('charge_not_refundable');
      const missing = await caught(() => stripe.refunds.create({}));
      expect(missing.message).toBe(
        'One of the following params should be provided for this request: payment_intent or charge.',
      );
    });

    it('emits refund.created and charge.refunded with previous_attributes', async () => {
      const pi = await pay(3000);
      const refund = await stripe.refunds.create({ payment_intent: pi.id, amount: 1000 });
      const refunded = await stripe.events.list({ type: 'charge.refunded' });
      expect(refunded.data).toHaveLength(1);
      const object = refunded.data[0].data.object as Stripe.Charge;
      expect(object.amount_refunded).toBe(1000);
      expect(refunded.data[0].data.previous_attributes).toMatchObject({ amount_refunded: 0 });
      const created = await stripe.events.list({ type: 'refund.created' });
      expect((created.data[0].data.object as Stripe.Refund).id).toBe(refund.id);
    });

    it('pm_card_refundFail (4000000000005126): succeeded, then failed (control failRefund)', async () => {
      // https://docs.stripe.com/testing#refunds: "its status begins as succeeded. Some time later,
      // its status transitions to failed".
      const pi = await pay(4000, 'pm_card_refundFail');
      const refund = await stripe.refunds.create({ payment_intent: pi.id, metadata: { ledger: 'r-1' } });
      expect(refund.status).toBe('succeeded');
      expect((await stripe.charges.retrieve(String(pi.latest_charge))).refunded).toBe(true);
      const failed = standin.control.failRefund(refund.id);
      expect(failed.status).toBe('failed');
      const after = await stripe.refunds.retrieve(refund.id);
      expect(after.status).toBe('failed');
      expect(after.failure_reason).toBe('expired_or_canceled_card');
      expect(after.failure_balance_transaction).toMatch(/^txn_/);
      const charge = await stripe.charges.retrieve(String(pi.latest_charge));
      expect(charge.amount_refunded).toBe(0);
      expect(charge.refunded).toBe(false);
      const types = standin.control.events().map((event) => event.type);
      expect(types.slice(-5)).toEqual([
        'refund.created',
        'charge.refunded',
        'refund.updated',
        'charge.refund.updated',
        'refund.failed',
      ]);
      const updated = await stripe.events.list({ type: 'refund.updated' });
      expect(updated.data[0].data.previous_attributes).toMatchObject({ status: 'succeeded' });
      expect(after.metadata).toEqual({ ledger: 'r-1' });
      const txn = await stripe.balanceTransactions.retrieve(String(after.failure_balance_transaction));
      expect(txn.amount).toBe(4000);
      // The refundable amount is back: a new refund goes through.
      const again = await stripe.refunds.create({ payment_intent: pi.id, amount: 1000 });
      expect(again.status).toBe('succeeded');
      expect((await stripe.refunds.list({ payment_intent: pi.id })).data.map((item) => item.status)).toEqual([
        'succeeded',
        'failed',
      ]);
    });

    it('pm_card_refundFail refunds fail on their own after the delay', async () => {
      const auto = await startStandin({ refundFailDelayMs: 25 });
      try {
        const pi = await auto.stripe.paymentIntents.create({
          amount: 4000,
          currency: 'usd',
          payment_method: 'pm_card_refundFail',
          confirm: true,
        });
        const refund = await auto.stripe.refunds.create({ payment_intent: pi.id });
        await waitFor(
          () => auto.standin.control.events().some((event) => event.type === 'refund.failed'),
          2000,
          'refund.failed',
        );
        expect((await auto.stripe.refunds.retrieve(refund.id)).status).toBe('failed');
      } finally {
        await auto.standin.close();
      }
    });
  });

  describe('disputes', () => {
    it('opens via the control route and closes won', async () => {
      const pi = await pay(8000);
      const opened = await control(standin, 'POST', `/_standin/charges/${String(pi.latest_charge)}/dispute`);
      expect(opened.status).toBe(200);
      const dispute = opened.json as Stripe.Dispute;
      expect(dispute.id).toMatch(/^dp_/);
      expect(dispute.status).toBe('needs_response');
      expect(dispute.amount).toBe(8000);
      expect(dispute.charge).toBe(pi.latest_charge);
      expect(dispute.payment_intent).toBe(pi.id);
      expect(dispute.balance_transactions[0].amount).toBe(-8000);
      expect(dispute.balance_transactions[0].fee).toBe(1500);
      expect((await stripe.charges.retrieve(String(pi.latest_charge))).disputed).toBe(true);

      const refund = await caught(() => stripe.refunds.create({ payment_intent: pi.id }));
      expect(refund.code).toBe('charge_disputed');

      const closed = await control(standin, 'POST', `/_standin/disputes/${dispute.id}/close`, { outcome: 'won' });
      expect((closed.json as Stripe.Dispute).status).toBe('won');
      expect((await stripe.disputes.retrieve(dispute.id)).status).toBe('won');
      const events = await stripe.events.list({ type: 'charge.dispute.*' });
      expect(events.data.map((event) => event.type)).toEqual([
        'charge.dispute.funds_reinstated',
        'charge.dispute.closed',
        'charge.dispute.funds_withdrawn',
        'charge.dispute.created',
      ]);
      const closedEvent = events.data[1];
      expect((closedEvent.data.object as Stripe.Dispute).status).toBe('won');
      expect(closedEvent.data.previous_attributes).toMatchObject({ status: 'needs_response' });
      const again = await control(standin, 'POST', `/_standin/disputes/${dispute.id}/close`, { outcome: 'lost' });
      expect(again.status).toBe(400);
    });

    it('evidence moves it under review; close lost', async () => {
      const pi = await pay(8000);
      const dispute = standin.control.openDispute(String(pi.latest_charge));
      const updated = await stripe.disputes.update(String(dispute.id), {
        evidence: { uncategorized_text: 'Invoice INV-5 was delivered.' },
        metadata: { case: '5' },
      });
      expect(updated.status).toBe('under_review');
      expect(updated.evidence.uncategorized_text).toBe('Invoice INV-5 was delivered.');
      expect(updated.evidence_details.submission_count).toBe(1);
      const lost = standin.control.closeDispute(updated.id, 'lost');
      expect(lost.status).toBe('lost');
      const list = await stripe.disputes.list({ charge: String(pi.latest_charge) });
      expect(list.data.map((item) => [item.id, item.status])).toEqual([[updated.id, 'lost']]);
    });

    it('accepting a dispute through the API closes it as lost', async () => {
      const pi = await pay(8000);
      const dispute = standin.control.openDispute(String(pi.latest_charge));
      const accepted = await stripe.disputes.close(String(dispute.id));
      expect(accepted.status).toBe('lost');
    });

    it('pm_card_createDispute disputes itself after the delay', async () => {
      const auto = await startStandin({ autoDisputeDelayMs: 25 });
      try {
        const pi = await auto.stripe.paymentIntents.create({
          amount: 6000,
          currency: 'usd',
          payment_method: 'pm_card_createDispute',
          confirm: true,
        });
        await waitFor(() => auto.standin.control.stats().created.disputes === 1, 2000, 'the dispute');
        const disputes = await auto.stripe.disputes.list({ payment_intent: pi.id });
        expect(disputes.data).toHaveLength(1);
        expect(disputes.data[0].status).toBe('needs_response');
        expect(disputes.data[0].charge).toBe(pi.latest_charge);
      } finally {
        await auto.standin.close();
      }
    });

    it('cannot dispute unknown or failed charges', async () => {
      expect((await control(standin, 'POST', '/_standin/charges/ch_nope/dispute')).status).toBe(404);
      const declined = await caught(() => pay(1000, 'pm_card_chargeDeclined'));
      const charge = String((declined.raw as { charge?: string }).charge);
      const res = await control(standin, 'POST', `/_standin/charges/${charge}/dispute`);
      expect(res.status).toBe(400);
    });
  });
});
