import { bootPayments, eventually, payableInvoice, payWith, readInvoice, type PaymentsEnv } from '../support/payments';
import { waitForIdle } from '../support/idle';
import { NOTICE, stripeEvents, uniq } from '../support/stripe-events';

/**
 * Independent review of c5a9325: the batch settles events inside ONE outer transaction, and
 * settlement.applyPayment reads the ledger (`recorded`, a plain SELECT) before it takes the
 * invoice lock. On MariaDB/MySQL (InnoDB, REPEATABLE READ by default) a transaction's consistent
 * snapshot is taken at its first plain read, so every later plain read in the batch — including
 * findPaymentRow and the ledger read under the invoice lock — sees the database as it was before
 * the lock was granted, not what the lock holder just committed. PostgreSQL (READ COMMITTED) and
 * SQLite (one writer) are not affected; the test runs on all three.
 *
 * Scenario: the pay page's confirm call holds the invoice lock and books the payment (one
 * confirmation email); meanwhile Stripe's payment_intent.succeeded is settled in a batch that reads
 * first, then waits for the lock; once it gets it, it must see the booking and change nothing.
 */

let env: PaymentsEnv;
beforeAll(async () => {
  env = await bootPayments();
});
afterAll(async () => {
  await env?.close();
});
const { eventRow, paymentsOf, postEvent } = stripeEvents(() => env);

/**
 * Time for the batch to reach the invoice lock. Nothing says it waits there: the plugin keeps no
 * count of lock waiters, and the database's (pg_locks, innodb_trx) differ by server. Were the batch
 * later than this, the test would pass without having raced.
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeEach(async () => {
  env.standin.control.setWebhook({ enabled: false });
  await waitForIdle(env.app.strapi, 10_000, env.standin);
});

const client = process.env.DATABASE_CLIENT ?? 'sqlite';
// These races need a second connection committing while a batch runs: PostgreSQL and MariaDB.
// SQLite has one connection per process (a transaction held open by the test would block the
// batch entirely), which the test below checks instead.
const onServerDb = (name: string, fn: () => Promise<void>, timeout?: number) => {
  if (client !== 'sqlite') it(name, fn, timeout);
};

if (client === 'sqlite')
  it('SQLite: one connection, so nothing commits between a batch’s reads and its writes', () => {
    const pool = (env.app.strapi.db.connection.client as { pool: { max: number } }).pool;
    expect(pool.max).toBe(1);
  });

onServerDb(
  'defended only by the outbox unique index (MariaDB): a batch that waited for the invoice lock while the pay page booked the payment re-books it from a stale read, then rolls back; one booking, one email',
  async () => {
    const inv = await payableInvoice(env, { billingEmail: `snap${uniq()}@example.test` });
    const res = await env.app
      .http()
      .post(`/api/invoice-payments/invoices/${inv.documentId}/payment-intent`)
      .send({ token: inv.token });
    expect(res.status).toBe(200);
    const piId = res.body.data.providerPaymentId as string;
    await payWith(env, piId, 'pm_card_visa');
    const succeeded = env.standin.control
      .events()
      .find(
        (e) => e.type === 'payment_intent.succeeded' && (e.data as { object: { id: string } }).object.id === piId,
      ) as unknown as Record<string, unknown>;
    expect(succeeded).toBeDefined();

    const warn = jest.spyOn(env.app.strapi.log, 'warn');
    // The pay page's confirm, as the controller runs it, but held open before its commit: it holds
    // the invoice lock and has booked the payment, not yet visible to anyone else.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let booked!: () => void;
    const bookedP = new Promise<void>((r) => (booked = r));
    const confirm = env.app.strapi.db.transaction(async () => {
      const invoice = await env.app.strapi.db
        .query('plugin::invoice-payments.invoice')
        .findOne({ where: { documentId: inv.documentId } });
      const out = await env.app.strapi
        .plugin('invoice-payments')
        .service('payments')
        .confirm(invoice, piId, { type: 'client' });
      booked();
      await held;
      return out;
    });
    await bookedP;
    // Stripe's event arrives: the batch reads the ledger, then waits for the invoice lock.
    expect((await postEvent(succeeded)).status).toBe(200);
    await sleep(1500);
    release();
    await confirm;

    await eventually(
      () => eventRow(succeeded.id as string),
      (r) => r?.status === 'processed' || r?.status === 'ignored' || r?.status === 'failed',
      20_000,
    );
    await waitForIdle(env.app.strapi, 30_000, env.standin);
    // Found by the attack: on MariaDB a batch read the ledger as it was before the lock, re-booked
    // the payment and was stopped only by the outbox's unique (payment, kind) index. MySQL/MariaDB
    // now settle each event in its own transaction, which starts with the lock: nothing to undo.
    const fellBack = warn.mock.calls.some((c) => /settled one by one/.test(String(c[0])));
    warn.mockRestore();
    expect(fellBack).toBe(false);
    const rows = await paymentsOf(inv.documentId);
    expect(rows).toHaveLength(1);
    expect(await readInvoice(env, inv.documentId)).toMatchObject({ state: 'paid', amountPaid: 182750 });
    const notices = await env.app.strapi.db.query(NOTICE).findMany({ where: { paymentId: rows[0].id } });
    // One payment, one confirmation email.
    expect(notices.filter((n: { kind: string }) => n.kind === 'confirmation')).toHaveLength(1);
    const audits = await env.app.strapi.db
      .query('plugin::invoice-payments.audit-entry')
      .findMany({ where: { action: 'payment.succeeded', invoiceDocumentId: inv.documentId } });
    expect(audits).toHaveLength(1);
  },
);

onServerDb(
  'MariaDB/MySQL: a batch settling a canceled attempt while a manual payment is recorded never writes the invoice totals from a stale ledger',
  async () => {
    const inv = await payableInvoice(env, { billingEmail: `stale${uniq()}@example.test` });
    const res = await env.app
      .http()
      .post(`/api/invoice-payments/invoices/${inv.documentId}/payment-intent`)
      .send({ token: inv.token });
    expect(res.status).toBe(200);
    const piId = res.body.data.providerPaymentId as string;
    // The client left; the attempt is canceled at Stripe (the plugin ending it, or its expiry).
    await env.stripe.paymentIntents.cancel(piId);
    const canceled = env.standin.control
      .events()
      .find(
        (e) => e.type === 'payment_intent.canceled' && (e.data as { object: { id: string } }).object.id === piId,
      ) as unknown as Record<string, unknown>;
    expect(canceled).toBeDefined();
    const total = inv.row.total as number;

    // Meanwhile the admin records the client's cheque for the whole invoice (held before its commit).
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let booked!: () => void;
    const bookedP = new Promise<void>((r) => (booked = r));
    const manual = env.app.strapi.db.transaction(async () => {
      const out = await env.app.strapi
        .plugin('invoice-payments')
        .service('admin-payments')
        .recordManualPayment(inv.documentId, { method: 'check', amount: total }, { type: 'admin', id: 1 });
      booked();
      await held;
      return out;
    });
    await bookedP;
    expect((await postEvent(canceled)).status).toBe(200);
    await sleep(1500);
    release();
    await manual;
    await eventually(
      () => eventRow(canceled.id as string),
      (r) => r?.status === 'processed' || r?.status === 'ignored' || r?.status === 'failed',
      20_000,
    );
    await waitForIdle(env.app.strapi, 30_000, env.standin);
    const rows = await paymentsOf(inv.documentId);
    expect(rows.map((r: { kind: string; status: string }) => `${r.kind}:${r.status}`).sort()).toEqual([
      'card:canceled',
      'manual:succeeded',
    ]);
    // The invoice's totals must come from the ledger as committed: paid by the cheque.
    expect(await readInvoice(env, inv.documentId)).toMatchObject({ state: 'paid', amountPaid: total, balanceDue: 0 });
  },
);
