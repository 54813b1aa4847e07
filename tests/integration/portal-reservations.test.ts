import { bootPayments, eventually, PAYMENT, payWith, readInvoice, type PaymentsEnv } from '../support/payments';
import { waitForIdle } from '../support/idle';
import { portalHelpers } from '../support/portal';
import { autopayHelpers } from '../support/autopay';

/**
 * A multi-invoice payment (the client portal) reserves its invoices from the moment it is made:
 * one pending entry per invoice, a live attempt of each (services/attempts), so no other way of
 * paying one of them (the pay page, autopay, another portal payment, the admin's "Mark as paid")
 * charges beside it. Each of these tests charged an invoice twice (or could have) before shares
 * were reserved at creation. Also: how a dispute of a shared payment with a surcharge is booked.
 */
let env: PaymentsEnv;
const GROUP = 'plugin::invoice-payments.payment-group';
let owner: { id: number };
const piCreates = () => env.standin.control.requestLog('POST /v1/payment_intents').length;
const { jwt, invoiceOf, portalPay, sharesOf, paidGroup } = portalHelpers(() => env, 'Reserve', 2027);
const { newClient, payAndSave, autopayOn, dueInvoice, attemptsOf, offSessionCreates } = autopayHelpers(() => env);

interface AutopayApi {
  runDue(now?: Date): Promise<number>;
}
const autopay = () => env.app.strapi.plugin('invoice-payments').service('autopay') as unknown as AutopayApi;

beforeAll(async () => {
  env = await bootPayments({
    settings: {
      reminders: { enabled: false, beforeDays: [3], onDueDate: true, afterDays: [7], timeZone: 'UTC', sendHour: 9 },
      autopay: { enabled: true, retryDays: [1], chargeHour: 9 },
    },
  });
  owner = await newClient('reserveowner');
}, 60_000);
afterAll(async () => {
  await env?.close();
});

/** A client with a saved card and autopay on, and two of their invoices due on the given days. */
async function autopayClientWithTwoDue(name: string, dueA: string, dueB: string) {
  const client = await newClient(name);
  await payAndSave(client);
  await autopayOn(client);
  return { client, a: await dueInvoice(client, dueA), b: await dueInvoice(client, dueB) };
}

/** What Stripe kept of these payments: charged minus refunds that hold money. */
async function keptAtStripe(piIds: readonly string[]) {
  let kept = 0;
  for (const id of piIds) {
    const pi = await env.stripe.paymentIntents.retrieve(id);
    if (pi.status !== 'succeeded') continue;
    const refunds = (await env.stripe.refunds.list({ payment_intent: id })).data;
    kept +=
      pi.amount -
      refunds.filter((r) => r.status !== 'failed' && r.status !== 'canceled').reduce((s, r) => s + r.amount, 0);
  }
  return kept;
}

describe('another payment of an invoice while a shared payment is open on it', () => {
  it('autopay on the due date defers (payment in progress) and charges nothing', async () => {
    const { client, a, b } = await autopayClientWithTwoDue('reserveauto', '2041-03-01', '2041-03-02');
    const res = await portalPay(client.id, { invoices: [a.documentId, b.documentId] });
    expect(res.status).toBe(201);
    expect(await autopay().runDue(new Date('2041-03-01T09:00:30Z'))).toBe(1);
    const [attempt] = await attemptsOf(a.row.id);
    expect(attempt).toMatchObject({ status: 'deferred', code: 'payment_in_progress' });
    expect(offSessionCreates(a.documentId)).toHaveLength(0);
    // The client pays the shared payment: each invoice paid once.
    await payWith(env, res.body.data.providerPaymentId as string, 'pm_card_visa');
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect(await readInvoice(env, a.documentId)).toMatchObject({ state: 'paid', amountRefunded: 0, balanceDue: 0 });
  });

  it('autopay books a shared payment paid at Stripe but not yet here (webhooks late) and charges nothing', async () => {
    const { client, a, b } = await autopayClientWithTwoDue('reserveautolate', '2042-03-01', '2042-03-02');
    const res = await portalPay(client.id, { invoices: [a.documentId, b.documentId] });
    expect(res.status).toBe(201);
    env.standin.control.setDelivery({ paused: true });
    try {
      await payWith(env, res.body.data.providerPaymentId as string, 'pm_card_visa');
      expect(await autopay().runDue(new Date('2042-03-01T09:00:30Z'))).toBe(1);
      const [attempt] = await attemptsOf(a.row.id);
      expect(attempt).toMatchObject({ status: 'refused', code: 'paid' });
      expect(offSessionCreates(a.documentId)).toHaveLength(0);
    } finally {
      env.standin.control.setDelivery({ paused: false });
      await env.standin.control.flush();
    }
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    for (const inv of [a, b])
      expect(await readInvoice(env, inv.documentId)).toMatchObject({
        state: 'paid',
        amountRefunded: 0,
        balanceDue: 0,
      });
  });

  it('two portal payments overlapping on one invoice, made at once: that invoice is paid once, nothing is refunded', async () => {
    const x = await invoiceOf(owner.id, 1000);
    const y = await invoiceOf(owner.id, 2000);
    const z = await invoiceOf(owner.id, 3000);
    const [r1, r2] = await Promise.all([
      portalPay(owner.id, { invoices: [x, y] }),
      portalPay(owner.id, { invoices: [y, z] }),
    ]);
    const made = [r1, r2].filter((r) => r.status === 201);
    expect(made.length).toBeGreaterThanOrEqual(1);
    for (const r of [r1, r2]) expect([201, 409]).toContain(r.status);
    // At most one payment covering y can still take money.
    const ids = made.map((r) => r.body.data.providerPaymentId as string);
    const payable = [];
    for (const id of ids) if ((await env.stripe.paymentIntents.retrieve(id)).status !== 'canceled') payable.push(id);
    expect(payable).toHaveLength(1);
    // The client pays every card form still on screen.
    for (const id of ids) await payWith(env, id, 'pm_card_visa').catch(() => null);
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect(await readInvoice(env, y)).toMatchObject({ state: 'paid', amountPaid: 2000, amountRefunded: 0 });
    for (const id of ids) expect((await env.stripe.refunds.list({ payment_intent: id })).data).toHaveLength(0);
    const paid = (await Promise.all([x, y, z].map((d) => readInvoice(env, d)))).reduce(
      (s, inv: { amountPaid: number }) => s + inv.amountPaid,
      0,
    );
    expect(await keptAtStripe(ids)).toBe(paid);
  });

  it('one after the other: the second ends the first on every invoice, and the first’s group says canceled', async () => {
    const x = await invoiceOf(owner.id, 1000);
    const y = await invoiceOf(owner.id, 2000);
    const first = await portalPay(owner.id, { invoices: [x, y] });
    expect(first.status).toBe(201);
    const second = await portalPay(owner.id, { invoices: [y] });
    expect(second.status).toBe(201);
    expect((await env.stripe.paymentIntents.retrieve(first.body.data.providerPaymentId)).status).toBe('canceled');
    expect((await sharesOf(first.body.data.id)).map((r: { status: string }) => r.status)).toEqual([
      'canceled',
      'canceled',
    ]);
    expect(await env.app.strapi.db.query(GROUP).findOne({ where: { documentId: first.body.data.id } })).toMatchObject({
      status: 'canceled',
    });
  });

  it('"Mark as paid" on one invoice ends the shared payment covering it', async () => {
    const x = await invoiceOf(owner.id, 1000);
    const y = await invoiceOf(owner.id, 2000);
    const res = await portalPay(owner.id, { invoices: [x, y] });
    expect(res.status).toBe(201);
    const piId = res.body.data.providerPaymentId as string;
    const manual = await env.app
      .http()
      .post(`/invoice-payments/invoices/${x}/manual-payments`)
      .set(env.admin.auth)
      .send({ method: 'check', reference: 'CHK-77' });
    expect(manual.status).toBe(201);
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect((await env.stripe.paymentIntents.retrieve(piId)).status).toBe('canceled');
    await expect(payWith(env, piId, 'pm_card_visa')).rejects.toThrow(/status of canceled/);
    expect(await readInvoice(env, x)).toMatchObject({ state: 'paid', amountPaid: 1000, amountRefunded: 0 });
    expect(await readInvoice(env, y)).toMatchObject({ state: 'sent', balanceDue: 2000 });
  });
});

describe('a shared payment cannot start beside a payment in progress', () => {
  it('a bank debit processing on one invoice: 409, nothing made at Stripe, nothing reserved', async () => {
    const a = await invoiceOf(owner.id, 2500, { currency: 'EUR' });
    const b = await invoiceOf(owner.id, 1500, { currency: 'EUR' });
    const single = await env.app
      .http()
      .post(`/api/invoice-payments/invoices/${a}/payment-intent`)
      .set(jwt(owner.id))
      .send({});
    expect(single.status).toBe(200);
    const debit = await env.stripe.paymentIntents.confirm(single.body.data.providerPaymentId as string, {
      payment_method_data: {
        type: 'sepa_debit',
        sepa_debit: { iban: 'AT611904300234573201' },
        billing_details: { name: 'Ada Client', email: 'client@example.test' },
      },
      return_url: 'http://localhost/return',
    });
    expect(debit.status).toBe('processing');
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    const groupsBefore = await env.app.strapi.db.query(GROUP).count({ where: { userId: owner.id } });
    const before = piCreates();
    const res = await portalPay(owner.id, { invoices: [a, b] });
    expect(res.status).toBe(409);
    expect(res.body.error.name).toBe('PaymentProcessing');
    expect(res.body.error.message).toMatch(/already on its way/);
    expect(piCreates()).toBe(before);
    expect(await env.app.strapi.db.query(GROUP).count({ where: { userId: owner.id } })).toBe(groupsBefore);
    expect(await env.app.strapi.db.query(PAYMENT).count({ where: { invoice: { documentId: b } } })).toBe(0);
    // In the page's language too.
    const fr = await portalPay(owner.id, { invoices: [a, b], language: 'fr' });
    expect(fr.status).toBe(409);
    expect(fr.body.error.message).toMatch(/^Un paiement de la facture/);
    expect(piCreates()).toBe(before);
  });

  it('an open pay-page payment on one invoice is ended first (it can no longer charge)', async () => {
    const a = await invoiceOf(owner.id, 1200);
    const b = await invoiceOf(owner.id, 800);
    const single = await env.app
      .http()
      .post(`/api/invoice-payments/invoices/${a}/payment-intent`)
      .set(jwt(owner.id))
      .send({});
    expect(single.status).toBe(200);
    const res = await portalPay(owner.id, { invoices: [a, b] });
    expect(res.status).toBe(201);
    const old = single.body.data.providerPaymentId as string;
    expect((await env.stripe.paymentIntents.retrieve(old)).status).toBe('canceled');
    await payWith(env, res.body.data.providerPaymentId as string, 'pm_card_visa');
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect(await readInvoice(env, a)).toMatchObject({ state: 'paid', amountPaid: 1200, amountRefunded: 0 });
  });
});

/** The group's entries by invoice. */
const rowsOf = async (groupId: string) =>
  Object.fromEntries(
    (
      (await sharesOf(groupId)) as Array<{
        invoice: { documentId: string };
        amount: number;
        fee: number;
        status: string;
        disputedAmount: number;
        disputeId: string | null;
        disputeStatus: string | null;
        amountRefunded: number;
      }>
    ).map((r) => [r.invoice.documentId, r]),
  );

describe('a dispute of a shared payment with a surcharge', () => {
  const settings = () => env.app.strapi.plugin('invoice-payments').service('settings');
  beforeAll(() => settings().update({ feePercentBps: 300 }, { type: 'system' }));
  afterAll(() => settings().update({ feePercentBps: 0 }, { type: 'system' }));

  it('each invoice books its own portion as disputed (the surcharge is not the invoice’s), as a single payment does', async () => {
    const older = await invoiceOf(owner.id, 1000, { issueDate: '2027-04-01' });
    const newer = await invoiceOf(owner.id, 3000, { issueDate: '2027-04-02' });
    const { group, piId } = await paidGroup(owner.id, [older, newer]);
    const pi = await env.stripe.paymentIntents.retrieve(piId);
    expect(pi.amount).toBeGreaterThan(4000);
    const dispute = env.standin.control.openDispute(pi.latest_charge as string);
    expect(dispute.amount).toBe(pi.amount);
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    const open = await eventually(
      () => rowsOf(group.id),
      (m) => m[newer]?.status === 'disputed' && m[older]?.status === 'disputed',
      5000,
      'both shares disputed',
    );
    expect(open[newer]).toMatchObject({ disputedAmount: 3000, disputeStatus: 'open' });
    expect(open[older]).toMatchObject({ disputedAmount: 1000, disputeStatus: 'open' });
    env.standin.control.closeDispute(String(dispute.id), 'lost');
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    await eventually(
      () => rowsOf(group.id),
      (m) => m[newer]?.disputeStatus === 'lost' && m[older]?.disputeStatus === 'lost',
      5000,
      'dispute lost booked',
    );
    expect(await readInvoice(env, newer)).toMatchObject({ amountRefunded: 3000, balanceDue: 3000, disputeOpen: false });
    expect(await readInvoice(env, older)).toMatchObject({ amountRefunded: 1000, balanceDue: 1000, disputeOpen: false });
  });
});

describe('a dispute of a shared payment that later moves', () => {
  it('a share the dispute no longer reaches carries no dispute (no stale status stays on it)', async () => {
    const older = await invoiceOf(owner.id, 1000, { issueDate: '2027-05-01' });
    const newer = await invoiceOf(owner.id, 3000, { issueDate: '2027-05-02' });
    const { group, piId } = await paidGroup(owner.id, [older, newer]);
    const pi = await env.stripe.paymentIntents.retrieve(piId);
    const dispute = env.standin.control.openDispute(pi.latest_charge as string);
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    env.standin.control.closeDispute(String(dispute.id), 'won');
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    const won = await eventually(
      () => rowsOf(group.id),
      (m) => m[newer]?.disputeStatus === 'won' && m[older]?.disputeStatus === 'won',
      5000,
      'dispute won booked',
    );
    expect(won[older]).toMatchObject({ status: 'succeeded', disputedAmount: 1000, disputeId: dispute.id });
    // The admin refunds the older invoice's whole share: the dispute now sits on the newer one only.
    const res = await env.app
      .http()
      .post(`/invoice-payments/payments/${(won[older] as unknown as { documentId: string }).documentId}/refunds`)
      .set(env.admin.auth)
      .send({});
    expect(res.status).toBe(200);
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    const after = await eventually(
      () => rowsOf(group.id),
      (m) => m[older]?.status === 'refunded',
      5000,
      'the older share refunded',
    );
    expect(after[older]).toMatchObject({ disputedAmount: 0, disputeId: null, disputeStatus: null });
    expect(after[newer]).toMatchObject({ disputeStatus: 'won', disputeId: dispute.id });
    expect(after[newer]!.disputedAmount).toBeLessThanOrEqual(3000);
    expect(await readInvoice(env, older)).toMatchObject({ disputeOpen: false, balanceDue: 1000 });
    expect(await readInvoice(env, newer)).toMatchObject({ disputeOpen: false, balanceDue: 0, state: 'paid' });
  });
});

describe('a shared payment the provider reports differently from what was asked', () => {
  it('flags every invoice for the admin (Needs attention, the reason, a flagged audit entry) and books nothing', async () => {
    const x = await invoiceOf(owner.id, 1000);
    const y = await invoiceOf(owner.id, 2000);
    const res = await portalPay(owner.id, { invoices: [x, y] });
    expect(res.status).toBe(201);
    const piId = res.body.data.providerPaymentId as string;
    // Someone changes the amount in the Stripe Dashboard before the client pays.
    await env.stripe.paymentIntents.update(piId, { amount: 2500 });
    await payWith(env, piId, 'pm_card_visa');
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    for (const doc of [x, y]) {
      const inv = await eventually(
        () => readInvoice(env, doc),
        (i: { needsAttention: boolean; attentionReason: string | null }) => i.needsAttention,
        5000,
        'invoice flagged',
      );
      expect(inv).toMatchObject({ state: 'sent', amountPaid: 0 });
      expect(inv.attentionReason).toMatch(/is for 2500 but the plugin asked for 3000; it was not booked/);
      const audit = await env.app.strapi.db
        .query('plugin::invoice-payments.audit-entry')
        .findMany({ where: { invoiceDocumentId: doc, outcome: 'flagged' } });
      expect(audit.length).toBeGreaterThanOrEqual(1);
    }
    const rows = await sharesOf(res.body.data.id);
    expect(rows.every((r: { mismatch: string | null }) => !!r.mismatch)).toBe(true);
  });
});

describe('a reservation whose request died before it recorded the provider’s answer', () => {
  const sweep = () =>
    (
      env.app.strapi.plugin('invoice-payments').service('background') as unknown as {
        sweep(olderThanMs?: number): Promise<number>;
      }
    ).sweep(0);
  const anHourAgo = () => new Date(Date.now() - 3_600_000);

  it('the sweep finds the payment made for it at Stripe, ends it (the client never had it) and cancels the shares', async () => {
    const x = await invoiceOf(owner.id, 1000);
    const y = await invoiceOf(owner.id, 2000);
    const res = await portalPay(owner.id, { invoices: [x, y] });
    expect(res.status).toBe(201);
    const groupId = res.body.data.id as string;
    const piId = res.body.data.providerPaymentId as string;
    // As if the process died right after Stripe answered: nothing of the answer recorded.
    await env.app.strapi.db
      .query(GROUP)
      .updateMany({ where: { documentId: groupId }, data: { providerPaymentId: null, createdAt: anHourAgo() } });
    await env.app.strapi.db
      .query(PAYMENT)
      .updateMany({ where: { paymentGroup: groupId }, data: { sharedPaymentId: null, updatedAt: anHourAgo() } });
    await sweep();
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect((await env.stripe.paymentIntents.retrieve(piId)).status).toBe('canceled');
    expect((await sharesOf(groupId)).map((r: { status: string }) => r.status)).toEqual(['canceled', 'canceled']);
    expect(await env.app.strapi.db.query(GROUP).findOne({ where: { documentId: groupId } })).toMatchObject({
      providerPaymentId: piId,
      status: 'canceled',
    });
  });

  it('none made at Stripe: the shares are canceled; one still within its lease is left alone', async () => {
    const x = await invoiceOf(owner.id, 1000);
    const invoice = await readInvoice(env, x);
    const make = async (createdAt: Date) => {
      const group = await env.app.strapi.db.query(GROUP).create({
        data: {
          userId: owner.id,
          provider: 'stripe',
          currency: 'USD',
          amount: 1000,
          shares: [
            {
              invoiceDocumentId: x,
              invoiceNumber: invoice.number,
              invoiceId: invoice.id,
              portion: 1000,
              fee: 0,
              issueDate: null,
            },
          ],
          status: 'pending',
        },
      });
      await env.app.strapi.db.query(GROUP).updateMany({ where: { id: group.id }, data: { createdAt } });
      await env.app.strapi.db.query(PAYMENT).create({
        data: {
          invoice: invoice.id,
          kind: 'card',
          provider: 'stripe',
          status: 'pending',
          amount: 1000,
          fee: 0,
          currency: 'USD',
          paymentGroup: group.documentId,
          shareKey: `${group.documentId}:${x}`,
        },
      });
      return group.documentId as string;
    };
    const stale = await make(anHourAgo());
    const fresh = await make(new Date());
    await sweep();
    expect((await sharesOf(stale)).map((r: { status: string }) => r.status)).toEqual(['canceled']);
    expect(await env.app.strapi.db.query(GROUP).findOne({ where: { documentId: stale } })).toMatchObject({
      status: 'canceled',
    });
    expect((await sharesOf(fresh)).map((r: { status: string }) => r.status)).toEqual(['pending']);
  });
});

describe('a shared bank debit retried and refused again', () => {
  const sepa = (iban: string) => ({
    payment_method_data: {
      type: 'sepa_debit' as const,
      sepa_debit: { iban },
      billing_details: { name: 'Ada Client', email: 'client@example.test' },
    },
    return_url: 'http://localhost/return',
  });
  const failureNotices = async (groupId: string) => {
    const out: Record<string, { failure: string[]; failure_client: string[] }> = {};
    for (const share of (await sharesOf(groupId)) as Array<{ id: number; invoice: { documentId: string } }>) {
      const rows = (await env.app.strapi.db.query('plugin::invoice-payments.notice').findMany({
        where: { paymentId: share.id, kind: { $in: ['failure', 'failure_client'] } },
      })) as Array<{ kind: 'failure' | 'failure_client'; occurrence: string }>;
      out[share.invoice.documentId] = {
        failure: rows
          .filter((r) => r.kind === 'failure')
          .map((r) => r.occurrence)
          .sort(),
        failure_client: rows
          .filter((r) => r.kind === 'failure_client')
          .map((r) => r.occurrence)
          .sort(),
      };
    }
    return out;
  };
  const adminMails = (a: string) =>
    env.smtp.mails.filter(
      (m) =>
        m.to.includes('billing-admin@example.test') && m.subject.includes('Payment failed') && m.subject.includes(a),
    ).length;

  it('tells each invoice of each refusal once, however often each failure is delivered', async () => {
    const a = await invoiceOf(owner.id, 1100, { currency: 'EUR' });
    const b = await invoiceOf(owner.id, 900, { currency: 'EUR' });
    const numbers = await Promise.all([a, b].map(async (d) => (await readInvoice(env, d)).number as string));
    const res = await portalPay(owner.id, { invoices: [a, b] });
    expect(res.status).toBe(201);
    const groupId = res.body.data.id as string;
    const pi = res.body.data.providerPaymentId as string;
    const failed = () => env.app.strapi.db.query(PAYMENT).count({ where: { paymentGroup: groupId, status: 'failed' } });

    expect((await env.stripe.paymentIntents.confirm(pi, sepa('AT861904300235473202'))).status).toBe('processing');
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    env.standin.control.settleDelayed(pi, 'fail');
    await eventually(failed, (n) => n === 2);
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    const first = (await env.stripe.charges.list({ payment_intent: pi })).data.map((c) => c.id);
    expect(first).toHaveLength(1);
    expect(await failureNotices(groupId)).toEqual({
      [a]: { failure: first, failure_client: first },
      [b]: { failure: first, failure_client: first },
    });
    expect(numbers.map(adminMails)).toEqual([1, 1]);

    // The client retries the same payment with another account: processing again, then refused again.
    expect((await env.stripe.paymentIntents.confirm(pi, sepa('DE62370400440532013001'))).status).toBe('processing');
    await eventually(failed, (n) => n === 0);
    env.standin.control.settleDelayed(pi, 'fail');
    await eventually(failed, (n) => n === 2);
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    const charges = (await env.stripe.charges.list({ payment_intent: pi })).data.map((c) => c.id).sort();
    expect(charges).toHaveLength(2);
    expect(await failureNotices(groupId)).toEqual({
      [a]: { failure: charges, failure_client: charges },
      [b]: { failure: charges, failure_client: charges },
    });
    expect(numbers.map(adminMails)).toEqual([2, 2]);

    // Every failure event delivered again, three at a time: nothing more.
    const events = env.standin.control
      .events()
      .filter(
        (e) => e.type === 'payment_intent.payment_failed' && (e.data as { object: { id: string } }).object.id === pi,
      )
      .map((e) => String(e.id));
    expect(events).toHaveLength(2);
    await Promise.all([...events, ...events, ...events].map((id) => env.standin.control.deliverEvent(id)));
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect(await failureNotices(groupId)).toEqual({
      [a]: { failure: charges, failure_client: charges },
      [b]: { failure: charges, failure_client: charges },
    });
    expect(numbers.map(adminMails)).toEqual([2, 2]);
  });
});
