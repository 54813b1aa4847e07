import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bootPayments, eventually, payableInvoice, readInvoice, type PaymentsEnv } from '../support/payments';
import { stripeEvents } from '../support/stripe-events';
import { waitForIdle } from '../support/idle';

/**
 * Events out (issue 15): each state change is emitted once on Strapi's event hub as
 * `invoice-payments.<event>` and handed to site hooks, after its commit, through the outbox;
 * redelivered webhooks emit nothing more; a throwing hook is retried without a second emit;
 * Strapi's own webhooks (Settings → Webhooks) accept and forward the events.
 */
let env: PaymentsEnv;
const events = stripeEvents(() => env);
const OUT = 'plugin::invoice-payments.event-out';

interface Seen {
  name: string;
  payload: { id: string; type: string; invoice: { documentId: string; state: string }; payment: unknown };
}
const hub: Seen[] = [];
const hooked: Seen['payload'][] = [];
let unsubscribe: () => void;
let flaky: { calls: number; failUntil: number } = { calls: 0, failUntil: 0 };

/** A receiver standing in for a site admin's webhook endpoint (Settings → Webhooks). */
let receiver: Server;
const received: Array<{ event: string; body: Record<string, unknown> }> = [];

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => resolve(text));
  });

beforeAll(async () => {
  env = await bootPayments();
  unsubscribe = env.app.strapi.eventHub.subscribe(async (name: string, payload: unknown) => {
    if (name.startsWith('invoice-payments.')) hub.push({ name, payload: payload as Seen['payload'] });
  });
  const hooks = env.app.strapi.plugin('invoice-payments').service('hooks');
  hooks.register('collect', '*', async (payload: Seen['payload']) => {
    hooked.push(payload);
  });
  hooks.register('flaky', ['invoice.paid'], async () => {
    flaky.calls += 1;
    if (flaky.calls <= flaky.failUntil) throw new Error('booking system unreachable');
  });
  receiver = createServer((req, res) => {
    void readBody(req).then((text) => {
      received.push({
        event: String(req.headers['x-strapi-event']),
        body: JSON.parse(text) as Record<string, unknown>,
      });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
});
afterAll(async () => {
  unsubscribe?.();
  await new Promise((r) => receiver?.close(r));
  await env?.close();
});

const of = (documentId: string) => hub.filter((s) => s.payload.invoice.documentId === documentId);
const names = (documentId: string) => of(documentId).map((s) => s.name);

async function settled() {
  await waitForIdle(env.app.strapi, 15_000);
}

it('lists its events in Strapi’s webhook store: a webhook for them is accepted, an unknown one refused', async () => {
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  const bad = await env.app
    .http()
    .post('/admin/webhooks')
    .set(env.admin.auth)
    .send({ name: 'bad', url, headers: {}, events: ['invoice-payments.invoice.nonsense'] });
  expect(bad.status).toBe(400);
  const ok = await env.app
    .http()
    .post('/admin/webhooks')
    .set(env.admin.auth)
    .send({
      name: 'billing',
      url,
      headers: {},
      events: ['invoice-payments.invoice.paid', 'invoice-payments.payment.succeeded'],
    });
  expect(ok.status).toBe(201);
});

it('a card payment emits payment.succeeded and invoice.paid once each, with the documented payload', async () => {
  flaky = { calls: 0, failUntil: 0 };
  const paid = await events.paidAtStripe();
  await eventually(
    () => readInvoice(env, paid.documentId),
    (i) => i.state === 'paid',
    10_000,
    'paid',
  );
  await settled();
  expect(names(paid.documentId).sort()).toEqual([
    'invoice-payments.invoice.paid',
    'invoice-payments.payment.succeeded',
  ]);
  const invoicePaid = of(paid.documentId).find((s) => s.name === 'invoice-payments.invoice.paid')!.payload;
  const row = await readInvoice(env, paid.documentId);
  expect(invoicePaid).toEqual({
    id: expect.stringMatching(/^[0-9a-f-]{36}$/),
    type: 'invoice.paid',
    occurredAt: expect.any(String),
    invoice: {
      documentId: paid.documentId,
      number: row.number,
      state: 'paid',
      currency: 'USD',
      total: { amount: 182750, formatted: '$1,827.50' },
      amountPaid: { amount: 182750, formatted: '$1,827.50' },
      amountRefunded: { amount: 0, formatted: '$0.00' },
      balanceDue: { amount: 0, formatted: '$0.00' },
      entity: null,
    },
    payment: null,
  });
  const succeeded = of(paid.documentId).find((s) => s.name === 'invoice-payments.payment.succeeded')!.payload;
  expect(succeeded.payment).toEqual({
    providerPaymentId: paid.piId,
    status: 'succeeded',
    currency: 'USD',
    amount: { amount: 182750, formatted: '$1,827.50' },
    failureCode: null,
  });
  // The hooks saw the same payloads, once each.
  expect(
    hooked
      .filter((p) => p.invoice.documentId === paid.documentId)
      .map((p) => p.id)
      .sort(),
  ).toEqual(
    of(paid.documentId)
      .map((s) => s.payload.id)
      .sort(),
  );
  // Strapi's webhook runner forwarded both to the admin's endpoint.
  await eventually(
    async () => received.filter((r) => (r.body.invoice as { documentId?: string })?.documentId === paid.documentId),
    (list) => list.length === 2,
    10_000,
    'both events forwarded by Strapi webhooks',
  );
  const forwarded = received.find((r) => r.event === 'invoice-payments.invoice.paid')!;
  expect(forwarded.body).toMatchObject({
    event: 'invoice-payments.invoice.paid',
    type: 'invoice.paid',
    id: invoicePaid.id,
  });
});

it('duplicate webhook deliveries emit nothing more', async () => {
  const paid = await events.paidAtStripe();
  await eventually(
    () => readInvoice(env, paid.documentId),
    (i) => i.state === 'paid',
    10_000,
    'paid',
  );
  await settled();
  const before = names(paid.documentId).length;
  // The same event again, and the same event under a new id (Stripe can resend an object's state).
  const again = await Promise.all([
    events.postEvent(paid.succeeded),
    events.postEvent(paid.succeeded),
    events.postEvent({ ...paid.succeeded, id: `evt_copy_${Date.now()}` }),
  ]);
  for (const res of again) expect(res.status).toBe(200);
  await settled();
  expect(names(paid.documentId)).toHaveLength(before);
  expect(before).toBe(2);
});

it('a hook that throws is retried from the outbox; the event hub saw the event once', async () => {
  flaky = { calls: 0, failUntil: 2 };
  const paid = await events.paidAtStripe();
  await eventually(
    async () => flaky.calls,
    (n) => n >= 3,
    20_000,
    'the flaky hook called until it succeeds',
  );
  await settled();
  expect(flaky.calls).toBe(3);
  expect(names(paid.documentId).filter((n) => n === 'invoice-payments.invoice.paid')).toHaveLength(1);
  const rows = await env.app.strapi.db
    .query(OUT)
    .findMany({ where: { invoiceDocumentId: paid.documentId, event: 'invoice.paid' } });
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({ status: 'delivered', attempts: 3 });
  // Every hook of the app took it: this file's two and the test app's booking example.
  expect((rows[0].deliveredTo as string[]).sort()).toEqual(['booking-example', 'collect', 'flaky']);
  // The other hook was not called again by the retries.
  expect(hooked.filter((p) => p.invoice.documentId === paid.documentId && p.type === 'invoice.paid')).toHaveLength(1);
});

it('a refund emits payment.refunded and invoice.refunded; a void emits invoice.voided', async () => {
  flaky = { calls: 0, failUntil: 0 };
  const paid = await events.paidAtStripe();
  await eventually(
    () => readInvoice(env, paid.documentId),
    (i) => i.state === 'paid',
    10_000,
    'paid',
  );
  const [payment] = await events.paymentsOf(paid.documentId);
  const refund = await env.app
    .http()
    .post(`/invoice-payments/payments/${payment.documentId}/refunds`)
    .set(env.admin.auth)
    .send({});
  expect(refund.status).toBe(200);
  await eventually(
    async () => names(paid.documentId),
    (n) => n.includes('invoice-payments.invoice.refunded') && n.includes('invoice-payments.payment.refunded'),
    10_000,
    'refund events',
  );
  await settled();
  const counts = names(paid.documentId).reduce<Record<string, number>>((m, n) => ({ ...m, [n]: (m[n] ?? 0) + 1 }), {});
  expect(counts['invoice-payments.invoice.refunded']).toBe(1);
  expect(counts['invoice-payments.payment.refunded']).toBe(1);
  // Both carry the invoice after the refund (recorded once the invoice was recomputed).
  for (const name of ['invoice-payments.payment.refunded', 'invoice-payments.invoice.refunded']) {
    const invoice = of(paid.documentId).find((s) => s.name === name)!.payload.invoice as unknown as {
      state: string;
      amountRefunded: { amount: number };
      total: { amount: number };
    };
    expect(invoice.amountRefunded.amount).toBe(invoice.total.amount);
    expect(invoice.state).not.toBe('paid');
  }

  const open = await payableInvoice(env);
  const voided = await env.app
    .http()
    .post(`/invoice-payments/invoices/${open.documentId}/void`)
    .set(env.admin.auth)
    .send({ reason: 'Sent by mistake' });
  expect(voided.status).toBe(200);
  await settled();
  expect(names(open.documentId)).toEqual(['invoice-payments.invoice.voided']);
  expect(of(open.documentId)[0]!.payload.invoice.state).toBe('void');
});

it('site code voiding through the document service emits invoice.voided once; a rolled-back void emits nothing', async () => {
  const strapi = env.app.strapi;
  const rolledBack = await payableInvoice(env);
  await expect(
    strapi.db.transaction(async () => {
      await strapi.documents('plugin::invoice-payments.invoice').update({
        documentId: rolledBack.documentId,
        data: { state: 'void' } as never,
      });
      throw new Error('the site changed its mind');
    }),
  ).rejects.toThrow('changed its mind');
  const bySite = await payableInvoice(env);
  await strapi.documents('plugin::invoice-payments.invoice').update({
    documentId: bySite.documentId,
    data: { state: 'void' } as never,
  });
  await settled();
  expect((await readInvoice(env, rolledBack.documentId)).state).not.toBe('void');
  expect(names(rolledBack.documentId)).toEqual([]);
  expect(await strapi.db.query(OUT).count({ where: { invoiceDocumentId: rolledBack.documentId } })).toBe(0);
  expect(names(bySite.documentId)).toEqual(['invoice-payments.invoice.voided']);
  expect(of(bySite.documentId)[0]!.payload.invoice.state).toBe('void');
});
