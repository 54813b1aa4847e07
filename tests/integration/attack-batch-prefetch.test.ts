import {
  bootPayments,
  eventually,
  intentMadeElsewhere,
  payableInvoice,
  payWith,
  readInvoice,
  INVOICE,
  type PaymentsEnv,
} from '../support/payments';
import { waitForIdle } from '../support/idle';
import { EVENT, NOTICE, stripeEvents, uniq } from '../support/stripe-events';
import { portalHelpers } from '../support/portal';
import { holdQueue, recordBatches } from '../support/queue-hold';

/**
 * Independent review of 6c0a6c7: a settled batch locks all its invoices in one
 * `SELECT … ORDER BY document_id FOR UPDATE` and reads all its ledger entries once
 * (settlement.holdForBatch), each taken once by applyPayment; its confirmation/dispute emails are
 * collected with id 0 and written in one INSERT at the end, their ids read back by
 * (payment, kind, occurrence='') (notifications.queuePaymentNotices) and sent after the commit.
 * Attacked: the same payment and the same invoice several times in one batch (duplicate and
 * re-sent deliveries, two PaymentIntents on one invoice), an invoice deleted / voided before its
 * lock, a payment whose email row already exists (the batch's INSERT fails: rollback and one by
 * one), emails sent with the wrong id (checked per recipient), and on PostgreSQL two batches, the
 * pay page's confirm, admin refunds and the retry worker all at once (deadlocks, double booking).
 * Found: a held invoice row goes stale when a multi-invoice payment settled earlier in the same batch
 * (its group mark edited away) writes that invoice: the last test, which failed against 6c0a6c7
 * (mended: such a settlement drops what the batch holds, and its later events read again).
 * Seen, not caused by 6c0a6c7: the payment whose outbox row already exists is never booked (its
 * event fails on the unique index one by one too, and is dead-lettered).
 */

let env: PaymentsEnv;
beforeAll(async () => {
  env = await bootPayments();
});
afterAll(async () => {
  await env?.close();
});
const { eventRow, paymentsOf, eventsFor, postEvent, paidAtStripe: paidAt, paidTwiceAtStripe } = stripeEvents(() => env);
type Paid = Awaited<ReturnType<typeof paidAt>>;

const plugin = () => env.app.strapi.plugin('invoice-payments');
const webhookEvents = () => plugin().service('webhook-events') as { runDue(limit?: number): Promise<number> };

/**
 * Batches are one transaction on SQLite and PostgreSQL only (webhook-events groupCommit): on
 * MySQL/MariaDB each event is settled in its own, holdForBatch is never called, and the same
 * scenarios must come out the same.
 */
const groupCommit = () => env.app.strapi.db.dialect.client !== 'mysql';

/** The batches holdForBatch was called for (their invoice keys), to prove the attack hit the batch path. */
let record: { keys: string[][] };
beforeAll(() => {
  record = recordBatches(env);
});

beforeEach(async () => {
  env.standin.control.setWebhook({ enabled: false });
  await waitForIdle(env.app.strapi, 10_000, env.standin);
  record.keys = [];
});

/**
 * Posts `events` so that they are settled in one batch. While deliveries arrive, settlement runs
 * one batch at a time (webhook-events pump): a first event, of an extra invoice, takes that slot
 * and is held before its batch starts (at its settings snapshot), the events queue behind it, and
 * once it is let go the next batch takes all of them (up to 8 under load). Returns their answers.
 */
async function postTogether(events: Array<Record<string, unknown>>) {
  const hold = await holdQueue(env, async () => {
    const opener = await paidAt(`open${uniq()}@example.test`);
    expect((await postEvent(opener.succeeded)).status).toBe(200);
  });
  try {
    return await Promise.all(events.map((e) => postEvent(e)));
  } finally {
    hold.release();
  }
}

const mailsTo = (email: string) => env.smtp.mails.filter((m) => m.to.includes(email));
const noticesOf = (paymentId: number) =>
  env.app.strapi.db.query(NOTICE).findMany({ where: { paymentId } }) as Promise<
    Array<{ id: number; kind: string; status: string; occurrence: string }>
  >;

/** A copy of a Stripe event under another id (Stripe's "resend" of an event makes no new id; a
 * second event about the same final state, e.g. from a second endpoint migration, does). */
const resentAs = (event: Record<string, unknown>) => ({ ...event, id: `evt_copy_${uniq()}` });

/** Each invoice paid once, its one payment with exactly one confirmation email, sent to its client. */
async function expectBookedOnce(p: Paid, email: string) {
  const invoice = await eventually(
    () => readInvoice(env, p.documentId),
    (i) => i.state === 'paid',
    20_000,
  );
  expect(invoice).toMatchObject({ balanceDue: 0, amountPaid: 182750, amountRefunded: 0 });
  const rows = await paymentsOf(p.documentId);
  expect(rows).toHaveLength(1);
  const notices = await eventually(
    () => noticesOf(rows[0].id),
    (n) => n.length === 1 && n[0]!.status === 'sent',
    20_000,
  );
  expect(notices).toEqual([expect.objectContaining({ kind: 'confirmation', occurrence: '' })]);
  const mails = mailsTo(email);
  expect(mails).toHaveLength(1);
  expect(mails[0]!.raw).toContain(invoice.number as string);
}

async function paidWithEmail(): Promise<Paid & { email: string }> {
  const email = `bp${uniq()}@example.test`;
  return { ...(await paidAt(email)), email };
}

it('one batch: a payment delivered twice and re-sent under a new id, two intents on one invoice, others', async () => {
  const a = await paidWithEmail();
  const b = await paidWithEmail();
  const c = await paidWithEmail();
  // Two PaymentIntents paid on one invoice (an old tab): both booked, the excess refunded once.
  const overEmail = `bo${uniq()}@example.test`;
  const { inv, first, other, total, evA, evB } = await paidTwiceAtStripe(overEmail);
  const copyA = resentAs(a.succeeded);
  const all = [a.succeeded, a.succeeded, copyA, b.succeeded, evA, evB, c.succeeded, evB, resentAs(evA)];
  const answers = await postTogether(all);
  expect(answers.every((r) => r.status === 200)).toBe(true);
  await waitForIdle(env.app.strapi, 60_000, env.standin);
  expect(record.keys.some((keys) => keys.length > 1)).toBe(groupCommit());
  for (const e of all)
    await eventually(
      () => eventRow(e.id as string),
      (r) => r?.status === 'processed',
      20_000,
    );
  for (const p of [a, b, c]) await expectBookedOnce(p, p.email);
  const invoice = await eventually(
    () => readInvoice(env, inv.documentId),
    (i) => i.amountPaid === 2 * total && i.amountRefunded === total,
    20_000,
  );
  expect(invoice).toMatchObject({ state: 'paid', balanceDue: 0 });
  const rows = await paymentsOf(inv.documentId);
  expect(rows).toHaveLength(2);
  for (const row of rows) {
    const notices = await eventually(
      () => noticesOf(row.id),
      (n) => n.filter((x) => x.kind === 'confirmation').every((x) => x.status === 'sent'),
      20_000,
    );
    expect(notices.filter((x) => x.kind === 'confirmation')).toHaveLength(1);
  }
  const refunds = (await env.stripe.refunds.list({ limit: 100 })).data.filter(
    (r) => r.payment_intent === first || r.payment_intent === other.id,
  );
  expect(refunds).toHaveLength(1);
  expect(refunds[0]!.amount).toBe(total);
  // Two confirmation emails for the invoice's two payments, no more.
  await eventually(
    async () => mailsTo(overEmail).length,
    (n) => n >= 2,
    20_000,
  );
  await waitForIdle(env.app.strapi, 30_000, env.standin);
  expect(mailsTo(overEmail).filter((m) => m.raw.includes(inv.row.number as string))).toHaveLength(2);
});

it('invoice deleted / voided before the batch locks: the others booked once, one email each', async () => {
  const kept = [await paidWithEmail(), await paidWithEmail()];
  // Paid at Stripe on an invoice with no ledger entry (made elsewhere), then the invoice deleted.
  const gone = await payableInvoice(env, { billingEmail: `gone${uniq()}@example.test` });
  const pi = await intentMadeElsewhere(env, gone.documentId, gone.row.total as number);
  await payWith(env, pi.id, 'pm_card_visa');
  const goneEvent = eventsFor(pi.id, 'payment_intent.succeeded')[0] as unknown as Record<string, unknown>;
  await env.app.strapi.db.query(INVOICE).delete({ where: { documentId: gone.documentId } });
  // Paid at Stripe, voided by the admin before its event arrives.
  const voidedPaid = await paidWithEmail();
  const voided = await env.app
    .http()
    .post(`/invoice-payments/invoices/${voidedPaid.documentId}/void`)
    .set(env.admin.auth)
    .send({ reason: 'client cancelled' });
  const all = [goneEvent, ...kept.map((k) => k.succeeded), voidedPaid.succeeded, goneEvent];
  const answers = await postTogether(all);
  expect(answers.every((r) => r.status === 200)).toBe(true);
  await waitForIdle(env.app.strapi, 60_000, env.standin);
  expect(record.keys.some((keys) => keys.length > 1)).toBe(groupCommit());
  expect(await eventRow(goneEvent.id as string)).toMatchObject({ status: 'ignored' });
  for (const k of kept) {
    expect(await eventRow(k.succeeded.id as string)).toMatchObject({ status: 'processed' });
    await expectBookedOnce(k, k.email);
  }
  await eventually(
    () => eventRow(voidedPaid.succeeded.id as string),
    (r) => r?.status === 'processed' || r?.status === 'ignored',
    15_000,
  );
  const invoice = await readInvoice(env, voidedPaid.documentId);
  const refunds = (await env.stripe.refunds.list({ limit: 100 })).data.filter(
    (r) => r.payment_intent === voidedPaid.piId,
  );
  if (invoice.state === 'void') {
    expect(refunds).toHaveLength(1);
    expect(refunds[0]!.amount).toBe(182750);
  } else {
    expect(voided.status).toBeGreaterThanOrEqual(400);
    expect(invoice).toMatchObject({ state: 'paid', amountPaid: 182750 });
    expect(refunds).toHaveLength(0);
  }
  expect(await paymentsOf(voidedPaid.documentId)).toHaveLength(1);
  expect(mailsTo(voidedPaid.email).length).toBeLessThanOrEqual(1);
});

it('email INSERT hits an existing outbox row: rollback, one by one, no email twice', async () => {
  const ok = [await paidWithEmail(), await paidWithEmail(), await paidWithEmail()];
  const clash = await paidWithEmail();
  // Its ledger entry exists (made by the pay page) and its confirmation row is in the outbox
  // already (sent), while the entry's marker is not set: the batch's one INSERT breaks the unique
  // index on (payment, kind, occurrence).
  const [entry] = await paymentsOf(clash.documentId);
  expect(entry).toBeDefined();
  const existing = await env.app.strapi.db.query(NOTICE).create({
    data: { paymentId: entry.id, kind: 'confirmation', occurrence: '', status: 'sent', attempts: 1 },
  });
  const all = [...ok.map((p) => p.succeeded), clash.succeeded];
  const answers = await postTogether(all);
  expect(answers.every((r) => r.status === 200)).toBe(true);
  await waitForIdle(env.app.strapi, 60_000, env.standin);
  for (const p of ok) {
    await eventually(
      () => eventRow(p.succeeded.id as string),
      (r) => r?.status === 'processed',
      20_000,
    );
    await expectBookedOnce(p, p.email);
  }
  // The clashing payment: its outbox row is the only one, not sent again, no second email.
  const notices = await noticesOf(entry.id);
  expect(notices.filter((n) => n.kind === 'confirmation')).toEqual([
    expect.objectContaining({ id: existing.id, status: 'sent' }),
  ]);
  expect(mailsTo(clash.email)).toHaveLength(0);
  // Nothing sent twice anywhere: every email of this test went to one of its clients once.
  for (const p of ok) expect(mailsTo(p.email)).toHaveLength(1);
});

const META_INVOICE = 'invoice_payments_invoice';
const META_NUMBER = 'invoice_payments_number';
const objectOf = (event: Record<string, unknown>) => (event.data as { object: Record<string, unknown> }).object;

it('snapshot naming another invoice of the batch: flagged on its own, no email', async () => {
  const a = await paidWithEmail();
  const b = await paidWithEmail();
  const c = await paidWithEmail();
  const meta = objectOf(a.succeeded).metadata as Record<string, string>;
  // Metadata edited at Stripe: A's payment now names B (paid by its own payment in the same batch).
  const repointed = {
    ...a.succeeded,
    id: `${a.succeeded.id as string}_repointed`,
    data: {
      object: { ...objectOf(a.succeeded), metadata: { ...meta, [META_INVOICE]: b.documentId, [META_NUMBER]: 'B' } },
    },
  };
  const all = [repointed, b.succeeded, c.succeeded];
  const answers = await postTogether(all);
  expect(answers.every((r) => r.status === 200)).toBe(true);
  await waitForIdle(env.app.strapi, 60_000, env.standin);
  expect(record.keys.some((keys) => keys.includes(a.documentId) && keys.includes(b.documentId))).toBe(groupCommit());
  for (const e of all)
    await eventually(
      () => eventRow(e.id as string),
      (r) => r?.status === 'processed',
      20_000,
    );
  await expectBookedOnce(b, b.email);
  await expectBookedOnce(c, c.email);
  expect((await readInvoice(env, a.documentId)).state).not.toBe('paid');
  const rows = await paymentsOf(a.documentId);
  expect(rows).toHaveLength(1);
  expect(rows[0].mismatch).toMatch(/metadata/);
  expect(await noticesOf(rows[0].id)).toHaveLength(0);
  expect(mailsTo(a.email)).toHaveLength(0);
});

/** An invoice paid twice at Stripe (the pay page's intent and one made elsewhere), both events held back. */
async function paidTwice() {
  const first = await paidWithEmail();
  const total = first.row.total as number;
  const other = await intentMadeElsewhere(env, first.documentId, total);
  await payWith(env, other.id, 'pm_card_visa');
  const second = eventsFor(other.id, 'payment_intent.succeeded')[0] as unknown as Record<string, unknown>;
  return { ...first, total, otherPi: other.id, second };
}

it('batches over shared invoices + confirm + admin refunds + retry worker: no deadlock, booked once', async () => {
  const singles: Array<Paid & { email: string }> = [];
  for (let i = 0; i < 16; i += 1) singles.push(await paidWithEmail());
  const doubles: Array<Awaited<ReturnType<typeof paidTwice>>> = [];
  for (let i = 0; i < 8; i += 1) doubles.push(await paidTwice());
  // Two more: their pay page payment booked already, refunded by the admin while their second
  // payment's event is settled in a batch.
  const refunded = [await paidTwice(), await paidTwice()];
  for (const r of refunded) {
    const c = await env.app
      .http()
      .post(`/api/invoice-payments/invoices/${r.documentId}/confirm-payment`)
      .send({ token: r.token, providerPaymentId: r.piId });
    expect(c.status).toBeLessThan(300);
  }
  await waitForIdle(env.app.strapi, 30_000, env.standin);
  const refundedRows = await Promise.all(refunded.map(async (r) => (await paymentsOf(r.documentId))[0]));
  // Interleaved: an invoice's two payments land in different batches as often as in one.
  const firsts = [...singles.map((p) => p.succeeded), ...doubles.map((d) => d.succeeded)];
  const seconds = [...doubles.map((d) => d.second), ...refunded.map((r) => r.second)];
  const events = [...firsts, ...seconds];
  const posts = [...firsts, ...seconds, ...firsts.slice(0, 6)].map((e) => postEvent(e));
  const confirms = [...singles.filter((_, i) => i % 3 === 0), ...doubles.filter((_, i) => i % 2 === 0)].map((p) =>
    env.app
      .http()
      .post(`/api/invoice-payments/invoices/${p.documentId}/confirm-payment`)
      .send({ token: p.token, providerPaymentId: p.piId }),
  );
  const refunds = refundedRows.map((row) =>
    env.app
      .http()
      .post(`/invoice-payments/payments/${row.documentId}/refunds`)
      .set(env.admin.auth)
      .send({ idempotencyKey: `storm-${row.documentId}` }),
  );
  const workers = [webhookEvents().runDue(), webhookEvents().runDue()];
  const answers = await Promise.all(posts);
  expect(answers.every((a) => a.status === 200)).toBe(true);
  for (const c of await Promise.all(confirms)) expect(c.status).toBeLessThan(300);
  for (const r of await Promise.all(refunds)) expect(r.status).toBe(200);
  await Promise.all(workers);
  await webhookEvents().runDue();
  await waitForIdle(env.app.strapi, 60_000, env.standin);
  expect(record.keys.some((keys) => keys.length > 1)).toBe(groupCommit());
  // Every event settled at its first attempt (a deadlock or a failed batch leaves a retry behind).
  for (const e of events)
    await eventually(
      () => eventRow(e.id as string),
      (r) => r?.status === 'processed',
      20_000,
    );
  const rows = (await env.app.strapi.db.query(EVENT).findMany({
    where: { providerEventId: { $in: events.map((e) => e.id as string) } },
  })) as Array<{ providerEventId: string; status: string; attempts: number; lastError: string | null }>;
  expect(rows.filter((r) => r.attempts > 1 || r.lastError)).toEqual([]);
  for (const p of singles) await expectBookedOnce(p, p.email);
  const stripeRefunds = (await env.stripe.refunds.list({ limit: 100 })).data;
  for (const d of doubles) {
    const invoice = await eventually(
      () => readInvoice(env, d.documentId),
      (i) => i.amountPaid === 2 * d.total && i.amountRefunded === d.total,
      20_000,
    );
    expect(invoice).toMatchObject({ state: 'paid', balanceDue: 0 });
    const entries = await paymentsOf(d.documentId);
    expect(entries).toHaveLength(2);
    for (const entry of entries) {
      const notices = await eventually(
        () => noticesOf(entry.id),
        (n) => n.length === 1 && n[0]!.status === 'sent',
        20_000,
      );
      expect(notices[0]).toMatchObject({ kind: 'confirmation' });
    }
    const mine = (await env.stripe.refunds.list({ limit: 100 })).data.filter(
      (r) => r.payment_intent === d.piId || r.payment_intent === d.otherPi,
    );
    expect(mine).toHaveLength(1);
    expect(mailsTo(d.email)).toHaveLength(2);
  }
  for (const r of refunded) {
    const mine = () =>
      env.stripe.refunds
        .list({ limit: 100 })
        .then((l) => l.data.filter((x) => x.payment_intent === r.piId || x.payment_intent === r.otherPi));
    const invoice = await eventually(
      () => readInvoice(env, r.documentId),
      (i) => i.amountPaid === 2 * r.total && i.amountRefunded >= r.total,
      20_000,
    );
    // Whichever came first (the admin's refund or the second payment), each payment refunded at
    // most once and the invoice's refunded total is what Stripe refunded.
    const atStripe = await mine();
    expect(atStripe.filter((x) => x.payment_intent === r.piId)).toHaveLength(1);
    expect(atStripe.filter((x) => x.payment_intent === r.otherPi).length).toBeLessThanOrEqual(1);
    expect(invoice.amountRefunded).toBe(atStripe.reduce((sum, x) => sum + x.amount, 0));
    expect(await paymentsOf(r.documentId)).toHaveLength(2);
    expect(mailsTo(r.email)).toHaveLength(2);
  }
  expect(stripeRefunds.length).toBeGreaterThan(0);
});

const { clientUser, invoiceOf, portalPay } = portalHelpers(() => env, 'Batch', 2026);

/**
 * Failed against 6c0a6c7: holdForBatch reads every invoice of the batch at its start. A multi-invoice
 * payment whose group mark is gone (metadata edited at Stripe; settlement.applyPayment's `!result`
 * path) books its shares through payment-groups.settle, which updates invoice K1 inside the batch's
 * transaction. K1's own payment, later in the same batch, then takes the held K1 row read before
 * that (settlement.ts `takeHeld(ctx.held?.invoices, lockKey)`): recomputeLedger compares against the
 * stale state ('sent') and records a second `invoice.paid` event out (delivered to site hooks and
 * Strapi webhooks) and overwrites the invoice's paidAt. Passes against b44f4c8 (each settlement
 * read its invoice under its own lock).
 */

it('an unmarked group payment settled in the batch makes its held invoices stale: one invoice.paid, paidAt kept', async () => {
  const owner = await clientUser('batchowner');
  // The group's payment is settled first in the batch when its key (the group, named as the
  // invoice in its metadata) sorts before the invoice's: try until it does (half the time).
  let found: { k1: string; piId: string; groupKey: string } | null = null;
  for (let tries = 0; tries < 10 && !found; tries += 1) {
    const k1 = await invoiceOf(owner.id, 5000);
    const k2 = await invoiceOf(owner.id, 7000);
    const res = await portalPay(owner.id, { invoices: [k1, k2] });
    expect(res.status).toBe(201);
    const piId = res.body.data.providerPaymentId as string;
    const pi = await env.stripe.paymentIntents.retrieve(piId);
    const groupKey = pi.metadata[META_INVOICE]!;
    expect(pi.metadata.invoice_payments_group).toBeTruthy();
    if (groupKey < k1) found = { k1, piId, groupKey };
  }
  expect(found).not.toBeNull();
  const { k1, piId, groupKey } = found!;
  await payWith(env, piId, 'pm_card_visa');
  const groupEvent = eventsFor(piId, 'payment_intent.succeeded')[0] as unknown as Record<string, unknown>;
  const meta = { ...(objectOf(groupEvent).metadata as Record<string, string>) };
  delete meta.invoice_payments_group;
  const unmarked = {
    ...groupEvent,
    id: `${groupEvent.id as string}_unmarked`,
    data: { object: { ...objectOf(groupEvent), metadata: meta } },
  };
  // The same invoice paid again by a payment of its own (made elsewhere): an overpayment.
  const total = (await readInvoice(env, k1)).total as number;
  const other = await intentMadeElsewhere(env, k1, total);
  await payWith(env, other.id, 'pm_card_visa');
  const otherEvent = eventsFor(other.id, 'payment_intent.succeeded')[0] as unknown as Record<string, unknown>;
  const all = [unmarked, otherEvent];
  const answers = await postTogether(all);
  expect(answers.every((r) => r.status === 200)).toBe(true);
  await waitForIdle(env.app.strapi, 60_000, env.standin);
  for (const e of [unmarked, otherEvent])
    await eventually(
      () => eventRow(e.id as string),
      (r) => r?.status === 'processed',
      20_000,
    );
  // The attack needs both in one batch (the group's key and the invoice's held together).
  expect(record.keys.some((keys) => keys.includes(groupKey) && keys.includes(k1))).toBe(groupCommit());
  const invoice = await eventually(
    () => readInvoice(env, k1),
    (i) => i.amountPaid === 2 * total && i.amountRefunded === total,
    20_000,
  );
  expect(invoice).toMatchObject({ state: 'paid', balanceDue: 0 });
  const paidEvents = await env.app.strapi.db
    .query('plugin::invoice-payments.event-out')
    .findMany({ where: { invoiceDocumentId: k1, event: 'invoice.paid' } });
  expect(paidEvents).toHaveLength(1);
});
