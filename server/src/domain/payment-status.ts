/**
 * Status machine for one ledger entry (one PaymentIntent / Checkout Session /
 * manual payment). Webhooks arrive late, duplicated and out of order, so an
 * update is applied only if it moves the entry forward:
 *
 *   from                               may move to
 *   ---------------------------------  -------------------------------------------
 *   pending, requires_action,          anything else (the intent is still open, and
 *   processing                         a refund/dispute event may beat `succeeded`)
 *   failed                             requires_action, processing, succeeded
 *                                      (the payer retries on the same intent),
 *                                      canceled (an abandoned intent gets canceled)
 *   succeeded                          partially_refunded, refunded, disputed
 *   partially_refunded                 refunded, disputed
 *   refunded                           disputed (a refunded charge can still be disputed)
 *   disputed                           succeeded, partially_refunded, refunded
 *                                      (dispute won: back to the pre-dispute state;
 *                                      a lost dispute stays `disputed` and is
 *                                      recorded through the entry's disputeStatus)
 *   canceled                           nothing (Stripe cannot revive a canceled intent)
 *
 * Never allowed, whatever the order: succeeded -> failed/canceled/pending/
 * processing/requires_action. Same-status "transitions" return false: they are
 * not a change (amounts may still be updated by the caller).
 */

export const PAYMENT_STATUSES = [
  'pending',
  'requires_action',
  'processing',
  'succeeded',
  'failed',
  'canceled',
  'refunded',
  'partially_refunded',
  'disputed',
] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export function isPaymentStatus(value: unknown): value is PaymentStatus {
  return typeof value === 'string' && (PAYMENT_STATUSES as readonly string[]).includes(value);
}

const OPEN: readonly PaymentStatus[] = ['pending', 'requires_action', 'processing'];

const TRANSITIONS: Readonly<Record<PaymentStatus, readonly PaymentStatus[]>> = {
  pending: PAYMENT_STATUSES.filter((s) => s !== 'pending'),
  requires_action: PAYMENT_STATUSES.filter((s) => s !== 'requires_action'),
  processing: PAYMENT_STATUSES.filter((s) => s !== 'processing'),
  failed: ['requires_action', 'processing', 'succeeded', 'canceled'],
  succeeded: ['partially_refunded', 'refunded', 'disputed'],
  partially_refunded: ['refunded', 'disputed'],
  refunded: ['disputed'],
  disputed: ['succeeded', 'partially_refunded', 'refunded'],
  canceled: [],
};

export function canTransitionPayment(from: PaymentStatus, to: PaymentStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/**
 * The status to store after receiving `proposed`: the proposed one if the move
 * is allowed, otherwise the current one (the event is stale). `from` null means
 * the entry is new.
 */
export function nextPaymentStatus(from: PaymentStatus | null, proposed: PaymentStatus): PaymentStatus {
  if (from === null) return proposed;
  return canTransitionPayment(from, proposed) ? proposed : from;
}

/** Money has not settled either way yet. */
export function isOpenPaymentStatus(status: PaymentStatus): boolean {
  return OPEN.includes(status);
}

/** Statuses whose amount was collected at some point (refunds counted separately). */
export const COLLECTED_PAYMENT_STATUSES: readonly PaymentStatus[] = [
  'succeeded',
  'partially_refunded',
  'refunded',
  'disputed',
];

export function isCollectedPaymentStatus(status: PaymentStatus): boolean {
  return COLLECTED_PAYMENT_STATUSES.includes(status);
}

/**
 * What the client reads while a bank debit (SEPA Direct Debit, ACH Direct Debit) is `processing`:
 * the money is on its way but not there, and may still be refused days later
 * (https://docs.stripe.com/payments/sepa-debit: up to 14 business days, usually fewer). The invoice
 * stays unpaid until it settles.
 */
export const PENDING_PAYMENT_HEADLINE = 'Payment pending, usually 3–5 business days';

export function pendingPaymentText(amountFormatted: string): string {
  return `${PENDING_PAYMENT_HEADLINE}: ${amountFormatted} is on its way from your bank. The invoice is marked paid once it arrives; if your bank refuses the debit, we will email you and you can pay again.`;
}

/**
 * Bank debits that are confirmed first and refused later: Stripe calls them "delayed notification"
 * methods (https://docs.stripe.com/payments/sepa-debit: "a reusable, delayed notification payment
 * method ... up to 14 business days to receive notification on the success or failure";
 * https://docs.stripe.com/payments/ach-direct-debit). Their charge exists from the moment the
 * debit starts (`processing`), so a failed charge of one of these means the client was told
 * "pending" and must be told it failed, even if the plugin never saw it processing. `directdebit`
 * is Mollie's SEPA Direct Debit.
 */
export const DELAYED_DEBIT_METHODS: readonly string[] = [
  'sepa_debit',
  'us_bank_account',
  'bacs_debit',
  'au_becs_debit',
  'acss_debit',
  'directdebit',
];

export function isDelayedDebitMethod(method: string | null | undefined): boolean {
  return !!method && DELAYED_DEBIT_METHODS.includes(method);
}

/**
 * Which failure of a payment a "payment failed" email is about. A bank debit refused after it
 * started names its charge: the client can retry the same payment with another account (Stripe
 * keeps the PaymentIntent and makes a new charge), and that debit can be refused days later too, a
 * new failure to tell. Anything else is one failure per payment (''): a card declined again on the
 * pay page is news to no one, and an email per decline would let anyone flood the site's inbox.
 */
export function failureOccurrence(method: string | null | undefined, chargeId: string | null | undefined): string {
  return chargeId && isDelayedDebitMethod(method) ? chargeId : '';
}

/**
 * Whether a failure still has to be told. `told.at`: a failure email was decided for this payment
 * and not re-armed since (settlement re-arms it when the payment starts processing again);
 * `told.occurrence`: which failure that was, null for entries told before occurrences were kept
 * (never told again on that ground alone: their failure may be this very one).
 */
export function failureToTell(occurrence: string, told: { at: boolean; occurrence: string | null }): boolean {
  if (!told.at) return true;
  return occurrence !== '' && told.occurrence !== null && told.occurrence !== occurrence;
}

/**
 * Whether the client is told a payment failed ("did not go through", with the pay link): a bank
 * debit refused after it started (SEPA can fail days later), also when learnt only now (webhooks
 * down, the pay page's confirm never came: a debit's charge exists only once it processed), and
 * again for a new refusal of a retried debit (`newFailure`, failureToTell). A card declined on the
 * pay page is not: the client saw it.
 */
export function clientFailureToTell(
  status: string,
  before: string | null | undefined,
  newFailure: boolean,
  method: string | null | undefined,
  chargeId: string | null | undefined,
): boolean {
  return (
    status === 'failed' &&
    (before !== 'failed' || newFailure) &&
    (before === 'processing' || (!!chargeId && isDelayedDebitMethod(method)))
  );
}
