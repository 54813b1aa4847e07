import {
  bootPayments,
  eventually,
  payableInvoice,
  payWith,
  readInvoice,
  KEYS,
  PAYMENT,
  type PaymentsEnv,
} from '../support/payments';
import { createInvoice } from '../support/invoices';

/** POST /invoices/:id/payment-intent and /confirm-payment, against the real app and the stand-in. */
let env: PaymentsEnv;
beforeAll(async () => {
  // A short SDK timeout keeps the "Stripe hangs" case fast.
  env = await bootPayments({ env: { STRIPE_TIMEOUT_MS: '800' } });
});
afterAll(async () => {
  await env?.close();
});

const intent = (id: string, body: Record<string, unknown>) =>
  env.app.http().post(`/api/invoice-payments/invoices/${id}/payment-intent`).send(body);
const confirm = (id: string, body: Record<string, unknown>) =>
  env.app.http().post(`/api/invoice-payments/invoices/${id}/confirm-payment`).send(body);
const paymentsOf = async (documentId: string) =>
  env.app.strapi.db.query(PAYMENT).findMany({ where: { invoice: { documentId } }, orderBy: { id: 'asc' } });

describe('creating the PaymentIntent', () => {
  it('charges the balance in the invoice currency and tells the client what it pays', async () => {
    const { documentId, token } = await payableInvoice(env);
    const res = await intent(documentId, { token });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      amount: 182750,
      currency: 'USD',
      amountFormatted: '$1,827.50',
      publishableKey: KEYS.publishableKey,
      reused: false,
    });
    expect(res.body.data.clientSecret).toMatch(/^pi_.+_secret_/);
    const pi = await env.stripe.paymentIntents.retrieve(res.body.data.providerPaymentId);
    expect(pi.amount).toBe(182750);
    expect(pi.currency).toBe('usd');
    expect(pi.metadata.invoice_payments_invoice).toBe(documentId);
    expect(JSON.stringify(res.body)).not.toContain(KEYS.secretKey);
  });

  it('reuses the open intent instead of creating a second one', async () => {
    const { documentId, token } = await payableInvoice(env);
    const first = await intent(documentId, { token });
    const second = await intent(documentId, { token });
    expect(second.body.data.providerPaymentId).toBe(first.body.data.providerPaymentId);
    expect(second.body.data.reused).toBe(true);
    expect(await paymentsOf(documentId)).toHaveLength(1);
  });

  it('charges JPY in whole yen and KWD in fils', async () => {
    const jpy = await payableInvoice(env, {
      currency: 'JPY',
      lineItems: [{ description: 'x', quantity: 3, unitAmount: 1500 }],
    });
    const kwd = await payableInvoice(env, {
      currency: 'KWD',
      lineItems: [{ description: 'x', quantity: 1, unitAmount: 12340 }],
    });
    const a = await intent(jpy.documentId, { token: jpy.token });
    const b = await intent(kwd.documentId, { token: kwd.token });
    expect(a.body.data).toMatchObject({ amount: 4500, currency: 'JPY', amountFormatted: '¥4,500' });
    expect(b.body.data).toMatchObject({ amount: 12340, currency: 'KWD' });
    expect(b.body.data.amountFormatted).toContain('12.340');
    expect((await env.stripe.paymentIntents.retrieve(a.body.data.providerPaymentId)).amount).toBe(4500);
    expect((await env.stripe.paymentIntents.retrieve(b.body.data.providerPaymentId)).amount).toBe(12340);
  });
});

describe('who may pay', () => {
  it('answers 404 to a wrong token, a missing token and an unknown invoice, creating nothing', async () => {
    const { documentId } = await payableInvoice(env);
    const before = env.standin.control.stats().created;
    for (const res of [
      await intent(documentId, { token: 'wrong-token-value-000000000000000' }),
      await intent(documentId, {}),
      await intent('doesnotexist0000000000000', { token: 'x' }),
      await intent('x'.repeat(300), {}),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.error.message).toBe('Invoice not found.');
    }
    expect(await paymentsOf(documentId)).toHaveLength(0);
    expect(env.standin.control.stats().created).toEqual(before);
  });

  it("lets the logged-in customer pay without a token, and not another user's invoice", async () => {
    const up = env.app.strapi.plugin('users-permissions');
    const role = await env.app.strapi.db
      .query('plugin::users-permissions.role')
      .findOne({ where: { type: 'authenticated' } });
    const mk = (name: string) =>
      env.app.strapi.db.query('plugin::users-permissions.user').create({
        data: { username: name, email: `${name}@example.test`, provider: 'local', confirmed: true, role: role.id },
      });
    const owner = await mk(`owner${Date.now()}`);
    const stranger = await mk(`stranger${Date.now()}`);
    const jwt = (id: number) => up.service('jwt').issue({ id });
    const created = await createInvoice(env.app.strapi, { customer: owner.id });
    const asOwner = await env.app
      .http()
      .post(`/api/invoice-payments/invoices/${created.documentId}/payment-intent`)
      .set('Authorization', `Bearer ${jwt(owner.id)}`)
      .send({});
    expect(asOwner.status).toBe(200);
    const asStranger = await env.app
      .http()
      .post(`/api/invoice-payments/invoices/${created.documentId}/payment-intent`)
      .set('Authorization', `Bearer ${jwt(stranger.id)}`)
      .send({});
    expect(asStranger.status).toBe(404);
  });

  it.each([
    ['draft', /draft/],
    ['void', /voided/],
  ])('answers 409 for a %s invoice, creating nothing', async (status, message) => {
    const { documentId, token } = await payableInvoice(env, { state: status });
    const res = await intent(documentId, { token });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(message);
    expect(await paymentsOf(documentId)).toHaveLength(0);
  });

  it('refuses a partial amount while partial payments are off', async () => {
    const { documentId, token } = await payableInvoice(env);
    const res = await intent(documentId, { token, amount: 1000 });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/Partial payments are not enabled/);
  });
});

describe('paying', () => {
  it('succeeds with the visa test card: the webhook marks the invoice paid, one email goes out', async () => {
    const { documentId, token, row } = await payableInvoice(env, { billingEmail: 'payer-ok@example.test' });
    const res = await intent(documentId, { token });
    const pi = await payWith(env, res.body.data.providerPaymentId, 'pm_card_visa');
    expect('status' in pi && pi.status).toBe('succeeded');
    const inv = await eventually(
      () => readInvoice(env, documentId),
      (i) => i.state === 'paid',
    );
    expect(inv).toMatchObject({ state: 'paid', amountPaid: row.total, balanceDue: 0 });
    const [payment] = await paymentsOf(documentId);
    expect(payment).toMatchObject({
      status: 'succeeded',
      amount: row.total,
      providerPaymentId: res.body.data.providerPaymentId,
    });
    expect(payment.chargeId).toMatch(/^ch_/);
    await env.standin.control.idle();
    await eventually(
      async () => env.smtp.mails.filter((m) => m.to.includes('payer-ok@example.test')),
      (m) => m.length >= 1,
    );
    expect(env.smtp.mails.filter((m) => m.to.includes('payer-ok@example.test'))).toHaveLength(1);
  });

  it('confirm-payment settles at once and can be called any number of times', async () => {
    const { documentId, token } = await payableInvoice(env);
    const res = await intent(documentId, { token });
    env.standin.control.setWebhook({ enabled: false });
    try {
      await payWith(env, res.body.data.providerPaymentId, 'pm_card_visa');
      const id = res.body.data.providerPaymentId;
      // The third call uses the field's name from before the provider-neutral rename, still accepted.
      const bodies = [
        { token, providerPaymentId: id },
        { token, providerPaymentId: id },
        { token, paymentIntentId: id },
      ];
      const results = await Promise.all(bodies.map((body) => confirm(documentId, body)));
      for (const r of results)
        expect(r.body.data).toMatchObject({ paymentStatus: 'succeeded', invoice: { state: 'paid', balanceDue: 0 } });
      expect(await paymentsOf(documentId)).toHaveLength(1);
    } finally {
      env.standin.control.setWebhook({ enabled: true });
    }
  });

  it.each([
    ['pm_card_chargeDeclined', 'generic_decline', /declined/],
    ['pm_card_chargeDeclinedInsufficientFunds', 'insufficient_funds', /insufficient funds/],
  ])(
    '%s: the payment fails with the reason, the invoice stays payable, a retry with visa succeeds',
    async (pm, code, message) => {
      const { documentId, token } = await payableInvoice(env);
      const res = await intent(documentId, { token });
      await payWith(env, res.body.data.providerPaymentId, pm);
      const failed = await confirm(documentId, { token, providerPaymentId: res.body.data.providerPaymentId });
      expect(failed.body.data).toMatchObject({
        paymentStatus: 'failed',
        failureCode: code,
        invoice: { state: 'sent' },
      });
      expect(failed.body.data.failureMessage).toMatch(message);
      // The same intent is retried with a good card, as Stripe.js does after a decline.
      const again = await intent(documentId, { token });
      expect(again.body.data.providerPaymentId).toBe(res.body.data.providerPaymentId);
      await payWith(env, again.body.data.providerPaymentId, 'pm_card_visa');
      const ok = await confirm(documentId, { token, providerPaymentId: again.body.data.providerPaymentId });
      expect(ok.body.data).toMatchObject({ paymentStatus: 'succeeded', invoice: { state: 'paid' } });
    },
  );

  it.each([
    ['succeed', 'succeeded', 'paid'],
    ['fail', 'failed', 'sent'],
  ])('3D Secure %s', async (outcome, paymentStatus, invoiceStatus) => {
    const { documentId, token } = await payableInvoice(env);
    const res = await intent(documentId, { token });
    const pi = await payWith(env, res.body.data.providerPaymentId, 'pm_card_authenticationRequired');
    expect('status' in pi && pi.status).toBe('requires_action');
    const pending = await confirm(documentId, { token, providerPaymentId: res.body.data.providerPaymentId });
    expect(pending.body.data.paymentStatus).toBe('requires_action');
    env.standin.control.authenticate(res.body.data.providerPaymentId, outcome as 'succeed' | 'fail');
    const done = await confirm(documentId, { token, providerPaymentId: res.body.data.providerPaymentId });
    expect(done.body.data).toMatchObject({ paymentStatus, invoice: { state: invoiceStatus } });
  });

  it.each([
    ['pm_usBankAccount_success', 'succeed', 'succeeded', 'paid'],
    ['pm_usBankAccount_failure', 'fail', 'failed', 'sent'],
  ])('delayed method %s: processing, then %s', async (pm, outcome, paymentStatus, invoiceStatus) => {
    const { documentId, token } = await payableInvoice(env);
    const res = await intent(documentId, { token });
    await payWith(env, res.body.data.providerPaymentId, pm);
    const processing = await confirm(documentId, { token, providerPaymentId: res.body.data.providerPaymentId });
    expect(processing.body.data.paymentStatus).toBe('processing');
    const busy = await intent(documentId, { token });
    expect(busy.status).toBe(409);
    env.standin.control.settleDelayed(res.body.data.providerPaymentId, outcome as 'succeed' | 'fail');
    const inv = await eventually(
      () => readInvoice(env, documentId),
      (i) => i.state === invoiceStatus && (outcome === 'fail' ? true : i.balanceDue === 0),
    );
    expect(inv.state).toBe(invoiceStatus);
    const [p] = await eventually(
      () => paymentsOf(documentId),
      (ps) => ps[0]?.status === paymentStatus,
    );
    expect(p.status).toBe(paymentStatus);
  });
});

describe('a partial manual payment makes the open intent stale', () => {
  it('the next payment-intent call charges the new balance on the same live intent', async () => {
    const { documentId, token } = await payableInvoice(env, {
      lineItems: [{ description: 'x', quantity: 1, unitAmount: 10000 }],
    });
    const first = await intent(documentId, { token });
    expect(first.body.data.amount).toBe(10000);
    const manual = await env.app
      .http()
      .post(`/invoice-payments/invoices/${documentId}/manual-payments`)
      .set(env.admin.auth)
      .send({ amount: 4000, method: 'check', reference: 'CHK-1' });
    expect(manual.status).toBe(201);
    const second = await intent(documentId, { token });
    expect(second.body.data.amount).toBe(6000);
    const live = (await paymentsOf(documentId)).filter(
      (p: { kind: string; status: string }) => p.kind === 'card' && p.status === 'pending',
    );
    expect(live).toHaveLength(1);
    expect((await env.stripe.paymentIntents.retrieve(second.body.data.providerPaymentId)).amount).toBe(6000);
  });
});

describe('when Stripe fails', () => {
  const ours = async (documentId: string) =>
    (await env.stripe.paymentIntents.list({ limit: 100 })).data.filter(
      (p) => p.metadata.invoice_payments_invoice === documentId,
    );

  it.each<[{ status?: number; timeoutMs?: number }]>([[{ status: 500 }], [{ status: 429 }], [{ timeoutMs: 2500 }]])(
    'answers a clear 502 while Stripe keeps failing (%j), and the next request makes exactly one intent',
    async (fault) => {
      const { documentId, token } = await payableInvoice(env);
      env.standin.control.addFault({ method: 'POST', path: '/v1/payment_intents', ...fault, times: 1000 });
      const res = await intent(documentId, { token });
      expect(res.status).toBe(502);
      expect(res.body.error.message).toMatch(/not answering right now.*Nothing was charged/);
      expect(JSON.stringify(res.body)).not.toMatch(/stack|sk_test/);
      // A timed-out call may still be running at the stand-in: wait until none is.
      await eventually(
        async () => env.standin.control.stats().inFlight,
        (n) => n === 0,
        10_000,
        'no Stripe call still running at the stand-in',
      );
      env.standin.control.clearFaults();
      const retry = await intent(documentId, { token });
      expect(retry.status).toBe(200);
      const rows = await paymentsOf(documentId);
      expect(rows).toHaveLength(1);
      expect(rows[0].providerPaymentId).toBe(retry.body.data.providerPaymentId);
      if (!fault.timeoutMs)
        expect((await ours(documentId)).map((p) => p.id)).toEqual([retry.body.data.providerPaymentId]);
    },
    30000,
  );

  it('a 500 with nothing created: the same request looks at Stripe, then retries under a new key (a saved 500 would be replayed under the old one)', async () => {
    const { documentId, token } = await payableInvoice(env);
    const before = env.standin.control.stats().requests['POST /v1/payment_intents'] ?? 0;
    env.standin.control.addFault({ method: 'POST', path: '/v1/payment_intents', status: 500, times: 1 });
    const res = await intent(documentId, { token });
    expect(res.status).toBe(200);
    // Three tries under the first key (the SDK's own retries, each answered with the saved 500), then one under
    // the next.
    expect((env.standin.control.stats().requests['POST /v1/payment_intents'] ?? 0) - before).toBe(4);
    expect((await ours(documentId)).map((p) => p.id)).toEqual([res.body.data.providerPaymentId]);
  });

  it('a 500 after Stripe created the intent: the same request finds it by its attempt id and hands it out; no second intent', async () => {
    const { documentId, token } = await payableInvoice(env);
    env.standin.control.addFault({
      method: 'POST',
      path: '/v1/payment_intents',
      status: 500,
      times: 3,
      afterProcessing: true,
    });
    const res = await intent(documentId, { token });
    env.standin.control.clearFaults();
    expect(res.status).toBe(200);
    const all = await ours(documentId);
    expect(all.map((p) => p.id)).toEqual([res.body.data.providerPaymentId]);
    const retry = await intent(documentId, { token });
    expect(retry.body.data.providerPaymentId).toBe(res.body.data.providerPaymentId);
  });
});
