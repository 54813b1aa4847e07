import { bootStrapi, type TestStrapi } from '../support/strapi';
import { adminSession, type AdminSession } from '../support/admin';
import { keyRingFromEnv, seal } from '../../server/src/utils/secret-box';

/**
 * Stripe settings through the real admin API: validation, encryption at rest, masking, RBAC,
 * audit entries, the connection check, disconnect. The Stripe API base points at a closed port
 * here, so the connection check fails "unreachable" (the connected path is in settings-stripe).
 */
const PK = 'pk_test_51AbCdEfGhIjKlMnOpQrStUv';
const SK = 'sk_test_51ZyXwVuTsRqPoNmLkJiHg4242';
const WHSEC = 'whsec' + '_TestSigningSecret0123456789abcdef';

let app: TestStrapi;
let admin: AdminSession;

beforeAll(async () => {
  app = await bootStrapi({ env: { STRIPE_API_BASE: 'http://127.0.0.1:9', STRIPE_MAX_NETWORK_RETRIES: '0' } });
  admin = await adminSession(app.strapi);
});
afterAll(async () => {
  await app?.close();
});

const rawStore = async () => {
  const row = await app.strapi.db
    .connection('strapi_core_store_settings')
    .where({ key: 'plugin_invoice-payments_settings' })
    .first();
  return row ? String(row.value) : '';
};
const put = (body: unknown, auth = admin.auth) =>
  app
    .http()
    .put('/invoice-payments/settings')
    .set(auth)
    .send(body as object);

describe('access', () => {
  it('answers 401 without an admin session', async () => {
    expect((await app.http().get('/invoice-payments/settings')).status).toBe(401);
    expect((await app.http().put('/invoice-payments/settings').send({ secretKey: SK })).status).toBe(401);
  });

  it('answers 403 to an admin role without the settings permissions', async () => {
    const other = await adminSession(app.strapi, ['plugin::invoice-payments.payments.read']);
    expect((await app.http().get('/invoice-payments/settings').set(other.auth)).status).toBe(403);
    expect((await put({ secretKey: SK }, other.auth)).status).toBe(403);
    expect((await app.http().post('/invoice-payments/settings/disconnect').set(other.auth)).status).toBe(403);
  });

  it('lets a read-only role read but not update', async () => {
    const reader = await adminSession(app.strapi, ['plugin::invoice-payments.settings.read']);
    expect((await app.http().get('/invoice-payments/settings').set(reader.auth)).status).toBe(200);
    expect((await put({ partialPayments: true }, reader.auth)).status).toBe(403);
  });
});

describe('validation', () => {
  it.each([
    [
      { publishableKey: 'pk_test_abc123def456', secretKey: 'sk_live' + '_abcdefgh12345678' },
      'secretKey',
      /different modes.*test key.*live key/,
    ],
    [
      { publishableKey: 'pk_live_abcdefgh12345678', secretKey: 'sk_test_abcdefgh12345678' },
      'secretKey',
      /different modes/,
    ],
    [{ secretKey: 'pk_test_abcdefgh12345678' }, 'secretKey', /This is a publishable key/],
    [{ secretKey: 'hello' }, 'secretKey', /must start with sk_test_/],
    [{ publishableKey: 'sk_test_abcdefgh12345678' }, 'publishableKey', /This is a secret key/],
    [{ webhookSecret: 'secret' }, 'webhookSecret', /starts with whsec_/],
    [{ defaultCurrency: 'XYZ' }, 'defaultCurrency', /not a supported currency/],
    [{ feePercentBps: 5000 }, 'feePercentBps', /cannot exceed 20%/],
    [{ somethingElse: true }, '', /Unrecognized key.*somethingElse/],
  ])('refuses %j with a 400 naming the field and saves nothing', async (body, field, message) => {
    const before = await rawStore();
    const res = await put(body);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(message);
    if (field) expect(res.body.error.details.errors.map((e: { path: string[] }) => e.path[0])).toContain(field);
    expect(await rawStore()).toBe(before);
  });
});

describe('saving keys', () => {
  let saved: request.Response;
  beforeAll(async () => {
    saved = await put({ publishableKey: PK, secretKey: SK, webhookSecret: WHSEC, defaultCurrency: 'eur' });
  });

  it('saves, masks the secrets and reads test mode from the prefixes', async () => {
    expect(saved.status).toBe(200);
    const data = saved.body.data;
    expect(data.publishableKey).toBe(PK);
    expect(data.secretKey).toEqual({ set: true, masked: 'sk_test_••••4242', kind: 'secret' });
    expect(data.webhookSecret).toEqual({ set: true, masked: 'whsec_••••cdef' });
    expect(data.mode).toBe('test');
    expect(data.defaultCurrency).toBe('EUR');
    expect(data.webhookUrl).toBe('http://localhost:1337/api/invoice-payments/webhooks/stripe');
  });

  it('keeps the save when Stripe cannot be reached, and says why', async () => {
    expect(saved.body.data.connection.status).toBe('error');
    expect(saved.body.data.connection.message).toMatch(/could not be reached/);
    const again = await app.http().get('/invoice-payments/settings').set(admin.auth);
    expect(again.body.data.secretKey.set).toBe(true);
  });

  it('stores the secrets encrypted: the raw row holds neither secret', async () => {
    const raw = await rawStore();
    expect(raw).toContain('secretKeySealed');
    expect(raw).not.toContain(SK);
    expect(raw).not.toContain(SK.slice(8));
    expect(raw).not.toContain(WHSEC);
    expect(raw).not.toContain(WHSEC.slice(6));
    expect(raw).toMatch(/"secretKeySealed":"v1:[0-9a-f]{8}:/);
  });

  it('never returns a secret from any settings route', async () => {
    for (const res of [
      await app.http().get('/invoice-payments/settings').set(admin.auth),
      await app.http().post('/invoice-payments/settings/test-connection').set(admin.auth),
      await put({ partialPayments: true }),
    ]) {
      expect(res.status).toBe(200);
      expect(JSON.stringify(res.body)).not.toContain(SK);
      expect(JSON.stringify(res.body)).not.toContain(WHSEC);
    }
  });

  it('decrypts the secret for the Stripe client only', async () => {
    const settings = app.strapi.plugin('invoice-payments').service('settings');
    expect(await settings.secretKey()).toBe(SK);
    expect(await settings.webhookSecret()).toBe(WHSEC);
  });

  it('writes an audit entry per key holding a fingerprint, never the key', async () => {
    const entries = await app.strapi.db
      .query('plugin::invoice-payments.audit-entry')
      .findMany({ where: { action: { $startsWith: 'settings.' } } });
    const actions = entries.map((e: { action: string }) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['settings.secret_key.saved', 'settings.webhook_secret.saved']));
    const keyEntry = entries.find((e: { action: string }) => e.action === 'settings.secret_key.saved');
    expect(keyEntry.actorType).toBe('admin');
    expect(keyEntry.actorLabel).toBe(admin.email);
    expect(keyEntry.details.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    const all = JSON.stringify(entries);
    expect(all).not.toContain(SK);
    expect(all).not.toContain(WHSEC);
  });

  it('rotating the key writes a "rotated" entry linking both fingerprints', async () => {
    const res = await put({ secretKey: 'sk_test_51ZyXwVuTsRqPoNmLkJiHg9999' });
    expect(res.body.data.secretKey.masked).toBe('sk_test_••••9999');
    const rotated = await app.strapi.db
      .query('plugin::invoice-payments.audit-entry')
      .findOne({ where: { action: 'settings.secret_key.rotated' } });
    expect(rotated.details.previousFingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(rotated.details.fingerprint).not.toBe(rotated.details.previousFingerprint);
  });

  it('refuses a live secret key next to the saved test publishable key', async () => {
    const res = await put({ secretKey: 'sk_live' + '_abcdefgh12345678' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(
      /publishable key is a test key \(pk_test_\) but the secret key is a live key/,
    );
  });

  it('never writes a secret to the log', () => {
    const log = app.logs.join('\n');
    expect(log).not.toContain(SK);
    expect(log).not.toContain(WHSEC);
  });
});

describe('disconnect', () => {
  it('removes the keys, keeps invoices and leaves an audit entry', async () => {
    const invoice = await app.strapi.documents('plugin::invoice-payments.invoice').create({
      data: {
        number: 'DISC-1',
        currency: 'USD',
        lineItems: [{ description: 'x', quantity: 1, unitAmount: 1000 }],
      } as never,
    });
    const res = await app.http().post('/invoice-payments/settings/disconnect').set(admin.auth);
    expect(res.status).toBe(200);
    expect(res.body.data.secretKey.set).toBe(false);
    expect(res.body.data.webhookSecret.set).toBe(false);
    expect(res.body.data.publishableKey).toBeNull();
    expect(res.body.data.connection.status).toBe('not_configured');
    expect(await app.strapi.plugin('invoice-payments').service('settings').secretKey()).toBeNull();
    expect(
      await app.strapi.documents('plugin::invoice-payments.invoice').findOne({ documentId: invoice.documentId }),
    ).not.toBeNull();
    const entry = await app.strapi.db
      .query('plugin::invoice-payments.audit-entry')
      .findOne({ where: { action: 'settings.disconnected' } });
    expect(entry).not.toBeNull();
  });
});

import type request from 'supertest';

describe('background batches read the settings once (settings.withSnapshot)', () => {
  const settings = () => app.strapi.plugin('invoice-payments').service('settings');
  const store = () => app.strapi.store({ type: 'plugin', name: 'invoice-payments' });
  /** What a save on another instance does: the stored settings change under this process. */
  const saveElsewhere = async (patch: Record<string, unknown>) => {
    const current = (await store().get({ key: 'settings' })) as Record<string, unknown>;
    await store().set({ key: 'settings', value: { ...current, ...patch } });
  };
  const currency = async () => ((await settings().stored()) as { defaultCurrency: string }).defaultCurrency;

  it("keeps the batch's read, except after a save here; the next batch sees another instance's save; the signing secret is read every time", async () => {
    expect((await put({ defaultCurrency: 'EUR', webhookSecret: WHSEC })).status).toBe(200);
    await settings().withSnapshot(async () => {
      expect(await currency()).toBe('EUR');
      await saveElsewhere({ defaultCurrency: 'GBP' });
      expect(await currency()).toBe('EUR');
      // Each caller gets its own copy: changing one changes nothing for the others.
      const copy = (await settings().stored()) as { defaultCurrency: string };
      copy.defaultCurrency = 'JPY';
      expect(await currency()).toBe('EUR');
      // A signing secret rotated on another instance counts at once, inside a batch too.
      const rotated = 'whsec' + '_RotatedElsewhere0123456789abcdef';
      await saveElsewhere({ webhookSecretSealed: seal(rotated, keyRingFromEnv().current!) });
      expect(await settings().webhookSecret()).toBe(rotated);
      // A save in this process (an admin's request): read again at once.
      expect((await put({ defaultCurrency: 'CHF' })).status).toBe(200);
      expect(await currency()).toBe('CHF');
    });
    await saveElsewhere({ defaultCurrency: 'SEK' });
    // Outside a batch, and in the next one, what is stored now.
    expect(await currency()).toBe('SEK');
    await settings().withSnapshot(async () => expect(await currency()).toBe('SEK'));
  });
});
