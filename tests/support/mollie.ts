/**
 * A booted Strapi taking pay links on Mollie (the Mollie stand-in beside the Stripe one), and what
 * the Mollie integration tests do with it: open a hosted checkout for an invoice, act as the
 * customer on Mollie's test-mode page, post Mollie's webhook, call Mollie's API as the dashboard
 * would. One per test file: `const kit = mollieKit(() => env)` after `env = await bootMollie(KEY)`.
 */
import { bootPayments, payableInvoice, PAYMENT, type PaymentsEnv } from './payments';
import { startMollieStandin, type MollieStandin } from './mollie-standin';
import { waitForIdle } from './idle';

export const WEBHOOK_EVENT = 'plugin::invoice-payments.webhook-event';
export const MOLLIE_WEBHOOK_PATH = '/api/invoice-payments/webhooks/mollie';

export type MollieStatus = 'paid' | 'failed' | 'canceled' | 'expired';

export interface MollieEnv extends PaymentsEnv {
  mollie: MollieStandin;
  mollieKey: string;
}

/** Stripe configured as usual, Mollie's API key saved and chosen for pay links, EUR by default. */
export async function bootMollie(mollieKey: string): Promise<MollieEnv> {
  const mollie = await startMollieStandin();
  let env: PaymentsEnv;
  try {
    env = await bootPayments({
      env: { MOLLIE_API_ENDPOINT: mollie.apiEndpoint },
      settings: { mollieApiKey: mollieKey, payLinkProvider: 'mollie', defaultCurrency: 'EUR' },
    });
  } catch (error) {
    await mollie.close();
    throw error;
  }
  // Mollie is given the webhook URL with each payment: this app's public address (its port is random).
  env.app.strapi.config.set('plugin::invoice-payments.publicUrl', env.app.url);
  const closeApp = env.close;
  return {
    ...env,
    mollie,
    mollieKey,
    async close() {
      await closeApp();
      await mollie.close();
    },
  };
}

/** The helpers, bound to the file's env (read when called: it is made in beforeAll). */
export function mollieKit(current: () => MollieEnv) {
  const paymentsOf = (documentId: string) =>
    current()
      .app.strapi.db.query(PAYMENT)
      .findMany({ where: { invoice: { documentId } }, orderBy: { id: 'asc' } });

  const adminPost = (path: string, body: Record<string, unknown> = {}) =>
    current().app.http().post(`/invoice-payments${path}`).set(current().admin.auth).send(body);

  const eventCount = () => current().app.strapi.db.query(WEBHOOK_EVENT).count();

  /** Mollie's webhook as Mollie posts it: a form with the payment id. */
  const postWebhook = (body: string) => current().app.http().post(MOLLIE_WEBHOOK_PATH).type('form').send(body);

  /** Until Mollie's webhooks are delivered and everything they started is done (twice: one may start the other). */
  async function settle(): Promise<void> {
    const { mollie, app } = current();
    await mollie.control.idle();
    await waitForIdle(app.strapi);
    await mollie.control.idle();
    await waitForIdle(app.strapi);
  }

  /** A sent invoice and the client's request for its hosted checkout; `id` is the Mollie payment's (tr_…). */
  async function checkout(amount = 10000, currency = 'EUR') {
    const env = current();
    const inv = await payableInvoice(env, {
      currency,
      lineItems: [{ description: 'Work', quantity: 1, unitAmount: amount }],
      billingEmail: `m${Date.now()}${Math.random()}@example.test`,
    });
    const res = await env.app
      .http()
      .post(`/api/invoice-payments/invoices/${inv.documentId}/checkout-session`)
      .send({ token: inv.token });
    return { ...inv, res, id: res.body?.data?.checkoutSessionId as string };
  }

  /**
   * What the client does on Mollie's page: choose a method and (test mode) the outcome. Returns
   * where Mollie sends the client back to, once its webhooks were handled.
   */
  async function customerPicks(id: string, status: MollieStatus = 'paid', method = 'ideal'): Promise<string | null> {
    const res = await fetch(`${current().mollie.url}/checkout/${id}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ status, method }).toString(),
    });
    expect(res.status).toBe(303);
    await settle();
    return res.headers.get('location');
  }

  /** Acts as someone holding the Mollie API key elsewhere (another integration, the dashboard). */
  async function mollieApi(method: string, path: string, body?: unknown) {
    const { mollie, mollieKey } = current();
    const res = await fetch(`${mollie.apiEndpoint.replace(/\/*$/, '/')}${path.replace(/^\//, '')}`, {
      method,
      headers: { Authorization: `Bearer ${mollieKey}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  return { paymentsOf, adminPost, eventCount, postWebhook, settle, checkout, customerPicks, mollieApi };
}
