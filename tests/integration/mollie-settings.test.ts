import { bootStrapi, type TestStrapi } from '../support/strapi';
import { adminSession, type AdminSession } from '../support/admin';
import { startMollieStandin, type MollieStandin } from '../support/mollie-standin';

/**
 * The Mollie section of the settings through the real admin API: the API key sealed like Stripe's
 * secret key, masked, its mode from the prefix, the connection check against the Mollie stand-in,
 * the pay-link provider choice, and live keys refused while MOLLIE_API_ENDPOINT points elsewhere.
 */
const KEY = 'test_settingsMollieKey0000000000004242';
const LIVE = 'live_settingsMollieKey0000000000004242';

let app: TestStrapi;
let admin: AdminSession;
let mollie: MollieStandin;

beforeAll(async () => {
  mollie = await startMollieStandin();
  app = await bootStrapi({
    env: {
      MOLLIE_API_ENDPOINT: mollie.apiEndpoint,
      STRIPE_API_BASE: 'http://127.0.0.1:9',
      STRIPE_MAX_NETWORK_RETRIES: '0',
    },
  });
  admin = await adminSession(app.strapi);
});
afterAll(async () => {
  await app?.close();
  await mollie?.close();
});

const put = (body: unknown) =>
  app
    .http()
    .put('/invoice-payments/settings')
    .set(admin.auth)
    .send(body as object);
const rawStore = async () => {
  const row = await app.strapi.db
    .connection('strapi_core_store_settings')
    .where({ key: 'plugin_invoice-payments_settings' })
    .first();
  return row ? String(row.value) : '';
};

it('refuses Mollie for pay links before a Mollie key is saved, and a malformed key, saving nothing', async () => {
  const noKey = await put({ payLinkProvider: 'mollie' });
  expect(noKey.status).toBe(400);
  expect(noKey.body.error.details.errors[0]).toMatchObject({ path: ['payLinkProvider'] });
  const stripeKey = await put({ mollieApiKey: 'sk_test_abcdefgh12345678' });
  expect(stripeKey.status).toBe(400);
  expect(stripeKey.body.error.message).toMatch(/This is a Stripe key/);
  expect((await app.http().get('/invoice-payments/settings').set(admin.auth)).body.data).toMatchObject({
    payLinkProvider: 'stripe',
    mollie: { apiKey: { set: false } },
  });
});

it('refuses a live key while MOLLIE_API_ENDPOINT points at a stand-in (the key would go there)', async () => {
  const res = await put({ mollieApiKey: LIVE });
  expect(res.status).toBe(400);
  expect(res.body.error.message).toMatch(/live Mollie API key cannot be used while mollie.apiEndpoint/);
  expect(await rawStore()).not.toContain('live_');
  expect(mollie.control.stats().requests['GET /v2/profiles/me']).toBeUndefined();
});

it('saves the key sealed, shows it masked with its mode, checks the connection and takes Mollie for pay links', async () => {
  const res = await put({ mollieApiKey: KEY, payLinkProvider: 'mollie' });
  expect(res.status).toBe(200);
  expect(res.body.data).toMatchObject({
    payLinkProvider: 'mollie',
    mollie: {
      apiKey: { set: true, masked: 'test_••••4242' },
      mode: 'test',
      connection: { status: 'connected', accountId: 'pfl_standin' },
    },
  });
  expect(res.body.data.mollie.webhookUrl).toMatch(/\/api\/invoice-payments\/webhooks\/mollie$/);
  expect(JSON.stringify(res.body)).not.toContain(KEY);
  expect(await rawStore()).not.toContain(KEY);
  expect(await app.strapi.plugin('invoice-payments').service('settings').mollieApiKey()).toBe(KEY);
  expect(mollie.control.stats().requests['GET /v2/profiles/me']).toBe(1);
  const audit = await app.strapi.db
    .query('plugin::invoice-payments.audit-entry')
    .findMany({ where: { action: 'settings.mollie_key.saved' } });
  expect(audit).toHaveLength(1);
  expect(JSON.stringify(audit)).not.toContain(KEY);
});

it('removing the key sends pay links back to Stripe', async () => {
  const res = await put({ mollieApiKey: '' });
  expect(res.status).toBe(200);
  expect(res.body.data).toMatchObject({
    payLinkProvider: 'stripe',
    mollie: { apiKey: { set: false, masked: null }, mode: null, connection: { status: 'not_configured' } },
  });
});
