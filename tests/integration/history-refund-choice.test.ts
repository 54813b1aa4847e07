import { bootPayments, payableInvoice, payWith, readInvoice, PAYMENT, type PaymentsEnv } from '../support/payments';
import { cardFee } from '../support/stripe-standin/resources/account';

/**
 * Issue 11: the payment history (no stale decline on a payment that succeeded, the charge id and
 * Stripe's fee from the charge's balance transaction), what each refund means for its invoice
 * (reopen the balance or keep it paid: chosen per refund, validated, audited, defaulted for
 * Dashboard refunds from the setting), and "Test connection" never reverting settings saved
 * while Stripe answered.
 */
let env: PaymentsEnv;
const AUDIT = 'plugin::invoice-payments.audit-entry';
const REFUND = 'plugin::invoice-payments.refund';

beforeAll(async () => {
  env = await bootPayments();
});
afterEach(() => env.standin.control.clearFaults());
afterAll(async () => {
  await env?.close();
});

const adminPost = (path: string, body: Record<string, unknown> = {}) =>
  env.app.http().post(`/invoice-payments${path}`).set(env.admin.auth).send(body);
const adminGet = (path: string) => env.app.http().get(`/invoice-payments${path}`).set(env.admin.auth);
const paymentsOf = (documentId: string) =>
  env.app.strapi.db.query(PAYMENT).findMany({ where: { invoice: { documentId } }, orderBy: { id: 'asc' } });
const refundRows = (invoiceDocumentId: string) =>
  env.app.strapi.db.query(REFUND).findMany({ where: { invoiceDocumentId }, orderBy: { id: 'asc' } });

async function waitFor<T>(
  read: () => Promise<T>,
  check: (value: T) => boolean,
  what: string,
  timeoutMs = 8000,
): Promise<T> {
  const started = Date.now();
  let value = await read();
  while (!check(value)) {
    if (Date.now() - started > timeoutMs)
      throw new Error(`Timed out waiting for ${what}; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 25));
    value = await read();
  }
  return value;
}

async function cardPaid(amount = 10000, declineFirst = false) {
  const inv = await payableInvoice(env, {
    lineItems: [{ description: 'x', quantity: 1, unitAmount: amount }],
    billingEmail: `c${Date.now()}@example.test`,
  });
  const res = await env.app
    .http()
    .post(`/api/invoice-payments/invoices/${inv.documentId}/payment-intent`)
    .send({ token: inv.token });
  expect(res.status).toBe(200);
  const piId = res.body.data.providerPaymentId as string;
  if (declineFirst) {
    await payWith(env, piId, 'pm_card_chargeDeclined');
    await waitFor(
      () => paymentsOf(inv.documentId),
      (rows) => rows[0]?.failureMessage != null,
      'the decline to be recorded',
    );
  }
  await payWith(env, piId, 'pm_card_visa');
  await waitFor(
    () => readInvoice(env, inv.documentId),
    (i) => i.state === 'paid',
    'the invoice to be paid',
  );
  await env.standin.control.idle();
  const [payment] = await paymentsOf(inv.documentId);
  return { ...inv, piId, payment };
}

describe('payment history', () => {
  it('a payment that succeeded after a decline shows no failure, and carries its charge id and Stripe’s fee', async () => {
    const { documentId, piId } = await cardPaid(182750, true);
    const pi = await env.stripe.paymentIntents.retrieve(piId, { expand: ['latest_charge.balance_transaction'] });
    const charge = pi.latest_charge as { id: string; balance_transaction: { fee: number; currency: string } };
    // The stand-in's fee is Stripe's US card price; the plugin reads it, never computes it.
    expect(charge.balance_transaction.fee).toBe(cardFee(182750));

    const row = await waitFor(
      async () => (await paymentsOf(documentId))[0],
      (p) => p?.providerFee != null,
      'the fee to be stored',
    );
    expect(row).toMatchObject({
      status: 'succeeded',
      failureCode: null,
      failureMessage: null,
      chargeId: charge.id,
      providerFee: cardFee(182750),
      providerFeeCurrency: 'USD',
    });

    const detail = await adminGet(`/invoices/${documentId}`);
    expect(detail.status).toBe(200);
    expect(detail.body.data.payments[0]).toMatchObject({
      chargeId: charge.id,
      providerPaymentId: piId,
      providerFee: 5330,
      providerFeeFormatted: '$53.30',
      failureMessage: null,
    });
  });

  it('a payment that failed keeps its failure message', async () => {
    const inv = await payableInvoice(env, { billingEmail: `f${Date.now()}@example.test` });
    const res = await env.app
      .http()
      .post(`/api/invoice-payments/invoices/${inv.documentId}/payment-intent`)
      .send({ token: inv.token });
    await payWith(env, res.body.data.providerPaymentId, 'pm_card_chargeDeclined');
    const [row] = await waitFor(
      () => paymentsOf(inv.documentId),
      (rows) => rows[0]?.failureMessage != null,
      'the decline',
    );
    expect(row.failureMessage).toMatch(/declined/i);
    expect(row.providerFee).toBeNull();
  });
});

describe('what a refund means for the invoice', () => {
  it('a partial refund with "keep paid" leaves the invoice paid, nothing to pay, and is stored and audited', async () => {
    const { documentId, payment, token } = await cardPaid(10000);
    const res = await adminPost(`/payments/${payment.documentId}/refunds`, {
      amount: 3000,
      invoiceEffect: 'keep_paid',
      idempotencyKey: `keep-${documentId}`,
    });
    expect(res.status).toBe(200);
    expect(res.body.data.refund).toMatchObject({ amount: 3000, invoiceEffect: 'keep_paid' });
    expect(res.body.data.invoice).toMatchObject({ state: 'paid', balanceDue: 0, amountRefunded: 3000 });
    await env.standin.control.idle();
    expect(await readInvoice(env, documentId)).toMatchObject({ state: 'paid', balanceDue: 0 });
    expect((await refundRows(documentId))[0]).toMatchObject({ invoiceEffect: 'keep_paid', amount: 3000 });
    const entry = await env.app.strapi.db
      .query(AUDIT)
      .findOne({ where: { action: 'refund.requested', invoiceDocumentId: documentId } });
    expect(entry.details).toMatchObject({ invoiceEffect: 'keep_paid', amount: 3000, currency: 'USD' });
    // The client's pay link has nothing to pay.
    const again = await env.app
      .http()
      .post(`/api/invoice-payments/invoices/${documentId}/payment-intent`)
      .send({ token });
    expect(again.status).toBeGreaterThanOrEqual(400);
    expect(again.status).toBeLessThan(500);
  });

  it('a partial refund with "reopen" makes the refunded amount due again', async () => {
    const { documentId, payment } = await cardPaid(10000);
    const res = await adminPost(`/payments/${payment.documentId}/refunds`, {
      amount: 2500,
      invoiceEffect: 'reopen',
      idempotencyKey: `reopen-${documentId}`,
    });
    expect(res.status).toBe(200);
    expect(res.body.data.invoice).toMatchObject({ state: 'partially_paid', balanceDue: 2500 });
    // Then a second refund kept paid: only the reopened part stays due.
    const second = await adminPost(`/payments/${payment.documentId}/refunds`, {
      amount: 1000,
      invoiceEffect: 'keep_paid',
      idempotencyKey: `keep2-${documentId}`,
    });
    expect(second.status).toBe(200);
    expect(second.body.data.invoice).toMatchObject({ state: 'partially_paid', balanceDue: 2500, amountRefunded: 3500 });
  });

  it('refuses an unknown choice with a 400 and changes nothing', async () => {
    const { documentId, payment } = await cardPaid(10000);
    const res = await adminPost(`/payments/${payment.documentId}/refunds`, { amount: 1000, invoiceEffect: 'forgive' });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toMatch(/reopen.*keep_paid/);
    expect(await refundRows(documentId)).toHaveLength(0);
    expect(await readInvoice(env, documentId)).toMatchObject({ state: 'paid', amountRefunded: 0 });
  });

  it('without a choice, the setting decides; a Stripe Dashboard refund gets the setting too', async () => {
    await env.app.strapi
      .plugin('invoice-payments')
      .service('settings')
      .update({ refundPolicy: 'keep_paid' }, { type: 'system' });
    try {
      const a = await cardPaid(10000);
      const res = await adminPost(`/payments/${a.payment.documentId}/refunds`, { amount: 1000 });
      expect(res.status).toBe(200);
      expect(res.body.data.refund.invoiceEffect).toBe('keep_paid');
      expect(res.body.data.invoice).toMatchObject({ state: 'paid', balanceDue: 0 });

      const b = await cardPaid(10000);
      await env.stripe.refunds.create({ payment_intent: b.piId, amount: 4000 });
      const [row] = await waitFor(
        () => refundRows(b.documentId),
        (rows) => rows[0]?.status === 'succeeded',
        'the Dashboard refund to be booked',
      );
      expect(row).toMatchObject({ invoiceEffect: 'keep_paid', purpose: 'external', amount: 4000 });
      await waitFor(
        () => readInvoice(env, b.documentId),
        (i) => i.amountRefunded === 4000,
        'the refund on the invoice',
      );
      expect(await readInvoice(env, b.documentId)).toMatchObject({ state: 'paid', balanceDue: 0 });
    } finally {
      await env.app.strapi
        .plugin('invoice-payments')
        .service('settings')
        .update({ refundPolicy: 'reopen' }, { type: 'system' });
    }
    const c = await cardPaid(10000);
    await env.stripe.refunds.create({ payment_intent: c.piId, amount: 4000 });
    const [row] = await waitFor(
      () => refundRows(c.documentId),
      (rows) => rows[0]?.status === 'succeeded',
      'the Dashboard refund to be booked',
    );
    expect(row.invoiceEffect).toBe('reopen');
    const inv = await waitFor(
      () => readInvoice(env, c.documentId),
      (i) => i.amountRefunded === 4000,
      'the refund on the invoice',
    );
    expect(inv).toMatchObject({ state: 'partially_paid', balanceDue: 4000 });
  });
});

describe('test connection', () => {
  it('writes only the connection result: a setting saved while Stripe answered survives', async () => {
    await env.app
      .http()
      .put('/invoice-payments/settings')
      .set(env.admin.auth)
      .send({ notificationEmail: 'before@example.test' })
      .expect(200);
    // A slow Stripe: the account read hangs 1.5 s, then answers normally.
    env.standin.control.addFault({ method: 'GET', path: '/v1/account', timeoutMs: 1500 });
    const reader = await (
      await import('../support/admin')
    ).adminSession(env.app.strapi, ['plugin::invoice-payments.settings.read']);
    const testing = env.app
      .http()
      .post('/invoice-payments/settings/test-connection')
      .set(reader.auth)
      .then((r) => r);
    // Saved meanwhile, by someone allowed to.
    await waitFor(
      async () => env.standin.control.faults()[0]?.remaining ?? 0,
      (n) => n === 0,
      'the slow account read to start',
    );
    const saved = await env.app
      .http()
      .put('/invoice-payments/settings')
      .set(env.admin.auth)
      .send({ notificationEmail: 'meanwhile@example.test' });
    expect(saved.status).toBe(200);
    const tested = await testing;
    expect(tested.status).toBe(200);
    expect(tested.body.data.connection.status).toBe('connected');
    expect(tested.body.data.notificationEmail).toBe('meanwhile@example.test');
    const now = await env.app.http().get('/invoice-payments/settings').set(env.admin.auth);
    expect(now.body.data).toMatchObject({
      notificationEmail: 'meanwhile@example.test',
      connection: { status: 'connected' },
    });
  });
});
