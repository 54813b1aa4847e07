/**
 * Mollie end to end on a booted Strapi: pay links on Mollie, the Mollie stand-in's hosted checkout
 * (paid, failed, expired, canceled), its unsigned webhook (id=tr_…) re-read through the official
 * client, partial refunds, chargebacks and duplicate webhooks. Stripe stays configured beside it.
 */
import { readInvoice, eventually, payableInvoice } from '../support/payments';
import { waitForIdle } from '../support/idle';
import {
  bootMollie,
  mollieKit,
  MOLLIE_WEBHOOK_PATH as webhookPath,
  WEBHOOK_EVENT as EVENT,
  type MollieEnv,
} from '../support/mollie';

let env: MollieEnv;
let mollie: MollieEnv['mollie'];

beforeAll(async () => {
  env = await bootMollie('test_integrationMollieKey000000000000');
  mollie = env.mollie;
});
afterAll(async () => {
  await env?.close();
});

const kit = mollieKit(() => env);
const { adminPost, paymentsOf, postWebhook, customerPicks } = kit;

/** A sent EUR invoice on Mollie and its hosted checkout (a Mollie payment). */
async function checkout(amount = 10000) {
  const { res, ...inv } = await kit.checkout(amount);
  expect(res.status).toBe(200);
  expect(inv.id).toMatch(/^tr_/);
  expect(res.body.data.url).toBe(`${mollie.url}/checkout/${inv.id}`);
  return inv;
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

  it("the hosted payment page is opened in the client's language (Mollie locale, with the browser's region)", async () => {
    const inv = await payableInvoice(env, { currency: 'EUR', language: 'de' });
    const res = await env.app
      .http()
      .post(`/api/invoice-payments/invoices/${inv.documentId}/checkout-session`)
      .set('Accept-Language', 'de-CH, fr;q=0.5')
      .send({ token: inv.token });
    expect(res.status).toBe(200);
    const read = async (id: string) =>
      (await (
        await fetch(`${env.mollie.apiEndpoint}payments/${id}`, {
          headers: { Authorization: `Bearer ${env.mollieKey}` },
        })
      ).json()) as { locale: string };
    expect((await read(res.body.data.checkoutSessionId as string)).locale).toBe('de_CH');
    const fr = await payableInvoice(env, { currency: 'EUR' });
    const frRes = await env.app
      .http()
      .post(`/api/invoice-payments/invoices/${fr.documentId}/checkout-session`)
      .send({ token: fr.token, language: 'fr' });
    expect((await read(frRes.body.data.checkoutSessionId as string)).locale).toBe('fr_FR');
  });

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
    const { documentId, id, row } = await checkout(8000);
    const number = row.number as string;
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
    const [alert] = await eventually(
      async () => env.smtp.mails.filter((m) => m.subject === `Dispute opened on invoice ${number}`),
      (m) => m.length > 0,
    );
    // The alert sends the admin to the dashboard of the provider holding the payment.
    const text = alert!.raw.replace(/=\r?\n/g, ''); // quoted-printable soft line breaks
    expect(text).toContain('Respond in the Mollie Dashboard');
    expect(text).not.toContain('Stripe');
    // The invoice screen names the provider in its sentences (refund failures, dispute status, method).
    const detail = await env.app.http().get(`/invoice-payments/invoices/${documentId}`).set(env.admin.auth);
    expect(detail.body.data.payments[0]).toMatchObject({ provider: 'mollie', providerLabel: 'Mollie' });
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
    const first = await postWebhook(`id=${id}`);
    const second = await postWebhook(`id=${id}`);
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

  it('the admin list of webhook deliveries filters by provider; an unknown provider filter is ignored', async () => {
    const { id } = await checkout(1200);
    await customerPicks(id, 'paid');
    // A Stripe delivery beside the Mollie ones (this app has both providers).
    const stripeRow = await env.app.strapi.documents(EVENT).create({
      data: {
        providerEventId: `evt_listFilter${Date.now()}`,
        provider: 'stripe',
        type: 'charge.updated',
        status: 'ignored',
      } as never,
    });
    const list = (query: string) =>
      env.app.http().get(`/invoice-payments/webhook-events?pageSize=100${query}`).set(env.admin.auth);
    const all = await list('');
    expect(all.status).toBe(200);
    const mollieOnly = await list('&provider=mollie');
    expect(mollieOnly.body.results.length).toBeGreaterThan(0);
    expect(mollieOnly.body.results.every((r: { provider: string }) => r.provider === 'mollie')).toBe(true);
    expect(mollieOnly.body.results.map((r: { objectId: string }) => r.objectId)).toContain(id);
    const stripeOnly = await list('&provider=stripe');
    expect(stripeOnly.body.results.map((r: { documentId: string }) => r.documentId)).toEqual([stripeRow.documentId]);
    expect(mollieOnly.body.pagination.total + stripeOnly.body.pagination.total).toBe(all.body.pagination.total);
    // Not a provider: ignored like any unknown filter value, so the list still shows everything.
    for (const odd of ['paypal', '__proto__', 'constructor']) {
      expect((await list(`&provider=${odd}`)).body.pagination.total).toBe(all.body.pagination.total);
    }
  });

  it('a forged or malformed webhook gets a 400 and stores nothing', async () => {
    const count = await env.app.strapi.db.query(EVENT).count();
    const unknown = await postWebhook('id=tr_doesnotexist1');
    expect(unknown.status).toBe(400);
    const malformed = await postWebhook('id=re_notapayment');
    expect(malformed.status).toBe(400);
    const json = await env.app.http().post(webhookPath).send({ id: 'tr_x' });
    expect(json.status).toBe(400);
    expect(await env.app.strapi.db.query(EVENT).count()).toBe(count);
  });
});
