/**
 * Refunds (https://docs.stripe.com/api/refunds, SDK 23.1.0 Refund): partial or full, never more
 * than what is left on the charge; pending and succeeded refunds count against it.
 *
 * - Card refunds succeed at once.
 * - pm_card_refundFail (card 4000000000005126): "the refund's status begins as succeeded; some time
 *   later it transitions to failed" with refund.failed / refund.updated / charge.refund.updated
 *   (https://docs.stripe.com/testing#refunds, https://docs.stripe.com/refunds#failed-refunds): a
 *   `failure_reason`, a `failure_balance_transaction` that gives the money back to the balance, and
 *   the charge's amount_refunded goes back down. After refundFailDelayMs, or control failRefund.
 * - Voucher payments (OXXO, Konbini, Boleto, Multibanco) have no way back to the customer, so the
 *   refund waits in `requires_action` for the customer's bank details (next_action display_details,
 *   e.g. https://docs.stripe.com/payments/oxxo#refunds); such a refund can be canceled
 *   (POST /v1/refunds/:id/cancel: "Cancels a refund with a status of requires_action", SDK
 *   Refunds.d.ts) or completed through control settleRefund.
 */
import { findRecord, type Engine } from '../engine';
import { formatAmount } from '../currency';
import { StripeApiError } from '../errors';
import { applyMetadata, type ParamReader } from '../form';
import { newId, nowSeconds, randomDigits } from '../ids';
import { listObjects } from '../pagination';
import { REFUND_CREATE } from '../params';
import type { ChargeRecord, JsonObject, RefundRecord, RequestContext } from '../types';
import { createBalanceTransaction } from './account';
import { assertRefundable, findCharge, renderCharge } from './charges';
import { changedAttributes } from './events';
import { findPaymentIntent } from './payment-intents';
import { templateOf } from './payment-methods';
import { renderRefund } from './refund-render';

const REASONS = ['duplicate', 'fraudulent', 'requested_by_customer'] as const;

export function findRefund(engine: Engine, id: string, livemode: boolean | null): RefundRecord {
  return findRecord(engine.store.refunds, id, 'refund', livemode);
}

function chargeToRefund(engine: Engine, reader: ParamReader, ctx: RequestContext): ChargeRecord {
  const chargeId = reader.string('charge');
  const piId = reader.string('payment_intent');
  if (!chargeId && !piId) {
    throw StripeApiError.invalidRequest(
      'One of the following params should be provided for this request: payment_intent or charge.',
      undefined,
      'parameter_missing',
    );
  }
  if (chargeId) {
    const charge = findCharge(engine, chargeId, ctx.livemode, 'charge');
    if (piId && charge.payment_intent !== piId) {
      throw StripeApiError.invalidRequest(
        `The charge ${chargeId} does not belong to the PaymentIntent ${piId}.`,
        'payment_intent',
      );
    }
    return charge;
  }
  const pi = findPaymentIntent(engine, piId ?? '', ctx.livemode, 'payment_intent');
  const charge = pi.latest_charge ? engine.store.charges.get(pi.latest_charge) : undefined;
  if (pi.status !== 'succeeded' || !charge) {
    throw StripeApiError.invalidRequest(
      `This PaymentIntent (${pi.id}) does not have a successful charge to refund.`,
      'payment_intent',
      'charge_not_refundable',
    );
  }
  return charge;
}

export function createRefund(engine: Engine, reader: ParamReader, ctx: RequestContext): JsonObject {
  reader.assertKnown(REFUND_CREATE);
  const charge = chargeToRefund(engine, reader, ctx);
  assertRefundable(charge);
  const openDispute = [...engine.store.disputes.values()].find(
    (dispute) =>
      dispute.charge === charge.id && (dispute.status === 'needs_response' || dispute.status === 'under_review'),
  );
  if (openDispute) {
    throw StripeApiError.invalidRequest(
      `Charge ${charge.id} has been charged back; cannot issue a refund.`,
      undefined,
      'charge_disputed',
    );
  }
  const remaining = charge.amount - charge.amount_refunded;
  if (remaining <= 0) {
    throw StripeApiError.invalidRequest(
      `Charge ${charge.id} has already been refunded.`,
      undefined,
      'charge_already_refunded',
    );
  }
  const requested = reader.integer('amount');
  if (requested !== undefined && requested <= 0) {
    throw StripeApiError.invalidRequest('Invalid positive integer', 'amount', 'parameter_invalid_integer');
  }
  const amount = requested ?? remaining;
  if (amount > remaining) {
    throw StripeApiError.invalidRequest(
      `Refund amount (${formatAmount(amount, charge.currency)}) is greater than unrefunded amount on charge (${formatAmount(remaining, charge.currency)})`,
      'amount',
    );
  }
  const metadata = applyMetadata({}, reader.metadata());
  const reason = reader.oneOf('reason', REASONS) ?? null;
  const pm = engine.store.paymentMethods.get(charge.payment_method);
  const template = pm ? templateOf(pm) : undefined;
  const fails = template?.refundFails === true;
  const needsAction = template?.behavior.kind === 'voucher';
  const instructionsEmail = reader.string('instructions_email');

  const chargeBefore = renderCharge(engine, charge);
  const refund: RefundRecord = {
    id: newId('re'),
    seq: engine.store.nextSeq(),
    livemode: charge.livemode,
    created: nowSeconds(),
    amount,
    currency: charge.currency,
    charge: charge.id,
    payment_intent: charge.payment_intent,
    payment_method: charge.payment_method,
    status: needsAction ? 'requires_action' : template?.refundPending ? 'pending' : 'succeeded',
    reason,
    metadata,
    balance_transaction: null,
    failure_balance_transaction: null,
    failure_reason: null,
    reference: randomDigits(23), // an acquirer reference number (ARN)
    next_action: needsAction
      ? {
          type: 'display_details',
          display_details: {
            email_sent: {
              email_sent_at: nowSeconds(),
              email_sent_to: instructionsEmail ?? pm?.billing_email ?? 'customer@example.com',
            },
            expires_at: nowSeconds() + 45 * 86_400,
          },
        }
      : null,
  };
  refund.balance_transaction = createBalanceTransaction(engine, {
    livemode: refund.livemode,
    amount: -amount,
    fee: 0,
    currency: refund.currency,
    type: 'refund',
    reporting_category: 'refund',
    source: refund.id,
    description: 'REFUND FOR CHARGE',
  }).id;
  engine.store.refunds.set(refund.id, refund);
  engine.store.created.refunds += 1;
  // Pending refunds count as refunded until they fail (Stripe moves the money immediately).
  charge.amount_refunded += amount;
  charge.refunded = charge.amount_refunded >= charge.amount;

  engine.emit('refund.created', renderRefund(refund), ctx);
  const chargeAfter = renderCharge(engine, charge);
  engine.emit('charge.refunded', chargeAfter, ctx, changedAttributes(chargeBefore, chargeAfter));

  if (fails && engine.options.refundFailDelayMs > 0) {
    engine.scheduler.schedule(engine.options.refundFailDelayMs, () => {
      const current = engine.store.refunds.get(refund.id);
      if (current?.status === 'succeeded' || current?.status === 'pending')
        failRefundRecord(engine, current, 'expired_or_canceled_card', engine.systemContext(current.livemode));
    });
  }
  if (template?.refundPending && engine.options.refundFailDelayMs > 0) {
    engine.scheduler.schedule(engine.options.refundFailDelayMs, () => {
      const current = engine.store.refunds.get(refund.id);
      if (current?.status === 'pending')
        settleRefund(engine, current, 'succeed', engine.systemContext(current.livemode));
    });
  }
  return renderRefund(refund);
}

/** Refund.failure_reason values (SDK 23.1.0 Refunds.d.ts). */
const FAILURE_REASONS = [
  'lost_or_stolen_card',
  'expired_or_canceled_card',
  'charge_for_pending_refund_disputed',
  'insufficient_funds',
  'declined',
  'merchant_request',
  'unknown',
] as const;
export type RefundFailureReason = (typeof FAILURE_REASONS)[number];

/** Gives a failed or canceled refund's money back: balance transaction and the charge's amount_refunded. */
function restoreCharge(engine: Engine, refund: RefundRecord, type: 'refund_failure'): string {
  const charge = engine.store.charges.get(refund.charge);
  if (charge) {
    charge.amount_refunded = Math.max(0, charge.amount_refunded - refund.amount);
    charge.refunded = charge.amount_refunded >= charge.amount;
  }
  return createBalanceTransaction(engine, {
    livemode: refund.livemode,
    amount: refund.amount,
    fee: 0,
    currency: refund.currency,
    type,
    reporting_category: 'refund_failure',
    source: refund.id,
    description: 'REFUND FAILURE',
  }).id;
}

/**
 * A refund fails after it started (https://docs.stripe.com/refunds#failed-refunds): status failed,
 * failure_reason, failure_balance_transaction; events refund.updated, charge.refund.updated,
 * refund.failed. Allowed from pending, requires_action and succeeded (refund_fail test card).
 */
export function failRefundRecord(
  engine: Engine,
  refund: RefundRecord,
  reason: RefundFailureReason,
  ctx: RequestContext,
): JsonObject {
  if (!['pending', 'requires_action', 'succeeded'].includes(refund.status)) {
    throw StripeApiError.invalidRequest(`Refund ${refund.id} cannot fail; it has a status of ${refund.status}.`);
  }
  const before = renderRefund(refund);
  refund.status = 'failed';
  refund.failure_reason = reason;
  refund.next_action = null;
  refund.failure_balance_transaction = restoreCharge(engine, refund, 'refund_failure');
  const after = renderRefund(refund);
  const previous = changedAttributes(before, after);
  engine.emit('refund.updated', after, ctx, previous);
  engine.emit('charge.refund.updated', after, ctx, previous);
  engine.emit('refund.failed', after, ctx);
  return after;
}

export function failRefundById(
  engine: Engine,
  id: string,
  reason: RefundFailureReason = 'expired_or_canceled_card',
): JsonObject {
  const refund = findRefund(engine, id, null);
  return failRefundRecord(engine, refund, reason, engine.systemContext(refund.livemode));
}

export function isFailureReason(value: string): value is RefundFailureReason {
  return (FAILURE_REASONS as readonly string[]).includes(value);
}

/** POST /v1/refunds/:id/cancel: only refunds in requires_action (SDK 23.1.0 Refunds.d.ts `cancel`). */
export function cancelRefund(engine: Engine, id: string, reader: ParamReader, ctx: RequestContext): JsonObject {
  reader.assertKnown(['expand']);
  const refund = findRefund(engine, id, ctx.livemode);
  if (refund.status !== 'requires_action') {
    throw StripeApiError.invalidRequest(
      `You can only cancel a refund with a status of requires_action. This refund has a status of ${refund.status}.`,
      undefined,
      'refund_unexpected_state',
    );
  }
  const before = renderRefund(refund);
  refund.status = 'canceled';
  refund.next_action = null;
  refund.failure_balance_transaction = restoreCharge(engine, refund, 'refund_failure');
  const after = renderRefund(refund);
  const previous = changedAttributes(before, after);
  engine.emit('refund.updated', after, ctx, previous);
  engine.emit('charge.refund.updated', after, ctx, previous);
  return after;
}

/**
 * Moves a pending or requires_action refund to succeeded or failed, with refund.updated /
 * charge.refund.updated events.
 */
export function settleRefund(
  engine: Engine,
  refund: RefundRecord,
  outcome: 'succeed' | 'fail',
  ctx: RequestContext,
): JsonObject {
  if (refund.status !== 'pending' && refund.status !== 'requires_action') {
    throw StripeApiError.invalidRequest(`Refund ${refund.id} is not pending; it has a status of ${refund.status}.`);
  }
  if (outcome === 'fail') return failRefundRecord(engine, refund, 'expired_or_canceled_card', ctx);
  const before = renderRefund(refund);
  refund.status = 'succeeded';
  refund.next_action = null;
  const after = renderRefund(refund);
  const previous = changedAttributes(before, after);
  engine.emit('refund.updated', after, ctx, previous);
  engine.emit('charge.refund.updated', after, ctx, previous);
  return after;
}

export function settleRefundById(engine: Engine, id: string, outcome: 'succeed' | 'fail'): JsonObject {
  const refund = findRefund(engine, id, null);
  return settleRefund(engine, refund, outcome, engine.systemContext(refund.livemode));
}

export function retrieveRefund(engine: Engine, id: string, reader: ParamReader, ctx: RequestContext): JsonObject {
  reader.assertKnown(['expand']);
  return renderRefund(findRefund(engine, id, ctx.livemode));
}

export function updateRefund(engine: Engine, id: string, reader: ParamReader, ctx: RequestContext): JsonObject {
  reader.assertKnown(['expand', 'metadata']);
  const refund = findRefund(engine, id, ctx.livemode);
  const before = renderRefund(refund);
  refund.metadata = applyMetadata(refund.metadata, reader.metadata());
  const after = renderRefund(refund);
  const previous = changedAttributes(before, after);
  if (Object.keys(previous).length > 0) {
    engine.emit('refund.updated', after, ctx, previous);
    engine.emit('charge.refund.updated', after, ctx, previous);
  }
  return after;
}

export function listRefunds(engine: Engine, reader: ParamReader, ctx: RequestContext): JsonObject {
  const charge = reader.string('charge');
  const paymentIntent = reader.string('payment_intent');
  return listObjects(engine.store.refunds.values(), reader, {
    url: '/v1/refunds',
    kind: 'refund',
    livemode: ctx.livemode,
    filterParams: ['charge', 'payment_intent'],
    filter: (refund) =>
      (charge === undefined || refund.charge === charge) &&
      (paymentIntent === undefined || refund.payment_intent === paymentIntent),
    render: renderRefund,
  });
}
