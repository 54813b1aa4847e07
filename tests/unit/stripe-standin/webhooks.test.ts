import Stripe from 'stripe';
import type { StripeStandin } from '../../support/stripe-standin';
import { control, startReceiver, startStandin, waitFor, WEBHOOK_SECRET, type Receiver } from './helpers';

describe('webhook delivery', () => {
  let standin: StripeStandin;
  let stripe: Stripe;
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await startReceiver();
    ({ standin, stripe } = await startStandin({
      webhook: { url: receiver.url, secret: WEBHOOK_SECRET },
      delivery: { retry: { attempts: 3, backoffMs: 10 } },
    }));
  });
  afterAll(async () => {
    await standin.close();
    await receiver.close();
  });
  beforeEach(() => {
    standin.control.reset();
    receiver.received.length = 0;
    receiver.respond = () => 200;
  });

  const pay = (amount = 2000): Promise<Stripe.PaymentIntent> =>
    stripe.paymentIntents.create({
      amount,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      metadata: { invoice: 'INV-W' },
    });

  const types = (): string[] => receiver.received.map((item) => item.event.type);

  it('signs like Stripe: constructEvent verifies the payload', async () => {
    const pi = await pay();
    await standin.control.idle();
    expect(types()).toEqual(['payment_intent.created', 'charge.succeeded', 'payment_intent.succeeded']);
    const delivered = receiver.received[2];
    expect(delivered.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    const event = stripe.webhooks.constructEvent(delivered.body, delivered.signature, WEBHOOK_SECRET);
    expect(event.type).toBe('payment_intent.succeeded');
    expect((event.data.object as Stripe.PaymentIntent).id).toBe(pi.id);
    expect((event.data.object as Stripe.PaymentIntent).metadata).toEqual({ invoice: 'INV-W' });
    expect(delivered.body).toBe(JSON.stringify(JSON.parse(delivered.body), null, 2));
    expect(() => stripe.webhooks.constructEvent(delivered.body, delivered.signature, 'whsec_wrong')).toThrow(
      Stripe.errors.StripeSignatureVerificationError,
    );
    // What was delivered is the stored event.
    const stored = await stripe.events.retrieve(event.id);
    expect(stored.data).toEqual(event.data);
    expect(stored.pending_webhooks).toBe(0);
    expect(event.pending_webhooks).toBe(1);
  });

  it('duplicates: every event n times; concurrency sends copies in parallel', async () => {
    standin.control.setDelivery({ duplicates: 3, concurrency: 1 });
    receiver.respond = () => new Promise((resolve) => setTimeout(() => resolve(200), 60));
    await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
    await standin.control.idle();
    expect(types()).toEqual(['payment_intent.created', 'payment_intent.created', 'payment_intent.created']);
    expect(new Set(receiver.received.map((item) => item.event.id)).size).toBe(1);
    const sequentialSpread = receiver.received[2].at - receiver.received[0].at;
    expect(sequentialSpread).toBeGreaterThanOrEqual(110);
    expect(standin.control.deliveries().map((record) => record.copy)).toEqual([1, 2, 3]);

    receiver.received.length = 0;
    standin.control.setDelivery({ concurrency: 3 });
    await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
    await standin.control.idle();
    expect(receiver.received).toHaveLength(3);
    expect(receiver.received[2].at - receiver.received[0].at).toBeLessThan(50);
  });

  it('reverseOrder delivers a batch newest first', async () => {
    standin.control.setDelivery({ reverseOrder: true });
    await pay();
    await standin.control.idle();
    expect(types()).toEqual(['payment_intent.succeeded', 'charge.succeeded', 'payment_intent.created']);
  });

  it('shuffle delivers every event of the batch exactly once', async () => {
    standin.control.setDelivery({ shuffle: true });
    await pay();
    await standin.control.idle();
    expect([...types()].sort()).toEqual(['charge.succeeded', 'payment_intent.created', 'payment_intent.succeeded']);
  });

  it('retries non-2xx responses with backoff, re-signing each attempt', async () => {
    let calls = 0;
    receiver.respond = () => {
      calls += 1;
      return calls <= 2 ? 500 : 200;
    };
    const pi = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
    await standin.control.idle();
    const log = standin.control.deliveries();
    expect(log.map((record) => [record.attempt, record.status, record.ok])).toEqual([
      [1, 500, false],
      [2, 500, false],
      [3, 200, true],
    ]);
    expect(log[0].error).toBe('HTTP 500');
    expect(receiver.received.every((item) => item.event.type === 'payment_intent.created')).toBe(true);
    for (const item of receiver.received)
      expect(() => stripe.webhooks.constructEvent(item.body, item.signature, WEBHOOK_SECRET)).not.toThrow();
    const events = await stripe.events.list({ type: 'payment_intent.created' });
    expect((events.data[0].data.object as Stripe.PaymentIntent).id).toBe(pi.id);
    expect(events.data[0].pending_webhooks).toBe(0);
    const http = await control(standin, 'GET', '/_standin/deliveries');
    expect((http.json as { data: unknown[] }).data).toHaveLength(3);
  });

  it('gives up after the configured attempts and records network errors', async () => {
    standin.control.setWebhook({ url: 'http://127.0.0.1:9/unreachable' });
    try {
      await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
      await standin.control.idle();
      const log = standin.control.deliveries();
      expect(log).toHaveLength(3);
      expect(log.every((record) => record.status === null && !record.ok && typeof record.error === 'string')).toBe(
        true,
      );
      const [event] = (await stripe.events.list()).data;
      expect(event.pending_webhooks).toBe(1);
    } finally {
      standin.control.setWebhook({ url: receiver.url });
    }
  });

  it('paused queues events until flush', async () => {
    standin.control.setDelivery({ paused: true });
    await pay();
    await standin.control.idle();
    expect(receiver.received).toHaveLength(0);
    expect(standin.control.stats().webhooks.queued).toBe(3);
    const res = await control(standin, 'POST', '/_standin/delivery/flush');
    expect(res.status).toBe(200);
    expect(types()).toEqual(['payment_intent.created', 'charge.succeeded', 'payment_intent.succeeded']);
    expect(standin.control.stats().webhooks.queued).toBe(0);
  });

  it('delayMs holds a batch back', async () => {
    standin.control.setDelivery({ delayMs: 80 });
    const started = Date.now();
    await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
    await waitFor(() => receiver.received.length === 1, 2000, 'the delayed delivery');
    expect(receiver.received[0].at - started).toBeGreaterThanOrEqual(70);
  });

  it('re-delivers one event late, with signing overrides', async () => {
    await pay();
    await standin.control.idle();
    const created = receiver.received[0].event;
    receiver.received.length = 0;
    const late = await standin.control.deliverEvent(created.id);
    expect(late).toMatchObject({ event_id: created.id, manual: true, status: 200, ok: true });
    expect(receiver.received[0].event.id).toBe(created.id);

    const old = Math.floor(Date.now() / 1000) - 3600;
    await control(standin, 'POST', `/_standin/events/${created.id}/deliver`, { timestamp: old });
    const stale = receiver.received[1];
    expect(stale.signature.startsWith(`t=${old},`)).toBe(true);
    expect(() => stripe.webhooks.constructEvent(stale.body, stale.signature, WEBHOOK_SECRET)).toThrow(
      /Timestamp outside the tolerance zone/,
    );

    await standin.control.deliverEvent(created.id, { secret: 'whsec_other' });
    const wrong = receiver.received[2];
    expect(() => stripe.webhooks.constructEvent(wrong.body, wrong.signature, WEBHOOK_SECRET)).toThrow(
      Stripe.errors.StripeSignatureVerificationError,
    );
    expect(stripe.webhooks.constructEvent(wrong.body, wrong.signature, 'whsec_other').id).toBe(created.id);
    const missing = await control(standin, 'POST', '/_standin/events/evt_nope/deliver', {});
    expect(missing.status).toBe(404);
  });

  it('disabled endpoint: events are stored but not delivered', async () => {
    const res = await control(standin, 'POST', '/_standin/webhook', { enabled: false });
    expect(res.status).toBe(200);
    try {
      await pay();
      await standin.control.idle();
      expect(receiver.received).toHaveLength(0);
      const events = await stripe.events.list();
      expect(events.data).toHaveLength(3);
      expect(events.data.every((event) => event.pending_webhooks === 0)).toBe(true);
    } finally {
      standin.control.setWebhook({ enabled: true });
    }
  });
});
