import { TABLES } from '../../bench/lib/db';
import type { StripeEvent } from '../../bench/lib/fixtures';
import {
  allProcessed,
  deliver,
  inPool,
  ledger,
  notPaidOnce,
  paidInvoicesWithEvents,
  SQL,
  useCluster,
  waitFor,
} from './support/cluster';

/**
 * Two Strapi processes of the test app on one PostgreSQL database, the retry worker running on
 * both. 1,000 distinct payment_intent.succeeded events, each delivered twice, copies alternating
 * between the instances, 32 deliveries in flight: every invoice is settled once, the ledger holds
 * exactly what was paid, no event is processed twice, one email per payment.
 */
const N = 1000;

const cluster = useCluster({ instances: 2 });

it('1,000 events × 2 copies across two instances: each invoice settled once', async () => {
  const { invoices, events } = await paidInvoicesWithEvents(cluster(), N, 'TWO');
  const [a, b] = cluster().instances;
  // Copy 1 of event i goes to instance i % 2, copy 2 to the other; the order is shuffled.
  const deliveries = events.flatMap((e, i) => [
    { event: e, url: i % 2 === 0 ? a!.url : b!.url },
    { event: e, url: i % 2 === 0 ? b!.url : a!.url },
  ]);
  for (let i = deliveries.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [deliveries[i], deliveries[j]] = [deliveries[j]!, deliveries[i]!];
  }
  const before = cluster().standin.control.stats().requests;
  const started = Date.now();
  const results = await inPool(deliveries, 32, (d) => deliver(d.url, d.event));
  const ackSeconds = (Date.now() - started) / 1000;

  // Every delivery acknowledged; exactly one copy of each event stored, the other a duplicate.
  expect(results.filter((r) => r.status !== 200)).toEqual([]);
  const duplicates = results.filter((r) => JSON.parse(r.body).duplicate === true).length;
  expect(duplicates).toBe(N);

  await allProcessed(cluster(), 120_000, 'every event processed');
  const settledSeconds = (Date.now() - started) / 1000;
  expect(await SQL.eventStatus(cluster().db)).toEqual([{ status: 'processed', n: N }]);

  // Every invoice paid, by exactly one card payment of exactly its amount.
  const rows = await ledger(cluster().db, 'TWO');
  expect(rows).toHaveLength(N);
  const wrong = rows.filter(
    (r) =>
      r.state !== 'paid' ||
      r.payments !== 1 ||
      r.paid_sum !== r.total ||
      r.amount_paid !== r.total ||
      r.balance_due !== 0,
  );
  expect(wrong).toEqual([]);
  const paid = events.reduce((s, e) => s + (e.data.object as unknown as { amount: number }).amount, 0);
  const [{ sum }] = await cluster().db.query<{ sum: number }>(
    `SELECT SUM(amount)::bigint AS sum FROM ${TABLES.payments} WHERE status = 'succeeded'`,
  );
  expect(Number(sum)).toBe(paid);

  // No event processed twice: each was claimed once (attempts = 1). A payment_intent.succeeded
  // shows the PaymentIntent's final state, so it is booked from the event: no instance reads it.
  const [{ max }] = await cluster().db.query<{ max: number }>(`SELECT MAX(attempts)::int AS max FROM ${TABLES.events}`);
  if (max !== 1) {
    console.log(
      await cluster().db.query(
        `SELECT provider_event_id, status, attempts, last_error, created_at, processed_at, updated_at FROM ${TABLES.events} WHERE attempts > 1`,
      ),
    );
    console.log(
      cluster().instances.map((p) => p.logs.filter((l) => !/internal migration|discard-drafts/.test(l)).slice(-30)),
    );
  }
  expect(max).toBe(1);
  const after = cluster().standin.control.stats().requests;
  const reads = events.map(
    (e) =>
      (after[`GET /v1/payment_intents/${e.data.object.id}`] ?? 0) -
      (before[`GET /v1/payment_intents/${e.data.object.id}`] ?? 0),
  );
  expect(reads.filter((n) => n !== 0)).toEqual([]);
  // The ledger moved to succeeded once per invoice (the audit trail has one entry each).
  const audits = await cluster().db.query<{ n: number }>(
    `SELECT COUNT(*)::int AS n FROM ${TABLES.audit} WHERE action = 'payment.succeeded' GROUP BY invoice_document_id`,
  );
  expect(audits).toHaveLength(N);
  expect(audits.filter((r) => r.n !== 1)).toEqual([]);

  // One confirmation email per payment, to each invoice's billing address. Emails that waited
  // behind the others for half of NOTICE_RETRY_AFTER_MS (10 s) are the outbox worker's, sent once
  // that delay has passed: on a busy machine some of the last ones come that way.
  await waitFor(
    async () => cluster().smtp.count(),
    (n) => n >= N,
    30_000,
    'emails',
  );
  expect(cluster().smtp.count()).toBe(N);
  expect(invoices.filter((inv) => cluster().smtp.recipients.get(inv.email) !== 1)).toEqual([]);

  // Nothing went wrong in either process.
  for (const p of cluster().instances) expect(p.logs.filter((l) => /error/i.test(l))).toEqual([]);
  process.stdout.write(
    `[faults] two instances: ${2 * N} deliveries acknowledged in ${ackSeconds.toFixed(1)} s, all settled after ${settledSeconds.toFixed(1)} s\n`,
  );
});

/**
 * The event as a `payment_intent.processing`: a state that can still change, so settlement reads
 * the PaymentIntent from Stripe (where the faults are) instead of booking what the event shows.
 */
const asProcessing = (e: StripeEvent): StripeEvent => ({
  ...e,
  id: `${e.id}_processing`,
  type: 'payment_intent.processing',
  // The stand-in's whole PaymentIntent (StripeEvent types only the fields the bench reads).
  data: {
    ...e.data,
    object: { ...e.data.object, status: 'processing', amount_received: 0 } as StripeEvent['data']['object'],
  },
});

it('transient Stripe failures while settling: the workers on both instances retry, still once each', async () => {
  const paid = await paidInvoicesWithEvents(cluster(), 200, 'TWOF');
  const { invoices } = paid;
  const events = paid.events.map(asProcessing);
  const [a, b] = cluster().instances;
  // Reading a PaymentIntent fails 450 times in a row: each processing attempt makes up to 3 tries
  // (the SDK's own retries), so most of these events fail their first attempt and go to the workers.
  cluster().standin.control.addFault({ method: 'GET', path: '/v1/payment_intents/:id', status: 500, times: 450 });
  const results = await inPool(
    events.flatMap((e, i) => [
      { e, url: i % 2 ? a!.url : b!.url },
      { e, url: i % 2 ? b!.url : a!.url },
    ]),
    16,
    (d) => deliver(d.url, d.e),
  );
  expect(results.filter((r) => r.status !== 200)).toEqual([]);
  await allProcessed(cluster(), 120_000, 'every event processed after retries');
  cluster().standin.control.clearFaults();

  const ours = `provider_event_id IN (${events.map(() => '?').join(', ')})`;
  const ids = events.map((e) => e.id);
  const retried = await cluster().db.count(TABLES.events, `${ours} AND attempts > 1`, ids);
  expect(retried).toBeGreaterThan(0);
  expect(await cluster().db.count(TABLES.events, `${ours} AND status = 'processed'`, ids)).toBe(events.length);
  expect(await notPaidOnce(cluster().db, 'TWOF')).toEqual([]);
  // As above: the last emails may be the outbox worker's, after NOTICE_RETRY_AFTER_MS.
  await waitFor(
    async () => invoices.filter((inv) => cluster().smtp.recipients.get(inv.email) === 1).length,
    (n) => n === invoices.length,
    30_000,
    'emails',
  );
  expect(invoices.filter((inv) => cluster().smtp.recipients.get(inv.email) !== 1)).toEqual([]);
  // Retries were logged as warnings, never as errors.
  const retryLines = cluster().instances.flatMap((p) => p.logs.filter((l) => /failed on attempt/.test(l)));
  expect(retryLines.length).toBeGreaterThan(0);
  process.stdout.write(
    `[faults] transient failures: ${retried} events needed a retry (${retryLines.length} failed attempts logged across both instances)\n`,
  );
});
