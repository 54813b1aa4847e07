/** A refund of a ledger entry, keyed by Stripe's refund id so one refund is never booked twice. */
export default {
  kind: 'collectionType',
  collectionName: 'invoice_payments_refunds',
  info: { singularName: 'refund', pluralName: 'refunds', displayName: 'Refund', description: 'Refund of an invoice payment' },
  options: { draftAndPublish: false },
  pluginOptions: {
    'content-manager': { visible: false },
    'content-type-builder': { visible: false },
  },
  attributes: {
    payment: { type: 'relation', relation: 'manyToOne', target: 'plugin::invoice-payments.payment' },
    invoiceDocumentId: { type: 'string' },
    stripeRefundId: { type: 'string' },
    status: { type: 'enumeration', enum: ['pending', 'succeeded', 'failed', 'canceled'], default: 'pending', required: true },
    amount: { type: 'integer', required: true },
    feeAmount: { type: 'integer', default: 0 },
    currency: { type: 'string', required: true },
    reason: { type: 'string' },
    failureReason: { type: 'string' },
    requestedBy: { type: 'string' },
  },
  indexes: [{ name: 'invoice_payments_refunds_stripe_uq', columns: ['stripe_refund_id'], type: 'unique' }],
};
