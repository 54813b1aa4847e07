import type Stripe from 'stripe';
import type { DisputeStatus, PaymentStatus } from '../../domain';
import type { PaymentMetadata, ProviderCheckoutSession, ProviderDispute, ProviderPayment, ProviderRefund } from '../types';

/** Metadata keys on every Stripe object the plugin creates. */
export const META = {
  invoice: 'invoice_payments_invoice',
  number: 'invoice_payments_number',
  portion: 'invoice_payments_portion',
  fee: 'invoice_payments_fee',
  checkout: 'invoice_payments_checkout',
} as const;

export function toStripeMetadata(m: PaymentMetadata): Record<string, string> {
  return {
    [META.invoice]: m.invoiceDocumentId,
    [META.number]: m.invoiceNumber,
    [META.portion]: String(m.portion),
    [META.fee]: String(m.fee),
    ...(m.viaCheckout ? { [META.checkout]: 'true' } : {}),
  };
}

/** Null when the object was not created by this plugin (no invoice metadata). */
export function fromStripeMetadata(metadata: Stripe.Metadata | null | undefined): PaymentMetadata | null {
  const invoice = metadata?.[META.invoice];
  if (!invoice) return null;
  const portion = Number(metadata[META.portion]);
  const fee = Number(metadata[META.fee] ?? '0');
  return {
    invoiceDocumentId: invoice,
    invoiceNumber: metadata[META.number] ?? '',
    portion: Number.isSafeInteger(portion) ? portion : NaN,
    fee: Number.isSafeInteger(fee) ? fee : NaN,
    viaCheckout: metadata[META.checkout] === 'true',
  };
}

export function mapRefund(r: Stripe.Refund): ProviderRefund {
  const status = r.status === 'succeeded' || r.status === 'failed' || r.status === 'canceled' ? r.status : 'pending';
  return { id: r.id, amount: r.amount, currency: r.currency.toUpperCase(), status, failureReason: r.failure_reason ?? null, reason: r.reason ?? null };
}

/** The literal members of a Stripe enum type, without the SDK's open-ended `OtherString`. */
type KnownValues<T> = T extends string ? (string extends T ? never : T) : never;
export type KnownStripeDisputeStatus = KnownValues<Stripe.Dispute.Status>;

/**
 * Every `Dispute.Status` of the pinned SDK (23.1.0), and what it means for the money. Typed as a
 * complete Record so that an SDK upgrade adding a status fails the typecheck until it is mapped here.
 * Sources: https://docs.stripe.com/api/disputes/object (status), https://docs.stripe.com/disputes/how-disputes-work
 * (inquiries, chargebacks, appeals), https://docs.stripe.com/disputes/prevention-preview and
 * https://docs.stripe.com/changelog/basil/2025-08-27/add-preventions-to-dispute (`prevented`).
 */
export const STRIPE_DISPUTE_STATUS: Record<KnownStripeDisputeStatus, Exclude<DisputeStatus, 'unknown'>> = {
  // An inquiry (a "warning"): the issuer asks questions before any chargeback; answering it in time
  // can keep it from escalating, so it is open and the admin is alerted.
  warning_needs_response: 'open',
  warning_under_review: 'open',
  // The inquiry closed without becoming a chargeback: no money moved, nothing is disputed any more.
  warning_closed: 'closed',
  // A formal chargeback: the money was withdrawn until the network decides.
  needs_response: 'open',
  under_review: 'open',
  // A second round after a decision (an appeal / pre-arbitration): still undecided, still open.
  appeal_needs_response: 'open',
  appeal_under_review: 'open',
  won: 'won',
  lost: 'lost',
  // Blocked or resolved by a prevention service before it became a chargeback: the merchant keeps
  // the money and pays no dispute fee, so it is neither open nor lost.
  prevented: 'closed',
};

/** The money meaning of a Stripe dispute status; `unknown` for a status this SDK does not list. */
export function disputeStatusOf(status: string): DisputeStatus {
  return Object.prototype.hasOwnProperty.call(STRIPE_DISPUTE_STATUS, status) ? STRIPE_DISPUTE_STATUS[status as KnownStripeDisputeStatus] : 'unknown';
}

export function mapDispute(d: Stripe.Dispute): ProviderDispute {
  return { id: d.id, amount: d.amount, currency: d.currency.toUpperCase(), status: disputeStatusOf(d.status), providerStatus: d.status, reason: d.reason ?? null };
}

function baseStatus(pi: Stripe.PaymentIntent): PaymentStatus {
  switch (pi.status) {
    case 'succeeded':
      return 'succeeded';
    case 'processing':
    case 'requires_capture':
      return 'processing';
    case 'requires_action':
      return 'requires_action';
    case 'canceled':
      return 'canceled';
    case 'requires_payment_method':
      return pi.last_payment_error ? 'failed' : 'pending';
    default:
      return 'pending';
  }
}

/** The ledger status of a payment from Stripe's current truth: refunds and disputes on top of success. */
export function paymentStatus(pi: Stripe.PaymentIntent, amountRefunded: number, dispute: ProviderDispute | null): PaymentStatus {
  const base = baseStatus(pi);
  if (base !== 'succeeded') return base;
  // Open or lost: the money is (or may be) gone. Won, closed or prevented: kept. Unknown: the status
  // from the charge alone; settlement keeps an earlier `disputed` and flags the invoice.
  if (dispute && (dispute.status === 'open' || dispute.status === 'lost')) return 'disputed';
  if (amountRefunded >= pi.amount_received && pi.amount_received > 0) return 'refunded';
  if (amountRefunded > 0) return 'partially_refunded';
  return 'succeeded';
}

export function mapPayment(pi: Stripe.PaymentIntent, charge: Stripe.Charge | null, refunds: ProviderRefund[], dispute: ProviderDispute | null): ProviderPayment {
  const amountRefunded = charge?.amount_refunded ?? 0;
  const err = pi.last_payment_error;
  return {
    id: pi.id,
    status: paymentStatus(pi, amountRefunded, dispute),
    amount: pi.amount,
    amountReceived: pi.amount_received ?? 0,
    currency: pi.currency.toUpperCase(),
    livemode: pi.livemode,
    chargeId: charge?.id ?? null,
    method: charge?.payment_method_details?.type ?? pi.payment_method_types?.[0] ?? null,
    clientSecret: pi.client_secret ?? null,
    failureCode: err ? (err.decline_code ?? err.code ?? 'payment_failed') : null,
    failureMessage: err?.message ?? null,
    metadata: fromStripeMetadata(pi.metadata),
    amountRefunded,
    refunds,
    dispute,
    created: pi.created,
  };
}

export function mapCheckoutSession(s: Stripe.Checkout.Session): ProviderCheckoutSession {
  const paymentId = typeof s.payment_intent === 'string' ? s.payment_intent : (s.payment_intent?.id ?? null);
  return {
    id: s.id,
    status: s.status === 'complete' ? 'complete' : s.status === 'expired' ? 'expired' : 'open',
    paymentStatus: s.payment_status === 'paid' ? 'paid' : s.payment_status === 'no_payment_required' ? 'no_payment_required' : 'unpaid',
    paymentId,
    url: s.url ?? null,
    clientSecret: s.client_secret ?? null,
    amount: s.amount_total ?? 0,
    currency: (s.currency ?? '').toUpperCase(),
    metadata: fromStripeMetadata(s.metadata),
    livemode: s.livemode,
  };
}
