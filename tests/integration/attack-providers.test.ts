/**
 * Attacks on the provider-neutral core and the Mollie provider (issue 14), on one booted Strapi with
 * the Stripe and Mollie stand-ins. Each test asserts the safe behaviour: it fails if the hole exists.
 * Mollie's webhook is unsigned (https://docs.mollie.com/reference/webhooks): only what the provider
 * fetches with our key counts, so forged, replayed and foreign posts must change nothing.
 */
import { readInvoice, KEYS, eventually, payableInvoice, PAYMENT } from '../support/payments';
import {
  bootMollie,
  mollieKit,
  MOLLIE_WEBHOOK_PATH as webhookPath,
  WEBHOOK_EVENT as EVENT,
  type MollieEnv,
} from '../support/mollie';
import { isUniqueViolation } from '../../server/src/utils/unique-violation';

const MOLLIE_KEY = 'test_attackProvidersMollieKey0000000';

let env: MollieEnv;
let mollie: MollieEnv['mollie'];

beforeAll(async () => {
  env = await bootMollie(MOLLIE_KEY);
  mollie = env.mollie;
});
afterAll(async () => {
  await env?.close();
});

const {
  paymentsOf,
  adminPost,
  eventCount,
  postWebhook,
  settle,
  checkout,
  customerPicks: pay,
  mollieApi,
} = mollieKit(() => env);
const settings = () => env.app.strapi.plugin('invoice-payments').service('settings');

describe('routing', () => {
  it('unknown providers and prototype names are 404, nothing stored', async () => {
    const before = await eventCount();
    for (const p of ['paypal', '__proto__', 'constructor', 'toString', 'MOLLIE', 'hasOwnProperty']) {
      const res = await env.app.http().post(`/api/invoice-payments/webhooks/${p}`).type('form').send('id=tr_abcdef');
      expect([p, res.status]).toEqual([p, 404]);
    }
    expect(await eventCount()).toBe(before);
  });

  it('the Stripe route refuses a Mollie body; the Mollie route refuses a Stripe event', async () => {
    const { id } = await checkout(1500);
    const before = await eventCount();
    const stripeRoute = await env.app
      .http()
      .post('/api/invoice-payments/webhooks/stripe')
      .type('form')
      .send(`id=${id}`);
    expect(stripeRoute.status).toBe(400);
    const stripeShaped = {
      id: 'evt_1',
      type: 'payment_intent.succeeded',
      data: { object: { id, object: 'payment_intent' } },
    };
    const mollieRoute = await env.app.http().post(webhookPath).set('Stripe-Signature', 't=1,v1=00').send(stripeShaped);
    expect(mollieRoute.status).toBe(400);
    expect(await eventCount()).toBe(before);
  });
});

describe('Mollie webhook input', () => {
  it('refund, chargeback, order, customer ids, duplicate and empty ids are 400 without a Mollie call', async () => {
    const before = await eventCount();
    const calls = JSON.stringify(mollie.control.stats().requests);
    for (const body of [
      'id=re_abcdefgh',
      'id=chb_abcdefgh',
      'id=ord_abcdefgh',
      'id=cst_abcdefgh',
      'id=tr_aaaa&id=tr_bbbb',
      'id=',
      '',
      'id=tr_%00abcd',
      'id=tr_../../v2/profiles/me',
      `id=tr_${'a'.repeat(2000)}`,
    ]) {
      const res = await postWebhook(body);
      expect([body.slice(0, 40), res.status]).toEqual([body.slice(0, 40), 400]);
    }
    expect(JSON.stringify(mollie.control.stats().requests)).toBe(calls);
    expect(await eventCount()).toBe(before);
  });

  it('a JSON or text body naming a real paid payment is refused and books nothing new', async () => {
    const { documentId, id } = await checkout(2000);
    const before = await eventCount();
    expect((await env.app.http().post(webhookPath).send({ id })).status).toBe(400);
    expect((await env.app.http().post(webhookPath).set('Content-Type', 'text/plain').send(`id=${id}`)).status).toBe(
      400,
    );
    expect(await eventCount()).toBe(before);
    expect(await readInvoice(env, documentId)).toMatchObject({ state: 'sent', amountPaid: 0 });
  });

  it('a huge body is refused with a 4xx and stores nothing', async () => {
    const before = await eventCount();
    const res = await postWebhook(`id=tr_abcdefgh&pad=${'x'.repeat(3_000_000)}`);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(await eventCount()).toBe(before);
  });

  it('posting the id of a still-open payment stores at most one event per state and books nothing', async () => {
    const { documentId, id } = await checkout(3000);
    const before = await eventCount();
    const results = await Promise.all(Array.from({ length: 8 }, () => postWebhook(`id=${id}`)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    await settle();
    expect((await eventCount()) - before).toBeLessThanOrEqual(1);
    expect(await readInvoice(env, documentId)).toMatchObject({ state: 'sent', amountPaid: 0, balanceDue: 3000 });
  });

  it('a flood of unknown payment ids stores no events and is answered 400', async () => {
    const before = await eventCount();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => postWebhook(`id=tr_flood${i}x`)));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(400));
    expect(await eventCount()).toBe(before);
  });

  it('concurrent duplicate deliveries of a paid payment book it once', async () => {
    const { documentId, id } = await checkout(4321);
    await mollie.control.setStatus(id, 'paid', 'ideal');
    const results = await Promise.all(Array.from({ length: 10 }, () => postWebhook(`id=${id}`)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    await settle();
    const rows = await paymentsOf(documentId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'succeeded', amount: 4321, provider: 'mollie' });
    expect(await readInvoice(env, documentId)).toMatchObject({ state: 'paid', amountPaid: 4321, balanceDue: 0 });
  });
});

describe('money', () => {
  it('JPY round-trips without decimals', async () => {
    const { documentId, id, res } = await checkout(12345, 'JPY');
    expect(res.status).toBe(200);
    expect(mollie.control.payment(id)!.amount).toEqual({ currency: 'JPY', value: '12345' });
    await pay(id);
    expect(
      await eventually(
        () => readInvoice(env, documentId),
        (i) => i.state === 'paid',
      ),
    ).toMatchObject({ amountPaid: 12345, balanceDue: 0 });
  });

  it('ISK: whole krónur go to Mollie without decimals; a fractional ISK line is rounded on the invoice and charged as such', async () => {
    const ok = await checkout(150000, 'ISK');
    expect(ok.res.status).toBe(200);
    expect(mollie.control.payment(ok.id)!.amount).toEqual({ currency: 'ISK', value: '1500' });
    await pay(ok.id);
    expect(
      await eventually(
        () => readInvoice(env, ok.documentId),
        (i) => i.state === 'paid',
      ),
    ).toMatchObject({ amountPaid: 150000, balanceDue: 0 });
    // 1500.50 ISK: the invoice keeps whole krónur (step 100), and Mollie is asked for exactly that balance.
    const odd = await checkout(150050, 'ISK');
    expect(odd.res.status).toBe(200);
    const inv = await readInvoice(env, odd.documentId);
    expect(inv.balanceDue % 100).toBe(0);
    expect(mollie.control.payment(odd.id)!.amount).toEqual({ currency: 'ISK', value: String(inv.balanceDue / 100) });
    await pay(odd.id);
    expect(
      await eventually(
        () => readInvoice(env, odd.documentId),
        (i) => i.state === 'paid',
      ),
    ).toMatchObject({ amountPaid: inv.balanceDue, balanceDue: 0 });
  });

  it('KWD (three decimals, not taken by Mollie) gets a clear 4xx and no Mollie payment', async () => {
    const created = mollie.control.stats().created.payments;
    const bad = await checkout(12345, 'KWD');
    expect(bad.res.status).toBe(409);
    expect(JSON.stringify(bad.res.body)).toMatch(/KWD/);
    expect(mollie.control.stats().created.payments).toBe(created);
  });

  it('odd partial refunds add up; refunding more than remains is refused without a Mollie refund', async () => {
    const { documentId, id } = await checkout(10001);
    await pay(id);
    const [payment] = await eventually(
      () => paymentsOf(documentId),
      (rows) => rows[0]?.status === 'succeeded',
    );
    for (const [i, amount] of [3333, 3333, 3333].entries()) {
      const res = await adminPost(`/payments/${payment.documentId}/refunds`, {
        amount,
        invoiceEffect: 'reopen',
        idempotencyKey: `odd-${documentId}-${i}`,
      });
      expect(res.status).toBe(200);
    }
    const refundsBefore = mollie.control.stats().created.refunds;
    const over = await adminPost(`/payments/${payment.documentId}/refunds`, {
      amount: 3,
      invoiceEffect: 'reopen',
      idempotencyKey: `odd-${documentId}-over`,
    });
    expect(over.status).toBeGreaterThanOrEqual(400);
    expect(over.status).toBeLessThan(500);
    expect(mollie.control.stats().created.refunds).toBe(refundsBefore);
    const refunds = (mollie.control.payment(id)!._embedded as { refunds: Array<{ amount: { value: string } }> })
      .refunds;
    expect(refunds.map((r) => r.amount.value)).toEqual(['33.33', '33.33', '33.33']);
    await settle();
    const inv = await eventually(
      () => readInvoice(env, documentId),
      (i) => i.amountRefunded === 9999,
    );
    expect(inv).toMatchObject({ amountPaid: 10001 });
    expect((await paymentsOf(documentId))[0]).toMatchObject({ amountRefunded: 9999, status: 'partially_refunded' });
  });

  it('paid, charged back, reversed, redelivered out of order: settles paid once, dispute won', async () => {
    const { documentId, id } = await checkout(7000);
    await pay(id);
    await eventually(
      () => readInvoice(env, documentId),
      (i) => i.state === 'paid',
    );
    const chb = await mollie.control.chargeback(id, 2500);
    await settle();
    expect(
      (
        await eventually(
          () => paymentsOf(documentId),
          (r) => r[0]?.status === 'disputed',
        )
      )[0],
    ).toMatchObject({ disputedAmount: 2500, disputeStatus: 'open' });
    await mollie.control.reverseChargeback(chb);
    await settle();
    await mollie.control.redeliver(id);
    await postWebhook(`id=${id}`);
    await settle();
    const rows = await eventually(
      () => paymentsOf(documentId),
      (r) => r[0]?.status === 'succeeded',
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ disputeStatus: 'won', amount: 7000, amountRefunded: 0 });
    expect(await readInvoice(env, documentId)).toMatchObject({ state: 'paid', amountPaid: 7000, balanceDue: 0 });
  });
});

describe('refunds and chargebacks racing', () => {
  it('two concurrent refunds of most of a payment: Mollie never refunds more than was paid', async () => {
    const { documentId, id } = await checkout(10000);
    await pay(id);
    const [payment] = await eventually(
      () => paymentsOf(documentId),
      (rows) => rows[0]?.status === 'succeeded',
    );
    const results = await Promise.all(
      [0, 1].map((i) =>
        adminPost(`/payments/${payment.documentId}/refunds`, {
          amount: 6000,
          invoiceEffect: 'reopen',
          idempotencyKey: `race-${documentId}-${i}`,
        }),
      ),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    const refunds =
      (mollie.control.payment(id)!._embedded as { refunds?: Array<{ amount: { value: string } }> }).refunds ?? [];
    expect(refunds.map((r) => r.amount.value)).toEqual(['60.00']);
    await settle();
    expect(await readInvoice(env, documentId)).toMatchObject({ amountRefunded: 6000, amountPaid: 10000 });
  });

  it('two partial chargebacks on one payment: the disputed amount is their sum', async () => {
    const { documentId, id } = await checkout(10000);
    await pay(id);
    await eventually(
      () => readInvoice(env, documentId),
      (i) => i.state === 'paid',
    );
    await mollie.control.chargeback(id, 2500);
    await settle();
    await mollie.control.chargeback(id, 2000);
    await settle();
    expect((mollie.control.payment(id)!.amountChargedBack as { value: string }).value).toBe('45.00');
    const [payment] = await eventually(
      () => paymentsOf(documentId),
      (rows) => rows[0]?.status === 'disputed',
    );
    expect(payment).toMatchObject({ disputeStatus: 'open', disputedAmount: 4500 });
  });

  it('a partly charged-back payment cannot be refunded beyond what Mollie still holds', async () => {
    const { documentId, id } = await checkout(10000);
    await pay(id);
    await eventually(
      () => readInvoice(env, documentId),
      (i) => i.state === 'paid',
    );
    await mollie.control.chargeback(id, 4000);
    await settle();
    const [payment] = await eventually(
      () => paymentsOf(documentId),
      (rows) => rows[0]?.status === 'disputed',
    );
    const before = mollie.control.stats().created.refunds;
    const res = await adminPost(`/payments/${payment.documentId}/refunds`, {
      amount: 7000,
      invoiceEffect: 'reopen',
      idempotencyKey: `chb-partial-${documentId}`,
    });
    expect([res.status >= 400 && res.status < 500, res.body?.error?.message]).toEqual([true, expect.any(String)]);
    expect(mollie.control.stats().created.refunds).toBe(before);
  });

  it("confirm-payment with another invoice's Mollie payment id is a 404 and changes nothing", async () => {
    const a = await checkout(2200);
    await mollie.control.setStatus(a.id, 'paid', 'ideal');
    const b = await payableInvoice(env, {
      currency: 'EUR',
      lineItems: [{ description: 'Other', quantity: 1, unitAmount: 2200 }],
    });
    const res = await env.app
      .http()
      .post(`/api/invoice-payments/invoices/${b.documentId}/confirm-payment`)
      .send({ token: b.token, providerPaymentId: a.id });
    expect(res.status).toBe(404);
    expect(await readInvoice(env, b.documentId)).toMatchObject({ state: 'sent', amountPaid: 0 });
    await settle();
  });

  it('a fully charged-back payment cannot also be refunded', async () => {
    const { documentId, id } = await checkout(9000);
    await pay(id);
    await eventually(
      () => readInvoice(env, documentId),
      (i) => i.state === 'paid',
    );
    await mollie.control.chargeback(id);
    await settle();
    const [payment] = await eventually(
      () => paymentsOf(documentId),
      (rows) => rows[0]?.status === 'disputed',
    );
    const before = mollie.control.stats().created.refunds;
    const res = await adminPost(`/payments/${payment.documentId}/refunds`, {
      amount: 9000,
      invoiceEffect: 'reopen',
      idempotencyKey: `chb-refund-${documentId}`,
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(mollie.control.stats().created.refunds).toBe(before);
  });

  it('a refund made in the Mollie Dashboard is booked once from the webhook', async () => {
    const { documentId, id } = await checkout(5001);
    await pay(id);
    await eventually(
      () => readInvoice(env, documentId),
      (i) => i.state === 'paid',
    );
    const made = await mollieApi('POST', `payments/${id}/refunds`, { amount: { currency: 'EUR', value: '12.34' } });
    expect(made.status).toBe(201);
    await postWebhook(`id=${id}`);
    await settle();
    await postWebhook(`id=${id}`);
    await settle();
    expect(
      await eventually(
        () => readInvoice(env, documentId),
        (i) => i.amountRefunded === 1234,
      ),
    ).toMatchObject({ amountPaid: 5001 });
    expect((await paymentsOf(documentId))[0]).toMatchObject({ amountRefunded: 1234, status: 'partially_refunded' });
  });

  it('the webhook and the customer returning to the success page at once book the payment once', async () => {
    const { documentId, id, token } = await checkout(3100);
    await mollie.control.setStatus(id, 'paid', 'ideal');
    await Promise.all([
      postWebhook(`id=${id}`),
      env.app
        .http()
        .post(`/api/invoice-payments/invoices/${documentId}/confirm-payment`)
        .send({ token, providerPaymentId: id }),
      postWebhook(`id=${id}`),
    ]);
    await settle();
    const rows = await paymentsOf(documentId);
    expect(rows).toHaveLength(1);
    expect(await readInvoice(env, documentId)).toMatchObject({ state: 'paid', amountPaid: 3100, balanceDue: 0 });
  });
});

describe('an open Mollie checkout when the invoice changes', () => {
  it('voiding while a Mollie payment is open: refused, or the late payment is refunded in full exactly once', async () => {
    const { documentId, id } = await checkout(4400);
    const voided = await adminPost(`/invoices/${documentId}/void`, { reason: 'Issued in error' });
    if (voided.status !== 200) {
      expect(voided.status).toBe(409);
      expect(mollie.control.payment(id)!.status).toBe('open');
      return;
    }
    // Mollie does not let an open payment without a chosen method be canceled: the customer can
    // still pay it after the void (https://docs.mollie.com/reference/cancel-payment, `isCancelable`).
    expect(mollie.control.payment(id)!.status).toBe('open');
    await pay(id);
    await mollie.control.redeliver(id);
    await settle();
    const refunds = await eventually(
      async () =>
        (mollie.control.payment(id)!._embedded as { refunds?: Array<{ amount: { value: string } }> }).refunds ?? [],
      (r) => r.length > 0,
    );
    expect(refunds.map((r) => r.amount.value)).toEqual(['44.00']);
    expect(await readInvoice(env, documentId)).toMatchObject({ state: 'void' });
  });

  it('a Document Service edit of the lines while a Mollie payment is open: the old amount paid later is booked, the rest stays due', async () => {
    const { documentId, id } = await checkout(5000);
    await env.app.strapi
      .documents('plugin::invoice-payments.invoice')
      .update({ documentId, data: { lineItems: [{ description: 'Work', quantity: 1, unitAmount: 8000 }] } as never });
    const edited = await readInvoice(env, documentId);
    expect(edited).toMatchObject({ total: 8000, balanceDue: 8000 });
    await pay(id);
    const inv = await eventually(
      () => readInvoice(env, documentId),
      (i) => i.amountPaid === 5000,
    );
    expect(inv).toMatchObject({ total: 8000, balanceDue: 3000, state: expect.stringMatching(/sent|partially_paid/) });
  });
});

describe('flows Mollie lacks', () => {
  it('an embedded card payment asked for on a Mollie invoice is a 4xx and creates nothing at Mollie', async () => {
    const inv = await payableInvoice(env, {
      currency: 'EUR',
      lineItems: [{ description: 'Work', quantity: 1, unitAmount: 2500 }],
    });
    const created = mollie.control.stats().created.payments;
    const embedded = await env.app
      .http()
      .post(`/api/invoice-payments/invoices/${inv.documentId}/checkout-session`)
      .send({ token: inv.token, uiMode: 'embedded' });
    expect(embedded.status).toBe(400);
    const intent = await env.app
      .http()
      .post(`/api/invoice-payments/invoices/${inv.documentId}/payment-intent`)
      .send({ token: inv.token });
    expect([intent.status, intent.body?.error?.name]).toEqual([400, expect.any(String)]);
    expect(mollie.control.stats().created.payments).toBe(created);
    expect(await readInvoice(env, inv.documentId)).toMatchObject({ state: 'sent', balanceDue: 2500 });
  });
});

describe('what Mollie reports about a payment the plugin did not make', () => {
  it('a payment made elsewhere in the account with our metadata mark in another currency is flagged, not booked', async () => {
    const inv = await payableInvoice(env, {
      currency: 'EUR',
      lineItems: [{ description: 'Work', quantity: 1, unitAmount: 5000 }],
    });
    const made = await mollieApi('POST', 'payments', {
      amount: { currency: 'USD', value: '50.00' },
      description: 'x',
      redirectUrl: 'https://example.test/',
      metadata: {
        invoicePayments: 1,
        invoiceDocumentId: inv.documentId,
        invoiceNumber: 'X',
        portion: 5000,
        fee: 0,
        viaCheckout: true,
      },
    });
    expect(made.status).toBe(201);
    const id = made.body.id as string;
    await mollie.control.setStatus(id, 'paid', 'creditcard');
    // Not in our ledger: refused without asking Mollie (providers/mollie/webhook-guard.ts).
    expect((await postWebhook(`id=${id}`)).status).toBe(400);
    await settle();
    expect(await readInvoice(env, inv.documentId)).toMatchObject({ state: 'sent', amountPaid: 0, balanceDue: 5000 });
  });

  it('metadata re-pointed at another invoice after checkout does not pay that other invoice', async () => {
    const a = await checkout(6000);
    const b = await payableInvoice(env, {
      currency: 'EUR',
      lineItems: [{ description: 'Other', quantity: 1, unitAmount: 6000 }],
    });
    const meta = mollie.control.payment(a.id)!.metadata as Record<string, unknown>;
    const patched = await mollieApi('PATCH', `payments/${a.id}`, {
      metadata: { ...meta, invoiceDocumentId: b.documentId },
    });
    expect(patched.status).toBe(200);
    await pay(a.id);
    expect(await readInvoice(env, b.documentId)).toMatchObject({ state: 'sent', amountPaid: 0, balanceDue: 6000 });
    expect(await paymentsOf(b.documentId)).toHaveLength(0);
    // The money was paid on A's checkout: A's ledger and A's totals must agree (no stale totals).
    const rowsA = await paymentsOf(a.documentId);
    const invA = await readInvoice(env, a.documentId);
    // The provider's metadata no longer matches the entry made at checkout: flagged for a person, not lost.
    expect(rowsA).toHaveLength(1);
    expect(rowsA[0].mismatch).toMatch(/metadata/);
    expect(invA.needsAttention).toBe(true);
    const collected = rowsA
      .filter((r: { status: string; mismatch: string | null }) => r.status === 'succeeded' && !r.mismatch)
      .reduce((n: number, r: { amount: number }) => n + r.amount, 0);
    expect(invA.amountPaid).toBe(collected);
  });
});

describe('settings and pay-link provider', () => {
  it('the Mollie key never appears in the settings response or the stored settings', async () => {
    const res = await env.app.http().get('/invoice-payments/settings').set(env.admin.auth);
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.body)).not.toContain(MOLLIE_KEY);
    expect(JSON.stringify(res.body)).not.toContain(MOLLIE_KEY.slice(5, 25));
    const row = await env.app.strapi.db
      .connection('strapi_core_store_settings')
      .where({ key: 'plugin_invoice-payments_settings' })
      .first();
    expect(String(row.value)).not.toContain(MOLLIE_KEY.slice(5));
  });

  it('a live Mollie key is refused while the stand-in endpoint is set', async () => {
    const res = await env.app
      .http()
      .put('/invoice-payments/settings')
      .set(env.admin.auth)
      .send({ mollie: { apiKey: 'live_attackLiveKey00000000000000000000' } });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(await settings().mollieApiKey()).toBe(MOLLIE_KEY);
  });

  it('switching the pay link to Mollie while a Stripe checkout is open ends the Stripe session first', async () => {
    await settings().update({ payLinkProvider: 'stripe' }, { type: 'system' });
    let documentId = '';
    let stripeSession = '';
    let token = '';
    try {
      const first = await checkout(6600);
      expect(first.res.status).toBe(200);
      ({ documentId, token } = first);
      stripeSession = first.id;
      expect(stripeSession).toMatch(/^cs_/);
    } finally {
      await settings().update({ payLinkProvider: 'mollie' }, { type: 'system' });
    }
    const again = await env.app
      .http()
      .post(`/api/invoice-payments/invoices/${documentId}/checkout-session`)
      .send({ token });
    expect(again.status).toBe(200);
    expect(again.body.data.checkoutSessionId).toMatch(/^tr_/);
    expect((await env.stripe.checkout.sessions.retrieve(stripeSession)).status).toBe('expired');
  });

  it('switching the pay link to Stripe while a Mollie checkout is open cannot collect twice', async () => {
    const { documentId, id, token } = await checkout(8000);
    await settings().update({ payLinkProvider: 'stripe' }, { type: 'system' });
    try {
      const again = await env.app
        .http()
        .post(`/api/invoice-payments/invoices/${documentId}/checkout-session`)
        .send({ token });
      // Either refused while the Mollie payment can still be paid, or the Mollie payment was ended first.
      if (again.status === 200) {
        expect(again.body.data.checkoutSessionId).not.toBe(id);
        expect(['canceled', 'expired']).toContain(mollie.control.payment(id)!.status);
      } else {
        expect(again.status).toBe(409);
        expect(again.body.error.message).toMatch(/still open/);
        expect(mollie.control.payment(id)!.status).toBe('open');
      }
    } finally {
      await settings().update({ payLinkProvider: 'mollie' }, { type: 'system' });
    }
  });
});

describe('a site on Mollie only (no Stripe key)', () => {
  it('the success page and the reconciliation sweep still work for Mollie payments', async () => {
    const stripeKeys = { secretKey: KEYS.secretKey, publishableKey: KEYS.publishableKey };
    await settings().update({ secretKey: '', publishableKey: '' }, { type: 'system' });
    // Mollie's webhook cannot reach this site (a wrong public URL): only the sweep can book it.
    env.app.strapi.config.set('plugin::invoice-payments.publicUrl', 'http://127.0.0.1:9');
    try {
      const { documentId, id } = await checkout(2700);
      expect(id).toMatch(/^tr_/);
      await mollie.control.setStatus(id, 'paid', 'ideal');
      await mollie.control.idle().catch(() => undefined);
      expect(await readInvoice(env, documentId)).toMatchObject({ state: 'sent' });
      const swept = await env.app.strapi.plugin('invoice-payments').service('background').sweep(0);
      expect(swept).toBeGreaterThan(0);
      expect(await readInvoice(env, documentId)).toMatchObject({ state: 'paid', amountPaid: 2700 });
      const page = await env.app.http().get(`/invoice-payments/pay/success?session_id=${id}`);
      expect(page.status).toBe(200);
      expect(page.text).toContain('Payment received');
    } finally {
      env.app.strapi.config.set('plugin::invoice-payments.publicUrl', env.app.url);
      await settings().update(stripeKeys, { type: 'system' });
    }
  });
});

describe('database', () => {
  it('provider ids stay unique at the database level', async () => {
    const events = env.app.strapi.db.query(EVENT);
    const event = {
      providerEventId: `tr_uniq${Date.now()}:abc`,
      provider: 'mollie',
      type: 'payment.changed',
      status: 'processed',
    };
    await events.create({ data: event });
    // Not `rejects.toThrow()`: better-sqlite3 is loaded once per jest worker, so after another test
    // file its SqliteError comes from that file's realm and is no `instanceof Error` here.
    const refused = (run: () => Promise<unknown>) =>
      run().then(
        () => null,
        (error: unknown) => error,
      );
    expect(isUniqueViolation(await refused(() => events.create({ data: event })))).toBe(true);
    const payments = env.app.strapi.db.query(PAYMENT);
    const payment = {
      providerPaymentId: `tr_uniqpay${Date.now()}`,
      provider: 'mollie',
      kind: 'checkout',
      status: 'pending',
      amount: 100,
      fee: 0,
      currency: 'EUR',
    };
    await payments.create({ data: payment });
    expect(isUniqueViolation(await refused(() => payments.create({ data: payment })))).toBe(true);
  });
});
