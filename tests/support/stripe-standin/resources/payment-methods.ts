/**
 * Stripe's test PaymentMethods. Passing an alias such as `pm_card_visa` creates a fresh
 * PaymentMethod (`pm_1Nx...`) each time, as Stripe does; the alias decides the payment outcome.
 */
import { findRecord, type Engine } from '../engine';
import { hashBase62, newId, nowSeconds } from '../ids';
import type { JsonObject, PaymentMethodRecord } from '../types';

export type PaymentBehavior =
  | { kind: 'succeed' }
  | { kind: 'decline'; code: string; decline_code: string; message: string }
  | { kind: 'authenticate' }
  | { kind: 'delayed'; outcome: 'succeed' | 'fail' };

export interface TestPaymentMethod {
  alias: string;
  type: 'card' | 'us_bank_account';
  brand: string;
  last4: string;
  funding: string;
  behavior: PaymentBehavior;
  /** pm_card_createDispute: the charge is disputed shortly after it succeeds. */
  disputes?: boolean;
  /** pm_card_refundFail: refunds start pending and then fail. */
  refundFails?: boolean;
}

const decline = (code: string, declineCode: string, message: string): PaymentBehavior => ({
  kind: 'decline',
  code,
  decline_code: declineCode,
  message,
});

const card = (
  alias: string,
  brand: string,
  last4: string,
  behavior: PaymentBehavior,
  extra: Partial<TestPaymentMethod> = {},
): TestPaymentMethod => ({
  alias,
  type: 'card',
  brand,
  last4,
  funding: 'credit',
  behavior,
  ...extra,
});

const SUCCEED: PaymentBehavior = { kind: 'succeed' };

const CATALOGUE: TestPaymentMethod[] = [
  card('pm_card_visa', 'visa', '4242', SUCCEED),
  card('pm_card_visa_debit', 'visa', '5556', SUCCEED, { funding: 'debit' }),
  card('pm_card_mastercard', 'mastercard', '4444', SUCCEED),
  card('pm_card_amex', 'amex', '8431', SUCCEED),
  card(
    'pm_card_chargeDeclined',
    'visa',
    '0002',
    decline('card_declined', 'generic_decline', 'Your card was declined.'),
  ),
  card(
    'pm_card_chargeDeclinedInsufficientFunds',
    'visa',
    '9995',
    decline('card_declined', 'insufficient_funds', 'Your card has insufficient funds.'),
  ),
  card(
    'pm_card_chargeDeclinedFraudulent',
    'visa',
    '0019',
    decline('card_declined', 'fraudulent', 'Your card was declined.'),
  ),
  card(
    'pm_card_chargeDeclinedExpiredCard',
    'visa',
    '0069',
    decline('expired_card', 'expired_card', 'Your card has expired.'),
  ),
  card(
    'pm_card_chargeDeclinedIncorrectCvc',
    'visa',
    '0127',
    decline('incorrect_cvc', 'incorrect_cvc', "Your card's security code is incorrect."),
  ),
  card(
    'pm_card_chargeDeclinedProcessingError',
    'visa',
    '0119',
    decline(
      'processing_error',
      'processing_error',
      'An error occurred while processing your card. Try again in a little bit.',
    ),
  ),
  card('pm_card_authenticationRequired', 'visa', '3184', { kind: 'authenticate' }),
  card('pm_card_threeDSecure2Required', 'visa', '3220', { kind: 'authenticate' }),
  card('pm_card_createDispute', 'visa', '0259', SUCCEED, { disputes: true }),
  card('pm_card_refundFail', 'visa', '5126', SUCCEED, { refundFails: true }),
  {
    alias: 'pm_usBankAccount_success',
    type: 'us_bank_account',
    brand: 'STRIPE TEST BANK',
    last4: '6789',
    funding: 'checking',
    behavior: { kind: 'delayed', outcome: 'succeed' },
  },
  {
    alias: 'pm_usBankAccount_failure',
    type: 'us_bank_account',
    brand: 'STRIPE TEST BANK',
    last4: '1116',
    funding: 'checking',
    behavior: { kind: 'delayed', outcome: 'fail' },
  },
];

export const TEST_PAYMENT_METHODS: ReadonlyMap<string, TestPaymentMethod> = new Map(
  CATALOGUE.map((pm) => [pm.alias, pm]),
);

/** The catalogue entry behind a stored PaymentMethod. */
export function templateOf(record: PaymentMethodRecord): TestPaymentMethod {
  const template = TEST_PAYMENT_METHODS.get(record.alias);
  if (!template) throw new Error(`stand-in bug: unknown payment method alias ${record.alias}`);
  return template;
}

/** Resolves `payment_method` params: a test alias creates a new PaymentMethod; ids are looked up. */
export function resolvePaymentMethod(
  engine: Engine,
  id: string,
  livemode: boolean,
  param = 'payment_method',
): PaymentMethodRecord {
  if (TEST_PAYMENT_METHODS.has(id)) {
    const record: PaymentMethodRecord = {
      id: newId('pm'),
      seq: engine.store.nextSeq(),
      livemode,
      created: nowSeconds(),
      alias: id,
    };
    engine.store.paymentMethods.set(record.id, record);
    return record;
  }
  return findRecord(engine.store.paymentMethods, id, 'PaymentMethod', livemode, param);
}

export function fingerprintOf(template: TestPaymentMethod): string {
  return hashBase62(`fingerprint:${template.alias}`, 16);
}

export function renderPaymentMethod(record: PaymentMethodRecord): JsonObject {
  const template = templateOf(record);
  const billingDetails: JsonObject = {
    address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null },
    email: null,
    name: template.type === 'us_bank_account' ? 'Jenny Rosen' : null,
    phone: null,
    tax_id: null,
  };
  const base: JsonObject = {
    id: record.id,
    object: 'payment_method',
    allow_redisplay: 'unspecified',
    billing_details: billingDetails,
    created: record.created,
    customer: null,
    customer_account: null,
    livemode: record.livemode,
    metadata: {},
    type: template.type,
  };
  if (template.type === 'card') {
    base.card = {
      brand: template.brand,
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'unchecked' },
      country: 'US',
      display_brand: template.brand,
      exp_month: 12,
      exp_year: new Date().getUTCFullYear() + 3,
      fingerprint: fingerprintOf(template),
      funding: template.funding,
      generated_from: null,
      last4: template.last4,
      networks: { available: [template.brand], preferred: null },
      regulated_status: 'unregulated',
      three_d_secure_usage: { supported: true },
      wallet: null,
    };
  } else {
    base.us_bank_account = {
      account_holder_type: 'individual',
      account_type: template.funding,
      bank_name: template.brand,
      financial_connections_account: null,
      fingerprint: fingerprintOf(template),
      last4: template.last4,
      networks: { preferred: 'ach', supported: ['ach'] },
      routing_number: '110000000',
      status_details: {},
    };
  }
  return base;
}

export function retrievePaymentMethod(engine: Engine, id: string, livemode: boolean): JsonObject {
  return renderPaymentMethod(findRecord(engine.store.paymentMethods, id, 'PaymentMethod', livemode));
}
