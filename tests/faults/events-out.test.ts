import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deliver, inPool, paidInvoicesWithEvents, useCluster, waitFor, type ClusterOptions } from './support/cluster';

/**
 * Events out across two Strapi processes on one PostgreSQL database (issue 15): every
 * payment_intent.succeeded delivered twice, copies to both instances; each invoice's invoice.paid
 * and payment.succeeded reach the site's hook (tests/app/src/index.js, EVENTS_SINK_URL) exactly
 * once. Then an instance is SIGKILLed while its hook calls hang: the other instance delivers what
 * it had claimed once the claim expires, and nothing is lost.
 */
interface Received {
  pid: number;
  payload: { id: string; type: string; invoice: { documentId: string } };
}
const received: Received[] = [];
let hang = false;
const hanging: Array<() => void> = [];
let sink: Server;
const options: ClusterOptions = { instances: 2, env: {} };

beforeAll(async () => {
  sink = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      if (hang) {
        // Never answered while the instance that called is killed; the test ends the rest.
        hanging.push(() => res.destroy());
        return;
      }
      received.push(JSON.parse(text) as Received);
      res.end('ok');
    });
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  options.env!.EVENTS_SINK_URL = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/events`;
});
const cluster = useCluster(options);
afterAll(async () => {
  for (const end of hanging) end();
  await new Promise((r) => sink?.close(r));
});

const OUT = 'invoice_payments_events_out';
const countByType = (documentIds: Set<string>) =>
  received
    .filter((r) => documentIds.has(r.payload.invoice.documentId))
    .reduce<Record<string, number>>((m, r) => ({ ...m, [r.payload.type]: (m[r.payload.type] ?? 0) + 1 }), {});

it('200 payments × 2 webhook copies on two instances: each event reaches the hook exactly once', async () => {
  const N = 200;
  const { invoices, events } = await paidInvoicesWithEvents(cluster(), N, 'EVO');
  const [a, b] = cluster().instances;
  const deliveries = events.flatMap((e, i) => [
    { event: e, url: i % 2 === 0 ? a!.url : b!.url },
    { event: e, url: i % 2 === 0 ? b!.url : a!.url },
  ]);
  const results = await inPool(deliveries, 16, (d) => deliver(d.url, d.event));
  expect(results.filter((r) => r.status !== 200)).toEqual([]);
  const ids = new Set(invoices.map((i) => i.documentId));
  await waitFor(
    async () => received.filter((r) => ids.has(r.payload.invoice.documentId)).length,
    (n) => n >= 2 * N,
    120_000,
    'every event out delivered',
  );
  // Anything still in flight would show up as a third delivery: wait until the outbox is all delivered.
  await waitFor(
    () => cluster().db.count(OUT, "status <> 'delivered'"),
    (n) => n === 0,
    30_000,
    'the outbox delivered',
  );
  expect(countByType(ids)).toEqual({ 'invoice.paid': N, 'payment.succeeded': N });
  const perInvoice = new Map<string, string[]>();
  for (const r of received.filter((x) => ids.has(x.payload.invoice.documentId)))
    perInvoice.set(r.payload.invoice.documentId, [
      ...(perInvoice.get(r.payload.invoice.documentId) ?? []),
      r.payload.type,
    ]);
  expect([...perInvoice.values()].filter((types) => types.length !== 2)).toEqual([]);
  expect(new Set(received.map((r) => r.payload.id)).size).toBe(received.length);
  // Both instances delivered some (the claim, not luck, keeps them apart).
  expect(new Set(received.map((r) => r.pid)).size).toBe(2);
  const [{ max }] = await cluster().db.query<{ max: number }>(`SELECT MAX(attempts)::int AS max FROM ${OUT}`);
  expect(max).toBe(1);
});

it('SIGKILL while hooks are under way: the survivor delivers every claimed event after the claim expires', async () => {
  const N = 20;
  const [a] = cluster().instances;
  const { invoices, events } = await paidInvoicesWithEvents(cluster(), N, 'EVK');
  const ids = new Set(invoices.map((i) => i.documentId));
  hang = true;
  // Only instance a gets the events: it commits the settlements and claims the outbox rows.
  const results = await inPool(events, 8, (e) => deliver(a!.url, e));
  expect(results.filter((r) => r.status !== 200)).toEqual([]);
  await waitFor(
    () => Promise.resolve(hanging.length),
    (n) => n >= 1,
    60_000,
    'a hook call under way on a',
  );
  const claimed = await cluster().db.count(OUT, "status = 'processing'");
  expect(claimed).toBeGreaterThan(0);
  await a!.kill();
  hang = false;
  for (const end of hanging.splice(0)) end();
  await waitFor(
    async () => received.filter((r) => ids.has(r.payload.invoice.documentId)).length,
    (n) => n >= 2 * N,
    120_000,
    'every event out delivered by the survivor',
  );
  await waitFor(
    () => cluster().db.count(OUT, "status <> 'delivered'"),
    (n) => n === 0,
    30_000,
    'the outbox delivered',
  );
  // Each event reached the hook once (the killed instance's call never completed).
  expect(countByType(ids)).toEqual({ 'invoice.paid': N, 'payment.succeeded': N });
});
