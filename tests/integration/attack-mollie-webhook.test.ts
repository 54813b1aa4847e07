/**
 * Follow-ups of the attack on the Mollie provider: what an unsigned webhook can cost us (Mollie
 * calls, audit rows), what the reconciliation sweep reads, voiding an invoice while a Mollie
 * payment is open, and edited metadata. Mollie's API reference: https://docs.mollie.com/reference/webhooks,
 * /get-payment, /cancel-payment, /update-payment.
 */
import { randomBytes } from 'node:crypto';
import { readInvoice, PAYMENT, eventually, payableInvoice } from '../support/payments';
import { bootMollie, mollieKit, type MollieEnv } from '../support/mollie';

const AUDIT = 'plugin::invoice-payments.audit-entry';

let env: MollieEnv;
let mollie: MollieEnv['mollie'];

beforeAll(async () => {
  env = await bootMollie('test_attackMollieWebhookKey000000000');
  mollie = env.mollie;
});
afterAll(async () => {
  await env?.close();
});

const kit = mollieKit(() => env);
const { paymentsOf, adminPost, postWebhook: post, settle, mollieApi } = kit;
/** Reads of single payments at the stand-in (GET /v2/payments/tr_…). */
const paymentReads = () => mollie.control.stats().requests['GET /v2/payments/:tr'] ?? 0;

async function checkout(amount = 10000) {
  const { res, ...inv } = await kit.checkout(amount);
  expect(res.status).toBe(200);
  return inv;
}

const pay = (id: string, method = 'ideal') => kit.customerPicks(id, 'paid', method);

describe('unsigned Mollie webhooks cannot make us hammer Mollie or fill the audit table', () => {
  it('200 posts of random tr_ ids: no Mollie call, a bounded number of audit rows counting all of them', async () => {
    const since = new Date(Date.now() - 1000);
    const reads = paymentReads();
    const rowsBefore = await env.app.strapi.db.query(AUDIT).count({ where: { action: 'webhook.rejected' } });
    for (let batch = 0; batch < 10; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => post(`id=tr_${randomBytes(9).toString('hex')}`)),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(20).fill(400));
    }
    expect(paymentReads()).toBe(reads);
    const rows = (await env.app.strapi.db.query(AUDIT).findMany({
      where: { action: 'webhook.rejected', createdAt: { $gte: since } },
    })) as Array<{ details: { count: number; provider: string } }>;
    // One entry per provider and minute: two if the run crossed a minute boundary.
    expect(rows.length).toBeGreaterThanOrEqual(1);
    expect(rows.length).toBeLessThanOrEqual(2);
    expect((await env.app.strapi.db.query(AUDIT).count({ where: { action: 'webhook.rejected' } })) - rowsBefore).toBe(
      rows.length,
    );
    expect(rows.every((r) => r.details.provider === 'mollie')).toBe(true);
    // The count catches up within a second or so (written at most once a second).
    await eventually(
      async () =>
        (
          (await env.app.strapi.db.query(AUDIT).findMany({
            where: { action: 'webhook.rejected', createdAt: { $gte: since } },
          })) as Array<{ details: { count: number } }>
        ).reduce((n, r) => n + r.details.count, 0),
      (n) => n >= 200,
    );
    const health = await env.app.http().get('/invoice-payments/webhook-events/health').set(env.admin.auth);
    expect(health.status).toBe(200);
    expect(JSON.stringify(health.body)).toMatch(/"rejectedLast24h":(\d{3,})/);
  });

  it('an id of ours Mollie does not know is asked about once, then refused from memory', async () => {
    const inv = await payableInvoice(env, {
      currency: 'EUR',
      lineItems: [{ description: 'Work', quantity: 1, unitAmount: 1000 }],
    });
    const ghost = `tr_ghost${randomBytes(6).toString('hex')}`;
    // A ledger entry whose payment Mollie no longer shows (the key switched mode, say).
    await env.app.strapi.db.query(PAYMENT).create({
      data: {
        invoice: (await env.app.strapi.db.query('plugin::invoice-payments.invoice').findOne({
          where: { documentId: inv.documentId },
        }))!.id,
        kind: 'checkout',
        provider: 'mollie',
        status: 'pending',
        amount: 1000,
        fee: 0,
        currency: 'EUR',
        checkoutSessionId: ghost,
      },
    });
    const reads = paymentReads();
    for (let i = 0; i < 5; i++) expect((await post(`id=${ghost}`)).status).toBe(400);
    expect(paymentReads() - reads).toBe(1);
  });

  it('concurrent posts of one genuine id share one read; the payment still settles from its webhook', async () => {
    const { documentId, id } = await checkout(4500);
    await mollie.control.setStatus(id, 'open', 'ideal');
    const reads = paymentReads();
    // Mollie answers slowly, so the ten posts are all waiting on a read at once.
    mollie.control.setLatency(300);
    let answers;
    try {
      answers = await Promise.all(Array.from({ length: 10 }, () => post(`id=${id}`)));
    } finally {
      mollie.control.setLatency(0);
    }
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    expect(answers.filter((a) => a.body.duplicate === false)).toHaveLength(1);
    await settle();
    // One read for the ten posts, and what settling the one stored event reads.
    expect(paymentReads() - reads).toBeLessThanOrEqual(4);
    await pay(id);
    expect(await readInvoice(env, documentId)).toMatchObject({ state: 'paid', amountPaid: 4500, balanceDue: 0 });
  });
});

describe('the reconciliation sweep', () => {
  it('re-reads a fee-less Stripe payment but never a Mollie one (Mollie reports no fee on a payment)', async () => {
    const { documentId, id } = await checkout(3300);
    await pay(id);
    const [row] = await paymentsOf(documentId);
    expect(row).toMatchObject({ status: 'succeeded', provider: 'mollie', providerFee: null });
    const paidAt = new Date(Date.now() - 5 * 60_000);
    await env.app.strapi.db.query(PAYMENT).update({ where: { id: row.id }, data: { paidAt } });
    const stripe = await env.app.strapi.db.query(PAYMENT).create({
      data: {
        kind: 'checkout',
        provider: 'stripe',
        status: 'succeeded',
        amount: 1200,
        fee: 0,
        currency: 'EUR',
        providerPaymentId: `pi_feeless${randomBytes(6).toString('hex')}`,
        paidAt,
      },
    });
    const settlement = env.app.strapi.plugin('invoice-payments').service('settlement');
    const sync = jest.spyOn(settlement, 'syncPayment').mockResolvedValue({ outcome: 'ignored', reason: 'test' });
    try {
      const reads = paymentReads();
      // Only the fee pass: nothing pending is older than an hour here.
      await env.app.strapi.plugin('invoice-payments').service('background').sweep(3_600_000);
      const asked = sync.mock.calls.map((c) => c[0]);
      expect(asked).toContain(stripe.providerPaymentId);
      expect(asked).not.toContain(id);
      expect(paymentReads()).toBe(reads);
    } finally {
      sync.mockRestore();
    }
  });
});

describe('voiding an invoice while a Mollie payment is open', () => {
  it('a cancelable one (bank transfer chosen, not paid yet) is canceled at Mollie by the void', async () => {
    const { documentId, id } = await checkout(6100);
    // The client chose bank transfer and got the transfer details: Mollie lets it be canceled
    // (https://docs.mollie.com/reference/cancel-payment, `isCancelable`).
    await mollie.control.setStatus(id, 'open', 'banktransfer');
    expect(mollie.control.payment(id)!.isCancelable).toBe(true);
    const voided = await adminPost(`/invoices/${documentId}/void`, { reason: 'Issued in error' });
    expect(voided.status).toBe(200);
    await settle();
    expect(mollie.control.payment(id)!.status).toBe('canceled');
    const [row] = await paymentsOf(documentId);
    expect(row).toMatchObject({ provider: 'mollie', status: 'canceled' });
    expect(await readInvoice(env, documentId)).toMatchObject({ state: 'void', amountPaid: 0 });
  });

  it('one Mollie will not cancel does not keep the invoice’s other open attempts from being canceled', async () => {
    const { documentId, id: older } = await checkout(3900);
    await mollie.control.setStatus(older, 'open', 'banktransfer');
    // A newer attempt on the same invoice that Mollie will not cancel (no method chosen yet); its
    // ledger entry is ended first (newest first).
    const meta = mollie.control.payment(older)!.metadata as Record<string, unknown>;
    const made = await mollieApi('POST', 'payments', {
      amount: { currency: 'EUR', value: '39.00' },
      description: 'Invoice',
      redirectUrl: 'https://example.test/back',
      metadata: { ...meta, attemptId: 'newer-attempt' },
    });
    expect(made.status).toBe(201);
    const newer = made.body.id as string;
    const invoiceId = (await env.app.strapi.db
      .query('plugin::invoice-payments.invoice')
      .findOne({ where: { documentId } }))!.id;
    await env.app.strapi.db.query(PAYMENT).create({
      data: {
        invoice: invoiceId,
        kind: 'checkout',
        provider: 'mollie',
        status: 'pending',
        amount: 3900,
        fee: 0,
        currency: 'EUR',
        checkoutSessionId: newer,
        attemptId: 'newer-attempt',
      },
    });
    expect(mollie.control.payment(newer)!.isCancelable).toBe(false);
    const voided = await adminPost(`/invoices/${documentId}/void`, { reason: 'Issued in error' });
    expect(voided.status).toBe(200);
    await settle();
    expect(mollie.control.payment(older)!.status).toBe('canceled');
    expect(mollie.control.payment(newer)!.status).toBe('open');
  });

  it('one Mollie will not cancel stays payable; paid after the void, it is refunded in full exactly once', async () => {
    const { documentId, id } = await checkout(5200);
    expect(mollie.control.payment(id)!.isCancelable).toBe(false);
    const voided = await adminPost(`/invoices/${documentId}/void`, { reason: 'Issued in error' });
    expect(voided.status).toBe(200);
    await settle();
    expect(mollie.control.payment(id)!.status).toBe('open');
    await pay(id, 'creditcard');
    await mollie.control.redeliver(id);
    await settle();
    const refunds = await eventually(
      async () =>
        (mollie.control.payment(id)!._embedded as { refunds?: Array<{ amount: { value: string } }> }).refunds ?? [],
      (r) => r.length > 0,
    );
    expect(refunds.map((r) => r.amount.value)).toEqual(['52.00']);
    expect(await readInvoice(env, documentId)).toMatchObject({ state: 'void' });
  });
});

describe('metadata edited at Mollie after checkout', () => {
  it('moving money between portion and fee in the metadata books what the plugin asked for', async () => {
    const { documentId, id } = await checkout(6000);
    const meta = mollie.control.payment(id)!.metadata as Record<string, unknown>;
    expect(meta).toMatchObject({ portion: 6000, fee: 0 });
    // https://docs.mollie.com/reference/update-payment takes `metadata` while the payment is open.
    const patched = await mollieApi('PATCH', `payments/${id}`, { metadata: { ...meta, portion: 4500, fee: 1500 } });
    expect(patched.status).toBe(200);
    await pay(id);
    const [row] = await paymentsOf(documentId);
    expect(row).toMatchObject({ status: 'succeeded', amount: 6000, fee: 0 });
    expect(await readInvoice(env, documentId)).toMatchObject({ state: 'paid', amountPaid: 6000, balanceDue: 0 });
  });
});
