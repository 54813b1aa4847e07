import { bootPayments, eventually, readInvoice, type PaymentsEnv } from '../support/payments';
import { waitForIdle } from '../support/idle';
import { NOTICE, stripeEvents, uniq } from '../support/stripe-events';
import { holdQueue, recordBatches } from '../support/queue-hold';

/**
 * The retry worker (webhook-events runDue) and the in-process queue. Past the queue's bound
 * (10,000 events) or after an instance stopped, events stay `received` in the database and the
 * worker settles them: in batches, as the queue does (the full bench's 12,000-event backlogs
 * drained at 50 events/s when the worker took them one by one, against 230/s for the queue). And
 * the events a queue holds are left to it: a worker taking them too settled the same backlog a
 * second way beside it, one by one, fighting over the same rows.
 */
let env: PaymentsEnv;
beforeAll(async () => {
  env = await bootPayments();
});
afterAll(async () => {
  await env?.close();
});
const { eventRow, paymentsOf, postEvent, paidAtStripe, paidMany } = stripeEvents(() => env);
type Paid = Awaited<ReturnType<typeof paidAtStripe>>;

const service = () =>
  env.app.strapi.plugin('invoice-payments').service('webhook-events') as {
    runDue(limit?: number): Promise<number>;
    stop(): Promise<void>;
    inProcess(): { queued: number; active: number };
  };
const groupCommit = () => env.app.strapi.db.dialect.client !== 'mysql';

let batches: { keys: string[][] };
beforeAll(() => {
  batches = recordBatches(env);
});
beforeEach(async () => {
  env.standin.control.setWebhook({ enabled: false });
  await waitForIdle(env.app.strapi, 10_000, env.standin);
  batches.keys = [];
});

const opener = async () => {
  const paid = await paidAtStripe(`open${uniq()}@example.test`);
  expect((await postEvent(paid.succeeded)).status).toBe(200);
};

/** Paid once, one payment, one confirmation email; its event processed at its first attempt. */
async function expectSettledOnce(p: Paid) {
  const row = await eventually(
    () => eventRow(p.succeeded.id as string),
    (r) => r?.status === 'processed',
    20_000,
  );
  expect(row).toMatchObject({ attempts: 1, invoiceDocumentId: p.documentId });
  expect(await readInvoice(env, p.documentId)).toMatchObject({ state: 'paid', balanceDue: 0, amountPaid: 182750 });
  const payments = await paymentsOf(p.documentId);
  expect(payments).toHaveLength(1);
  const notices = await env.app.strapi.db.query(NOTICE).findMany({ where: { paymentId: payments[0].id } });
  expect(notices).toEqual([expect.objectContaining({ kind: 'confirmation', status: 'sent' })]);
}

it('events left received outside any queue are settled by the worker in batches, each once', async () => {
  const paid = await paidMany(6, 'rw');
  const hold = await holdQueue(env, opener);
  let stopped: Promise<void>;
  try {
    for (const p of paid) expect((await postEvent(p.succeeded)).status).toBe(200);
    expect(service().inProcess().queued).toBe(paid.length);
    // A shutdown drops what the queue holds (its first statement; the events stay `received`),
    // as an instance stopped mid-backlog or a queue past its bound leaves them.
    stopped = service().stop();
    expect(service().inProcess().queued).toBe(0);
  } finally {
    hold.release();
  }
  await stopped;
  // Only a retry worker settles them now: this call, or the worker's own tick if it came first.
  await service().runDue();
  await waitForIdle(env.app.strapi, 30_000, env.standin);
  for (const p of paid) await expectSettledOnce(p);
  // All six in one batch (one transaction) on SQLite and PostgreSQL; none on MySQL/MariaDB.
  const documentIds = paid.map((p) => p.documentId);
  expect(batches.keys.some((keys) => documentIds.every((d) => keys.includes(d)))).toBe(groupCommit());
});

it('events about one payment left received: the worker settles them as one group, one read of it', async () => {
  const [p] = await paidMany(1, 'rw');
  const reads = () => env.standin.control.stats().requestsByRoute['GET /v1/payment_intents/:id'] ?? 0;
  // Earlier events about the same payment, as Stripe sends them: their snapshots not final yet,
  // so each alone would be settled with a read of the payment.
  const event = p!.succeeded as { data: { object: Record<string, unknown> } };
  const earlier = (['payment_intent.requires_action', 'payment_intent.processing'] as const).map((type) => ({
    ...p!.succeeded,
    id: `evt_rw_${uniq()}`,
    type,
    data: { ...event.data, object: { ...event.data.object, status: type.slice('payment_intent.'.length) } },
  }));
  const before = reads();
  const hold = await holdQueue(env, opener);
  let stopped: Promise<void>;
  try {
    for (const e of earlier) expect((await postEvent(e)).status).toBe(200);
    stopped = service().stop();
  } finally {
    hold.release();
  }
  await stopped;
  await service().runDue();
  await waitForIdle(env.app.strapi, 30_000, env.standin);
  // One group (coalesceKey): one read, which finds the payment succeeded and books it once.
  expect(reads() - before).toBe(1);
  for (const e of earlier) expect(await eventRow(e.id)).toMatchObject({ status: 'processed', attempts: 1 });
  expect(await readInvoice(env, p!.documentId)).toMatchObject({ state: 'paid', balanceDue: 0, amountPaid: 182750 });
  expect(await paymentsOf(p!.documentId)).toHaveLength(1);
});

it('events the queue holds are left to it: the worker takes none of them, the queue settles each once', async () => {
  const paid = await paidMany(4, 'rw');
  const hold = await holdQueue(env, opener);
  try {
    for (const p of paid) expect((await postEvent(p.succeeded)).status).toBe(200);
    expect(service().inProcess().queued).toBe(paid.length);
    expect(await service().runDue()).toBe(0);
    for (const p of paid) expect(await eventRow(p.succeeded.id as string)).toMatchObject({ status: 'received' });
  } finally {
    hold.release();
  }
  await waitForIdle(env.app.strapi, 30_000, env.standin);
  for (const p of paid) await expectSettledOnce(p);
});
