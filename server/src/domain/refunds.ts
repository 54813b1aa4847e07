import { createHash } from 'node:crypto';
import type { PaymentStatus } from './payment-status';

/**
 * Refund bookkeeping, pure: which refund rows hold money, what a payment has given back, and the
 * idempotency key of one refund request.
 *
 * Stripe's refund lifecycle (https://docs.stripe.com/api/refunds/object, `status`; SDK 23.1.0
 * `Refund.status`): `pending` -> `succeeded` | `failed` | `canceled`, and `requires_action` for
 * payment methods where the customer must act first (https://docs.stripe.com/refunds, "Failed
 * refunds" and "Cancel a refund"). A failed or canceled refund gives the money back to the
 * merchant (`failure_balance_transaction` reverses it), so it is refundable again.
 *
 * Plugin-only statuses on a refund row: a reservation is `pending` without a provider id while the
 * provider call is under way; `unknown` when that call ended in a 500 or a timeout (Stripe may or
 * may not have made the refund: look before retrying); `canceled` with reason `not_created` when
 * the provider was checked and never made it.
 */
export const REFUND_STATUSES = ['pending', 'requires_action', 'succeeded', 'failed', 'canceled', 'unknown'] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];

/** Any other string from the provider (a future status) is treated as still in flight. */
export function normalizeRefundStatus(value: string | null | undefined): RefundStatus {
  if (value === 'succeeded' || value === 'failed' || value === 'canceled' || value === 'requires_action') return value;
  return 'pending';
}

export const isFinalRefundStatus = (s: RefundStatus) => s === 'succeeded' || s === 'failed' || s === 'canceled';

export interface RefundLine {
  status: RefundStatus;
  /** What the provider refunds: invoice portion + fee part. */
  amount: number;
  /** Of `amount`, the passed-through fee given back. */
  feeAmount: number | null;
  /** Set once the provider made the refund. */
  providerRefundId: string | null;
}

/**
 * Money held by a refund line, for the refundable check: everything not failed or canceled,
 * reservations and unknown outcomes included (Stripe may have made them).
 */
export const holdsRefundable = (r: RefundLine) => r.status !== 'failed' && r.status !== 'canceled';

/**
 * Money booked on the ledger: refunds the provider made that have not failed or been canceled.
 * (`pending` counts, as Stripe takes the money from the balance at once.)
 */
export const isBookedRefund = (r: RefundLine) =>
  r.providerRefundId !== null && (r.status === 'pending' || r.status === 'requires_action' || r.status === 'succeeded');

/**
 * Splits the lines' totals into invoice portion and fee, each capped at what the payment had:
 * the fee part recorded with our refunds stays fee; refunds made elsewhere (feeAmount unknown)
 * take the portion first, as `splitChargeRefund` does for the charge's total.
 */
export function sumRefunds(
  lines: readonly RefundLine[],
  portion: number,
  fee: number,
): { portion: number; fee: number } {
  let p = 0;
  let f = 0;
  for (const r of lines) {
    const feePart = Math.min(Math.max(0, r.feeAmount ?? 0), r.amount);
    p += r.amount - feePart;
    f += feePart;
  }
  // Anything above one side's cap spills to the other; never more than the payment in total.
  const portionPart = Math.min(p, portion);
  const feePart = Math.min(f + (p - portionPart), fee);
  const spill = Math.max(0, f + (p - portionPart) - fee);
  return { portion: Math.min(portion, portionPart + spill), fee: feePart };
}

/**
 * The payment status once its refunds are known. Only moves among succeeded / partially_refunded /
 * refunded, in both directions (a failed refund brings a refunded payment back); a dispute or a
 * payment that never succeeded is left alone.
 */
export function statusAfterRefunds(current: PaymentStatus, portion: number, portionRefunded: number): PaymentStatus {
  if (current !== 'succeeded' && current !== 'partially_refunded' && current !== 'refunded') return current;
  if (portionRefunded <= 0) return 'succeeded';
  return portionRefunded >= portion ? 'refunded' : 'partially_refunded';
}

/**
 * `ip-rf-<refund row>-<hash of the exact request>-<generation>`. The row id alone would let one key
 * stand for two requests if a row were reused; the hash ties the key to what is asked
 * (payment, amount, metadata), and the generation moves on only after the provider was checked
 * and had not made the refund (Stripe replays a saved 500 under the same key for 24 h:
 * https://docs.stripe.com/api/idempotent_requests).
 */
export function refundRequestKey(
  refundRowId: string,
  request: { paymentId: string; amount: number; metadata: Record<string, string> },
  generation: number,
): string {
  if (!refundRowId || !Number.isSafeInteger(generation) || generation < 0)
    throw new Error('A refund key needs a row id and a generation >= 0.');
  const canonical = JSON.stringify([
    request.paymentId,
    request.amount,
    Object.keys(request.metadata)
      .sort()
      .map((k) => [k, request.metadata[k]]),
  ]);
  const hash = createHash('sha256').update(canonical).digest('hex').slice(0, 16);
  return `ip-rf-${encodeURIComponent(refundRowId).replace(/-/g, '%2D')}-${hash}-${generation}`;
}
