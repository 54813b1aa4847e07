import { AsyncLocalStorage } from 'node:async_hooks';
import type { Core } from '@strapi/strapi';
import { PLUGIN_ID } from '../utils/plugin-id';
import { badRequest, type FieldProblem, reasonOf } from '../utils/errors';
import { fromZod } from '../utils/respond';
import {
  ENCRYPTION_KEY_ENV,
  EncryptionKeyError,
  fingerprint,
  keyRingFromEnv,
  keyId,
  open,
  PREVIOUS_KEYS_ENV,
  requireCurrentKey,
  seal,
  sealedKeyId,
  type KeyRing,
} from '../utils/secret-box';
import {
  checkModesMatch,
  checkPublishableKey,
  checkSecretKey,
  checkWebhookSecret,
  maskKey,
  maskedKeyInfo,
  publishableKeyMode,
  secretKeyInfo,
  type KeyMode,
} from '../utils/stripe-keys';
import { isSupportedCurrency, normalizeCurrency, reminderSettings, autopaySettings } from '../domain';
import { stripeProviderFor } from '../providers/stripe';
import { livePublishableKeyProblem, liveSecretMessage, stripeOverrides } from '../utils/stripe-overrides';
import type { PluginConfig } from '../config';
import {
  defaultSettings,
  NO_KEYS,
  settingsInputSchema,
  type ConnectionState,
  type StoredSettings,
} from './settings-schema';
import { maskMollieKey } from '../providers/mollie';
import {
  MOLLIE_CONNECTION_KEY,
  mollieKeyMode,
  mollieProblems,
  mollieView,
  notConfigured,
  type MollieSettingsView,
  type PayLinkProvider,
} from './settings-mollie';
import { mollieProviderFor, mollieWebhookUrl } from '../providers/mollie';
import { publicBaseUrl } from '../utils/public-url';
import { mergeBranding, type StoredBranding } from './settings-branding';
import { getService } from '../utils/get-service';
import { pinnedApiVersions } from '../providers/registry';
import { resolveLocale } from '../i18n/messages';

export interface Actor {
  type: 'admin' | 'client' | 'stripe' | 'system';
  id?: string | number | null;
  label?: string | null;
  ip?: string | null;
}

/** What the admin API returns: never a secret, only its mask. */
export interface SettingsView {
  publishableKey: string | null;
  secretKey: { set: boolean; masked: string | null; kind: 'secret' | 'restricted' | null };
  webhookSecret: { set: boolean; masked: string | null };
  mode: KeyMode | null;
  webhookUrl: string;
  encryptionKeyConfigured: boolean;
  connection: ConnectionState;
  defaultCurrency: string;
  partialPayments: boolean;
  partialMinimumAmount: number;
  partialMinimumPercent: number;
  checkoutMode: StoredSettings['checkoutMode'];
  feePercentBps: number;
  feeFixedAmount: number;
  refundPolicy: StoredSettings['refundPolicy'];
  refundFeePolicy: StoredSettings['refundFeePolicy'];
  notificationEmail: string | null;
  sendFailureNotices: boolean;
  sendDisputeAlerts: boolean;
  reconcileAfterMinutes: number;
  refundOverpayments: boolean;
  abandonedAuthenticationMinutes: number;
  paymentTermDays: number;
  defaultLanguage: StoredSettings['defaultLanguage'];
  reminders: StoredSettings['reminders'];
  autopay: StoredSettings['autopay'];
  /** Mollie: its key (masked), mode, webhook URL and last connection check. */
  mollie: MollieSettingsView;
  /** Which provider the pay link of a new invoice uses. */
  payLinkProvider: PayLinkProvider;
  /** Seller branding (settings-branding.ts); the logo as its media-library file id. */
  branding: StoredBranding;
  /** The API version each versioned gateway's SDK is pinned to (the drift guard, services/api-versions.ts). */
  apiVersions: ReturnType<typeof pinnedApiVersions>;
}

const STORE_KEY = 'settings';
/**
 * The last connection check, under a key of its own: "Test connection" calls Stripe and then
 * writes only this, so it never writes back a copy of the settings read before the call (which
 * reverted anything saved meanwhile). Tagged with the secret key's fingerprint it was made for.
 */
const CONNECTION_KEY = 'connection';
type StoredConnection = ConnectionState & { fingerprint: string | null };

/** The three stored fields of one secret: `${prefix}Sealed`, `${prefix}Mask`, `${prefix}Fingerprint`. */
type SecretPrefix = 'secretKey' | 'webhookSecret' | 'mollieKey';
interface SecretSpec {
  prefix: SecretPrefix;
  /** Audit action stem: `${audit}.saved` / `.rotated` / `.removed`. */
  audit: string;
  mask: (secret: string) => string;
  /** Non-secret facts about the key for the audit log (mode, kind). */
  describe?: (secret: string) => Record<string, unknown>;
}
const STRIPE_SECRET_KEY: SecretSpec = {
  prefix: 'secretKey',
  audit: 'settings.secret_key',
  mask: maskKey,
  describe: (secret) => {
    const info = secretKeyInfo(secret)!;
    return { mode: info.mode, kind: info.kind };
  },
};
const STRIPE_WEBHOOK_SECRET: SecretSpec = { prefix: 'webhookSecret', audit: 'settings.webhook_secret', mask: maskKey };
const MOLLIE_API_KEY: SecretSpec = {
  prefix: 'mollieKey',
  audit: 'settings.mollie_key',
  mask: maskMollieKey,
  describe: (apiKey) => ({ mode: mollieKeyMode(apiKey) }),
};

/**
 * Applies one secret of a settings save to `next`: undefined leaves it, null/'' removes it, a value
 * is sealed with `key` and kept only as its mask and fingerprint. Queues the audit entry and says
 * what it did, so the caller can add what removing that particular secret implies.
 */
function applySecret(
  next: StoredSettings,
  current: StoredSettings,
  value: string | null | undefined,
  spec: SecretSpec,
  key: Buffer | null,
  audits: Array<[string, Record<string, unknown>]>,
): 'saved' | 'removed' | null {
  if (value === undefined) return null;
  const sealedField = `${spec.prefix}Sealed` as const;
  const fingerprintField = `${spec.prefix}Fingerprint` as const;
  const previous = current[fingerprintField];
  if (value === null || value === '') {
    if (current[sealedField]) audits.push([`${spec.audit}.removed`, { fingerprint: previous }]);
    Object.assign(next, { [sealedField]: null, [`${spec.prefix}Mask`]: null, [fingerprintField]: null });
    return 'removed';
  }
  // update() has already required the encryption key whenever a secret is given.
  const fp = fingerprint(value);
  Object.assign(next, {
    [sealedField]: seal(value, key!),
    [`${spec.prefix}Mask`]: spec.mask(value),
    [fingerprintField]: fp,
  });
  audits.push([
    `${spec.audit}.${current[sealedField] ? 'rotated' : 'saved'}`,
    { fingerprint: fp, previousFingerprint: previous, ...spec.describe?.(value) },
  ]);
  return 'saved';
}

/**
 * A batch of background work (a batch of webhook events and the emails after it) reads the saved
 * settings once instead of once per use (services/webhook-events.ts). A snapshot serves the settings
 * it read for at most SNAPSHOT_MAX_AGE_MS, and never after a save in this process; each batch takes
 * a new one, so a save made on another instance is seen by the next batch. The webhook signing
 * secret is never read through one: each delivery reads it (controllers/webhook.ts).
 */
interface Snapshot {
  readAt: number;
  generation: number;
  value: Promise<StoredSettings> | null;
}
const snapshots = new AsyncLocalStorage<Snapshot>();
const SNAPSHOT_MAX_AGE_MS = 1000;
/** Bumped by every save in this process: a snapshot older than the save reads again. */
let generation = 0;

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const store = () => strapi.store({ type: 'plugin', name: PLUGIN_ID });
  const ring = (): KeyRing => keyRingFromEnv();

  async function read(): Promise<StoredSettings> {
    const raw = (await store().get({ key: STORE_KEY })) as Partial<StoredSettings> | null;
    return { ...defaultSettings, ...(raw ?? {}) };
  }

  /**
   * The saved settings alone (one read), for callers that do not show the connection state.
   * Inside a snapshot (withSnapshot) the snapshot's read, as a copy each caller may change.
   */
  async function stored(): Promise<StoredSettings> {
    const snap = snapshots.getStore();
    if (!snap) return read();
    if (!snap.value || snap.generation !== generation || Date.now() - snap.readAt > SNAPSHOT_MAX_AGE_MS) {
      const value = read();
      Object.assign(snap, { value, readAt: Date.now(), generation });
      // A failed read is not kept: the next caller reads again.
      value.catch(() => {
        if (snap.value === value) snap.value = null;
      });
    }
    return structuredClone(await snap.value!);
  }

  async function load(): Promise<StoredSettings> {
    const settings = await stored();
    const checked = (await store().get({ key: CONNECTION_KEY })) as StoredConnection | null;
    // A check made for another key (rotated or removed since) says nothing about this one.
    if (checked && settings.secretKeyFingerprint && checked.fingerprint === settings.secretKeyFingerprint) {
      const { fingerprint: _fp, ...connection } = checked;
      settings.connection = connection;
    }
    return settings;
  }

  /** load() outside any snapshot: what a read-modify-write of the settings starts from. */
  const loadFresh = () => snapshots.exit(load);

  /** The last Mollie check, if it was made for the Mollie key saved now. */
  async function loadMollieConnection(s: StoredSettings): Promise<ConnectionState> {
    const checked = (await store().get({ key: MOLLIE_CONNECTION_KEY })) as StoredConnection | null;
    if (!checked || !s.mollieKeyFingerprint || checked.fingerprint !== s.mollieKeyFingerprint) return notConfigured();
    const { fingerprint: _fp, ...connection } = checked;
    return connection;
  }

  async function checkMollie(s: StoredSettings): Promise<ConnectionState> {
    const key = decrypt(s.mollieKeySealed);
    const checkedAt = new Date().toISOString();
    if (!key) return { ...notConfigured(), checkedAt };
    try {
      const account = await mollieProviderFor(strapi, key).verifyCredentials();
      return { status: 'connected', accountId: account.accountId, message: null, checkedAt };
    } catch (error) {
      return {
        status: 'error',
        accountId: null,
        message: reasonOf(error, 'The connection to Mollie could not be checked.'),
        checkedAt,
      };
    }
  }

  /** Writes one connection result and nothing else (called after the Stripe call, never inside a lock). */
  async function saveConnection(connection: ConnectionState, fingerprint: string | null): Promise<void> {
    await store().set({ key: CONNECTION_KEY, value: { ...connection, fingerprint } satisfies StoredConnection });
  }

  async function save(settings: StoredSettings): Promise<void> {
    generation += 1;
    try {
      await store().set({ key: STORE_KEY, value: settings });
    } finally {
      // Snapshots read while the write was under way may hold what it replaced.
      generation += 1;
    }
  }

  function webhookUrl(): string {
    const base = publicBaseUrl(strapi);
    const prefix = strapi.config.get<string>('api.rest.prefix', '/api');
    return `${base}${prefix}/${PLUGIN_ID}/webhooks/stripe`;
  }

  function view(s: StoredSettings, mollieConnection: ConnectionState = notConfigured()): SettingsView {
    let encryptionKeyConfigured = false;
    try {
      encryptionKeyConfigured = ring().current !== null;
    } catch {
      encryptionKeyConfigured = false;
    }
    const secretMode = s.secretKeyMask ? maskedKeyInfo(s.secretKeyMask) : null;
    return {
      publishableKey: s.publishableKey,
      secretKey: {
        set: s.secretKeySealed !== null,
        masked: s.secretKeyMask,
        kind: secretMode?.kind ?? null,
      },
      webhookSecret: { set: s.webhookSecretSealed !== null, masked: s.webhookSecretMask },
      mode: (s.publishableKey ? publishableKeyMode(s.publishableKey) : null) ?? secretMode?.mode ?? null,
      webhookUrl: webhookUrl(),
      encryptionKeyConfigured,
      connection: s.connection,
      defaultCurrency: s.defaultCurrency,
      partialPayments: s.partialPayments,
      partialMinimumAmount: s.partialMinimumAmount ?? 0,
      partialMinimumPercent: s.partialMinimumPercent ?? 0,
      checkoutMode: s.checkoutMode,
      feePercentBps: s.feePercentBps,
      feeFixedAmount: s.feeFixedAmount,
      refundPolicy: s.refundPolicy,
      refundFeePolicy: s.refundFeePolicy,
      notificationEmail: s.notificationEmail,
      sendFailureNotices: s.sendFailureNotices,
      sendDisputeAlerts: s.sendDisputeAlerts,
      reconcileAfterMinutes: s.reconcileAfterMinutes,
      refundOverpayments: s.refundOverpayments,
      abandonedAuthenticationMinutes: s.abandonedAuthenticationMinutes,
      paymentTermDays: s.paymentTermDays,
      defaultLanguage: resolveLocale(s.defaultLanguage),
      reminders: reminderSettings(s.reminders),
      autopay: autopaySettings(s.autopay),
      mollie: mollieView(s, mollieWebhookUrl(strapi), mollieConnection),
      payLinkProvider: s.payLinkProvider,
      branding: s.branding,
      apiVersions: pinnedApiVersions(),
    };
  }

  /** The view with both connection checks as stored now. */
  async function fullView(s?: StoredSettings): Promise<SettingsView> {
    const settings = s ?? (await load());
    return view(settings, await loadMollieConnection(settings));
  }

  // The last secrets opened, by sealed value and the keys they were opened with: each webhook
  // delivery still reads the settings (a rotated signing secret counts at once) but does not parse
  // the keys and decrypt the same value again. Sealing uses a fresh IV, so a saved secret is a new
  // entry; the map is bounded by the secrets in use (secret key, signing secret, Mollie key).
  const opened = new Map<string, string>();
  function decrypt(sealed: string | null): string | null {
    if (!sealed) return null;
    const cacheKey = `${process.env[ENCRYPTION_KEY_ENV] ?? ''}|${process.env[PREVIOUS_KEYS_ENV] ?? ''}|${sealed}`;
    const hit = opened.get(cacheKey);
    if (hit !== undefined) return hit;
    const plain = open(sealed, ring());
    if (opened.size >= 8) opened.clear();
    opened.set(cacheKey, plain);
    return plain;
  }

  async function audit(action: string, actor: Actor, details: Record<string, unknown>) {
    await strapi.plugin(PLUGIN_ID).service('audit').log({ action, actor, outcome: 'ok', details });
  }

  async function checkConnection(s: StoredSettings): Promise<ConnectionState> {
    const secret = decrypt(s.secretKeySealed);
    const checkedAt = new Date().toISOString();
    if (!secret) return { status: 'not_configured', accountId: null, message: null, checkedAt };
    try {
      const account = await stripeProviderFor(strapi, secret).verifyCredentials();
      return { status: 'connected', accountId: account.accountId, message: null, checkedAt };
    } catch (error) {
      const message = reasonOf(error, 'The connection to Stripe could not be checked.');
      return { status: 'error', accountId: null, message, checkedAt };
    }
  }

  return {
    load,
    view,

    /**
     * Runs `work` with one read of the saved settings shared by everything it calls (`stored`,
     * `load`, `secretKey`...), the follow-ups it starts included, for at most a second and until
     * the next save in this process. For background batches only: each batch takes its own.
     */
    withSnapshot<T>(work: () => Promise<T>): Promise<T> {
      return snapshots.run({ readAt: 0, generation, value: null }, work);
    },

    /**
     * Runs work later in the snapshot current now (none: outside any), whatever context it is
     * started from: an email a batch queued is written with that batch's settings.
     */
    snapshotRunner(): <T>(work: () => Promise<T>) => Promise<T> {
      const snap = snapshots.getStore();
      return snap ? (work) => snapshots.run(snap, work) : (work) => snapshots.exit(work);
    },

    async get(): Promise<SettingsView> {
      return fullView();
    },

    /** The decrypted Mollie API key, for the Mollie client only. Never put it in a response or log. */
    async mollieApiKey(): Promise<string | null> {
      return decrypt((await stored()).mollieKeySealed);
    },

    /** The decrypted secret key, for the Stripe client only. Never put it in a response or log. */
    stored,

    async secretKey(): Promise<string | null> {
      return decrypt((await stored()).secretKeySealed);
    },

    /** Read for every call, never from a snapshot: a rotated secret stops working at once. */
    async webhookSecret(): Promise<string | null> {
      return decrypt((await read()).webhookSecretSealed);
    },

    /**
     * Validates everything first and saves nothing when anything is wrong. Secrets are sealed with
     * AES-256-GCM; the connection is checked after the save so a Stripe outage never loses it.
     */
    async update(input: unknown, actor: Actor): Promise<SettingsView> {
      const parsed = settingsInputSchema.safeParse(input);
      if (!parsed.success) throw fromZod(parsed.error);
      const data = parsed.data;
      const current = await loadFresh();
      const problems: FieldProblem[] = [];
      const blank = (v: string | null | undefined) => v === null || v === '';

      const nextPublishable =
        data.publishableKey === undefined
          ? current.publishableKey
          : blank(data.publishableKey)
            ? null
            : data.publishableKey!;
      if (data.publishableKey && !blank(data.publishableKey)) {
        const p = checkPublishableKey(data.publishableKey);
        if (p) problems.push({ path: [p.field], message: p.message });
      }
      if (data.secretKey && !blank(data.secretKey)) {
        const p = checkSecretKey(data.secretKey);
        if (p) problems.push({ path: [p.field], message: p.message });
      }
      if (data.webhookSecret && !blank(data.webhookSecret)) {
        const p = checkWebhookSecret(data.webhookSecret);
        if (p) problems.push({ path: [p.field], message: p.message });
      }
      if (data.defaultCurrency && !isSupportedCurrency(data.defaultCurrency)) {
        problems.push({
          path: ['defaultCurrency'],
          message: `${String(data.defaultCurrency).toUpperCase()} is not a supported currency.`,
        });
      }
      // The mode check compares the key pair as it will be after the save.
      const nextSecretMode =
        data.secretKey === undefined
          ? current.secretKeyMask
            ? maskedKeyInfo(current.secretKeyMask)?.mode
            : null
          : blank(data.secretKey)
            ? null
            : secretKeyInfo(data.secretKey!)?.mode;
      if (problems.length === 0 && nextPublishable && nextSecretMode) {
        const mismatch = checkModesMatch(nextPublishable, nextSecretMode);
        if (mismatch) problems.push({ path: [mismatch.field], message: mismatch.message });
      }
      // Live keys never go to a stand-in (stripe.apiBase) or meet a replacement Stripe.js (stripe.jsUrl).
      if (problems.length === 0) {
        const overrides = stripeOverrides(strapi.config.get<PluginConfig>(`plugin::${PLUGIN_ID}`).stripe);
        if (overrides.apiBase && nextSecretMode === 'live')
          problems.push({ path: ['secretKey'], message: liveSecretMessage(overrides.apiBase) });
        const jsProblem = livePublishableKeyProblem(overrides.jsUrl, nextPublishable);
        if (jsProblem) problems.push({ path: ['publishableKey'], message: jsProblem });
      }
      if (problems.length === 0) problems.push(...mollieProblems(strapi, data, current));
      if (problems.length === 0) problems.push(...(await getService(strapi, 'branding').problems(data.branding)));
      if (problems.length > 0) throw badRequest(problems.map((p) => p.message).join(' '), problems);

      const needsKey =
        (data.secretKey && !blank(data.secretKey)) ||
        (data.webhookSecret && !blank(data.webhookSecret)) ||
        (data.mollieApiKey && !blank(data.mollieApiKey));
      let key: Buffer | null = null;
      if (needsKey) {
        try {
          key = requireCurrentKey(ring());
        } catch (error) {
          if (error instanceof EncryptionKeyError) throw badRequest(error.message, [], 'EncryptionKeyMissing');
          throw error;
        }
      }

      const next: StoredSettings = { ...current, publishableKey: nextPublishable };
      const audits: Array<[string, Record<string, unknown>]> = [];
      const applied = (value: string | null | undefined, spec: SecretSpec) =>
        applySecret(next, current, value, spec, key, audits);
      if (applied(data.secretKey, STRIPE_SECRET_KEY) === 'removed') next.connection = { ...defaultSettings.connection };
      applied(data.webhookSecret, STRIPE_WEBHOOK_SECRET);
      if (applied(data.mollieApiKey, MOLLIE_API_KEY) === 'removed' && next.payLinkProvider === 'mollie')
        next.payLinkProvider = 'stripe';
      if (data.payLinkProvider !== undefined && (data.mollieApiKey === undefined || !blank(data.mollieApiKey)))
        next.payLinkProvider = data.payLinkProvider;
      if (data.publishableKey !== undefined && nextPublishable !== current.publishableKey) {
        audits.push([
          'settings.publishable_key.changed',
          { publishableKey: nextPublishable ? maskKey(nextPublishable) : null },
        ]);
      }
      if (data.defaultCurrency) next.defaultCurrency = normalizeCurrency(data.defaultCurrency);
      if (data.branding) next.branding = mergeBranding(current.branding, data.branding);
      if (data.notificationEmail !== undefined)
        next.notificationEmail = blank(data.notificationEmail) ? null : data.notificationEmail!;
      for (const k of [
        'partialPayments',
        'partialMinimumAmount',
        'partialMinimumPercent',
        'checkoutMode',
        'feePercentBps',
        'feeFixedAmount',
        'refundPolicy',
        'refundFeePolicy',
        'sendFailureNotices',
        'sendDisputeAlerts',
        'reconcileAfterMinutes',
        'refundOverpayments',
        'abandonedAuthenticationMinutes',
        'paymentTermDays',
        'defaultLanguage',
        'reminders',
        'autopay',
      ] as const) {
        if (data[k] !== undefined) (next as unknown as Record<string, unknown>)[k] = data[k];
      }
      const changedSwitches = Object.keys(data).filter(
        (k) => !['publishableKey', 'secretKey', 'webhookSecret', 'mollieApiKey'].includes(k),
      );
      if (changedSwitches.length) audits.push(['settings.updated', { fields: changedSwitches }]);

      await save(next);
      for (const [action, details] of audits) await audit(action, actor, details);

      let checked = false;
      if (data.mollieApiKey !== undefined && !blank(data.mollieApiKey)) {
        await store().set({
          key: MOLLIE_CONNECTION_KEY,
          value: { ...(await checkMollie(next)), fingerprint: next.mollieKeyFingerprint } satisfies StoredConnection,
        });
        checked = true;
      }
      if (data.secretKey !== undefined && !blank(data.secretKey)) {
        next.connection = await checkConnection(next);
        await saveConnection(next.connection, next.secretKeyFingerprint);
        checked = true;
      }
      // After a provider call: whatever was saved while it answered is shown, not this request's copy.
      return checked ? fullView() : fullView(next);
    },

    async testConnection(): Promise<SettingsView> {
      const s = await loadFresh();
      const connection = await checkConnection(s);
      await saveConnection(connection, s.secretKeyFingerprint);
      if (s.mollieKeySealed)
        await store().set({
          key: MOLLIE_CONNECTION_KEY,
          value: { ...(await checkMollie(s)), fingerprint: s.mollieKeyFingerprint } satisfies StoredConnection,
        });
      // Re-read: settings saved while the providers answered stay as they were saved.
      return fullView();
    },

    /** Removes the keys; invoices, payments and settings switches stay. */
    async disconnect(actor: Actor): Promise<SettingsView> {
      const s = await loadFresh();
      const next: StoredSettings = { ...s, ...NO_KEYS, connection: { ...defaultSettings.connection } };
      await save(next);
      await audit('settings.disconnected', actor, {
        secretKeyFingerprint: s.secretKeyFingerprint,
        webhookSecretFingerprint: s.webhookSecretFingerprint,
      });
      return fullView(next);
    },

    /**
     * Key rotation: secrets sealed with a previous key (INVOICE_PAYMENTS_ENCRYPTION_KEY_PREVIOUS)
     * are re-sealed with the current key. Runs at bootstrap; returns how many were re-sealed.
     */
    async reencrypt(): Promise<number> {
      const r = ring();
      if (!r.current) return 0;
      const currentId = keyId(r.current);
      const s = await loadFresh();
      let count = 0;
      for (const field of ['secretKeySealed', 'webhookSecretSealed', 'mollieKeySealed'] as const) {
        const sealed = s[field];
        if (sealed && sealedKeyId(sealed) !== currentId) {
          s[field] = seal(open(sealed, r), r.current);
          count += 1;
        }
      }
      if (count > 0) {
        await save(s);
        await audit('settings.secrets.reencrypted', { type: 'system' }, { count, keyId: currentId });
      }
      return count;
    },
  };
};

export { publicBaseUrl } from '../utils/public-url';
