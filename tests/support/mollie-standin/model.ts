/**
 * The Mollie stand-in's objects, shaped like Mollie's API v2 answers (the fields the plugin and the
 * official client read). Sources: https://docs.mollie.com/reference/get-payment,
 * https://docs.mollie.com/reference/get-refund, https://docs.mollie.com/reference/get-chargeback.
 */
export type PaymentStatus = 'open' | 'pending' | 'authorized' | 'paid' | 'canceled' | 'expired' | 'failed';
export type RefundStatus = 'queued' | 'pending' | 'processing' | 'refunded' | 'failed' | 'canceled';
export type Mode = 'test' | 'live';

export interface Amount {
  currency: string;
  value: string;
}

export interface PaymentRecord {
  id: string;
  mode: Mode;
  /** The API key that made it (objects are invisible to the other mode's keys). */
  keyMode: Mode;
  createdAt: string;
  status: PaymentStatus;
  amount: Amount;
  description: string;
  redirectUrl: string | null;
  /** The hosted page's language as asked (create-payment `locale`), or null. */
  locale?: string | null;
  cancelUrl: string | null;
  webhookUrl: string | null;
  metadata: unknown;
  method: string | null;
  paidAt?: string;
  canceledAt?: string;
  expiredAt?: string;
  failedAt?: string;
  expiresAt: string;
  details: Record<string, unknown> | null;
  refunds: RefundRecord[];
  chargebacks: ChargebackRecord[];
}

export interface RefundRecord {
  id: string;
  mode: Mode;
  createdAt: string;
  amount: Amount;
  description: string;
  metadata: unknown;
  status: RefundStatus;
  paymentId: string;
}

export interface ChargebackRecord {
  id: string;
  createdAt: string;
  amount: Amount;
  reason: { code: string; description: string } | null;
  reversedAt: string | null;
  paymentId: string;
}

/** Decimal places per currency (https://docs.mollie.com/payments/multicurrency). */
export const DECIMALS: Record<string, number> = {
  AED: 2,
  AUD: 2,
  BGN: 2,
  BRL: 2,
  CAD: 2,
  CHF: 2,
  CZK: 2,
  DKK: 2,
  EUR: 2,
  GBP: 2,
  HKD: 2,
  HUF: 2,
  ILS: 2,
  ISK: 0,
  JPY: 0,
  MXN: 2,
  MYR: 2,
  NOK: 2,
  NZD: 2,
  PHP: 2,
  PLN: 2,
  RON: 2,
  SEK: 2,
  SGD: 2,
  THB: 2,
  TWD: 2,
  USD: 2,
  ZAR: 2,
};

/** Amount in hundredths-free integer units of the currency's decimals ("10.00" EUR -> 1000). */
export function units(a: Amount): number {
  const d = DECIMALS[a.currency] ?? 2;
  const [whole, frac = ''] = a.value.split('.');
  return Number(whole) * 10 ** d + Number((frac + '00').slice(0, d) || '0');
}

export function amountOf(n: number, currency: string): Amount {
  const d = DECIMALS[currency] ?? 2;
  const s = String(n).padStart(d + 1, '0');
  return { currency, value: d === 0 ? s : `${s.slice(0, -d)}.${s.slice(-d)}` };
}

/** The isCancelable rule the stand-in follows: Mollie lets a payment be canceled only once a method that allows it was chosen (bank transfer); open payments without one expire on their own (https://docs.mollie.com/reference/cancel-payment). */
export function isCancelable(p: PaymentRecord): boolean {
  return (p.status === 'open' || p.status === 'pending') && p.method === 'banktransfer';
}

export function paymentJson(p: PaymentRecord, base: string, embed: readonly string[] = []): Record<string, unknown> {
  const refunded = p.refunds
    .filter((r) => r.status !== 'failed' && r.status !== 'canceled')
    .reduce((s, r) => s + units(r.amount), 0);
  const chargedBack = p.chargebacks.filter((c) => !c.reversedAt).reduce((s, c) => s + units(c.amount), 0);
  const paid = p.status === 'paid';
  const body: Record<string, unknown> = {
    resource: 'payment',
    id: p.id,
    mode: p.mode,
    createdAt: p.createdAt,
    status: p.status,
    isCancelable: isCancelable(p),
    amount: p.amount,
    ...(paid
      ? {
          amountRefunded: amountOf(refunded, p.amount.currency),
          amountRemaining: amountOf(units(p.amount) - refunded - chargedBack, p.amount.currency),
        }
      : {}),
    ...(p.chargebacks.length ? { amountChargedBack: amountOf(chargedBack, p.amount.currency) } : {}),
    description: p.description,
    method: p.method,
    metadata: p.metadata,
    locale: p.locale ?? 'en_US',
    profileId: 'pfl_standin',
    sequenceType: 'oneoff',
    redirectUrl: p.redirectUrl,
    ...(p.cancelUrl ? { cancelUrl: p.cancelUrl } : {}),
    ...(p.webhookUrl ? { webhookUrl: p.webhookUrl } : {}),
    ...(p.status === 'open' ? { expiresAt: p.expiresAt } : {}),
    ...(p.paidAt ? { paidAt: p.paidAt } : {}),
    ...(p.canceledAt ? { canceledAt: p.canceledAt } : {}),
    ...(p.expiredAt ? { expiredAt: p.expiredAt } : {}),
    ...(p.failedAt ? { failedAt: p.failedAt } : {}),
    details: p.details,
    _links: {
      self: { href: `${base}/v2/payments/${p.id}`, type: 'application/hal+json' },
      ...(p.status === 'open' ? { checkout: { href: `${base}/checkout/${p.id}`, type: 'text/html' } } : {}),
      dashboard: { href: `https://my.mollie.com/dashboard/payments/${p.id}`, type: 'text/html' },
      ...(p.refunds.length
        ? { refunds: { href: `${base}/v2/payments/${p.id}/refunds`, type: 'application/hal+json' } }
        : {}),
      ...(p.chargebacks.length
        ? { chargebacks: { href: `${base}/v2/payments/${p.id}/chargebacks`, type: 'application/hal+json' } }
        : {}),
      documentation: { href: 'https://docs.mollie.com/reference/get-payment', type: 'text/html' },
    },
  };
  const embedded: Record<string, unknown> = {};
  if (embed.includes('refunds')) embedded.refunds = p.refunds.map((r) => refundJson(r, base));
  if (embed.includes('chargebacks')) embedded.chargebacks = p.chargebacks.map((c) => chargebackJson(c, base));
  if (Object.keys(embedded).length) body._embedded = embedded;
  return body;
}

export function refundJson(r: RefundRecord, base: string): Record<string, unknown> {
  return {
    resource: 'refund',
    id: r.id,
    mode: r.mode,
    amount: r.amount,
    description: r.description,
    metadata: r.metadata,
    status: r.status,
    paymentId: r.paymentId,
    createdAt: r.createdAt,
    _links: {
      self: { href: `${base}/v2/payments/${r.paymentId}/refunds/${r.id}`, type: 'application/hal+json' },
      payment: { href: `${base}/v2/payments/${r.paymentId}`, type: 'application/hal+json' },
      documentation: { href: 'https://docs.mollie.com/reference/get-refund', type: 'text/html' },
    },
  };
}

export function chargebackJson(c: ChargebackRecord, base: string): Record<string, unknown> {
  return {
    resource: 'chargeback',
    id: c.id,
    amount: c.amount,
    settlementAmount: { currency: 'EUR', value: `-${c.amount.value}` },
    createdAt: c.createdAt,
    reason: c.reason,
    reversedAt: c.reversedAt,
    paymentId: c.paymentId,
    _links: {
      self: { href: `${base}/v2/payments/${c.paymentId}/chargebacks/${c.id}`, type: 'application/hal+json' },
      payment: { href: `${base}/v2/payments/${c.paymentId}`, type: 'application/hal+json' },
      documentation: { href: 'https://docs.mollie.com/reference/get-chargeback', type: 'text/html' },
    },
  };
}
