import {
  bootPayments,
  eventually,
  intentMadeElsewhere,
  payableInvoice,
  payWith,
  readInvoice,
  type PaymentsEnv,
} from '../support/payments';
import { waitForIdle } from '../support/idle';
import { EVENT, NOTICE, stripeEvents, uniq } from '../support/stripe-events';
import { recordBatches } from '../support/queue-hold';
import { portalHelpers } from '../support/portal';

/**
 * Independent review of 2e97e6f: a settled batch parks the recompute of every invoice only one of
 * its events settles (settlement.parkWrites), recomputes them together at its flush
 * (invoices.recomputeLedgers: their ledgers read in two statements) and then lets each settlement
 * finish (its email's data, overpayment, audit entry, other attempts ended) from that recompute.
 * Attacked: totals and overpayments of parked invoices next to an invoice two events of the batch
 * settle (recomputed at once), an earlier payment on record, a partial payment, a voided invoice;
 * faults after the flush (in one settlement's continuation), in the flush itself and in a
 * settlement that fails while earlier ones are parked (rollback, then one by one: each settled
 * exactly once, one email, one audit entry, one invoice.paid event out); an unmarked multi-invoice
 * payment after parked singles (the batch throws and is settled one by one); batches racing the
 * retry worker, the pay page's confirm and duplicate deliveries. Run on SQLite and PostgreSQL (on
 * MySQL/MariaDB batches are not made: the same outcomes are expected, the batch checks skipped).
 * Result: every test passes against 2e97e6f on SQLite and PostgreSQL (held). They bite: with the
 * multi-invoice guard removed (settlement.ts `if (ctx.held?.writes?.parked())`) the group test fails
 * (K1 refunded twice: amountRefunded 10000, not 5000); with every invoice treated as a single
 * (webhook-events.ts `n === 1`) the first test fails (the twice-paid invoice refunded 365500).
 * Seen, not a failure today: after a failure in one settlement's continuation, Promise.all rejects
 * while the others may still run, and Strapi's rollback clears the transaction from the store they
 * share (transaction-context.js `store.trx = null`): a statement they issued then would run outside
 * any transaction. The continuations of a batch's settlements issue none (a final event lists no
 * refunds, the entry is in the ledger read), so nothing leaks now.
 */
const AUDIT = 'plugin::invoice-payments.audit-entry';
const EVENT_OUT = 'plugin::invoice-payments.event-out';
const TOTAL = 182750;

let env: PaymentsEnv;
beforeAll(async () => {
  env = await bootPayments();
});
afterAll(async () => {
  await env?.close();
});

const { eventRow, paymentsOf, eventsFor, postEvent, paidAtStripe, paidTwiceAtStripe, paidMany, postHeld } =
  stripeEvents(() => env);
type Paid = Awaited<ReturnType<typeof paidAtStripe>>;

const plugin = () => env.app.strapi.plugin('invoice-payments');
type Fn = (...args: never[]) => Promise<unknown>;
const serviceOf = (name: string) => plugin().service(name) as unknown as Record<string, Fn>;
const webhookEvents = () => plugin().service('webhook-events') as { runDue(limit?: number): Promise<number> };
const groupCommit = () => env.app.strapi.db.dialect.client !== 'mysql';

/**
 * Replaces a plugin service's method (its callers look it up on the service at each call) until
 * the returned function restores it.
 */
function wrap<A extends unknown[], R>(
  service: string,
  method: string,
  make: (original: (...args: A) => Promise<R>) => (...args: A) => Promise<R>,
): () => void {
  const target = serviceOf(service);
  const original = target[method] as unknown as (...args: A) => Promise<R>;
  const bound = original.bind(target);
  target[method] = make(bound) as unknown as Fn;
  return () => {
    target[method] = original as unknown as Fn;
  };
}

/** The batches holdForBatch was called for, and the flushes of parked recomputes (their sizes). */
let batches: { keys: string[][] };
const flushes: number[] = [];
/** The HeldForBatch of the batch running now (settlement.parkWrites' argument). */
type Writes = { parked(): number; parks(documentId: string): boolean };
let currentHeld: { writes?: Writes } | null = null;
beforeAll(() => {
  batches = recordBatches(env);
  wrap<[readonly unknown[]], unknown>('invoices', 'recomputeLedgers', (original) => async (locked) => {
    flushes.push(locked.length);
    return original(locked);
  });
  const settlement = plugin().service('settlement') as unknown as {
    parkWrites(held: { writes?: Writes }, singles: ReadonlySet<string>): unknown;
  };
  const park = settlement.parkWrites.bind(settlement);
  settlement.parkWrites = (held, singles) => {
    const made = park(held, singles);
    currentHeld = held;
    return made;
  };
});

beforeEach(async () => {
  env.standin.control.setWebhook({ enabled: false });
  await waitForIdle(env.app.strapi, 10_000, env.standin);
  batches.keys = [];
  flushes.length = 0;
  currentHeld = null;
});

const mailsTo = (email: string) => env.smtp.mails.filter((m) => m.to.includes(email));
const noticesOf = (paymentId: number) =>
  env.app.strapi.db.query(NOTICE).findMany({ where: { paymentId } }) as Promise<
    Array<{ id: number; kind: string; status: string }>
  >;
const refundsAtStripe = async (...piIds: string[]) =>
  (await env.stripe.refunds.list({ limit: 100 })).data.filter((r) => piIds.includes(r.payment_intent as string));
const eventsOut = (documentId: string, event: string) =>
  env.app.strapi.db.query(EVENT_OUT).findMany({ where: { invoiceDocumentId: documentId, event } }) as Promise<
    unknown[]
  >;
const audits = (documentId: string, action: string) =>
  env.app.strapi.db.query(AUDIT).findMany({ where: { invoiceDocumentId: documentId, action } }) as Promise<unknown[]>;

/** The batch path was taken and recomputes were parked and flushed together (SQLite, PostgreSQL). */
function expectParkedBatch(minFlush = 2) {
  expect(batches.keys.some((keys) => keys.length > 1)).toBe(groupCommit());
  expect(flushes.some((n) => n >= minFlush)).toBe(groupCommit());
}

/** Every event processed at its first attempt (a failed batch's claims roll back with it). */
async function expectProcessed(events: Array<Record<string, unknown>>) {
  for (const e of events) {
    const row = await eventually(
      () => eventRow(e.id as string),
      (r) => r?.status === 'processed',
      20_000,
      `event ${e.id as string} processed`,
    );
    expect({ id: e.id, attempts: row.attempts, lastError: row.lastError ?? null }).toEqual({
      id: e.id,
      attempts: 1,
      lastError: null,
    });
  }
}

/** Paid once: one ledger entry, one confirmation (sent), one email, one invoice.paid, one audit entry. */
async function expectBookedOnce(p: Paid, email: string) {
  const invoice = await readInvoice(env, p.documentId);
  expect(invoice).toMatchObject({ state: 'paid', balanceDue: 0, amountPaid: TOTAL, amountRefunded: 0 });
  const rows = await paymentsOf(p.documentId);
  expect(rows).toHaveLength(1);
  const notices = await noticesOf(rows[0].id);
  expect(notices).toEqual([expect.objectContaining({ kind: 'confirmation', status: 'sent' })]);
  expect(mailsTo(email)).toHaveLength(1);
  expect(mailsTo(email)[0]!.raw).toContain(invoice.number as string);
  expect(await eventsOut(p.documentId, 'invoice.paid')).toHaveLength(1);
  expect(await audits(p.documentId, 'payment.succeeded')).toHaveLength(1);
  expect(await refundsAtStripe(p.piId)).toHaveLength(0);
  // The event is marked with the invoice its settlement returned (the flush's, for a parked one).
  expect(await eventRow(p.succeeded.id as string)).toMatchObject({
    status: 'processed',
    invoiceDocumentId: p.documentId,
  });
}

/** An invoice with a payment made elsewhere of `amount` paid at Stripe; its event held back. */
async function paidElsewhere(documentId: string, amount: number) {
  const pi = await intentMadeElsewhere(env, documentId, amount);
  await payWith(env, pi.id, 'pm_card_visa');
  const event = eventsFor(pi.id, 'payment_intent.succeeded')[0] as unknown as Record<string, unknown>;
  expect(event).toBeDefined();
  return { piId: pi.id, event };
}

it('one batch: parked singles beside an invoice paid twice, an earlier payment on record, a partial, a void', async () => {
  const singles = await paidMany(3, 'rs');
  const twice = await paidTwiceAtStripe(`rt${uniq()}@example.test`);
  // An invoice with an earlier payment on record (booked before the batch): its second payment in
  // the batch overpays it by what was paid earlier.
  const earlierEmail = `re${uniq()}@example.test`;
  const earlier = await payableInvoice(env, { billingEmail: earlierEmail });
  const first = await paidElsewhere(earlier.documentId, 50_000);
  expect((await postEvent(first.event)).status).toBe(200);
  await waitForIdle(env.app.strapi, 20_000, env.standin);
  expect(await readInvoice(env, earlier.documentId)).toMatchObject({ state: 'partially_paid', amountPaid: 50_000 });
  const second = await paidElsewhere(earlier.documentId, TOTAL);
  // A partial payment: the invoice stays partially paid, nothing refunded.
  const partial = await payableInvoice(env, { billingEmail: `rp${uniq()}@example.test` });
  const part = await paidElsewhere(partial.documentId, 60_000);
  // Paid at Stripe, voided by the admin before its event arrives.
  const voidedEmail = `rv${uniq()}@example.test`;
  const voidedPaid = await paidAtStripe(voidedEmail);
  const voided = await env.app
    .http()
    .post(`/invoice-payments/invoices/${voidedPaid.documentId}/void`)
    .set(env.admin.auth)
    .send({ reason: 'client cancelled' });
  const all = [
    ...singles.map((s) => s.succeeded),
    twice.evA,
    twice.evB,
    second.event,
    part.event,
    voidedPaid.succeeded,
  ];
  await postHeld(all);
  await waitForIdle(env.app.strapi, 60_000, env.standin);
  expectParkedBatch(3);
  await expectProcessed(all.filter((e) => e !== voidedPaid.succeeded));
  for (const s of singles) await expectBookedOnce(s, s.email);

  // Two payments on one invoice in the batch (recomputed at once): the excess refunded once.
  const twiceInvoice = await eventually(
    () => readInvoice(env, twice.inv.documentId),
    (i) => i.amountRefunded === twice.total,
    20_000,
  );
  expect(twiceInvoice).toMatchObject({ state: 'paid', balanceDue: 0, amountPaid: 2 * twice.total });
  const twiceRefunds = await refundsAtStripe(twice.first, twice.other.id);
  expect(twiceRefunds.map((r) => r.amount)).toEqual([twice.total]);
  expect(await audits(twice.inv.documentId, 'payment.overpaid')).toHaveLength(1);
  expect(await eventsOut(twice.inv.documentId, 'invoice.paid')).toHaveLength(1);

  // The earlier payment counts: the batch's payment overpaid by 50,000, refunded once, exactly that.
  const earlierInvoice = await eventually(
    () => readInvoice(env, earlier.documentId),
    (i) => i.amountRefunded === 50_000,
    20_000,
    'the earlier invoice refunded 50,000',
  );
  expect(earlierInvoice).toMatchObject({ state: 'paid', balanceDue: 0, amountPaid: 50_000 + TOTAL });
  expect((await refundsAtStripe(first.piId, second.piId)).map((r) => [r.payment_intent, r.amount])).toEqual([
    [second.piId, 50_000],
  ]);
  expect(await audits(earlier.documentId, 'payment.overpaid')).toHaveLength(1);
  expect(await paymentsOf(earlier.documentId)).toHaveLength(2);

  // The partial payment: partially paid, the balance what is left, nothing refunded.
  expect(await readInvoice(env, partial.documentId)).toMatchObject({
    state: 'partially_paid',
    amountPaid: 60_000,
    amountRefunded: 0,
    balanceDue: TOTAL - 60_000,
  });
  expect(await refundsAtStripe(part.piId)).toHaveLength(0);
  expect(await audits(partial.documentId, 'payment.overpaid')).toHaveLength(0);
  expect(await paymentsOf(partial.documentId)).toHaveLength(1);

  // The voided invoice: all of what arrived is refunded, once (or the void was refused: paid).
  await eventually(
    () => eventRow(voidedPaid.succeeded.id as string),
    (r) => r?.status === 'processed' || r?.status === 'ignored',
    15_000,
  );
  const voidInvoice = await readInvoice(env, voidedPaid.documentId);
  const voidRefunds = await refundsAtStripe(voidedPaid.piId);
  if (voidInvoice.state === 'void') {
    expect(voidRefunds.map((r) => r.amount)).toEqual([TOTAL]);
    expect(voidInvoice.amountRefunded).toBe(TOTAL);
  } else {
    expect(voided.status).toBeGreaterThanOrEqual(400);
    expect(voidInvoice).toMatchObject({ state: 'paid', amountPaid: TOTAL });
    expect(voidRefunds).toHaveLength(0);
  }
  expect(await paymentsOf(voidedPaid.documentId)).toHaveLength(1);
  expect(mailsTo(voidedEmail).length).toBeLessThanOrEqual(1);
});

/**
 * A batch that fails after some of its recomputes are parked: it rolls back and each event is
 * settled one by one, exactly once (one entry, one email, one audit entry, one invoice.paid),
 * the overpaid invoice of the batch refunded once.
 */
async function faultedBatch(arm: () => { hit: () => boolean; restore: () => void }) {
  const singles = await paidMany(4, 'rf');
  const twice = await paidTwiceAtStripe(`rft${uniq()}@example.test`);
  const all = [...singles.map((s) => s.succeeded), twice.evA, twice.evB];
  const fault = arm();
  try {
    await postHeld(all);
    await waitForIdle(env.app.strapi, 60_000, env.standin);
  } finally {
    fault.restore();
  }
  // The fault struck a batch (SQLite, PostgreSQL): the attack reached the code under review.
  expect(fault.hit()).toBe(groupCommit());
  await expectProcessed(all);
  for (const s of singles) await expectBookedOnce(s, s.email);
  const invoice = await eventually(
    () => readInvoice(env, twice.inv.documentId),
    (i) => i.amountRefunded === twice.total,
    20_000,
  );
  expect(invoice).toMatchObject({ state: 'paid', balanceDue: 0, amountPaid: 2 * twice.total });
  expect((await refundsAtStripe(twice.first, twice.other.id)).map((r) => r.amount)).toEqual([twice.total]);
  expect(await audits(twice.inv.documentId, 'payment.overpaid')).toHaveLength(1);
  expect(await audits(twice.inv.documentId, 'payment.succeeded')).toHaveLength(2);
  expect(await eventsOut(twice.inv.documentId, 'invoice.paid')).toHaveLength(1);
  for (const row of await paymentsOf(twice.inv.documentId))
    expect((await noticesOf(row.id)).filter((n) => n.kind === 'confirmation')).toHaveLength(1);
}

it('a settlement fails in its continuation after the flush: rollback, one by one, each settled once', async () => {
  await faultedBatch(() => {
    let armed = true;
    let hit = false;
    // recordRefunded runs right after each settlement's recompute: the first call after a flush of
    // two or more parked invoices fails once.
    const restore = wrap<[unknown], unknown>('refunds', 'recordRefunded', (original) => async (refunded) => {
      if (armed && (flushes.at(-1) ?? 0) >= 2) {
        armed = false;
        hit = true;
        throw new Error('injected: continuation after the flush');
      }
      return original(refunded);
    });
    return { hit: () => hit, restore };
  });
});

it('the flush fails after writing every parked invoice: rollback, one by one, each settled once', async () => {
  await faultedBatch(() => {
    let armed = true;
    let hit = false;
    const restore = wrap<[readonly unknown[]], unknown>(
      'invoices',
      'recomputeLedgers',
      (original) => async (locked) => {
        if (armed && locked.length >= 2) {
          armed = false;
          hit = true;
          // Every parked invoice written (totals, invoice.paid events out), then a failure.
          await original(locked);
          throw new Error('injected: the flush, after its writes');
        }
        return original(locked);
      },
    );
    return { hit: () => hit, restore };
  });
});

it('a settlement fails before its recompute while two others are parked: rollback, one by one, no hang', async () => {
  await faultedBatch(() => {
    let armed = true;
    let hit = false;
    // applyProviderRefunds runs before each settlement's recompute. The first single of a batch of
    // three or more to reach it (after the entries' flush, with the others resumed) waits until two
    // others parked their recompute, then fails: how far they got no longer depends on timing.
    const restore = wrap<unknown[], unknown>('refunds', 'applyProviderRefunds', (original) => async (...args) => {
      const writes = currentHeld?.writes;
      const singles = new Set(batches.keys.at(-1) ?? []);
      const enough = writes ? [...singles].filter((key) => writes.parks(key)).length >= 3 : false;
      if (armed && enough && writes?.parks(args[1] as string)) {
        armed = false;
        const until = Date.now() + 10_000;
        while (writes.parked() < 2) {
          if (Date.now() > until) throw new Error('injected: two others never parked (fault missed)');
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        hit = true;
        throw new Error('injected: a settlement before it parks');
      }
      return original(...args);
    });
    return { hit: () => hit, restore };
  });
});

const META_INVOICE = 'invoice_payments_invoice';
const objectOf = (event: Record<string, unknown>) => (event.data as { object: Record<string, unknown> }).object;
const { clientUser, invoiceOf, portalPay } = portalHelpers(() => env, 'Park', 2026);

it('an unmarked multi-invoice payment after parked singles: the batch is settled one by one, each once', async () => {
  const owner = await clientUser('parkowner');
  // K1's own payment (below) is settled before the group's when K1's key sorts before the group's
  // (named as the invoice in its metadata): its recompute is parked when the group books on K1.
  // Made until it does (half the time, by their random document ids), with a key in the second
  // half of the alphabet, so that singles made below sort before it half the time too (a key
  // starting with "b" left too few of them: a flaky test).
  let found: { k1: string; k2: string; piId: string; groupKey: string } | null = null;
  for (let tries = 0; tries < 40 && !found; tries += 1) {
    const a = await invoiceOf(owner.id, 5000);
    const b = await invoiceOf(owner.id, 7000);
    const made = await portalPay(owner.id, { invoices: [a, b] });
    expect(made.status).toBe(201);
    const id = made.body.data.providerPaymentId as string;
    const key = (await env.stripe.paymentIntents.retrieve(id)).metadata[META_INVOICE]!;
    if (a < key && key >= 'n') found = { k1: a, k2: b, piId: id, groupKey: key };
  }
  expect(found).not.toBeNull();
  const { k1, k2, piId, groupKey } = found!;
  await payWith(env, piId, 'pm_card_visa');
  const groupEvent = eventsFor(piId, 'payment_intent.succeeded')[0] as unknown as Record<string, unknown>;
  const meta = { ...(objectOf(groupEvent).metadata as Record<string, string>) };
  delete meta.invoice_payments_group;
  const unmarked = {
    ...groupEvent,
    id: `${groupEvent.id as string}_unmarked`,
    data: { object: { ...objectOf(groupEvent), metadata: meta } },
  };
  // Singles settled before the group's payment (their keys sort before the group's): parked when
  // it comes. Made until two do (half of them, by their random document ids).
  const before: Array<Paid & { email: string }> = [];
  const after: Array<Paid & { email: string }> = [];
  for (let tries = 0; tries < 40 && before.length < 2; tries += 1) {
    const [p] = await paidMany(1, 'rg');
    (p!.documentId < groupKey ? before : after).push(p!);
  }
  expect(before.length).toBe(2);
  // K1 paid again by a payment of its own: overpaid, refunded once.
  const other = await paidElsewhere(k1, 5000);
  let sawParkedGroup = false;
  const restore = wrap<unknown[], unknown>('payment-groups', 'findGroupFor', (original) => async (...args) => {
    if ((currentHeld?.writes?.parked() ?? 0) > 0) sawParkedGroup = true;
    return original(...args);
  });
  const singles = [...before, ...after.slice(0, 2)];
  const all = [...singles.map((s) => s.succeeded), unmarked, other.event];
  try {
    await postHeld(all);
    await waitForIdle(env.app.strapi, 60_000, env.standin);
  } finally {
    restore();
  }
  expect(sawParkedGroup).toBe(groupCommit());
  await expectProcessed(all);
  for (const s of singles) await expectBookedOnce(s, s.email);
  const k2Invoice = await readInvoice(env, k2);
  expect(k2Invoice).toMatchObject({ state: 'paid', balanceDue: 0, amountRefunded: 0 });
  const k1Invoice = await eventually(
    () => readInvoice(env, k1),
    (i) => i.amountRefunded > 0,
    20_000,
    'k1 refunded',
  );
  expect(k1Invoice).toMatchObject({ state: 'paid', balanceDue: 0, amountRefunded: k1Invoice.total });
  expect(k1Invoice.amountPaid).toBe(2 * (k1Invoice.total as number));
  const refunds = await refundsAtStripe(piId, other.piId);
  expect(refunds.map((r) => r.amount)).toEqual([k1Invoice.total]);
  for (const k of [k1, k2]) expect(await eventsOut(k, 'invoice.paid')).toHaveLength(1);
  expect(await audits(k1, 'payment.overpaid')).toHaveLength(1);
});

it('batches racing two retry workers, the pay page confirm and duplicate deliveries: each booked once', async () => {
  const singles = await paidMany(10, 'rr');
  const doubles = [
    await paidTwiceAtStripe(`rd${uniq()}@example.test`),
    await paidTwiceAtStripe(`rd${uniq()}@example.test`),
    await paidTwiceAtStripe(`rd${uniq()}@example.test`),
  ];
  const firsts = singles.map((s) => s.succeeded);
  const seconds = doubles.flatMap((d) => [d.evA, d.evB]);
  const events = [...firsts, ...seconds];
  const posts = [...events, ...firsts.slice(0, 5), doubles[0]!.evB].map((e) => postEvent(e));
  const confirms = [...singles.filter((_, i) => i % 2 === 0), ...doubles.map((d) => d.inv)].map((p) =>
    env.app
      .http()
      .post(`/api/invoice-payments/invoices/${p.documentId}/confirm-payment`)
      .send({ token: p.token, providerPaymentId: p.piId }),
  );
  const workers = [webhookEvents().runDue(), webhookEvents().runDue()];
  const answers = await Promise.all(posts);
  expect(answers.every((a) => a.status === 200)).toBe(true);
  for (const c of await Promise.all(confirms)) expect(c.status).toBeLessThan(300);
  await Promise.all(workers);
  await webhookEvents().runDue();
  await waitForIdle(env.app.strapi, 60_000, env.standin);
  expect(batches.keys.some((keys) => keys.length > 1)).toBe(groupCommit());
  for (const e of events)
    await eventually(
      () => eventRow(e.id as string),
      (r) => r?.status === 'processed',
      20_000,
    );
  const rows = (await env.app.strapi.db.query(EVENT).findMany({
    where: { providerEventId: { $in: events.map((e) => e.id as string) } },
  })) as Array<{ providerEventId: string; attempts: number; lastError: string | null }>;
  expect(rows.filter((r) => r.attempts > 1 || r.lastError)).toEqual([]);
  for (const s of singles) await expectBookedOnce(s, s.email);
  for (const d of doubles) {
    const invoice = await eventually(
      () => readInvoice(env, d.inv.documentId),
      (i) => i.amountRefunded === d.total,
      20_000,
    );
    expect(invoice).toMatchObject({ state: 'paid', balanceDue: 0, amountPaid: 2 * d.total });
    expect((await refundsAtStripe(d.first, d.other.id)).map((r) => r.amount)).toEqual([d.total]);
    expect(await eventsOut(d.inv.documentId, 'invoice.paid')).toHaveLength(1);
    expect(await audits(d.inv.documentId, 'payment.overpaid')).toHaveLength(1);
    const entries = await paymentsOf(d.inv.documentId);
    expect(entries).toHaveLength(2);
    for (const entry of entries)
      expect((await noticesOf(entry.id)).filter((n) => n.kind === 'confirmation')).toHaveLength(1);
  }
});

/** An invoice in `currency` paid by card through the pay page at the stand-in; its event held back. */
async function paidIn(currency: string, unitAmount: number) {
  const email = `cur${uniq()}@example.test`;
  const inv = await payableInvoice(env, {
    billingEmail: email,
    currency,
    lineItems: [{ description: 'x', quantity: 1, unitAmount }],
  });
  const res = await env.app
    .http()
    .post(`/api/invoice-payments/invoices/${inv.documentId}/payment-intent`)
    .send({ token: inv.token });
  expect(res.status).toBe(200);
  const piId = res.body.data.providerPaymentId as string;
  await payWith(env, piId, 'pm_card_visa');
  const event = eventsFor(piId, 'payment_intent.succeeded')[0] as unknown as Record<string, unknown>;
  expect(event).toBeDefined();
  return { ...inv, email, piId, event };
}

it('JPY and KWD invoices parked in one batch, one of them paid twice: totals in their minor units, excess refunded once', async () => {
  const jpy = await paidIn('JPY', 4500);
  const kwd = await paidIn('KWD', 12340);
  const kwdTwice = await paidIn('KWD', 12340);
  const other = await env.stripe.paymentIntents.create({
    amount: 12340,
    currency: 'kwd',
    metadata: {
      invoice_payments_invoice: kwdTwice.documentId,
      invoice_payments_number: 'X',
      invoice_payments_portion: '12340',
      invoice_payments_fee: '0',
    },
  });
  await payWith(env, other.id, 'pm_card_visa');
  const otherEvent = eventsFor(other.id, 'payment_intent.succeeded')[0] as unknown as Record<string, unknown>;
  const [usd] = await paidMany(1, 'cu');
  const all = [jpy.event, kwd.event, kwdTwice.event, otherEvent, usd!.succeeded];
  await postHeld(all);
  await waitForIdle(env.app.strapi, 60_000, env.standin);
  expectParkedBatch(3);
  await expectProcessed(all);
  await expectBookedOnce(usd!, usd!.email);
  expect(await readInvoice(env, jpy.documentId)).toMatchObject({
    state: 'paid',
    currency: 'JPY',
    total: 4500,
    amountPaid: 4500,
    balanceDue: 0,
    amountRefunded: 0,
  });
  expect(await readInvoice(env, kwd.documentId)).toMatchObject({
    state: 'paid',
    currency: 'KWD',
    total: 12340,
    amountPaid: 12340,
    balanceDue: 0,
    amountRefunded: 0,
  });
  expect(await refundsAtStripe(jpy.piId, kwd.piId)).toHaveLength(0);
  for (const p of [jpy, kwd]) expect(mailsTo(p.email)).toHaveLength(1);
  const twice = await eventually(
    () => readInvoice(env, kwdTwice.documentId),
    (i) => i.amountRefunded === 12340,
    20_000,
  );
  expect(twice).toMatchObject({ state: 'paid', amountPaid: 24680, balanceDue: 0 });
  expect((await refundsAtStripe(kwdTwice.piId, other.id)).map((r) => [r.amount, r.currency])).toEqual([[12340, 'kwd']]);
});

it('the pay page confirm and the retry worker arrive while recomputes are parked: each booked once, one email', async () => {
  const singles = await paidMany(4, 'rc');
  const twice = await paidTwiceAtStripe(`rct${uniq()}@example.test`);
  const all = [...singles.map((s) => s.succeeded), twice.evA, twice.evB];
  const racing: Array<Promise<unknown>> = [];
  let armed = true;
  // At the flush (every settlement of the batch has written its entry, none is recomputed yet), the
  // pay page confirms each parked invoice's payment and the retry worker runs: both must wait for
  // the batch's locks and claims and then find everything booked.
  const restore = wrap<[readonly unknown[]], unknown>('invoices', 'recomputeLedgers', (original) => async (locked) => {
    if (armed && locked.length >= 2) {
      armed = false;
      for (const p of [...singles, twice.inv])
        racing.push(
          env.app
            .http()
            .post(`/api/invoice-payments/invoices/${p.documentId}/confirm-payment`)
            .send({ token: p.token, providerPaymentId: p.piId })
            .then((r) => r.status),
        );
      racing.push(webhookEvents().runDue());
      // Lets the racing requests reach their locks: nothing signals a request waiting on one (no
      // assertion waits on this; a request arriving later only races less).
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    return original(locked);
  });
  try {
    await postHeld(all);
    await waitForIdle(env.app.strapi, 60_000, env.standin);
  } finally {
    restore();
  }
  expect(armed).toBe(!groupCommit());
  const answers = await Promise.all(racing);
  for (const status of answers.slice(0, -1)) expect(status as number).toBeLessThan(300);
  await waitForIdle(env.app.strapi, 30_000, env.standin);
  await expectProcessed(all);
  for (const s of singles) await expectBookedOnce(s, s.email);
  const invoice = await eventually(
    () => readInvoice(env, twice.inv.documentId),
    (i) => i.amountRefunded === twice.total,
    20_000,
  );
  expect(invoice).toMatchObject({ state: 'paid', balanceDue: 0, amountPaid: 2 * twice.total });
  expect((await refundsAtStripe(twice.first, twice.other.id)).map((r) => r.amount)).toEqual([twice.total]);
  expect(await eventsOut(twice.inv.documentId, 'invoice.paid')).toHaveLength(1);
});
