import type Stripe from 'stripe';
import type { StripeStandin } from '../../support/stripe-standin';
import { PaidEventFeed } from '../../../bench/lib/fixtures';
import { asRecord, caught, control, startStandin } from './helpers';

describe('events API', () => {
  let standin: StripeStandin;
  let stripe: Stripe;

  beforeAll(async () => {
    ({ standin, stripe } = await startStandin());
  });
  afterAll(() => standin.close());
  beforeEach(() => standin.control.reset());

  it('records full events with snapshots, request ids and idempotency keys', async () => {
    const created = await stripe.paymentIntents.create(
      { amount: 1000, currency: 'usd' },
      { idempotencyKey: 'evt-test-1' },
    );
    await stripe.paymentIntents.update(created.id, { metadata: { invoice: 'INV-E' } });
    const confirmed = await stripe.paymentIntents.confirm(created.id, { payment_method: 'pm_card_visa' });

    const list = await stripe.events.list();
    expect(list.object).toBe('list');
    expect(list.url).toBe('/v1/events');
    expect(list.data.map((event) => event.type)).toEqual([
      'payment_intent.succeeded',
      'charge.succeeded',
      'payment_intent.created',
    ]);
    const [succeeded, , first] = list.data;
    expect(first.id).toMatch(/^evt_[0-9A-Za-z]{24}$/);
    expect(first.object).toBe('event');
    expect(first.api_version).toBe('2026-10-28.endive');
    expect(first.livemode).toBe(false);
    expect(first.request).toEqual({ id: created.lastResponse.requestId, idempotency_key: 'evt-test-1' });
    // Snapshot: the created event still shows the intent as it was.
    const snapshot = first.data.object as Stripe.PaymentIntent;
    expect(snapshot.status).toBe('requires_payment_method');
    expect(snapshot.metadata).toEqual({});
    const latest = succeeded.data.object as Stripe.PaymentIntent;
    expect(latest.status).toBe('succeeded');
    expect(latest.metadata).toEqual({ invoice: 'INV-E' });
    expect(latest.latest_charge).toBe(confirmed.latest_charge);
    expect(succeeded.request?.id).toBe(confirmed.lastResponse.requestId);
    expect(succeeded.request?.idempotency_key).toMatch(/^stripe-node-retry-/);

    const fetched = await stripe.events.retrieve(first.id);
    expect(fetched).toEqual(first);
  });

  it('filters by type (with wildcards), types[] and created; paginates', async () => {
    await stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    await stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    const created = await stripe.events.list({ type: 'payment_intent.created' });
    expect(created.data).toHaveLength(2);
    const pis = await stripe.events.list({ type: 'payment_intent.*' });
    expect(pis.data.map((event) => event.type)).toEqual([
      'payment_intent.succeeded',
      'payment_intent.created',
      'payment_intent.succeeded',
      'payment_intent.created',
    ]);
    const charges = await stripe.events.list({ types: ['charge.succeeded', 'charge.failed'] });
    expect(charges.data.map((event) => event.type)).toEqual(['charge.succeeded', 'charge.succeeded']);
    const now = Math.floor(Date.now() / 1000);
    expect((await stripe.events.list({ created: { gte: now - 60 } })).data).toHaveLength(6);
    expect((await stripe.events.list({ created: { gt: now + 60 } })).data).toHaveLength(0);

    const page1 = await stripe.events.list({ limit: 4 });
    expect(page1.has_more).toBe(true);
    const page2 = await stripe.events.list({ limit: 4, starting_after: page1.data[3].id });
    expect(page2.has_more).toBe(false);
    expect(page2.data).toHaveLength(2);
    const all = [...page1.data, ...page2.data].map((event) => event.id);
    expect(new Set(all).size).toBe(6);
    const back = await stripe.events.list({ limit: 2, ending_before: page2.data[0].id });
    expect(back.data.map((event) => event.id)).toEqual([page1.data[2].id, page1.data[3].id]);
  });

  it('decline, cancel and failure events carry the right objects', async () => {
    await caught(() =>
      stripe.paymentIntents.create({
        amount: 1000,
        currency: 'usd',
        payment_method: 'pm_card_chargeDeclinedInsufficientFunds',
        confirm: true,
      }),
    );
    const [failed] = (await stripe.events.list({ type: 'payment_intent.payment_failed' })).data;
    const pi = failed.data.object as Stripe.PaymentIntent;
    expect(pi.last_payment_error?.decline_code).toBe('insufficient_funds');
    const [chargeFailed] = (await stripe.events.list({ type: 'charge.failed' })).data;
    expect((chargeFailed.data.object as Stripe.Charge).failure_message).toBe('Your card has insufficient funds.');
    await stripe.paymentIntents.cancel(pi.id);
    const [canceled] = (await stripe.events.list({ type: 'payment_intent.canceled' })).data;
    expect((canceled.data.object as Stripe.PaymentIntent).status).toBe('canceled');
    const action = await stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      payment_method: 'pm_card_authenticationRequired',
      confirm: true,
    });
    const [requiresAction] = (await stripe.events.list({ type: 'payment_intent.requires_action' })).data;
    expect((requiresAction.data.object as Stripe.PaymentIntent).id).toBe(action.id);
  });

  it('404s unknown events and rejects bad limits', async () => {
    const missing = await caught(() => stripe.events.retrieve('evt_missing'));
    expect(missing.statusCode).toBe(404);
    expect(missing.message).toBe("No such event: 'evt_missing'");
    const limit = await caught(() => stripe.events.list({ limit: 101 }));
    expect(limit.param).toBe('limit');
    const cursor = await caught(() => stripe.events.list({ starting_after: 'evt_nope' }));
    expect(cursor.param).toBe('starting_after');
  });

  it("the test-only event list (the bench's) filters by type and pages by offset", async () => {
    for (let i = 0; i < 3; i += 1)
      await stripe.paymentIntents.create({
        amount: 1000 + i,
        currency: 'usd',
        payment_method: 'pm_card_visa',
        confirm: true,
      });
    const page = async (query: string) =>
      asRecord((await control(standin, 'GET', `/_standin/events?type=payment_intent.succeeded&${query}`)).json) as {
        data: Array<{ data: { object: { amount: number } } }>;
        has_more: boolean;
      };
    const first = await page('offset=0&limit=2');
    expect(first.data.map((e) => e.data.object.amount)).toEqual([1000, 1001]);
    expect(first.has_more).toBe(true);
    const rest = await page('offset=2&limit=2');
    expect(rest.data.map((e) => e.data.object.amount)).toEqual([1002]);
    expect(rest.has_more).toBe(false);
    expect((await page('')).data).toHaveLength(3);
  });

  it('the bench pays invoices as their events are used and gets back exactly theirs, in order', async () => {
    const invoice = (n: number) => ({
      documentId: `feeddoc${n}`.padEnd(24, '0'),
      token: 'none',
      number: `FEED-${n}`,
      total: 2000 + n,
      email: 'feed@example.test',
    });
    const feed = new PaidEventFeed(stripe, standin.url);
    const first = await feed.pay([invoice(1), invoice(2)]);
    expect(first.map((e) => (e.data.object as unknown as { amount: number }).amount)).toEqual([2001, 2002]);
    // A payment that is not the feed's between two calls is skipped, not mistaken for one of them.
    await stripe.paymentIntents.create({
      amount: 9999,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    const second = await feed.pay([invoice(4), invoice(3)]);
    expect(second.map((e) => e.type)).toEqual(['payment_intent.succeeded', 'payment_intent.succeeded']);
    expect(second.map((e) => (e.data.object as unknown as { amount: number }).amount)).toEqual([2004, 2003]);
    expect(await feed.pay([])).toEqual([]);
  });
});
