/**
 * Multi-invoice payments (the client portal) that the client opened and walked away from: the
 * shared payment still asks for a payment method, or a card authentication (3-D Secure) was
 * started and never finished, and every invoice it covers stays reserved (no other payment, autopay
 * included, can start on them). The background sweep ends them after the same time a single
 * payment's abandoned card authentication is given (`abandonedAuthenticationMinutes`), as the pay
 * page ends a single payment's (domain/attempts planAttempts). The stored status only says which
 * groups to look at: what is done is decided on the provider's answer read just now.
 */
import type { NextAction, NextActionKind } from './attempts';
import type { PaymentStatus } from './payment-status';

/** Stored group statuses of a payment that waits for a payment method. */
export const ABANDONABLE_STORED: readonly string[] = ['pending', 'failed'];

/**
 * Next steps the sweep ends once the client left them unfinished for the whole time: a card
 * authentication (3-D Secure, a bank app approval, a redirect) is done at the screen in minutes.
 * Not a QR code (Pix, PromptPay): it carries its own expiry (Pix: a day by default,
 * `payment_method_options.pix.expires_after_seconds`) and the client may scan it later; the
 * client's next attempt or autopay ends one early (domain/attempts isAbandonable), the sweep
 * does not. Vouchers, bank transfers and microdeposit checks are money on its way: never.
 */
export const SWEPT_ACTION_KINDS: readonly NextActionKind[] = ['authentication'];

/**
 * Share statuses the sweep looks at for an unfinished step (services/payment-groups picks groups
 * whose shares' clock ran out for a SWEPT_ACTION_KINDS step, never by the group's age alone, so
 * that payments left alone for days, vouchers, never crowd out the ones it can end).
 */
export const AUTHENTICATION_STORED = 'requires_action';

/**
 * Whether a group is worth reading again at the provider: waiting for a payment method (`pending`,
 * or `failed`: a declined card handed back for another) or for the client's authentication,
 * untouched long enough.
 */
export function isAbandonedGroupCandidate(
  group: { status: string; providerPaymentId: string | null; updatedAtMs: number },
  nowMs: number,
  abandonAfterMs: number,
): boolean {
  return (
    (ABANDONABLE_STORED.includes(group.status) || group.status === AUTHENTICATION_STORED) &&
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
 * How long the client has been asked for the step the provider asks for now: the abandonment clock
 * the shares keep (started by settlement for each new challenge, services/attempts actionFields).
 * Null when no share's clock was started for this very challenge (a new one, or its notification
 * not seen yet): the clock starts now, and the sweep looks again later.
 */
export function authenticationWaitedMs(
  next: Pick<NextAction, 'fingerprint'> | null,
  shares: ReadonlyArray<{ actionSince: string | Date | null; nextActionKey: string | null }>,
  nowMs: number,
): number | null {
  if (!next) return null;
  const since = shares
    .filter((s) => s.actionSince && s.nextActionKey === next.fingerprint)
    .map((s) => new Date(s.actionSince as string | Date).getTime())
    .filter((ms) => Number.isFinite(ms));
  return since.length ? nowMs - Math.min(...since) : null;
}

/**
 * What to do with a candidate, from the status the provider reports now. `failed` is a declined
 * attempt handed back for another method (Stripe's requires_payment_method after a decline): as
 * unpaid as `pending`. `requires_action` is ended only for a card authentication
 * (SWEPT_ACTION_KINDS) left unfinished for the whole time on the same challenge.
 */
export function decideAbandonedGroup(
  status: PaymentStatus,
  waiting: { kind: NextActionKind; waitedMs: number | null; abandonAfterMs: number } | null = null,
): AbandonedGroupDecision {
  switch (status) {
    case 'pending':
    case 'failed':
      return 'end';
    case 'requires_action':
      return waiting &&
        SWEPT_ACTION_KINDS.includes(waiting.kind) &&
        waiting.waitedMs !== null &&
        waiting.waitedMs >= waiting.abandonAfterMs
        ? 'end'
        : 'leave';
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
