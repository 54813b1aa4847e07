import { bootPayments, eventually, INVOICE, payWith, readInvoice, type PaymentsEnv } from '../support/payments';
import { waitForIdle } from '../support/idle';
import { portalHelpers } from '../support/portal';

/**
 * Attacks on the client portal's multi-invoice payment (issue 12, review): money that moves back
 * and forth (a refund failing after a later one), invoices changed under an open shared payment,
 * who may use the portal, and bad selections (a 4xx, never a PaymentIntent).
 */
let env: PaymentsEnv;
const GROUP = 'plugin::invoice-payments.payment-group';
let owner: { id: number };
let blocked: { id: number };
const piCreates = () => env.standin.control.requestLog('POST /v1/payment_intents').length;
const {
  jwt,
  clientUser,
  invoiceOf,
  portalPay,
  sharesOf,
  paidGroup: payGroup,
} = portalHelpers(() => env, 'Attack', 2025);
/** Pays a group of the owner's invoices at the stand-in and waits for every webhook. */
const paidGroup = (invoices: string[], method = 'pm_card_visa') => payGroup(owner.id, invoices, method);

beforeAll(async () => {
  env = await bootPayments();
  owner = await clientUser('atkowner');
  blocked = await clientUser('atkblocked', { blocked: true });
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

describe('more money attacks', () => {
  const sharesMap = async (groupId: string) =>
    Object.fromEntries(
      (await sharesOf(groupId)).map(
        (r: {
          invoice: { documentId: string };
          amountRefunded: number;
          disputedAmount: number;
          status: string;
          amount: number;
        }) => [r.invoice.documentId, { refunded: r.amountRefunded, disputed: r.disputedAmount, status: r.status }],
      ),
    );

  it('a Dashboard refund not yet seen, then an admin refund of a whole share: each share within what it held', async () => {
    const older = await invoiceOf(owner.id, 1000, { issueDate: '2025-05-01' });
    const newer = await invoiceOf(owner.id, 3000, { issueDate: '2025-05-02' });
    const { group, piId } = await paidGroup([older, newer]);
    env.standin.control.setWebhook({ enabled: false });
    await env.stripe.refunds.create({ payment_intent: piId, amount: 1000 });
    const newerRow = (await sharesOf(group.id)).find(
      (r: { invoice: { documentId: string } }) => r.invoice.documentId === newer,
    );
    const res = await env.app
      .http()
      .post(`/invoice-payments/payments/${newerRow.documentId}/refunds`)
      .set(env.admin.auth)
      .send({});
    env.standin.control.setWebhook({ enabled: true });
    for (const e of env.standin.control.events().filter((x) => JSON.stringify(x.data).includes(piId)))
      await env.standin.control.deliverEvent(String(e.id));
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    const atStripe = (await env.stripe.refunds.list({ payment_intent: piId })).data
      .filter((r) => r.status === 'succeeded' || r.status === 'pending')
      .reduce((s, r) => s + r.amount, 0);
    const m = await sharesMap(group.id);
    expect(m[newer]!.refunded).toBeLessThanOrEqual(3000);
    expect(m[older]!.refunded).toBeLessThanOrEqual(1000);
    expect(m[newer]!.refunded + m[older]!.refunded).toBe(atStripe);
    // Either the admin's refund was refused (the Dashboard's booked first) or both are booked.
    expect([200, 409]).toContain(res.status);
  });

  it('a dispute after a partial refund, then won: pieces add up to the dispute and the invoices end paid', async () => {
    const older = await invoiceOf(owner.id, 1000, { issueDate: '2025-06-01' });
    const newer = await invoiceOf(owner.id, 3000, { issueDate: '2025-06-02' });
    const { group, piId } = await paidGroup([older, newer]);
    await env.stripe.refunds.create({ payment_intent: piId, amount: 500 });
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    const pi = await env.stripe.paymentIntents.retrieve(piId);
    const dispute = env.standin.control.openDispute(pi.latest_charge as string);
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    const disputed = Number(dispute.amount);
    const open = await eventually(
      () => sharesMap(group.id),
      (m) => m[newer]!.disputed + m[older]!.disputed === Math.min(disputed, 3500),
      5000,
      'dispute allocated',
    );
    expect(open[newer]!.disputed).toBeLessThanOrEqual(3000 - open[newer]!.refunded);
    expect(open[older]!.disputed).toBeLessThanOrEqual(1000 - open[older]!.refunded);
    env.standin.control.closeDispute(String(dispute.id), 'won');
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    const won = await eventually(
      () => sharesMap(group.id),
      (m) => m[newer]!.status !== 'disputed' && m[older]!.status !== 'disputed',
      5000,
      'dispute won booked',
    );
    expect(won[newer]!.refunded + won[older]!.refunded).toBe(500);
    expect(await readInvoice(env, older)).toMatchObject({ balanceDue: 0 });
    expect(await readInvoice(env, newer)).toMatchObject({ balanceDue: 500 });
  });

  it('two tabs paying the same invoices at once: each invoice keeps one payment, the surplus goes back', async () => {
    const x = await invoiceOf(owner.id, 1000);
    const y = await invoiceOf(owner.id, 2000);
    const [r1, r2] = await Promise.all([
      portalPay(owner.id, { invoices: [x, y] }),
      portalPay(owner.id, { invoices: [x, y] }),
    ]);
    const made = [r1, r2].filter((r) => r.status === 201);
    expect(made.length).toBeGreaterThanOrEqual(1);
    for (const r of made) await payWith(env, r.body.data.providerPaymentId, 'pm_card_visa').catch(() => null);
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    let charged = 0;
    let refunded = 0;
    for (const r of made) {
      const pi = await env.stripe.paymentIntents.retrieve(r.body.data.providerPaymentId);
      if (pi.status === 'succeeded') charged += pi.amount;
      refunded += (await env.stripe.refunds.list({ payment_intent: pi.id })).data
        .filter((f) => f.status === 'succeeded' || f.status === 'pending')
        .reduce((s, f) => s + f.amount, 0);
    }
    expect(charged - refunded).toBe(3000);
    expect(await readInvoice(env, x)).toMatchObject({ state: 'paid', balanceDue: 0 });
    expect(await readInvoice(env, y)).toMatchObject({ state: 'paid', balanceDue: 0 });
  });

  it('a request key sent again with another selection of the same total is refused, not the old payment', async () => {
    const x = await invoiceOf(owner.id, 1000);
    const y = await invoiceOf(owner.id, 1000);
    const key = `attack-key-${Date.now()}`;
    const first = await portalPay(owner.id, { invoices: [x], requestKey: key });
    expect(first.status).toBe(201);
    const before = piCreates();
    const second = await portalPay(owner.id, { invoices: [y], requestKey: key });
    expect(second.status).toBe(409);
    expect(second.body.error.message).toMatch(/different payment/i);
    expect(piCreates()).toBe(before);
  });

  it('an invoice whose payment deadline passed is refused with no PaymentIntent', async () => {
    const x = await invoiceOf(owner.id, 1000);
    await env.app.strapi.db
      .query(INVOICE)
      .update({ where: { documentId: x }, data: { expiresAt: new Date(Date.now() - 60_000) } });
    const before = piCreates();
    const res = await portalPay(owner.id, { invoices: [x] });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(/no longer be paid|expired/i);
    expect(piCreates()).toBe(before);
  });
});

describe('a bank debit for several invoices', () => {
  it('refused after processing: every invoice reopens, the site and the client are told (once per invoice)', async () => {
    const a = await invoiceOf(owner.id, 2500, { currency: 'EUR' });
    const b = await invoiceOf(owner.id, 1500, { currency: 'EUR' });
    const res = await portalPay(owner.id, { invoices: [a, b] });
    expect(res.status).toBe(201);
    const piId = res.body.data.providerPaymentId as string;
    // AT86...3202: Stripe's SEPA test IBAN that fails after processing (https://docs.stripe.com/testing#sepa-direct-debit).
    const confirmed = await env.stripe.paymentIntents.confirm(piId, {
      payment_method_data: {
        type: 'sepa_debit',
        sepa_debit: { iban: 'AT861904300235473202' },
        billing_details: { name: 'Ada Client', email: 'client@example.test' },
      },
      return_url: 'http://localhost/return',
    });
    expect(confirmed.status).toBe('processing');
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    const group = res.body.data.id as string;
    const statuses = async () =>
      (await sharesOf(group)).map((r: { status: string; method: string | null }) => [r.status, r.method]);
    expect(await statuses()).toEqual([
      ['processing', 'sepa_debit'],
      ['processing', 'sepa_debit'],
    ]);
    env.standin.control.settleDelayed(piId, 'fail');
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect(await statuses()).toEqual([
      ['failed', 'sepa_debit'],
      ['failed', 'sepa_debit'],
    ]);
    expect(await readInvoice(env, a)).toMatchObject({ balanceDue: 2500 });
    expect(await readInvoice(env, b)).toMatchObject({ balanceDue: 1500 });
    const ids = (await sharesOf(group)).map((r: { id: number }) => r.id);
    const kinds = (
      (await env.app.strapi.db
        .query('plugin::invoice-payments.notice')
        .findMany({ where: { paymentId: { $in: ids } } })) as Array<{ kind: string }>
    )
      .map((n) => n.kind)
      .sort();
    expect(kinds).toEqual(['failure', 'failure', 'failure_client', 'failure_client']);
  });
});

describe('edges of the selection', () => {
  it('an invoice of an open shared payment cannot be deleted (its money would have nowhere to go)', async () => {
    const x = await invoiceOf(owner.id, 1000);
    const y = await invoiceOf(owner.id, 2000);
    const res = await portalPay(owner.id, { invoices: [x, y] });
    expect(res.status).toBe(201);
    const piId = res.body.data.providerPaymentId as string;
    await expect(env.app.strapi.documents(INVOICE).delete({ documentId: y })).rejects.toThrow(/Void it instead/);
    expect(await env.app.strapi.db.query(INVOICE).count({ where: { documentId: y } })).toBeGreaterThan(0);
    await payWith(env, piId, 'pm_card_visa');
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect(await readInvoice(env, y)).toMatchObject({ state: 'paid', balanceDue: 0 });
  });

  it('a total above what Stripe can charge is a 400, not a PaymentIntent', async () => {
    const ids = [await invoiceOf(owner.id, 60_000_000), await invoiceOf(owner.id, 60_000_000)];
    const before = piCreates();
    const res = await portalPay(owner.id, { invoices: ids });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/\S/);
    expect(piCreates()).toBe(before);
  });

  it('with a surcharge, an admin refund of one share gives back at most that share (portion and fee)', async () => {
    const settings = env.app.strapi.plugin('invoice-payments').service('settings');
    await settings.update({ feePercentBps: 300 }, { type: 'system' });
    try {
      const older = await invoiceOf(owner.id, 1000, { issueDate: '2025-07-01' });
      const newer = await invoiceOf(owner.id, 3000, { issueDate: '2025-07-02' });
      const { group, piId } = await paidGroup([older, newer]);
      const shares = (await sharesOf(group.id)) as Array<{
        documentId: string;
        amount: number;
        fee: number;
        invoice: { documentId: string };
      }>;
      expect(shares.reduce((s, r) => s + r.amount + r.fee, 0)).toBe(group.amount);
      const olderRow = shares.find((r) => r.invoice.documentId === older)!;
      const res = await env.app
        .http()
        .post(`/invoice-payments/payments/${olderRow.documentId}/refunds`)
        .set(env.admin.auth)
        .send({});
      expect(res.status).toBe(200);
      await waitForIdle(env.app.strapi, 10_000, env.standin);
      const atStripe = (await env.stripe.refunds.list({ payment_intent: piId })).data.reduce((s, r) => s + r.amount, 0);
      expect(atStripe).toBeLessThanOrEqual(olderRow.amount + olderRow.fee);
      expect(await readInvoice(env, newer)).toMatchObject({ state: 'paid', balanceDue: 0 });
      const again = await env.app
        .http()
        .post(`/invoice-payments/payments/${olderRow.documentId}/refunds`)
        .set(env.admin.auth)
        .send({ amount: 100 });
      expect(again.status).toBe(409);
    } finally {
      await settings.update({ feePercentBps: 0 }, { type: 'system' });
    }
  });
});
