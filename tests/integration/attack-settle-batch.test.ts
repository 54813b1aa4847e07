import { bootPayments, eventually, readInvoice, type PaymentsEnv } from '../support/payments';
import { waitForIdle } from '../support/idle';
import { NOTICE, stripeEvents, uniq } from '../support/stripe-events';

/**
 * Independent review of c5a9325, batch settlement (group commit) racing everything else that books
 * money on an invoice: the pay page's confirm call, the retry worker (runDue), duplicate deliveries,
 * two PaymentIntents on one invoice (overpayment), an admin void. Run on sqlite, postgres and mysql.
 */
const AUDIT = 'plugin::invoice-payments.audit-entry';

let env: PaymentsEnv;
beforeAll(async () => {
  env = await bootPayments();
});
afterAll(async () => {
  await env?.close();
});
const { eventRow, paymentsOf, postEvent, paidAtStripe: paidAt, paidTwiceAtStripe } = stripeEvents(() => env);
const paidAtStripe = () => paidAt(`batch${uniq()}@example.test`);

const webhookEvents = () =>
  env.app.strapi.plugin('invoice-payments').service('webhook-events') as { runDue(limit?: number): Promise<number> };

beforeEach(async () => {
  env.standin.control.setWebhook({ enabled: false });
  await waitForIdle(env.app.strapi, 10_000, env.standin);
});

it('batches racing the pay page confirm and the retry worker: each invoice booked once, one email, events processed', async () => {
  const n = 16;
  const paid: Awaited<ReturnType<typeof paidAtStripe>>[] = [];
  for (let i = 0; i < n; i += 1) paid.push(await paidAtStripe());
  const confirms = paid.map((p) =>
    env.app
      .http()
      .post(`/api/invoice-payments/invoices/${p.documentId}/confirm-payment`)
      .send({ token: p.token, providerPaymentId: p.piId }),
  );
  const posts = [...paid, ...paid].map((p) => postEvent(p.succeeded));
  const workers = [webhookEvents().runDue(), webhookEvents().runDue()];
  const answers = await Promise.all(posts);
  expect(answers.every((a) => a.status === 200)).toBe(true);
  const confirmed = await Promise.all(confirms);
  for (const c of confirmed) expect(c.status).toBeLessThan(300);
  await Promise.all(workers);
  await webhookEvents().runDue();
  await waitForIdle(env.app.strapi, 60_000, env.standin);
  for (const p of paid) {
    await eventually(
      () => eventRow(p.succeeded.id as string),
      (r) => r?.status === 'processed',
      20_000,
    );
    const invoice = await readInvoice(env, p.documentId);
    expect(invoice).toMatchObject({ state: 'paid', balanceDue: 0, amountPaid: 182750, amountRefunded: 0 });
    const rows = await paymentsOf(p.documentId);
    expect(rows).toHaveLength(1);
    const notices = await env.app.strapi.db.query(NOTICE).findMany({ where: { paymentId: rows[0].id } });
    expect(notices).toEqual([expect.objectContaining({ kind: 'confirmation', status: 'sent' })]);
  }
  // No refund was made by anyone (nothing was overpaid).
  const refunds = (await env.stripe.refunds.list({ limit: 100 })).data.filter((r) =>
    paid.some((p) => p.piId === r.payment_intent),
  );
  expect(refunds).toHaveLength(0);
});

it('two PaymentIntents paid on one invoice, both snapshots in one batch (and redelivered): the excess refunded exactly once', async () => {
  const { inv, first, other, total, evA, evB } = await paidTwiceAtStripe();
  const answers = await Promise.all([evA, evB, evA, evB].map((e) => postEvent(e)));
  expect(answers.every((a) => a.status === 200)).toBe(true);
  await waitForIdle(env.app.strapi, 30_000, env.standin);
  const invoice = await eventually(
    () => readInvoice(env, inv.documentId),
    (i) => i.amountPaid === 2 * total && i.amountRefunded === total,
    20_000,
  );
  expect(invoice).toMatchObject({ state: 'paid', balanceDue: 0 });
  const refunds = (await env.stripe.refunds.list({ limit: 100 })).data.filter(
    (r) => r.payment_intent === first || r.payment_intent === other.id,
  );
  expect(refunds).toHaveLength(1);
  expect(refunds[0]!.amount).toBe(total);
  const audit = await env.app.strapi.db
    .query(AUDIT)
    .findMany({ where: { action: 'payment.overpaid', invoiceDocumentId: inv.documentId } });
  expect(audit).toHaveLength(1);
});

it('paid at Stripe, voided by the admin before the event arrives: the money is never kept silently on a void invoice', async () => {
  const p = await paidAtStripe();
  const voided = await env.app
    .http()
    .post(`/invoice-payments/invoices/${p.documentId}/void`)
    .set(env.admin.auth)
    .send({ reason: 'client cancelled' });
  expect((await postEvent(p.succeeded)).status).toBe(200);
  await eventually(
    () => eventRow(p.succeeded.id as string),
    (r) => r?.status === 'processed' || r?.status === 'ignored',
    15_000,
  );
  await waitForIdle(env.app.strapi, 30_000, env.standin);
  const invoice = await readInvoice(env, p.documentId);
  const refunds = (await env.stripe.refunds.list({ limit: 100 })).data.filter((r) => r.payment_intent === p.piId);
  if (invoice.state === 'void') {
    // Voided: what arrived is refunded in full, once.
    expect(refunds).toHaveLength(1);
    expect(refunds[0]!.amount).toBe(182750);
  } else {
    // The void was refused because money had arrived: the invoice is paid, nothing refunded.
    expect(voided.status).toBeGreaterThanOrEqual(400);
    expect(invoice).toMatchObject({ state: 'paid', amountPaid: 182750 });
    expect(refunds).toHaveLength(0);
  }
  expect(await paymentsOf(p.documentId)).toHaveLength(1);
});
