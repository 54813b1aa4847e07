import { bootPayments, eventually, payableInvoice, type PaymentsEnv } from '../support/payments';
import { waitForIdle } from '../support/idle';
// A second events-out dispatcher on the same database, as another Strapi instance has.
import eventsOutService from '../../server/src/services/events-out';

/**
 * Attacks on issue 15 (events out, hooks, the server API): two concurrent `payables.create` for one
 * entry must not both make an open invoice; a hook that never returns must not stop every other
 * event from being emitted.
 */
let env: PaymentsEnv;
const BOOKING = 'api::booking.booking';
const INVOICE = 'plugin::invoice-payments.invoice';
const hub: Array<{ name: string; payload: { id: string; invoice: { documentId: string } } }> = [];
let unsubscribe: () => void;
/** The booking whose invoice's events the `hang` hook never returns from (null: it returns at once). */
let hangFor: string | null = null;
/** How many times the `hang` hook was called, and hung, while `hangFor` was set. */
let hungCalls = 0;
/** Invoices whose invoice.sent the `slow` hook takes 1 s over (a third of the 3 s claim each). */
const slowFor = new Set<string>();
const slowCalls = new Map<string, number>();

beforeAll(async () => {
  // The claim lock is short here so that a hook's time limit (half of it) is reached quickly.
  env = await bootPayments({ env: { WORKER_LOCK_MS: '3000' } });
  unsubscribe = env.app.strapi.eventHub.subscribe(async (name: string, payload: unknown) => {
    if (name.startsWith('invoice-payments.')) hub.push({ name, payload: payload as (typeof hub)[number]['payload'] });
  });
  env.app.strapi
    .plugin('invoice-payments')
    .service('hooks')
    .register('hang', ['invoice.sent'], (p: { invoice: { entity: { documentId: string } | null } }) => {
      if (hangFor === null || p.invoice.entity?.documentId !== hangFor) return undefined;
      hungCalls += 1;
      return new Promise(() => undefined);
    });
  env.app.strapi
    .plugin('invoice-payments')
    .service('hooks')
    .register('slow', ['invoice.sent'], async (p: { invoice: { documentId: string } }) => {
      if (!slowFor.has(p.invoice.documentId)) return;
      slowCalls.set(p.invoice.documentId, (slowCalls.get(p.invoice.documentId) ?? 0) + 1);
      await new Promise((r) => setTimeout(r, 1000)); // slow on purpose: five of these outlast the 3 s claim
    });
});
afterAll(async () => {
  unsubscribe?.();
  await env?.close();
});

const payables = () => env.app.strapi.plugin('invoice-payments').service('payables');
const booking = async () =>
  (await env.app.strapi.documents(BOOKING).create({ data: { slot: 'Wed 09:00', email: 'bo@example.test' } as never }))
    .documentId as string;
const lines = [{ description: 'Court 1, 1 h', quantity: 1, unitAmount: 2500 }];

it('two concurrent creates for one entry: one invoice, the other refused with EntityHasOpenInvoice', async () => {
  const id = await booking();
  const entity = { uid: BOOKING, documentId: id };
  const results = await Promise.allSettled([
    payables().create({ entity, lineItems: lines, currency: 'EUR' }),
    payables().create({ entity, lineItems: lines, currency: 'EUR' }),
  ]);
  const open = await env.app.strapi.db
    .query(INVOICE)
    .count({ where: { entityUid: BOOKING, entityDocumentId: id, state: { $ne: 'void' } } });
  expect(open).toBe(1);
  expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
  expect((refused.reason as { name: string }).name).toBe('EntityHasOpenInvoice');
  await waitForIdle(env.app.strapi, 15_000);
});

it('a hook that never returns does not hold back the other events (emitted on the hub, later ones too)', async () => {
  const stuckBooking = await booking();
  hangFor = stuckBooking;
  const stuck = await payables().create({ entity: { uid: BOOKING, documentId: stuckBooking }, lineItems: lines });
  const later = await payables().create({ entity: { uid: BOOKING, documentId: await booking() }, lineItems: lines });
  await eventually(
    async () => hub.filter((h) => h.payload.invoice.documentId === later.documentId).map((h) => h.name),
    (names) => names.includes('invoice-payments.invoice.sent'),
    20_000,
    'the invoice.sent of an invoice created after the one whose hook hangs',
  );
  hangFor = null;
  await waitForIdle(env.app.strapi, 30_000);
  // The hung hook's event was emitted on the hub once, and the hook was called again and took it.
  const sent = hub.filter(
    (h) => h.name === 'invoice-payments.invoice.sent' && h.payload.invoice.documentId === stuck.documentId,
  );
  expect(sent).toHaveLength(1);
  // Called again after its backoff, now returning: the row is delivered, one attempt after the last
  // that hung (a slow machine may have retried it, and hung again, before `hangFor` was cleared).
  expect(hungCalls).toBeGreaterThanOrEqual(1);
  await eventually(
    () =>
      env.app.strapi.db
        .query('plugin::invoice-payments.event-out')
        .findOne({ where: { invoiceDocumentId: stuck.documentId, event: 'invoice.sent' } }),
    (row: { status: string; attempts: number }) => row.status === 'delivered' && row.attempts === hungCalls + 1,
    10_000,
  );
}, 90_000);

it('concurrent creates for different entries all succeed, each with its own number', async () => {
  const ids = await Promise.all([booking(), booking(), booking()]);
  const made = await Promise.all(
    ids.map((documentId) => payables().create({ entity: { uid: BOOKING, documentId }, lineItems: lines })),
  );
  expect(new Set(made.map((m: { number: string }) => m.number)).size).toBe(3);
  await waitForIdle(env.app.strapi, 15_000);
});

it('marking sent: when its event out cannot be written, the change is not committed either', async () => {
  const made = await payableInvoice(env, { state: 'draft' });
  const out = env.app.strapi.plugin('invoice-payments').service('events-out');
  const record = out.record;
  // The outbox write fails (the database going away between the change's commit and the event's).
  out.record = async () => {
    throw new Error('outbox unavailable');
  };
  const editor = env.app.strapi.plugin('invoice-payments').service('invoice-editor');
  try {
    await expect(editor.markSent(made.documentId, { type: 'system', label: 'attack' })).rejects.toThrow(
      'outbox unavailable',
    );
  } finally {
    out.record = record;
  }
  const row = await env.app.strapi.db.query(INVOICE).findOne({ where: { documentId: made.documentId } });
  expect(row.state).toBe('draft');
  // Again with the outbox back: one invoice.sent.
  await editor.markSent(made.documentId, { type: 'system', label: 'attack' });
  await eventually(
    async () =>
      hub.filter((h) => h.name === 'invoice-payments.invoice.sent' && h.payload.invoice.documentId === made.documentId),
    (seen) => seen.length === 1,
    10_000,
  );
  await waitForIdle(env.app.strapi, 15_000);
});

it('a batch whose hooks outlast the claim keeps it: another instance never delivers those events again', async () => {
  // Five events claimed together, 1 s of hook each: 5 s against a 3 s claim, renewed as it goes.
  const made = await env.app.strapi.db.transaction(async () => {
    const out: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const inv = await payables().create({ entity: { uid: BOOKING, documentId: await booking() }, lineItems: lines });
      slowFor.add(inv.documentId);
      out.push(inv.documentId);
    }
    return out;
  });
  const other = eventsOutService({ strapi: env.app.strapi });
  const delivered = () =>
    env.app.strapi.db
      .query('plugin::invoice-payments.event-out')
      .count({ where: { invoiceDocumentId: { $in: made }, event: 'invoice.sent', status: 'delivered' } });
  // The other instance's worker tries to claim them every 300 ms until the batch delivered all five.
  await eventually(
    async () => {
      await other.runDue();
      await new Promise((r) => setTimeout(r, 300));
      return delivered();
    },
    (n) => n === made.length,
    20_000,
    'the batch delivering all five invoice.sent while another instance polls',
  );
  await waitForIdle(env.app.strapi, 30_000);
  expect(made.map((id) => slowCalls.get(id) ?? 0)).toEqual([1, 1, 1, 1, 1]);
  const rows = await env.app.strapi.db
    .query('plugin::invoice-payments.event-out')
    .findMany({ where: { invoiceDocumentId: { $in: made }, event: 'invoice.sent' } });
  expect(rows.map((r: { status: string; attempts: number }) => [r.status, r.attempts])).toEqual(
    made.map(() => ['delivered', 1]),
  );
}, 60_000);
