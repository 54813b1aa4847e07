import {
  bootPayments,
  intentMadeElsewhere,
  payableInvoice,
  payWith,
  readInvoice,
  type PaymentsEnv,
} from '../support/payments';
import { waitForIdle } from '../support/idle';
import { recordBatches } from '../support/queue-hold';
import { NOTICE, stripeEvents, uniq } from '../support/stripe-events';

/**
 * A settled batch does the writes of the invoices only one of its events settles together, once
 * all of them reached each (settlement.parkWrites): their ledger entries (new ones in one INSERT
 * and their invoice links in another, existing ones in one statement), then their recomputes
 * (ledgers read in two statements, invoices written in one: invoices.recomputeLedgers). An invoice
 * two events settle is written after each, so the second sees what the first booked. A failure
 * after writes were parked rolls the batch back and each event is settled on its own, once.
 * Batches are one transaction on SQLite and PostgreSQL only: on MySQL/MariaDB the same events
 * settle one by one and the outcomes asserted here hold all the same.
 */
const AUDIT = 'plugin::invoice-payments.audit-entry';
const OUT = 'plugin::invoice-payments.event-out';

let env: PaymentsEnv;
beforeAll(async () => {
  env = await bootPayments();
});
afterAll(async () => {
  await env?.close();
});
const { paymentsOf, paidMany, paidTwiceAtStripe, postHeld } = stripeEvents(() => env);
const strapi = () => env.app.strapi;
const batched = () => strapi().db.dialect.client !== 'mysql';

interface Invoices {
  recomputeLedgers(locked: ReadonlyArray<{ documentId: string }>): Promise<unknown[]>;
}
/** The invoices each call of recomputeLedgers got (the batch's parked recomputes), in call order. */
function recordFlushes(): { calls: string[][]; restore(): void } {
  const invoices = strapi().plugin('invoice-payments').service('invoices') as Invoices;
  const original = invoices.recomputeLedgers;
  const record = {
    calls: [] as string[][],
    restore: () => {
      invoices.recomputeLedgers = original;
    },
  };
  invoices.recomputeLedgers = (locked) => {
    record.calls.push(locked.map((i) => i.documentId));
    return original.call(invoices, locked);
  };
  return record;
}

/**
 * The warnings of batches that failed and were settled one by one (webhook-events settleFinals):
 * a batch's writes that throw are not seen in its outcomes, which the fallback gets right too.
 */
function recordFallbacks(): { messages: string[]; restore(): void } {
  const log = strapi().log as unknown as { warn: (...args: unknown[]) => unknown };
  const original = log.warn;
  const record = {
    messages: [] as string[],
    restore: () => {
      log.warn = original;
    },
  };
  log.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].includes('settled one by one')) record.messages.push(args[0]);
    return original.apply(log, args);
  };
  return record;
}

/**
 * Makes `method` of a plugin service fail once, at its first call once `armed()` is true, then
 * behave again; `failed()` says whether it did.
 */
function failOnce(service: string, method: string, armed: () => boolean): { failed(): boolean; restore(): void } {
  const target = strapi().plugin('invoice-payments').service(service) as Record<string, (...a: unknown[]) => unknown>;
  const original = target[method]!;
  let failed = false;
  target[method] = async (...args: unknown[]) => {
    if (!failed && armed()) {
      failed = true;
      throw new Error(`${method} failed (injected by the test)`);
    }
    return original.apply(target, args);
  };
  return {
    failed: () => failed,
    restore: () => {
      target[method] = original;
    },
  };
}

beforeEach(async () => {
  env.standin.control.setWebhook({ enabled: false });
  await waitForIdle(strapi(), 10_000, env.standin);
});

/** Each invoice paid once: one confirmation email, one payment.succeeded audit entry, one invoice.paid event out. */
async function expectPaidOnce(paid: Array<{ documentId: string; email: string }>) {
  for (const p of paid) {
    expect(await readInvoice(env, p.documentId)).toMatchObject({ state: 'paid', balanceDue: 0, amountPaid: 182750 });
    const rows = await paymentsOf(p.documentId);
    expect(rows).toEqual([expect.objectContaining({ status: 'succeeded', amount: 182750 })]);
    const notices = await strapi()
      .db.query(NOTICE)
      .findMany({ where: { paymentId: rows[0].id } });
    expect(notices).toEqual([expect.objectContaining({ kind: 'confirmation', status: 'sent' })]);
    expect(env.smtp.mails.filter((m) => m.to.includes(p.email))).toHaveLength(1);
    expect(
      await strapi()
        .db.query(AUDIT)
        .count({ where: { action: 'payment.succeeded', invoiceDocumentId: p.documentId } }),
    ).toBe(1);
    expect(
      await strapi()
        .db.query(OUT)
        .count({ where: { event: 'invoice.paid', invoiceDocumentId: p.documentId } }),
    ).toBe(1);
  }
}

it('singles are recomputed together; an invoice paid twice in the same batch refunds exactly the excess, once', async () => {
  const batches = recordBatches(env);
  const flushes = recordFlushes();
  const fallbacks = recordFallbacks();
  try {
    const paid = await paidMany(5, `single${uniq()}`);
    const twice = await paidTwiceAtStripe();
    await postHeld([
      ...paid.slice(0, 2).map((p) => p.succeeded),
      twice.evA,
      ...paid.slice(2).map((p) => p.succeeded),
      twice.evB,
    ]);
    await waitForIdle(strapi(), 60_000, env.standin);

    await expectPaidOnce(paid);
    // The invoice paid twice: both payments booked, the second one's whole amount refunded once.
    const rows = await paymentsOf(twice.inv.documentId);
    expect(rows).toHaveLength(2);
    const refunds = (await env.stripe.refunds.list({ limit: 100 })).data.filter(
      (r) => r.payment_intent === twice.first || r.payment_intent === twice.other.id,
    );
    expect(refunds).toHaveLength(1);
    expect(refunds[0]!.amount).toBe(twice.total);
    expect(
      await strapi()
        .db.query(AUDIT)
        .count({ where: { action: 'payment.overpaid', invoiceDocumentId: twice.inv.documentId } }),
    ).toBe(1);
    expect(await readInvoice(env, twice.inv.documentId)).toMatchObject({ state: 'paid', balanceDue: 0 });
    // No other invoice was refunded anything.
    for (const p of paid)
      expect((await env.stripe.refunds.list({ limit: 100 })).data.some((r) => r.payment_intent === p.piId)).toBe(false);

    if (batched()) {
      // All seven events went in one batch after the opener's, and its five singles were recomputed
      // together (the invoice paid twice is not among them: it is recomputed after each payment).
      const batch = batches.keys.find((keys) => keys.includes(twice.inv.documentId));
      expect(batch).toBeDefined();
      for (const p of paid) expect(batch).toContain(p.documentId);
      const flush = flushes.calls.find((call) => call.includes(paid[0]!.documentId));
      expect(flush).toBeDefined();
      expect([...flush!].sort()).toEqual(paid.map((p) => p.documentId).sort());
    } else {
      expect(flushes.calls).toEqual([]);
    }
    expect(fallbacks.messages).toEqual([]);
  } finally {
    flushes.restore();
    fallbacks.restore();
  }
});

it.each([
  ['the flush of the parked recomputes', 'invoices', 'recomputeLedgers'],
  ['a settlement after its parked recompute was done', 'refunds', 'recordRefunded'],
])('%s fails: the batch rolls back and each event is settled on its own, once', async (_, service, method) => {
  const paid = await paidMany(4, `fault${uniq()}`);
  // Armed once the batch of these four holds their invoices (not in the opener's batch before it).
  const batches = recordBatches(env);
  const fault = failOnce(service, method, () => batches.keys.some((keys) => keys.includes(paid[0]!.documentId)));
  try {
    await postHeld(paid.map((p) => p.succeeded));
    await waitForIdle(strapi(), 60_000, env.standin);
  } finally {
    fault.restore();
  }
  // Only the batch path parks recomputes (and meets the fault): MySQL/MariaDB make no batch.
  expect(fault.failed()).toBe(batched());
  await expectPaidOnce(paid);
  for (const p of paid) {
    const row = await strapi()
      .db.query('plugin::invoice-payments.webhook-event')
      .findOne({ where: { providerEventId: p.succeeded.id as string } });
    expect(row).toMatchObject({ status: 'processed' });
  }
});

/**
 * Writes a row's plain attributes back through Strapi's own update, with the values Strapi reads
 * of them, and returns its raw columns before and after: equal when the row was stored as Strapi
 * stores those values (JSON columns are left out: their text may be formatted differently).
 */
async function rewrittenByStrapi(uid: string, id: number) {
  const { tableName, attributes } = strapi().db.metadata.get(uid as never) as unknown as {
    tableName: string;
    attributes: Record<string, { type: string }>;
  };
  const raw = async () => (await strapi().db.connection(tableName).where('id', id).first()) as Record<string, unknown>;
  const before = await raw();
  const read = (await strapi()
    .db.query(uid as never)
    .findOne({ where: { id } })) as Record<string, unknown>;
  const data: Record<string, unknown> = {};
  for (const [name, attribute] of Object.entries(attributes)) {
    if (['relation', 'increments', 'json'].includes(attribute.type) || name === 'id') continue;
    const value = read[name];
    data[name] = attribute.type === 'datetime' && typeof value === 'string' ? new Date(value) : value;
  }
  await strapi()
    .db.query(uid as never)
    .updateMany({ where: { id }, data });
  return { before, after: await raw() };
}

it('the entries and invoices a batch writes together are stored as Strapi itself stores them (same column values)', async () => {
  const flushes = recordFlushes();
  const fallbacks = recordFallbacks();
  const paid = await paidMany(3, `stored${uniq()}`);
  try {
    await postHeld(paid.map((p) => p.succeeded));
    await waitForIdle(strapi(), 60_000, env.standin);
    if (batched()) expect(flushes.calls.some((call) => call.includes(paid[0]!.documentId))).toBe(true);
    // The batch's writes went through (a failure would be settled one by one, unseen otherwise).
    expect(fallbacks.messages).toEqual([]);
  } finally {
    flushes.restore();
    fallbacks.restore();
  }
  for (const p of paid) {
    const invoice = await readInvoice(env, p.documentId);
    const entry = (await paymentsOf(p.documentId))[0];
    // The pay page made the entry; the batch wrote the payment's outcome on it (updateRows).
    expect(entry).toMatchObject({ status: 'succeeded', providerPaymentId: p.piId });
    for (const [uid, id] of [
      ['plugin::invoice-payments.invoice', invoice.id as number],
      ['plugin::invoice-payments.payment', entry.id as number],
    ] as const) {
      const { before, after } = await rewrittenByStrapi(uid, id);
      expect(before.paid_at).not.toBeNull();
      expect(after).toEqual(before);
    }
  }
});

/** Invoices paid by PaymentIntents made outside the pay page: no ledger entry until their events. */
async function paidElsewhere(n: number) {
  const paid: Array<{ documentId: string; piId: string; total: number; succeeded: Record<string, unknown> }> = [];
  for (let i = 0; i < n; i += 1) {
    const inv = await payableInvoice(env, { billingEmail: `elsewhere${uniq()}@example.test` });
    const total = inv.row.total as number;
    const pi = await intentMadeElsewhere(env, inv.documentId, total);
    await payWith(env, pi.id, 'pm_card_visa');
    const [succeeded] = env.standin.control
      .events()
      .filter(
        (e) => e.type === 'payment_intent.succeeded' && (e.data as { object: { id: string } }).object.id === pi.id,
      );
    paid.push({
      documentId: inv.documentId,
      piId: pi.id,
      total,
      succeeded: succeeded as unknown as Record<string, unknown>,
    });
  }
  return paid;
}

it('new ledger entries of a batch are inserted together, each on its own invoice, last in its list', async () => {
  const flushes = recordFlushes();
  const fallbacks = recordFallbacks();
  const paid = await paidElsewhere(4);
  // One of them has an earlier entry (a failed attempt on the pay page): the new one goes after it.
  const first = paid[0]!;
  const { payToken } = (await strapi()
    .db.query('plugin::invoice-payments.invoice')
    .findOne({ where: { documentId: first.documentId } })) as { payToken: string };
  const attempt = await env.app
    .http()
    .post(`/api/invoice-payments/invoices/${first.documentId}/payment-intent`)
    .send({ token: payToken });
  expect(attempt.status).toBe(200);
  const earlier = (await paymentsOf(first.documentId))[0];
  expect(earlier).toBeDefined();
  try {
    await postHeld(paid.map((p) => p.succeeded));
    await waitForIdle(strapi(), 60_000, env.standin);
    if (batched()) expect(flushes.calls.some((call) => call.includes(first.documentId))).toBe(true);
    // The batch's writes went through (a failure would be settled one by one, unseen otherwise).
    expect(fallbacks.messages).toEqual([]);
  } finally {
    flushes.restore();
    fallbacks.restore();
  }
  const { joinTable } = strapi().db.metadata.get('plugin::invoice-payments.payment').attributes.invoice as unknown as {
    joinTable: {
      name: string;
      joinColumn: { name: string };
      inverseJoinColumn: { name: string };
      inverseOrderColumnName: string;
    };
  };
  for (const p of paid) {
    expect(await readInvoice(env, p.documentId)).toMatchObject({ state: 'paid', balanceDue: 0, amountPaid: p.total });
    const rows = (await paymentsOf(p.documentId)).filter((r: { id: number }) => r.id !== earlier.id);
    expect(rows).toEqual([
      expect.objectContaining({ providerPaymentId: p.piId, status: 'succeeded', amount: p.total, kind: 'card' }),
    ]);
    expect(rows[0].documentId).toEqual(expect.any(String));
    const links = await strapi().db.connection(joinTable.name).where(joinTable.joinColumn.name, rows[0].id);
    expect(links).toHaveLength(1);
    expect(Number(links[0][joinTable.inverseJoinColumn.name])).toBe((await readInvoice(env, p.documentId)).id);
    // Last in its invoice's list: after the pay page's earlier entry on the first invoice.
    expect(Number(links[0][joinTable.inverseOrderColumnName])).toBe(p === first ? 2 : 1);
  }
});
