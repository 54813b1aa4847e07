import { createHmac } from 'node:crypto';
import Stripe from 'stripe';
import type { SeededInvoice } from './db';

/**
 * Stripe-side fixtures on the stand-in: one succeeded PaymentIntent per invoice, created the way
 * the plugin creates them (its metadata keys), then the `payment_intent.succeeded` events Stripe
 * would deliver, ready to be signed and replayed by the load generator.
 */
export const META = {
  invoice: 'invoice_payments_invoice',
  number: 'invoice_payments_number',
  portion: 'invoice_payments_portion',
  fee: 'invoice_payments_fee',
} as const;

export function standinClient(standinUrl: string, secretKey: string): Stripe {
  const u = new URL(standinUrl);
  return new Stripe(secretKey, {
    host: u.hostname,
    port: Number(u.port),
    protocol: 'http',
    telemetry: false,
    maxNetworkRetries: 2,
  });
}

/** Runs `work` over `items` with at most `concurrency` in flight; results in input order. */
export async function inPool<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next;
        next += 1;
        results[i] = await work(items[i]!, i);
      }
    }),
  );
  return results;
}

/** Creates and confirms (pm_card_visa) one intent per invoice; returns invoice documentId -> intent id. */
export async function paidIntents(
  stripe: Stripe,
  invoices: readonly SeededInvoice[],
  concurrency = 16,
): Promise<Map<string, string>> {
  const byInvoice = new Map<string, string>();
  await inPool(invoices, concurrency, async (inv) => {
    const pi = await stripe.paymentIntents.create(
      {
        amount: inv.total,
        currency: 'usd',
        payment_method: 'pm_card_visa',
        confirm: true,
        return_url: 'http://localhost/return',
        description: `Invoice ${inv.number}`,
        metadata: {
          [META.invoice]: inv.documentId,
          [META.number]: inv.number,
          [META.portion]: String(inv.total),
          [META.fee]: '0',
        },
      },
      { idempotencyKey: `bench-pi-${inv.documentId}` },
    );
    byInvoice.set(inv.documentId, pi.id);
  });
  return byInvoice;
}

export type StripeEvent = {
  id: string;
  type: string;
  data: { object: { id: string; metadata?: Record<string, string> } };
} & Record<string, unknown>;

/**
 * Events of the stand-in (oldest first) from the `from`-th on, optionally of one type, read a page
 * at a time (a full run's list as one JSON string passed V8's longest string).
 */
export async function standinEvents(standinUrl: string, type?: string, from = 0): Promise<StripeEvent[]> {
  const events: StripeEvent[] = [];
  const PAGE = 20_000;
  for (let more = true; more;) {
    const query = new URLSearchParams({ offset: String(from + events.length), limit: String(PAGE) });
    if (type) query.set('type', type);
    const res = await fetch(`${standinUrl}/_standin/events?${query}`);
    if (!res.ok)
      throw new Error(`the stand-in's event list answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
    const page = (await res.json()) as { data: StripeEvent[]; has_more: boolean };
    events.push(...page.data);
    more = page.has_more && page.data.length > 0;
  }
  return events;
}

/** The `payment_intent.succeeded` event of each given invoice, in the invoices' order. */
export async function succeededEvents(standinUrl: string, invoices: readonly SeededInvoice[]): Promise<StripeEvent[]> {
  const events = await standinEvents(standinUrl, 'payment_intent.succeeded');
  return inInvoiceOrder(new Map(events.map((e) => [invoiceOf(e), e])), invoices);
}

const invoiceOf = (e: StripeEvent) => e.data.object.metadata?.[META.invoice];

function inInvoiceOrder(byInvoice: ReadonlyMap<string | undefined, StripeEvent>, invoices: readonly SeededInvoice[]) {
  return invoices.map((inv) => {
    const e = byInvoice.get(inv.documentId);
    if (!e) throw new Error(`no payment_intent.succeeded event for invoice ${inv.number}`);
    return e;
  });
}

/**
 * Pays invoices at the stand-in only when their events are about to be delivered, and reads only
 * the events that are new since the last call. Paying a full run's invoices up front (~400,000 on a
 * fast floor, seeded with a margin) kept every intent, charge and event in the stand-in at once
 * (~13 KB each) and it stopped answering; paid as used, only the delivered ones are kept.
 */
export class PaidEventFeed {
  private read = 0;

  constructor(
    private readonly stripe: Stripe,
    private readonly standinUrl: string,
  ) {}

  /** Pays these invoices; returns their `payment_intent.succeeded` events in the invoices' order. */
  async pay(invoices: readonly SeededInvoice[]): Promise<StripeEvent[]> {
    if (invoices.length === 0) return [];
    await paidIntents(this.stripe, invoices);
    const fresh = await standinEvents(this.standinUrl, 'payment_intent.succeeded', this.read);
    this.read += fresh.length;
    return inInvoiceOrder(new Map(fresh.map((e) => [invoiceOf(e), e])), invoices);
  }
}

/** Stripe's wire format: pretty-printed JSON, signed `t=<unix>,v1=<hmac>` (one v1 per secret). */
export function signedDelivery(
  event: StripeEvent | string,
  secrets: string | readonly string[],
  timestamp = Math.floor(Date.now() / 1000),
) {
  const body = typeof event === 'string' ? event : JSON.stringify(event, null, 2);
  const list = typeof secrets === 'string' ? [secrets] : secrets;
  const v1 = list
    .map((s) => `v1=${createHmac('sha256', s).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`)
    .join(',');
  return { body, signature: `t=${timestamp},${v1}` };
}

/** A template of a stored event payload (compact JSON) with `__EVT__` / `__OBJ__` placeholders. */
export function eventTemplate(event: StripeEvent): string {
  return JSON.stringify(event).split(event.id).join('__EVT__').split(event.data.object.id).join('__OBJ__');
}
