import { bootPayments, KEYS, payableInvoice, type PaymentsEnv } from '../support/payments';
import { adminSession } from '../support/admin';
import { waitForIdle } from '../support/idle';

/**
 * Settings → Payment methods through the real admin API against the Stripe stand-in: the account's
 * payment method configurations, the chosen one sent on every new PaymentIntent and Checkout
 * Session (read from the stand-in's request log), refusals that save nothing, the wallet domain
 * registration, and the settings permissions.
 */
const SITE = 'billing.example.test';
let env: PaymentsEnv;
let cardsId: string;
let defaultId: string;

beforeAll(async () => {
  env = await bootPayments({ env: { INVOICE_PAYMENTS_PUBLIC_URL: `https://${SITE}` } });
});
afterAll(async () => {
  await env?.close();
});

const api = (method: 'get' | 'put' | 'post', path: string, body?: object, auth = env.admin.auth) => {
  const req = env.app.http()[method](`/invoice-payments/settings/payment-methods${path}`).set(auth);
  return body ? req.send(body) : req;
};
const log = (route: string) => env.standin.control.requestLog(route);

async function openPaymentIntent() {
  const { documentId, token } = await payableInvoice(env);
  const res = await env.app.http().post(`/api/invoice-payments/invoices/${documentId}/payment-intent`).send({ token });
  expect(res.status).toBe(200);
  return res.body.data.providerPaymentId as string;
}

async function openCheckout() {
  const { documentId, token } = await payableInvoice(env);
  const res = await env.app
    .http()
    .post(`/api/invoice-payments/invoices/${documentId}/checkout-session`)
    .send({ token, uiMode: 'hosted' });
  expect(res.status).toBe(200);
  return res.body.data.checkoutSessionId as string;
}

describe('payment method configurations', () => {
  it("lists the account's configurations with the methods each turns on; none chosen at first", async () => {
    const res = await api('get', '');
    expect(res.status).toBe(200);
    expect(res.body.data.selected).toBeNull();
    const configurations = res.body.data.configurations as Array<{
      id: string;
      name: string;
      isDefault: boolean;
      methods: string[];
    }>;
    expect(configurations.map((c) => [c.name, c.isDefault])).toEqual([
      ['Default', true],
      ['Cards and wallets', false],
    ]);
    expect(configurations[1]!.methods).toEqual(['apple_pay', 'card', 'google_pay', 'link']);
    expect(configurations[0]!.methods).toEqual(expect.arrayContaining(['card', 'us_bank_account', 'oxxo']));
    defaultId = configurations[0]!.id;
    cardsId = configurations[1]!.id;
  });

  it('without a choice, new payments use dynamic payment methods and name no configuration', async () => {
    const pi = await openPaymentIntent();
    const sent = log('POST /v1/payment_intents').at(-1)!.params;
    expect(sent.automatic_payment_methods).toEqual({ enabled: 'true' });
    expect(sent).not.toHaveProperty('payment_method_configuration');
    expect(sent).not.toHaveProperty('payment_method_types');
    const intent = await env.stripe.paymentIntents.retrieve(pi);
    expect(intent.payment_method_configuration_details?.id).toBe(defaultId);
  });

  it('refuses an id that is not a configuration of the account (400, nothing saved)', async () => {
    const before = log('GET /v1/payment_method_configurations/:id').length;
    const res = await api('put', '', { configurationId: 'pmc_notOnThisAccount123' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/has no payment method configuration pmc_notOnThisAccount123/);
    expect(res.body.error.details.errors[0].path).toEqual(['configurationId']);
    // Stripe was asked (the id looked right), and said no.
    expect(log('GET /v1/payment_method_configurations/:id').length).toBe(before + 1);
    expect((await api('get', '')).body.data.selected).toBeNull();
    const audit = await env.app.strapi.db
      .query('plugin::invoice-payments.audit-entry')
      .count({ where: { action: 'settings.payment_methods.updated' } });
    expect(audit).toBe(0);
  });

  it.each([
    [{ configurationId: 'card' }, /starts with pmc_/],
    [{ configurationId: 42 }, /configurationId: Send a configuration id from the list \(pmc_…\), or null/],
    [{}, /configurationId: Send a configuration id from the list/],
    [{ configurationId: null, payment_method_types: ['card'] }, /payment_method_types/],
  ])('refuses malformed input %j with a 400 before calling Stripe', async (body, message) => {
    const before = log('GET /v1/payment_method_configurations/:id').length;
    const res = await api('put', '', body);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(message);
    expect(log('GET /v1/payment_method_configurations/:id').length).toBe(before);
    expect((await api('get', '')).body.data.selected).toBeNull();
  });

  it('sends the chosen configuration on new PaymentIntents and Checkout Sessions', async () => {
    const chosen = await api('put', '', { configurationId: cardsId });
    expect(chosen.status).toBe(200);
    expect(chosen.body.data.selected).toEqual({ id: cardsId, name: 'Cards and wallets' });
    expect((await api('get', '')).body.data.selected).toEqual({ id: cardsId, name: 'Cards and wallets' });

    const pi = await openPaymentIntent();
    const piParams = log('POST /v1/payment_intents').at(-1)!.params;
    expect(piParams.payment_method_configuration).toBe(cardsId);
    expect(piParams.automatic_payment_methods).toEqual({ enabled: 'true' });
    expect(piParams).not.toHaveProperty('payment_method_types');
    const intent = await env.stripe.paymentIntents.retrieve(pi);
    expect(intent.payment_method_configuration_details?.id).toBe(cardsId);
    // USD would also offer ACH under the default configuration; this one turns on cards only.
    expect(intent.payment_method_types).toEqual(['card']);

    const cs = await openCheckout();
    const csParams = log('POST /v1/checkout/sessions').at(-1)!.params;
    expect(csParams.payment_method_configuration).toBe(cardsId);
    expect(csParams).not.toHaveProperty('payment_method_types');
    const session = await env.stripe.checkout.sessions.retrieve(cs);
    expect(session.payment_method_configuration_details?.id).toBe(cardsId);
    await waitForIdle(env.app.strapi, 10_000, env.standin);

    const entry = await env.app.strapi.db
      .query('plugin::invoice-payments.audit-entry')
      .findOne({ where: { action: 'settings.payment_methods.updated' } });
    expect(entry).toMatchObject({ actorType: 'admin', details: { configurationId: cardsId } });
  });

  it('a new secret key sets the choice aside (it may belong to another account): the default applies', async () => {
    const other = 'sk_test_51OtherAccountKey000000000000000';
    expect(
      (await env.app.http().put('/invoice-payments/settings').set(env.admin.auth).send({ secretKey: other })).status,
    ).toBe(200);
    const view = (await api('get', '')).body.data;
    expect(view.selected).toBeNull();
    // The stand-in's accounts share their configurations, so the name is still known.
    expect(view.staleChoice).toEqual({ id: cardsId, name: 'Cards and wallets' });
    await openPaymentIntent();
    expect(log('POST /v1/payment_intents').at(-1)!.params).not.toHaveProperty('payment_method_configuration');
    // Back to the first key: the choice made with it applies again.
    expect(
      (await env.app.http().put('/invoice-payments/settings').set(env.admin.auth).send({ secretKey: KEYS.secretKey }))
        .status,
    ).toBe(200);
    expect((await api('get', '')).body.data.selected).toMatchObject({ id: cardsId });
  });

  it('going back to the account default stops sending a configuration', async () => {
    const res = await api('put', '', { configurationId: null });
    expect(res.status).toBe(200);
    expect(res.body.data.selected).toBeNull();
    await openPaymentIntent();
    expect(log('POST /v1/payment_intents').at(-1)!.params).not.toHaveProperty('payment_method_configuration');
  });

  it('a Stripe outage while listing answers a clear 502 without secrets', async () => {
    env.standin.control.addFault({ method: 'GET', path: '/v1/payment_method_configurations', status: 500, times: 3 });
    const res = await api('get', '');
    env.standin.control.clearFaults();
    expect(res.status).toBe(502);
    expect(res.body.error.message).toMatch(/Stripe could not be reached while listing payment method configurations/);
    expect(JSON.stringify(res.body)).not.toContain(KEYS.secretKey);
  });
});

describe('wallet domain (Apple Pay / Google Pay)', () => {
  const publicUrlKey = 'plugin::invoice-payments.publicUrl';
  afterEach(() => {
    env.app.strapi.config.set(publicUrlKey, `https://${SITE}`);
    env.standin.control.clearFaults();
  });

  it('shows the site domain as not registered', async () => {
    const res = await api('get', '/domain');
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ domain: SITE, problem: null, registration: null });
    expect(log('GET /v1/payment_method_domains').at(-1)!.params.domain_name).toBe(SITE);
  });

  it('a Stripe outage while registering answers 502 and registers nothing', async () => {
    env.standin.control.addFault({ method: 'POST', path: '/v1/payment_method_domains', status: 500, times: 3 });
    const res = await api('post', '/domain', {});
    expect(res.status).toBe(502);
    expect(res.body.error.message).toMatch(
      /Stripe could not be reached while registering the domain\. Nothing was changed/,
    );
    expect(JSON.stringify(res.body)).not.toContain(KEYS.secretKey);
    expect((await api('get', '/domain')).body.data.registration).toBeNull();
  });

  it('refuses localhost before asking Stripe, saying what to set', async () => {
    env.app.strapi.config.set(publicUrlKey, 'http://localhost:1337');
    const before = log('POST /v1/payment_method_domains').length;
    const view = await api('get', '/domain');
    expect(view.body.data).toMatchObject({ domain: 'localhost', registration: null });
    expect(view.body.data.problem).toMatch(/Set the plugin's publicUrl/);
    const res = await api('post', '/domain', {});
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/public URL is http:\/\/localhost:1337/);
    expect(log('POST /v1/payment_method_domains').length).toBe(before);
  });

  it("passes on Stripe's refusal of a domain name as a 400", async () => {
    env.app.strapi.config.set(publicUrlKey, 'https://pay_here.example.test');
    const res = await api('post', '/domain', {});
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^Stripe refused this: Invalid domain name: pay_here\.example\.test/);
  });

  it('registers the domain in one call and shows Apple Pay and Google Pay active; a second click creates nothing', async () => {
    const before = log('POST /v1/payment_method_domains').length;
    const res = await api('post', '/domain', {});
    expect(res.status).toBe(200);
    expect(res.body.data.registration).toMatchObject({
      domainName: SITE,
      enabled: true,
      applePay: { status: 'active', message: null },
      googlePay: { status: 'active', message: null },
    });
    expect(log('POST /v1/payment_method_domains').length).toBe(before + 1);
    expect(log('POST /v1/payment_method_domains').at(-1)!.params).toEqual({ domain_name: SITE, enabled: 'true' });
    expect((await api('get', '/domain')).body.data.registration).toMatchObject({ id: res.body.data.registration.id });
    const again = await api('post', '/domain', {});
    expect(again.body.data.registration.id).toBe(res.body.data.registration.id);
    expect(log('POST /v1/payment_method_domains').length).toBe(before + 1);
  });

  it("shows Stripe's reason when Apple Pay is inactive on a domain", async () => {
    env.app.strapi.config.set(publicUrlKey, 'https://shop.example.invalid');
    const res = await api('post', '/domain', {});
    expect(res.status).toBe(200);
    expect(res.body.data.registration.applePay).toMatchObject({
      status: 'inactive',
      message: expect.stringMatching(/could not verify the domain association file/),
    });
    expect(res.body.data.registration.googlePay.status).toBe('active');
  });
});

describe('permissions', () => {
  it('an admin who may read settings sees them but cannot change them; others get 403', async () => {
    const reader = await adminSession(env.app.strapi, ['plugin::invoice-payments.settings.read']);
    const outsider = await adminSession(env.app.strapi, ['plugin::invoice-payments.payments.read']);
    const configPosts = log('POST /v1/payment_method_domains').length;
    expect((await api('get', '', undefined, reader.auth)).status).toBe(200);
    expect((await api('get', '/domain', undefined, reader.auth)).status).toBe(200);
    expect((await api('put', '', { configurationId: cardsId }, reader.auth)).status).toBe(403);
    expect((await api('post', '/domain', {}, reader.auth)).status).toBe(403);
    for (const [method, path] of [
      ['get', ''],
      ['put', ''],
      ['get', '/domain'],
      ['post', '/domain'],
    ] as const)
      expect([method, path, (await api(method, path, { configurationId: cardsId }, outsider.auth)).status]).toEqual([
        method,
        path,
        403,
      ]);
    expect((await env.app.http().get('/invoice-payments/settings/payment-methods')).status).toBe(401);
    expect((await api('get', '')).body.data.selected).toBeNull();
    expect(log('POST /v1/payment_method_domains').length).toBe(configPosts);
  });
});
