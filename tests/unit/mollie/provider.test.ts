/**
 * The Mollie provider on Mollie's official client, against the Mollie stand-in: amounts per
 * currency, status mapping, checkout, refunds, chargebacks, webhook parsing, guards.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createMollie,
  MollieEndpointRefused,
  MollieProvider,
  fromMollieAmount,
  mollieEndpointProblem,
  mollieOverrides,
  parseMollieWebhookBody,
  toMollieAmount,
} from '../../../server/src/providers/mollie';
import {
  ProviderConnectionError,
  ProviderRequestError,
  type CreateCheckoutInput,
} from '../../../server/src/providers/types';
import { startMollieStandin, type MollieStandin } from '../../support/mollie-standin';

const KEY = 'test_standinstandinstandinstandin12';

let standin: MollieStandin;
let hook: http.Server;
let hookUrl: string;
const received: string[] = [];

beforeAll(async () => {
  hook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push(`${req.headers['content-type']}|${body}`);
      res.end('ok');
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/api/invoice-payments/webhooks/mollie`;
  standin = await startMollieStandin({ refundSettleMs: null });
});

afterAll(async () => {
  await standin.close();
  await new Promise((r) => hook.close(r));
});

beforeEach(() => {
  standin.control.reset();
  received.length = 0;
});

function provider(key = KEY): MollieProvider {
  const client = createMollie({
    apiKey: key,
    overrides: { apiEndpoint: standin.apiEndpoint, allowInProduction: false },
  });
  return new MollieProvider(client, { apiKey: key, webhookUrl: hookUrl });
}

const checkout = (over: Partial<CreateCheckoutInput> = {}): CreateCheckoutInput => ({
  amount: 1000,
  currency: 'EUR',
  metadata: { invoiceDocumentId: 'inv1', invoiceNumber: 'INV-1', portion: 1000, fee: 0, attemptId: 'att-1' },
  productName: 'Invoice INV-1',
  customerEmail: 'client@example.org',
  uiMode: 'hosted',
  successUrl: 'http://shop.test/pay/success?session_id={CHECKOUT_SESSION_ID}',
  cancelUrl: 'http://shop.test/pay/cancel?invoice=inv1',
  returnUrl: 'http://shop.test/pay/success?session_id={CHECKOUT_SESSION_ID}',
  idempotencyKey: `k-${Math.random()}`,
  ...over,
});

describe('amounts', () => {
  it('writes Mollie decimal strings per currency', () => {
    expect(toMollieAmount(1000, 'EUR')).toEqual({ currency: 'EUR', value: '10.00' });
    expect(toMollieAmount(5, 'eur')).toEqual({ currency: 'EUR', value: '0.05' });
    expect(toMollieAmount(1000, 'JPY')).toEqual({ currency: 'JPY', value: '1000' });
    // ISK: the plugin keeps two decimals with a zero fraction; Mollie takes none.
    expect(toMollieAmount(700000, 'ISK')).toEqual({ currency: 'ISK', value: '7000' });
    expect(() => toMollieAmount(700050, 'ISK')).toThrow(ProviderRequestError);
    expect(() => toMollieAmount(1000, 'KWD')).toThrow(/does not take payments in KWD/);
  });

  it('reads them back to minor units', () => {
    expect(fromMollieAmount({ currency: 'EUR', value: '10.00' })).toBe(1000);
    expect(fromMollieAmount({ currency: 'JPY', value: '1000' })).toBe(1000);
    expect(fromMollieAmount({ currency: 'ISK', value: '7000' })).toBe(700000);
    expect(() => fromMollieAmount({ currency: 'EUR', value: '1.005' })).toThrow(ProviderRequestError);
  });
});

describe('checkout and status mapping', () => {
  it('creates a hosted payment with the decimal amount, webhook, metadata and its own id in the return URL', async () => {
    const p = provider();
    const session = await p.createCheckoutSession(checkout());
    expect(session).toMatchObject({
      status: 'open',
      paymentStatus: 'unpaid',
      ui: 'hosted',
      amount: 1000,
      currency: 'EUR',
      livemode: false,
    });
    expect(session.id).toMatch(/^tr_/);
    expect(session.paymentId).toBe(session.id);
    expect(session.url).toBe(`${standin.url}/checkout/${session.id}`);
    expect(session.metadata).toMatchObject({
      invoiceDocumentId: 'inv1',
      portion: 1000,
      viaCheckout: true,
      attemptId: 'att-1',
    });
    const raw = standin.control.payment(session.id)!;
    expect(raw.amount).toEqual({ currency: 'EUR', value: '10.00' });
    expect(raw.webhookUrl).toBe(hookUrl);
    expect(raw.redirectUrl).toBe(`http://shop.test/pay/success?session_id=${session.id}`);
    expect(raw.method).toBeNull();
  });

  it('sends JPY without decimals', async () => {
    const session = await provider().createCheckoutSession(checkout({ amount: 1000, currency: 'JPY' }));
    expect(standin.control.payment(session.id)!.amount).toEqual({ currency: 'JPY', value: '1000' });
    expect(session.amount).toBe(1000);
  });

  it('replays a create under the same idempotency key', async () => {
    const p = provider();
    const input = checkout({ idempotencyKey: 'same-key' });
    const a = await p.createCheckoutSession(input);
    const b = await p.createCheckoutSession(input);
    expect(b.id).toBe(a.id);
    expect(standin.control.stats().created.payments).toBe(1);
  });

  it.each([
    ['paid', 'succeeded', 'complete'],
    ['failed', 'failed', 'expired'],
    ['canceled', 'canceled', 'expired'],
    ['expired', 'canceled', 'expired'],
  ] as const)('maps %s to %s (checkout %s) and calls the webhook with id=tr_…', async (mollie, ours, sessionStatus) => {
    const p = provider();
    const s = await p.createCheckoutSession(checkout());
    expect((await p.retrievePayment(s.id)).status).toBe('pending');
    await standin.control.setStatus(s.id, mollie, 'ideal');
    await standin.control.idle();
    const payment = await p.retrievePayment(s.id);
    expect(payment.status).toBe(ours);
    expect((await p.retrieveCheckoutSession(s.id)).status).toBe(sessionStatus);
    expect(payment.amountReceived).toBe(mollie === 'paid' ? 1000 : 0);
    if (mollie === 'failed') expect(payment.failureCode).toBe('insufficient_funds');
    expect(received).toEqual([`application/x-www-form-urlencoded|id=${s.id}`]);
  });

  it('finds a payment again by attempt id after a lost answer', async () => {
    const p = provider();
    const s = await p.createCheckoutSession(
      checkout({
        metadata: { invoiceDocumentId: 'inv2', invoiceNumber: 'INV-2', portion: 500, fee: 0, attemptId: 'att-lost' },
        amount: 500,
      }),
    );
    await p.createCheckoutSession(checkout());
    const found = await p.findCheckoutSessionByAttempt('att-lost', Math.floor(Date.now() / 1000) - 5);
    expect(found?.id).toBe(s.id);
    expect(await p.findCheckoutSessionByAttempt('nobody', Math.floor(Date.now() / 1000) - 5)).toBeNull();
  });

  it('never reports an open payment that Mollie will not cancel as ended (it can still be paid)', async () => {
    const p = provider();
    const s = await p.createCheckoutSession(checkout());
    await expect(p.expireCheckoutSession(s.id, 'exp-1')).rejects.toMatchObject({
      code: 'not_cancelable',
      retryable: false,
      outcomeUnknown: false,
    });
    await expect(p.cancelPayment(s.id, 'c-1')).rejects.toMatchObject({ retryable: false, httpStatus: 422 });
    expect((await p.retrieveCheckoutSession(s.id)).status).toBe('open');
    // A bank transfer still waiting can be canceled (isCancelable), and then it is over.
    const t = await p.createCheckoutSession(checkout());
    await standin.control.setStatus(t.id, 'open', 'banktransfer');
    expect((await p.expireCheckoutSession(t.id, 'exp-2')).status).toBe('expired');
    expect((await p.retrievePayment(t.id)).status).toBe('canceled');
  });
});

describe('refunds and chargebacks', () => {
  async function paid(p: MollieProvider, amount = 1000): Promise<string> {
    const s = await p.createCheckoutSession(checkout({ amount }));
    await standin.control.setStatus(s.id, 'paid', 'creditcard');
    await standin.control.idle();
    return s.id;
  }

  it('refunds partially, then fully, with neutral metadata', async () => {
    const p = provider();
    const id = await paid(p);
    const r1 = await p.requestRefund({
      paymentId: id,
      amount: 300,
      reason: 'requested_by_customer',
      metadata: { invoiceDocumentId: 'inv1', paymentRowId: '7', refundId: 'rf-1' },
      idempotencyKey: 'r1',
    });
    expect(r1).toMatchObject({ amount: 300, currency: 'EUR', status: 'pending', localId: 'rf-1', paymentId: id });
    let payment = await p.retrievePayment(id);
    expect(payment).toMatchObject({ status: 'partially_refunded', amountRefunded: 300, refundsListed: true });
    expect(payment.refunds.map((r) => r.id)).toEqual([r1.id]);
    await standin.control.settleRefund(r1.id, 'refunded');
    await standin.control.idle();
    expect(received.at(-1)).toBe(`application/x-www-form-urlencoded|id=${id}`);
    expect((await p.listRefunds(id))[0]).toMatchObject({ id: r1.id, status: 'succeeded' });
    await p.requestRefund({
      paymentId: id,
      amount: 700,
      reason: null,
      metadata: { invoiceDocumentId: 'inv1', paymentRowId: '7', refundId: 'rf-2' },
      idempotencyKey: 'r2',
    });
    payment = await p.retrievePayment(id);
    expect(payment).toMatchObject({ status: 'refunded', amountRefunded: 1000 });
    expect(await p.paymentIdFor({ kind: 'refund', providerPaymentId: null, objectId: r1.id, eventId: 'e' })).toBe(id);
  });

  it('refuses a refund over what remains', async () => {
    const p = provider();
    const id = await paid(p);
    await expect(
      p.requestRefund({
        paymentId: id,
        amount: 1001,
        reason: null,
        metadata: { invoiceDocumentId: 'i', paymentRowId: '1', refundId: 'x' },
        idempotencyKey: 'over',
      }),
    ).rejects.toMatchObject({ retryable: false, httpStatus: 422 });
  });

  it('a failed refund gives the money back to the payment', async () => {
    const p = provider();
    const id = await paid(p);
    const r = await p.requestRefund({
      paymentId: id,
      amount: 400,
      reason: null,
      metadata: { invoiceDocumentId: 'i', paymentRowId: '1', refundId: 'y' },
      idempotencyKey: 'f',
    });
    await standin.control.settleRefund(r.id, 'failed');
    const payment = await p.retrievePayment(id);
    expect(payment).toMatchObject({ status: 'succeeded', amountRefunded: 0 });
    expect(payment.refunds[0]).toMatchObject({ id: r.id, status: 'failed' });
  });

  it('reads a chargeback as an open dispute, and a reversed one as won', async () => {
    const p = provider();
    const id = await paid(p);
    const chb = await standin.control.chargeback(id);
    await standin.control.idle();
    expect(received.at(-1)).toBe(`application/x-www-form-urlencoded|id=${id}`);
    let payment = await p.retrievePayment(id);
    expect(payment.status).toBe('disputed');
    expect(payment.dispute).toMatchObject({
      id: chb,
      amount: 1000,
      currency: 'EUR',
      status: 'open',
      providerStatus: 'charged_back',
    });
    expect(await p.paymentIdFor({ kind: 'dispute', providerPaymentId: null, objectId: chb, eventId: 'e' })).toBe(id);
    await standin.control.reverseChargeback(chb);
    payment = await p.retrievePayment(id);
    expect(payment.status).toBe('succeeded');
    expect(payment.dispute).toMatchObject({ status: 'won', providerStatus: 'reversed' });
  });
});

describe('credentials, webhook body and guards', () => {
  it('verifies a key with one authenticated read; a bad key is named', async () => {
    await expect(provider().verifyCredentials()).resolves.toEqual({ accountId: 'pfl_standin', livemode: false });
    await expect(provider('test_invalidinvalidinvalidinvalid00').verifyCredentials()).rejects.toEqual(
      expect.objectContaining({ reason: 'bad_key' }),
    );
    await expect(provider('test_invalidinvalidinvalidinvalid00').verifyCredentials()).rejects.toBeInstanceOf(
      ProviderConnectionError,
    );
  });

  it('refuses the embedded card form clearly', async () => {
    await expect(
      provider().createPayment({
        amount: 1000,
        currency: 'EUR',
        metadata: { invoiceDocumentId: 'i', invoiceNumber: 'n', portion: 1000, fee: 0 },
        description: 'd',
        receiptEmail: null,
        idempotencyKey: 'k',
      }),
    ).rejects.toMatchObject({ code: 'unsupported_by_provider', retryable: false });
    await expect(provider().createCheckoutSession(checkout({ uiMode: 'embedded' }))).rejects.toMatchObject({
      code: 'unsupported_by_provider',
    });
  });

  it('reads only id=tr_… from a webhook body', () => {
    expect(parseMollieWebhookBody('id=tr_5B8cwPMGnU6qLbRvo7qEZo')).toBe('tr_5B8cwPMGnU6qLbRvo7qEZo');
    for (const bad of ['', 'id=', 'id=re_abcdef', 'id=tr_1&id=tr_2', 'id=tr_<script>', `id=tr_${'a'.repeat(2000)}`]) {
      expect(() => parseMollieWebhookBody(bad)).toThrow(ProviderRequestError);
    }
  });

  it('reads a webhook by fetching the payment: same state, same event id; unknown ids refused', async () => {
    const p = provider();
    const s = await p.createCheckoutSession(checkout());
    const form = (body: string, contentType = 'application/x-www-form-urlencoded') => ({
      rawBody: body,
      body: Object.fromEntries(new URLSearchParams(body)),
      headers: {},
      contentType,
    });
    const open = await p.parseWebhook(form(`id=${s.id}`), null, { toleranceSeconds: 300 });
    expect(open).toMatchObject({ objectId: s.id, objectType: 'payment', livemode: false });
    expect((await p.parseWebhook(form(`id=${s.id}`), null, { toleranceSeconds: 300 })).id).toBe(open.id);
    await standin.control.setStatus(s.id, 'paid');
    const paid = await p.parseWebhook(form(`id=${s.id}`), null, { toleranceSeconds: 300 });
    expect(paid.id).not.toBe(open.id);
    expect(p.webhookAction(paid)).toEqual({
      kind: 'checkout',
      providerPaymentId: s.id,
      objectId: s.id,
      eventId: paid.id,
    });
    await expect(p.parseWebhook(form('id=tr_unknown000'), null, { toleranceSeconds: 300 })).rejects.toMatchObject({
      code: 'object_unknown',
      retryable: false,
    });
    await expect(
      p.parseWebhook(form(`{"id":"${s.id}"}`, 'application/json'), null, { toleranceSeconds: 300 }),
    ).rejects.toMatchObject({ code: 'content_type' });
    expect(p.webhookAction({ ...paid, payload: { id: s.id, ours: false } })).toMatchObject({ kind: 'not_supported' });
  });

  it('never sends a live key to a stand-in, nor uses one in production without the opt-in', () => {
    const o = mollieOverrides({ apiEndpoint: 'http://127.0.0.1:1' }, {});
    expect(mollieEndpointProblem(o, 'live_abcdefghijabcdefghijabcdefghij', 'development')).toMatch(
      /live Mollie API key/,
    );
    expect(mollieEndpointProblem(o, KEY, 'production')).toMatch(/NODE_ENV=production/);
    expect(mollieEndpointProblem({ ...o, allowInProduction: true }, KEY, 'production')).toBeNull();
    expect(
      mollieEndpointProblem(mollieOverrides({}, {}), 'live_abcdefghijabcdefghijabcdefghij', 'production'),
    ).toBeNull();
    expect(() => createMollie({ apiKey: 'live_abcdefghijabcdefghijabcdefghij', overrides: o })).toThrow(
      MollieEndpointRefused,
    );
  });
});
