import {
  bootPayments,
  eventually,
  payableInvoice,
  payWith,
  readInvoice,
  PAYMENT,
  type PaymentsEnv,
} from '../support/payments';

/** Fee passthrough (gross-up) and partial payments, end to end. */
let env: PaymentsEnv;
beforeAll(async () => {
  env = await bootPayments({ settings: { feePercentBps: 290, feeFixedAmount: 30, partialPayments: true } });
});
afterAll(async () => {
  await env?.close();
});

const settings = () => env.app.strapi.plugin('invoice-payments').service('settings');
const intent = (id: string, body: Record<string, unknown>) =>
  env.app.http().post(`/api/invoice-payments/invoices/${id}/payment-intent`).send(body);

describe('fee passthrough', () => {
  it('adds the gross-up (amount + fixed) / (1 - rate) - amount, shows it, and books it as the fee', async () => {
    const { documentId, token } = await payableInvoice(env, {
      lineItems: [{ description: 'x', quantity: 1, unitAmount: 10000 }],
    });
    const res = await intent(documentId, { token });
    // ceil((10000 + 30) / 0.971) = 10330 → fee 330
    expect(res.body.data).toMatchObject({
      portion: 10000,
      fee: 330,
      amount: 10330,
      amountFormatted: '$103.30',
      feeFormatted: '$3.30',
    });
    await payWith(env, res.body.data.providerPaymentId, 'pm_card_visa');
    const inv = await eventually(
      () => readInvoice(env, documentId),
      (i) => i.state === 'paid',
    );
    expect(inv).toMatchObject({ amountPaid: 10000, balanceDue: 0 });
    const [p] = await env.app.strapi.db.query(PAYMENT).findMany({ where: { invoice: { documentId } } });
    expect(p).toMatchObject({ amount: 10000, fee: 330 });
  });

  it.each([
    ['keep_fee', 10000],
    ['refund_fee', 10330],
  ])('a full refund under %s returns %d', async (policy, refunded) => {
    await settings().update({ refundFeePolicy: policy }, { type: 'system' });
    const { documentId, token } = await payableInvoice(env, {
      lineItems: [{ description: 'x', quantity: 1, unitAmount: 10000 }],
    });
    const res = await intent(documentId, { token });
    await payWith(env, res.body.data.providerPaymentId, 'pm_card_visa');
    await eventually(
      () => readInvoice(env, documentId),
      (i) => i.state === 'paid',
    );
    const [p] = await env.app.strapi.db.query(PAYMENT).findMany({ where: { invoice: { documentId } } });
    const refund = await env.app
      .http()
      .post(`/invoice-payments/payments/${p.documentId}/refunds`)
      .set(env.admin.auth)
      .send({});
    expect(refund.body.data.refund.amount).toBe(refunded);
    expect(refund.body.data.invoice).toMatchObject({ amountRefunded: 10000, balanceDue: 10000 });
  });

  it('applies only the percentage to invoices in other currencies', async () => {
    const { documentId, token } = await payableInvoice(env, {
      currency: 'JPY',
      lineItems: [{ description: 'x', quantity: 1, unitAmount: 10000 }],
    });
    const res = await intent(documentId, { token });
    // ceil(10000 / 0.971) = 10299 → fee 299 yen
    expect(res.body.data).toMatchObject({ portion: 10000, fee: 299, amount: 10299 });
  });
});

describe('partial payments', () => {
  it('lets the client pay part of the balance, then the rest', async () => {
    await settings().update({ feePercentBps: 0, feeFixedAmount: 0 }, { type: 'system' });
    const { documentId, token } = await payableInvoice(env, {
      lineItems: [{ description: 'x', quantity: 1, unitAmount: 10000 }],
    });
    const part = await intent(documentId, { token, amount: 4000 });
    expect(part.body.data.amount).toBe(4000);
    await payWith(env, part.body.data.providerPaymentId, 'pm_card_visa');
    const after = await eventually(
      () => readInvoice(env, documentId),
      (i) => i.state === 'partially_paid',
    );
    expect(after).toMatchObject({ state: 'partially_paid', balanceDue: 6000 });
    const rest = await intent(documentId, { token });
    expect(rest.body.data.amount).toBe(6000);
    expect(rest.body.data.providerPaymentId).not.toBe(part.body.data.providerPaymentId);
    await payWith(env, rest.body.data.providerPaymentId, 'pm_card_visa');
    expect(
      (
        await eventually(
          () => readInvoice(env, documentId),
          (i) => i.state === 'paid',
        )
      ).balanceDue,
    ).toBe(0);
  });

  it.each([
    [10, /at least \$0\.50/],
    [10001, /cannot be more than the balance due, \$100\.00/],
    [12.5, /whole number of minor units/],
    ['100', /whole number of minor units/],
  ])('refuses %p with a 400 and creates nothing', async (amount, message) => {
    const { documentId, token } = await payableInvoice(env, {
      lineItems: [{ description: 'x', quantity: 1, unitAmount: 10000 }],
    });
    const res = await intent(documentId, { token, amount });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(message);
    expect(await env.app.strapi.db.query(PAYMENT).count({ where: { invoice: { documentId } } })).toBe(0);
  });
});

describe('webhook content type', () => {
  it('answers 400 (not 5xx) to a non-JSON body', async () => {
    const res = await env.app
      .http()
      .post('/api/invoice-payments/webhooks/stripe')
      .set('Content-Type', 'text/plain')
      .send('hello');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/application\/json/);
  });
});
