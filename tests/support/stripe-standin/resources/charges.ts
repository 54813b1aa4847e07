/**
 * Charges: created by PaymentIntents (never directly), one per payment attempt. Successful and
 * pending charges get a balance transaction; refunds and disputes update them.
 *
 * Follows https://docs.stripe.com/api/charges/object and SDK 23.1.0 Charges.d.ts.
 */
import { findRecord, type Engine } from '../engine';
import { StripeApiError } from '../errors';
import { applyMetadata, type ParamReader } from '../form';
import { newId, nowSeconds, randomBase62 } from '../ids';
import { listObjects } from '../pagination';
import { CHARGE_UPDATE } from '../params';
import type {
  ChargeRecord,
  ChargeStatus,
  JsonObject,
  PaymentIntentRecord,
  PaymentMethodRecord,
  RequestContext,
} from '../types';
import { cardFee, createBalanceTransaction } from './account';
import { fingerprintOf, templateOf } from './payment-methods';
import { localChargeDetails, walletOf } from './local-methods';
import { changedAttributes } from './events';
import { renderRefund } from './refund-render';
import { mandateForCharge } from './mandates';

export interface ChargeFailure {
  code: string;
  decline_code: string | null;
  message: string;
}

export function createCharge(
  engine: Engine,
  pi: PaymentIntentRecord,
  pm: PaymentMethodRecord,
  status: ChargeStatus,
  options: { failure?: ChargeFailure; threeDSecure?: boolean } = {},
): ChargeRecord {
  const charge: ChargeRecord = {
    id: newId('ch'),
    seq: engine.store.nextSeq(),
    livemode: pi.livemode,
    created: nowSeconds(),
    amount: pi.amount,
    amount_captured: status === 'failed' ? 0 : pi.amount,
    amount_refunded: 0,
    currency: pi.currency,
    status,
    paid: status === 'succeeded',
    captured: status !== 'failed',
    refunded: false,
    disputed: false,
    payment_intent: pi.id,
    payment_method: pm.id,
    balance_transaction: null,
    failure_code: options.failure?.code ?? null,
    failure_message: options.failure?.message ?? null,
    decline_code: options.failure?.decline_code ?? null,
    description: pi.description,
    receipt_email: pi.receipt_email,
    metadata: { ...pi.metadata },
    customer: pi.customer,
    three_d_secure: options.threeDSecure ?? false,
    receipt_token: randomBase62(40),
    mandate: mandateForCharge(engine, pi, pm),
  };
  if (status !== 'failed') {
    const txn = createBalanceTransaction(engine, {
      livemode: charge.livemode,
      amount: charge.amount,
      fee: cardFee(charge.amount),
      currency: charge.currency,
      type: 'charge',
      reporting_category: 'charge',
      source: charge.id,
      description: charge.description,
    });
    charge.balance_transaction = txn.id;
  }
  engine.store.charges.set(charge.id, charge);
  engine.store.created.charges += 1;
  return charge;
}

/** Marks a pending (delayed-method) charge settled. */
export function settleCharge(engine: Engine, charge: ChargeRecord, failure?: ChargeFailure): void {
  if (failure) {
    charge.status = 'failed';
    charge.paid = false;
    charge.failure_code = failure.code;
    charge.failure_message = failure.message;
    charge.decline_code = failure.decline_code;
    if (charge.balance_transaction) {
      // The pending funds never arrive: reverse them like Stripe's payment_failure_refund.
      createBalanceTransaction(engine, {
        livemode: charge.livemode,
        amount: -charge.amount,
        fee: 0,
        currency: charge.currency,
        type: 'payment_failure_refund',
        reporting_category: 'charge_failure',
        source: charge.id,
        description: 'Payment failure',
      });
    }
  } else {
    charge.status = 'succeeded';
    charge.paid = true;
  }
}

function outcomeOf(charge: ChargeRecord): JsonObject {
  if (charge.status === 'failed') {
    return {
      advice_code: null,
      network_advice_code: null,
      network_decline_code: null,
      network_status: 'declined_by_network',
      reason: charge.decline_code ?? charge.failure_code,
      risk_level: 'normal',
      risk_score: 42,
      seller_message: 'The bank did not return any further details with this decline.',
      type: 'issuer_declined',
    };
  }
  return {
    advice_code: null,
    network_advice_code: null,
    network_decline_code: null,
    network_status: 'approved_by_network',
    reason: null,
    risk_level: 'normal',
    risk_score: 32,
    seller_message: 'Payment complete.',
    type: 'authorized',
  };
}

function paymentMethodDetails(engine: Engine, charge: ChargeRecord): JsonObject {
  const pm = engine.store.paymentMethods.get(charge.payment_method);
  const template = pm ? templateOf(pm) : undefined;
  const local = template ? localChargeDetails(template, charge.mandate ?? null) : null;
  if (local) return local;
  if (template && template.type !== 'card' && template.type !== 'us_bank_account') {
    // Vouchers and bank transfers: SDK 23.1.0 Charge.PaymentMethodDetails.<type> (minimal).
    return { type: template.type, [template.type]: template.type === 'customer_balance' ? {} : { number: null } };
  }
  if (template?.type === 'us_bank_account') {
    return {
      type: 'us_bank_account',
      us_bank_account: {
        account_holder_type: 'individual',
        account_type: template.funding,
        bank_name: template.brand,
        fingerprint: fingerprintOf(template),
        last4: template.last4,
        mandate: charge.mandate ?? null,
        payment_reference: null,
        routing_number: '110000000',
      },
    };
  }
  const brand = template?.brand ?? 'visa';
  return {
    type: 'card',
    card: {
      amount_authorized: charge.status === 'failed' ? null : charge.amount,
      authorization_code: charge.status === 'failed' ? null : charge.receipt_token.slice(0, 6).toUpperCase(),
      brand,
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
      country: 'US',
      exp_month: 12,
      exp_year: new Date(charge.created * 1000).getUTCFullYear() + 3,
      extended_authorization: { status: 'disabled' },
      fingerprint: template ? fingerprintOf(template) : 'standin',
      funding: template?.funding ?? 'credit',
      incremental_authorization: { status: 'unavailable' },
      installments: null,
      last4: template?.last4 ?? '4242',
      mandate: null,
      multicapture: { status: 'unavailable' },
      network: brand,
      network_token: { used: false },
      network_transaction_id: charge.receipt_token.slice(6, 21),
      overcapture: { maximum_amount_capturable: charge.amount, status: 'unavailable' },
      regulated_status: 'unregulated',
      three_d_secure: charge.three_d_secure
        ? {
            authentication_flow: 'challenge',
            electronic_commerce_indicator: '05',
            exemption_indicator: null,
            result: 'authenticated',
            result_reason: null,
            transaction_id: charge.receipt_token.slice(0, 36),
            version: '2.2.0',
          }
        : null,
      transaction_link_id: null,
      wallet: template ? walletOf(template) : null,
    },
  };
}

/**
 * The Charge object. `refunds` is absent unless expanded: SDK 23.1.0 types it
 * `refunds?: ApiList<Refund> | null` (node_modules/stripe/cjs/resources/Charges.d.ts) and
 * https://docs.stripe.com/api/charges/object lists it as expandable; use refunds.list or
 * `expand[]=refunds` (see chargeRefundList / expand.ts).
 */
export function renderCharge(engine: Engine, charge: ChargeRecord): JsonObject {
  return {
    id: charge.id,
    object: 'charge',
    amount: charge.amount,
    amount_captured: charge.amount_captured,
    amount_refunded: charge.amount_refunded,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: charge.balance_transaction,
    billing_details: {
      address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null },
      email: null,
      name: null,
      phone: null,
      tax_id: null,
    },
    calculated_statement_descriptor: 'STANDIN',
    captured: charge.captured,
    created: charge.created,
    currency: charge.currency,
    customer: charge.customer,
    description: charge.description,
    disputed: charge.disputed,
    failure_balance_transaction: null,
    failure_code: charge.failure_code,
    failure_message: charge.failure_message,
    fraud_details: {},
    livemode: charge.livemode,
    metadata: { ...charge.metadata },
    on_behalf_of: null,
    outcome: outcomeOf(charge),
    paid: charge.paid,
    payment_intent: charge.payment_intent,
    payment_method: charge.payment_method,
    payment_method_details: paymentMethodDetails(engine, charge),
    radar_options: {},
    receipt_email: charge.receipt_email,
    receipt_number: null,
    receipt_url: `https://pay.stripe.com/receipts/payment/${charge.receipt_token}`,
    refunded: charge.refunded,
    review: null,
    shipping: null,
    source: null,
    source_transfer: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: charge.status,
    transfer_data: null,
    transfer_group: null,
  };
}

/** The charge's refunds as the expanded `refunds` list (newest first). */
export function chargeRefundList(engine: Engine, chargeId: string): JsonObject {
  const refunds = [...engine.store.refunds.values()]
    .filter((refund) => refund.charge === chargeId)
    .sort((a, b) => b.seq - a.seq);
  return {
    object: 'list',
    data: refunds.map(renderRefund),
    has_more: false,
    total_count: refunds.length,
    url: `/v1/charges/${chargeId}/refunds`,
  };
}

export function findCharge(engine: Engine, id: string, livemode: boolean | null, param?: string): ChargeRecord {
  return findRecord(engine.store.charges, id, 'charge', livemode, param);
}

export function retrieveCharge(engine: Engine, id: string, reader: ParamReader, ctx: RequestContext): JsonObject {
  reader.assertKnown(['expand']);
  return renderCharge(engine, findCharge(engine, id, ctx.livemode));
}

export function updateCharge(engine: Engine, id: string, reader: ParamReader, ctx: RequestContext): JsonObject {
  reader.assertKnown(CHARGE_UPDATE);
  const charge = findCharge(engine, id, ctx.livemode);
  const before = renderCharge(engine, charge);
  charge.metadata = applyMetadata(charge.metadata, reader.metadata());
  const description = reader.nullableString('description');
  if (description !== undefined) charge.description = description;
  const receiptEmail = reader.nullableString('receipt_email');
  if (receiptEmail !== undefined) charge.receipt_email = receiptEmail;
  const after = renderCharge(engine, charge);
  if (JSON.stringify(before) !== JSON.stringify(after)) {
    engine.emit('charge.updated', after, ctx, changedAttributes(before, after));
  }
  return after;
}

export function listCharges(engine: Engine, reader: ParamReader, ctx: RequestContext): JsonObject {
  const paymentIntent = reader.string('payment_intent');
  const customer = reader.string('customer');
  return listObjects(engine.store.charges.values(), reader, {
    url: '/v1/charges',
    kind: 'charge',
    livemode: ctx.livemode,
    filterParams: ['payment_intent', 'customer', 'transfer_group'],
    filter: (charge) =>
      (paymentIntent === undefined || charge.payment_intent === paymentIntent) &&
      (customer === undefined || charge.customer === customer),
    render: (charge) => renderCharge(engine, charge),
  });
}

/** Throws unless the charge can take a refund for `amount` more. */
export function assertRefundable(charge: ChargeRecord): void {
  if (charge.status !== 'succeeded') {
    throw StripeApiError.invalidRequest(
      charge.status === 'pending'
        ? `Charge ${charge.id} is pending and cannot be refunded until it succeeds.`
        : `Charge ${charge.id} has failed and cannot be refunded.`,
      'charge',
      'charge_not_refundable',
    );
  }
}
