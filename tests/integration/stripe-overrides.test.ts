import { STRIPE_PAGE_CSP } from '../../server/src/pages/security';
import { PAGE_DATA_ID } from '../../server/src/pages/view';
import { keyRingFromEnv, requireCurrentKey, seal } from '../../server/src/utils/secret-box';
import { maskKey } from '../../server/src/utils/stripe-keys';
import { createTestDatabase } from '../support/database';
import { bootPayments, payableInvoice, type PaymentsEnv } from '../support/payments';
import { startStrapiProcess } from '../support/processes';
import { STRIPE_JS_STANDIN_PATH } from '../support/stripe-js-standin/paths';

/**
 * Issue 10, defect 10: STRIPE_API_BASE / stripe.apiBase and STRIPE_JS_URL / stripe.jsUrl replace
 * Stripe with another server. A live key never goes there (refused on save, by the Stripe client
 * factory and by the pay pages), and a production process only starts with them on purpose.
 */
const LIVE_SK = 'sk_live' + '_51LiveSecretKey0000000000000000';
const LIVE_PK = 'pk_live' + '_51LivePublishable00000000000000';

let env: PaymentsEnv;

beforeAll(async () => {
  env = await bootPayments({ env: { STRIPE_JS_URL: null, INVOICE_PAYMENTS_ALLOW_STRIPE_STANDIN: null } });
});
afterAll(async () => {
  delete process.env.STRIPE_JS_URL;
  await env?.close();
});

const requestsSeen = () => Object.values(env.standin.control.stats().requests).reduce((a, b) => a + b, 0);
const settingsService = () => env.app.strapi.plugin('invoice-payments').service('settings');
const pageData = (html: string) =>
  JSON.parse(
    new RegExp(`<script type="application/json" id="${PAGE_DATA_ID}">(.*?)</script>`, 's').exec(html)![1]!,
  ) as Record<string, unknown>;

/** Keys saved before a stand-in variable appeared: written to the store as the settings service would. */
async function storeKeys(keys: { secretKey?: string; publishableKey?: string }) {
  const store = env.app.strapi.store({ type: 'plugin', name: 'invoice-payments' });
  const current = (await store.get({ key: 'settings' })) as Record<string, unknown>;
  const next = { ...current };
  if (keys.secretKey)
    Object.assign(next, {
      secretKeySealed: seal(keys.secretKey, requireCurrentKey(keyRingFromEnv())),
      secretKeyMask: maskKey(keys.secretKey),
    });
  if (keys.publishableKey) next.publishableKey = keys.publishableKey;
  await store.set({ key: 'settings', value: next });
  return async () => store.set({ key: 'settings', value: current });
}

describe('live keys with STRIPE_API_BASE set', () => {
  it('saving them is refused with a 400 that says why, nothing is saved and nothing is sent to the other host', async () => {
    const before = await settingsService().get();
    await env.standin.control.idle();
    const seen = requestsSeen();
    const res = await env.app
      .http()
      .put('/invoice-payments/settings')
      .set(env.admin.auth)
      .send({ publishableKey: LIVE_PK, secretKey: LIVE_SK });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(
      `A live Stripe secret key cannot be used while stripe.apiBase / STRIPE_API_BASE sends Stripe calls to ${env.standin.url}`,
    );
    expect(res.body.error.message).toContain('Unset STRIPE_API_BASE');
    expect(res.body.error.details.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: ['secretKey'] })]),
    );
    expect(JSON.stringify(res.body)).not.toContain(LIVE_SK);
    expect((await settingsService().get()).secretKey.masked).toBe(before.secretKey.masked);
    await env.standin.control.idle();
    expect(requestsSeen()).toBe(seen);
  });

  it('a live key already in the store is never sent: the client factory refuses, the stand-in sees no request', async () => {
    const inv = await payableInvoice(env);
    const restore = await storeKeys({ secretKey: LIVE_SK, publishableKey: LIVE_PK });
    try {
      await env.standin.control.idle();
      const seen = requestsSeen();
      const res = await env.app
        .http()
        .post(`/api/invoice-payments/invoices/${inv.documentId}/payment-intent`)
        .send({ token: inv.token });
      expect(res.status).toBeGreaterThanOrEqual(500);
      expect(JSON.stringify(res.body)).not.toContain(LIVE_SK);
      await expect(env.app.strapi.plugin('invoice-payments').service('providers').forNewPayments()).rejects.toThrow(
        /A live Stripe secret key cannot be used while stripe\.apiBase/,
      );
      await env.standin.control.idle();
      expect(requestsSeen()).toBe(seen);
      expect(env.app.logs.join('\n')).not.toContain(LIVE_SK);
    } finally {
      await restore();
    }
  });
});

describe('a live publishable key with STRIPE_JS_URL set', () => {
  afterEach(() => {
    delete process.env.STRIPE_JS_URL;
  });

  it('saving it is refused with a 400', async () => {
    process.env.STRIPE_JS_URL = `${env.standin.url}${STRIPE_JS_STANDIN_PATH}`;
    const res = await env.app
      .http()
      .put('/invoice-payments/settings')
      .set(env.admin.auth)
      .send({ publishableKey: LIVE_PK, secretKey: '' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(
      'A live Stripe publishable key cannot be used while stripe.jsUrl / STRIPE_JS_URL loads Stripe.js from',
    );
    expect((await settingsService().get()).publishableKey).not.toBe(LIVE_PK);
  });

  it('the pay pages ignore the replacement Stripe.js and serve Stripe’s with the production CSP', async () => {
    const jsUrl = `${env.standin.url}${STRIPE_JS_STANDIN_PATH}`;
    const inv = await payableInvoice(env);
    process.env.STRIPE_JS_URL = jsUrl;
    // With the test key the replacement is used (the offline demo)...
    const testPage = await env.app.http().get(`/invoice-payments/pay/${inv.token}`);
    expect(pageData(testPage.text).stripeJsUrl).toBe(jsUrl);
    // ...with a live key (saved before the variable appeared), never.
    const restore = await storeKeys({ publishableKey: LIVE_PK });
    try {
      const page = await env.app.http().get(`/invoice-payments/pay/${inv.token}`);
      expect(page.status).toBe(200);
      expect(pageData(page.text).stripeJsUrl).toBeUndefined();
      expect(page.headers['content-security-policy']).toBe(STRIPE_PAGE_CSP);
      expect(page.text).not.toContain(env.standin.url);
      const customer = await env.app.http().get('/invoice-payments/pay/invoice/abcdefghij0123456789');
      expect(pageData(customer.text).stripeJsUrl).toBeUndefined();
      expect(customer.headers['content-security-policy']).toBe(STRIPE_PAGE_CSP);
      expect(
        env.app.logs.some((l) => l.includes('A live Stripe publishable key cannot be used while stripe.jsUrl')),
      ).toBe(true);
    } finally {
      await restore();
    }
  });
});

describe('production (NODE_ENV=production)', () => {
  it('does not start with STRIPE_API_BASE and no opt-in, and says why and how; starts with the opt-in', async () => {
    const db = await createTestDatabase();
    try {
      const base = { ...db.env, STRIPE_API_BASE: env.standin.url, STRAPI_LOG_LEVEL: 'error' };
      let failure: unknown = null;
      try {
        const p = await startStrapiProcess({ name: 'no-opt-in', env: base, readyTimeoutMs: 120_000 });
        await p.stop();
      } catch (error) {
        failure = error;
      }
      expect(failure).toBeInstanceOf(Error);
      const message = (failure as Error).message;
      expect(message).toContain('invoice-payments will not start: stripe.apiBase / STRIPE_API_BASE');
      expect(message).toContain('NODE_ENV=production');
      expect(message).toContain('INVOICE_PAYMENTS_ALLOW_STRIPE_STANDIN=true');

      const allowed = await startStrapiProcess({
        name: 'opt-in',
        env: { ...base, INVOICE_PAYMENTS_ALLOW_STRIPE_STANDIN: 'true' },
        readyTimeoutMs: 120_000,
      });
      try {
        expect((await fetch(`${allowed.url}/_health`)).status).toBe(204);
      } finally {
        await allowed.stop();
      }
    } finally {
      await db.drop();
    }
  });
});
