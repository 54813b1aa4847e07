import { createHash } from 'node:crypto';
import type Stripe from 'stripe';
import type { DisputeStatus, NextAction, NextActionKind, PaymentStatus } from '../../domain';
import type {
  PaymentMetadata,
  RefundMetadata,
  ProviderCheckoutSession,
  ProviderDispute,
  ProviderPayment,
  ProviderRefund,
} from '../types';

/** Metadata keys on every Stripe object the plugin creates. */
export const META = {
  invoice: 'invoice_payments_invoice',
  number: 'invoice_payments_number',
  portion: 'invoice_payments_portion',
  fee: 'invoice_payments_fee',
  checkout: 'invoice_payments_checkout',
  attempt: 'invoice_payments_attempt',
  /** On a payment for several invoices: the plugin's payment group. */
  group: 'invoice_payments_group',
  /** On a payment made on the logged-in client's own page: the client's id (PaymentMetadata.forClient). */
  client: 'invoice_payments_for_client',
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
    ...(m.attemptId ? { [META.attempt]: m.attemptId } : {}),
    ...(m.paymentGroupId ? { [META.group]: m.paymentGroupId } : {}),
    ...(m.forClient ? { [META.client]: m.forClient } : {}),
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
    ...(metadata[META.attempt] ? { attemptId: metadata[META.attempt] } : {}),
    ...(metadata[META.group] ? { paymentGroupId: metadata[META.group] } : {}),
    // Kept as written: a payment from before the mark carried the client ('true') matches no client's
    // id, so it is handed to no one and saves for no one.
    ...(metadata[META.client] ? { forClient: metadata[META.client] } : {}),
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
  const status =
    r.status === 'succeeded' || r.status === 'failed' || r.status === 'canceled' || r.status === 'requires_action'
      ? r.status
      : 'pending';
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
  return Object.prototype.hasOwnProperty.call(STRIPE_DISPUTE_STATUS, status)
    ? STRIPE_DISPUTE_STATUS[status as KnownStripeDisputeStatus]
    : 'unknown';
}

export function mapDispute(d: Stripe.Dispute): ProviderDispute {
  return {
    id: d.id,
    amount: d.amount,
    currency: d.currency.toUpperCase(),
    status: disputeStatusOf(d.status),
    providerStatus: d.status,
    reason: d.reason ?? null,
  };
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
export function paymentStatus(
  pi: Stripe.PaymentIntent,
  amountRefunded: number,
  dispute: ProviderDispute | null,
): PaymentStatus {
  const base = baseStatus(pi);
  if (base !== 'succeeded') return base;
  // Open or lost: the money is (or may be) gone. Won, closed or prevented: kept. Unknown: the status
  // from the charge alone; settlement keeps an earlier `disputed` and flags the invoice.
  if (dispute && (dispute.status === 'open' || dispute.status === 'lost')) return 'disputed';
  if (amountRefunded >= pi.amount_received && pi.amount_received > 0) return 'refunded';
  if (amountRefunded > 0) return 'partially_refunded';
  return 'succeeded';
}

/**
 * `PaymentIntent.next_action.type` (SDK 23.1.0 `PaymentIntent.NextAction`) -> what the customer is
 * doing. `requires_action` is not only 3-D Secure: with automatic payment methods it also means a
 * voucher to pay at a store, bank transfer instructions or microdeposits to verify
 * (https://docs.stripe.com/payments/paymentintents/lifecycle). Unknown types count as a payment in
 * progress, which is never ended by the plugin.
 */
const NEXT_ACTION_KINDS: Record<string, NextActionKind> = {
  use_stripe_sdk: 'authentication',
  redirect_to_url: 'authentication',
  alipay_handle_redirect: 'authentication',
  blik_authorize: 'authentication',
  card_await_notification: 'authentication',
  wechat_pay_redirect_to_android_app: 'authentication',
  wechat_pay_redirect_to_ios_app: 'authentication',
  cashapp_handle_redirect_or_display_qr_code: 'qr_code',
  swish_handle_redirect_or_display_qr_code: 'qr_code',
  upi_handle_redirect_or_display_qr_code: 'qr_code',
  klarna_display_qr_code: 'qr_code',
  paynow_display_qr_code: 'qr_code',
  pix_display_qr_code: 'qr_code',
  promptpay_display_qr_code: 'qr_code',
  wechat_pay_display_qr_code: 'qr_code',
  oxxo_display_details: 'voucher',
  boleto_display_details: 'voucher',
  konbini_display_details: 'voucher',
  multibanco_display_details: 'voucher',
  display_bank_transfer_instructions: 'bank_transfer',
  verify_with_microdeposits: 'verify_microdeposits',
};

export function mapNextAction(next: Stripe.PaymentIntent.NextAction | null | undefined): NextAction | null {
  if (!next) return null;
  const type = typeof next.type === 'string' ? next.type : 'unknown';
  const kind = NEXT_ACTION_KINDS[type] ?? 'other';
  const details = (next as unknown as Record<string, unknown>)[type] as Record<string, unknown> | undefined;
  const str = (v: unknown) => (typeof v === 'string' && /^https:\/\//.test(v) ? v : null);
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const url = details
    ? (str(details.hosted_voucher_url) ?? str(details.hosted_instructions_url) ?? str(details.hosted_verification_url))
    : null;
  const expiresAt = details ? (num(details.expires_at) ?? num(details.expires_after) ?? null) : null;
  // A new challenge (another 3-D Secure try, a new voucher) carries new details: a new fingerprint.
  const fingerprint = `${type}:${createHash('sha256')
    .update(JSON.stringify(details ?? null))
    .digest('hex')
    .slice(0, 16)}`;
  return { kind, providerType: type, url, expiresAt, fingerprint };
}

/**
 * Brand or bank and last four digits from the charge's payment_method_details
 * (https://docs.stripe.com/api/charges/object#charge_object-payment_method_details): `card.brand` /
 * `card.last4`, `sepa_debit.bank_code` / `last4`, `us_bank_account.bank_name` / `last4`,
 * `ideal.bank` / `iban_last4`, `bancontact.bank_name` / `iban_last4`.
 */
function methodDetailOf(details: Stripe.Charge.PaymentMethodDetails | null): ProviderPayment['methodDetail'] {
  if (!details) return null;
  const text = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim().slice(0, 60) : null);
  const digits = (v: unknown) => (typeof v === 'string' && /^\d{4}$/.test(v) ? v : null);
  const of = (label: unknown, last4: unknown) => {
    const detail = { label: text(label), last4: digits(last4) };
    return detail.label || detail.last4 ? detail : null;
  };
  if (details.card) return of(details.card.brand, details.card.last4);
  if (details.sepa_debit) return of(details.sepa_debit.bank_code, details.sepa_debit.last4);
  if (details.us_bank_account) return of(details.us_bank_account.bank_name, details.us_bank_account.last4);
  if (details.ideal) return of(details.ideal.bank, details.ideal.iban_last4);
  if (details.bancontact) return of(details.bancontact.bank_name, details.bancontact.iban_last4);
  return null;
}

export function mapPayment(
  pi: Stripe.PaymentIntent,
  charge: Stripe.Charge | null,
  refunds: ProviderRefund[],
  dispute: ProviderDispute | null,
  refundsListed = false,
): ProviderPayment {
  const amountRefunded = charge?.amount_refunded ?? 0;
  const err = pi.last_payment_error;
  // Expanded (retrievePayment) or an id/null (elsewhere): only an object tells the fee.
  const txn =
    charge?.balance_transaction && typeof charge.balance_transaction === 'object' ? charge.balance_transaction : null;
  return {
    id: pi.id,
    status: paymentStatus(pi, amountRefunded, dispute),
    amount: pi.amount,
    amountReceived: pi.amount_received ?? 0,
    currency: pi.currency.toUpperCase(),
    livemode: pi.livemode,
    chargeId: charge?.id ?? (typeof pi.latest_charge === 'string' ? pi.latest_charge : null),
    // In the balance transaction's currency (the account's settlement currency), not always the charge's.
    providerFee:
      txn && Number.isSafeInteger(txn.fee) ? { amount: txn.fee, currency: txn.currency.toUpperCase() } : null,
    method: charge?.payment_method_details?.type ?? pi.payment_method_types?.[0] ?? null,
    methodDetail: methodDetailOf(charge?.payment_method_details ?? null),
    clientSecret: pi.client_secret ?? null,
    failureCode: err ? (err.decline_code ?? err.code ?? 'payment_failed') : null,
    failureMessage: err?.message ?? null,
    metadata: fromStripeMetadata(pi.metadata),
    amountRefunded,
    refunds,
    refundsListed,
    dispute,
    created: pi.created,
    nextAction: pi.status === 'requires_action' ? mapNextAction(pi.next_action) : null,
    // https://docs.stripe.com/api/payment_intents/object: with setup_future_usage set, the method is
    // attached to `customer` once the payment succeeds (saving during payment).
    saveTo:
      pi.setup_future_usage && pi.customer ? (typeof pi.customer === 'string' ? pi.customer : pi.customer.id) : null,
  };
}

export function mapCheckoutSession(s: Stripe.Checkout.Session): ProviderCheckoutSession {
  const paymentId = typeof s.payment_intent === 'string' ? s.payment_intent : (s.payment_intent?.id ?? null);
  return {
    id: s.id,
    status: s.status === 'complete' ? 'complete' : s.status === 'expired' ? 'expired' : 'open',
    paymentStatus:
      s.payment_status === 'paid'
        ? 'paid'
        : s.payment_status === 'no_payment_required'
          ? 'no_payment_required'
          : 'unpaid',
    paymentId,
    url: s.url ?? null,
    clientSecret: s.client_secret ?? null,
    amount: s.amount_total ?? 0,
    currency: (s.currency ?? '').toUpperCase(),
    metadata: fromStripeMetadata(s.metadata),
    livemode: s.livemode,
    ui:
      s.ui_mode === 'embedded_page' || (s.ui_mode as string) === 'embedded' ? 'embedded' : s.ui_mode ? 'hosted' : null,
    expiresAt: typeof s.expires_at === 'number' ? s.expires_at : null,
    created: s.created,
    saveTo:
      s.saved_payment_method_options?.payment_method_save === 'enabled' && s.customer
        ? typeof s.customer === 'string'
          ? s.customer
          : s.customer.id
        : null,
  };
}
