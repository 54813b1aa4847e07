import { z } from 'zod';
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
  worker: {
    enabled: boolean;
    intervalMs: number;
    maxAttempts: number;
    backoffMs: number;
    maxBackoffMs: number;
    lockMs: number;
    concurrency?: number;
  };
  /** Re-checks payments still pending after settings.reconcileAfterMinutes, every intervalMs. */
  reconciliation: { enabled: boolean; intervalMs: number };
  /**
   * Payment emails (outbox): one the settling process did not get out (crash, SMTP down) is sent
   * by the worker once `retryAfterMs` has passed, doubling after each failure; after
   * `maxAttempts` it is given up and recorded in the audit log.
   */
  notifications: { retryAfterMs: number; maxAttempts: number };
  /**
   * The payment-reminder job (services/reminders): how often it looks for reminders that are due.
   * Which reminders, and whether any, is up to the site admin (Settings → Reminders).
   */
  reminders: { enabled: boolean; intervalMs: number };
  /** CSV exports read this many rows per database query (memory stays flat whatever the table size). */
  export: { pageSize: number };
}

export const defaultConfig: PluginConfig = {
  stripe: { apiBase: null, jsUrl: null, allowStandinInProduction: false, maxNetworkRetries: 2, timeoutMs: 20_000 },
  publicUrl: null,
  webhook: { toleranceSeconds: 300 },
  worker: {
    enabled: true,
    intervalMs: 5_000,
    maxAttempts: 8,
    backoffMs: 10_000,
    maxBackoffMs: 3_600_000,
    lockMs: 60_000,
    concurrency: 16,
  },
  reconciliation: { enabled: true, intervalMs: 300_000 },
  notifications: { retryAfterMs: 300_000, maxAttempts: 10 },
  reminders: { enabled: true, intervalMs: 60_000 },
  export: { pageSize: 500 },
};

/** A zod refinement from a parser that throws an Error saying what is wrong (and what to write instead). */
const parsedBy = (parse: (value: string) => unknown) => (value: string, ctx: z.RefinementCtx) => {
  try {
    parse(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
  }
};

const positive = z
  .number({ error: 'must be a whole number above zero (milliseconds or a count)' })
  .int({ error: 'must be a whole number above zero' })
  .min(1, { error: 'must be a whole number above zero' });
const nonNegative = z
  .number({ error: 'must be a whole number, 0 or more' })
  .int({ error: 'must be a whole number, 0 or more' })
  .min(0, { error: 'must be a whole number, 0 or more' });
const section = <T extends z.ZodRawShape>(shape: T, name: string) =>
  z
    .object(shape, { error: `must be an object, e.g. ${name}: { ... }` })
    .partial()
    .optional();

/**
 * What config/plugins.js may set for the plugin. Every key is optional (defaults above); a key
 * that is set must have the right type. Unknown keys are ignored, as Strapi does.
 */
export const configSchema = z.object(
  {
    stripe: section(
      {
        apiBase: z
          .string({ error: 'must be a URL string, e.g. "http://127.0.0.1:12111"' })
          .superRefine(parsedBy(parseApiBase))
          .nullable(),
        jsUrl: z.string({ error: 'must be a URL string' }).superRefine(parsedBy(parseStripeJsUrl)).nullable(),
        allowStandinInProduction: z.boolean({ error: 'must be true or false' }).nullable(),
        maxNetworkRetries: nonNegative,
        timeoutMs: nonNegative,
      },
      'stripe',
    ),
    publicUrl: z.string({ error: 'must be a URL string, e.g. "https://cms.example.com"' }).nullable().optional(),
    webhook: section({ toleranceSeconds: positive }, 'webhook'),
    worker: section(
      {
        enabled: z.boolean({ error: 'must be true or false' }),
        intervalMs: positive,
        maxAttempts: positive,
        backoffMs: positive,
        maxBackoffMs: positive,
        lockMs: positive,
        concurrency: positive,
      },
      'worker',
    ),
    reconciliation: section(
      { enabled: z.boolean({ error: 'must be true or false' }), intervalMs: positive },
      'reconciliation',
    ),
    notifications: section({ retryAfterMs: positive, maxAttempts: positive }, 'notifications'),
    reminders: section({ enabled: z.boolean({ error: 'must be true or false' }), intervalMs: positive }, 'reminders'),
    export: section({ pageSize: positive }, 'export'),
  },
  { error: 'must be an object (config/plugins.js → "invoice-payments": { config: { ... } })' },
);

/** One line per problem, each naming the key in config/plugins.js and what it takes. */
export function configProblems(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const at = issue.path.length ? `config.${issue.path.map(String).join('.')}` : 'config';
      return `invoice-payments: ${at} ${issue.message.replace(/^(stripe\.\w+) /, '')}.`.replace(/\.\.$/, '.');
    })
    .join('\n');
}

export default {
  default: defaultConfig,
  /** Strapi calls this at startup with the merged config; a problem stops the start, saying what to fix. */
  validator(config: unknown): void {
    const result = configSchema.safeParse(config);
    if (!result.success) throw new Error(configProblems(result.error));
  },
};
