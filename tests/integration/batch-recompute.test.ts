import { bootPayments, readInvoice, type PaymentsEnv } from '../support/payments';
import { waitForIdle } from '../support/idle';
import { recordBatches } from '../support/queue-hold';
import { NOTICE, stripeEvents, uniq } from '../support/stripe-events';

/**
 * A settled batch recomputes the invoices only one of its events settles together, after all of
 * them wrote their ledger entries (settlement.parkRecomputes, invoices.recomputeLedgers); an
 * invoice two events settle is recomputed after each, so the second sees what the first booked.
 * A failure after the recomputes were parked rolls the batch back and each event is settled on
 * its own, once. Batches are one transaction on SQLite and PostgreSQL only: on MySQL/MariaDB the
 * same events settle one by one and the outcomes asserted here hold all the same.
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
  } finally {
    flushes.restore();
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

it('the invoices a batch writes together are stored as Strapi itself stores them (updateRows: same column values)', async () => {
  const flushes = recordFlushes();
  const paid = await paidMany(3, `stored${uniq()}`);
  try {
    await postHeld(paid.map((p) => p.succeeded));
    await waitForIdle(strapi(), 60_000, env.standin);
    if (batched()) expect(flushes.calls.some((call) => call.includes(paid[0]!.documentId))).toBe(true);
  } finally {
    flushes.restore();
  }
  const INVOICE = 'plugin::invoice-payments.invoice';
  const { tableName } = strapi().db.metadata.get(INVOICE);
  const raw = async (documentId: string) =>
    (await strapi().db.connection(tableName).where('document_id', documentId).first()) as Record<string, unknown>;
  for (const p of paid) {
    const written = await raw(p.documentId);
    expect(written.paid_at).not.toBeNull();
    // The same values written again by Strapi's own update, from what Strapi reads of them.
    const read = (await strapi()
      .db.query(INVOICE)
      .findOne({ where: { documentId: p.documentId } })) as Record<string, unknown>;
    const again = ['state', 'amountPaid', 'amountRefunded', 'balanceDue', 'needsAttention', 'disputeOpen'];
    await strapi()
      .db.query(INVOICE)
      .updateMany({
        where: { documentId: p.documentId },
        data: {
          ...Object.fromEntries(again.map((k) => [k, read[k]])),
          paidAt: new Date(read.paidAt as string),
          updatedAt: new Date(read.updatedAt as string),
        },
      });
    const rewritten = await raw(p.documentId);
    expect(rewritten).toEqual(written);
  }
});
