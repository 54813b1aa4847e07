import { bootPayments, eventually, readInvoice, PAYMENT, type PaymentsEnv } from '../support/payments';
import { waitForIdle } from '../support/idle';
import { NOTICE, stripeEvents } from '../support/stripe-events';

/**
 * Issue 14, settlement speed: a verified event that shows its PaymentIntent in a final state
 * (`succeeded`, `canceled`: https://docs.stripe.com/payments/paymentintents/lifecycle) is booked
 * from the event itself, without reading the payment from Stripe again; events queued together
 * are settled in one transaction (group commit). What must not change: a final state never undoes
 * what came after it (a refund), an event whose payload is not a whole PaymentIntent is read as
 * before, and every invoice is booked once with one email.
 */

let env: PaymentsEnv;
beforeAll(async () => {
  env = await bootPayments();
});
afterAll(async () => {
  await env?.close();
});
const { eventRow, reads, postEvent, paidAtStripe } = stripeEvents(() => env);
const paymentOf = async (documentId: string) =>
  (await env.app.strapi.db.query(PAYMENT).findMany({ where: { invoice: { documentId } } }))[0];

beforeEach(async () => {
  env.standin.control.setWebhook({ enabled: false });
  await waitForIdle(env.app.strapi, 10_000, env.standin);
});

it('books payment_intent.succeeded from the verified event, without reading the payment again', async () => {
  const { documentId, succeeded } = await paidAtStripe();
  const before = reads();
  expect((await postEvent(succeeded)).status).toBe(200);
  await eventually(
    () => readInvoice(env, documentId),
    (i) => i.state === 'paid',
    10_000,
  );
  await waitForIdle(env.app.strapi, 10_000, env.standin);
  expect(reads() - before).toBe(0);
  expect(await eventRow(succeeded.id as string)).toMatchObject({ status: 'processed', invoiceDocumentId: documentId });
  expect(await paymentOf(documentId)).toMatchObject({ status: 'succeeded', amount: 182750, amountRefunded: 0 });
});

it('a final state never undoes what came after it: a late payment_intent.succeeded after a full refund', async () => {
  const { documentId, succeeded } = await paidAtStripe();
  expect((await postEvent(succeeded)).status).toBe(200);
  await eventually(
    () => readInvoice(env, documentId),
    (i) => i.state === 'paid',
    10_000,
  );
  const payment = await paymentOf(documentId);
  const refund = await env.app
    .http()
    .post(`/invoice-payments/payments/${payment.documentId}/refunds`)
    .set(env.admin.auth)
    .send({ idempotencyKey: `late-${documentId}` });
  expect(refund.status).toBe(200);
  await eventually(
    () => paymentOf(documentId),
    (p) => p.status === 'refunded',
    10_000,
  );
  await waitForIdle(env.app.strapi, 10_000, env.standin);
  const invoiceBefore = await readInvoice(env, documentId);
  const emailsBefore = await env.app.strapi.db.query(NOTICE).count({ where: { paymentId: payment.id } });
  // The same snapshot again under another event id (Stripe may send an event late, after later ones).
  const late = { ...succeeded, id: `${succeeded.id as string}_late` };
  expect((await postEvent(late)).status).toBe(200);
  await eventually(
    () => eventRow(late.id),
    (r) => r?.status === 'processed',
    10_000,
  );
  await waitForIdle(env.app.strapi, 10_000, env.standin);
  expect(await paymentOf(documentId)).toMatchObject({ status: 'refunded', amountRefunded: 182750 });
  const invoiceAfter = await readInvoice(env, documentId);
  expect(invoiceAfter.state).toBe(invoiceBefore.state);
  expect(invoiceAfter.amountRefunded).toBe(invoiceBefore.amountRefunded);
  expect(await env.app.strapi.db.query(NOTICE).count({ where: { paymentId: payment.id } })).toBe(emailsBefore);
});

it('an event whose payload is not a whole PaymentIntent is settled by reading the payment, as any other', async () => {
  const { documentId, piId, succeeded } = await paidAtStripe();
  const object = { ...(succeeded.data as { object: Record<string, unknown> }).object };
  delete object.amount_received;
  const partial = { ...succeeded, id: `${succeeded.id as string}_partial`, data: { object } };
  const before = reads();
  expect((await postEvent(partial)).status).toBe(200);
  await eventually(
    () => readInvoice(env, documentId),
    (i) => i.state === 'paid',
    10_000,
  );
  await waitForIdle(env.app.strapi, 10_000, env.standin);
  expect(reads() - before).toBe(1);
  expect(await paymentOf(documentId)).toMatchObject({ status: 'succeeded', providerPaymentId: piId });
});

it('a burst of deliveries, each sent twice at once, books every invoice once with one email each', async () => {
  const n = 40;
  const paid = [];
  for (let i = 0; i < n; i += 1) paid.push(await paidAtStripe(`burst${i}-${Date.now()}@example.test`));
  const before = reads();
  // Every event twice, all at once: settled in batches (one transaction each), duplicates stored once.
  const answers = await Promise.all([...paid, ...paid].map((p) => postEvent(p.succeeded)));
  expect(answers.every((a) => a.status === 200)).toBe(true);
  expect(answers.filter((a) => a.body.duplicate === true)).toHaveLength(n);
  await waitForIdle(env.app.strapi, 30_000, env.standin);
  expect(reads() - before).toBe(0);
  for (const p of paid) {
    const invoice = await readInvoice(env, p.documentId);
    expect(invoice).toMatchObject({ state: 'paid', balanceDue: 0, amountPaid: 182750 });
    const rows = await env.app.strapi.db.query(PAYMENT).findMany({ where: { invoice: { documentId: p.documentId } } });
    expect(rows).toHaveLength(1);
    const notices = await env.app.strapi.db.query(NOTICE).findMany({ where: { paymentId: rows[0].id } });
    expect(notices).toEqual([expect.objectContaining({ kind: 'confirmation', status: 'sent' })]);
    expect(await eventRow(p.succeeded.id as string)).toMatchObject({ status: 'processed', attempts: 1 });
  }
});

it('books what the ledger entry asked for, not metadata edited at Stripe afterwards (Dashboard)', async () => {
  const { documentId, succeeded } = await paidAtStripe();
  const object = (succeeded.data as { object: Record<string, unknown> }).object;
  // Same total, split differently: more of it "fee", less of it paying the invoice.
  const edited = {
    ...succeeded,
    id: `${succeeded.id as string}_edited`,
    data: {
      object: {
        ...object,
        metadata: {
          ...(object.metadata as Record<string, string>),
          invoice_payments_portion: '180000',
          invoice_payments_fee: '2750',
        },
      },
    },
  };
  expect((await postEvent(edited)).status).toBe(200);
  await eventually(
    () => eventRow(edited.id),
    (r) => r?.status === 'processed',
    10_000,
  );
  expect(await paymentOf(documentId)).toMatchObject({ status: 'succeeded', amount: 182750, fee: 0, mismatch: null });
  expect(await readInvoice(env, documentId)).toMatchObject({ state: 'paid', balanceDue: 0 });
});
