import {
  bootPayments,
  eventually,
  payableInvoice,
  payWith,
  readInvoice,
  PAYMENT,
  type PaymentsEnv,
} from '../support/payments';
import { waitForIdle } from '../support/idle';
import { computeInvoiceTotals, recomputeInvoice } from '../../server/src/domain';
import { toLedgerEntries, type PaymentRow } from '../../server/src/services/invoices';

/** Admin payment actions and the money events that follow them: manual payments, refunds, disputes, Checkout. */
let env: PaymentsEnv;
const AUDIT = 'plugin::invoice-payments.audit-entry';

beforeAll(async () => {
  env = await bootPayments();
});
afterAll(async () => {
  await env?.close();
});

const adminPost = (path: string, body: Record<string, unknown> = {}, auth = env.admin.auth) =>
  env.app.http().post(`/invoice-payments${path}`).set(auth).send(body);
const paymentsOf = (documentId: string) =>
  env.app.strapi.db.query(PAYMENT).findMany({ where: { invoice: { documentId } }, orderBy: { id: 'asc' } });

async function cardPaid(amount = 10000) {
  const inv = await payableInvoice(env, {
    lineItems: [{ description: 'x', quantity: 1, unitAmount: amount }],
    billingEmail: `c${Date.now()}@example.test`,
  });
  const res = await env.app
    .http()
    .post(`/api/invoice-payments/invoices/${inv.documentId}/payment-intent`)
    .send({ token: inv.token });
  await payWith(env, res.body.data.providerPaymentId, 'pm_card_visa');
  await eventually(
    () => readInvoice(env, inv.documentId),
    (i) => i.state === 'paid',
  );
  const [payment] = await paymentsOf(inv.documentId);
  return { ...inv, piId: res.body.data.providerPaymentId as string, payment };
}

describe('manual payments ("mark as paid")', () => {
  it('defaults to the full balance and today, and marks the invoice paid', async () => {
    const { documentId } = await payableInvoice(env);
    const res = await adminPost(`/invoices/${documentId}/manual-payments`, { method: 'check', reference: 'CHK-1042' });
    expect(res.status).toBe(201);
    expect(res.body.data.invoice).toMatchObject({ state: 'paid', balanceDue: 0 });
    expect(res.body.data.payment).toMatchObject({
      kind: 'manual',
      method: 'check',
      reference: 'CHK-1042',
      status: 'succeeded',
      amount: 182750,
    });
    const entry = await env.app.strapi.db
      .query(AUDIT)
      .findOne({ where: { action: 'payment.manual', invoiceDocumentId: documentId } });
    expect(entry).toMatchObject({ actorType: 'admin', actorLabel: env.admin.email });
  });

  it('a partial payment reduces the balance; more than the balance is refused and changes nothing', async () => {
    const { documentId } = await payableInvoice(env, {
      lineItems: [{ description: 'x', quantity: 1, unitAmount: 10000 }],
    });
    const part = await adminPost(`/invoices/${documentId}/manual-payments`, {
      amount: 2500,
      method: 'wire',
      date: '2026-01-15',
    });
    expect(part.body.data.invoice).toMatchObject({ state: 'partially_paid', balanceDue: 7500, amountPaid: 2500 });
    const over = await adminPost(`/invoices/${documentId}/manual-payments`, { amount: 7501, method: 'cash' });
    expect(over.status).toBe(400);
    expect(over.body.error.message).toMatch(/more than the balance due \(\$75\.00\)/);
    expect((await readInvoice(env, documentId)).balanceDue).toBe(7500);
  });

  it.each([
    [{ method: 'bitcoin' }, /Method must be/],
    [{ method: 'check', amount: 10.5 }, /whole minor units/],
    [{ method: 'check', amount: -1 }, /above zero/],
    [{ method: 'check', date: '2999-01-01' }, /future/],
    [{ method: 'check', date: 'yesterday' }, /date like/],
  ])('refuses %j with a 400', async (body, message) => {
    const { documentId } = await payableInvoice(env);
    const res = await adminPost(`/invoices/${documentId}/manual-payments`, body);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(message);
    expect(await paymentsOf(documentId)).toHaveLength(0);
  });

  it('voiding a manual payment reopens the balance', async () => {
    const { documentId } = await payableInvoice(env);
    const res = await adminPost(`/invoices/${documentId}/manual-payments`, { method: 'ach' });
    const voided = await adminPost(`/payments/${res.body.data.payment.documentId}/void`, { reason: 'Cheque bounced' });
    expect(voided.status).toBe(200);
    expect(await readInvoice(env, documentId)).toMatchObject({ state: 'sent', balanceDue: 182750, amountPaid: 0 });
  });

  it('is refused to a role without payments.manual', async () => {
    const { adminSession } = await import('../support/admin');
    const reader = await adminSession(env.app.strapi, ['plugin::invoice-payments.payments.read']);
    const { documentId } = await payableInvoice(env);
    expect((await adminPost(`/invoices/${documentId}/manual-payments`, { method: 'check' }, reader.auth)).status).toBe(
      403,
    );
    expect((await env.app.http().get(`/invoice-payments/invoices/${documentId}`).set(reader.auth)).status).toBe(200);
  });
});

/**
 * What the domain computes from the stored line items and the stored ledger, next to what the
 * invoice row says: equal after every money change (services/invoices.ts recompute).
 */
async function storedAndComputed(documentId: string) {
  await waitForIdle(env.app.strapi, 10_000, env.standin);
  const row = await readInvoice(env, documentId);
  const ledger = (await paymentsOf(documentId)) as PaymentRow[];
  const lineItems = (
    row.lineItems as Array<{ description: string; quantity: number | string; unitAmount: number }>
  ).map(({ description, quantity, unitAmount }) => ({ description, quantity, unitAmount }));
  const totals = computeInvoiceTotals({
    currency: row.currency,
    lineItems,
    taxRateBps: row.taxRateBps ?? 0,
    discountAmount: row.discountAmount ?? 0,
  });
  const money = recomputeInvoice(
    { status: row.state, total: totals.total, currency: row.currency },
    toLedgerEntries(ledger),
  );
  return {
    stored: {
      subtotal: row.subtotal,
      tax: row.tax,
      total: row.total,
      amountPaid: row.amountPaid,
      amountRefunded: row.amountRefunded,
      balanceDue: row.balanceDue,
      state: row.state,
    },
    computed: {
      subtotal: totals.subtotal,
      tax: totals.tax,
      total: totals.total,
      amountPaid: money.amountPaid,
      amountRefunded: money.amountRefunded,
      balanceDue: money.balanceDue,
      state: money.status,
    },
  };
}

describe('stored totals equal what the domain computes from the ledger', () => {
  it('after a card payment', async () => {
    const { documentId } = await cardPaid(10000);
    const { stored, computed } = await storedAndComputed(documentId);
    expect(stored).toEqual(computed);
    expect(stored).toMatchObject({ total: 10000, amountPaid: 10000, balanceDue: 0, state: 'paid' });
  });

  it('after a refund', async () => {
    const { documentId, payment } = await cardPaid(10000);
    expect(
      (await adminPost(`/payments/${payment.documentId}/refunds`, { amount: 4000, idempotencyKey: 'totals-refund-1' }))
        .status,
    ).toBe(200);
    const { stored, computed } = await storedAndComputed(documentId);
    expect(stored).toEqual(computed);
    expect(stored).toMatchObject({
      amountPaid: 10000,
      amountRefunded: 4000,
      balanceDue: 4000,
      state: 'partially_paid',
    });
  });

  it('after a manual payment and its void', async () => {
    const { documentId } = await payableInvoice(env, {
      lineItems: [{ description: 'x', quantity: 3, unitAmount: 2500 }],
      taxRateBps: 1000,
    });
    const paid = await adminPost(`/invoices/${documentId}/manual-payments`, { amount: 5000, method: 'wire' });
    expect(paid.status).toBe(201);
    const afterPayment = await storedAndComputed(documentId);
    expect(afterPayment.stored).toEqual(afterPayment.computed);
    expect(afterPayment.stored).toMatchObject({
      subtotal: 7500,
      tax: 750,
      total: 8250,
      amountPaid: 5000,
      balanceDue: 3250,
      state: 'partially_paid',
    });
    expect(
      (await adminPost(`/payments/${paid.body.data.payment.documentId}/void`, { reason: 'Wire recalled' })).status,
    ).toBe(200);
    const afterVoid = await storedAndComputed(documentId);
    expect(afterVoid.stored).toEqual(afterVoid.computed);
    expect(afterVoid.stored).toMatchObject({ amountPaid: 0, balanceDue: 8250, state: 'sent' });
  });
});

describe('refunds', () => {
  it('a partial refund reopens part of the balance; a full refund reopens it all', async () => {
    const { payment } = await cardPaid(10000);
    const part = await adminPost(`/payments/${payment.documentId}/refunds`, {
      amount: 3000,
      idempotencyKey: 'dialog-0001',
    });
    expect(part.status).toBe(200);
    expect(part.body.data.refund).toMatchObject({ amount: 3000, status: 'succeeded' });
    expect(part.body.data.invoice).toMatchObject({ state: 'partially_paid', balanceDue: 3000, amountRefunded: 3000 });
    // A double click (same dialog key) refunds once.
    const again = await adminPost(`/payments/${payment.documentId}/refunds`, {
      amount: 3000,
      idempotencyKey: 'dialog-0001',
    });
    expect(again.body.data.invoice.amountRefunded).toBe(3000);
    const rest = await adminPost(`/payments/${payment.documentId}/refunds`, {});
    expect(rest.body.data.refund.amount).toBe(7000);
    expect(rest.body.data.invoice).toMatchObject({ state: 'sent', balanceDue: 10000, amountRefunded: 10000 });
    expect(rest.body.data.payments[0].status).toBe('refunded');
    expect(rest.body.data.payments[0].refunds).toHaveLength(2);
    const over = await adminPost(`/payments/${payment.documentId}/refunds`, { amount: 1 });
    expect(over.status).toBe(409);
    expect(over.body.error.message).toMatch(/refunded in full/);
  });

  it('a refund made in the Stripe Dashboard arrives by webhook and is booked once', async () => {
    const { documentId, piId } = await cardPaid(10000);
    await env.stripe.refunds.create({ payment_intent: piId, amount: 2500 });
    const inv = await eventually(
      () => readInvoice(env, documentId),
      (i) => i.amountRefunded === 2500,
    );
    expect(inv).toMatchObject({ amountRefunded: 2500, balanceDue: 2500, state: 'partially_paid' });
    await env.standin.control.idle();
    expect(
      await env.app.strapi.db
        .query('plugin::invoice-payments.refund')
        .count({ where: { invoiceDocumentId: documentId } }),
    ).toBe(1);
  });

  it('Stripe failing the refund: 502, nothing booked, the retry refunds once', async () => {
    const { documentId, payment } = await cardPaid(10000);
    env.standin.control.addFault({ method: 'POST', path: '/v1/refunds', status: 500, times: 3 });
    const res = await adminPost(`/payments/${payment.documentId}/refunds`, { amount: 1000 });
    expect(res.status).toBe(502);
    expect((await readInvoice(env, documentId)).amountRefunded).toBe(0);
    env.standin.control.clearFaults();
    const retry = await adminPost(`/payments/${payment.documentId}/refunds`, { amount: 1000 });
    expect(retry.body.data.invoice.amountRefunded).toBe(1000);
    const stripeRefunds = await env.stripe.refunds.list({ payment_intent: payment.providerPaymentId });
    expect(stripeRefunds.data).toHaveLength(1);
  });

  it('keep_paid policy: a full refund keeps the invoice paid with the refund noted', async () => {
    await env.app.strapi
      .plugin('invoice-payments')
      .service('settings')
      .update({ refundPolicy: 'keep_paid' }, { type: 'system' });
    try {
      const { documentId, payment } = await cardPaid(10000);
      await adminPost(`/payments/${payment.documentId}/refunds`, {});
      expect(await readInvoice(env, documentId)).toMatchObject({ state: 'paid', amountRefunded: 10000 });
    } finally {
      await env.app.strapi
        .plugin('invoice-payments')
        .service('settings')
        .update({ refundPolicy: 'reopen' }, { type: 'system' });
    }
  });
});

describe('disputes', () => {
  it('a dispute flags the payment and invoice and alerts the admin; losing it reopens the balance', async () => {
    const { documentId, payment } = await cardPaid(10000);
    const dispute = env.standin.control.openDispute(payment.chargeId);
    const flagged = await eventually(
      () => readInvoice(env, documentId),
      (i) => i.disputeOpen === true,
    );
    expect(flagged.disputeOpen).toBe(true);
    expect((await paymentsOf(documentId))[0]).toMatchObject({ status: 'disputed', disputeStatus: 'open' });
    const alerts = await eventually(
      async () =>
        env.smtp.mails.filter((m) => m.subject.startsWith('Dispute opened') && m.subject.includes(flagged.number)),
      (m) => m.length > 0,
    );
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.to).toEqual(['billing-admin@example.test']);
    env.standin.control.closeDispute(dispute.id as string, 'lost');
    const lost = await eventually(
      () => readInvoice(env, documentId),
      (i) => i.balanceDue === 10000,
    );
    expect(lost).toMatchObject({ disputeOpen: false, balanceDue: 10000, state: 'sent' });
  });

  it('a won dispute returns the payment to succeeded', async () => {
    const { documentId, payment } = await cardPaid(10000);
    const dispute = env.standin.control.openDispute(payment.chargeId);
    await eventually(
      () => readInvoice(env, documentId),
      (i) => i.disputeOpen === true,
    );
    env.standin.control.closeDispute(dispute.id as string, 'won');
    const won = await eventually(
      () => readInvoice(env, documentId),
      (i) => i.disputeOpen === false,
    );
    expect(won).toMatchObject({ state: 'paid', balanceDue: 0 });
  });
});

describe('Checkout', () => {
  const checkout = (documentId: string, token: string, uiMode?: string) =>
    env.app.http().post(`/api/invoice-payments/invoices/${documentId}/checkout-session`).send({ token, uiMode });

  it('hosted: a URL to Stripe; completing it marks the invoice paid', async () => {
    const { documentId, token } = await payableInvoice(env);
    const res = await checkout(documentId, token, 'hosted');
    expect(res.status).toBe(200);
    expect(res.body.data.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/_standin\/checkout\//);
    env.standin.control.completeCheckout(res.body.data.checkoutSessionId);
    const inv = await eventually(
      () => readInvoice(env, documentId),
      (i) => i.state === 'paid',
    );
    expect(inv.balanceDue).toBe(0);
    const [p] = await paymentsOf(documentId);
    expect(p).toMatchObject({
      kind: 'checkout',
      status: 'succeeded',
      checkoutSessionId: res.body.data.checkoutSessionId,
    });
    expect(p.providerPaymentId).toMatch(/^pi_/);
  });

  it('embedded: a client secret; delayed success then settles', async () => {
    const { documentId, token } = await payableInvoice(env);
    const res = await checkout(documentId, token, 'embedded');
    expect(res.body.data.clientSecret).toBeTruthy();
    expect(res.body.data.url).toBeNull();
    const session = env.standin.control.completeCheckout(res.body.data.checkoutSessionId, {
      outcome: 'delayed_success',
    });
    expect(session.payment_status).toBe('unpaid');
    const [pending] = await eventually(
      () => paymentsOf(documentId),
      (ps) => ps[0]?.status === 'processing',
    );
    expect(pending).toMatchObject({ kind: 'checkout', status: 'processing' });
    env.standin.control.settleDelayed(session.payment_intent as string, 'succeed');
    const inv = await eventually(
      () => readInvoice(env, documentId),
      (i) => i.state === 'paid',
      5000,
    );
    expect(inv.state).toBe('paid');
  });

  it('delayed failure leaves the invoice payable', async () => {
    const { documentId, token } = await payableInvoice(env);
    const res = await checkout(documentId, token, 'hosted');
    const session = env.standin.control.completeCheckout(res.body.data.checkoutSessionId, {
      outcome: 'delayed_failure',
    });
    await eventually(
      () => paymentsOf(documentId),
      (ps) => ps[0]?.status === 'processing',
    );
    env.standin.control.settleDelayed(session.payment_intent as string, 'fail');
    const [p] = await eventually(
      () => paymentsOf(documentId),
      (ps) => ps[0]?.status === 'failed',
      5000,
    );
    expect(p.status).toBe('failed');
    expect((await readInvoice(env, documentId)).state).toBe('sent');
  });

  it('an expired session closes its ledger entry', async () => {
    const { documentId, token } = await payableInvoice(env);
    const res = await checkout(documentId, token, 'hosted');
    await env.stripe.checkout.sessions.expire(res.body.data.checkoutSessionId);
    const [p] = await eventually(
      () => paymentsOf(documentId),
      (ps) => ps[0]?.status === 'canceled',
    );
    expect(p.status).toBe('canceled');
  });
});

describe('admin reads', () => {
  it('lists invoices with filters and pagination, and reads one with its ledger and audit trail', async () => {
    const { documentId } = await cardPaid(10000);
    const list = await env.app.http().get('/invoice-payments/invoices?state=paid&pageSize=2').set(env.admin.auth);
    expect(list.status).toBe(200);
    expect(list.body.pagination.pageSize).toBe(2);
    expect(list.body.results.every((r: { state: string }) => r.state === 'paid')).toBe(true);
    const one = await env.app.http().get(`/invoice-payments/invoices/${documentId}`).set(env.admin.auth);
    expect(one.body.data.invoice.payLink).toMatch(/\/invoice-payments\/pay\/[A-Za-z0-9_-]{32}$/);
    expect(one.body.data.payments[0].dashboardUrl).toMatch(/^https:\/\/dashboard\.stripe\.com\/test\/payments\/pi_/);
    expect(one.body.data.audit.map((a: { action: string }) => a.action)).toEqual(
      expect.arrayContaining(['payment.attempt', 'payment.succeeded']),
    );
    const bad = await env.app.http().get('/invoice-payments/invoices?state=bogus').set(env.admin.auth);
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/Unknown invoice state/);
    // The filter's old name is refused, not silently ignored (which would list every invoice).
    const renamed = await env.app.http().get('/invoice-payments/invoices?status=paid').set(env.admin.auth);
    expect(renamed.status).toBe(400);
    expect(renamed.body.error.message).toMatch(/status/);
  });

  it('filters the audit log by invoice, actor and action', async () => {
    const { documentId } = await cardPaid(10000);
    const byInvoice = await env.app
      .http()
      .get(`/invoice-payments/audit-entries?invoice=${documentId}`)
      .set(env.admin.auth);
    expect(byInvoice.body.results.length).toBeGreaterThanOrEqual(2);
    expect(byInvoice.body.results.every((a: { invoiceDocumentId: string }) => a.invoiceDocumentId === documentId)).toBe(
      true,
    );
    const byActor = await env.app
      .http()
      .get('/invoice-payments/audit-entries?actorType=stripe&action=payment.')
      .set(env.admin.auth);
    expect(
      byActor.body.results.every(
        (a: { actorType: string; action: string }) => a.actorType === 'stripe' && a.action.startsWith('payment.'),
      ),
    ).toBe(true);
  });

  it('sends the invoice email with a "Pay online" link and marks a draft as sent', async () => {
    const { documentId } = await payableInvoice(env, { state: 'draft', billingEmail: 'send-me@example.test' });
    const res = await adminPost(`/invoices/${documentId}/send`);
    expect(res.status).toBe(200);
    expect(res.body.data.invoice.state).toBe('sent');
    const mail = await eventually(
      async () => env.smtp.mails.filter((m) => m.to.includes('send-me@example.test')),
      (m) => m.length > 0,
    );
    expect(mail[0]!.raw).toMatch(/Pay online/);
    expect(mail[0]!.raw.replace(/=\r?\n/g, '')).toContain('/invoice-payments/pay/');
  });

  it('resync re-reads Stripe and regenerating the pay link invalidates the old one', async () => {
    const { documentId, token } = await cardPaid(10000);
    expect((await adminPost(`/invoices/${documentId}/resync`)).status).toBe(200);
    const regen = await adminPost(`/invoices/${documentId}/pay-link`);
    expect(regen.body.data.invoice.payLink).not.toContain(token);
    const old = await env.app
      .http()
      .post(`/api/invoice-payments/invoices/${documentId}/payment-intent`)
      .send({ token });
    expect(old.status).toBe(404);
  });
});
