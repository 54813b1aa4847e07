import { bootPayments, eventually, payableInvoice, readInvoice, PAYMENT, type PaymentsEnv } from '../support/payments';
import { waitForIdle } from '../support/idle';

/**
 * Attacks on the asynchronous and redirect methods (issue 13): money booked around a SEPA debit
 * that is `processing` for days, the client told of a late failure whatever order the plugin
 * learnt it in, and the return page's input.
 */
let env: PaymentsEnv;
interface RemindersApi {
  setClock(now: (() => Date) | null): void;
  runDue(now?: Date, batchSize?: number): Promise<number>;
}
const reminders = () => env.app.strapi.plugin('invoice-payments').service('reminders') as unknown as RemindersApi;

beforeAll(async () => {
  env = await bootPayments({
    settings: {
      reminders: { enabled: true, beforeDays: [3], onDueDate: true, afterDays: [7], timeZone: 'UTC', sendHour: 9 },
    },
  });
});
afterAll(async () => {
  reminders()?.setClock(null);
  await env?.close();
});

const EUR = { currency: 'EUR', billingEmail: 'attack-async@example.test', billingName: 'Ada Client' };
const intent = (id: string, body: Record<string, unknown>) =>
  env.app.http().post(`/api/invoice-payments/invoices/${id}/payment-intent`).send(body);
const confirm = (id: string, body: Record<string, unknown>) =>
  env.app.http().post(`/api/invoice-payments/invoices/${id}/confirm-payment`).send(body);
const paymentOf = async (providerPaymentId: string) =>
  env.app.strapi.db.query(PAYMENT).findOne({ where: { providerPaymentId } });
const mailsTo = (address: string, subject: RegExp) =>
  env.smtp.mails.filter((m) => m.to.includes(address) && subject.test(m.subject));

/** A SEPA debit confirmed as Stripe.js does it (payment_method_data + IBAN); `report` calls confirm-payment. */
async function sepaDebit(iban: string, report = true) {
  const invoice = await payableInvoice(env, EUR);
  const made = await intent(invoice.documentId, { token: invoice.token });
  expect(made.status).toBe(200);
  const pi = made.body.data.providerPaymentId as string;
  const confirmed = await env.stripe.paymentIntents.confirm(pi, {
    payment_method_data: {
      type: 'sepa_debit',
      sepa_debit: { iban },
      billing_details: { name: 'Ada Client', email: EUR.billingEmail },
    },
  });
  expect(confirmed.status).toBe('processing');
  if (report) {
    const settled = await confirm(invoice.documentId, { token: invoice.token, providerPaymentId: pi });
    expect(settled.body.data.paymentStatus).toBe('processing');
  }
  return { ...invoice, pi };
}

describe('money around a processing debit', () => {
  it('"Mark as paid" cannot book the part a processing debit is bringing: it would be paid twice', async () => {
    const { documentId, pi } = await sepaDebit('AT611904300234573201');
    const before = await readInvoice(env, documentId);
    expect(before.balanceDue).toBe(182750);
    const manual = await env.app
      .http()
      .post(`/invoice-payments/invoices/${documentId}/manual-payments`)
      .set(env.admin.auth)
      .send({ method: 'wire', reference: 'WIRE-1' });
    expect(manual.status).toBe(409);
    expect(manual.body.error.message).toContain('€1,827.50');
    expect(manual.body.error.message).toMatch(/on its way/);
    // Nothing was booked.
    const rows = await env.app.strapi.db.query(PAYMENT).findMany({ where: { invoice: { documentId } } });
    expect(rows.map((r: { kind: string }) => r.kind)).toEqual(['card']);

    env.standin.control.settleDelayed(pi, 'succeed');
    const paid = await eventually(
      () => readInvoice(env, documentId),
      (i) => i.state === 'paid',
    );
    expect(paid.balanceDue).toBe(0);
    expect(paid.needsAttention ?? false).toBe(false);
  });

  it('a part the debit does not cover can still be marked paid, and a late failure reopens only the debit', async () => {
    // Total 182750: the admin first books 50000 received by wire, the client then debits the rest.
    const invoice = await payableInvoice(env, EUR);
    const wire = await env.app
      .http()
      .post(`/invoice-payments/invoices/${invoice.documentId}/manual-payments`)
      .set(env.admin.auth)
      .send({ amount: 50000, method: 'wire' });
    expect(wire.status).toBe(201);
    const made = await intent(invoice.documentId, { token: invoice.token });
    const pi = made.body.data.providerPaymentId as string;
    expect(made.body.data.amount).toBe(132750);
    await env.stripe.paymentIntents.confirm(pi, {
      payment_method_data: { type: 'sepa_debit', sepa_debit: { iban: 'AT861904300235473202' } },
    });
    await confirm(invoice.documentId, { token: invoice.token, providerPaymentId: pi });
    env.standin.control.settleDelayed(pi, 'fail');
    await eventually(
      () => paymentOf(pi),
      (p) => p.status === 'failed',
    );
    const after = await readInvoice(env, invoice.documentId);
    expect(after.balanceDue).toBe(132750);
    expect(after.state).toBe('partially_paid');

    // Paying again after the failure: one payable intent for the invoice, never two. If a new one
    // is made, the refused one (still `requires_payment_method`, its client secret in the old tab)
    // must be canceled, or the old tab could pay the same balance a second time.
    const again = await intent(invoice.documentId, { token: invoice.token });
    expect(again.status).toBe(200);
    expect(again.body.data.amount).toBe(132750);
    const next = again.body.data.providerPaymentId as string;
    if (next !== pi) {
      const old = await eventually(
        () => env.stripe.paymentIntents.retrieve(pi),
        (o) => o.status === 'canceled',
      );
      expect(old.status).toBe('canceled');
    }
  });
});

describe('a late failure the plugin learns late', () => {
  it('emails the client even when the plugin never saw the debit processing (webhooks held, tab closed)', async () => {
    // The client's browser saw "processing" from Stripe.js and closed the tab before confirm-payment;
    // the endpoint was down while the bank refused the debit. The events arrive afterwards, and each
    // reads the intent as it is now: failed. The client was told "pending" and must hear it failed.
    env.standin.control.setDelivery({ paused: true });
    let pi = '';
    let number = '';
    try {
      const made = await sepaDebit('AT861904300235473202', false);
      pi = made.pi;
      number = made.row.number as string;
      env.standin.control.settleDelayed(pi, 'fail');
    } finally {
      env.standin.control.setDelivery({ paused: false });
      await env.standin.control.flush();
    }
    await eventually(
      () => paymentOf(pi),
      (p) => p.status === 'failed',
    );
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect(mailsTo(EUR.billingEmail, new RegExp(`invoice ${number} did not go through`))).toHaveLength(1);
  });

  it('a card declined on the pay page sends the client no "refused by your bank" email (they saw it)', async () => {
    const invoice = await payableInvoice(env, EUR);
    const made = await intent(invoice.documentId, { token: invoice.token });
    const pi = made.body.data.providerPaymentId as string;
    await env.stripe.paymentIntents.confirm(pi, { payment_method: 'pm_card_chargeDeclined' }).catch(() => null);
    await confirm(invoice.documentId, { token: invoice.token, providerPaymentId: pi });
    await eventually(
      () => paymentOf(pi),
      (p) => p.status === 'failed',
    );
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect(mailsTo(EUR.billingEmail, new RegExp(`invoice ${invoice.row.number} did not go through`))).toHaveLength(0);
  });
});

describe('a SEPA debit paid on Stripe Checkout', () => {
  it('is pending, then a late failure reopens the balance and emails the client once', async () => {
    const invoice = await payableInvoice(env, EUR);
    const session = await env.app
      .http()
      .post(`/api/invoice-payments/invoices/${invoice.documentId}/checkout-session`)
      .send({ token: invoice.token, uiMode: 'hosted' });
    expect(session.status).toBe(200);
    const sessionId = session.body.data.checkoutSessionId as string;
    env.standin.control.completeCheckout(sessionId, { payment_method: 'pm_sepaDebit_failure' });
    const row = await eventually(
      () => env.app.strapi.db.query(PAYMENT).findOne({ where: { checkoutSessionId: sessionId } }),
      (p) => p?.status === 'processing',
    );
    expect((await readInvoice(env, invoice.documentId)).balanceDue).toBe(182750);
    // A second payment is refused meanwhile, on either route.
    const second = await intent(invoice.documentId, { token: invoice.token });
    expect(second.status).toBe(409);
    env.standin.control.settleDelayed(row.providerPaymentId as string, 'fail');
    await eventually(
      () => env.app.strapi.db.query(PAYMENT).findOne({ where: { id: row.id } }),
      (p) => p.status === 'failed',
    );
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect((await readInvoice(env, invoice.documentId)).balanceDue).toBe(182750);
    const number = invoice.row.number as string;
    expect(mailsTo(EUR.billingEmail, new RegExp(`invoice ${number} did not go through`))).toHaveLength(1);
    const again = await intent(invoice.documentId, { token: invoice.token });
    expect(again.status).toBe(200);
  });
});

describe('the return page', () => {
  it('answers garbage query strings with a 404 page, no stack, no provider call, nothing changed', async () => {
    const { documentId, pi } = await sepaDebit('AT611904300234573201');
    for (const query of [
      `invoice[]=${documentId}&payment_intent=${pi}`,
      `invoice=${documentId}&payment_intent[]=${pi}`,
      `invoice=${documentId}&payment_intent=${'a'.repeat(5000)}`,
      `invoice=${documentId}&payment_intent=pi_%00`,
      `invoice=${documentId}&payment_intent=${pi}'%20OR%201=1`,
    ]) {
      const res = await env.app.http().get(`/invoice-payments/pay/return?${query}`);
      expect(res.status).toBe(404);
      expect(res.text).not.toMatch(/stack|Error:|secret/i);
    }
    expect((await paymentOf(pi)).status).toBe('processing');
    env.standin.control.settleDelayed(pi, 'succeed');
  });

  it('never echoes the client secret and tells no caches or referrers', async () => {
    const { documentId, pi } = await sepaDebit('AT611904300234573201');
    const secret = `${pi}_secret_abcdef`;
    const res = await env.app
      .http()
      .get(
        `/invoice-payments/pay/return?invoice=${documentId}&payment_intent=${pi}&payment_intent_client_secret=${secret}`,
      );
    expect(res.status).toBe(200);
    expect(res.text).toContain('data-payment-state="pending"');
    expect(res.text).not.toContain('_secret_');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    env.standin.control.settleDelayed(pi, 'succeed');
  });
  it('the return page loaded twice at once while the webhook lands: one entry, one confirmation email', async () => {
    const invoice = await payableInvoice(env, EUR);
    const made = await intent(invoice.documentId, { token: invoice.token });
    const pi = made.body.data.providerPaymentId as string;
    const returnUrl = `${env.app.url}/invoice-payments/pay/return?invoice=${invoice.documentId}`;
    const confirmed = await env.stripe.paymentIntents.confirm(pi, {
      payment_method_data: { type: 'ideal' },
      return_url: returnUrl,
    });
    expect(confirmed.next_action?.type).toBe('redirect_to_url');
    env.standin.control.setDelivery({ paused: true });
    let back: URL;
    try {
      const res = await fetch(confirmed.next_action!.redirect_to_url!.url!, {
        method: 'POST',
        body: new URLSearchParams({ outcome: 'succeed' }),
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        redirect: 'manual',
      });
      back = new URL(res.headers.get('location')!);
    } finally {
      env.standin.control.setDelivery({ paused: false });
    }
    // The browser's reload, a second tab and the webhook, all at once.
    const [a, b] = await Promise.all([
      env.app.http().get(`${back.pathname}${back.search}`),
      env.app.http().get(`${back.pathname}${back.search}`),
      env.standin.control.flush(),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.text).toContain('data-payment-state="paid"');
    expect(b.text).toContain('data-payment-state="paid"');
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    const rows = await env.app.strapi.db
      .query(PAYMENT)
      .findMany({ where: { invoice: { documentId: invoice.documentId } } });
    expect(rows).toHaveLength(1);
    const paid = await readInvoice(env, invoice.documentId);
    expect(paid.state).toBe('paid');
    expect(paid.balanceDue).toBe(0);
    const number = invoice.row.number as string;
    expect(mailsTo(EUR.billingEmail, new RegExp(`Payment received for invoice ${number}$`))).toHaveLength(1);
  });
});

describe('reminders while a debit is processing', () => {
  it('sends no "invoice is due" reminder for a balance a pending debit is paying', async () => {
    const { documentId, pi, row } = await sepaDebit('AT611904300234573201');
    await env.app.strapi.db.query('plugin::invoice-payments.invoice').update({
      where: { id: row.id },
      data: { dueDate: '2032-05-10', sentAt: new Date('2032-01-01T00:00:00Z') },
    });
    const now = new Date('2032-05-10T09:00:30Z');
    try {
      reminders().setClock(() => now);
      await reminders().runDue(now);
      await waitForIdle(env.app.strapi, 10_000, env.standin);
    } finally {
      reminders().setClock(null);
    }
    expect(mailsTo(EUR.billingEmail, new RegExp(`^Invoice ${row.number as string} is due today$`))).toHaveLength(0);
    const audit = (await env.app.strapi.db
      .query('plugin::invoice-payments.audit-entry')
      .findMany({ where: { invoiceDocumentId: documentId, action: 'reminder.skipped' } })) as Array<{
      details: { why?: string };
    }>;
    expect(audit.map((a) => a.details.why)).toEqual(['payment_pending']);
    env.standin.control.settleDelayed(pi, 'succeed');
  });
});
