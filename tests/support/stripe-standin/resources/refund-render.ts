/**
 * The Refund object. Kept apart from refunds.ts because charges embed their refunds list and
 * refunds.ts in turn updates charges; this module depends on neither.
 */
import type { JsonObject, RefundRecord } from '../types';

export function renderRefund(refund: RefundRecord): JsonObject {
  const object: JsonObject = {
    id: refund.id,
    object: 'refund',
    amount: refund.amount,
    balance_transaction: refund.balance_transaction,
    charge: refund.charge,
    created: refund.created,
    currency: refund.currency,
    customer: null,
    customer_account: null,
    destination_details: {
      card: {
        reference: refund.status === 'succeeded' ? refund.reference : null,
        reference_status:
          refund.status === 'succeeded' ? 'available' : refund.status === 'failed' ? 'unavailable' : 'pending',
        reference_type: 'acquirer_reference_number',
        type: 'refund',
      },
      type: 'card',
    },
    metadata: { ...refund.metadata },
    payment_intent: refund.payment_intent,
    payment_method: refund.payment_method,
    reason: refund.reason,
    receipt_number: null,
    source_transfer_reversal: null,
    status: refund.status,
    transfer_reversal: null,
  };
  if (refund.status === 'pending') object.pending_reason = 'processing';
  if (refund.next_action) object.next_action = structuredClone(refund.next_action);
  if (refund.status === 'failed' || refund.status === 'canceled') {
    object.failure_reason = refund.failure_reason;
    object.failure_balance_transaction = refund.failure_balance_transaction;
  }
  return object;
}
