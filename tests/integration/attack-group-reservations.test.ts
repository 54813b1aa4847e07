import {
  bootPayments,
  eventually,
  INVOICE,
  PAYMENT,
  payWith,
  readInvoice,
  type PaymentsEnv,
} from '../support/payments';
import { waitForIdle } from '../support/idle';
import { portalHelpers } from '../support/portal';

/**
 * Attacks on the reservations a multi-invoice payment (the client portal) makes on its invoices
 * (review of "Multi-invoice payments reserve their invoices"). Above all the window between the
 * reservation (pending shares written) and the provider's answer being recorded on them: the
 * invoice changes there (the admin marks it paid, voids it, edits its total) while the shared
 * payment is being made at the provider, and nothing may then charge the old amount.
 */
let env: PaymentsEnv;
const GROUP = 'plugin::invoice-payments.payment-group';
let owner: { id: number };
const { jwt, clientUser, invoiceOf, portalPay, sharesOf } = portalHelpers(() => env, 'Hold', 2029);

beforeAll(async () => {
  env = await bootPayments();
  owner = await clientUser('holdowner');
}, 60_000);
afterAll(async () => {
  await env?.close();
});

/** The admin voids an invoice (admin API). */
const voidAsAdmin = (documentId: string, reason: string) =>
  env.app.http().post(`/invoice-payments/invoices/${documentId}/void`).set(env.admin.auth).send({ reason });

/** The client confirms with a card that needs 3-D Secure and leaves the challenge open. */
async function awaitingAuthentication(piId: string) {
  const confirmed = await env.stripe.paymentIntents.confirm(piId, {
    payment_method: 'pm_card_authenticationRequired',
    return_url: 'http://localhost/return',
  });
  expect(confirmed.status).toBe('requires_action');
  await waitForIdle(env.app.strapi, 10_000, env.standin);
}

/** The invoice's shares reserved by a portal payment (status as asked). */
const reservedOn = (documentId: string, status = 'pending') =>
  env.app.strapi.db
    .query(PAYMENT)
    .findMany({ where: { invoice: { documentId }, paymentGroup: { $notNull: true }, status } });

/** Every PaymentIntent the stand-in made for the owner's portal payments naming `groupId`. */
async function groupIntent(groupId: string): Promise<string | null> {
  const group = await env.app.strapi.db.query(GROUP).findOne({ where: { documentId: groupId } });
  return (group?.providerPaymentId as string | null) ?? null;
}

/**
 * Starts a portal payment for `invoices` whose PaymentIntent creation at Stripe takes `hangMs`;
 * resolves once its shares are reserved (the request is then waiting on Stripe).
 */
async function slowPortalPay(invoices: string[], hangMs: number) {
  env.standin.control.addFault({ method: 'POST', path: '/v1/payment_intents', timeoutMs: hangMs, times: 1 });
  // supertest sends on then(): start it now.
  const pending = portalPay(owner.id, { invoices }).then((r) => r);
  await eventually(
    () => reservedOn(invoices[0]!),
    (rows) => rows.length === 1,
    5000,
    'the shares reserved',
  );
  const [share] = await reservedOn(invoices[0]!);
  return { pending, groupId: String(share.paymentGroup) };
}

/**
 * Whatever the portal handed out (if anything) is paid by the client; afterwards no invoice may
 * have been charged twice: no refund at Stripe, and every intent made for the group canceled or
 * never handed out.
 */
async function clientPaysWhatever(res: { status: number; body: { data?: { providerPaymentId?: string } } }) {
  if (res.status === 201 && res.body.data?.providerPaymentId) {
    await payWith(env, res.body.data.providerPaymentId, 'pm_card_visa').catch(() => null);
    await waitForIdle(env.app.strapi, 10_000, env.standin);
  }
}

describe('the invoice changes while the shared payment is being made at Stripe', () => {
  it('"Mark as paid" meanwhile: the shared payment is not handed out (409), ended at Stripe, nothing refunded', async () => {
    const x = await invoiceOf(owner.id, 1000);
    const y = await invoiceOf(owner.id, 2000);
    const { pending, groupId } = await slowPortalPay([x, y], 3500);
    const manual = await env.app
      .http()
      .post(`/invoice-payments/invoices/${x}/manual-payments`)
      .set(env.admin.auth)
      .send({ method: 'check', reference: 'CHK-RACE' });
    expect(manual.status).toBe(201);
    const res = await pending;
    await clientPaysWhatever(res);
    expect(res.status).toBe(409);
    expect(res.body.error.name).toBe('InvoiceChanged');
    const piId = await groupIntent(groupId);
    expect(piId).toBeTruthy();
    expect((await env.stripe.paymentIntents.retrieve(piId!)).status).toBe('canceled');
    expect((await env.stripe.refunds.list({ payment_intent: piId! })).data).toHaveLength(0);
    expect(await readInvoice(env, x)).toMatchObject({ state: 'paid', amountPaid: 1000, amountRefunded: 0 });
    expect(await readInvoice(env, y)).toMatchObject({ state: 'sent', amountPaid: 0, balanceDue: 2000 });
    expect((await sharesOf(groupId)).map((r: { status: string }) => r.status)).toEqual(['canceled', 'canceled']);
    // y is free again: its pay page makes a payment.
    const again = await portalPay(owner.id, { invoices: [y] });
    expect(again.status).toBe(201);
  }, 30_000);

  it('voided meanwhile: not handed out, ended at Stripe; the other invoice is free again', async () => {
    const x = await invoiceOf(owner.id, 1100);
    const y = await invoiceOf(owner.id, 2100);
    const { pending, groupId } = await slowPortalPay([x, y], 3500);
    const voided = await voidAsAdmin(y, 'Billed by mistake');
    expect(voided.status).toBe(200);
    const res = await pending;
    await clientPaysWhatever(res);
    expect(res.status).toBe(409);
    const piId = await groupIntent(groupId);
    expect((await env.stripe.paymentIntents.retrieve(piId!)).status).toBe('canceled');
    expect((await env.stripe.refunds.list({ payment_intent: piId! })).data).toHaveLength(0);
    expect(await readInvoice(env, y)).toMatchObject({ state: 'void', amountPaid: 0, amountRefunded: 0 });
    expect(await readInvoice(env, x)).toMatchObject({ state: 'sent', amountPaid: 0, balanceDue: 1100 });
    const single = await env.app
      .http()
      .post(`/api/invoice-payments/invoices/${x}/payment-intent`)
      .set(jwt(owner.id))
      .send({});
    expect(single.status).toBe(200);
  }, 30_000);

  it('a new total meanwhile: the old amount is never handed out', async () => {
    const x = await invoiceOf(owner.id, 1200);
    const y = await invoiceOf(owner.id, 2200);
    const { pending, groupId } = await slowPortalPay([x, y], 3500);
    await env.app.strapi.documents(INVOICE).update({
      documentId: x,
      data: { lineItems: [{ description: 'Cheaper', quantity: 1, unitAmount: 500 }] } as never,
    });
    const res = await pending;
    await clientPaysWhatever(res);
    expect(res.status).toBe(409);
    const piId = await groupIntent(groupId);
    expect((await env.stripe.paymentIntents.retrieve(piId!)).status).toBe('canceled');
    expect(await readInvoice(env, x)).toMatchObject({ balanceDue: 500, amountPaid: 0 });
  }, 30_000);
});

describe('a shared payment waiting for 3-D Secure', () => {
  it('voiding one invoice ends it (the client cannot finish paying the voided one); the other is free', async () => {
    const x = await invoiceOf(owner.id, 1300);
    const y = await invoiceOf(owner.id, 2300);
    const res = await portalPay(owner.id, { invoices: [x, y] });
    expect(res.status).toBe(201);
    const piId = res.body.data.providerPaymentId as string;
    await awaitingAuthentication(piId);
    const voided = await voidAsAdmin(x, 'Duplicate');
    expect(voided.status).toBe(200);
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect((await env.stripe.paymentIntents.retrieve(piId)).status).toBe('canceled');
    expect((await sharesOf(res.body.data.id)).map((r: { status: string }) => r.status)).toEqual([
      'canceled',
      'canceled',
    ]);
    expect(await readInvoice(env, y)).toMatchObject({ state: 'sent', balanceDue: 2300 });
    const again = await portalPay(owner.id, { invoices: [y] });
    expect(again.status).toBe(201);
  });
});

describe('a single payment waiting for 3-D Secure', () => {
  it('does not stop the Void (a card challenge is not money on its way): the payment is ended', async () => {
    const x = await invoiceOf(owner.id, 1500);
    const single = await env.app
      .http()
      .post(`/api/invoice-payments/invoices/${x}/payment-intent`)
      .set(jwt(owner.id))
      .send({});
    expect(single.status).toBe(200);
    const piId = single.body.data.providerPaymentId as string;
    await awaitingAuthentication(piId);
    const voided = await voidAsAdmin(x, 'Duplicate');
    expect(voided.status).toBe(200);
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect((await env.stripe.paymentIntents.retrieve(piId)).status).toBe('canceled');
    expect(await readInvoice(env, x)).toMatchObject({ state: 'void', amountPaid: 0 });
  });
});

describe('a reserved share is not money', () => {
  it('an open shared payment shows nothing paid: invoice, portal list, receipts, admin detail', async () => {
    const x = await invoiceOf(owner.id, 1400);
    const y = await invoiceOf(owner.id, 2400);
    const res = await portalPay(owner.id, { invoices: [x, y] });
    expect(res.status).toBe(201);
    for (const d of [x, y]) {
      const inv = await readInvoice(env, d);
      expect(inv).toMatchObject({ amountPaid: 0, state: 'sent' });
      const receipts = await env.app
        .http()
        .get(`/api/invoice-payments/portal/invoices/${d}/receipts`)
        .set(jwt(owner.id));
      expect(receipts.status).toBe(200);
      expect(receipts.body.data).toEqual([]);
      const admin = await env.app.http().get(`/invoice-payments/invoices/${d}`).set(env.admin.auth);
      expect(admin.status).toBe(200);
      expect(admin.body.data.invoice).toMatchObject({ amountPaid: 0 });
    }
    const list = await env.app.http().get('/api/invoice-payments/portal/invoices').set(jwt(owner.id));
    expect(list.status).toBe(200);
    for (const d of [x, y])
      expect(list.body.data.invoices.find((i: { id: string }) => i.id === d)).toMatchObject({ amountPaid: 0 });
    // An admin refund of a share nothing was paid on is refused and makes nothing at Stripe.
    const [share] = await sharesOf(res.body.data.id);
    const refunds = env.standin.control.requestLog('POST /v1/refunds').length;
    const refund = await env.app
      .http()
      .post(`/invoice-payments/payments/${share.documentId}/refunds`)
      .set(env.admin.auth)
      .send({});
    expect(refund.status).toBeGreaterThanOrEqual(400);
    expect(refund.status).toBeLessThan(500);
    expect(env.standin.control.requestLog('POST /v1/refunds').length).toBe(refunds);
  });
});

describe('a bank debit for several invoices retried on the same payment', () => {
  it('refused twice: the site and the client are told twice per invoice (once per refusal), redeliveries add nothing', async () => {
    const a = await invoiceOf(owner.id, 2600, { currency: 'EUR' });
    const b = await invoiceOf(owner.id, 1600, { currency: 'EUR' });
    const res = await portalPay(owner.id, { invoices: [a, b] });
    expect(res.status).toBe(201);
    const piId = res.body.data.providerPaymentId as string;
    // A site with its own front end keeps the client secret and lets the client try another account.
    const debit = async (iban: string) => {
      const confirmed = await env.stripe.paymentIntents.confirm(piId, {
        payment_method_data: {
          type: 'sepa_debit',
          sepa_debit: { iban },
          billing_details: { name: 'Ada Client', email: 'client@example.test' },
        },
        return_url: 'http://localhost/return',
      });
      expect(confirmed.status).toBe('processing');
      await waitForIdle(env.app.strapi, 10_000, env.standin);
      env.standin.control.settleDelayed(piId, 'fail');
      await waitForIdle(env.app.strapi, 10_000, env.standin);
    };
    const group = res.body.data.id as string;
    const outbox = async () => {
      const ids = (await sharesOf(group)).map((r: { id: number }) => r.id);
      return (
        (await env.app.strapi.db
          .query('plugin::invoice-payments.notice')
          .findMany({ where: { paymentId: { $in: ids } } })) as Array<{ kind: string; occurrence: string }>
      )
        .map((n) => n.kind)
        .sort();
    };
    // Stripe's SEPA test IBANs that fail after processing (https://docs.stripe.com/testing#sepa-direct-debit).
    await debit('AT861904300235473202');
    expect(await outbox()).toEqual(['failure', 'failure', 'failure_client', 'failure_client']);
    await debit('DE62370400440532013001');
    expect((await sharesOf(group)).map((r: { status: string }) => r.status)).toEqual(['failed', 'failed']);
    expect(await outbox()).toEqual([
      'failure',
      'failure',
      'failure',
      'failure',
      'failure_client',
      'failure_client',
      'failure_client',
      'failure_client',
    ]);
    const failed = env.standin.control
      .events()
      .filter(
        (e) => e.type === 'payment_intent.payment_failed' && (e.data as { object: { id: string } }).object.id === piId,
      )
      .map((e) => String(e.id));
    expect(failed).toHaveLength(2);
    await Promise.all([...failed, ...failed].map((id) => env.standin.control.deliverEvent(id)));
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect(await outbox()).toHaveLength(8);
    expect(await readInvoice(env, a)).toMatchObject({ balanceDue: 2600, amountPaid: 0 });
  });
});

describe('Stripe makes the shared payment but its answer is lost', () => {
  it('502 with a message; the shares are freed; the payment made at Stripe is not left open', async () => {
    const x = await invoiceOf(owner.id, 1700);
    const y = await invoiceOf(owner.id, 2700);
    // Processed, then answered 500 (saved under the key: the SDK's retries get the same 500).
    env.standin.control.addFault({ method: 'POST', path: '/v1/payment_intents', afterProcessing: true, times: 1 });
    const res = await portalPay(owner.id, { invoices: [x, y] });
    expect(res.status).toBe(502);
    expect(res.body.error.message).toMatch(/not answering|try again/i);
    const [share] = await reservedOn(x, 'canceled');
    const groupId = String(share.paymentGroup);
    expect((await sharesOf(groupId)).map((r: { status: string }) => r.status)).toEqual(['canceled', 'canceled']);
    const made = (await env.stripe.paymentIntents.list({ limit: 100 })).data.filter(
      (pi) => pi.metadata?.invoice_payments_group === groupId,
    );
    expect(made).toHaveLength(1);
    expect(made[0]!.status).toBe('canceled');
    // Nothing blocks the invoices: the client pays them again.
    const again = await portalPay(owner.id, { invoices: [x, y] });
    expect(again.status).toBe(201);
  });
});
