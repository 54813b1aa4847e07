import { documentId, seedOpenInvoices, TABLES } from '../../bench/lib/db';
import { standinClient } from '../../bench/lib/fixtures';
import { KEYS, startCluster, waitFor, type Cluster } from './support/cluster';

/**
 * Two Strapi processes of the test app on one PostgreSQL database, both running the autopay cron
 * every second with the real clock. 40 invoices of one client with autopay on become due at the
 * same instant (one UPDATE): each is charged exactly once off-session, with one Idempotency-Key of
 * its own, whichever instance claimed it; one attempt row and one audit entry each.
 */
jest.setTimeout(240_000);
let cluster: Cluster;
const N = 40;
const ATTEMPTS = 'invoice_payments_autopay_attempts';

beforeAll(async () => {
  cluster = await startCluster({
    instances: 2,
    env: { REMINDERS_INTERVAL_MS: '1000' },
    settings: {
      reminders: { enabled: false, beforeDays: [], onDueDate: false, afterDays: [], timeZone: 'UTC', sendHour: 0 },
      // Hour 0 UTC: an invoice due today is due for its first charge now, whatever the time.
      autopay: { enabled: true, retryDays: [1], chargeHour: 0 },
    },
  });
});
afterAll(async () => {
  await cluster?.close();
});

it('40 invoices due today, two instances running the cron: one off-session charge each', async () => {
  const db = cluster.db;
  const now = new Date();
  // The client (a users-permissions user), their Stripe customer with a default card, autopay on.
  const [user] = await db.query<{ id: number }>(
    `INSERT INTO up_users (document_id, username, email, provider, confirmed, blocked, created_at, updated_at)
     VALUES (?, ?, ?, 'local', true, false, ?, ?) RETURNING id`,
    [documentId(), 'autopay-cluster', 'autopay-cluster@example.test', now, now],
  );
  const stripe = standinClient(cluster.standin.url, KEYS.secretKey);
  const customer = await stripe.customers.create({ email: 'autopay-cluster@example.test' });
  const card = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
  await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: card.id } });
  await db.insert('invoice_payments_client_accounts', [
    {
      document_id: documentId(),
      user_id: user!.id,
      provider: 'stripe',
      provider_customer_id: customer.id,
      autopay_enabled: true,
      created_at: now,
      updated_at: now,
    },
  ]);

  // Seeded due in 30 days (nothing due), linked to the client, then all made due today at once.
  const invoices = await seedOpenInvoices(db, N, 'APC');
  const rows = await db.query<{ id: number }>(`SELECT id FROM ${TABLES.invoices} WHERE number LIKE ? ORDER BY id`, [
    'APC-%',
  ]);
  await db.insert(
    'invoice_payments_invoices_customer_lnk',
    rows.map((r) => ({ invoice_id: r.id, user_id: user!.id })),
  );
  const today = now.toISOString().slice(0, 10);
  await db.query(`UPDATE ${TABLES.invoices} SET due_date = ? WHERE number LIKE ?`, [today, 'APC-%']);

  await waitFor(
    () => db.count(ATTEMPTS, "status = 'succeeded'"),
    (n) => n === N,
    150_000,
    'every invoice charged by autopay',
  );
  await waitFor(
    () => db.count(TABLES.invoices, "number LIKE 'APC-%' AND state = 'paid'"),
    (n) => n === N,
    60_000,
    'every invoice paid',
  );
  // One claim per invoice, one off-session PaymentIntent per invoice, each with its own key.
  expect(await db.count(ATTEMPTS)).toBe(N);
  const creates = cluster.stripeCalls.filter((c) => c.method === 'POST' && c.path === '/v1/payment_intents');
  const keys = creates.map((c) => c.idempotencyKey ?? '');
  expect(keys.filter((k) => k.startsWith('autopay:'))).toHaveLength(N);
  expect(new Set(keys).size).toBe(keys.length);
  expect(new Set(keys)).toEqual(new Set(invoices.map((inv) => `autopay:${inv.documentId}:${today}:0`)));
  // The stand-in made exactly N charges (no replay was needed, none was doubled).
  const charged = await stripe.paymentIntents.list({ customer: customer.id, limit: 100 });
  expect(charged.data.filter((pi) => pi.status === 'succeeded')).toHaveLength(N);
  expect(await db.count(TABLES.audit, "action = 'autopay.attempt' AND outcome = 'ok'")).toBe(N);
  // One succeeded ledger entry per invoice.
  const perInvoice = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM ${TABLES.payments} p JOIN ${TABLES.paymentInvoice} l ON l.payment_id = p.id
     JOIN ${TABLES.invoices} i ON i.id = l.invoice_id WHERE i.number LIKE 'APC-%' AND p.status = 'succeeded'
     GROUP BY i.id`,
  );
  expect(perInvoice.map((r) => Number(r.n)).filter((n) => n !== 1)).toEqual([]);
  expect(perInvoice).toHaveLength(N);
  for (const instance of cluster.instances) {
    const res = await fetch(`${instance.url}/_health`);
    expect(res.status).toBeLessThan(300);
  }
});
