import Stripe from 'stripe';
import {
  bootPayments,
  eventually,
  payableInvoice,
  payWith,
  readInvoice,
  KEYS,
  PAYMENT,
  type PaymentsEnv,
} from '../support/payments';
import { waitForIdle } from '../support/idle';
import { insertLinkedRow } from '../../server/src/utils/insert-row';

/** POST /api/invoice-payments/webhooks/stripe: verification, storage, settlement, retries. */
let env: PaymentsEnv;
const EVENT = 'plugin::invoice-payments.webhook-event';
const AUDIT = 'plugin::invoice-payments.audit-entry';

beforeAll(async () => {
  env = await bootPayments({ env: { WORKER_MAX_ATTEMPTS: '3' } });
});
afterAll(async () => {
  await env?.close();
});

const post = (raw: string, signature?: string) => {
  const req = env.app.http().post('/api/invoice-payments/webhooks/stripe').set('Content-Type', 'application/json');
  if (signature !== undefined) req.set('Stripe-Signature', signature);
  return req.send(raw);
};
const sign = (raw: string, secret = KEYS.webhookSecret, timestamp?: number) =>
  Stripe.webhooks.generateTestHeaderString({ payload: raw, secret, timestamp });
const eventRow = (providerEventId: string) => env.app.strapi.db.query(EVENT).findOne({ where: { providerEventId } });
const paymentsOf = (documentId: string) =>
  env.app.strapi.db.query(PAYMENT).findMany({ where: { invoice: { documentId } }, orderBy: { id: 'asc' } });

async function paidInvoice(opts: { pm?: string; webhook?: boolean } = {}) {
  const inv = await payableInvoice(env, {
    billingEmail: `p${Date.now()}${Math.random().toString(36).slice(2, 6)}@example.test`,
  });
  const res = await env.app
    .http()
    .post(`/api/invoice-payments/invoices/${inv.documentId}/payment-intent`)
    .send({ token: inv.token });
  const piId = res.body.data.providerPaymentId as string;
  await payWith(env, piId, opts.pm ?? 'pm_card_visa');
  return { ...inv, piId };
}

/** Every event Stripe made about one PaymentIntent, oldest first. */
const eventsFor = (objectId: string, type?: string) =>
  env.standin.control
    .events()
    .filter((e) => (e.data as { object: { id: string } }).object.id === objectId && (!type || e.type === type));

describe('signatures', () => {
  const body = JSON.stringify({
    id: 'evt_forged_1',
    object: 'event',
    type: 'payment_intent.succeeded',
    created: 1,
    livemode: false,
    data: { object: { id: 'pi_x', object: 'payment_intent' } },
  });

  it.each([
    ['missing', undefined, /Missing Stripe-Signature/],
    ['forged with another secret', sign(body, 'whsec' + '_someoneElse000000000000'), /does not match/],
    ['garbage', 't=1,v1=deadbeef', /does not match|tolerance/],
    ['stale (10 minutes old)', sign(body, KEYS.webhookSecret, Math.floor(Date.now() / 1000) - 600), /tolerance/],
  ])("%s: 400, nothing stored, counted in the minute's audit entry", async (_name, signature, message) => {
    // Refusals are counted in one entry per provider and minute (services/audit.ts `rejected`).
    const counted = async () =>
      (
        (await env.app.strapi.db.query(AUDIT).findMany({ where: { action: 'webhook.rejected' } })) as Array<{
          details: { count?: number };
        }>
      ).reduce((n, r) => n + (r.details.count ?? 1), 0);
    const before = await counted();
    const res = await post(body, signature);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(message);
    expect(await eventRow('evt_forged_1')).toBeNull();
    await eventually(counted, (n) => n === before + 1);
  });

  it('a body changed by one byte after signing is refused', async () => {
    const signature = sign(body);
    const res = await post(body.replace('"livemode":false', '"livemode":true'), signature);
    expect(res.status).toBe(400);
  });
});

describe('event types', () => {
  // How fast is the benchmark's business (docs/performance.md); here only that it settles.
  it('payment_intent.succeeded settles the invoice once delivered', async () => {
    const { documentId, piId } = await paidInvoice();
    const inv = await eventually(
      () => readInvoice(env, documentId),
      (i) => i.state === 'paid',
      15_000,
    );
    expect(inv.state).toBe('paid');
    const [evt] = eventsFor(piId, 'payment_intent.succeeded');
    expect(
      (
        await eventually(
          () => eventRow(evt!.id as string),
          (r) => r?.status === 'processed',
        )
      ).status,
    ).toBe('processed');
  });

  it('payment_intent.payment_failed records the reason and leaves the invoice as it was', async () => {
    const { documentId, piId } = await paidInvoice({ pm: 'pm_card_chargeDeclinedInsufficientFunds' });
    const [p] = await eventually(
      () => paymentsOf(documentId),
      (ps) => ps[0]?.status === 'failed',
    );
    expect(p).toMatchObject({ status: 'failed', failureCode: 'insufficient_funds' });
    expect((await readInvoice(env, documentId)).state).toBe('sent');
    expect(eventsFor(piId, 'payment_intent.payment_failed')).toHaveLength(1);
    // Failure notice to the admin address, once.
    const { number } = await readInvoice(env, documentId);
    const notices = await eventually(
      async () => env.smtp.mails.filter((m) => m.subject.includes('Payment failed') && m.subject.includes(number)),
      (m) => m.length > 0,
    );
    expect(notices).toHaveLength(1);
  });

  it('payment_intent.canceled closes the ledger entry', async () => {
    const inv = await payableInvoice(env);
    const res = await env.app
      .http()
      .post(`/api/invoice-payments/invoices/${inv.documentId}/payment-intent`)
      .send({ token: inv.token });
    await env.stripe.paymentIntents.cancel(res.body.data.providerPaymentId);
    const [p] = await eventually(
      () => paymentsOf(inv.documentId),
      (ps) => ps[0]?.status === 'canceled',
    );
    expect(p.status).toBe('canceled');
  });

  it('an unknown event type is stored, acknowledged and ignored with a reason', async () => {
    const raw = JSON.stringify({
      id: `evt_unknown_${Date.now()}`,
      object: 'event',
      api_version: '2026-10-28.endive',
      created: Math.floor(Date.now() / 1000),
      livemode: false,
      type: 'customer.created',
      data: { object: { id: 'cus_123', object: 'customer' } },
    });
    const res = await post(raw, sign(raw));
    expect(res.status).toBe(200);
    const id = JSON.parse(raw).id;
    const row = await eventually(
      () => eventRow(id),
      (r) => r?.status === 'ignored',
    );
    expect(row).toMatchObject({ status: 'ignored', type: 'customer.created', provider: 'stripe' });
    expect(row.ignoredReason).toMatch(/not used by invoice-payments/);
  });

  it("a delivery's row is the one Strapi's create() writes (one INSERT, no read-back)", async () => {
    const raw = JSON.stringify({
      id: `evt_row_${Date.now()}`,
      object: 'event',
      api_version: '2026-10-28.endive',
      created: Math.floor(Date.now() / 1000),
      livemode: false,
      type: 'customer.updated',
      data: { object: { id: 'cus_row', object: 'customer', metadata: { a: 'b' } } },
    });
    expect((await post(raw, sign(raw))).status).toBe(200);
    const stored = await eventually(
      () => eventRow(JSON.parse(raw).id),
      (r) => r?.status === 'ignored',
    );
    // The same fields through Strapi's query engine, then both rows as the database holds them.
    const { id: _id, documentId: _doc, createdAt: _c, updatedAt: _u, publishedAt: _p, ...fields } = stored;
    const made = await env.app.strapi.db
      .query(EVENT)
      .create({ data: { ...fields, providerEventId: `${stored.providerEventId}_create` } });
    const table = env.app.strapi.db.metadata.get(EVENT).tableName;
    const rows = await env.app.strapi.db.connection(table).whereIn('id', [stored.id, made.id]).orderBy('id');
    const [ours, strapis] = rows as Array<Record<string, unknown>>;
    expect(Object.keys(ours!).sort()).toEqual(Object.keys(strapis!).sort());
    for (const column of Object.keys(strapis!)) {
      if (['id', 'document_id', 'provider_event_id', 'created_at', 'updated_at', 'published_at'].includes(column))
        expect([column, typeof ours![column], ours![column] === null]).toEqual([
          column,
          typeof strapis![column],
          strapis![column] === null,
        ]);
      else expect([column, ours![column]]).toEqual([column, strapis![column]]);
    }
    expect(String(ours!.document_id)).toMatch(/^[a-z0-9]{24}$/);
    expect(ours!.published_at).not.toBeNull();
    // Read through Strapi, the delivery's row is a whole entry (what the admin's screens get).
    expect(stored).toMatchObject({ documentId: expect.any(String), createdAt: expect.any(String) });
    expect(JSON.stringify(stored.payload)).toContain('"cus_row"');
  });

  it("a new ledger entry is the row and invoice link Strapi's create() writes (insertLinkedRow, two statements)", async () => {
    const { strapi } = env.app;
    const inv = await payableInvoice(env);
    const data = (n: number) => ({
      status: 'succeeded',
      amount: 1000 + n,
      fee: 0,
      currency: 'USD',
      kind: 'card',
      provider: 'stripe',
      providerPaymentId: `pi_linked_${Date.now()}_${n}`,
      livemode: false,
      amountRefunded: 0,
      feeRefunded: 0,
      paidAt: new Date(),
      mismatch: null,
    });
    // One entry through create(), then two through insertLinkedRow, on the same invoice.
    const ids = await strapi.db.transaction(async () => {
      const made = (await strapi.db
        .query(PAYMENT)
        .create({ data: { ...data(1), invoice: inv.row.id }, select: ['id'] })) as { id: number };
      const ours = [
        await insertLinkedRow(strapi, PAYMENT, data(2), { attribute: 'invoice', id: inv.row.id }),
        await insertLinkedRow(strapi, PAYMENT, data(3), { attribute: 'invoice', id: inv.row.id }),
      ];
      return [made.id, ...ours];
    });
    const meta = strapi.db.metadata.get(PAYMENT) as unknown as {
      tableName: string;
      attributes: { invoice: { joinTable: { name: string } } };
    };
    const rows = (await strapi.db.connection(meta.tableName).whereIn('id', ids).orderBy('id')) as Array<
      Record<string, unknown>
    >;
    const [strapis, ours] = rows;
    expect(Object.keys(ours!).sort()).toEqual(Object.keys(strapis!).sort());
    const differ = [
      'id',
      'document_id',
      'provider_payment_id',
      'amount',
      'created_at',
      'updated_at',
      'published_at',
      'paid_at',
    ];
    for (const column of Object.keys(strapis!)) {
      if (differ.includes(column))
        expect([column, ours![column] === null]).toEqual([column, strapis![column] === null]);
      else expect([column, ours![column]]).toEqual([column, strapis![column]]);
    }
    // The links: each entry on the invoice, last in its list of payments as create() places it.
    const links = (await strapi.db
      .connection(meta.attributes.invoice.joinTable.name)
      .whereIn('payment_id', ids)
      .orderBy('payment_id')) as Array<{ payment_id: number; invoice_id: number; payment_ord: number }>;
    expect(links.map((l) => [l.payment_id, l.invoice_id, Number(l.payment_ord)])).toEqual([
      [ids[0], inv.row.id, 1],
      [ids[1], inv.row.id, 2],
      [ids[2], inv.row.id, 3],
    ]);
    // Read through Strapi, the invoice lists them in that order.
    const listed = await strapi.db
      .query('plugin::invoice-payments.invoice')
      .findOne({ where: { id: inv.row.id }, populate: { payments: { select: ['id'] } } });
    expect(listed.payments.map((p: { id: number }) => p.id)).toEqual(ids);
  });

  it("the route is per provider: /webhooks/stripe is Stripe's, an unknown provider is a 404 and stores nothing", async () => {
    const raw = JSON.stringify({
      id: `evt_route_${Date.now()}`,
      object: 'event',
      created: Math.floor(Date.now() / 1000),
      livemode: false,
      type: 'customer.created',
      data: { object: { id: 'cus_1', object: 'customer' } },
    });
    const res = await env.app
      .http()
      .post('/api/invoice-payments/webhooks/paypal')
      .set('Content-Type', 'application/json')
      .set('Stripe-Signature', sign(raw))
      .send(raw);
    expect(res.status).toBe(404);
    expect(res.body.error.message).toMatch(/No such payment provider/);
    await waitForIdle(env.app.strapi);
    expect(await eventRow(JSON.parse(raw).id)).toBeNull();
  });

  it("charge.succeeded of an intent brings Stripe's fee with at most one read, which payment_intent.succeeded does not make", async () => {
    const reads = () => env.standin.control.stats().requestsByRoute['GET /v1/payment_intents/:id'] ?? 0;
    const before = reads();
    const { documentId, piId } = await paidInvoice();
    await eventually(
      () => readInvoice(env, documentId),
      (i) => i.state === 'paid',
    );
    const [charge] = await eventually(
      async () =>
        env.standin.control
          .events()
          .filter(
            (e) =>
              e.type === 'charge.succeeded' &&
              (e.data as { object: { payment_intent: string } }).object.payment_intent === piId,
          ),
      (e) => e.length > 0,
    );
    // Read once while the ledger lacked the fee (processed), or not at all once it had it (ignored).
    const row = await eventually(
      () => eventRow(charge!.id as string),
      (r) => r?.status === 'processed' || r?.status === 'ignored',
    );
    if (row.status === 'ignored') expect(row.ignoredReason).toMatch(/Nothing to update/);
    const [payment] = await eventually(
      () => paymentsOf(documentId),
      (rows) => rows[0]?.providerFee != null,
    );
    expect(payment.providerFee).toBeGreaterThan(0);
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect(reads() - before).toBeLessThanOrEqual(1);
  });

  it('an intent this plugin did not create is stored and ignored, with the reason', async () => {
    const foreign = await env.stripe.paymentIntents.create({
      amount: 5000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      return_url: 'http://x',
    });
    const [evt] = await eventually(
      async () => eventsFor(foreign.id, 'payment_intent.succeeded'),
      (e) => e.length > 0,
    );
    const row = await eventually(
      () => eventRow(evt!.id as string),
      (r) => r?.status === 'ignored',
    );
    expect(row.ignoredReason).toMatch(/not created by invoice-payments/);
  });
});

describe('amount and currency checks', () => {
  it.each([
    ['a wrong amount', { amount: 5000, currency: 'usd', portion: '182750' }, /asked for 182750/],
    ['a wrong currency', { amount: 182750, currency: 'eur', portion: '182750' }, /in EUR but invoice .* is in USD/],
  ])('%s is flagged for an admin and never booked', async (_name, pi, reason) => {
    const inv = await payableInvoice(env);
    const foreign = await env.stripe.paymentIntents.create({
      amount: pi.amount,
      currency: pi.currency,
      payment_method: 'pm_card_visa',
      confirm: true,
      return_url: 'http://x',
      metadata: {
        invoice_payments_invoice: inv.documentId,
        invoice_payments_number: inv.row.number,
        invoice_payments_portion: pi.portion,
        invoice_payments_fee: '0',
      },
    });
    const flagged = await eventually(
      () => readInvoice(env, inv.documentId),
      (i) => i.needsAttention === true,
    );
    expect(flagged).toMatchObject({ needsAttention: true, amountPaid: 0, balanceDue: 182750, state: 'sent' });
    expect(flagged.attentionReason).toMatch(reason);
    const [p] = await paymentsOf(inv.documentId);
    expect(p.providerPaymentId).toBe(foreign.id);
    expect(p.mismatch).toMatch(reason);
    // No "payment received" email for money that was not booked.
    expect(env.smtp.mails.filter((m) => m.to.includes(inv.row.billingEmail))).toHaveLength(0);
  });
});

describe('duplicates, order and races', () => {
  it('one event delivered 50 times concurrently: one payment, one email, the right balance', async () => {
    env.standin.control.setWebhook({ enabled: false });
    const { documentId, piId, row } = await paidInvoice();
    const email = row.billingEmail as string;
    env.standin.control.setWebhook({ enabled: true });
    const [evt] = eventsFor(piId, 'payment_intent.succeeded');
    const raw = JSON.stringify(evt, null, 2);
    const signature = sign(raw);
    const responses = await Promise.all(Array.from({ length: 50 }, () => post(raw, signature)));
    expect(responses.every((r) => r.status === 200)).toBe(true);
    expect(responses.filter((r) => r.body.duplicate === false)).toHaveLength(1);
    const inv = await eventually(
      () => readInvoice(env, documentId),
      (i) => i.state === 'paid',
    );
    expect(inv).toMatchObject({ state: 'paid', balanceDue: 0, amountPaid: row.total });
    expect(await paymentsOf(documentId)).toHaveLength(1);
    expect(await env.app.strapi.db.query(EVENT).count({ where: { providerEventId: evt!.id } })).toBe(1);
    const stored = await eventRow(evt!.id as string);
    expect(stored.deliveries).toBe(50);
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect(env.smtp.mails.filter((m) => m.to.includes(email))).toHaveLength(1);
  });

  it('a refund event arriving before the payment success event still books both, once', async () => {
    env.standin.control.setWebhook({ enabled: false });
    const { documentId, piId, row } = await paidInvoice();
    const refund = await env.stripe.refunds.create({ payment_intent: piId, amount: 50000 });
    env.standin.control.setWebhook({ enabled: true });
    const refunded = env.standin.control
      .events()
      .filter(
        (e) =>
          e.type === 'charge.refunded' &&
          (e.data as { object: { payment_intent: string } }).object.payment_intent === piId,
      );
    const [succeeded] = eventsFor(piId, 'payment_intent.succeeded');
    for (const evt of [...refunded, succeeded!]) {
      const raw = JSON.stringify(evt);
      expect((await post(raw, sign(raw))).status).toBe(200);
    }
    const inv = await eventually(
      () => readInvoice(env, documentId),
      (i) => i.amountRefunded === 50000,
    );
    expect(inv).toMatchObject({
      state: 'partially_paid',
      amountPaid: row.total,
      amountRefunded: 50000,
      balanceDue: 50000,
    });
    const [p] = await paymentsOf(documentId);
    expect(p.status).toBe('partially_refunded');
    const refunds = await env.app.strapi.db
      .query('plugin::invoice-payments.refund')
      .findMany({ where: { providerRefundId: refund.id } });
    expect(refunds).toHaveLength(1);
  });

  it('a late payment_failed after success changes nothing', async () => {
    const { documentId, piId } = await paidInvoice();
    await eventually(
      () => readInvoice(env, documentId),
      (i) => i.state === 'paid',
    );
    const late = {
      id: `evt_late_${Date.now()}`,
      object: 'event',
      api_version: '2026-10-28.endive',
      created: Math.floor(Date.now() / 1000) - 120,
      livemode: false,
      type: 'payment_intent.payment_failed',
      data: { object: { id: piId, object: 'payment_intent', status: 'requires_payment_method' } },
    };
    const raw = JSON.stringify(late);
    expect((await post(raw, sign(raw))).status).toBe(200);
    await eventually(
      () => eventRow(late.id),
      (r) => r?.status === 'processed',
    );
    expect((await readInvoice(env, documentId)).state).toBe('paid');
    expect((await paymentsOf(documentId))[0].status).toBe('succeeded');
  });

  it('events delivered in reverse order and twice settle to the same result', async () => {
    env.standin.control.setDelivery({ duplicates: 2, reverseOrder: true, concurrency: 2 });
    try {
      const { documentId } = await paidInvoice();
      const inv = await eventually(
        () => readInvoice(env, documentId),
        (i) => i.state === 'paid',
      );
      expect(inv.balanceDue).toBe(0);
      await env.standin.control.idle();
      expect(await paymentsOf(documentId)).toHaveLength(1);
    } finally {
      env.standin.control.setDelivery({ duplicates: 1, reverseOrder: false, concurrency: 1 });
    }
  });
});

/**
 * A signed `payment_intent.processing` event about `piId`, posted as Stripe would. Its settlement
 * reads the payment from Stripe (only a final state, `succeeded` or `canceled`, is booked from the
 * event itself), so a fault on that read makes the processing fail.
 */
async function postProcessingEvent(piId: string): Promise<string> {
  const [succeeded] = eventsFor(piId, 'payment_intent.succeeded');
  const id = `evt_processing_${piId}`;
  const object = { ...(succeeded!.data as { object: object }).object, status: 'processing', amount_received: 0 };
  const raw = JSON.stringify({ ...succeeded, id, type: 'payment_intent.processing', data: { object } });
  const res = await post(raw, sign(raw));
  expect(res.status).toBe(200);
  return id;
}

describe('retries, dead letters, replays', () => {
  it('a processing failure is retried by the worker and settles', async () => {
    env.standin.control.setWebhook({ enabled: false });
    const { documentId, piId } = await paidInvoice();
    env.standin.control.setWebhook({ enabled: true });
    // Stripe answers 500 to the plugin's re-read twice (SDK retries included), then recovers.
    env.standin.control.addFault({ method: 'GET', path: `/v1/payment_intents/${piId}`, status: 500, times: 3 });
    const eventId = await postProcessingEvent(piId);
    const failed = await eventually(
      () => eventRow(eventId),
      (r) => r?.attempts >= 1 && r?.status !== 'processing',
    );
    expect(['failed', 'processed']).toContain(failed.status);
    const row = await eventually(
      () => eventRow(eventId),
      (r) => r?.status === 'processed',
      8000,
    );
    expect(row.status).toBe('processed');
    expect(row.attempts).toBeGreaterThanOrEqual(2);
    expect((await readInvoice(env, documentId)).state).toBe('paid');
  });

  it('after N failed attempts the event is dead-lettered; a replay settles it', async () => {
    env.standin.control.setWebhook({ enabled: false });
    const { documentId, piId } = await paidInvoice();
    env.standin.control.setWebhook({ enabled: true });
    env.standin.control.addFault({ method: 'GET', path: `/v1/payment_intents/${piId}`, status: 500, times: 1000 });
    const eventId = await postProcessingEvent(piId);
    const dead = await eventually(
      () => eventRow(eventId),
      (r) => r?.status === 'dead_lettered',
      10000,
    );
    expect(dead).toMatchObject({ status: 'dead_lettered', attempts: 3 });
    expect(dead.lastError).toMatch(/not answering/);
    expect((await readInvoice(env, documentId)).state).toBe('sent');

    const list = await env.app.http().get('/invoice-payments/webhook-events?status=dead_lettered').set(env.admin.auth);
    expect(list.status).toBe(200);
    expect(list.body.results.map((r: { providerEventId: string }) => r.providerEventId)).toContain(eventId);

    env.standin.control.clearFaults();
    const replay = await env.app
      .http()
      .post(`/invoice-payments/webhook-events/${dead.documentId}/replay`)
      .set(env.admin.auth);
    expect(replay.status).toBe(200);
    expect(replay.body.data.status).toBe('processed');
    expect((await readInvoice(env, documentId)).state).toBe('paid');
    const audit = await env.app.strapi.db.query(AUDIT).findOne({ where: { action: 'webhook.replayed' } });
    expect(audit.actorType).toBe('admin');
  });

  it('a lost webhook is caught by the reconciliation sweep', async () => {
    env.standin.control.setWebhook({ enabled: false });
    const { documentId } = await paidInvoice();
    env.standin.control.setWebhook({ enabled: true });
    expect((await readInvoice(env, documentId)).state).toBe('sent');
    const checked = await env.app.strapi.plugin('invoice-payments').service('background').sweep(0);
    expect(checked).toBeGreaterThanOrEqual(1);
    expect((await readInvoice(env, documentId)).state).toBe('paid');
  });

  it('the health line shows the last event and recent failures', async () => {
    const res = await env.app.http().get('/invoice-payments/webhook-events/health').set(env.admin.auth);
    expect(res.status).toBe(200);
    expect(res.body.data.lastEventAt).not.toBeNull();
    expect(res.body.data.failuresLast24h).toBeGreaterThanOrEqual(0);
    expect(res.body.data.rejectedLast24h).toBeGreaterThanOrEqual(4);
  });
});
