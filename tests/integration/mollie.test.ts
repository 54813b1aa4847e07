/**
 * Mollie end to end on a booted Strapi: pay links on Mollie, the Mollie stand-in's hosted checkout
 * (paid, failed, expired, canceled), its unsigned webhook (id=tr_…) re-read through the official
 * client, partial refunds, chargebacks and duplicate webhooks. Stripe stays configured beside it.
 */
import { bootPayments, payableInvoice, readInvoice, PAYMENT, eventually, type PaymentsEnv } from '../support/payments';
import { startMollieStandin, type MollieStandin } from '../support/mollie-standin';
import { waitForIdle } from '../support/idle';

const MOLLIE_KEY = 'test_integrationMollieKey000000000000';
const EVENT = 'plugin::invoice-payments.webhook-event';

let env: PaymentsEnv;
let mollie: MollieStandin;

beforeAll(async () => {
  mollie = await startMollieStandin();
  env = await bootPayments({
    env: { MOLLIE_API_ENDPOINT: mollie.apiEndpoint },
    settings: { mollieApiKey: MOLLIE_KEY, payLinkProvider: 'mollie', defaultCurrency: 'EUR' },
  });
  // Mollie is given the webhook URL with each payment: this app's public address (its port is random).
  env.app.strapi.config.set('plugin::invoice-payments.publicUrl', env.app.url);
});
afterAll(async () => {
  await env?.close();
  await mollie?.close();
});

const adminPost = (path: string, body: Record<string, unknown> = {}) =>
  env.app.http().post(`/invoice-payments${path}`).set(env.admin.auth).send(body);
const paymentsOf = (documentId: string) =>
  env.app.strapi.db.query(PAYMENT).findMany({ where: { invoice: { documentId } }, orderBy: { id: 'asc' } });
const webhookPath = '/api/invoice-payments/webhooks/mollie';

/** A sent EUR invoice on Mollie and its hosted checkout (a Mollie payment). */
async function checkout(amount = 10000) {
  const inv = await payableInvoice(env, {
    currency: 'EUR',
    lineItems: [{ description: 'Consulting', quantity: 1, unitAmount: amount }],
    billingEmail: `m${Date.now()}@example.test`,
  });
  const res = await env.app
    .http()
    .post(`/api/invoice-payments/invoices/${inv.documentId}/checkout-session`)
    .send({ token: inv.token });
  expect(res.status).toBe(200);
  const id = res.body.data.checkoutSessionId as string;
  expect(id).toMatch(/^tr_/);
  expect(res.body.data.url).toBe(`${mollie.url}/checkout/${id}`);
  return { ...inv, id };
}

/** What the client does on Mollie's page: choose a method and (test mode) the outcome. */
async function customerPicks(id: string, status: 'paid' | 'failed' | 'canceled' | 'expired', method = 'ideal') {
  const res = await fetch(`${mollie.url}/checkout/${id}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ status, method }).toString(),
  });
  expect(res.status).toBe(303);
  await waitForIdle(env.app.strapi);
  await mollie.control.idle();
  await waitForIdle(env.app.strapi);
  return res.headers.get('location');
}

describe('a pay link on Mollie', () => {
  it('paid: Mollie amount as a decimal string, webhook re-read, invoice paid, client back on the success page', async () => {
    const { documentId, id } = await checkout(12345);
    const raw = mollie.control.payment(id)!;
    expect(raw.amount).toEqual({ currency: 'EUR', value: '123.45' });
    expect(raw.webhookUrl).toBe(`${env.app.url}${webhookPath}`);
    const location = await customerPicks(id, 'paid');
    expect(location).toContain(`session_id=${id}`);
    const inv = await eventually(
      () => readInvoice(env, documentId),
      (i) => i.state === 'paid',
    );
    expect(inv).toMatchObject({ amountPaid: 12345, balanceDue: 0 });
    const [payment] = await paymentsOf(documentId);
    expect(payment).toMatchObject({ provider: 'mollie', status: 'succeeded', amount: 12345, currency: 'EUR' });
    // The success page reads the payment back (no webhook needed for the client to see it).
    const back = new URL(location!);
    const page = await env.app.http().get(`${back.pathname}${back.search}`);
    expect(page.status).toBeLessThan(400);
  });

  it.each([
    ['failed', 'failed'],
    ['canceled', 'canceled'],
    ['expired', 'canceled'],
  ] as const)(
    '%s at Mollie: the attempt ends %s, the invoice stays payable, a new checkout can start',
    async (outcome, status) => {
      const { documentId, id } = await checkout(5000);
      await customerPicks(id, outcome, 'creditcard');
      await eventually(
        () => paymentsOf(documentId),
        (rows) => rows[0]?.status === status,
      );
      const inv = await readInvoice(env, documentId);
      expect(inv).toMatchObject({ state: 'sent', balanceDue: 5000, amountPaid: 0 });
      const again = await env.app
        .http()
        .post(`/api/invoice-payments/invoices/${documentId}/checkout-session`)
        .send({ token: inv.payToken });
      expect(again.status).toBe(200);
      expect(again.body.data.checkoutSessionId).not.toBe(id);
    },
  );

  it('partial refund from the invoice screen: Mollie refund of the decimal amount, booked when Mollie says refunded', async () => {
    const { documentId, id } = await checkout(10000);
    await customerPicks(id, 'paid');
    const [payment] = await eventually(
      () => paymentsOf(documentId),
      (rows) => rows[0]?.status === 'succeeded',
    );
    const res = await adminPost(`/payments/${payment.documentId}/refunds`, {
      amount: 3000,
      invoiceEffect: 'reopen',
      idempotencyKey: `mollie-partial-${documentId}`,
    });
    expect(res.status).toBe(200);
    const refunds = (mollie.control.payment(id)!._embedded as { refunds: Array<{ amount: unknown; status: string }> })
      .refunds;
    expect(refunds).toHaveLength(1);
    expect(refunds[0]!.amount).toEqual({ currency: 'EUR', value: '30.00' });
    await mollie.control.idle();
    await waitForIdle(env.app.strapi);
    const inv = await eventually(
      () => readInvoice(env, documentId),
      (i) => i.amountRefunded === 3000,
    );
    expect(inv).toMatchObject({ balanceDue: 3000, amountPaid: 10000 });
    expect((await paymentsOf(documentId))[0]).toMatchObject({ status: 'partially_refunded', amountRefunded: 3000 });
  });

  it('chargeback: the payment is disputed and the admin alerted; a reversal clears it', async () => {
    const { documentId, id } = await checkout(8000);
    await customerPicks(id, 'paid');
    await eventually(
      () => readInvoice(env, documentId),
      (i) => i.state === 'paid',
    );
    const chb = await mollie.control.chargeback(id);
    await mollie.control.idle();
    await waitForIdle(env.app.strapi);
    const [payment] = await eventually(
      () => paymentsOf(documentId),
      (rows) => rows[0]?.status === 'disputed',
    );
    expect(payment).toMatchObject({ disputeStatus: 'open', disputedAmount: 8000 });
    await eventually(
      async () =>
        env.smtp.mails.filter((m) => m.raw.includes(payment.documentId) || m.subject.toLowerCase().includes('dispute')),
      (m) => m.length > 0,
    );
    await mollie.control.reverseChargeback(chb);
    await mollie.control.idle();
    await waitForIdle(env.app.strapi);
    expect(
      (
        await eventually(
          () => paymentsOf(documentId),
          (rows) => rows[0]?.status === 'succeeded',
        )
      )[0],
    ).toMatchObject({ disputeStatus: 'won' });
  });

  it('duplicate webhooks change nothing: one payment, one booking, the repeat acknowledged as a duplicate', async () => {
    const { documentId, id } = await checkout(4200);
    await customerPicks(id, 'paid');
    await eventually(
      () => readInvoice(env, documentId),
      (i) => i.state === 'paid',
    );
    const before = await env.app.strapi.db.query(EVENT).count({ where: { objectId: id } });
    const first = await env.app.http().post(webhookPath).type('form').send(`id=${id}`);
    const second = await env.app.http().post(webhookPath).type('form').send(`id=${id}`);
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.body.duplicate).toBe(true);
    await mollie.control.redeliver(id);
    await mollie.control.idle();
    await waitForIdle(env.app.strapi);
    expect(await env.app.strapi.db.query(EVENT).count({ where: { objectId: id } })).toBe(before);
    const rows = await paymentsOf(documentId);
    expect(rows).toHaveLength(1);
    expect(await readInvoice(env, documentId)).toMatchObject({ state: 'paid', amountPaid: 4200, balanceDue: 0 });
  });

  it('a forged or malformed webhook gets a 400 and stores nothing', async () => {
    const count = await env.app.strapi.db.query(EVENT).count();
    const unknown = await env.app.http().post(webhookPath).type('form').send('id=tr_doesnotexist1');
    expect(unknown.status).toBe(400);
    const malformed = await env.app.http().post(webhookPath).type('form').send('id=re_notapayment');
    expect(malformed.status).toBe(400);
    const json = await env.app.http().post(webhookPath).send({ id: 'tr_x' });
    expect(json.status).toBe(400);
    expect(await env.app.strapi.db.query(EVENT).count()).toBe(count);
  });
});
