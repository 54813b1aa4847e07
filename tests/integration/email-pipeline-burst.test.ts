import { bootPayments, eventually, type PaymentsEnv } from '../support/payments';
import { waitForIdle } from '../support/idle';
import { NOTICE, stripeEvents } from '../support/stripe-events';

/**
 * Confirmation emails when settlement outruns the mail server (issue 14's full bench: PostgreSQL
 * settled a 15,000-event backlog at about 250 events/s, faster than the emails went out, and
 * 7,572 of 106,880 confirmations were still unsent when the run ended). An email queued in the
 * process's pipeline used to be dropped from it once it had waited half its outbox lease, and
 * left to the outbox worker, which found it only when the lease ran out and then sent 25 per
 * tick, one at a time. Now such an email is claimed (a new lease, atomically, so no other sender
 * has it) and sent by the pipeline, and the worker sends what is due page after page through the
 * same pipeline, a few at a time. The outbox lease is 1 s here (NOTICE_RETRY_AFTER_MS), and the
 * retry worker is off: only the pipeline and the explicit sendDue calls send.
 */
let env: PaymentsEnv;
beforeAll(async () => {
  env = await bootPayments({ env: { NOTICE_RETRY_AFTER_MS: '1000', WORKER_ENABLED: 'false' } });
});
afterAll(async () => {
  env?.smtp.slow(0);
  env?.smtp.failing(false);
  await env?.close();
});
const { paymentsOf, paidMany, postHeld } = stripeEvents(() => env);
type Paid = Awaited<ReturnType<typeof paidMany>>[number];

const outbox = () =>
  env.app.strapi.plugin('invoice-payments').service('notifications') as unknown as {
    sendDue(limit?: number): Promise<number>;
  };

beforeEach(async () => {
  env.standin.control.setWebhook({ enabled: false });
  env.smtp.slow(0);
  env.smtp.failing(false);
  await waitForIdle(env.app.strapi, 10_000, env.standin);
});

const mailsTo = (email: string) => env.smtp.mails.filter((m) => m.to.includes(email));
/** The confirmation email row of the invoice's one payment; null until its payment is settled. */
async function confirmationOf(p: Paid) {
  const payments = await paymentsOf(p.documentId);
  if (payments.length === 0) return null;
  expect(payments).toHaveLength(1);
  const notices = (await env.app.strapi.db.query(NOTICE).findMany({ where: { paymentId: payments[0].id } })) as Array<{
    kind: string;
    status: string;
    attempts: number;
    lastError: string | null;
  }>;
  expect(notices.length).toBeLessThanOrEqual(1);
  return notices[0] ?? null;
}

it('emails waiting past half their lease behind a slow mail server are claimed and sent by the pipeline, each once', async () => {
  const paid = await paidMany(20, 'burst');
  // 8 hand-offs at a time, 300 ms each: the third group of emails starts after the 500 ms mark.
  env.smtp.slow(300);
  await postHeld(paid.map((p) => p.succeeded));
  await eventually(
    async () => paid.filter((p) => mailsTo(p.email).length > 0).length,
    (n) => n === paid.length,
    20_000,
  );
  await waitForIdle(env.app.strapi, 20_000, env.standin);
  for (const p of paid) {
    expect(mailsTo(p.email)).toHaveLength(1);
    expect(await confirmationOf(p)).toMatchObject({ kind: 'confirmation', status: 'sent', attempts: 1 });
  }
});

it('the worker sends every due email in one call, page after page; two at once send each email once', async () => {
  const paid = await paidMany(12, 'burst');
  env.smtp.failing(true);
  await postHeld(paid.map((p) => p.succeeded));
  // Each refused once: due again after the 1 s lease (a retry with backoff).
  for (const p of paid)
    await eventually(
      () => confirmationOf(p),
      // Refused (a row just claimed for its hand-off is due with attempts 1 too, without an error).
      (n) => n?.status === 'due' && n.attempts === 1 && !!n.lastError,
      20_000,
    );
  env.smtp.failing(false);
  const dueNow = () => env.app.strapi.db.query(NOTICE).count({ where: { status: 'due', dueAt: { $lte: new Date() } } });
  await eventually(dueNow, (n) => n >= paid.length, 10_000);
  // Pages of 5: one call sends all of them (the worker used to send one page per tick: 10 at
  // most in two calls). The opener's email (postHeld's first event) may be among them.
  const sent = await Promise.all([outbox().sendDue(5), outbox().sendDue(5)]);
  expect(sent[0] + sent[1]).toBeGreaterThanOrEqual(paid.length);
  await waitForIdle(env.app.strapi, 20_000, env.standin);
  for (const p of paid) {
    expect(mailsTo(p.email)).toHaveLength(1);
    expect(await confirmationOf(p)).toMatchObject({ status: 'sent', attempts: 2 });
  }
});

it('events out committed while a delivery run is going are delivered when it ends, with the worker off', async () => {
  // Seen in CI under load: the run already going had read the outbox before these rows committed,
  // their kick was absorbed by it, and with no worker they stayed pending.
  const strapi = env.app.strapi;
  const out = strapi.plugin('invoice-payments').service('events-out') as unknown as {
    record(event: string, invoice: Record<string, unknown>): Promise<void>;
    runDue(): Promise<number>;
  };
  const invoice = (documentId: string) => ({
    documentId,
    number: documentId,
    state: 'sent',
    currency: 'USD',
    total: 1000,
    amountPaid: 0,
    amountRefunded: 0,
    balanceDue: 1000,
  });
  const first = `gate-first-${Date.now()}`;
  const second = `gate-second-${Date.now()}`;
  const delivered: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let entered!: () => void;
  const inGate = new Promise<void>((resolve) => (entered = resolve));
  const unregister = strapi
    .plugin('invoice-payments')
    .service('hooks')
    .register('gate', ['invoice.sent'], async (payload: { invoice: { documentId: string } }) => {
      if (![first, second].includes(payload.invoice.documentId)) return;
      delivered.push(payload.invoice.documentId);
      if (payload.invoice.documentId === first) {
        entered();
        await gate;
      }
    }) as () => void;
  const runs = jest.spyOn(out, 'runDue');
  try {
    await out.record('invoice.sent', invoice(first));
    await inGate; // a run is delivering the first row
    const before = runs.mock.calls.length;
    await out.record('invoice.sent', invoice(second));
    // The second row's kick reached the run that is going (it read the outbox before this row).
    await eventually(
      async () => runs.mock.calls.length,
      (n) => n > before,
      5000,
      'the second row’s kick',
    );
    expect(delivered).toEqual([first]);
    release();
    await waitForIdle(strapi, 10_000);
    expect(delivered).toEqual([first, second]);
  } finally {
    release();
    runs.mockRestore();
    unregister();
  }
});
