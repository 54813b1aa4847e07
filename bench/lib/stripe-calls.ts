import { maskKey } from '../../tests/support/stripe-standin/auth';

/**
 * Stripe API calls made by the server, from the stand-in's per-key request counters
 * (GET /_standin/stats, `requestsByKey`). The bench drives the stand-in with a key of its own, so
 * only calls with the server's secret key count. Routes are the stand-in's patterns
 * ("GET /v1/payment_intents/:id"), which is how Stripe groups requests for its per-endpoint limit.
 *
 * Stripe's limits (https://docs.stripe.com/rate-limits): 100 requests/s per account in live mode,
 * 25 in a sandbox; each API endpoint 25 requests/s by default, and every
 * GET /v1/payment_intents/{id} counts against the one endpoint whatever the id.
 */
export const STRIPE_LIMITS = { liveGlobal: 100, sandboxGlobal: 25, perEndpoint: 25 } as const;

export type RouteCounts = Record<string, number>;

export interface StripeCalls {
  /** What the calls are divided by ("paid invoice", "payment-intent request"). */
  unit: string;
  units: number;
  total: number;
  perUnit: number;
  /** Per endpoint: calls and calls per unit. */
  byEndpoint: Record<string, { calls: number; perUnit: number }>;
}

/** The server's calls so far, by route. */
export async function serverCalls(standinUrl: string, serverSecretKey: string): Promise<RouteCounts> {
  const res = await fetch(`${standinUrl}/_standin/stats`);
  if (!res.ok) throw new Error(`GET /_standin/stats answered ${res.status}`);
  const stats = (await res.json()) as { requestsByKey?: Record<string, RouteCounts> };
  if (!stats.requestsByKey) throw new Error('the Stripe stand-in does not report requestsByKey');
  return { ...(stats.requestsByKey[maskKey(serverSecretKey)] ?? {}) };
}

const round3 = (v: number) => Math.round(v * 1000) / 1000;

/** Calls between two readings, divided by `units`. */
export function callsBetween(before: RouteCounts, after: RouteCounts, units: number, unit: string): StripeCalls {
  const byEndpoint: StripeCalls['byEndpoint'] = {};
  let total = 0;
  for (const [route, n] of Object.entries(after)) {
    const calls = n - (before[route] ?? 0);
    if (calls <= 0) continue;
    total += calls;
    byEndpoint[route] = { calls, perUnit: units > 0 ? round3(calls / units) : NaN };
  }
  return { unit, units, total, perUnit: units > 0 ? round3(total / units) : NaN, byEndpoint };
}

export interface PaymentCeiling {
  /** Calls per paid invoice, by endpoint: creating the intent plus settling the payment. */
  perInvoice: Record<string, number>;
  total: number;
  /** The endpoint(s) called most often per payment, and how often. */
  busiestEndpoint: string;
  busiestPerInvoice: number;
  /** Payments/s before Stripe answers 429: per-endpoint limit ÷ busiest endpoint's calls. */
  endpointCeiling: number;
  /** Payments/s from the account-wide limit ÷ all calls per payment. */
  liveCeiling: number;
  sandboxCeiling: number;
}

/** One paid invoice = one payment-intent request + one settled payment (the webhook). */
export function paymentCeiling(
  create: StripeCalls | undefined,
  settle: StripeCalls | undefined,
): PaymentCeiling | undefined {
  if (!create || !settle) return undefined;
  const perInvoice: Record<string, number> = {};
  for (const part of [create, settle]) {
    for (const [route, { perUnit }] of Object.entries(part.byEndpoint))
      perInvoice[route] = round3((perInvoice[route] ?? 0) + perUnit);
  }
  const entries = Object.entries(perInvoice).sort((a, b) => b[1] - a[1]);
  const busiestPerInvoice = entries[0]?.[1] ?? 0;
  // Ties are all named: each of them hits the per-endpoint limit at the same payment rate.
  const busiestEndpoint =
    entries
      .filter(([, v]) => v === busiestPerInvoice)
      .map(([route]) => route)
      .join(', ') || '–';
  const total = round3(entries.reduce((n, [, v]) => n + v, 0));
  const div = (limit: number, calls: number) => (calls > 0 ? Math.round((limit / calls) * 10) / 10 : Infinity);
  return {
    perInvoice,
    total,
    busiestEndpoint,
    busiestPerInvoice,
    endpointCeiling: div(STRIPE_LIMITS.perEndpoint, busiestPerInvoice),
    liveCeiling: div(STRIPE_LIMITS.liveGlobal, total),
    sandboxCeiling: div(STRIPE_LIMITS.sandboxGlobal, total),
  };
}

/** "1.00 (GET /v1/payment_intents/:id 1.00, GET /v1/refunds 0.01)" */
export function describeCalls(c: StripeCalls | undefined): string {
  if (!c) return '–';
  const parts = Object.entries(c.byEndpoint)
    .sort((a, b) => b[1].perUnit - a[1].perUnit)
    .map(([route, v]) => `${route} ${v.perUnit.toFixed(2)}`);
  return `${c.perUnit.toFixed(2)}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}
