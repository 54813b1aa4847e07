/**
 * Stripe's test PaymentMethods. Passing an alias such as `pm_card_visa` creates a fresh
 * PaymentMethod (`pm_1Nx...`) each time, as Stripe does; the alias decides the payment outcome
 * (https://docs.stripe.com/testing#cards).
 *
 * Beyond cards, payment methods that leave the intent in `requires_action` with a non-3DS
 * `next_action` (SDK 23.1.0 `PaymentIntent.NextAction`): vouchers (`oxxo`, `boleto`, `konbini`,
 * `multibanco`), bank transfers (`customer_balance`) and ACH microdeposit verification. Stripe tests
 * these with `payment_method_data[type]=...` on confirm (see paymentMethodFromData); the stand-in
 * also accepts the aliases below (`pm_oxxo`, `pm_customerBalance`, `pm_usBankAccount_microdeposits`, ...),
 * which are the stand-in's own, not Stripe's.
 */
import { findRecord, type Engine } from '../engine';
import { hashBase62, newId, nowSeconds } from '../ids';
import { StripeApiError } from '../errors';
import type { ParamReader } from '../form';
import type { JsonObject, PaymentMethodRecord, VoucherOutcome } from '../types';
import {
  isLocalMethodType,
  LOCAL_METHODS,
  LOCAL_TYPE_CURRENCIES,
  localAliasFromData,
  renderLocalPaymentMethod,
  walletOf,
  type LocalMethodType,
} from './local-methods';

export type VoucherType = 'oxxo' | 'boleto' | 'konbini' | 'multibanco';

export type PaymentBehavior =
  | { kind: 'succeed' }
  | { kind: 'decline'; code: string; decline_code: string; message: string }
  | { kind: 'authenticate' }
  | { kind: 'delayed'; outcome: 'succeed' | 'fail' }
  /** A voucher paid later at a store or bank (`<type>_display_details`). */
  | { kind: 'voucher'; voucher: VoucherType }
  /** Bank transfer to a virtual account (`display_bank_transfer_instructions`). */
  | { kind: 'bank_transfer' }
  /** ACH account entered by hand: `verify_with_microdeposits`, then processing like ACH. */
  | { kind: 'microdeposits'; outcome: 'succeed' | 'fail' }
  /** A bank redirect (iDEAL, Bancontact): `redirect_to_url`, then the bank page decides (local-methods.ts). */
  | { kind: 'redirect' };

export type PaymentMethodType = 'card' | 'us_bank_account' | VoucherType | 'customer_balance' | LocalMethodType;

/**
 * Currencies each non-card type accepts (Stripe's payment method pages: OXXO mxn, Boleto brl,
 * Konbini jpy, Multibanco eur, https://docs.stripe.com/payments/payment-methods/overview; bank
 * transfers usd/eur/gbp/jpy/mxn, https://docs.stripe.com/payments/bank-transfers; ACH usd).
 */
export const TYPE_CURRENCIES: Readonly<Partial<Record<PaymentMethodType, readonly string[]>>> = {
  us_bank_account: ['usd'],
  oxxo: ['mxn'],
  boleto: ['brl'],
  konbini: ['jpy'],
  multibanco: ['eur'],
  customer_balance: ['usd', 'eur', 'gbp', 'jpy', 'mxn'],
  ...LOCAL_TYPE_CURRENCIES,
};

export interface TestPaymentMethod {
  alias: string;
  type: PaymentMethodType;
  brand: string;
  last4: string;
  funding: string;
  behavior: PaymentBehavior;
  /** pm_card_createDispute: the charge is disputed shortly after it succeeds. */
  disputes?: boolean;
  /** pm_card_refundFail (4000000000005126): refunds start succeeded and then fail (https://docs.stripe.com/testing#refunds). */
  refundFails?: boolean;
  /** 4000000000007726: refunds start pending and then succeed (https://docs.stripe.com/testing#refunds). */
  refundPending?: boolean;
  /** A wallet card (Apple Pay / Google Pay): `card.wallet.type` (local-methods.ts). */
  wallet?: 'apple_pay' | 'google_pay';
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
  // 4000000000000341: attaching to a customer succeeds, every charge is declined (https://docs.stripe.com/testing#cards).
  card(
    'pm_card_chargeCustomerFail',
    'visa',
    '0341',
    decline('card_declined', 'generic_decline', 'Your card was declined.'),
  ),
  card('pm_card_threeDSecure2Required', 'visa', '3220', { kind: 'authenticate' }),
  card('pm_card_createDispute', 'visa', '0259', SUCCEED, { disputes: true }),
  card('pm_card_refundFail', 'visa', '5126', SUCCEED, { refundFails: true }),
  // Stripe documents the card number only; the alias is the stand-in's.
  card('pm_card_refundPending', 'visa', '7726', SUCCEED, { refundPending: true }),
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
  {
    alias: 'pm_usBankAccount_microdeposits',
    type: 'us_bank_account',
    brand: 'STRIPE TEST BANK',
    last4: '6789',
    funding: 'checking',
    behavior: { kind: 'microdeposits', outcome: 'succeed' },
  },
  ...(['oxxo', 'boleto', 'konbini', 'multibanco'] as const).map((voucher): TestPaymentMethod => ({
    alias: `pm_${voucher}`,
    type: voucher,
    brand: voucher,
    last4: '0000',
    funding: 'voucher',
    behavior: { kind: 'voucher', voucher },
  })),
  {
    alias: 'pm_customerBalance',
    type: 'customer_balance',
    brand: 'customer_balance',
    last4: '0000',
    funding: 'bank_transfer',
    behavior: { kind: 'bank_transfer' },
  },
  ...LOCAL_METHODS,
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

/**
 * `payment_method_data` on create(confirm=true)/confirm, the way Stripe's docs test these types:
 * OXXO, Boleto, Konbini, Multibanco with `billing_details[email]` deciding the outcome (Stripe's
 * test emails: `...succeed_immediately@...` pays at once, `...expire_immediately@...` expires at
 * once, `...fill_never@...` is never paid, anything else is paid after a while:
 * https://docs.stripe.com/payments/oxxo/accept-a-payment?payment-ui=direct-api#test-integration,
 * https://docs.stripe.com/payments/konbini/accept-a-payment#test-integration);
 * `customer_balance` (https://docs.stripe.com/payments/bank-transfers/accept-a-payment);
 * `us_bank_account` with account details typed in, which Stripe verifies with microdeposits
 * (https://docs.stripe.com/payments/ach-direct-debit/accept-a-payment#web-verify-with-microdeposits).
 */
export function paymentMethodFromData(engine: Engine, data: ParamReader, livemode: boolean): PaymentMethodRecord {
  const type = data.requiredString('type');
  const billing = data.object('billing_details');
  const email = billing?.nullableString('email') ?? null;
  const name = billing?.nullableString('name') ?? null;
  let alias: string;
  let voucherOutcome: VoucherOutcome | undefined;
  switch (type) {
    case 'oxxo':
    case 'boleto':
    case 'konbini':
    case 'multibanco': {
      alias = `pm_${type}`;
      const local = (email ?? '').split('@')[0];
      voucherOutcome = local.endsWith('succeed_immediately')
        ? 'pay_now'
        : local.endsWith('expire_immediately')
          ? 'expire_now'
          : local.endsWith('fill_never')
            ? 'never'
            : 'pay_later';
      break;
    }
    case 'customer_balance':
      alias = 'pm_customerBalance';
      break;
    case 'us_bank_account':
      alias = 'pm_usBankAccount_microdeposits';
      break;
    case 'sepa_debit':
    case 'ideal':
    case 'bancontact': {
      const iban = data.object(type)?.nullableString('iban') ?? null;
      const local = isLocalMethodType(type) ? localAliasFromData(type, iban) : null;
      if (!local)
        throw StripeApiError.invalidRequest(
          "The Stripe stand-in takes only Stripe's SEPA test IBANs (AT611904300234573201, AT861904300235473202, ...).",
          `payment_method_data[${type}][iban]`,
        );
      alias = local;
      break;
    }
    case 'card':
      throw StripeApiError.invalidRequest(
        'The Stripe stand-in does not take raw card numbers; use a test payment_method such as pm_card_visa.',
        data.name('type'),
      );
    default:
      throw StripeApiError.invalidRequest(
        `The Stripe stand-in does not model payment_method_data[type]=${type}.`,
        data.name('type'),
      );
  }
  if (type === 'oxxo' || type === 'boleto') {
    if (!name) throw StripeApiError.parameterMissing(`payment_method_data[billing_details][name]`);
    if (!email) throw StripeApiError.parameterMissing(`payment_method_data[billing_details][email]`);
  }
  const record: PaymentMethodRecord = {
    id: newId('pm'),
    seq: engine.store.nextSeq(),
    livemode,
    created: nowSeconds(),
    alias,
    voucherOutcome,
    billing_email: email,
    billing_name: name,
  };
  engine.store.paymentMethods.set(record.id, record);
  return record;
}

export function fingerprintOf(template: TestPaymentMethod): string {
  return hashBase62(`fingerprint:${template.alias}`, 16);
}

export function renderPaymentMethod(record: PaymentMethodRecord): JsonObject {
  const template = templateOf(record);
  const billingDetails: JsonObject = {
    address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null },
    email: record.billing_email ?? null,
    name: record.billing_name ?? (template.type === 'card' ? null : 'Jenny Rosen'),
    phone: null,
    tax_id: null,
  };
  const base: JsonObject = {
    id: record.id,
    object: 'payment_method',
    allow_redisplay: record.allow_redisplay ?? 'unspecified',
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
      wallet: walletOf(template),
    };
  } else if (isLocalMethodType(template.type)) {
    Object.assign(base, renderLocalPaymentMethod(template));
  } else if (template.type !== 'us_bank_account') {
    // SDK 23.1.0 PaymentMethod.Oxxo / Konbini / Multibanco / CustomerBalance are empty; Boleto has tax_id.
    base[template.type] = template.type === 'boleto' ? { tax_id: '00000000000' } : {};
  } else {
    base.us_bank_account = {
      account_holder_type: 'individual',
      account_type: template.funding,
      bank_name: template.brand,
      // Verified instantly through Financial Connections (the default of Stripe's hosted flows,
      // https://docs.stripe.com/payments/ach-direct-debit/accept-a-payment), the method names the
      // linked account (https://docs.stripe.com/api/payment_methods/object#payment_method_object-us_bank_account-financial_connections_account);
      // typed in by hand and verified with microdeposits, it has none.
      financial_connections_account:
        template.behavior.kind === 'microdeposits' ? null : `fca_${record.id.slice(3, 27)}`,
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
