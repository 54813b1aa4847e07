import Stripe from 'stripe';
import { startStripeStandin, type StripeStandin, type StandinOptions } from './stripe-standin';
import { bootStrapi, type TestStrapi } from './strapi';
import { startSmtp } from './smtp';
import { adminSession, type AdminSession } from './admin';
import { createInvoice, type InvoiceInput } from './invoices';

export const KEYS = {
  publishableKey: 'pk_test_51TestPublishable000000000000',
  secretKey: 'sk_test_51TestSecretKey0000000000000000',
  webhookSecret: 'whsec' + '_testSigningSecret000000000000000',
};

export interface PaymentsEnv {
  app: TestStrapi;
  standin: StripeStandin;
  smtp: Awaited<ReturnType<typeof startSmtp>>;
  admin: AdminSession;
  /** The real SDK, pointed at the stand-in (to act as the client's browser or Stripe's dashboard). */
  stripe: Stripe;
  webhookUrl: string;
  close(): Promise<void>;
}

/**
 * A real Strapi listening on a port, the Stripe stand-in delivering signed webhooks to it, a local
 * SMTP server capturing mail, and the plugin configured with test keys. One per test file.
 */
export async function bootPayments(
  opts: {
    env?: Record<string, string | null>;
    /** More env for Strapi that needs the stand-in's URL (its port is known only once it listens). */
    envFromStandin?: (standinUrl: string) => Record<string, string | null>;
    standin?: StandinOptions;
    settings?: Record<string, unknown>;
  } = {},
): Promise<PaymentsEnv> {
  const standin = await startStripeStandin({ autoSettleDelayMs: 0, ...opts.standin });
  const smtp = await startSmtp();
  const app = await bootStrapi({
    listen: true,
    env: {
      STRIPE_API_BASE: standin.url,
      STRIPE_MAX_NETWORK_RETRIES: '2',
      SMTP_PORT: String(smtp.port),
      WORKER_INTERVAL_MS: '200',
      WORKER_BACKOFF_MS: '100',
      WORKER_MAX_BACKOFF_MS: '400',
      RECONCILE_ENABLED: 'false',
      ...opts.env,
      ...opts.envFromStandin?.(standin.url),
    },
  });
  const webhookUrl = `${app.url}/api/invoice-payments/webhooks/stripe`;
  standin.control.setWebhook({ url: webhookUrl, secret: KEYS.webhookSecret, enabled: true });
  await app.strapi
    .plugin('invoice-payments')
    .service('settings')
    .update(
      { ...KEYS, notificationEmail: 'billing-admin@example.test', sendFailureNotices: true, ...opts.settings },
      { type: 'system' },
    );
  const admin = await adminSession(app.strapi);
  const stripe = new Stripe(KEYS.secretKey, {
    host: '127.0.0.1',
    port: standin.port,
    protocol: 'http',
    telemetry: false,
    maxNetworkRetries: 0,
  });
  return {
    app,
    standin,
    smtp,
    admin,
    stripe,
    webhookUrl,
    async close() {
      await app.close();
      await standin.close();
      await smtp.close();
    },
  };
}

export const INVOICE = 'plugin::invoice-payments.invoice';
export const PAYMENT = 'plugin::invoice-payments.payment';

export async function payableInvoice(env: PaymentsEnv, input: InvoiceInput = {}) {
  const created = await createInvoice(env.app.strapi, { state: 'sent', ...input });
  const row = await env.app.strapi.db.query(INVOICE).findOne({ where: { documentId: created.documentId } });
  return { documentId: created.documentId as string, token: row.payToken as string, row };
}

export async function readInvoice(env: PaymentsEnv, documentId: string) {
  return env.app.strapi.db.query(INVOICE).findOne({ where: { documentId } });
}

/** JSON of `value`, cut to `max` characters, for timeout messages. */
export function truncatedJson(value: unknown, max = 600): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
}

/**
 * Polls until `check` passes (webhooks settle asynchronously) and returns the value that passed.
 * Throws when the time runs out, naming what was awaited and the last value read, so a test can
 * never pass on a value that did not satisfy its check.
 */
export async function eventually<T>(
  read: () => Promise<T>,
  check: (value: T) => boolean,
  timeoutMs = 5000,
  what = check.toString(),
): Promise<T> {
  const started = Date.now();
  let value = await read();
  while (!check(value)) {
    if (Date.now() - started > timeoutMs) {
      throw new Error(
        `eventually(): timed out after ${timeoutMs} ms waiting for ${what.replace(/\s+/g, ' ').slice(0, 300)}; last value: ${truncatedJson(value)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 25));
    value = await read();
  }
  return value;
}

/**
 * A PaymentIntent for this invoice made outside the plugin's attempt rules (an old tab of an earlier
 * version, the Stripe Dashboard), carrying the plugin's metadata so settlement books it.
 */
export function intentMadeElsewhere(env: PaymentsEnv, documentId: string, amount = 3000) {
  return env.stripe.paymentIntents.create({
    amount,
    currency: 'usd',
    metadata: {
      invoice_payments_invoice: documentId,
      invoice_payments_number: 'X',
      invoice_payments_portion: String(amount),
      invoice_payments_fee: '0',
    },
  });
}

/** Confirms an intent as the browser's Stripe.js would, with a test payment method. */
export async function payWith(env: PaymentsEnv, providerPaymentId: string, paymentMethod: string) {
  try {
    return await env.stripe.paymentIntents.confirm(providerPaymentId, {
      payment_method: paymentMethod,
      return_url: 'http://localhost/return',
    });
  } catch (error) {
    if (error instanceof Stripe.errors.StripeCardError) return error;
    throw error;
  }
}
