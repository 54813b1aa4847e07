import { seedOpenInvoices, TABLES } from '../../bench/lib/db';
import type { StripeEvent } from '../../bench/lib/fixtures';
import { standinClient } from '../../bench/lib/fixtures';
import { allProcessed, deliver, inPool, notPaidOnce, SQL, useCluster } from './support/cluster';

/**
 * Multi-invoice payments (client portal) on two Strapi processes sharing one PostgreSQL database:
 * 12 clients each pay two of their invoices in one PaymentIntent (created alternately on each
 * instance); every event of every payment is delivered twice, the copies alternating between the
 * instances, shuffled, 16 in flight. Each invoice ends paid by exactly one ledger entry of its
 * amount, each entry linked to its shared payment, whatever instance settled it.
 */
const CLIENTS = 12;
const cluster = useCluster({ instances: 2 });

it('shared payments across two instances: each invoice settled once', async () => {
  const [a, b] = cluster().instances;
  const db = cluster().db;
  const invoices = await seedOpenInvoices(db, CLIENTS * 2, 'PTL', (i) => 1_000 + ((i * 7919) % 50_000));
  const customerLink = `${TABLES.invoices}_customer_lnk`;
  const groups: Array<{ piId: string; instance: string }> = [];
  for (let c = 0; c < CLIENTS; c += 1) {
    const instance = c % 2 === 0 ? a!.url : b!.url;
    const reg = await fetch(`${instance}/api/auth/local/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: `ptl${c}`, email: `ptl${c}@example.test`, password: 'Correct-Horse-9' }),
    });
    expect(reg.status).toBe(200);
    const { jwt, user } = (await reg.json()) as { jwt: string; user: { id: number } };
    const mine = invoices.slice(c * 2, c * 2 + 2);
    for (const inv of mine) {
      const [row] = await db.query<{ id: number }>(`SELECT id FROM ${TABLES.invoices} WHERE document_id = ?`, [
        inv.documentId,
      ]);
      await db.query(`INSERT INTO ${customerLink} (invoice_id, user_id) VALUES (?, ?)`, [row!.id, user.id]);
    }
    const res = await fetch(`${instance}/api/invoice-payments/portal/payments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${jwt}` },
      body: JSON.stringify({ invoices: mine.map((i) => i.documentId) }),
    });
    const body = (await res.json()) as { data: { providerPaymentId: string; amount: number } };
    expect(res.status).toBe(201);
    expect(body.data.amount).toBe(mine[0]!.total + mine[1]!.total);
    groups.push({ piId: body.data.providerPaymentId, instance });
  }
  const stripe = standinClient(cluster().standin.url, 'sk_test_51TestSecretKey0000000000000000');
  await inPool(groups, 4, (g) =>
    stripe.paymentIntents.confirm(g.piId, { payment_method: 'pm_card_visa', return_url: 'http://localhost/r' }),
  );
  const ids = new Set(groups.map((g) => g.piId));
  const events = cluster()
    .standin.control.events()
    .filter((e) => {
      const obj = (e.data as { object: { id?: string; payment_intent?: string } }).object;
      return ids.has(obj.id ?? '') || ids.has(obj.payment_intent ?? '');
    }) as unknown as StripeEvent[];
  expect(events.length).toBeGreaterThanOrEqual(CLIENTS);
  const deliveries = events.flatMap((e, i) => [
    { event: e, url: i % 2 === 0 ? a!.url : b!.url },
    { event: e, url: i % 2 === 0 ? b!.url : a!.url },
  ]);
  for (let i = deliveries.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [deliveries[i], deliveries[j]] = [deliveries[j]!, deliveries[i]!];
  }
  const results = await inPool(deliveries, 16, (d) => deliver(d.url, d.event));
  expect(results.filter((r) => r.status !== 200)).toEqual([]);
  await allProcessed(cluster(), 60_000, 'every event processed');
  expect(await notPaidOnce(db, 'PTL')).toEqual([]);
  const shares = await db.query<{ n: number; groups: number }>(
    `SELECT COUNT(*)::int AS n, COUNT(DISTINCT shared_payment_id)::int AS groups FROM ${TABLES.payments}
     WHERE share_key IS NOT NULL AND status = 'succeeded'`,
  );
  expect(shares[0]).toEqual({ n: CLIENTS * 2, groups: CLIENTS });
  // Every event stored once and finished: settled, or acknowledged as nothing to do (payment_intent.created).
  const statuses = await SQL.eventStatus(db);
  expect(statuses.filter((r) => r.status !== 'processed' && r.status !== 'ignored')).toEqual([]);
  expect(statuses.reduce((sum, r) => sum + Number(r.n), 0)).toBe(events.length);
  const succeeded = await db.query<{ status: string }>(
    `SELECT status FROM ${TABLES.events} WHERE type = 'payment_intent.succeeded'`,
  );
  expect(succeeded.map((r) => r.status)).toEqual(Array(CLIENTS).fill('processed'));
});
