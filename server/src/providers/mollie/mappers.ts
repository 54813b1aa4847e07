/**
 * Mollie objects -> the plugin's neutral shapes. Pure functions over the client's data types
 * (@mollie/api-client 4.6.0 `PaymentData`, `RefundData`, `ChargebackData`).
 */
import type { PaymentStatus } from '../../domain';
import type {
  PaymentMetadata,
  ProviderCheckoutSession,
  ProviderDispute,
  ProviderPayment,
  ProviderRefund,
  RefundMetadata,
} from '../types';
import { fromMollieAmount } from './amounts';

/** The subset of a Mollie payment this module reads (a `Payment` of the client satisfies it). */
export interface MolliePaymentLike {
  id: string;
  mode: string;
  status: string;
  createdAt: string;
  amount: { currency: string; value: string };
  amountRefunded?: { currency: string; value: string };
  amountChargedBack?: { currency: string; value: string };
  method?: string | null;
  metadata: unknown;
  expiresAt?: string;
  details?: unknown;
  _links: { checkout?: { href: string } | null; dashboard?: { href: string } | null };
  _embedded?: { refunds?: MollieRefundLike[]; chargebacks?: MollieChargebackLike[] };
}

export interface MollieRefundLike {
  id: string;
  amount: { currency: string; value: string };
  status: string;
  metadata: unknown;
  paymentId: string;
  description?: string;
}

export interface MollieChargebackLike {
  id: string;
  amount: { currency: string; value: string };
  reason?: { code: string; description: string } | null;
  reversedAt?: string | null;
  paymentId: string;
}

/** Our metadata on a Mollie payment (JSON, up to 1 KB: https://docs.mollie.com/reference/create-payment `metadata`). */
export const META_MARK = 'invoicePayments';

export function toMollieMetadata(m: PaymentMetadata): Record<string, unknown> {
  return {
    [META_MARK]: 1,
    invoiceDocumentId: m.invoiceDocumentId,
    invoiceNumber: m.invoiceNumber,
    portion: m.portion,
    fee: m.fee,
    viaCheckout: m.viaCheckout === true,
    ...(m.attemptId ? { attemptId: m.attemptId } : {}),
    ...(m.forClient ? { forClient: m.forClient } : {}),
  };
}

const record = (v: unknown): Record<string, unknown> | null =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;

/** Null when the payment was not made by this plugin. */
export function fromMollieMetadata(metadata: unknown): PaymentMetadata | null {
  const m = record(metadata);
  if (!m || m[META_MARK] !== 1 || typeof m.invoiceDocumentId !== 'string' || !m.invoiceDocumentId) return null;
  const int = (v: unknown) => (typeof v === 'number' && Number.isSafeInteger(v) ? v : NaN);
  return {
    invoiceDocumentId: m.invoiceDocumentId,
    invoiceNumber: typeof m.invoiceNumber === 'string' ? m.invoiceNumber : '',
    portion: int(m.portion),
    fee: m.fee === undefined ? 0 : int(m.fee),
    viaCheckout: m.viaCheckout === true,
    ...(typeof m.attemptId === 'string' && m.attemptId ? { attemptId: m.attemptId } : {}),
    // A payment from before the mark carried the client (true) matches no client's id.
    ...(typeof m.forClient === 'string' && m.forClient
      ? { forClient: m.forClient }
      : m.forClient === true
        ? { forClient: 'true' }
        : {}),
  };
}

export function toMollieRefundMetadata(m: RefundMetadata): Record<string, string> {
  return {
    [META_MARK]: '1',
    invoiceDocumentId: m.invoiceDocumentId,
    paymentRowId: m.paymentRowId,
    refundId: m.refundId,
  };
}

/**
 * Refund statuses (https://docs.mollie.com/docs/refunds, "Refund statuses"): `queued` (waiting for
 * balance) and `pending` can still be canceled, `processing` is on its way, `refunded` done,
 * `failed` came back (the money returns to the balance), `canceled` never left. The first three
 * hold the money like Stripe's pending; an unknown word counts as pending too (never as given back).
 */
export function mapRefundStatus(status: string): ProviderRefund['status'] {
  switch (status) {
    case 'refunded':
      return 'succeeded';
    case 'failed':
      return 'failed';
    case 'canceled':
      return 'canceled';
    default:
      return 'pending';
  }
}

export function mapRefund(r: MollieRefundLike): ProviderRefund {
  const meta = record(r.metadata);
  return {
    id: r.id,
    amount: fromMollieAmount(r.amount) ?? 0,
    currency: r.amount.currency.toUpperCase(),
    status: mapRefundStatus(r.status),
    failureReason: r.status === 'failed' ? 'failed' : null,
    reason: r.description ?? null,
    localId: meta && typeof meta.refundId === 'string' ? meta.refundId : null,
    paymentId: r.paymentId ?? null,
  };
}

/**
 * A chargeback (https://docs.mollie.com/reference/get-chargeback) has no status: the money is
 * taken back when it is created, and `reversedAt` is set when it is reversed (the money comes back).
 * So it is `open` (withdrawn, the admin is alerted, a card chargeback may still be defended through
 * Mollie) until reversed, then `won`. Mollie never reports a final "lost".
 */
export function mapChargeback(c: MollieChargebackLike): ProviderDispute {
  const reversed = typeof c.reversedAt === 'string' && c.reversedAt.length > 0;
  return {
    id: c.id,
    amount: fromMollieAmount(c.amount) ?? 0,
    currency: c.amount.currency.toUpperCase(),
    status: reversed ? 'won' : 'open',
    providerStatus: reversed ? 'reversed' : 'charged_back',
    reason: c.reason ? `${c.reason.code}${c.reason.description ? `: ${c.reason.description}` : ''}` : null,
  };
}

/**
 * Payment statuses (https://docs.mollie.com/docs/status-change):
 * - `open`: created, nothing happened yet (customer still on the checkout) -> pending;
 * - `pending`: the payment process started, not complete -> processing;
 * - `authorized`: held, to be captured (cards with manual capture, Klarna, Billie) -> processing;
 * - `paid` -> succeeded (refunds and chargebacks on top, below);
 * - `canceled` (the customer canceled; definitive) and `expired` (abandoned; definitive, may take
 *   days for bank transfer) -> canceled: nothing will ever be paid on this payment;
 * - `failed` (definitive) -> failed.
 * An unknown word is read as still in progress, which the plugin never ends on its own.
 */
export function baseStatus(status: string): PaymentStatus {
  switch (status) {
    case 'open':
      return 'pending';
    case 'pending':
    case 'authorized':
      return 'processing';
    case 'paid':
      return 'succeeded';
    case 'canceled':
    case 'expired':
      return 'canceled';
    case 'failed':
      return 'failed';
    default:
      return 'processing';
  }
}

function unixSeconds(iso: string | null | undefined): number {
  const t = iso ? Date.parse(iso) : NaN;
  return Number.isFinite(t) ? Math.floor(t / 1000) : Math.floor(Date.now() / 1000);
}

/**
 * The payment's chargebacks as one dispute. A payment can have several (partial) chargebacks
 * (https://docs.mollie.com/reference/list-payment-chargebacks; `amountChargedBack` on the payment is
 * their total): while any is not reversed, the dispute is open for the sum of those, under the
 * first open one's id; once all are reversed, the newest one, won.
 */
function currentChargeback(list: MollieChargebackLike[] | undefined): ProviderDispute | null {
  if (!list || list.length === 0) return null;
  const open = list.filter((c) => !c.reversedAt);
  if (open.length === 0) return mapChargeback(list[0]);
  return { ...mapChargeback(open[0]), amount: open.reduce((sum, c) => sum + (fromMollieAmount(c.amount) ?? 0), 0) };
}

/**
 * Brand or bank and last four digits from the payment's `details`
 * (https://docs.mollie.com/reference/get-payment): a card's `cardLabel` and `cardNumber` (its last
 * four digits), or the client's account (`consumerAccount`, an IBAN) for bank methods.
 */
function methodDetailOf(details: Record<string, unknown> | null): ProviderPayment['methodDetail'] {
  if (!details) return null;
  const text = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim().slice(0, 60) : null);
  const last4 = (v: unknown) => {
    const digits = typeof v === 'string' ? v.replace(/\s/g, '').slice(-4) : '';
    return /^\d{4}$/.test(digits) ? digits : null;
  };
  const detail = { label: text(details.cardLabel), last4: last4(details.cardNumber ?? details.consumerAccount) };
  return detail.label || detail.last4 ? detail : null;
}

export function mapPayment(p: MolliePaymentLike, opts: { refundsListed?: boolean } = {}): ProviderPayment {
  const amount = fromMollieAmount(p.amount) ?? 0;
  const base = baseStatus(p.status);
  const amountRefunded = fromMollieAmount(p.amountRefunded) ?? 0;
  const refunds = (p._embedded?.refunds ?? []).map(mapRefund);
  const dispute = currentChargeback(p._embedded?.chargebacks);
  let status = base;
  if (base === 'succeeded') {
    if (dispute && dispute.status === 'open') status = 'disputed';
    else if (amountRefunded >= amount && amount > 0) status = 'refunded';
    else if (amountRefunded > 0) status = 'partially_refunded';
  }
  const failed = p.status === 'failed';
  const details = record(p.details);
  return {
    id: p.id,
    status,
    amount,
    amountReceived: base === 'succeeded' ? amount : 0,
    currency: p.amount.currency.toUpperCase(),
    livemode: p.mode === 'live',
    // Mollie has no separate charge object: the payment is the charge.
    chargeId: base === 'succeeded' ? p.id : null,
    providerFee: null,
    method: p.method ?? null,
    methodDetail: methodDetailOf(details),
    clientSecret: null,
    failureCode: failed
      ? typeof details?.failureReason === 'string'
        ? details.failureReason
        : 'payment_failed'
      : null,
    failureMessage: failed
      ? typeof details?.failureMessage === 'string'
        ? details.failureMessage
        : 'The payment failed at Mollie.'
      : null,
    metadata: fromMollieMetadata(p.metadata),
    amountRefunded,
    refunds,
    refundsListed: opts.refundsListed ?? false,
    dispute,
    created: unixSeconds(p.createdAt),
    nextAction: null,
  };
}

/**
 * A Mollie payment is itself the hosted checkout (`_links.checkout`), so it doubles as the
 * plugin's "Checkout session": same id, the payment is the session's payment.
 */
export function mapPaymentAsCheckout(p: MolliePaymentLike): ProviderCheckoutSession {
  const base = baseStatus(p.status);
  const metadata = fromMollieMetadata(p.metadata);
  return {
    id: p.id,
    // A paid payment completed the checkout; canceled, expired and failed ones can no longer be paid.
    status: base === 'succeeded' ? 'complete' : base === 'canceled' || base === 'failed' ? 'expired' : 'open',
    paymentStatus: base === 'succeeded' ? 'paid' : 'unpaid',
    paymentId: p.id,
    url: p._links.checkout?.href ?? null,
    clientSecret: null,
    amount: fromMollieAmount(p.amount) ?? 0,
    currency: p.amount.currency.toUpperCase(),
    metadata,
    livemode: p.mode === 'live',
    ui: 'hosted',
    expiresAt: p.expiresAt ? unixSeconds(p.expiresAt) : null,
    created: unixSeconds(p.createdAt),
  };
}
