/**
 * Multi-invoice payments (the client portal) that the client opened and walked away from: the
 * shared payment still asks for a payment method, and every invoice it covers stays reserved
 * (no other payment can start on them). The background sweep ends them after the same time a
 * single payment's abandoned card authentication is given (`abandonedAuthenticationMinutes`).
 * The stored status only says which groups to look at: what is done is decided on the
 * provider's answer read just now.
 */
import type { PaymentStatus } from './payment-status';

/** Stored group statuses of a payment that waits for a payment method. */
export const ABANDONABLE_STORED: readonly string[] = ['pending', 'failed'];

/**
 * Whether a group is worth reading again at the provider: waiting for a payment method (`pending`,
 * or `failed`: a declined card handed back for another), untouched long enough.
 */
export function isAbandonedGroupCandidate(
  group: { status: string; providerPaymentId: string | null; updatedAtMs: number },
  nowMs: number,
  abandonAfterMs: number,
): boolean {
  return (
    ABANDONABLE_STORED.includes(group.status) &&
    !!group.providerPaymentId &&
    nowMs - group.updatedAtMs >= abandonAfterMs
  );
}

export type AbandonedGroupDecision =
  /** Money arrived (or was already collected): book it through the normal settlement path. */
  | 'settle'
  /** The client (or their bank) is still at it: leave it alone. */
  | 'leave'
  /** Still unpaid, nobody at it: cancel at the provider, end the group, free its invoices. */
  | 'end'
  /** Already over at the provider (canceled): only the group and its reservations are closed. */
  | 'close';

/**
 * What to do with a candidate, from the status the provider reports now. `failed` is a declined
 * attempt handed back for another method (Stripe's requires_payment_method after a decline): as
 * unpaid as `pending`.
 */
export function decideAbandonedGroup(status: PaymentStatus): AbandonedGroupDecision {
  switch (status) {
    case 'pending':
    case 'failed':
      return 'end';
    case 'requires_action':
    case 'processing':
      return 'leave';
    case 'canceled':
      return 'close';
    default:
      // succeeded, refunded, partially_refunded, disputed: money was collected.
      return 'settle';
  }
}

/**
 * Whether a request retried with the same `requestKey` may be answered with the payment it made
 * before: only one the client can still pay, is paying, or has paid. Anything else (canceled,
 * never made) would hand the client a payment that can no longer take money; and one this site
 * already ended (stored `canceled`, e.g. its invoices changed while it was made and Stripe did not
 * answer the cancel) is never handed out, whatever Stripe still says: the retry cancels it.
 */
export function isReplayableGroupPayment(storedStatus: string, providerStatus: PaymentStatus): boolean {
  return storedStatus !== 'canceled' && providerStatus !== 'canceled';
}
