/**
 * Attack tests (independent review of issue 10): try to charge a client twice, more than the
 * balance, or a stale amount, against the real booted app and the Stripe stand-in.
 * A failing test here is a finding; see the report for the Stripe references.
 */
import {
  bootPayments,
  eventually,
  intentMadeElsewhere,
  INVOICE,
  PAYMENT,
  payableInvoice,
  payWith,
  readInvoice,
  type PaymentsEnv,
} from '../support/payments';
import { waitForIdle } from '../support/idle';

let env: PaymentsEnv;
beforeAll(async () => {
  env = await bootPayments({ env: { STRIPE_TIMEOUT_MS: '6000' }, settings: { partialPayments: true } });
}, 120_000);
afterAll(async () => {
  await env?.close();
});

const http = () => env.app.http();
const intent = (id: string, token: string, amount?: unknown) =>
  http()
    .post(`/api/invoice-payments/invoices/${id}/payment-intent`)
    .send({ token, ...(amount !== undefined ? { amount } : {}) });
const checkout = (id: string, token: string, uiMode: unknown = 'hosted') =>
  http().post(`/api/invoice-payments/invoices/${id}/checkout-session`).send({ token, uiMode });
const confirm = (id: string, token: string, providerPaymentId: unknown) =>
  http().post(`/api/invoice-payments/invoices/${id}/confirm-payment`).send({ token, providerPaymentId });
const oneLine = (amount: number) => ({ lineItems: [{ description: 'Work', quantity: 1, unitAmount: amount }] });
const settings = () => env.app.strapi.plugin('invoice-payments').service('settings');

/** What Stripe really holds for an invoice: collected minus refunded, over every intent of it. */
async function netAtStripe(documentId: string) {
  const pis = (await env.stripe.paymentIntents.list({ limit: 100 })).data.filter(
    (p) => p.metadata.invoice_payments_invoice === documentId,
  );
  let received = 0;
  let refunded = 0;
  for (const p of pis) {
    received += p.amount_received ?? 0;
    const refunds = (await env.stripe.refunds.list({ payment_intent: p.id, limit: 100 })).data;
    refunded += refunds
      .filter((r) => r.status !== 'failed' && r.status !== 'canceled')
      .reduce((s, r) => s + r.amount, 0);
  }
  return { received, refunded, net: received - refunded, intents: pis };
}

async function liveAtStripe(documentId: string) {
  const pis = (await env.stripe.paymentIntents.list({ limit: 100 })).data.filter(
    (p) =>
      p.metadata.invoice_payments_invoice === documentId &&
      !p.metadata.invoice_payments_checkout &&
      ['requires_payment_method', 'requires_confirmation', 'requires_action'].includes(p.status),
  );
  const sessions = (await env.stripe.checkout.sessions.list({ limit: 100 })).data.filter(
    (s) => s.metadata?.invoice_payments_invoice === documentId && s.status === 'open',
  );
  return [...pis.map((p) => p.id), ...sessions.map((s) => s.id)];
}

/** Every webhook delivered and settled, and the app idle (queues, worker, outbox): throws on timeout. */
async function settleAll() {
  await env.standin.control.flush();
  await waitForIdle(env.app.strapi, 20_000, env.standin);
}

describe('attack: voiding an invoice', () => {
  it('VOID-1 an open Payment Element intent is still payable after the invoice is voided, and the money is kept', async () => {
    const { documentId, token } = await payableInvoice(env, oneLine(3000));
    const card = await intent(documentId, token);
    expect(card.status).toBe(200);
    await env.app.strapi.documents(INVOICE).update({ documentId, data: { state: 'void' } as never });
    expect((await readInvoice(env, documentId)).state).toBe('void');
    // The client still has the page open and pays.
    await payWith(env, card.body.data.providerPaymentId, 'pm_card_visa').catch(() => null);
    await settleAll();
    const stripe = await netAtStripe(documentId);
    const invoice = await readInvoice(env, documentId);
    // Expected: voiding ends every open attempt (Stripe then refuses the confirm), or the money is
    // refunded / at least flagged. Nothing may be kept silently on a void invoice.
    expect({ net: stripe.net, flagged: invoice.needsAttention || stripe.net === 0 }).toEqual({ net: 0, flagged: true });
  });

  it('VOID-2 an open Checkout session is still payable after the invoice is voided', async () => {
    const { documentId, token } = await payableInvoice(env, oneLine(3000));
    const cs = await checkout(documentId, token);
    expect(cs.status).toBe(200);
    await env.app.strapi.documents(INVOICE).update({ documentId, data: { state: 'void' } as never });
    let completed = true;
    try {
      env.standin.control.completeCheckout(cs.body.data.checkoutSessionId);
    } catch {
      completed = false;
    }
    await settleAll();
    const stripe = await netAtStripe(documentId);
    expect({ completed, net: stripe.net }).toEqual({ completed: false, net: 0 });
  });
});

describe('attack: stale amounts', () => {
  it('STALE-1 the admin lowers the total while an intent is open: the old intent still charges the old amount', async () => {
    const { documentId, token } = await payableInvoice(env, oneLine(3000));
    const card = await intent(documentId, token);
    await env.app.strapi
      .documents(INVOICE)
      .update({ documentId, data: { lineItems: [{ description: 'Work', quantity: 1, unitAmount: 2000 }] } as never });
    expect((await readInvoice(env, documentId)).balanceDue).toBe(2000);
    const paid = await payWith(env, card.body.data.providerPaymentId, 'pm_card_visa').catch((e) => e);
    await settleAll();
    const pi = await env.stripe.paymentIntents.retrieve(card.body.data.providerPaymentId);
    // Expected: the intent was ended or updated when the balance changed; it must never take 3000.
    expect({ charged: pi.amount_received, status: pi.status }).not.toMatchObject({ charged: 3000 });
    expect(paid).toBeDefined();
  });

  it('FEE-1 same total, different split: a reused intent books the old portion, not the one shown', async () => {
    const { documentId, token } = await payableInvoice(env, oneLine(10000));
    await settings().update({ feePercentBps: 300 }, { type: 'system' });
    try {
      const first = await intent(documentId, token, 5000);
      expect(first.body.data).toMatchObject({ portion: 5000, fee: 155, amount: 5155 });
      await settings().update({ feePercentBps: 0 }, { type: 'system' });
      // The client now asks to put 51.55 towards the invoice, no fee.
      const second = await intent(documentId, token, 5155);
      expect(second.status).toBe(200);
      expect(second.body.data).toMatchObject({ portion: 5155, fee: 0, amount: 5155 });
      await payWith(env, second.body.data.providerPaymentId, 'pm_card_visa');
      await settleAll();
      const invoice = await readInvoice(env, documentId);
      // Told: 51.55 paid towards the invoice, no fee. Expected balance: 10000 - 5155.
      expect(invoice.balanceDue).toBe(10000 - 5155);
    } finally {
      await settings().update({ feePercentBps: 0 }, { type: 'system' });
    }
  });
});

describe('attack: many tabs at once', () => {
  it('RACE-1 eight concurrent intent/checkout requests with mixed amounts leave at most one live attempt, and paying everything handed out collects at most the balance', async () => {
    const { documentId, token } = await payableInvoice(env, oneLine(3000));
    const reqs = [
      () => intent(documentId, token),
      () => checkout(documentId, token, 'hosted'),
      () => intent(documentId, token, 1000),
      () => checkout(documentId, token, 'embedded'),
      () => intent(documentId, token, 2000),
      () => intent(documentId, token),
      () => checkout(documentId, token, 'hosted'),
      () => intent(documentId, token, 1000),
    ];
    const results = await Promise.all(reqs.map((r) => r()));
    for (const r of results) expect([200, 409]).toContain(r.status);
    expect((await liveAtStripe(documentId)).length).toBeLessThanOrEqual(1);
    // A malicious client pays every attempt it was ever given.
    for (const r of results) {
      if (r.status !== 200) continue;
      if (r.body.data.providerPaymentId)
        await payWith(env, r.body.data.providerPaymentId, 'pm_card_visa').catch(() => null);
      if (r.body.data.checkoutSessionId) {
        try {
          env.standin.control.completeCheckout(r.body.data.checkoutSessionId);
        } catch {
          /* refused: expired */
        }
      }
    }
    await settleAll();
    // Settling can start refunds (overpayments), whose own webhooks then need settling too.
    await settleAll();
    const stripe = await netAtStripe(documentId);
    const invoice = await readInvoice(env, documentId);
    expect(stripe.net).toBeLessThanOrEqual(3000);
    expect(invoice.balanceDue).toBeGreaterThanOrEqual(0);
    expect(invoice.amountPaid - invoice.amountRefunded).toBe(stripe.net);
  }, 60_000);

  it('RACE-2 a Checkout session completing while its expiry is in flight: nothing new is created, booked once', async () => {
    const { documentId, token } = await payableInvoice(env, oneLine(3000));
    const cs = await checkout(documentId, token);
    env.standin.control.addFault({
      method: 'POST',
      path: '/v1/checkout/sessions/:id/expire',
      timeoutMs: 1500,
      times: 1,
    });
    const expires = () => env.standin.control.stats().requestsByRoute['POST /v1/checkout/sessions/:id/expire'] ?? 0;
    const before = expires();
    // then(): a supertest request starts only once it is awaited or then()'d.
    const pending = intent(documentId, token).then((r) => r);
    await eventually(
      async () => expires(),
      (n) => n > before,
      5000,
      'the expiry reaching Stripe',
    );
    env.standin.control.completeCheckout(cs.body.data.checkoutSessionId);
    const res = await pending;
    await settleAll();
    const stripe = await netAtStripe(documentId);
    expect(stripe.net).toBe(3000);
    expect(res.status).toBe(409);
    expect(await liveAtStripe(documentId)).toEqual([]);
  }, 30_000);
});

describe('attack: idempotency after faults', () => {
  it('IDEM-1 a 500 after Stripe created the intent (replayed under the key by the SDK retries) creates exactly one intent', async () => {
    const { documentId, token } = await payableInvoice(env, oneLine(3000));
    env.standin.control.addFault({
      method: 'POST',
      path: '/v1/payment_intents',
      status: 500,
      afterProcessing: true,
      times: 1,
    });
    const res = await intent(documentId, token);
    const again = await intent(documentId, token);
    const pis = (await netAtStripe(documentId)).intents;
    expect(pis).toHaveLength(1);
    expect([res.status, again.status]).toEqual([200, 200]);
    expect(again.body.data.providerPaymentId).toBe(pis[0]!.id);
  });

  it('IDEM-2 a 500 after Stripe created the Checkout session creates exactly one session', async () => {
    const { documentId, token } = await payableInvoice(env, oneLine(3000));
    env.standin.control.addFault({
      method: 'POST',
      path: '/v1/checkout/sessions',
      status: 500,
      afterProcessing: true,
      times: 3,
    });
    const res = await checkout(documentId, token);
    const again = await checkout(documentId, token);
    const sessions = (await env.stripe.checkout.sessions.list({ limit: 100 })).data.filter(
      (s) => s.metadata?.invoice_payments_invoice === documentId,
    );
    expect(sessions.filter((s) => s.status === 'open')).toHaveLength(1);
    expect(res.status).toBe(200);
    expect(again.body.data.checkoutSessionId).toBe(res.body.data.checkoutSessionId);
  });

  it('IDEM-3 a 500 while changing the amount: the live intent at Stripe is always for the amount shown; never an older one', async () => {
    const { documentId, token } = await payableInvoice(env, oneLine(50000));
    const a = await intent(documentId, token, 30000);
    // Stripe saves the 500 under the key (the SDK's retries replay it); the server looks at Stripe, then tries
    // once more under a new key.
    env.standin.control.addFault({ method: 'POST', path: '/v1/payment_intents/:id/cancel', status: 500, times: 2 });
    const b = await intent(documentId, token, 10000);
    expect(b.status).toBe(502);
    env.standin.control.clearFaults();
    const c = await intent(documentId, token, 10000);
    expect(c.status).toBe(200);
    expect((await env.stripe.paymentIntents.retrieve(c.body.data.providerPaymentId)).amount).toBe(10000);
    expect((await env.stripe.paymentIntents.retrieve(a.body.data.providerPaymentId)).status).toBe('canceled');
    const d = await intent(documentId, token, 30000);
    expect((await env.stripe.paymentIntents.retrieve(d.body.data.providerPaymentId)).amount).toBe(30000);
    const live = (await env.stripe.paymentIntents.list({ limit: 100 })).data.filter(
      (p) => p.metadata.invoice_payments_invoice === documentId && p.status !== 'canceled',
    );
    expect(live.map((p) => p.id)).toEqual([d.body.data.providerPaymentId]);
  });
});

describe('attack: overpayment refunds', () => {
  it('OVER-1 replayed webhooks, resync and confirm racing never refund the overpayment twice', async () => {
    const { documentId, token } = await payableInvoice(env, oneLine(3000));
    env.standin.control.setDelivery({ paused: true });
    const card = await intent(documentId, token);
    const other = await intentMadeElsewhere(env, documentId);
    await payWith(env, card.body.data.providerPaymentId, 'pm_card_visa');
    await payWith(env, other.id, 'pm_card_visa');
    env.standin.control.setDelivery({ paused: false });
    const events = env.standin.control
      .events()
      .filter(
        (e) => JSON.stringify(e).includes(card.body.data.providerPaymentId) || JSON.stringify(e).includes(other.id),
      );
    await Promise.all([
      env.standin.control.flush(),
      ...events.map((e) => env.standin.control.deliverEvent(e.id as string)),
      http().post(`/invoice-payments/invoices/${documentId}/resync`).set(env.admin.auth),
      confirm(documentId, token, card.body.data.providerPaymentId),
      http().post(`/invoice-payments/invoices/${documentId}/resync`).set(env.admin.auth),
    ]);
    await settleAll();
    const stripe = await netAtStripe(documentId);
    expect(stripe.refunded).toBe(3000);
    expect(stripe.net).toBe(3000);
    const invoice = await readInvoice(env, documentId);
    expect([invoice.balanceDue, invoice.state]).toEqual([0, 'paid']);
  }, 30_000);

  it('OVER-2 the automatic overpayment refund never calls Stripe while holding the database (SQLite: other pages stall)', async () => {
    const { documentId, token } = await payableInvoice(env, oneLine(3000));
    const other = await payableInvoice(env, oneLine(1234));
    env.standin.control.setDelivery({ paused: true });
    const card = await intent(documentId, token);
    const dash = await intentMadeElsewhere(env, documentId);
    await payWith(env, card.body.data.providerPaymentId, 'pm_card_visa');
    await payWith(env, dash.id, 'pm_card_visa');
    env.standin.control.addFault({ method: 'POST', path: '/v1/refunds', timeoutMs: 4000, times: 1 });
    const before = env.standin.control.stats().requests['POST /v1/refunds'] ?? 0;
    env.standin.control.setDelivery({ paused: false });
    const flushing = env.standin.control.flush();
    await eventually(
      async () => env.standin.control.stats().requests['POST /v1/refunds'] ?? 0,
      (n) => n > before,
      10_000,
      'the refund call reaching Stripe',
    );
    const s = Date.now();
    const page = await http().get(`/invoice-payments/pay/${other.token}`);
    const ms = Date.now() - s;
    await flushing;
    await settleAll();
    expect(page.status).toBe(200);
    expect(ms).toBeLessThan(1000);
  }, 30_000);
});

describe('attack: requires_action', () => {
  it('3DS-1 a second, fresh authentication on an intent that failed 3-D Secure long ago is cancelled by a reload', async () => {
    const { documentId, token } = await payableInvoice(env, oneLine(3000));
    const card = await intent(documentId, token);
    const pi = card.body.data.providerPaymentId;
    await payWith(env, pi, 'pm_card_authenticationRequired');
    await confirm(documentId, token, pi);
    env.standin.control.authenticate(pi, 'fail');
    await settleAll();
    // The client came back after lunch: the first authentication started 11 minutes ago.
    await env.app.strapi.db
      .query(PAYMENT)
      .updateMany({ where: { providerPaymentId: pi }, data: { actionSince: new Date(Date.now() - 11 * 60_000) } });
    // Now it tries again, and its bank asks to authenticate (seconds ago).
    await payWith(env, pi, 'pm_card_authenticationRequired');
    await settleAll();
    expect((await env.stripe.paymentIntents.retrieve(pi)).status).toBe('requires_action');
    // The page reloads (or a second tab opens) asking for the same payment.
    const again = await intent(documentId, token);
    expect(again.status).toBe(200);
    expect(again.body.data.providerPaymentId).toBe(pi);
    expect((await env.stripe.paymentIntents.retrieve(pi)).status).toBe('requires_action');
  });
});

describe('attack: bad input', () => {
  it.each([
    ['negative', -100],
    ['zero', 0],
    ['fraction', 10.5],
    ['huge', 1e20],
    ['string', '3000'],
    ['word', 'abc'],
    ['bool', true],
    ['object', { amount: 3000 }],
    ['array', [3000]],
    ['above balance', 3001],
  ])('INPUT amount %s gives a 4xx and creates nothing', async (_name, amount) => {
    const { documentId, token } = await payableInvoice(env, oneLine(3000));
    const before = env.standin.control.stats().created;
    const res = await intent(documentId, token, amount);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(typeof res.body.error?.message).toBe('string');
    expect(env.standin.control.stats().created).toEqual(before);
  });

  it.each([['bogus'], [123], ['hosted_page'], [{ a: 1 }]])('INPUT uiMode %p is refused with a 4xx', async (uiMode) => {
    const { documentId, token } = await payableInvoice(env, oneLine(3000));
    const res = await checkout(documentId, token, uiMode);
    expect(res.status).toBe(400);
  });

  it('INPUT confirm with the payment intent of another invoice (same client link) is a 404 and changes nothing', async () => {
    const a = await payableInvoice(env, oneLine(3000));
    const b = await payableInvoice(env, oneLine(3000));
    const ia = await intent(a.documentId, a.token);
    await payWith(env, ia.body.data.providerPaymentId, 'pm_card_visa');
    const res = await confirm(b.documentId, b.token, ia.body.data.providerPaymentId);
    expect(res.status).toBe(404);
    const res2 = await confirm(b.documentId, a.token, ia.body.data.providerPaymentId);
    expect(res2.status).toBe(404);
    expect((await readInvoice(env, b.documentId)).balanceDue).toBe(3000);
  });
});
