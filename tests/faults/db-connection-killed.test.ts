import { Client } from 'pg';
import {
  allProcessed,
  deliver,
  inPool,
  notPaidOnce,
  paidInvoicesWithEvents,
  redeliverUntilAccepted,
  SQL,
  useCluster,
  waitFor,
  type DeliveryResult,
} from './support/cluster';

/**
 * PostgreSQL kills every connection of the app (pg_terminate_backend) three times in the middle of a
 * burst of webhooks. No event may be lost: an event Strapi acknowledged is stored; one it did not
 * store got a 5xx (so Stripe delivers it again) and succeeds on redelivery; every stored event is
 * processed. The process itself survives.
 */

const cluster = useCluster({ instances: 1 });

async function terminateBackends(database: string): Promise<number> {
  const c = new Client({
    host: process.env.DATABASE_HOST ?? '127.0.0.1',
    port: Number(process.env.DATABASE_PORT ?? 5432),
    user: process.env.DATABASE_USERNAME ?? 'postgres',
    password: process.env.DATABASE_PASSWORD ?? '',
    database: 'postgres',
  });
  await c.connect();
  try {
    // Every connection of the app's database except the test's own bookkeeping connection.
    const res = await c.query(
      `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
       WHERE datname = $1 AND pid <> pg_backend_pid() AND application_name <> 'ip-observer'`,
      [database],
    );
    return res.rowCount ?? 0;
  } finally {
    await c.end();
  }
}

it('connections killed three times mid-burst: nothing acknowledged is lost, nothing refused is dropped', async () => {
  const N = 400;
  const { events } = await paidInvoicesWithEvents(cluster(), N, 'PGK');
  const app = cluster().instances[0]!;
  const database = cluster().database.env.DATABASE_NAME!;
  let answered = 0;
  const kills: Array<{ after: number; backends: number }> = [];
  const killer = (async () => {
    for (const at of [60, 160, 260]) {
      await waitFor(
        async () => answered,
        (n) => n >= at,
        60_000,
        `${at} answers`,
      );
      kills.push({ after: answered, backends: await terminateBackends(database) });
    }
  })();
  const results: DeliveryResult[] = await inPool(events, 16, async (e) => {
    const r = await deliver(app.url, e);
    answered += 1;
    return r;
  });
  await killer;
  expect(kills.every((k) => k.backends > 0)).toBe(true);

  // Snapshot right after the burst, before any redelivery.
  const stored = await SQL.storedEventIds(cluster().db);
  const acked = results.filter((r) => r.status === 200);
  const refused = results.filter((r) => r.status !== 200);
  // Acknowledged ⇒ stored. Not stored ⇒ the answer was a 5xx (never a 2xx or a 4xx).
  expect(acked.filter((r) => !stored.has(r.eventId))).toEqual([]);
  const notStored = results.filter((r) => !stored.has(r.eventId));
  expect(notStored.filter((r) => r.status === null || r.status < 500)).toEqual([]);
  // Whatever went wrong, the answers never carry a stack trace or internals.
  expect(refused.filter((r) => /\bat .+:\d+:\d+|node_modules|terminating connection/i.test(r.body))).toEqual([]);

  // Stripe's redelivery of everything that was not acknowledged.
  const refusedEvents = events.filter((e) => refused.some((r) => r.eventId === e.id));
  await redeliverUntilAccepted(() => app.url, refusedEvents);

  await allProcessed(cluster(), 120_000, 'every stored event processed');
  expect(await SQL.eventStatus(cluster().db)).toEqual([{ status: 'processed', n: N }]);
  expect(await notPaidOnce(cluster().db, 'PGK')).toEqual([]);
  // The process is still up and answering.
  expect((await fetch(`${app.url}/_health`)).status).toBe(204);
  process.stdout.write(
    `[faults] pg_terminate_backend after ${kills.map((k) => `${k.after} answers (${k.backends} backends)`).join(' and ')}: ` +
      `${acked.length} acknowledged, ${refused.length} refused with ${[...new Set(refused.map((r) => r.status ?? r.error))].join('/')} and redelivered; ` +
      `${notStored.length} had not been stored\n`,
  );
});
