/**
 * Disputes (chargebacks). Opened by the control route (or shortly after a pm_card_createDispute
 * payment), answered with evidence through the API, closed won/lost by the control route or
 * accepted (lost) via POST /v1/disputes/:id/close.
 *
 * Follows https://docs.stripe.com/api/disputes and https://docs.stripe.com/testing#disputes.
 */
import { findRecord, type Engine } from '../engine';
import { StripeApiError } from '../errors';
import { applyMetadata, type ParamReader } from '../form';
import { newId, nowSeconds } from '../ids';
import { listObjects } from '../pagination';
import { DISPUTE_EVIDENCE } from '../params';
import type { DisputeRecord, DisputeStatus, JsonObject, RequestContext } from '../types';
import { createBalanceTransaction, renderBalanceTransaction } from './account';
import { findCharge } from './charges';
import { changedAttributes } from './events';
import { templateOf } from './payment-methods';

/** Stripe's dispute fee in the US. */
const DISPUTE_FEE = 1500;

const OPEN: readonly string[] = ['needs_response', 'under_review'];

export function findDispute(engine: Engine, id: string, livemode: boolean | null): DisputeRecord {
  return findRecord(engine.store.disputes, id, 'dispute', livemode);
}

export function renderDispute(engine: Engine, dispute: DisputeRecord): JsonObject {
  const evidence: JsonObject = {};
  for (const field of DISPUTE_EVIDENCE) evidence[field] = dispute.evidence[field] ?? null;
  evidence.enhanced_evidence = {};
  const charge = engine.store.charges.get(dispute.charge);
  const pm = charge ? engine.store.paymentMethods.get(charge.payment_method) : undefined;
  const brand = pm ? templateOf(pm).brand : 'visa';
  return {
    id: dispute.id,
    object: 'dispute',
    amount: dispute.amount,
    balance_transactions: dispute.balance_transactions
      .map((id) => engine.store.balanceTransactions.get(id))
      .filter((txn) => txn !== undefined)
      .map(renderBalanceTransaction),
    charge: dispute.charge,
    created: dispute.created,
    currency: dispute.currency,
    enhanced_eligibility_types: [],
    evidence,
    evidence_details: {
      due_by: dispute.due_by,
      enhanced_eligibility: {},
      has_evidence: Object.keys(dispute.evidence).length > 0,
      past_due: false,
      submission_count: dispute.submission_count,
    },
    intended_submission_method: null,
    is_charge_refundable: false,
    livemode: dispute.livemode,
    metadata: { ...dispute.metadata },
    payment_intent: dispute.payment_intent,
    payment_method_details: {
      card: { brand, case_type: 'chargeback', network_reason_code: '10.4', network: brand },
      type: 'card',
    },
    reason: dispute.reason,
    status: dispute.status,
  };
}

/**
 * Statuses in which no money has left the balance: an inquiry (https://docs.stripe.com/disputes/how-disputes-work#inquiries,
 * "funds aren't withdrawn") and a prevented dispute (https://docs.stripe.com/disputes/prevention-preview).
 */
const NO_WITHDRAWAL: readonly string[] = [
  'warning_needs_response',
  'warning_under_review',
  'warning_closed',
  'prevented',
];

/**
 * Opens a dispute on a succeeded charge (control route / pm_card_createDispute), by default a
 * chargeback (`needs_response`); `status` opens an inquiry or a prevented dispute instead.
 */
export function openDispute(
  engine: Engine,
  chargeId: string,
  reason = 'fraudulent',
  status: DisputeStatus = 'needs_response',
): JsonObject {
  const charge = findCharge(engine, chargeId, null);
  const ctx = engine.systemContext(charge.livemode);
  if (charge.status !== 'succeeded') {
    throw StripeApiError.invalidRequest(
      `Charge ${charge.id} has status ${charge.status}; only succeeded charges can be disputed.`,
    );
  }
  if (charge.disputed) throw StripeApiError.invalidRequest(`Charge ${charge.id} has already been disputed.`);
  const amount = charge.amount - charge.amount_refunded;
  if (amount <= 0)
    throw StripeApiError.invalidRequest(`Charge ${charge.id} was fully refunded and cannot be disputed.`);
  const created = nowSeconds();
  const dispute: DisputeRecord = {
    id: newId('dp'),
    seq: engine.store.nextSeq(),
    livemode: charge.livemode,
    created,
    amount,
    currency: charge.currency,
    charge: charge.id,
    payment_intent: charge.payment_intent,
    status,
    reason,
    metadata: {},
    evidence: {},
    submission_count: 0,
    balance_transactions: [],
    due_by: created + 7 * 86_400,
  };
  const withdrawn = !NO_WITHDRAWAL.includes(status);
  if (withdrawn) {
    const withdrawal = createBalanceTransaction(engine, {
      livemode: dispute.livemode,
      amount: -amount,
      fee: DISPUTE_FEE,
      currency: dispute.currency,
      type: 'adjustment',
      reporting_category: 'dispute',
      source: dispute.id,
      description: `Chargeback withdrawal for ${charge.id}`,
    });
    dispute.balance_transactions.push(withdrawal.id);
  }
  engine.store.disputes.set(dispute.id, dispute);
  engine.store.created.disputes += 1;
  charge.disputed = true;
  engine.emit('charge.dispute.created', renderDispute(engine, dispute), ctx);
  if (withdrawn) engine.emit('charge.dispute.funds_withdrawn', renderDispute(engine, dispute), ctx);
  return renderDispute(engine, dispute);
}

/**
 * Control hook: the network or Stripe moves a dispute to `status` (any Dispute.Status, or an unknown
 * string standing for one a later API version adds). Money movements are not modelled here; the
 * event is `charge.dispute.closed` for the statuses Stripe closes a dispute with ("status changes to
 * lost, warning_closed, or won", https://docs.stripe.com/api/events/types#event_types-charge.dispute.closed;
 * prevented is final too), `charge.dispute.updated` otherwise.
 */
export function setDisputeStatus(engine: Engine, id: string, status: DisputeStatus): JsonObject {
  const dispute = findDispute(engine, id, null);
  const before = renderDispute(engine, dispute);
  dispute.status = status;
  const after = renderDispute(engine, dispute);
  const closed = ['won', 'lost', 'warning_closed', 'prevented'].includes(status);
  engine.emit(
    closed ? 'charge.dispute.closed' : 'charge.dispute.updated',
    after,
    engine.systemContext(dispute.livemode),
    changedAttributes(before, after),
  );
  return after;
}

function close(engine: Engine, dispute: DisputeRecord, outcome: 'won' | 'lost', ctx: RequestContext): JsonObject {
  if (!OPEN.includes(dispute.status)) {
    throw StripeApiError.invalidRequest(`This dispute is already closed (status: ${dispute.status}).`);
  }
  const before = renderDispute(engine, dispute);
  dispute.status = outcome;
  if (outcome === 'won') {
    const reinstated = createBalanceTransaction(engine, {
      livemode: dispute.livemode,
      amount: dispute.amount,
      fee: -DISPUTE_FEE,
      currency: dispute.currency,
      type: 'adjustment',
      reporting_category: 'dispute_reversal',
      source: dispute.id,
      description: `Chargeback reversal for ${dispute.charge}`,
    });
    dispute.balance_transactions.push(reinstated.id);
  }
  const after = renderDispute(engine, dispute);
  engine.emit('charge.dispute.closed', after, ctx, changedAttributes(before, after));
  if (outcome === 'won') engine.emit('charge.dispute.funds_reinstated', after, ctx);
  return after;
}

/** Control route: the network decided. */
export function closeDispute(engine: Engine, id: string, outcome: 'won' | 'lost'): JsonObject {
  const dispute = findDispute(engine, id, null);
  return close(engine, dispute, outcome, engine.systemContext(dispute.livemode));
}

/** POST /v1/disputes/:id/close — the merchant accepts the dispute, which Stripe records as lost. */
export function acceptDispute(engine: Engine, id: string, reader: ParamReader, ctx: RequestContext): JsonObject {
  reader.assertKnown(['expand']);
  return close(engine, findDispute(engine, id, ctx.livemode), 'lost', ctx);
}

export function updateDispute(engine: Engine, id: string, reader: ParamReader, ctx: RequestContext): JsonObject {
  reader.assertKnown(['evidence', 'expand', 'intended_submission_method', 'metadata', 'submit']);
  const dispute = findDispute(engine, id, ctx.livemode);
  if (!OPEN.includes(dispute.status)) {
    throw StripeApiError.invalidRequest(
      `This dispute is already closed (status: ${dispute.status}); it can no longer be updated.`,
    );
  }
  const before = renderDispute(engine, dispute);
  const evidence = reader.object('evidence');
  if (evidence) {
    evidence.assertKnown([...DISPUTE_EVIDENCE, 'enhanced_evidence']);
    for (const field of DISPUTE_EVIDENCE) {
      const value = evidence.nullableString(field);
      if (value === null) delete dispute.evidence[field];
      else if (value !== undefined) dispute.evidence[field] = value;
    }
  }
  dispute.metadata = applyMetadata(dispute.metadata, reader.metadata());
  // Evidence is submitted immediately unless submit=false (Stripe's default is true).
  if (evidence && reader.boolean('submit') !== false) {
    dispute.submission_count += 1;
    dispute.status = 'under_review';
  }
  const after = renderDispute(engine, dispute);
  const previous = changedAttributes(before, after);
  if (Object.keys(previous).length > 0) engine.emit('charge.dispute.updated', after, ctx, previous);
  return after;
}

export function retrieveDispute(engine: Engine, id: string, reader: ParamReader, ctx: RequestContext): JsonObject {
  reader.assertKnown(['expand']);
  return renderDispute(engine, findDispute(engine, id, ctx.livemode));
}

export function listDisputes(engine: Engine, reader: ParamReader, ctx: RequestContext): JsonObject {
  const charge = reader.string('charge');
  const paymentIntent = reader.string('payment_intent');
  return listObjects(engine.store.disputes.values(), reader, {
    url: '/v1/disputes',
    kind: 'dispute',
    livemode: ctx.livemode,
    filterParams: ['charge', 'payment_intent'],
    filter: (dispute) =>
      (charge === undefined || dispute.charge === charge) &&
      (paymentIntent === undefined || dispute.payment_intent === paymentIntent),
    render: (dispute) => renderDispute(engine, dispute),
  });
}
