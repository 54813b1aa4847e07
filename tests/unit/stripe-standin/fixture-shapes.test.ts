/**
 * Objects returned by the stand-in must have the keys and value types of Stripe's published
 * examples (openapi fixtures3.json, MIT, in tests/support/stripe-fixtures/ with its licence).
 */
import fs from 'node:fs';
import type Stripe from 'stripe';
import type { StripeStandin } from '../../support/stripe-standin';
import { asRecord, caught, startStandin } from './helpers';
import { stripeFixturesPath } from '../../support/stripe-fixtures';

const FIXTURE_PATH = stripeFixturesPath();

/**
 * Where our value may be null although the fixture's example is non-null. Each of these is null in
 * real Stripe responses in the state we check (the fixture fills every optional field).
 */
const ALLOW_NULL: Record<string, Record<string, string>> = {
  payment_intent: {
    canceled_at: 'only set once canceled',
    last_payment_error: 'only set after a failed attempt',
    next_action: 'only set while requires_action',
    processing: 'card processing details only exist while a card payment is processing',
    shipping: 'only set when shipping was provided',
    transfer_data: 'Connect destination charges only',
    automatic_payment_methods: 'null when payment method types are given explicitly',
    payment_method_configuration_details: 'null when payment method types are given explicitly',
  },
  charge: {
    'billing_details.name': 'no billing name collected for test payment methods',
    description: 'copied from the PaymentIntent, which may have none',
    shipping: 'only set when shipping was provided',
    transfer_data: 'Connect destination charges only',
    source: 'legacy Sources; PaymentIntent charges have source=null',
    'payment_method_details.card.installments': 'only for installment plans',
    'payment_method_details.card.three_d_secure': 'only for 3DS-authenticated charges',
    'payment_method_details.card.wallet': 'only for wallet (Apple Pay, Link...) payments',
  },
  'checkout.session': {
    after_expiration: 'only when recovery is configured',
    'automatic_tax.liability': 'only with automatic tax',
    consent: 'only when consent_collection was requested',
    consent_collection: 'only when requested',
    'custom_text.after_submit': 'only when custom text was set',
    'custom_text.shipping_address': 'only when custom text was set',
    'custom_text.submit': 'only when custom text was set',
    'custom_text.terms_of_service_acceptance': 'only when custom text was set',
    'collected_information.shipping_details': 'only when shipping was collected',
    currency_conversion: 'only with adaptive pricing conversions',
    customer_details: 'null until the customer completes the session',
    payment_intent: 'created when the customer pays (Stripe API 2022-08-01 and later)',
    'invoice_creation.invoice_data.issuer': 'only when invoice creation is enabled',
    'invoice_creation.invoice_data.rendering_options': 'only when invoice creation is enabled',
    payment_method_configuration_details: 'null when payment method types are given explicitly',
    shipping_address_collection: 'only when shipping address collection was requested',
    shipping_cost: 'only with shipping options',
    wallet_options: 'only when wallet options were set',
    url: 'hosted sessions only, and only while open',
  },
  account: {
    'requirements.disabled_reason': 'null while nothing is due (charges enabled)',
    'future_requirements.disabled_reason': 'null while nothing is due',
  },
};

/** Not compared recursively: the fixture's event wraps a plan, ours wrap payment objects. */
const SKIP = new Set(['event:data.object']);

type Kind = 'null' | 'array' | 'object' | 'string' | 'number' | 'boolean';

function kindOf(value: unknown): Kind {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  const type = typeof value;
  if (type === 'object' || type === 'string' || type === 'number' || type === 'boolean') return type;
  throw new Error(`unexpected JSON value ${String(value)}`);
}

function compareShape(resource: string, expected: unknown, actual: unknown, prefix: string, problems: string[]): void {
  const expectedObject = asRecord(expected);
  const actualObject = asRecord(actual);
  for (const [key, expectedValue] of Object.entries(expectedObject)) {
    const at = prefix ? `${prefix}.${key}` : key;
    if (!(key in actualObject)) {
      problems.push(`${resource}: missing key ${at}`);
      continue;
    }
    const actualValue = actualObject[key];
    const expectedKind = kindOf(expectedValue);
    const actualKind = kindOf(actualValue);
    if (expectedKind === 'null') continue; // fixture null: the value legitimately varies
    if (actualKind === 'null') {
      if (!ALLOW_NULL[resource]?.[at]) problems.push(`${resource}: ${at} is null, fixture has ${expectedKind}`);
      continue;
    }
    if (expectedKind !== actualKind) {
      problems.push(`${resource}: ${at} is ${actualKind}, fixture has ${expectedKind}`);
      continue;
    }
    if (SKIP.has(`${resource}:${at}`)) continue;
    if (expectedKind === 'object') compareShape(resource, expectedValue, actualValue, at, problems);
    if (expectedKind === 'array' && Array.isArray(expectedValue) && Array.isArray(actualValue)) {
      const [expectedFirst] = expectedValue;
      const [actualFirst] = actualValue;
      if (kindOf(expectedFirst ?? null) === 'object' && actualFirst !== undefined) {
        compareShape(resource, expectedFirst, actualFirst, `${at}[0]`, problems);
      }
    }
  }
}

describe('object shapes match Stripe fixtures3.json', () => {
  let standin: StripeStandin;
  let stripe: Stripe;
  let fixtures: Record<string, unknown>;

  beforeAll(async () => {
    ({ standin, stripe } = await startStandin());
    fixtures = asRecord(asRecord(JSON.parse(fs.readFileSync(FIXTURE_PATH, 'utf8'))).resources);
  });
  afterAll(() => standin.close());

  function expectShape(resource: string, object: unknown): void {
    const problems: string[] = [];
    compareShape(resource, fixtures[resource], object, '', problems);
    expect(problems).toEqual([]);
  }

  it('has the fixture file with every resource we check', () => {
    for (const name of [
      'payment_intent',
      'charge',
      'refund',
      'dispute',
      'checkout.session',
      'event',
      'balance',
      'account',
    ]) {
      expect(kindOf(fixtures[name])).toBe('object');
    }
  });

  it('detects a missing key and a wrong type (the checker itself works)', () => {
    const problems: string[] = [];
    compareShape(
      'refund',
      fixtures.refund,
      { ...asRecord(fixtures.refund), amount: '100', status: null },
      '',
      problems,
    );
    expect(problems).toEqual([
      'refund: amount is string, fixture has number',
      'refund: status is null, fixture has string',
    ]);
    const missing: string[] = [];
    const { charge: _charge, ...withoutCharge } = asRecord(fixtures.refund);
    compareShape('refund', fixtures.refund, withoutCharge, '', missing);
    expect(missing).toEqual(['refund: missing key charge']);
  });

  it('payment_intent in every state', async () => {
    const created = await stripe.paymentIntents.create({ amount: 1099, currency: 'usd' });
    const succeeded = await stripe.paymentIntents.create({
      amount: 1099,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    const action = await stripe.paymentIntents.create({
      amount: 1099,
      currency: 'usd',
      payment_method: 'pm_card_authenticationRequired',
      confirm: true,
    });
    const declined = await caught(() =>
      stripe.paymentIntents.create({
        amount: 1099,
        currency: 'usd',
        payment_method: 'pm_card_chargeDeclined',
        confirm: true,
      }),
    );
    const canceled = await stripe.paymentIntents.cancel(created.id);
    expect([succeeded.status, action.status, canceled.status]).toEqual(['succeeded', 'requires_action', 'canceled']);
    for (const pi of [succeeded, action, canceled, asRecord(declined.raw).payment_intent])
      expectShape('payment_intent', pi);
  });

  it('charge, refund, dispute and event', async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 2000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      metadata: { invoice: 'INV-SHAPE' },
    });
    const refund = await stripe.refunds.create({ payment_intent: pi.id, amount: 500 });
    const charge = await stripe.charges.retrieve(String(pi.latest_charge), { expand: ['refunds'] });
    const disputeObject = standin.control.openDispute(charge.id);
    const dispute = await stripe.disputes.retrieve(String(disputeObject.id));
    const events = await stripe.events.list({ type: 'payment_intent.succeeded', limit: 1 });
    expect(charge.refunds?.data.map((item) => item.id)).toEqual([refund.id]);
    expectShape('charge', charge);
    expectShape('refund', refund);
    expectShape('dispute', dispute);
    expect(events.data).toHaveLength(1);
    expectShape('event', events.data[0]);
  });

  it('checkout.session (open and complete)', async () => {
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [
        { price_data: { currency: 'usd', unit_amount: 4200, product_data: { name: 'Invoice INV-9' } }, quantity: 1 },
      ],
      success_url: 'https://merchant.test/ok',
      cancel_url: 'https://merchant.test/cancel',
    });
    expectShape('checkout.session', session);
    standin.control.completeCheckout(session.id);
    expectShape('checkout.session', await stripe.checkout.sessions.retrieve(session.id));
  });

  it('balance and account', async () => {
    expectShape('balance', await stripe.balance.retrieve());
    expectShape('account', await stripe.accounts.retrieve(null));
  });
});
