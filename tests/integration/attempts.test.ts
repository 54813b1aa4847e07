/**
 * One live payment attempt per invoice (issue 10, defects 1, 2, 4 and 8), against the real booted
 * app and the Stripe stand-in. Each test here failed on the code before the attempts service.
 */
import {
  bootPayments,
  intentMadeElsewhere,
  eventually,
  INVOICE,
  PAYMENT,
  payableInvoice,
  payWith,
  readInvoice,
  type PaymentsEnv,
} from '../support/payments';

let env: PaymentsEnv;
beforeAll(async () => {
  env = await bootPayments({ settings: { partialPayments: true } });
});
afterAll(async () => {
  await env?.close();
});

const http = () => env.app.http();
const intent = (id: string, token: string, amount?: number) =>
  http()
    .post(`/api/invoice-payments/invoices/${id}/payment-intent`)
    .send({ token, ...(amount ? { amount } : {}) });
const checkout = (id: string, token: string, uiMode: 'hosted' | 'embedded' = 'hosted') =>
  http().post(`/api/invoice-payments/invoices/${id}/checkout-session`).send({ token, uiMode });
const confirm = (id: string, token: string, providerPaymentId: string) =>
  http().post(`/api/invoice-payments/invoices/${id}/confirm-payment`).send({ token, providerPaymentId });
const ours = async (documentId: string) =>
  (await env.stripe.paymentIntents.list({ limit: 100 })).data.filter(
    (p) => p.metadata.invoice_payments_invoice === documentId,
  );
const sessionsOf = async (documentId: string) =>
  (await env.stripe.checkout.sessions.list({ limit: 100 })).data.filter(
    (s) => s.metadata?.invoice_payments_invoice === documentId,
  );
const oneLine = (amount: number) => ({ lineItems: [{ description: 'Work', quantity: 1, unitAmount: amount }] });

describe('defect 1: a paid invoice cannot be charged again', () => {
  it('a second Checkout request hands back the same open session instead of making another', async () => {
    const { documentId, token } = await payableInvoice(env, oneLine(3000));
    const first = await checkout(documentId, token);
    const second = await checkout(documentId, token);
    expect(first.status).toBe(200);
    expect(second.body.data.checkoutSessionId).toBe(first.body.data.checkoutSessionId);
    expect(second.body.data.reused).toBe(true);
    expect((await sessionsOf(documentId)).filter((s) => s.status === 'open')).toHaveLength(1);
  });

  it('a new Checkout page type expires the open session; a card payment expires every session', async () => {
    const { documentId, token } = await payableInvoice(env, oneLine(3000));
    const hosted = await checkout(documentId, token, 'hosted');
    const embedded = await checkout(documentId, token, 'embedded');
    expect(embedded.body.data.checkoutSessionId).not.toBe(hosted.body.data.checkoutSessionId);
    expect((await env.stripe.checkout.sessions.retrieve(hosted.body.data.checkoutSessionId)).status).toBe('expired');
    const card = await intent(documentId, token);
    expect(card.status).toBe(200);
    expect((await env.stripe.checkout.sessions.retrieve(embedded.body.data.checkoutSessionId)).status).toBe('expired');
    // Paying the expired session is refused by Stripe: nothing can be booked on top.
    expect(() => env.standin.control.completeCheckout(hosted.body.data.checkoutSessionId)).toThrow();
  });

  it('Checkout cancels the open card payment, so confirming the old intent afterwards fails and books nothing', async () => {
    const { documentId, token } = await payableInvoice(env, oneLine(3000));
    const card = await intent(documentId, token);
    const session = await checkout(documentId, token);
    expect(session.status).toBe(200);
    expect((await env.stripe.paymentIntents.retrieve(card.body.data.providerPaymentId)).status).toBe('canceled');
    env.standin.control.completeCheckout(session.body.data.checkoutSessionId);
    const paid = await eventually(
      () => readInvoice(env, documentId),
      (i) => i.state === 'paid',
    );
    expect(paid.state).toBe('paid');
    await expect(payWith(env, card.body.data.providerPaymentId, 'pm_card_visa')).rejects.toThrow(/status of canceled/);
    await env.standin.control.idle();
    const after = await readInvoice(env, documentId);
    expect([after.amountPaid, after.balanceDue]).toEqual([3000, 0]);
    // And a paid invoice refuses every new attempt.
    expect((await intent(documentId, token)).status).toBe(409);
    expect((await checkout(documentId, token)).status).toBe(409);
  });

  it('a payment settling ends every other open attempt of the invoice', async () => {
    const { documentId, token } = await payableInvoice(env, oneLine(3000));
    const card = await intent(documentId, token);
    // An intent made elsewhere for this invoice (an old tab of an earlier version, the Dashboard).
    const other = await intentMadeElsewhere(env, documentId);
    await payWith(env, other.id, 'pm_card_visa');
    await eventually(
      () => readInvoice(env, documentId),
      (i) => i.state === 'paid',
    );
    const ended = await eventually(
      () => env.stripe.paymentIntents.retrieve(card.body.data.providerPaymentId),
      (p) => p.status === 'canceled',
    );
    expect(ended.status).toBe('canceled');
  });
});

describe('overpayment: money that still arrives twice is refunded, or flagged', () => {
  async function payTwiceBeforeWebhooks(documentId: string, token: string) {
    env.standin.control.setDelivery({ paused: true });
    const card = await intent(documentId, token);
    const other = await intentMadeElsewhere(env, documentId);
    await payWith(env, card.body.data.providerPaymentId, 'pm_card_visa');
    await payWith(env, other.id, 'pm_card_visa');
    env.standin.control.setDelivery({ paused: false });
    await env.standin.control.flush();
  }

  it('refunds the excess automatically (the default), so the balance never goes negative', async () => {
    const { documentId, token } = await payableInvoice(env, oneLine(3000));
    await payTwiceBeforeWebhooks(documentId, token);
    const invoice = await eventually(
      () => readInvoice(env, documentId),
      (i) => i.amountPaid === 6000 && i.amountRefunded === 3000,
    );
    expect([invoice.amountPaid, invoice.amountRefunded, invoice.balanceDue, invoice.state]).toEqual([
      6000,
      3000,
      0,
      'paid',
    ]);
    const refunds = (await env.stripe.refunds.list({ limit: 100 })).data.filter((r) => r.amount === 3000);
    const ids = (await ours(documentId)).map((p) => p.id);
    expect(refunds.filter((r) => ids.includes(r.payment_intent as string))).toHaveLength(1);
    const audit = await env.app.strapi.db
      .query('plugin::invoice-payments.audit-entry')
      .findMany({ where: { action: 'payment.overpaid', invoiceDocumentId: documentId } });
    expect(audit).toHaveLength(1);
  });

  it('with automatic refunds off, flags the invoice with the amount to refund', async () => {
    await env.app.strapi
      .plugin('invoice-payments')
      .service('settings')
      .update({ refundOverpayments: false }, { type: 'system' });
    try {
      const { documentId, token } = await payableInvoice(env, oneLine(3000));
      await payTwiceBeforeWebhooks(documentId, token);
      const invoice = await eventually(
        () => readInvoice(env, documentId),
        (i) => i.amountPaid === 6000,
      );
      expect(invoice.balanceDue).toBe(-3000);
      expect(invoice.needsAttention).toBe(true);
      expect(invoice.attentionReason).toMatch(/Overpaid by \$30\.00/);
      expect(invoice.amountRefunded).toBe(0);
    } finally {
      await env.app.strapi
        .plugin('invoice-payments')
        .service('settings')
        .update({ refundOverpayments: true }, { type: 'system' });
    }
  });
});

describe('defect 2: the amount charged is the amount shown', () => {
  it('30000, 10000, 30000, 10000 on one invoice: each amount is its own intent, the older ones are cancelled, and the last is what is booked', async () => {
    const { documentId, token } = await payableInvoice(env, oneLine(50000));
    const seen: string[] = [];
    for (const amount of [30000, 10000, 30000, 10000]) {
      const res = await intent(documentId, token, amount);
      expect(res.body.data.amount).toBe(amount);
      expect((await env.stripe.paymentIntents.retrieve(res.body.data.providerPaymentId)).amount).toBe(amount);
      seen.push(res.body.data.providerPaymentId);
    }
    const last = seen[seen.length - 1]!;
    // A tab still showing an older amount cannot pay it: its intent was cancelled.
    for (const old of seen.slice(0, -1)) {
      expect((await env.stripe.paymentIntents.retrieve(old)).status).toBe('canceled');
      await expect(payWith(env, old, 'pm_card_visa')).rejects.toThrow(/status of canceled/);
    }
    await payWith(env, last, 'pm_card_visa');
    const invoice = await eventually(
      () => readInvoice(env, documentId),
      (i) => i.amountPaid > 0,
    );
    expect([invoice.amountPaid, invoice.balanceDue]).toEqual([10000, 40000]);
    expect((await ours(documentId)).filter((p) => p.status !== 'canceled').map((p) => p.id)).toEqual([last]);
  });

  it('the same total split differently (the fee setting changed) is a new intent, so the split booked is the one shown', async () => {
    const settings = env.app.strapi.plugin('invoice-payments').service('settings');
    await settings.update({ feePercentBps: 300 }, { type: 'system' });
    try {
      const { documentId, token } = await payableInvoice(env, oneLine(20000));
      const withFee = await intent(documentId, token, 5000);
      await settings.update({ feePercentBps: 0 }, { type: 'system' });
      const same = await intent(documentId, token, withFee.body.data.amount);
      expect(same.body.data).toMatchObject({
        amount: withFee.body.data.amount,
        fee: 0,
        portion: withFee.body.data.amount,
      });
      expect(same.body.data.providerPaymentId).not.toBe(withFee.body.data.providerPaymentId);
      await payWith(env, same.body.data.providerPaymentId, 'pm_card_visa');
      const invoice = await eventually(
        () => readInvoice(env, documentId),
        (i) => i.amountPaid > 0,
      );
      expect(invoice.balanceDue).toBe(20000 - withFee.body.data.amount);
    } finally {
      await settings.update({ feePercentBps: 0 }, { type: 'system' });
    }
  });
});

describe('independent review: attempts that end, and invoices that go away', () => {
  it('a Checkout session whose delayed payment failed never blocks the invoice: the client can pay again', async () => {
    const { documentId, token } = await payableInvoice(env, { currency: 'MXN', ...oneLine(50000) });
    const cs = await checkout(documentId, token);
    env.standin.control.completeCheckout(cs.body.data.checkoutSessionId, { payment_method: 'pm_oxxo' });
    const session = await env.stripe.checkout.sessions.retrieve(cs.body.data.checkoutSessionId);
    expect([session.status, session.payment_status]).toEqual(['complete', 'unpaid']);
    env.standin.control.expireVoucher(session.payment_intent as string);
    await env.standin.control.flush();
    const again = await intent(documentId, token);
    expect(again.status).toBe(200);
    expect(again.body.data.providerPaymentId).not.toBe(session.payment_intent);
  });

  it('voiding an invoice also ends a voucher under way (nothing is owed any more)', async () => {
    const { documentId, token } = await payableInvoice(env, { currency: 'MXN', ...oneLine(50000) });
    const card = await intent(documentId, token);
    await payWith(env, card.body.data.providerPaymentId, 'pm_oxxo');
    await env.app.strapi.documents(INVOICE).update({ documentId, data: { state: 'void' } as never });
    expect((await env.stripe.paymentIntents.retrieve(card.body.data.providerPaymentId)).status).toBe('canceled');
  });

  it('an invoice with payments or attempts cannot be deleted (money could still arrive for it); one without can', async () => {
    const { documentId, token } = await payableInvoice(env, oneLine(3000));
    await intent(documentId, token);
    await expect(env.app.strapi.documents(INVOICE).delete({ documentId })).rejects.toThrow(
      /cannot be deleted\. Void it instead/,
    );
    expect(await readInvoice(env, documentId)).toBeTruthy();
    const untouched = await payableInvoice(env, oneLine(3000));
    await env.app.strapi.documents(INVOICE).delete({ documentId: untouched.documentId });
    expect(await readInvoice(env, untouched.documentId)).toBeNull();
  });
});

describe('defect 4: requires_action is not "abandoned 3-D Secure"', () => {
  it('a fresh card authentication is handed back, not cancelled; other ways to pay wait; once abandoned it is ended', async () => {
    const { documentId, token } = await payableInvoice(env, oneLine(3000));
    const card = await intent(documentId, token);
    const pi = card.body.data.providerPaymentId;
    await payWith(env, pi, 'pm_card_authenticationRequired');
    expect((await env.stripe.paymentIntents.retrieve(pi)).status).toBe('requires_action');

    const confirmed = await confirm(documentId, token, pi);
    expect(confirmed.body.data.paymentStatus).toBe('requires_action');
    expect(confirmed.body.data.nextAction).toMatchObject({ kind: 'authentication' });

    const again = await intent(documentId, token);
    expect(again.body.data.providerPaymentId).toBe(pi);
    expect(again.body.data.status).toBe('requires_action');
    expect((await env.stripe.paymentIntents.retrieve(pi)).status).toBe('requires_action');

    const other = await checkout(documentId, token);
    expect(other.status).toBe(409);
    expect(other.body.error.message).toMatch(/waiting for you to confirm it/);

    // Ten minutes later (the default "abandoned" time) it may be ended.
    await env.app.strapi.db
      .query(PAYMENT)
      .updateMany({ where: { providerPaymentId: pi }, data: { actionSince: new Date(Date.now() - 11 * 60_000) } });
    const later = await checkout(documentId, token);
    expect(later.status).toBe(200);
    expect((await env.stripe.paymentIntents.retrieve(pi)).status).toBe('canceled');
  });
});

describe('defect 8: a slow Stripe call never holds the database', () => {
  it('while one payment-intent call takes 8 s, other invoices, the webhook and the admin list answer in under 1 s', async () => {
    const slow = await payableInvoice(env, oneLine(3000));
    const other = await payableInvoice(env, oneLine(4000));
    const paidMeanwhile = await payableInvoice(env, oneLine(5000));
    const prepared = await intent(paidMeanwhile.documentId, paidMeanwhile.token);
    env.standin.control.addFault({ method: 'POST', path: '/v1/payment_intents', timeoutMs: 8000, times: 1 });
    const creates = () => env.standin.control.stats().requests['POST /v1/payment_intents'] ?? 0;
    const before = creates();
    const started = Date.now();
    // then(): a supertest request starts only once it is awaited or then()'d.
    const slowCall = intent(slow.documentId, slow.token).then((r) => r);
    await eventually(
      async () => creates(),
      (n) => n > before,
      5000,
      'the slow call reaching Stripe',
    );
    const timed = async (run: () => PromiseLike<{ status: number }>) => {
      const t0 = Date.now();
      const res = await run();
      return { status: res.status, ms: Date.now() - t0 };
    };
    const page = await timed(() => http().get(`/invoice-payments/pay/${other.token}`));
    const list = await timed(() => http().get('/invoice-payments/invoices').set(env.admin.auth));
    const pay = await timed(() =>
      payWith(env, prepared.body.data.providerPaymentId, 'pm_card_visa')
        .then(() => env.standin.control.flush())
        .then(() => ({ status: 200 })),
    );
    const settled = await eventually(
      () => readInvoice(env, paidMeanwhile.documentId),
      (i) => i.state === 'paid',
      3000,
    );
    expect(page).toMatchObject({ status: 200 });
    expect(list).toMatchObject({ status: 200 });
    expect(page.ms).toBeLessThan(1000);
    expect(list.ms).toBeLessThan(1000);
    expect(pay.ms).toBeLessThan(1000);
    // The webhook was acknowledged and settled while the slow call was still waiting.
    expect(settled.state).toBe('paid');
    expect(Date.now() - started).toBeLessThan(8000);
    const res = await slowCall;
    expect(res.status).toBe(200);
  }, 30000);
});

it('the invoice schema keeps the attempt lease out of every API', async () => {
  const { documentId } = await payableInvoice(env, oneLine(3000));
  const row = await env.app.strapi.db.query(INVOICE).findOne({ where: { documentId } });
  expect(row).toHaveProperty('attemptLockToken');
  const res = await http().get(`/api/invoice-payments/pay/${row.payToken}`);
  expect(JSON.stringify(res.body)).not.toMatch(/attemptLock/);
});

describe('defect 4: vouchers, bank transfers and microdeposits are payments in progress, never cancelled', () => {
  it('an OXXO voucher waiting to be paid is handed back with its next step; other amounts and Checkout wait; paying it settles the invoice', async () => {
    const { documentId, token } = await payableInvoice(env, { currency: 'MXN', ...oneLine(50000) });
    const card = await intent(documentId, token);
    const pi = card.body.data.providerPaymentId;
    await payWith(env, pi, 'pm_oxxo');
    expect((await env.stripe.paymentIntents.retrieve(pi)).next_action?.type).toBe('oxxo_display_details');

    const confirmed = await confirm(documentId, token, pi);
    expect(confirmed.body.data).toMatchObject({
      paymentStatus: 'requires_action',
      nextAction: { kind: 'voucher', providerType: 'oxxo_display_details' },
    });
    expect(confirmed.body.data.nextAction.url).toMatch(/^https:\/\//);

    // Weeks later (far past the card-confirmation time), still not cancelled.
    await env.app.strapi.db.query(PAYMENT).updateMany({
      where: { providerPaymentId: pi },
      data: { actionSince: new Date(Date.now() - 30 * 24 * 3600_000) },
    });
    const again = await intent(documentId, token);
    expect(again.body.data).toMatchObject({
      providerPaymentId: pi,
      status: 'requires_action',
      nextAction: { kind: 'voucher' },
    });
    const partial = await intent(documentId, token, 20000);
    expect(partial.status).toBe(409);
    expect(partial.body.error.message).toMatch(/by a voucher is already under way/);
    expect((await checkout(documentId, token)).status).toBe(409);
    expect((await env.stripe.paymentIntents.retrieve(pi)).status).toBe('requires_action');

    env.standin.control.payVoucher(pi);
    const paid = await eventually(
      () => readInvoice(env, documentId),
      (i) => i.state === 'paid',
    );
    expect([paid.amountPaid, paid.balanceDue]).toEqual([50000, 0]);
  });

  it('ACH microdeposits: the client is told to verify the bank account, and the attempt stays live', async () => {
    const { documentId, token } = await payableInvoice(env, oneLine(3000));
    const card = await intent(documentId, token);
    const pi = card.body.data.providerPaymentId;
    await payWith(env, pi, 'pm_usBankAccount_microdeposits');
    const confirmed = await confirm(documentId, token, pi);
    expect(confirmed.body.data).toMatchObject({
      paymentStatus: 'requires_action',
      nextAction: { kind: 'verify_microdeposits', providerType: 'verify_with_microdeposits' },
    });
    expect((await checkout(documentId, token)).status).toBe(409);
    expect((await env.stripe.paymentIntents.retrieve(pi)).status).toBe('requires_action');
  });
});
