import Stripe from 'stripe';
import { seedOpenInvoices, TABLES, type SeededInvoice } from '../../bench/lib/db';
import type { StripeEvent } from '../../bench/lib/fixtures';
import { allProcessed, deliver, KEYS, recordResponse, useCluster, waitFor } from './support/cluster';

/**
 * Stripe misbehaves: 500s, 429s and calls that never answer, before or after Stripe did the work
 * (the stand-in's faults; the plugin's Stripe client times out after 1.5 s and retries twice).
 * Stripe saves a 500 under its idempotency key and replays it for 24 h
 * (https://docs.stripe.com/api/idempotent_requests), so after an unknown outcome the plugin looks
 * at Stripe (by the attempt or refund id in the metadata, or by asking again under the same key)
 * before trying under a new key. No PaymentIntent and no refund is ever made twice; when the
 * plugin gives up, the caller gets a 502 saying what happened and that retrying is safe, never a
 * stack trace.
 */
let stripe: Stripe;
let url: string;
let n = 0;

const cluster = useCluster({ instances: 1, env: { STRIPE_TIMEOUT_MS: '1500', STRIPE_MAX_NETWORK_RETRIES: '2' } });
beforeAll(async () => {
  url = cluster().instances[0]!.url;
  stripe = new Stripe(KEYS.secretKey, {
    host: '127.0.0.1',
    port: cluster().standin.port,
    protocol: 'http',
    telemetry: false,
    maxNetworkRetries: 0,
  });
});
// A fault Stripe's replays never reached (a saved answer is replayed, not re-run) must not leak on.
afterEach(() => cluster().standin.control.clearFaults());

async function invoice(amount = 120_000): Promise<SeededInvoice> {
  n += 1;
  const [inv] = await seedOpenInvoices(cluster().db, 1, `SF${n}`, amount);
  return inv!;
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const started = Date.now();
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  recordResponse('POST', path, res.status, text);
  return {
    status: res.status,
    body: JSON.parse(text) as { data?: Record<string, unknown>; error?: { message: string; name: string } },
    text,
    ms: Date.now() - started,
  };
}

const requestIntent = (inv: SeededInvoice) =>
  post(`/api/invoice-payments/invoices/${inv.documentId}/payment-intent`, { token: inv.token });
const intentsFor = (inv: SeededInvoice) =>
  stripe.paymentIntents
    .search({ query: `metadata['invoice_payments_invoice']:'${inv.documentId}'` })
    .then((r) => r.data);
const callsTo = (method: string, path: string, since: number) =>
  cluster()
    .stripeCalls.slice(since)
    .filter((c) => c.method === method && c.path === path);
const ledgerRows = (inv: SeededInvoice) =>
  cluster().db.query<{ provider_payment_id: string; status: string; document_id: string }>(
    `SELECT p.provider_payment_id, p.status, p.document_id FROM ${TABLES.payments} p JOIN ${TABLES.paymentInvoice} l ON l.payment_id = p.id JOIN ${TABLES.invoices} i ON i.id = l.invoice_id WHERE i.document_id = ?`,
    [inv.documentId],
  );
const clean = (text: string) =>
  expect(text).not.toMatch(/\bat .+:\d+:\d+|node_modules|sk_test_|whsec_|Stripe-Should-Retry|api_error/);

/**
 * Until no call is still running at the stand-in (a hanging fault's ends when the plugin's client
 * gives up), so "nothing was made" is read after the last call and the next request meets a normal stand-in.
 */
const pastHang = () =>
  waitFor(
    async () => cluster().standin.control.stats().inFlight,
    (n) => n === 0,
    10_000,
    'no Stripe call still running at the stand-in',
  );

describe('creating the PaymentIntent', () => {
  it.each([
    [
      '500 once, before Stripe did anything (not saved): the SDK retries with the same key',
      { status: 500, times: 1, beforeExecution: true },
      2,
      1,
    ],
    [
      '500 after Stripe created the intent (saved: the SDK retries get it again): found by its attempt id',
      { status: 500, times: 1, afterProcessing: true },
      3,
      1,
    ],
    [
      '429 twice, after Stripe created the intent (not saved): the SDK retry gets the intent',
      { status: 429, times: 2, afterProcessing: true },
      2,
      1,
    ],
    [
      'no answer once (timeout), after Stripe created the intent: the SDK retry gets it',
      { timeoutMs: 4000, times: 1, afterProcessing: true },
      2,
      1,
    ],
    [
      '500 saved under the key, nothing created: looks at Stripe, then one try under a new key',
      { status: 500, times: 1 },
      4,
      2,
    ],
    [
      'no answer on every try, before Stripe did anything: looks at Stripe, then one try under a new key',
      { timeoutMs: 4000, times: 3 },
      4,
      2,
    ],
  ])('%s; one intent, the client gets it', async (_name, fault, calls, keys) => {
    const inv = await invoice();
    const mark = cluster().stripeCalls.length;
    cluster().standin.control.addFault({ method: 'POST', path: '/v1/payment_intents', ...fault });
    const res = await requestIntent(inv);
    expect(res.status).toBe(200);
    const creates = callsTo('POST', '/v1/payment_intents', mark);
    expect(creates).toHaveLength(calls);
    expect(new Set(creates.map((c) => c.idempotencyKey)).size).toBe(keys);
    expect(creates.every((c) => /^ip-pi-/.test(c.idempotencyKey ?? ''))).toBe(true);
    const intents = await intentsFor(inv);
    expect(intents.map((i) => i.id)).toEqual([res.body.data!.providerPaymentId]);
    expect((await ledgerRows(inv)).map((r) => r.provider_payment_id)).toEqual([res.body.data!.providerPaymentId]);
    await pastHang();
  });

  it.each([
    ['500 on every try, before Stripe did anything', { status: 500, times: 1000, beforeExecution: true }],
    ['429 on every try', { status: 429, times: 1000 }],
    ['no answer on every try, before Stripe did anything', { timeoutMs: 4000, times: 1000 }],
  ])('%s: a clear 502, nothing made; the client retries later and gets exactly one intent', async (_name, fault) => {
    const inv = await invoice();
    cluster().standin.control.addFault({ method: 'POST', path: '/v1/payment_intents', ...fault });
    const failed = await requestIntent(inv);
    expect(failed.status).toBe(502);
    expect(failed.body.error).toMatchObject({
      name: 'PaymentProviderError',
      message: 'The payment provider is not answering right now. Nothing was charged; please try again in a moment.',
    });
    clean(failed.text);
    cluster().standin.control.clearFaults();
    await pastHang();
    expect(await intentsFor(inv)).toHaveLength(0);
    expect(await ledgerRows(inv)).toHaveLength(0);

    const retry = await requestIntent(inv);
    expect(retry.status).toBe(200);
    const intents = await intentsFor(inv);
    expect(intents.map((i) => i.id)).toEqual([retry.body.data!.providerPaymentId]);
    expect((await ledgerRows(inv)).map((r) => r.provider_payment_id)).toEqual([retry.body.data!.providerPaymentId]);
  });
});

describe('refunds', () => {
  /** An invoice paid by card through the plugin (intent, Stripe.js confirm, confirm-payment). */
  async function paidPayment(amount = 120_000) {
    const inv = await invoice(amount);
    const intent = await requestIntent(inv);
    const piId = intent.body.data!.providerPaymentId as string;
    await stripe.paymentIntents.confirm(piId, {
      payment_method: 'pm_card_visa',
      return_url: 'http://localhost/return',
    });
    const confirmed = await post(`/api/invoice-payments/invoices/${inv.documentId}/confirm-payment`, {
      token: inv.token,
      providerPaymentId: piId,
    });
    expect(confirmed.body.data).toMatchObject({ paymentStatus: 'succeeded' });
    const [row] = await ledgerRows(inv);
    return { inv, piId, paymentDocumentId: row!.document_id };
  }
  const refund = (paymentDocumentId: string, body: Record<string, unknown>) =>
    post(`/invoice-payments/payments/${paymentDocumentId}/refunds`, body, cluster().auth);
  const stripeRefunds = (piId: string) => stripe.refunds.list({ payment_intent: piId, limit: 100 }).then((r) => r.data);
  const localRefunds = (piId: string) =>
    cluster().db.query<{ provider_refund_id: string; amount: number; requested_by: string }>(
      `SELECT r.provider_refund_id, r.amount, r.requested_by FROM ${TABLES.refunds} r JOIN invoice_payments_refunds_payment_lnk l ON l.refund_id = r.id JOIN ${TABLES.payments} p ON p.id = l.payment_id WHERE p.provider_payment_id = ?`,
      [piId],
    );

  it.each([
    ['429 once, before Stripe did anything', { status: 429, times: 1 }, 2],
    [
      'no answer once (timeout), after Stripe made the refund: the SDK retry gets it',
      { timeoutMs: 4000, times: 1, afterProcessing: true },
      2,
    ],
  ])('%s: the SDK retries with the same key; one refund', async (_name, fault, calls) => {
    const { piId, paymentDocumentId } = await paidPayment();
    const mark = cluster().stripeCalls.length;
    cluster().standin.control.addFault({ method: 'POST', path: '/v1/refunds', ...fault });
    const res = await refund(paymentDocumentId, { amount: 20_000 });
    expect(res.status).toBe(200);
    const creates = callsTo('POST', '/v1/refunds', mark);
    expect(creates).toHaveLength(calls);
    expect(new Set(creates.map((c) => c.idempotencyKey)).size).toBe(1);
    expect((await stripeRefunds(piId)).map((r) => r.amount)).toEqual([20_000]);
    expect((await localRefunds(piId)).map((r) => r.amount)).toEqual([20_000]);
    await pastHang();
  });

  it.each([
    ['500 saved under the key, after Stripe made the refund', { status: 500, times: 1, afterProcessing: true }, 1],
    ['500 saved under the key, nothing made', { status: 500, times: 1 }, 0],
    ['429 on every try, before Stripe did anything', { status: 429, times: 1000 }, 0],
  ])(
    '%s: a clear 502; the admin retries (the plugin looks at Stripe first) and there is exactly one refund',
    async (_name, fault, madeBeforeRetry) => {
      const { piId, paymentDocumentId } = await paidPayment();
      const mark = cluster().stripeCalls.length;
      cluster().standin.control.addFault({ method: 'POST', path: '/v1/refunds', ...fault });
      const failed = await refund(paymentDocumentId, { amount: 30_000 });
      expect(failed.status).toBe(502);
      expect(failed.body.error!.name).toBe('PaymentProviderError');
      clean(failed.text);
      cluster().standin.control.clearFaults();
      expect(await stripeRefunds(piId)).toHaveLength(madeBeforeRetry);

      const retry = await refund(paymentDocumentId, { amount: 30_000 });
      expect(retry.status).toBe(200);
      const creates = callsTo('POST', '/v1/refunds', mark);
      // The first key, then at most one more: never a key per click.
      expect(new Set(creates.map((c) => c.idempotencyKey)).size).toBeLessThanOrEqual(2);
      expect((await stripeRefunds(piId)).map((r) => r.amount)).toEqual([30_000]);
      expect((await localRefunds(piId)).map((r) => r.amount)).toEqual([30_000]);
    },
  );

  it.each([
    ['without a key from the client', {}],
    ["with the admin dialog's idempotency key", { idempotencyKey: 'dialog-4f1c2a9b' }],
  ])(
    'a lost answer, the webhook books the refund, then the admin retries (%s): still one refund',
    async (_name, extra) => {
      const { piId, paymentDocumentId } = await paidPayment();
      const mark = cluster().standin.control.events().length;
      cluster().standin.control.addFault({
        method: 'POST',
        path: '/v1/refunds',
        status: 500,
        times: 1,
        afterProcessing: true,
      });
      expect((await refund(paymentDocumentId, { amount: 25_000, ...extra })).status).toBe(502);
      // Stripe's charge.refunded webhook arrives before the admin tries again.
      const event = cluster()
        .standin.control.events()
        .slice(mark)
        .find((e) => e.type === 'charge.refunded') as unknown as StripeEvent;
      expect((await deliver(url, event)).status).toBe(200);
      await allProcessed(cluster(), 30_000, 'the webhook processed');
      expect((await localRefunds(piId)).map((r) => r.amount)).toEqual([25_000]);

      const retry = await refund(paymentDocumentId, { amount: 25_000, ...extra });
      expect(retry.status).toBe(200);
      expect((await stripeRefunds(piId)).map((r) => r.amount)).toEqual([25_000]);
      expect((await localRefunds(piId)).map((r) => r.amount)).toEqual([25_000]);
      // A second, deliberate refund of the same amount is still possible afterwards.
      const second = await refund(paymentDocumentId, {
        amount: 25_000,
        ...('idempotencyKey' in extra ? { idempotencyKey: 'dialog-77aa01ff' } : {}),
      });
      expect(second.status).toBe(200);
      expect((await stripeRefunds(piId)).map((r) => r.amount).sort()).toEqual([25_000, 25_000]);
    },
  );
});
