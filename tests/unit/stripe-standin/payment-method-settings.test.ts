/**
 * The stand-in's payment method configurations and payment method domains, through the real SDK:
 * shapes against Stripe's example objects (fixtures3.json), the documented list/retrieve/create
 * behaviours, `payment_method_configuration` on PaymentIntents and Checkout Sessions, and the
 * request log. Plus the plugin's reading of a configuration (enabledMethods) on Stripe's example.
 */
import fs from 'node:fs';
import type Stripe from 'stripe';
import type { StripeStandin } from '../../support/stripe-standin';
import { stripeFixturesPath } from '../../support/stripe-fixtures';
import { asRecord, caught, startStandin } from './helpers';
import { enabledMethods, toRegistration } from '../../../server/src/providers/stripe/payment-methods';

let standin: StripeStandin;
let stripe: Stripe;
const fixtures = asRecord(asRecord(JSON.parse(fs.readFileSync(stripeFixturesPath(), 'utf8'))).resources);

beforeAll(async () => {
  ({ standin, stripe } = await startStandin());
});
afterAll(() => standin.close());

/** Every key of Stripe's example is there with the same JSON type (nulls in the example vary). */
function expectSameKeys(example: unknown, actual: unknown, at = ''): void {
  const e = asRecord(example);
  const a = asRecord(actual);
  for (const [key, value] of Object.entries(e)) {
    expect([`${at}${key}`, key in a]).toEqual([`${at}${key}`, true]);
    if (value === null) continue;
    const kind = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);
    expect([`${at}${key}`, kind(a[key])]).toEqual([`${at}${key}`, kind(value)]);
    if (kind(value) === 'object') expectSameKeys(value, a[key], `${at}${key}.`);
  }
}

describe('payment method configurations', () => {
  it('lists the seeded Default and Cards and wallets, shaped like Stripe’s example', async () => {
    const list = await stripe.paymentMethodConfigurations.list();
    expect(list.data.map((c) => [c.name, c.is_default, c.active])).toEqual([
      ['Cards and wallets', false, true],
      ['Default', true, true],
    ]);
    for (const c of list.data) expectSameKeys(fixtures.payment_method_configuration, c);
    expect(enabledMethods(list.data[0]!)).toEqual(['apple_pay', 'card', 'google_pay', 'link']);
    const retrieved = await stripe.paymentMethodConfigurations.retrieve(list.data[0]!.id);
    expect(retrieved.id).toBe(list.data[0]!.id);
    const missing = await caught(() => stripe.paymentMethodConfigurations.retrieve('pmc_nope'));
    expect([missing.statusCode, missing.code]).toEqual([404, 'resource_missing']);
    // Objects of the other mode are invisible.
    const live = await caught(() =>
      new (stripe.constructor as typeof Stripe)('sk_live' + '_standinUnitTests', {
        host: '127.0.0.1',
        port: standin.port,
        protocol: 'http',
        telemetry: false,
        maxNetworkRetries: 0,
      }).paymentMethodConfigurations.retrieve(list.data[0]!.id),
    );
    expect(live.message).toMatch(/exists in test mode, but a live mode key/);
  });

  it('the plugin reads the methods a configuration turns on (Stripe’s own example: card and Apple Pay)', () => {
    expect(enabledMethods(fixtures.payment_method_configuration as Stripe.PaymentMethodConfiguration)).toEqual([
      'apple_pay',
      'card',
    ]);
  });

  it('narrows a PaymentIntent’s and a Checkout Session’s dynamic methods, and refuses an unknown id', async () => {
    const [cards] = (await stripe.paymentMethodConfigurations.list()).data;
    const wide = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
    expect(wide.payment_method_types).toEqual(['card', 'us_bank_account', 'customer_balance']);
    const narrow = await stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      automatic_payment_methods: { enabled: true },
      payment_method_configuration: cards!.id,
    });
    expect(narrow.payment_method_types).toEqual(['card']);
    expect(narrow.payment_method_configuration_details).toEqual({ id: cards!.id, parent: null });
    expect(wide.payment_method_configuration_details?.id).not.toBe(cards!.id);

    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      ui_mode: 'hosted_page',
      success_url: 'https://example.com/ok',
      line_items: [{ quantity: 1, price_data: { currency: 'usd', unit_amount: 1000, product_data: { name: 'x' } } }],
      payment_method_configuration: cards!.id,
    });
    expect(session.payment_method_types).toEqual(['card']);
    expect(session.payment_method_configuration_details).toEqual({ id: cards!.id, parent: null });

    const unknown = await caught(() =>
      stripe.paymentIntents.create({ amount: 1000, currency: 'usd', payment_method_configuration: 'pmc_unknown' }),
    );
    expect([unknown.statusCode, unknown.code, unknown.param]).toEqual([
      400,
      'resource_missing',
      'payment_method_configuration',
    ]);
    // The removed parameter stays refused, like the pinned API.
    const removed = await caught(() =>
      stripe.paymentIntents.create({ amount: 1000, currency: 'usd', payment_method_types: ['card'] } as never),
    );
    expect(removed.message).toMatch(/payment_method_types was removed/);
  });
});

describe('payment method domains', () => {
  it('creates, lists by name and retrieves a domain, shaped like Stripe’s example', async () => {
    const created = await stripe.paymentMethodDomains.create({ domain_name: 'Pay.Example.com' });
    expect(created).toMatchObject({ domain_name: 'pay.example.com', enabled: true, apple_pay: { status: 'active' } });
    expectSameKeys(fixtures.payment_method_domain, created);
    const listed = await stripe.paymentMethodDomains.list({ domain_name: 'pay.example.com' });
    expect(listed.data.map((d) => d.id)).toEqual([created.id]);
    expect((await stripe.paymentMethodDomains.list({ domain_name: 'other.example.com' })).data).toEqual([]);
    expect((await stripe.paymentMethodDomains.retrieve(created.id)).id).toBe(created.id);
    // Registering the same name again answers the existing registration.
    expect((await stripe.paymentMethodDomains.create({ domain_name: 'pay.example.com' })).id).toBe(created.id);
    expect(toRegistration(created)).toEqual({
      id: created.id,
      domainName: 'pay.example.com',
      enabled: true,
      applePay: { status: 'active', message: null },
      googlePay: { status: 'active', message: null },
    });
  });

  it('refuses what is not a host name and shows Apple Pay inactive with a reason under .invalid', async () => {
    for (const bad of ['https://pay.example.com', 'pay.example.com/x', 'localhost', '127.0.0.1', 'pay example.com']) {
      const error = await caught(() => stripe.paymentMethodDomains.create({ domain_name: bad }));
      expect([bad, error.statusCode, error.param]).toEqual([bad, 400, 'domain_name']);
    }
    const inactive = toRegistration(await stripe.paymentMethodDomains.create({ domain_name: 'shop.example.invalid' }));
    expect(inactive.applePay.status).toBe('inactive');
    expect(inactive.applePay.message).toMatch(/apple-developer-merchantid-domain-association/);
    expect(inactive.googlePay.status).toBe('active');
  });

  it('records each request with its parameters', async () => {
    const log = standin.control.requestLog('POST /v1/payment_method_domains');
    expect(log.at(-1)).toMatchObject({
      method: 'POST',
      path: '/v1/payment_method_domains',
      params: { domain_name: 'shop.example.invalid' },
    });
    expect(standin.control.requestLog().length).toBeGreaterThan(log.length);
  });
});
