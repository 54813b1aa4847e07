/**
 * A refund of a ledger entry, keyed by Stripe's refund id so one refund is never booked twice.
 * A row is written (status `pending`, no provider id) before the provider is asked: it reserves the
 * amount under the invoice lock, so concurrent requests count it. See services/refunds.ts.
 */
export default {
  kind: 'collectionType',
  collectionName: 'invoice_payments_refunds',
  info: {
    singularName: 'refund',
    pluralName: 'refunds',
    displayName: 'Refund',
    description: 'Refund of an invoice payment',
  },
  options: { draftAndPublish: false },
  pluginOptions: {
    'content-manager': { visible: false },
    'content-type-builder': { visible: false },
  },
  attributes: {
    payment: { type: 'relation', relation: 'manyToOne', target: 'plugin::invoice-payments.payment' },
    invoiceDocumentId: { type: 'string' },
    providerRefundId: { type: 'string' },
    // requires_action: Stripe waits on the customer (counts as pending). unknown: the provider call
    // ended in a 500 or a timeout; the next attempt looks at the provider first.
    status: {
      type: 'enumeration',
      enum: ['pending', 'requires_action', 'succeeded', 'failed', 'canceled', 'unknown'],
      default: 'pending',
      required: true,
    },
    amount: { type: 'integer', required: true },
    feeAmount: { type: 'integer', default: 0 },
    currency: { type: 'string', required: true },
    reason: { type: 'string' },
    failureReason: { type: 'string' },
    requestedBy: { type: 'string' },
    /** The provider payment refunded (Stripe: PaymentIntent id), to look the refund up again. */
    providerPaymentId: { type: 'string' },
    /**
     * What the refund means for the invoice: `reopen` (the client owes it again) or `keep_paid`
     * (given back as a concession, the invoice stays settled). Chosen in the refund dialog; the
     * setting's default for refunds made in the Stripe Dashboard; keep_paid for overpayment refunds.
     */
    invoiceEffect: { type: 'enumeration', enum: ['reopen', 'keep_paid'] },
    /** Why it was made: an admin's request, or the automatic refund of an overpayment. */
    purpose: { type: 'string' },
    /** The admin dialog's key: a retry of the same request finds this row. */
    clientKey: { type: 'string' },
    /** The provider idempotency key last used, and its generation (moves on only after checking the provider). */
    idempotencyKey: { type: 'string' },
    generation: { type: 'integer', default: 0 },
    /** The last provider error for this refund (no secrets: the provider's safe message). */
    /** The requester was answered with an unknown outcome (a 502) and has not been told the result yet. */
    unanswered: { type: 'boolean', default: false },
    lastError: { type: 'text' },
    /** Set when the failure was written to the audit log and the notice queued: once per refund. */
    failureRecordedAt: { type: 'datetime' },
  },
  indexes: [{ name: 'invoice_payments_refunds_provider_uq', columns: ['provider_refund_id'], type: 'unique' }],
};
