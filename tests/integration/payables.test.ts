import { bootPayments, eventually, payWith, readInvoice, type PaymentsEnv } from '../support/payments';
import { waitForIdle } from '../support/idle';

/**
 * The server API (issue 15): `strapi.plugin('invoice-payments').service('payables')` creates an
 * invoice for any entry, gives its pay link, a Checkout client secret, its state, cancels it, and
 * expires it past `expiresAt` (the open attempt ended at the provider, invoice.expired emitted once).
 */
let env: PaymentsEnv;
const BOOKING = 'api::booking.booking';
const seen: Array<{ type: string; invoice: { documentId: string; state: string; entity: unknown } }> = [];

beforeAll(async () => {
  env = await bootPayments();
  env.app.strapi
    .plugin('invoice-payments')
    .service('hooks')
    .register('payables-test', '*', (p: (typeof seen)[number]) => {
      seen.push(p);
    });
});
afterAll(async () => {
  await env?.close();
});

const payables = () => env.app.strapi.plugin('invoice-payments').service('payables');
const booking = async () =>
  (await env.app.strapi.documents(BOOKING).create({ data: { slot: 'Tue 10:00', email: 'ann@example.test' } as never }))
    .documentId as string;
const lines = [{ description: 'Tennis court, 1 h', quantity: 1, unitAmount: 2500 }];
const errorOf = async (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: { name: string; message: string }) => ({ name: e.name, message: e.message }),
  );

it('creates a sent invoice for an entry, with its pay link and entity; events carry the entity', async () => {
  const id = await booking();
  const inv = await payables().create({ entity: { uid: BOOKING, documentId: id }, lineItems: lines, currency: 'EUR' });
  expect(inv).toMatchObject({
    state: 'sent',
    currency: 'EUR',
    total: 2500,
    balanceDue: 2500,
    entity: { uid: BOOKING, documentId: id },
    expiresAt: null,
  });
  const row = await readInvoice(env, inv.documentId);
  expect(inv.payLink).toMatch(new RegExp(`/invoice-payments/pay/${row.payToken}$`));
  expect(await payables().get(inv.documentId)).toEqual(inv);
  await waitForIdle(env.app.strapi);
  const sent = seen.find((e) => e.type === 'invoice.sent' && e.invoice.documentId === inv.documentId);
  expect(sent?.invoice.entity).toEqual({ uid: BOOKING, documentId: id });
});

it('bad input: unknown uid, missing entry, bad expiry, no lines, a second open invoice → clear errors, nothing made', async () => {
  const before = await env.app.strapi.db.query('plugin::invoice-payments.invoice').count();
  const id = await booking();
  expect(
    await errorOf(payables().create({ entity: { uid: 'api::nope.nope', documentId: id }, lineItems: lines })),
  ).toEqual({
    name: 'ValidationError',
    message: 'Unknown content type api::nope.nope: the entity must be an entry of a collection type.',
  });
  expect(
    await errorOf(payables().create({ entity: { uid: BOOKING, documentId: 'missing' }, lineItems: lines })),
  ).toEqual({
    name: 'NotFoundError',
    message: 'No Booking entry missing.',
  });
  expect(
    (
      await errorOf(
        payables().create({ entity: { uid: BOOKING, documentId: id }, lineItems: lines, expiresAt: 'soon' }),
      )
    ).message,
  ).toBe('expiresAt must be a date or an ISO 8601 string.');
  expect(
    (await errorOf(payables().create({ entity: { uid: BOOKING, documentId: id }, lineItems: [] }))).message,
  ).toMatch(/lineItems must list at least one/);
  expect(await env.app.strapi.db.query('plugin::invoice-payments.invoice').count()).toBe(before);
  const first = await payables().create({ entity: { uid: BOOKING, documentId: id }, lineItems: lines });
  const second = await errorOf(payables().create({ entity: { uid: BOOKING, documentId: id }, lineItems: lines }));
  expect(second.name).toBe('EntityHasOpenInvoice');
  expect(second.message).toContain(`already has invoice ${first.number} (sent) waiting for payment`);
  // Once cancelled, a new one may be made.
  expect((await payables().cancel(first.documentId)).state).toBe('void');
  const again = await payables().create({ entity: { uid: BOOKING, documentId: id }, lineItems: lines });
  expect(
    (await payables().forEntity({ uid: BOOKING, documentId: id })).map((i: { documentId: string }) => i.documentId),
  ).toEqual([again.documentId, first.documentId]);
});

it('gives an embedded Checkout client secret; past expiresAt the session is expired at Stripe and invoice.expired emitted once', async () => {
  const id = await booking();
  const inv = await payables().create({
    entity: { uid: BOOKING, documentId: id },
    lineItems: lines,
    expiresAt: new Date(Date.now() + 60_000),
  });
  const checkout = await payables().checkout(inv.documentId, 'embedded');
  expect(checkout.clientSecret).toMatch(/^cs_/);
  expect(checkout.uiMode).toBe('embedded');
  // The hold runs out.
  await env.app.strapi.db
    .query('plugin::invoice-payments.invoice')
    .update({ where: { documentId: inv.documentId }, data: { expiresAt: new Date(Date.now() - 1000) } });
  await eventually(
    () => readInvoice(env, inv.documentId),
    (i) => i.state === 'void' && i.expiredAt != null,
    10_000,
    'the invoice expired by the worker',
  );
  await waitForIdle(env.app.strapi);
  const session = await env.stripe.checkout.sessions.retrieve(checkout.checkoutSessionId);
  expect(session.status).toBe('expired');
  // A second pass (another instance, the next tick) expires nothing more.
  expect(await payables().expireDue()).toBe(0);
  await waitForIdle(env.app.strapi);
  const mine = seen.filter((e) => e.invoice.documentId === inv.documentId).map((e) => e.type);
  expect(mine.filter((t) => t === 'invoice.expired')).toHaveLength(1);
  expect(mine.filter((t) => t === 'invoice.voided')).toHaveLength(1);
  expect((await payables().get(inv.documentId)).state).toBe('void');
  // The booking example's hook (tests/app/src/index.js) released the slot.
  expect((await env.app.strapi.documents(BOOKING).findOne({ documentId: id }))?.status).toBe('cancelled');
});

it('past expiresAt, before the expiry job voids it, the pay link takes no new payment (409, nothing at Stripe)', async () => {
  const id = await booking();
  const inv = await payables().create({ entity: { uid: BOOKING, documentId: id }, lineItems: lines });
  const row = await readInvoice(env, inv.documentId);
  await env.app.strapi.db
    .query('plugin::invoice-payments.invoice')
    .update({ where: { documentId: inv.documentId }, data: { expiresAt: new Date(Date.now() - 1000) } });
  const made = () =>
    env.standin.control
      .requestLog('POST /v1/payment_intents')
      .filter(
        (r) =>
          (r.params as { metadata?: Record<string, string> }).metadata?.invoice_payments_invoice === inv.documentId,
      ).length;
  const res = await env.app
    .http()
    .post(`/api/invoice-payments/invoices/${inv.documentId}/payment-intent`)
    .send({ token: row.payToken });
  expect(res.status).toBe(409);
  expect(res.body.error.message).toMatch(/deadline has passed|voided/);
  expect(made()).toBe(0);
  // The expiry job then voids it (and the next test counts only its own expiries).
  await eventually(
    () => readInvoice(env, inv.documentId),
    (i) => i.state === 'void' && i.expiredAt != null,
    10_000,
    'the invoice expired by the worker',
  );
});

it('a paid invoice does not expire', async () => {
  const id = await booking();
  const inv = await payables().create({ entity: { uid: BOOKING, documentId: id }, lineItems: lines });
  const row = await readInvoice(env, inv.documentId);
  const res = await env.app
    .http()
    .post(`/api/invoice-payments/invoices/${inv.documentId}/payment-intent`)
    .send({ token: row.payToken });
  expect(res.status).toBe(200);
  await payWith(env, res.body.data.providerPaymentId, 'pm_card_visa');
  await eventually(
    () => readInvoice(env, inv.documentId),
    (i) => i.state === 'paid',
    10_000,
    'paid',
  );
  await env.app.strapi.db
    .query('plugin::invoice-payments.invoice')
    .update({ where: { documentId: inv.documentId }, data: { expiresAt: new Date(Date.now() - 1000) } });
  expect(await payables().expireDue()).toBe(0);
  expect((await readInvoice(env, inv.documentId)).state).toBe('paid');
  // The booking example's hook confirmed the booking.
  await waitForIdle(env.app.strapi);
  expect((await env.app.strapi.documents(BOOKING).findOne({ documentId: id }))?.status).toBe('confirmed');
});
