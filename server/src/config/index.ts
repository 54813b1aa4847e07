import { parseApiBase } from '../providers/stripe/client';
import { parseStripeJsUrl } from '../pages/stripe-js';

/**
 * Plugin configuration (config/plugins.js → 'invoice-payments'.config). Everything a site admin
 * changes at run time lives in the settings store instead; this is for deployment-level choices.
 */
export interface PluginConfig {
  stripe: {
    /** Another server speaking Stripe's API, e.g. http://127.0.0.1:12111. Env: STRIPE_API_BASE. */
    apiBase: string | null;
    /** Load Stripe.js on the pay pages from here, e.g. the stand-in's fake. Tests/demos only. Env: STRIPE_JS_URL. */
    jsUrl: string | null;
    /**
     * apiBase / jsUrl are refused in production (NODE_ENV=production) unless this is true (env
     * INVOICE_PAYMENTS_ALLOW_STRIPE_STANDIN=true): benchmarks and fault tests against the stand-in.
     * Live keys are refused with them either way (utils/stripe-overrides.ts).
     */
    allowStandinInProduction?: boolean;
    maxNetworkRetries: number;
    timeoutMs: number;
  };
  /** Public base URL of this Strapi (for webhook and pay links); defaults to server.url. */
  publicUrl: string | null;
  webhook: { toleranceSeconds: number };
  /**
   * Retry worker for webhook events whose processing failed or was interrupted. `concurrency`:
   * how many just-received events one process settles at once (the rest wait their turn).
   */
  worker: { enabled: boolean; intervalMs: number; maxAttempts: number; backoffMs: number; maxBackoffMs: number; lockMs: number; concurrency?: number };
  /** Re-checks payments still pending after settings.reconcileAfterMinutes, every intervalMs. */
  reconciliation: { enabled: boolean; intervalMs: number };
  /**
   * Payment emails (outbox): one the settling process did not get out (crash, SMTP down) is sent
   * by the worker once `retryAfterMs` has passed, doubling after each failure; after
   * `maxAttempts` it is given up and recorded in the audit log.
   */
  notifications: { retryAfterMs: number; maxAttempts: number };
  /** CSV exports read this many rows per database query (memory stays flat whatever the table size). */
  export: { pageSize: number };
}

export const defaultConfig: PluginConfig = {
  stripe: { apiBase: null, jsUrl: null, allowStandinInProduction: false, maxNetworkRetries: 2, timeoutMs: 20_000 },
  publicUrl: null,
  webhook: { toleranceSeconds: 300 },
  worker: { enabled: true, intervalMs: 5_000, maxAttempts: 8, backoffMs: 10_000, maxBackoffMs: 3_600_000, lockMs: 60_000, concurrency: 16 },
  reconciliation: { enabled: true, intervalMs: 300_000 },
  notifications: { retryAfterMs: 300_000, maxAttempts: 10 },
  export: { pageSize: 500 },
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export default {
  default: defaultConfig,
  validator(config: unknown): void {
    if (!isRecord(config)) throw new Error('invoice-payments: config must be an object.');
    const stripe = config.stripe;
    if (stripe !== undefined) {
      if (!isRecord(stripe)) throw new Error('invoice-payments: config.stripe must be an object.');
      if (stripe.apiBase != null) {
        if (typeof stripe.apiBase !== 'string') throw new Error('invoice-payments: config.stripe.apiBase must be a string.');
        parseApiBase(stripe.apiBase);
      }
      if (stripe.jsUrl != null) {
        if (typeof stripe.jsUrl !== 'string') throw new Error('invoice-payments: config.stripe.jsUrl must be a string.');
        parseStripeJsUrl(stripe.jsUrl);
      }
      if (stripe.allowStandinInProduction != null && typeof stripe.allowStandinInProduction !== 'boolean') {
        throw new Error('invoice-payments: config.stripe.allowStandinInProduction must be true or false.');
      }
      for (const k of ['maxNetworkRetries', 'timeoutMs'] as const) {
        const v = stripe[k];
        if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 0)) {
          throw new Error(`invoice-payments: config.stripe.${k} must be a non-negative integer.`);
        }
      }
    }
    for (const [section, keys] of [['worker', ['intervalMs', 'maxAttempts', 'backoffMs', 'maxBackoffMs', 'lockMs', 'concurrency']], ['reconciliation', ['intervalMs']], ['notifications', ['retryAfterMs', 'maxAttempts']], ['export', ['pageSize']]] as const) {
      const value = config[section];
      if (value === undefined) continue;
      if (!isRecord(value)) throw new Error(`invoice-payments: config.${section} must be an object.`);
      for (const k of keys) {
        const v = (value as Record<string, unknown>)[k];
        if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 1)) throw new Error(`invoice-payments: config.${section}.${k} must be a positive integer.`);
      }
    }
    if (config.publicUrl != null && typeof config.publicUrl !== 'string') {
      throw new Error('invoice-payments: config.publicUrl must be a string.');
    }
  },
};
