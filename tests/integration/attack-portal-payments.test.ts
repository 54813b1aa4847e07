import {
  bootPayments,
  eventually,
  INVOICE,
  PAYMENT,
  payWith,
  readInvoice,
  type PaymentsEnv,
} from '../support/payments';
import { createInvoice } from '../support/invoices';
import { waitForIdle } from '../support/idle';

/**
 * Attacks on the client portal's multi-invoice payment (issue 12, review): money that moves back
 * and forth (a refund failing after a later one), invoices changed under an open shared payment,
 * who may use the portal, and bad selections (a 4xx, never a PaymentIntent).
 */
let env: PaymentsEnv;
const GROUP = 'plugin::invoice-payments.payment-group';
let owner: { id: number };
let blocked: { id: number };
const jwt = (id: number) => ({
  Authorization: `Bearer ${env.app.strapi.plugin('users-permissions').service('jwt').issue({ id })}`,
});
const piCreates = () => env.standin.control.requestLog('POST /v1/payment_intents').length;
let seq = 0;

async function invoiceOf(
  customer: number,
  amount: number,
  opts: { currency?: string; state?: string; issueDate?: string } = {},
) {
  seq += 1;
  const created = await createInvoice(env.app.strapi, {
    customer,
    currency: opts.currency ?? 'USD',
    state: 'sent',
    lineItems: [{ description: `Attack ${seq}`, quantity: 1, unitAmount: amount }],
  });
  const data: Record<string, unknown> = { issueDate: opts.issueDate ?? `2025-0${(seq % 9) + 1}-01` };
  if (opts.state && opts.state !== 'sent') data.state = opts.state;
  await env.app.strapi.db.query(INVOICE).update({ where: { documentId: created.documentId }, data });
  return created.documentId as string;
}

const portalPay = (userId: number, body: unknown) =>
  env.app
    .http()
    .post('/api/invoice-payments/portal/payments')
    .set(jwt(userId))
    .send(body as object);
const sharesOf = (groupId: string) =>
  env.app.strapi.db.query(PAYMENT).findMany({ where: { paymentGroup: groupId }, populate: ['invoice'] });

async function paidGroup(invoices: string[], method = 'pm_card_visa') {
  const res = await portalPay(owner.id, { invoices });
  expect(res.status).toBe(201);
  const piId = res.body.data.providerPaymentId as string;
  await payWith(env, piId, method);
  await waitForIdle(env.app.strapi, 10_000, env.standin);
  return { group: res.body.data as { id: string; amount: number }, piId };
}

beforeAll(async () => {
  env = await bootPayments();
  const role = await env.app.strapi.db
    .query('plugin::users-permissions.role')
    .findOne({ where: { type: 'authenticated' } });
  const mk = (name: string, extra: Record<string, unknown> = {}) =>
    env.app.strapi.db.query('plugin::users-permissions.user').create({
      data: {
        username: name,
        email: `${name}@example.test`,
        provider: 'local',
        confirmed: true,
        role: role.id,
        ...extra,
      },
    });
  owner = await mk(`atkowner${Date.now()}`);
  blocked = await mk(`atkblocked${Date.now()}`, { blocked: true });
}, 60_000);
afterAll(async () => {
  await env?.close();
});

describe('money going back', () => {
  it('a refund that fails after a later refund was split: the ledger books what Stripe kept refunded', async () => {
    const older = await invoiceOf(owner.id, 1000, { issueDate: '2025-04-01' });
    const newer = await invoiceOf(owner.id, 3000, { issueDate: '2025-04-02' });
    const { group, piId } = await paidGroup([older, newer]);
    // A: 2000 from the newer invoice. B: 1500, the newer one's last 1000 then 500 of the older one.
    const a = await env.stripe.refunds.create({ payment_intent: piId, amount: 2000 });
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    await env.stripe.refunds.create({ payment_intent: piId, amount: 1500 });
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    const byInvoice = async () =>
      Object.fromEntries(
        (await sharesOf(group.id)).map((r: { invoice: { documentId: string }; amountRefunded: number }) => [
          r.invoice.documentId,
          r.amountRefunded,
        ]),
      );
    await eventually(byInvoice, (m) => m[older] === 500, 5000, 'second refund booked');
    // A fails later (the card was closed): its 2000 comes back to the payment at Stripe.
    env.standin.control.failRefund(a.id);
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    const pi = await env.stripe.paymentIntents.retrieve(piId, { expand: ['latest_charge'] });
    const refundedAtStripe = (pi.latest_charge as { amount_refunded: number }).amount_refunded;
    expect(refundedAtStripe).toBe(1500);
    await eventually(
      () =>
        env.app.strapi.db
          .query('plugin::invoice-payments.refund')
          .findMany({ where: { providerRefundId: { $startsWith: a.id } } }),
      (rows) => rows.length > 0 && rows.every((r: { status: string }) => r.status === 'failed'),
      5000,
      'refund A booked as failed',
    );
    const after = await byInvoice();
    // B keeps the pieces it was booked with: no invoice gains or loses money because A failed.
    expect(after).toEqual({ [newer]: 1000, [older]: 500 });
    expect(await readInvoice(env, newer)).toMatchObject({ balanceDue: 1000 });
    expect(await readInvoice(env, older)).toMatchObject({ balanceDue: 500 });
  });
});

describe('invoices changed while a shared payment is open', () => {
  it('voiding an invoice of an open shared payment ends it at Stripe (the old amount cannot be charged)', async () => {
    const a = await invoiceOf(owner.id, 1000);
    const b = await invoiceOf(owner.id, 2000);
    const res = await portalPay(owner.id, { invoices: [a, b] });
    expect(res.status).toBe(201);
    const piId = res.body.data.providerPaymentId as string;
    const voided = await env.app
      .http()
      .post(`/invoice-payments/invoices/${b}/void`)
      .set(env.admin.auth)
      .send({ reason: 'Billed by mistake' });
    expect(voided.status).toBe(200);
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect((await env.stripe.paymentIntents.retrieve(piId)).status).toBe('canceled');
    await expect(payWith(env, piId, 'pm_card_visa')).rejects.toThrow(/status of canceled/);
    expect(await readInvoice(env, a)).toMatchObject({ state: 'sent', balanceDue: 1000 });
  });

  it('a new total on an invoice of an open shared payment ends it at Stripe', async () => {
    const a = await invoiceOf(owner.id, 1000);
    const b = await invoiceOf(owner.id, 2000);
    const res = await portalPay(owner.id, { invoices: [a, b] });
    expect(res.status).toBe(201);
    const piId = res.body.data.providerPaymentId as string;
    await env.app.strapi.documents(INVOICE).update({
      documentId: a,
      data: { lineItems: [{ description: 'Cheaper', quantity: 1, unitAmount: 400 }] } as never,
    });
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect(await readInvoice(env, a)).toMatchObject({ balanceDue: 400 });
    expect((await env.stripe.paymentIntents.retrieve(piId)).status).toBe('canceled');
  });
});

describe('who may use the portal', () => {
  it('a blocked user, an admin token and a bad token get 401 and no PaymentIntent', async () => {
    const inv = await invoiceOf(blocked.id, 1000);
    const before = piCreates();
    const list = await env.app.http().get('/api/invoice-payments/portal/invoices').set(jwt(blocked.id));
    expect(list.status).toBe(401);
    const pay = await portalPay(blocked.id, { invoices: [inv] });
    expect(pay.status).toBe(401);
    expect(pay.body.error.message).toMatch(/log in/i);
    const admin = await env.app
      .http()
      .post('/api/invoice-payments/portal/payments')
      .set(env.admin.auth)
      .send({ invoices: [inv] });
    expect(admin.status).toBe(401);
    const junk = await env.app
      .http()
      .post('/api/invoice-payments/portal/payments')
      .set({ Authorization: 'Bearer not.a.jwt' })
      .send({ invoices: [inv] });
    expect(junk.status).toBe(401);
    // A user that no longer exists (deleted after the token was issued).
    const gone = await portalPay(987654321, { invoices: [inv] });
    expect([401, 404]).toContain(gone.status);
    expect(piCreates()).toBe(before);
  });

  it('unknown or malformed group ids answer 404 on read and confirm', async () => {
    for (const id of ['abcdefghijklmnopqrstuvwx', '1', '..%2F..%2Fetc']) {
      const read = await env.app.http().get(`/api/invoice-payments/portal/payments/${id}`).set(jwt(owner.id));
      expect(read.status).toBe(404);
      const confirm = await env.app
        .http()
        .post(`/api/invoice-payments/portal/payments/${id}/confirm`)
        .set(jwt(owner.id));
      expect(confirm.status).toBe(404);
    }
  });
});

describe('bad selections: a 4xx with a message, never a PaymentIntent', () => {
  it('refuses each one', async () => {
    const settings = env.app.strapi.plugin('invoice-payments').service('settings');
    await settings.update({ partialPayments: true }, { type: 'system' });
    try {
      const a = await invoiceOf(owner.id, 1500);
      const b = await invoiceOf(owner.id, 2500);
      const kwd = await invoiceOf(owner.id, 12340, { currency: 'KWD' });
      const before = piCreates();
      const many = Array.from({ length: 1000 }, (_, i) => `${a.slice(0, 10)}${String(i).padStart(4, '0')}`);
      const cases: Array<[unknown, RegExp]> = [
        [{ invoices: many }, /at most/i],
        [{ invoices: [a, 12] }, /by its id/i],
        [{ invoices: [a, null] }, /by its id/i],
        [{ invoices: [{ $ne: null }] }, /by its id/i],
        [{ invoices: a }, /at least one invoice/i],
        [{ invoices: [a, b], amounts: { [a]: 10.5 } }, /whole number/i],
        [{ invoices: [a, b], amounts: { [a]: 'NaN' } }, /whole number/i],
        [{ invoices: [a, b], amounts: { [a]: 0 } }, /above zero/i],
        [{ invoices: [a, b], amounts: { [a]: 1e300 } }, /whole number/i],
        [{ invoices: [a, b], amounts: { [a]: 1501 } }, /more than its balance/i],
        [{ invoices: [a, b], amounts: { [a]: 10 } }, /at least/i],
        [{ invoices: [a], amounts: { [b]: 1000 } }, /not selected/i],
        [{ invoices: [a, b], amounts: [1000] }, /amounts must map/i],
        [{ invoices: [kwd], amounts: { [kwd]: 5555 } }, /multiple of 10/i],
        [{ invoices: [a], requestKey: 'x' }, /requestKey/i],
      ];
      for (const [body, message] of cases) {
        const res = await portalPay(owner.id, body);
        expect({ body: JSON.stringify(body).slice(0, 80), status: res.status }).toEqual({
          body: JSON.stringify(body).slice(0, 80),
          status: 400,
        });
        expect(res.body.error.message).toMatch(message);
        expect(JSON.stringify(res.body)).not.toMatch(/\bat .*\.(ts|js):\d+/);
      }
      expect(piCreates()).toBe(before);
    } finally {
      await settings.update({ partialPayments: false }, { type: 'system' });
    }
  });

  it('fifty invoices: Stripe metadata values stay within 500 characters and the amount is the sum', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) ids.push(await invoiceOf(owner.id, 100 + i));
    const res = await portalPay(owner.id, { invoices: ids });
    expect(res.status).toBe(201);
    const pi = await env.stripe.paymentIntents.retrieve(res.body.data.providerPaymentId);
    expect(pi.amount).toBe(ids.reduce((s, _, i) => s + 100 + i, 0));
    expect(Object.keys(pi.metadata).length).toBeLessThanOrEqual(50);
    for (const v of Object.values(pi.metadata)) expect(String(v).length).toBeLessThanOrEqual(500);
    expect(await env.app.strapi.db.query(GROUP).count({ where: { documentId: res.body.data.id } })).toBe(1);
  });
});
