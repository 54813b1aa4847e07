import Stripe from 'stripe';
import { KEYS, PAYMENT, intentMadeElsewhere, payableInvoice, payWith, type PaymentsEnv } from './payments';
import { holdQueue } from './queue-hold';

/**
 * Posting Stripe events as Stripe would (signed with the endpoint's secret) and paying invoices at
 * the stand-in with their events held back, for the tests of settlement from events
 * (settle-from-event and the attack-settle-* files).
 */
export const EVENT = 'plugin::invoice-payments.webhook-event';
export const NOTICE = 'plugin::invoice-payments.notice';

export const uniq = () => `${Date.now()}${Math.random().toString(36).slice(2, 8)}`;

/** `env` is read on each call: suites create it in beforeAll. */
export function stripeEvents(env: () => PaymentsEnv) {
  const eventRow = (providerEventId: string) =>
    env().app.strapi.db.query(EVENT).findOne({ where: { providerEventId } });
  const paymentsOf = (documentId: string) =>
    env()
      .app.strapi.db.query(PAYMENT)
      .findMany({ where: { invoice: { documentId } } });
  /** Every event the stand-in made about one object, of one type, oldest first. */
  const eventsFor = (objectId: string, type: string) =>
    env()
      .standin.control.events()
      .filter((e) => (e.data as { object: { id: string } }).object.id === objectId && e.type === type);
  /** Server reads of PaymentIntents so far (the stand-in's counter). */
  const reads = () => env().standin.control.stats().requestsByRoute['GET /v1/payment_intents/:id'] ?? 0;

  /** Posts a Stripe event signed with the endpoint's secret. */
  async function postEvent(event: Record<string, unknown>) {
    const raw = JSON.stringify(event);
    const signature = Stripe.webhooks.generateTestHeaderString({ payload: raw, secret: KEYS.webhookSecret });
    return env()
      .app.http()
      .post('/api/invoice-payments/webhooks/stripe')
      .set('Content-Type', 'application/json')
      .set('Stripe-Signature', signature)
      .send(raw);
  }

  /** An invoice paid by card at the stand-in (webhooks held back), with its payment_intent.succeeded. */
  async function paidAtStripe(email = `s${uniq()}@example.test`) {
    const inv = await payableInvoice(env(), { billingEmail: email });
    const res = await env()
      .app.http()
      .post(`/api/invoice-payments/invoices/${inv.documentId}/payment-intent`)
      .send({ token: inv.token });
    expect(res.status).toBe(200);
    const piId = res.body.data.providerPaymentId as string;
    await payWith(env(), piId, 'pm_card_visa');
    const [succeeded] = eventsFor(piId, 'payment_intent.succeeded');
    expect(succeeded).toBeDefined();
    return { ...inv, piId, succeeded: succeeded! as unknown as Record<string, unknown> };
  }

  /**
   * One invoice paid twice at the stand-in (webhooks held back): by the pay page's PaymentIntent
   * (`first`) and by one made elsewhere for the same invoice (`other`, an old tab), with the
   * payment_intent.succeeded of each (`evA`, `evB`).
   */
  async function paidTwiceAtStripe(email = `over${uniq()}@example.test`) {
    const inv = await paidAtStripe(email);
    const total = inv.row.total as number;
    const other = await intentMadeElsewhere(env(), inv.documentId, total);
    await payWith(env(), other.id, 'pm_card_visa');
    const evB = eventsFor(other.id, 'payment_intent.succeeded')[0] as unknown as Record<string, unknown>;
    return { inv, first: inv.piId, other, total, evA: inv.succeeded, evB };
  }

  /** `n` invoices paid at the stand-in (paidAtStripe), each with its own billing email. */
  async function paidMany(n: number, prefix = 'p') {
    const paid: Array<Awaited<ReturnType<typeof paidAtStripe>> & { email: string }> = [];
    for (let i = 0; i < n; i += 1) {
      const email = `${prefix}${uniq()}@example.test`;
      paid.push({ ...(await paidAtStripe(email)), email });
    }
    return paid;
  }

  /**
   * Posts `events` one after another while the in-process queue is held (holdQueue) behind the
   * batch of an opener invoice's payment: once let go, they are settled together. Returns the
   * opener's billing email (its confirmation is sent too).
   */
  async function postHeld(events: Array<Record<string, unknown>>): Promise<string> {
    const openerEmail = `open${uniq()}@example.test`;
    const hold = await holdQueue(env(), async () => {
      const opener = await paidAtStripe(openerEmail);
      expect((await postEvent(opener.succeeded)).status).toBe(200);
    });
    try {
      for (const e of events) expect((await postEvent(e)).status).toBe(200);
    } finally {
      hold.release();
    }
    return openerEmail;
  }

  return { eventRow, paymentsOf, eventsFor, reads, postEvent, paidAtStripe, paidTwiceAtStripe, paidMany, postHeld };
}
