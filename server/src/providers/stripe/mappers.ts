import type Stripe from 'stripe';
import type { PaymentStatus } from '../../domain';
import type { PaymentMetadata, RefundMetadata, ProviderCheckoutSession, ProviderDispute, ProviderPayment, ProviderRefund } from '../types';

/** Metadata keys on every Stripe object the plugin creates. */
export const META = {
  invoice: 'invoice_payments_invoice',
  number: 'invoice_payments_number',
  portion: 'invoice_payments_portion',
  fee: 'invoice_payments_fee',
  checkout: 'invoice_payments_checkout',
  /** On refunds: the ledger entry refunded, and the refund row that reserved the refund. */
  payment: 'invoice_payments_payment',
  refund: 'invoice_payments_refund',
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

export function toStripeRefundMetadata(m: RefundMetadata): Record<string, string> {
  return { [META.invoice]: m.invoiceDocumentId, [META.payment]: m.paymentRowId, [META.refund]: m.refundId };
}

/**
 * https://docs.stripe.com/api/refunds/object: `status` is `pending`, `requires_action`,
 * `succeeded`, `failed` or `canceled` (SDK 23.1.0 types it as a string); anything else is read
 * as pending, i.e. still holding the money, never as returned to the merchant.
 */
export function mapRefund(r: Stripe.Refund): ProviderRefund {
  const status = r.status === 'succeeded' || r.status === 'failed' || r.status === 'canceled' || r.status === 'requires_action' ? r.status : 'pending';
  const pi = r.payment_intent;
  return {
    id: r.id,
    amount: r.amount,
    currency: r.currency.toUpperCase(),
    status,
    failureReason: r.failure_reason ?? null,
    reason: r.reason ?? null,
    localId: r.metadata?.[META.refund] ?? null,
    paymentId: pi == null ? null : typeof pi === 'string' ? pi : pi.id,
  };
}

export function mapDispute(d: Stripe.Dispute): ProviderDispute {
  const status = d.status === 'won' || d.status === 'warning_closed' ? 'won' : d.status === 'lost' ? 'lost' : 'open';
  return { id: d.id, amount: d.amount, currency: d.currency.toUpperCase(), status, reason: d.reason ?? null };
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
  if (dispute && dispute.status !== 'won') return 'disputed';
  if (amountRefunded >= pi.amount_received && pi.amount_received > 0) return 'refunded';
  if (amountRefunded > 0) return 'partially_refunded';
  return 'succeeded';
}

export function mapPayment(pi: Stripe.PaymentIntent, charge: Stripe.Charge | null, refunds: ProviderRefund[], dispute: ProviderDispute | null, refundsListed = false): ProviderPayment {
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
    refundsListed,
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
