import { bootPayments, payableInvoice, payWith, readInvoice, PAYMENT, type PaymentsEnv } from '../support/payments';

/**
 * Issue 10, defect 5: every Dispute.Status of stripe 23.1.0 through a signed webhook. Meanings from
 * https://docs.stripe.com/api/disputes/object and https://docs.stripe.com/disputes/how-disputes-work:
 * `prevented` and `warning_closed` end with the money kept (not open, no alert), the `appeal_*`
 * statuses are still open, and a status the plugin does not know flags the invoice instead of guessing.
 */
let env: PaymentsEnv;
const EVENT = 'plugin::invoice-payments.webhook-event';
const NOTICE = 'plugin::invoice-payments.notice';

beforeAll(async () => {
  env = await bootPayments();
});
afterAll(async () => {
  await env?.close();
});

/** Polls until `check` passes; throws with the last value when it never does. */
async function waitFor<T>(
  read: () => Promise<T>,
  check: (value: T) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const paymentOf = async (documentId: string) =>
  (await env.app.strapi.db.query(PAYMENT).findMany({ where: { invoice: { documentId } } }))[0];

/** Every delivery answered and every stored event of this dispute settled: nothing is left to happen. */
async function settled(disputeId: string) {
  await env.standin.control.idle();
  const ids = env.standin.control
    .events()
    .filter((e) => (e.data as { object: { id: string } }).object.id === disputeId)
    .map((e) => e.id as string);
  expect(ids.length).toBeGreaterThan(0);
  await waitFor(
    () => env.app.strapi.db.query(EVENT).findMany({ where: { providerEventId: { $in: ids } } }),
    (rows: Array<{ status: string }>) =>
      rows.length === ids.length && rows.every((r) => r.status === 'processed' || r.status === 'ignored'),
    `the events of ${disputeId} to be processed`,
  );
}

async function paidByCard(amount = 10000) {
  const inv = await payableInvoice(env, {
    lineItems: [{ description: 'x', quantity: 1, unitAmount: amount }],
    billingEmail: `d${Date.now()}@example.test`,
  });
  const res = await env.app
    .http()
    .post(`/api/invoice-payments/invoices/${inv.documentId}/payment-intent`)
    .send({ token: inv.token });
  expect(res.status).toBe(200);
  await payWith(env, res.body.data.providerPaymentId, 'pm_card_visa');
  const invoice = await waitFor(
    () => readInvoice(env, inv.documentId),
    (i) => i.state === 'paid',
    'the invoice to be paid',
  );
  await waitFor(
    () => paymentOf(inv.documentId),
    (p) => Boolean(p?.chargeId && p?.notifiedAt),
    'the payment to be settled',
  );
  return { documentId: inv.documentId, number: invoice.number as string, payment: await paymentOf(inv.documentId) };
}

const disputeAlerts = (number: string) =>
  env.smtp.mails.filter((m) => m.subject.startsWith('Dispute opened') && m.subject.includes(number));
const disputeNotices = async (paymentId: number) =>
  env.app.strapi.db.query(NOTICE).findMany({ where: { paymentId, kind: 'dispute' } });

describe('dispute statuses through webhooks', () => {
  it.each(['prevented', 'warning_closed'])(
    'a dispute that arrives %s keeps the money: not open, not disputed, no alert',
    async (status) => {
      const { documentId, number, payment } = await paidByCard();
      const dispute = env.standin.control.openDispute(payment.chargeId, 'fraudulent', status);
      await settled(dispute.id as string);
      expect(await paymentOf(documentId)).toMatchObject({
        status: 'succeeded',
        disputeStatus: 'closed',
        disputeProviderStatus: status,
        disputeAlertedAt: null,
      });
      expect(await readInvoice(env, documentId)).toMatchObject({
        state: 'paid',
        balanceDue: 0,
        disputeOpen: false,
        needsAttention: false,
      });
      expect(await disputeNotices(payment.id)).toHaveLength(0);
      expect(disputeAlerts(number)).toHaveLength(0);
    },
  );

  it('an inquiry is open and alerted; closed without escalation it releases the payment', async () => {
    const { documentId, payment } = await paidByCard();
    const dispute = env.standin.control.openDispute(payment.chargeId, 'fraudulent', 'warning_needs_response');
    await settled(dispute.id as string);
    expect(await paymentOf(documentId)).toMatchObject({
      status: 'disputed',
      disputeStatus: 'open',
      disputeProviderStatus: 'warning_needs_response',
    });
    expect(await disputeNotices(payment.id)).toHaveLength(1);
    env.standin.control.setDisputeStatus(dispute.id as string, 'warning_closed');
    await settled(dispute.id as string);
    expect(await paymentOf(documentId)).toMatchObject({ status: 'succeeded', disputeStatus: 'closed' });
    expect(await readInvoice(env, documentId)).toMatchObject({ state: 'paid', disputeOpen: false });
  });

  it.each(['appeal_needs_response', 'appeal_under_review'])(
    'a dispute in %s is still open, then won',
    async (status) => {
      const { documentId, payment } = await paidByCard();
      const dispute = env.standin.control.openDispute(payment.chargeId);
      env.standin.control.setDisputeStatus(dispute.id as string, status);
      await settled(dispute.id as string);
      expect(await paymentOf(documentId)).toMatchObject({
        status: 'disputed',
        disputeStatus: 'open',
        disputeProviderStatus: status,
      });
      expect(await readInvoice(env, documentId)).toMatchObject({ disputeOpen: true });
      env.standin.control.setDisputeStatus(dispute.id as string, 'won');
      await settled(dispute.id as string);
      expect(await paymentOf(documentId)).toMatchObject({ status: 'succeeded', disputeStatus: 'won' });
      expect(await readInvoice(env, documentId)).toMatchObject({ state: 'paid', disputeOpen: false, balanceDue: 0 });
    },
  );

  it('an unknown status flags the invoice with a readable reason, sends no alert and moves no money', async () => {
    const { documentId, number, payment } = await paidByCard();
    const dispute = env.standin.control.openDispute(payment.chargeId, 'fraudulent', 'pre_arbitration_pending');
    await settled(dispute.id as string);
    expect(await paymentOf(documentId)).toMatchObject({
      status: 'succeeded',
      disputeStatus: 'unknown',
      disputeProviderStatus: 'pre_arbitration_pending',
      mismatch: null,
    });
    const invoice = await readInvoice(env, documentId);
    expect(invoice).toMatchObject({ state: 'paid', balanceDue: 0, disputeOpen: false, needsAttention: true });
    expect(invoice.attentionReason).toContain(
      `dispute ${dispute.id as string} in status "pre_arbitration_pending", which this plugin does not know`,
    );
    expect(await disputeNotices(payment.id)).toHaveLength(0);
    expect(disputeAlerts(number)).toHaveLength(0);

    // Once Stripe reports a known status again, the flag goes away.
    env.standin.control.setDisputeStatus(dispute.id as string, 'lost');
    await settled(dispute.id as string);
    expect(await readInvoice(env, documentId)).toMatchObject({
      needsAttention: false,
      attentionReason: null,
      balanceDue: 10000,
    });
  });

  it('an open dispute moving to an unknown status stays disputed and is flagged', async () => {
    const { documentId, payment } = await paidByCard();
    const dispute = env.standin.control.openDispute(payment.chargeId);
    await settled(dispute.id as string);
    expect(await paymentOf(documentId)).toMatchObject({ status: 'disputed', disputeStatus: 'open' });
    env.standin.control.setDisputeStatus(dispute.id as string, 'some_future_status');
    await settled(dispute.id as string);
    expect(await paymentOf(documentId)).toMatchObject({
      status: 'disputed',
      disputeStatus: 'unknown',
      disputeProviderStatus: 'some_future_status',
    });
    expect(await readInvoice(env, documentId)).toMatchObject({ needsAttention: true });
  });
});
