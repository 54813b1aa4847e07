import { seedOpenInvoices, TABLES } from '../../bench/lib/db';
import { startCluster, waitFor, type Cluster } from './support/cluster';

/**
 * Two Strapi processes of the test app on one PostgreSQL database, both running the reminder cron
 * every second with the real clock. 200 invoices become due for their due-date reminder at the
 * same instant (one UPDATE): each gets exactly one reminder row, one outbox email and one message
 * at the mail server, whichever instance claimed it.
 */
jest.setTimeout(240_000);
let cluster: Cluster;
const N = 200;
const REMINDERS = 'invoice_payments_reminders';
const NOTICES = 'invoice_payments_notices';

beforeAll(async () => {
  cluster = await startCluster({
    instances: 2,
    env: { REMINDERS_INTERVAL_MS: '1000' },
    settings: {
      // Hour 0 UTC: the due-date reminder of an invoice due today is due now, whatever the time.
      reminders: { enabled: true, beforeDays: [3], onDueDate: true, afterDays: [7, 14], timeZone: 'UTC', sendHour: 0 },
    },
  });
});
afterAll(async () => {
  await cluster?.close();
});

it('200 invoices due today, two instances running the cron: one reminder email each', async () => {
  // Seeded due in 30 days (no reminder yet), then all made due today at once.
  const invoices = await seedOpenInvoices(cluster.db, N, 'REM');
  const today = new Date().toISOString().slice(0, 10);
  const yesterday = new Date(Date.now() - 86_400_000);
  await cluster.db.query(`UPDATE ${TABLES.invoices} SET due_date = ?, sent_at = ? WHERE number LIKE ?`, [
    today,
    yesterday,
    'REM-%',
  ]);

  await waitFor(
    () => cluster.db.count(NOTICES, "kind = 'reminder' AND status = 'sent'"),
    (n) => n === N,
    120_000,
    'every reminder email sent',
  );
  // Exactly one claim per invoice, one outbox row per claim, one message per client.
  expect(await cluster.db.count(REMINDERS)).toBe(N);
  expect(await cluster.db.count(REMINDERS, "reminder_key = 'due'")).toBe(N);
  expect(await cluster.db.count(NOTICES, "kind = 'reminder'")).toBe(N);
  const perClient = invoices.map((inv) => cluster.smtp.recipients.get(inv.email) ?? 0);
  expect(perClient.filter((n) => n !== 1)).toEqual([]);
  const audit = await cluster.db.count(TABLES.audit, "action = 'reminder.sent'");
  expect(audit).toBe(N);
  // Both instances are still up and answering (neither crashed on a lost claim).
  for (const instance of cluster.instances) {
    const res = await fetch(`${instance.url}/_health`);
    expect(res.status).toBeLessThan(300);
  }
});
