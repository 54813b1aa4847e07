import Stripe from 'stripe';
import {
  bootPayments,
  eventually,
  INVOICE,
  PAYMENT,
  payWith,
  readInvoice,
  type PaymentsEnv,
} from '../support/payments';
import { waitForIdle } from '../support/idle';
import { portalHelpers } from '../support/portal';
import { KEYS } from '../support/payments';
// A second settlement service on the same database, as another Strapi instance has.
import settlementService from '../../server/src/services/settlement';

/**
 * The client portal's multi-invoice payment (issue 12): one PaymentIntent for several invoices of
 * one client, one ledger entry per invoice linked to it, settled once per invoice whatever the
 * webhooks do; refunds and disputes of the shared payment allocated most recent invoice first
 * (docs/payments.md); every bad selection a 4xx with nothing created at Stripe.
 */
let env: PaymentsEnv;
const GROUP = 'plugin::invoice-payments.payment-group';
const NOTICE = 'plugin::invoice-payments.notice';
let owner: { id: number };
let stranger: { id: number };
const piCreates = () => env.standin.control.stats().requests['POST /v1/payment_intents'] ?? 0;
const { jwt, clientUser, invoiceOf, portalPay, sharesOf, paidGroup: payGroup } = portalHelpers(() => env, 'Work', 2026);
/** Pays a group of the owner's invoices at the stand-in and waits for every webhook. */
const paidGroup = (invoices: string[], method = 'pm_card_visa') => payGroup(owner.id, invoices, method);

beforeAll(async () => {
  env = await bootPayments();
  owner = await clientUser('portalowner');
  stranger = await clientUser('portalstranger');
}, 60_000);
afterAll(async () => {
  await env?.close();
});

describe('listing', () => {
  it('shows only the client’s own invoices, with totals per currency and filters', async () => {
    const a = await invoiceOf(owner.id, 1000);
    const b = await invoiceOf(owner.id, 2000, { currency: 'EUR' });
    const theirs = await invoiceOf(stranger.id, 3000);
    const draft = await invoiceOf(owner.id, 4000, { state: 'draft' });
    const res = await env.app.http().get('/api/invoice-payments/portal/invoices').set(jwt(owner.id));
    expect(res.status).toBe(200);
    const ids = res.body.data.invoices.map((i: { id: string }) => i.id);
    expect(ids).toEqual(expect.arrayContaining([a, b]));
    expect(ids).not.toContain(theirs);
    expect(ids).not.toContain(draft);
    expect(res.body.data.totals.USD.open).toBeGreaterThanOrEqual(1000);
    expect(res.body.data.totals.EUR.open).toBeGreaterThanOrEqual(2000);
    const paid = await env.app.http().get('/api/invoice-payments/portal/invoices?filter=paid').set(jwt(owner.id));
    expect(paid.status).toBe(200);
    expect(paid.body.data.invoices.every((i: { kind: string }) => i.kind === 'paid')).toBe(true);
    expect(
      (await env.app.http().get('/api/invoice-payments/portal/invoices?filter=nope').set(jwt(owner.id))).status,
    ).toBe(400);
    const anon = await env.app.http().get('/api/invoice-payments/portal/invoices');
    expect(anon.status).toBe(401);
    expect(anon.body.error.message).toMatch(/log in/i);
  });
});

describe('bad selections: a 4xx with a message, and no PaymentIntent at Stripe', () => {
  it('refuses each one', async () => {
    const a = await invoiceOf(owner.id, 1500);
    const b = await invoiceOf(owner.id, 2500);
    const eur = await invoiceOf(owner.id, 2500, { currency: 'EUR' });
    const theirs = await invoiceOf(stranger.id, 3000);
    const draft = await invoiceOf(owner.id, 3000, { state: 'draft' });
    const voided = await invoiceOf(owner.id, 3000, { state: 'void' });
    const paid = await invoiceOf(owner.id, 3000);
    await env.app.strapi.db
      .query(INVOICE)
      .update({ where: { documentId: paid }, data: { state: 'paid', balanceDue: 0 } });
    const before = piCreates();
    const cases: Array<[unknown, number, RegExp]> = [
      [{ invoices: [] }, 400, /at least one invoice/i],
      [{}, 400, /at least one invoice/i],
      [{ invoices: [a, a] }, 400, /more than once/i],
      [{ invoices: [a, eur] }, 400, /different currencies/i],
      [{ invoices: [a, theirs] }, 404, /not found/i],
      [{ invoices: [a, draft] }, 409, /draft/i],
      [{ invoices: [a, voided] }, 409, /voided/i],
      [{ invoices: [a, paid] }, 409, /already paid/i],
      [{ invoices: [a, 'not an id!'] }, 400, /by its id/i],
      [{ invoices: [a, b], amounts: { [a]: 600 } }, 400, /partial payments are not enabled/i],
      [{ invoices: [a, b], amounts: { [a]: -5 } }, 400, /above zero/i],
    ];
    for (const [body, status, message] of cases) {
      const res = await portalPay(owner.id, body);
      expect({ body, status: res.status }).toEqual({ body, status });
      expect(res.body.error.message).toMatch(message);
    }
    // Another client asking for the owner's invoices: as if they did not exist.
    const res = await portalPay(stranger.id, { invoices: [a, b] });
    expect(res.status).toBe(404);
    const anon = await env.app
      .http()
      .post('/api/invoice-payments/portal/payments')
      .send({ invoices: [a, b] });
    expect(anon.status).toBe(401);
    expect(piCreates()).toBe(before);
    expect(await env.app.strapi.db.query(GROUP).count({ where: { userId: stranger.id } })).toBe(0);
  });

  it("in the portal page's language when it names one (?lang= or language), else in English", async () => {
    const a = await invoiceOf(owner.id, 1500);
    const eur = await invoiceOf(owner.id, 2500, { currency: 'EUR' });
    const before = piCreates();
    const http = () => env.app.http();
    // The page sends ?lang=; the German browser alone does not change the JSON API's English.
    const de = await http()
      .post('/api/invoice-payments/portal/payments?lang=de')
      .set(jwt(owner.id))
      .send({ invoices: [a, eur] });
    expect(de.status).toBe(400);
    expect(de.body.error.message).toMatch(/^Rechnungen in verschiedenen Währungen \((USD, EUR|EUR, USD)\)/);
    const fr = await portalPay(owner.id, { invoices: [a, eur], language: 'fr' });
    expect(fr.body.error.message).toMatch(/^Des factures en devises différentes/);
    const browser = await http()
      .post('/api/invoice-payments/portal/payments')
      .set(jwt(owner.id))
      .set('Accept-Language', 'de-DE')
      .send({ invoices: [a, eur] });
    expect(browser.body.error.message).toMatch(/^Invoices in different currencies/);
    // An unknown language: the browser's, then the site's default; never an error.
    const xx = await http()
      .post('/api/invoice-payments/portal/payments?lang=xx')
      .set(jwt(owner.id))
      .set('Accept-Language', 'es-ES')
      .send({ invoices: [a, eur] });
    expect(xx.body.error.message).toMatch(/^Las facturas en monedas distintas/);
    const anon = await http().get('/api/invoice-payments/portal/invoices?lang=de');
    expect(anon.status).toBe(401);
    expect(anon.body.error.message).toBe('Melden Sie sich an, um Ihre Rechnungen zu sehen.');
    // Amounts in the listing follow the same language.
    const list = await http().get('/api/invoice-payments/portal/invoices?lang=de').set(jwt(owner.id));
    const row = list.body.data.invoices.find((i: { id: string }) => i.id === a);
    expect(row.totalFormatted.replace(/\s/g, ' ')).toBe('15,00 $');
    const plain = await http().get('/api/invoice-payments/portal/invoices').set(jwt(owner.id));
    expect(plain.body.data.invoices.find((i: { id: string }) => i.id === a).totalFormatted).toBe('$15.00');
    expect(piCreates()).toBe(before);
  });

  it('another client cannot read or confirm someone else’s group', async () => {
    const a = await invoiceOf(owner.id, 1500);
    const res = await portalPay(owner.id, { invoices: [a] });
    expect(res.status).toBe(201);
    const id = res.body.data.id as string;
    const read = await env.app.http().get(`/api/invoice-payments/portal/payments/${id}`).set(jwt(stranger.id));
    expect(read.status).toBe(404);
    const confirm = await env.app
      .http()
      .post(`/api/invoice-payments/portal/payments/${id}/confirm`)
      .set(jwt(stranger.id));
    expect(confirm.status).toBe(404);
  });
});

describe('one PaymentIntent for several invoices', () => {
  it('is settled once per invoice under duplicate and reordered webhooks', async () => {
    const older = await invoiceOf(owner.id, 1200, { issueDate: '2026-01-10' });
    const newer = await invoiceOf(owner.id, 3400, { issueDate: '2026-02-10' });
    const before = piCreates();
    const res = await portalPay(owner.id, { invoices: [older, newer] });
    expect(res.status).toBe(201);
    expect(piCreates() - before).toBe(1);
    const data = res.body.data;
    expect(data.clientSecret).toMatch(/^pi_.*_secret_/);
    expect(data.publishableKey).toBe(KEYS.publishableKey);
    expect(data).toMatchObject({ amount: 4600, currency: 'USD' });
    // Most recent invoice first.
    expect(data.allocation.map((x: { invoice: string; portion: number }) => [x.invoice, x.portion])).toEqual([
      [newer, 3400],
      [older, 1200],
    ]);
    const pi = await env.stripe.paymentIntents.retrieve(data.providerPaymentId);
    expect(pi.amount).toBe(4600);

    // Webhooks held back, then delivered out of order and twice.
    env.standin.control.setWebhook({ enabled: false });
    await payWith(env, data.providerPaymentId, 'pm_card_visa');
    const events = env.standin.control
      .events()
      .filter((e) => JSON.stringify(e.data).includes(data.providerPaymentId as string));
    expect(events.length).toBeGreaterThan(0);
    env.standin.control.setWebhook({ enabled: true });
    for (const e of [...events].reverse()) await env.standin.control.deliverEvent(String(e.id));
    for (const e of events) await env.standin.control.deliverEvent(String(e.id));
    // The same event under new ids, as a replayed or re-sent event would be.
    const succeeded = events.find((e) => e.type === 'payment_intent.succeeded')!;
    for (let i = 0; i < 3; i++) {
      const raw = JSON.stringify({ ...succeeded, id: `evt_copy_${Date.now()}_${i}` });
      const sig = Stripe.webhooks.generateTestHeaderString({ payload: raw, secret: KEYS.webhookSecret });
      const r = await env.app
        .http()
        .post('/api/invoice-payments/webhooks/stripe')
        .set('Content-Type', 'application/json')
        .set('Stripe-Signature', sig)
        .send(raw);
      expect(r.status).toBe(200);
    }
    // The portal's own confirm, twice at once.
    const confirms = await Promise.all(
      [0, 1].map(() =>
        env.app.http().post(`/api/invoice-payments/portal/payments/${data.id}/confirm`).set(jwt(owner.id)),
      ),
    );
    expect(confirms.map((c) => c.status)).toEqual([200, 200]);
    await waitForIdle(env.app.strapi, 10_000, env.standin);

    const rows = await sharesOf(data.id);
    expect(rows).toHaveLength(2);
    for (const [doc, amount] of [
      [newer, 3400],
      [older, 1200],
    ] as const) {
      const mine = rows.filter((r: { invoice: { documentId: string } }) => r.invoice.documentId === doc);
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({ amount, status: 'succeeded', sharedPaymentId: data.providerPaymentId });
      expect(mine[0].providerPaymentId).toBeNull();
      const inv = await readInvoice(env, doc);
      expect(inv).toMatchObject({ state: 'paid', amountPaid: amount, balanceDue: 0 });
      // One ledger entry on the invoice at all, one confirmation email.
      expect(await env.app.strapi.db.query(PAYMENT).count({ where: { invoice: { documentId: doc } } })).toBe(1);
    }
    const notices = await env.app.strapi.db
      .query(NOTICE)
      .findMany({ where: { paymentId: { $in: rows.map((r: { id: number }) => r.id) } } });
    expect(notices.filter((n: { kind: string }) => n.kind === 'confirmation')).toHaveLength(2);
    // Events out: one payment.succeeded per invoice, each for that invoice's share.
    for (const [doc, amount] of [
      [newer, 3400],
      [older, 1200],
    ] as const) {
      const out = await env.app.strapi.db
        .query('plugin::invoice-payments.event-out')
        .findMany({ where: { invoiceDocumentId: doc, event: 'payment.succeeded' } });
      expect(out).toHaveLength(1);
      expect(out[0].payload.payment.amount.amount).toBe(amount);
    }
    const state = await env.app.http().get(`/api/invoice-payments/portal/payments/${data.id}`).set(jwt(owner.id));
    expect(state.status).toBe(200);
    expect(state.body.data.allocation.map((x: { invoiceState: string }) => x.invoiceState)).toEqual(['paid', 'paid']);
  });

  it('settles once per invoice when settled concurrently, as two instances would', async () => {
    const ids = [
      await invoiceOf(owner.id, 1100, { issueDate: '2026-03-01' }),
      await invoiceOf(owner.id, 2200, { issueDate: '2026-03-02' }),
      await invoiceOf(owner.id, 3300, { issueDate: '2026-03-03' }),
    ];
    const res = await portalPay(owner.id, { invoices: ids });
    expect(res.status).toBe(201);
    const piId = res.body.data.providerPaymentId as string;
    env.standin.control.setWebhook({ enabled: false });
    await payWith(env, piId, 'pm_card_visa');
    env.standin.control.setWebhook({ enabled: true });
    const strapi = env.app.strapi;
    const settlement = strapi.plugin('invoice-payments').service('settlement');
    // A second settlement service built on the same database, as another Strapi instance has.
    const other = settlementService({ strapi });
    const provider = await strapi.plugin('invoice-payments').service('providers').forId('stripe');
    const actor = { type: 'system' as const, label: 'test' };
    const events = env.standin.control.events().filter((e) => JSON.stringify(e.data).includes(piId));
    await Promise.all([
      ...[0, 1, 2].map(() => settlement.syncPayment(piId, { provider, actor })),
      ...[0, 1, 2].map(() => other.syncPayment(piId, { provider, actor })),
      ...events.map((e) => env.standin.control.deliverEvent(String(e.id))),
    ]);
    await waitForIdle(strapi, 10_000, env.standin);
    const rows = await sharesOf(res.body.data.id);
    expect(rows).toHaveLength(3);
    for (const [i, doc] of ids.entries()) {
      const inv = await readInvoice(env, doc);
      expect(inv).toMatchObject({ state: 'paid', amountPaid: (i + 1) * 1100, balanceDue: 0 });
      expect(await strapi.db.query(PAYMENT).count({ where: { invoice: { documentId: doc } } })).toBe(1);
    }
  });

  it('a Dashboard refund of part of the shared payment comes off the most recent invoice first', async () => {
    const older = await invoiceOf(owner.id, 1000, { issueDate: '2026-04-01' });
    const newer = await invoiceOf(owner.id, 3000, { issueDate: '2026-04-02' });
    const { group, piId } = await paidGroup([older, newer]);
    // 3500 of 4000: all of the newer invoice's 3000, then 500 of the older one.
    await env.stripe.refunds.create({ payment_intent: piId, amount: 2000 });
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    const byInvoice = async () => {
      const rows = await sharesOf(group.id);
      return Object.fromEntries(
        rows.map((r: { invoice: { documentId: string }; amountRefunded: number; status: string }) => [
          r.invoice.documentId,
          { refunded: r.amountRefunded, status: r.status },
        ]),
      );
    };
    await eventually(byInvoice, (m) => m[newer]?.refunded === 2000, 5000, 'first refund booked');
    expect(await byInvoice()).toEqual({
      [newer]: { refunded: 2000, status: 'partially_refunded' },
      [older]: { refunded: 0, status: 'succeeded' },
    });
    await env.stripe.refunds.create({ payment_intent: piId, amount: 1500 });
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    const after = await eventually(byInvoice, (m) => m[older]?.refunded === 500, 5000, 'second refund booked');
    expect(after).toEqual({
      [newer]: { refunded: 3000, status: 'refunded' },
      [older]: { refunded: 500, status: 'partially_refunded' },
    });
    // The invoices' balances follow ("reopen", the default refund setting).
    expect(await readInvoice(env, newer)).toMatchObject({ balanceDue: 3000 });
    expect(await readInvoice(env, older)).toMatchObject({ balanceDue: 500 });
    // Redelivering every refund event changes nothing.
    for (const e of env.standin.control.events().filter((x) => String(x.type).startsWith('charge.refund')))
      await env.standin.control.deliverEvent(String(e.id));
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect(await byInvoice()).toEqual(after);
    // payment.refunded once per refunded piece, with the invoice after it (services/events-out.ts).
    const refundedEvents = async (invoice: string) =>
      (
        (await env.app.strapi.db
          .query('plugin::invoice-payments.event-out')
          .findMany({ where: { event: 'payment.refunded', invoiceDocumentId: invoice } })) as Array<{
          payload: { invoice: { amountRefunded: { amount: number } } };
        }>
      ).map((e) => e.payload.invoice.amountRefunded.amount);
    expect((await refundedEvents(newer)).sort((a, b) => a - b)).toEqual([2000, 3000]);
    expect(await refundedEvents(older)).toEqual([500]);
  });

  it('an admin refund on one invoice of a shared payment refunds only that invoice’s share', async () => {
    const older = await invoiceOf(owner.id, 1000, { issueDate: '2026-05-01' });
    const newer = await invoiceOf(owner.id, 3000, { issueDate: '2026-05-02' });
    const { group, piId } = await paidGroup([older, newer]);
    const olderRow = (await sharesOf(group.id)).find(
      (r: { invoice: { documentId: string } }) => r.invoice.documentId === older,
    );
    const res = await env.app
      .http()
      .post(`/invoice-payments/payments/${olderRow.documentId}/refunds`)
      .set(env.admin.auth)
      .send({});
    expect(res.status).toBe(200);
    expect(res.body.data.refund).toMatchObject({ amount: 1000 });
    const atStripe = await env.stripe.refunds.list({ payment_intent: piId });
    expect(atStripe.data.map((r) => r.amount)).toEqual([1000]);
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    const rows = await sharesOf(group.id);
    const m = Object.fromEntries(
      rows.map((r: { invoice: { documentId: string }; amountRefunded: number }) => [
        r.invoice.documentId,
        r.amountRefunded,
      ]),
    );
    expect(m).toEqual({ [older]: 1000, [newer]: 0 });
    // More than that invoice's share is refused; nothing more at Stripe.
    const again = await env.app
      .http()
      .post(`/invoice-payments/payments/${olderRow.documentId}/refunds`)
      .set(env.admin.auth)
      .send({ amount: 100 });
    expect(again.status).toBe(409);
    expect((await env.stripe.refunds.list({ payment_intent: piId })).data).toHaveLength(1);
    expect(await readInvoice(env, newer)).toMatchObject({ state: 'paid', balanceDue: 0 });
  });

  it('a dispute of the shared payment is allocated most recent invoice first', async () => {
    const older = await invoiceOf(owner.id, 1000, { issueDate: '2026-06-01' });
    const newer = await invoiceOf(owner.id, 3000, { issueDate: '2026-06-02' });
    const { group, piId } = await paidGroup([older, newer]);
    const pi = await env.stripe.paymentIntents.retrieve(piId);
    env.standin.control.openDispute(pi.latest_charge as string);
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    const rows = await eventually(
      () => sharesOf(group.id),
      (rs) => rs.every((r: { status: string }) => r.status === 'disputed'),
      5000,
      'both shares disputed',
    );
    const m = Object.fromEntries(
      rows.map((r: { invoice: { documentId: string }; disputedAmount: number }) => [
        r.invoice.documentId,
        r.disputedAmount,
      ]),
    );
    expect(m).toEqual({ [newer]: 3000, [older]: 1000 });
  });

  it('JPY and KWD: shares and surcharge in whole currency steps, adding up to the charge', async () => {
    await env.app.strapi
      .plugin('invoice-payments')
      .service('settings')
      .update({ feePercentBps: 290 }, { type: 'system' });
    try {
      for (const [currency, amounts, step] of [
        ['JPY', [1001, 2333, 777], 1],
        ['KWD', [12340, 5550, 990], 10],
      ] as const) {
        const ids: string[] = [];
        for (const a of amounts) ids.push(await invoiceOf(owner.id, a, { currency }));
        const res = await portalPay(owner.id, { invoices: ids });
        expect(res.status).toBe(201);
        const sum = res.body.data.allocation.reduce(
          (s: number, x: { portion: number; fee: number }) => s + x.portion + x.fee,
          0,
        );
        expect(sum).toBe(res.body.data.amount);
        for (const x of res.body.data.allocation) expect(x.fee % step).toBe(0);
        await payWith(env, res.body.data.providerPaymentId, 'pm_card_visa');
        await waitForIdle(env.app.strapi, 10_000, env.standin);
        for (const [i, doc] of ids.entries())
          expect(await readInvoice(env, doc)).toMatchObject({ state: 'paid', amountPaid: amounts[i], balanceDue: 0 });
      }
    } finally {
      await env.app.strapi
        .plugin('invoice-payments')
        .service('settings')
        .update({ feePercentBps: 0 }, { type: 'system' });
    }
  });

  it('an invoice of an open shared payment paid on its own pay page: the shared payment is ended first, never charged beside it', async () => {
    const older = await invoiceOf(owner.id, 1000, { issueDate: '2026-07-01' });
    const newer = await invoiceOf(owner.id, 2000, { issueDate: '2026-07-02' });
    const res = await portalPay(owner.id, { invoices: [older, newer] });
    expect(res.status).toBe(201);
    const groupId = res.body.data.id as string;
    const piId = res.body.data.providerPaymentId as string;
    // Reserved at once: one pending entry per invoice, counting as no money.
    expect(
      (await sharesOf(groupId)).map((r: { status: string; sharedPaymentId: string }) => [r.status, r.sharedPaymentId]),
    ).toEqual([
      ['pending', piId],
      ['pending', piId],
    ]);
    expect(await readInvoice(env, older)).toMatchObject({ state: 'sent', amountPaid: 0, balanceDue: 1000 });
    // The older invoice is opened on its pay page (another tab) while the shared payment is open.
    const single = await env.app
      .http()
      .post(`/api/invoice-payments/invoices/${older}/payment-intent`)
      .set(jwt(owner.id))
      .send({});
    expect(single.status).toBe(200);
    // The shared payment was ended at Stripe first: the portal's card form can no longer charge.
    expect((await env.stripe.paymentIntents.retrieve(piId)).status).toBe('canceled');
    await expect(payWith(env, piId, 'pm_card_visa')).rejects.toThrow(/status of canceled/);
    await payWith(env, single.body.data.providerPaymentId, 'pm_card_visa');
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    // Both invoices' shares are over, and the group says so.
    expect((await sharesOf(groupId)).map((r: { status: string }) => r.status)).toEqual(['canceled', 'canceled']);
    expect(await env.app.strapi.db.query(GROUP).findOne({ where: { documentId: groupId } })).toMatchObject({
      status: 'canceled',
    });
    // Paid once, never overpaid, nothing to refund anywhere.
    expect(await readInvoice(env, older)).toMatchObject({
      state: 'paid',
      amountPaid: 1000,
      amountRefunded: 0,
      balanceDue: 0,
      needsAttention: false,
    });
    expect(await readInvoice(env, newer)).toMatchObject({ state: 'sent', amountPaid: 0, balanceDue: 2000 });
    expect((await env.stripe.refunds.list({ payment_intent: piId })).data).toHaveLength(0);
    expect(
      (await env.stripe.refunds.list({ payment_intent: single.body.data.providerPaymentId as string })).data,
    ).toHaveLength(0);
    // The newer invoice is still payable from the portal.
    const again = await portalPay(owner.id, { invoices: [newer] });
    expect(again.status).toBe(201);
  });

  it('a shared payment in a 3-D Secure step blocks the pay page until it is abandoned (the same rule as two attempts)', async () => {
    const older = await invoiceOf(owner.id, 1000, { issueDate: '2026-07-03' });
    const newer = await invoiceOf(owner.id, 2000, { issueDate: '2026-07-04' });
    const res = await portalPay(owner.id, { invoices: [older, newer] });
    expect(res.status).toBe(201);
    const groupId = res.body.data.id as string;
    const piId = res.body.data.providerPaymentId as string;
    const waiting = await payWith(env, piId, 'pm_card_authenticationRequired');
    expect('status' in waiting && waiting.status).toBe('requires_action');
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    const shares = await sharesOf(groupId);
    expect(shares.map((r: { status: string }) => r.status)).toEqual(['requires_action', 'requires_action']);
    const before = piCreates();
    const refused = await env.app
      .http()
      .post(`/api/invoice-payments/invoices/${older}/payment-intent`)
      .set(jwt(owner.id))
      .send({});
    expect(refused.status).toBe(409);
    expect(refused.body.error.name).toBe('PaymentInProgress');
    expect(piCreates()).toBe(before);
    expect((await env.stripe.paymentIntents.retrieve(piId)).status).toBe('requires_action');
    // Left waiting longer than "abandoned authentication" (10 minutes): ended, and the pay page goes on.
    await env.app.strapi.db
      .query(PAYMENT)
      .updateMany({ where: { paymentGroup: groupId }, data: { actionSince: new Date(Date.now() - 3_600_000) } });
    const ok = await env.app
      .http()
      .post(`/api/invoice-payments/invoices/${older}/payment-intent`)
      .set(jwt(owner.id))
      .send({});
    expect(ok.status).toBe(200);
    expect((await env.stripe.paymentIntents.retrieve(piId)).status).toBe('canceled');
    expect((await sharesOf(groupId)).map((r: { status: string }) => r.status)).toEqual(['canceled', 'canceled']);
  });

  it('a new selection ends the client’s earlier open payment on the same invoices (never two payable)', async () => {
    const x = await invoiceOf(owner.id, 1000);
    const y = await invoiceOf(owner.id, 2000);
    const z = await invoiceOf(owner.id, 3000);
    const first = await portalPay(owner.id, { invoices: [x, y] });
    expect(first.status).toBe(201);
    const second = await portalPay(owner.id, { invoices: [y, z] });
    expect(second.status).toBe(201);
    const old = await env.stripe.paymentIntents.retrieve(first.body.data.providerPaymentId);
    expect(old.status).toBe('canceled');
    // The old card form can no longer charge.
    await expect(payWith(env, first.body.data.providerPaymentId, 'pm_card_visa')).rejects.toThrow(/status of canceled/);
    await payWith(env, second.body.data.providerPaymentId, 'pm_card_visa');
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect(await readInvoice(env, x)).toMatchObject({ state: 'sent', balanceDue: 1000 });
    expect(await readInvoice(env, y)).toMatchObject({ state: 'paid', balanceDue: 0 });
    expect(await readInvoice(env, z)).toMatchObject({ state: 'paid', balanceDue: 0 });
    // The first payment's share on y ended (canceled), the second's paid it: one collected entry.
    const onY = await env.app.strapi.db.query(PAYMENT).findMany({ where: { invoice: { documentId: y } } });
    expect(onY.map((r: { status: string }) => r.status).sort()).toEqual(['canceled', 'succeeded']);

    // Paid meanwhile (webhooks lost): the next selection books it first and refuses the paid invoice.
    const w = await invoiceOf(owner.id, 1500);
    const third = await portalPay(owner.id, { invoices: [x, w] });
    expect(third.status).toBe(201);
    env.standin.control.setWebhook({ enabled: false });
    await payWith(env, third.body.data.providerPaymentId, 'pm_card_visa');
    env.standin.control.setWebhook({ enabled: true });
    const before = piCreates();
    const fourth = await portalPay(owner.id, { invoices: [w] });
    expect(fourth.status).toBe(409);
    expect(fourth.body.error.message).toMatch(/already paid/);
    expect(piCreates()).toBe(before);
    expect(await readInvoice(env, x)).toMatchObject({ state: 'paid', balanceDue: 0 });
    expect(await readInvoice(env, w)).toMatchObject({ state: 'paid', balanceDue: 0 });
  });

  it('partial amounts per invoice: only when allowed, within the admin’s minimum and percentage', async () => {
    const settings = env.app.strapi.plugin('invoice-payments').service('settings');
    await settings.update(
      { partialPayments: true, partialMinimumAmount: 1000, partialMinimumPercent: 20 },
      { type: 'system' },
    );
    try {
      const a = await invoiceOf(owner.id, 10000, { issueDate: '2026-08-01' });
      const b = await invoiceOf(owner.id, 20000, { issueDate: '2026-08-02' });
      const before = piCreates();
      for (const [amounts, message] of [
        [{ [a]: 999 }, /at least \$20\.00/], // 20% of 100.00 is more than the 10.00 minimum
        [{ [b]: 3999 }, /at least \$40\.00/],
        [{ [a]: 10001 }, /more than its balance/],
      ] as const) {
        const res = await portalPay(owner.id, { invoices: [a, b], amounts });
        expect(res.status).toBe(400);
        expect(res.body.error.message).toMatch(message);
      }
      expect(piCreates()).toBe(before);
      const ok = await portalPay(owner.id, { invoices: [a, b], amounts: { [a]: 2000, [b]: 5000 } });
      expect(ok.status).toBe(201);
      expect(ok.body.data.amount).toBe(7000);
      await payWith(env, ok.body.data.providerPaymentId, 'pm_card_visa');
      await waitForIdle(env.app.strapi, 10_000, env.standin);
      expect(await readInvoice(env, a)).toMatchObject({ state: 'partially_paid', balanceDue: 8000 });
      expect(await readInvoice(env, b)).toMatchObject({ state: 'partially_paid', balanceDue: 15000 });
      // The single-invoice pay path keeps the same limits.
      const single = await env.app
        .http()
        .post(`/api/invoice-payments/invoices/${a}/payment-intent`)
        .set(jwt(owner.id))
        .send({ amount: 1000 });
      expect(single.status).toBe(400);
      expect(single.body.error.message).toMatch(/at least/);
    } finally {
      await settings.update(
        { partialPayments: false, partialMinimumAmount: 0, partialMinimumPercent: 0 },
        { type: 'system' },
      );
    }
  });

  it('the portal page is served with the pay pages’ CSP and no inline script', async () => {
    const res = await env.app.http().get('/invoice-payments/portal');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toMatch(/script-src [^;]*'self'/);
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(res.text).toContain('"page":"portal"');
    expect(res.text).not.toMatch(/<script>(?!<)/);
    expect(res.text).toContain('<html lang="en">');
  });

  it('the portal page speaks ?lang=, else the browser’s language, with the portal’s strings only there', async () => {
    const de = await env.app.http().get('/invoice-payments/portal').set('Accept-Language', 'de-CH,de;q=0.9');
    expect(de.text).toContain('<html lang="de">');
    expect(de.text).toContain('<title>Ihre Rechnungen</title>');
    expect(de.text).toContain('"intl":"de-CH"');
    expect(de.text).toContain('"portal.paySum":"{amount} bezahlen"');
    expect(de.text).not.toContain('portalApi.');
    const fr = await env.app.http().get('/invoice-payments/portal?lang=fr').set('Accept-Language', 'de-DE');
    expect(fr.text).toContain('<html lang="fr">');
    expect(fr.text).toContain('Chargement de vos factures…');
  });
});
