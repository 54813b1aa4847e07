/**
 * The account behind a secret key (`GET /v1/account`), the balance and balance transactions.
 * Account ids are derived from the key so the same key always sees the same account.
 */
import { findRecord, type Engine } from '../engine';
import { hashBase62, newId, nowSeconds } from '../ids';
import type { BalanceTransactionRecord, JsonObject } from '../types';

export function accountIdFor(apiKey: string): string {
  // Test and live keys of one account share a suffix (sk_test_X / sk_live_X -> same account).
  const suffix = apiKey.replace(/^(sk|rk)_(test|live)_/, '');
  return `acct_standin${hashBase62(suffix, 8)}`;
}

const nullAddress = (): JsonObject => ({
  city: null,
  country: null,
  line1: null,
  line2: null,
  postal_code: null,
  state: null,
});

const requirements = (): JsonObject => ({
  alternatives: [],
  current_deadline: null,
  currently_due: [],
  disabled_reason: null,
  errors: [],
  eventually_due: [],
  past_due: [],
  pending_verification: [],
});

export function renderAccount(apiKey: string): JsonObject {
  const id = accountIdFor(apiKey);
  return {
    id,
    object: 'account',
    business_profile: {
      annual_revenue: { amount: null, currency: null, fiscal_year_end: null },
      estimated_worker_count: null,
      mcc: '5734',
      minority_owned_business_designation: null,
      name: 'Stripe Stand-in',
      product_description: 'Invoice payments (test stand-in)',
      support_address: nullAddress(),
      support_email: null,
      support_phone: null,
      support_url: null,
      url: null,
    },
    business_type: 'company',
    capabilities: { card_payments: 'active', transfers: 'active', us_bank_account_ach_payments: 'active' },
    charges_enabled: true,
    controller: { type: 'account' },
    country: 'US',
    created: 1_700_000_000,
    default_currency: 'usd',
    details_submitted: true,
    email: 'standin@example.com',
    external_accounts: { object: 'list', data: [], has_more: false, url: `/v1/accounts/${id}/external_accounts` },
    future_requirements: requirements(),
    metadata: {},
    payouts_enabled: true,
    requirements: requirements(),
    settings: {
      bacs_debit_payments: { display_name: null, service_user_number: null },
      branding: { icon: null, logo: null, primary_color: null, secondary_color: null },
      card_issuing: { tos_acceptance: { date: null, ip: null } },
      card_payments: {
        decline_on: { avs_failure: false, cvc_failure: false },
        statement_descriptor_prefix: 'STANDIN',
        statement_descriptor_prefix_kana: null,
        statement_descriptor_prefix_kanji: null,
      },
      dashboard: { display_name: 'Stripe Stand-in', timezone: 'Etc/UTC' },
      invoices: { default_account_tax_ids: null, hosted_payment_method_save: 'offer' },
      payments: {
        statement_descriptor: 'STANDIN',
        statement_descriptor_kana: null,
        statement_descriptor_kanji: null,
        statement_descriptor_prefix_kana: null,
        statement_descriptor_prefix_kanji: null,
      },
      payouts: {
        debit_negative_balances: true,
        schedule: { delay_days: 2, interval: 'daily' },
        statement_descriptor: null,
      },
      sepa_debit_payments: {},
    },
    tos_acceptance: { date: 1_700_000_000, ip: '127.0.0.1', user_agent: null },
    type: 'standard',
  };
}

/**
 * Stripe's US card pricing (2.9% + 30c, https://stripe.com/pricing) so balance transactions carry a
 * realistic fee. Stripe reports it on the charge's balance transaction (`fee`, `fee_details` with
 * type `stripe_fee`: https://docs.stripe.com/api/balance_transactions/object), read with
 * `expand[]=latest_charge.balance_transaction` on the PaymentIntent
 * (https://docs.stripe.com/expand/use-cases). The plugin reads it from there, never from here.
 */
export function cardFee(amount: number): number {
  return Math.round(amount * 0.029) + 30;
}

export function createBalanceTransaction(
  engine: Engine,
  input: Pick<
    BalanceTransactionRecord,
    'livemode' | 'amount' | 'fee' | 'currency' | 'type' | 'reporting_category' | 'source' | 'description'
  >,
): BalanceTransactionRecord {
  const created = nowSeconds();
  const record: BalanceTransactionRecord = {
    id: newId('txn'),
    seq: engine.store.nextSeq(),
    created,
    // Card funds become available two days later (Stripe's standard US schedule).
    available_on: created + 2 * 86_400,
    ...input,
  };
  engine.store.balanceTransactions.set(record.id, record);
  engine.store.created.balance_transactions += 1;
  return record;
}

export function renderBalanceTransaction(record: BalanceTransactionRecord): JsonObject {
  const feeDetails: JsonObject[] =
    record.fee === 0
      ? []
      : [
          {
            amount: record.fee,
            application: null,
            currency: record.currency,
            description: 'Stripe processing fees',
            type: 'stripe_fee',
          },
        ];
  return {
    id: record.id,
    object: 'balance_transaction',
    amount: record.amount,
    available_on: record.available_on,
    balance_type: 'payments',
    created: record.created,
    currency: record.currency,
    description: record.description,
    exchange_rate: null,
    fee: record.fee,
    fee_details: feeDetails,
    net: record.amount - record.fee,
    reporting_category: record.reporting_category,
    source: record.source,
    status: record.available_on <= nowSeconds() ? 'available' : 'pending',
    type: record.type,
  };
}

export function retrieveBalanceTransaction(engine: Engine, id: string, livemode: boolean): JsonObject {
  return renderBalanceTransaction(findRecord(engine.store.balanceTransactions, id, 'balance transaction', livemode));
}

export function renderBalance(engine: Engine, livemode: boolean): JsonObject {
  const now = nowSeconds();
  const available = new Map<string, number>();
  const pending = new Map<string, number>();
  for (const txn of engine.store.balanceTransactions.values()) {
    if (txn.livemode !== livemode) continue;
    const target = txn.available_on <= now ? available : pending;
    target.set(txn.currency, (target.get(txn.currency) ?? 0) + txn.amount - txn.fee);
  }
  const currencies = new Set(['usd', ...available.keys(), ...pending.keys()]);
  const funds = (source: Map<string, number>): JsonObject[] =>
    [...currencies].map((currency) => ({
      amount: source.get(currency) ?? 0,
      currency,
      source_types: { card: source.get(currency) ?? 0 },
    }));
  return {
    object: 'balance',
    available: funds(available),
    connect_reserved: [...currencies].map((currency) => ({ amount: 0, currency })),
    livemode,
    pending: funds(pending),
  };
}
