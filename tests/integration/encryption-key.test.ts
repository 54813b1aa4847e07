import { bootStrapi, type TestStrapi } from '../support/strapi';
import { adminSession } from '../support/admin';
import { createTestDatabase, type TestDatabase } from '../support/database';

/**
 * The encryption key lifecycle across real restarts on one database: no key → secrets refused;
 * rotation → old secrets re-sealed under the new key at boot, readable without the old key after.
 */
const KEY_A = Buffer.alloc(32, 1).toString('base64');
const KEY_B = Buffer.alloc(32, 2).toString('hex');
const SK = 'sk_test_RotationCheck000000001234';
const WHSEC = 'whsec' + '_RotationCheckSecret000000000';
const OFFLINE = { STRIPE_API_BASE: 'http://127.0.0.1:9', STRIPE_MAX_NETWORK_RETRIES: '0' };

let db: TestDatabase;
let app: TestStrapi | null = null;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterEach(async () => {
  await app?.close();
  app = null;
});
afterAll(async () => {
  await db.drop();
});

const rawSettings = async (a: TestStrapi) =>
  String(
    (
      await a.strapi.db
        .connection('strapi_core_store_settings')
        .where({ key: 'plugin_invoice-payments_settings' })
        .first()
    )?.value ?? '',
  );

it('refuses to save a secret when INVOICE_PAYMENTS_ENCRYPTION_KEY is not set, and says how to fix it', async () => {
  app = await bootStrapi({ db, env: { ...OFFLINE, INVOICE_PAYMENTS_ENCRYPTION_KEY: null } });
  const admin = await adminSession(app.strapi);
  const view = await app.http().get('/invoice-payments/settings').set(admin.auth);
  expect(view.body.data.encryptionKeyConfigured).toBe(false);
  const res = await app.http().put('/invoice-payments/settings').set(admin.auth).send({ secretKey: SK });
  expect(res.status).toBe(400);
  expect(res.body.error.name).toBe('EncryptionKeyMissing');
  expect(res.body.error.message).toMatch(/INVOICE_PAYMENTS_ENCRYPTION_KEY is not set.*openssl rand -base64 32/);
  expect(await rawSettings(app)).not.toContain('secretKeySealed":"v1');
  // Non-secret settings still save without the key.
  expect(
    (await app.http().put('/invoice-payments/settings').set(admin.auth).send({ partialPayments: true })).status,
  ).toBe(200);
});

it('saves under key A', async () => {
  app = await bootStrapi({ db, env: { ...OFFLINE, INVOICE_PAYMENTS_ENCRYPTION_KEY: KEY_A } });
  const admin = await adminSession(app.strapi);
  const res = await app
    .http()
    .put('/invoice-payments/settings')
    .set(admin.auth)
    .send({ secretKey: SK, webhookSecret: WHSEC });
  expect(res.status).toBe(200);
  expect(await app.strapi.plugin('invoice-payments').service('settings').secretKey()).toBe(SK);
});

it('cannot read secrets under an unknown key, and says which env var would fix it', async () => {
  app = await bootStrapi({ db, env: { ...OFFLINE, INVOICE_PAYMENTS_ENCRYPTION_KEY: KEY_B } });
  await expect(app.strapi.plugin('invoice-payments').service('settings').secretKey()).rejects.toThrow(
    /INVOICE_PAYMENTS_ENCRYPTION_KEY_PREVIOUS/,
  );
  expect(app.logs.join('\n')).toMatch(/could not be decrypted/);
  expect(app.logs.join('\n')).not.toContain(SK);
});

it('rotates: booting with key B and A as previous re-seals both secrets under B', async () => {
  app = await bootStrapi({
    db,
    env: { ...OFFLINE, INVOICE_PAYMENTS_ENCRYPTION_KEY: KEY_B, INVOICE_PAYMENTS_ENCRYPTION_KEY_PREVIOUS: KEY_A },
  });
  const settings = app.strapi.plugin('invoice-payments').service('settings');
  expect(await settings.secretKey()).toBe(SK);
  const raw = await rawSettings(app);
  const ids = [...raw.matchAll(/"v1:([0-9a-f]{8}):/g)].map((m) => m[1]);
  expect(ids).toHaveLength(2);
  expect(new Set(ids).size).toBe(1);
  const audit = await app.strapi.db
    .query('plugin::invoice-payments.audit-entry')
    .findOne({ where: { action: 'settings.secrets.reencrypted' } });
  expect(audit.details.count).toBe(2);
});

it('after rotation, key B alone reads both secrets', async () => {
  app = await bootStrapi({
    db,
    env: { ...OFFLINE, INVOICE_PAYMENTS_ENCRYPTION_KEY: KEY_B, INVOICE_PAYMENTS_ENCRYPTION_KEY_PREVIOUS: null },
  });
  const settings = app.strapi.plugin('invoice-payments').service('settings');
  expect(await settings.secretKey()).toBe(SK);
  expect(await settings.webhookSecret()).toBe(WHSEC);
});

it('refuses to boot-read a malformed key with a clear message', async () => {
  app = await bootStrapi({ db, env: { ...OFFLINE, INVOICE_PAYMENTS_ENCRYPTION_KEY: 'too-short' } });
  const admin = await adminSession(app.strapi);
  const res = await app.http().put('/invoice-payments/settings').set(admin.auth).send({ secretKey: SK });
  expect(res.status).toBe(400);
  expect(res.body.error.message).toMatch(/not a valid key.*32 random bytes/);
});
