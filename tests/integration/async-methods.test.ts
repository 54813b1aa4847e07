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

/**
 * Asynchronous and redirect payment methods (issue 13) against the real app and the Stripe
 * stand-in: SEPA Direct Debit `processing` for days then succeeded, or failed later (balance open
 * again, admin and client emailed, audit entries); a second attempt refused while one processes;
 * iDEAL settled through the return page; ACH microdeposits.
 */
let env: PaymentsEnv;
beforeAll(async () => {
  env = await bootPayments();
});
afterAll(async () => {
  await env?.close();
});

const EUR = { currency: 'EUR', billingEmail: 'client@example.test', billingName: 'Ada Client' };

const intent = (id: string, body: Record<string, unknown>) =>
  env.app.http().post(`/api/invoice-payments/invoices/${id}/payment-intent`).send(body);
const confirm = (id: string, body: Record<string, unknown>) =>
  env.app.http().post(`/api/invoice-payments/invoices/${id}/confirm-payment`).send(body);
const paymentOf = async (providerPaymentId: string) =>
  env.app.strapi.db.query(PAYMENT).findOne({ where: { providerPaymentId } });
const mailsTo = (address: string, subject: RegExp) =>
  env.smtp.mails.filter((m) => m.to.includes(address) && subject.test(m.subject));
const auditOf = (documentId: string) =>
  env.app.strapi.db
    .query('plugin::invoice-payments.audit-entry')
    .findMany({ where: { invoiceDocumentId: documentId }, orderBy: { id: 'asc' } });

/** A SEPA debit confirmed the way Stripe.js does it for the Payment Element (payment_method_data + IBAN). */
async function sepaPayment(iban: string) {
  const invoice = await payableInvoice(env, EUR);
  const made = await intent(invoice.documentId, { token: invoice.token });
  expect(made.status).toBe(200);
  const pi = made.body.data.providerPaymentId as string;
  const confirmed = await env.stripe.paymentIntents.confirm(pi, {
    payment_method_data: {
      type: 'sepa_debit',
      sepa_debit: { iban },
      billing_details: { name: 'Ada Client', email: 'client@example.test' },
    },
    return_url: 'http://localhost/return',
  });
  expect(confirmed.status).toBe('processing');
  const settled = await confirm(invoice.documentId, { token: invoice.token, providerPaymentId: pi });
  expect(settled.status).toBe(200);
  expect(settled.body.data.paymentStatus).toBe('processing');
  return { ...invoice, pi };
}

describe('SEPA Direct Debit', () => {
  it('stays pending (not paid) while processing, shows it on the pay page, then succeeds', async () => {
    const { documentId, token, pi } = await sepaPayment('AT611904300234573201');
    let invoice = await readInvoice(env, documentId);
    expect(invoice.state).not.toBe('paid');
    expect(invoice.balanceDue).toBe(182750);
    expect((await paymentOf(pi)).method).toBe('sepa_debit');

    const view = await env.app.http().get(`/api/invoice-payments/pay/${token}`);
    expect(view.status).toBe(200);
    expect(view.body.data.pay).toBeNull();
    expect(view.body.data.pending.amount).toBe('€1,827.50');
    expect(view.body.data.pending.text).toMatch(/^Payment pending, usually 3–5 business days: €1,827\.50/);
    const page = await env.app.http().get(`/invoice-payments/pay/${token}`);
    expect(page.text).toContain('id="payment-pending"');
    expect(page.text).not.toContain('id="pay-button"');

    env.standin.control.settleDelayed(pi, 'succeed');
    invoice = await eventually(
      () => readInvoice(env, documentId),
      (i) => i.state === 'paid',
    );
    expect(invoice.balanceDue).toBe(0);
    expect((await paymentOf(pi)).status).toBe('succeeded');
    const after = await env.app.http().get(`/api/invoice-payments/pay/${token}`);
    expect(after.body.data.pending).toBeNull();
  });

  it('refuses a second payment while one is processing, with a 409 the client can read', async () => {
    const { documentId, token, pi } = await sepaPayment('AT611904300234573201');
    const second = await intent(documentId, { token });
    expect(second.status).toBe(409);
    expect(second.body.error.name).toBe('PaymentProcessing');
    expect(second.body.error.message).toContain('€1,827.50');
    expect(second.body.error.message).toContain('payment pending, usually 3–5 business days');
    const checkout = await env.app
      .http()
      .post(`/api/invoice-payments/invoices/${documentId}/checkout-session`)
      .send({ token, uiMode: 'hosted' });
    expect(checkout.status).toBe(409);
    // Nothing new was made at the provider or in the ledger.
    const rows = await env.app.strapi.db.query(PAYMENT).findMany({ where: { invoice: { documentId } } });
    expect(rows.map((r: { providerPaymentId: string }) => r.providerPaymentId)).toEqual([pi]);
    env.standin.control.settleDelayed(pi, 'succeed');
    await eventually(
      () => readInvoice(env, documentId),
      (i) => i.state === 'paid',
    );
  });

  it('a failure days after processing reopens the balance and emails the admin and the client', async () => {
    const { documentId, token, pi } = await sepaPayment('AT861904300235473202');
    env.standin.control.settleDelayed(pi, 'fail');
    const failed = await eventually(
      () => paymentOf(pi),
      (p) => p.status === 'failed',
    );
    expect(failed.failureMessage).toBeTruthy();
    const invoice = await readInvoice(env, documentId);
    expect(invoice.state).not.toBe('paid');
    expect(invoice.balanceDue).toBe(182750);
    await waitForIdle(env.app.strapi, 10_000, env.standin);

    const number = invoice.number as string;
    expect(mailsTo('billing-admin@example.test', new RegExp(`Payment failed on invoice ${number}`))).toHaveLength(1);
    const client = mailsTo('client@example.test', new RegExp(`invoice ${number} did not go through`));
    expect(client).toHaveLength(1);
    expect(client[0]!.raw).toContain(`/invoice-payments/pay/${token}`);

    const actions = (await auditOf(documentId)).map((a: { action: string }) => a.action);
    expect(actions).toEqual(expect.arrayContaining(['payment.processing', 'payment.failed', 'email.failure_client']));

    // The balance is payable again: the pay page offers the Pay button, and a new attempt starts.
    const view = await env.app.http().get(`/api/invoice-payments/pay/${token}`);
    expect(view.body.data.pending).toBeNull();
    expect(view.body.data.pay).not.toBeNull();
    const again = await intent(documentId, { token });
    expect(again.status).toBe(200);

    // A redelivered failure event sends nothing twice.
    const event = env.standin.control
      .events()
      .find(
        (e) => e.type === 'payment_intent.payment_failed' && (e.data as { object: { id: string } }).object.id === pi,
      );
    await env.standin.control.deliverEvent(String(event!.id));
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect(mailsTo('client@example.test', new RegExp(`invoice ${number} did not go through`))).toHaveLength(1);
  });
});

describe('a debit retried on the same payment and refused again', () => {
  const failureMails = (number: string) => ({
    admin: mailsTo('billing-admin@example.test', new RegExp(`Payment failed on invoice ${number}`)).length,
    client: mailsTo('client@example.test', new RegExp(`invoice ${number} did not go through`)).length,
  });
  const failedEvents = (pi: string) =>
    env.standin.control
      .events()
      .filter(
        (e) => e.type === 'payment_intent.payment_failed' && (e.data as { object: { id: string } }).object.id === pi,
      )
      .map((e) => String(e.id));

  /** The client pays again on the pay page: the same PaymentIntent comes back and takes another account. */
  async function retryWith(documentId: string, token: string, pi: string, iban: string, tellServer = true) {
    const again = await intent(documentId, { token });
    expect(again.status).toBe(200);
    expect(again.body.data.providerPaymentId).toBe(pi);
    const confirmed = await env.stripe.paymentIntents.confirm(pi, {
      payment_method_data: {
        type: 'sepa_debit',
        sepa_debit: { iban },
        billing_details: { name: 'Ada Client', email: 'client@example.test' },
      },
      return_url: 'http://localhost/return',
    });
    expect(confirmed.status).toBe('processing');
    if (tellServer) {
      const settled = await confirm(documentId, { token, providerPaymentId: pi });
      expect(settled.body.data.paymentStatus).toBe('processing');
    }
  }

  it('emails the admin and the client again, once each, however often each failure is delivered', async () => {
    const { documentId, token, pi } = await sepaPayment('AT861904300235473202');
    const number = (await readInvoice(env, documentId)).number as string;
    env.standin.control.settleDelayed(pi, 'fail');
    await eventually(
      () => paymentOf(pi),
      (p) => p.status === 'failed',
    );
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect(failureMails(number)).toEqual({ admin: 1, client: 1 });

    // Another account (Stripe's IBAN that fails after processing), the same payment: pending again.
    await retryWith(documentId, token, pi, 'DE62370400440532013001');
    expect((await paymentOf(pi)).status).toBe('processing');
    env.standin.control.settleDelayed(pi, 'fail');
    await eventually(
      () => paymentOf(pi),
      (p) => p.status === 'failed',
    );
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect(failureMails(number)).toEqual({ admin: 2, client: 2 });
    const charges = await env.stripe.charges.list({ payment_intent: pi });
    expect(charges.data.filter((c) => c.status === 'failed')).toHaveLength(2);

    // Every failure event delivered again, three at a time: nothing more.
    const events = failedEvents(pi);
    expect(events).toHaveLength(2);
    await Promise.all([...events, ...events, ...events].map((id) => env.standin.control.deliverEvent(id)));
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect(failureMails(number)).toEqual({ admin: 2, client: 2 });
    const outbox = await env.app.strapi.db
      .query('plugin::invoice-payments.notice')
      .findMany({ where: { paymentId: (await paymentOf(pi)).id, kind: { $in: ['failure', 'failure_client'] } } });
    expect(outbox).toHaveLength(4);
    expect(new Set(outbox.map((n: { occurrence: string }) => n.occurrence))).toEqual(
      new Set(charges.data.map((c) => c.id)),
    );
  });

  it('tells the second refusal even when the plugin never saw the retry processing (webhooks held)', async () => {
    const { documentId, token, pi } = await sepaPayment('AT861904300235473202');
    const number = (await readInvoice(env, documentId)).number as string;
    env.standin.control.settleDelayed(pi, 'fail');
    await eventually(
      () => paymentOf(pi),
      (p) => p.status === 'failed',
    );
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect(failureMails(number)).toEqual({ admin: 1, client: 1 });

    // The retry starts and is refused while the endpoint is down and the tab was closed: the plugin
    // next sees the payment failed, as it already was, but by another charge.
    env.standin.control.setDelivery({ paused: true });
    try {
      await retryWith(documentId, token, pi, 'DE62370400440532013001', false);
      env.standin.control.settleDelayed(pi, 'fail');
    } finally {
      env.standin.control.setDelivery({ paused: false });
      await env.standin.control.flush();
    }
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect(failureMails(number)).toEqual({ admin: 2, client: 2 });
    await Promise.all(failedEvents(pi).map((id) => env.standin.control.deliverEvent(id)));
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect(failureMails(number)).toEqual({ admin: 2, client: 2 });
  });
});

describe('iDEAL (a bank redirect)', () => {
  async function idealPayment() {
    const invoice = await payableInvoice(env, EUR);
    const made = await intent(invoice.documentId, { token: invoice.token });
    const pi = made.body.data.providerPaymentId as string;
    const returnUrl = `${env.app.url}/invoice-payments/pay/return?invoice=${invoice.documentId}`;
    const confirmed = await env.stripe.paymentIntents.confirm(pi, {
      payment_method_data: { type: 'ideal' },
      return_url: returnUrl,
    });
    expect(confirmed.status).toBe('requires_action');
    expect(confirmed.next_action?.type).toBe('redirect_to_url');
    return { ...invoice, pi, bankPage: confirmed.next_action!.redirect_to_url!.url! };
  }

  /** The customer's browser on the bank's page: Authorize or Fail, then the redirect to return_url. */
  async function bank(url: string, outcome: 'succeed' | 'fail'): Promise<URL> {
    const res = await fetch(url, {
      method: 'POST',
      body: new URLSearchParams({ outcome }),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      redirect: 'manual',
    });
    expect(res.status).toBe(303);
    return new URL(res.headers.get('location')!);
  }

  it('the return page settles through the provider and shows paid', async () => {
    const { documentId, pi, bankPage } = await idealPayment();
    // Hold the webhooks back: the return page alone must settle it.
    env.standin.control.setDelivery({ paused: true });
    try {
      const back = await bank(bankPage, 'succeed');
      expect(back.searchParams.get('payment_intent')).toBe(pi);
      expect(back.searchParams.get('redirect_status')).toBe('succeeded');
      expect(back.searchParams.get('payment_intent_client_secret')).toMatch(/^pi_.+_secret_/);
      const page = await env.app.http().get(`${back.pathname}${back.search}`);
      expect(page.status).toBe(200);
      expect(page.text).toContain('Payment received');
      expect(page.text).toContain('data-payment-state="paid"');
      const invoice = await readInvoice(env, documentId);
      expect(invoice.state).toBe('paid');
      expect((await paymentOf(pi)).method).toBe('ideal');
    } finally {
      env.standin.control.setDelivery({ paused: false });
      await env.standin.control.flush();
    }
  });

  it('never trusts redirect_status: a forged "succeeded" on a failed payment shows failed', async () => {
    const { documentId, pi, bankPage } = await idealPayment();
    const back = await bank(bankPage, 'fail');
    back.searchParams.set('redirect_status', 'succeeded');
    const page = await env.app.http().get(`${back.pathname}${back.search}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('data-payment-state="failed"');
    expect((await readInvoice(env, documentId)).state).not.toBe('paid');
    expect((await paymentOf(pi)).status).toBe('failed');
  });

  it('answers 404 for a payment of another invoice or a made-up id, settling nothing', async () => {
    const { pi } = await idealPayment();
    const other = await payableInvoice(env, EUR);
    for (const query of [
      `invoice=${other.documentId}&payment_intent=${pi}`,
      `invoice=${other.documentId}&payment_intent=pi_doesnotexist`,
      `invoice=${other.documentId}`,
      `payment_intent=${pi}`,
      `invoice=%3Cscript%3E&payment_intent=${pi}`,
    ]) {
      const res = await env.app.http().get(`/invoice-payments/pay/return?${query}`);
      expect(res.status).toBe(404);
      expect(res.text).not.toMatch(/stack|Error:/);
    }
    expect((await paymentOf(pi)).status).not.toBe('succeeded');
  });
});

describe('ACH Direct Debit with microdeposits', () => {
  it('waits for verification, then processes (pending) and succeeds', async () => {
    const invoice = await payableInvoice(env, { billingEmail: 'client@example.test' });
    const made = await intent(invoice.documentId, { token: invoice.token });
    const pi = made.body.data.providerPaymentId as string;
    const confirmed = await payWith(env, pi, 'pm_usBankAccount_microdeposits');
    expect('status' in confirmed && confirmed.status).toBe('requires_action');
    const waiting = await confirm(invoice.documentId, { token: invoice.token, providerPaymentId: pi });
    expect(waiting.body.data.paymentStatus).toBe('requires_action');
    expect(waiting.body.data.nextAction.kind).toBe('verify_microdeposits');
    // The same client asking again gets the same payment back with its next step, nothing new.
    const again = await intent(invoice.documentId, { token: invoice.token });
    expect(again.status).toBe(200);
    expect(again.body.data.providerPaymentId).toBe(pi);
    expect(again.body.data.nextAction.kind).toBe('verify_microdeposits');

    env.standin.control.verifyMicrodeposits(pi);
    await eventually(
      () => paymentOf(pi),
      (p) => p.status === 'processing',
    );
    expect((await readInvoice(env, invoice.documentId)).state).not.toBe('paid');
    const view = await env.app.http().get(`/api/invoice-payments/pay/${invoice.token}`);
    expect(view.body.data.pending.amount).toBe('$1,827.50');
    env.standin.control.settleDelayed(pi, 'succeed');
    await eventually(
      () => readInvoice(env, invoice.documentId),
      (i) => i.state === 'paid',
    );
  });
});
