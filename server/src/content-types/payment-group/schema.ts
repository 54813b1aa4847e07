/**
 * One provider payment that pays several invoices of one client (the client portal). The money is
 * booked as one ledger entry (payment row) per invoice, each pointing back here (`paymentGroup`);
 * this row keeps what was asked for and the split, so settlement never trusts provider metadata
 * for it. Written only by services/payment-groups.ts.
 */
export default {
  kind: 'collectionType',
  collectionName: 'invoice_payments_payment_groups',
  info: {
    singularName: 'payment-group',
    pluralName: 'payment-groups',
    displayName: 'Multi-invoice payment',
    description: 'One payment for several invoices of a client',
  },
  options: { draftAndPublish: false },
  pluginOptions: {
    'content-manager': { visible: false },
    'content-type-builder': { visible: false },
  },
  attributes: {
    /** The users-permissions user who made it (the invoices' customer). */
    userId: { type: 'integer', required: true },
    provider: { type: 'string', required: true },
    /** The provider's payment (Stripe: PaymentIntent id); empty until the provider answered. */
    providerPaymentId: { type: 'string' },
    currency: { type: 'string', required: true },
    /** Total charged: every share's portion and fee, minor units. */
    amount: { type: 'integer', required: true },
    /**
     * The split, in allocation order (most recent invoice first): [{ invoiceDocumentId,
     * invoiceNumber, invoiceId, portion, fee, issueDate }] (domain/payment-groups.ts GroupShare).
     */
    shares: { type: 'json', required: true },
    /** Provider-neutral payment status (domain/payment-status.ts), as last seen. */
    status: { type: 'string', required: true, default: 'pending' },
    /** Key the provider call is made under: the same group never makes two payments. */
    idempotencyKey: { type: 'string' },
    /** The client's key for the request: a retried POST gets the same group back. */
    requestKey: { type: 'string' },
    lastError: { type: 'text' },
  },
  indexes: [
    { name: 'invoice_payments_payment_groups_provider_uq', columns: ['provider_payment_id'], type: 'unique' },
    { name: 'invoice_payments_payment_groups_request_uq', columns: ['user_id', 'request_key'], type: 'unique' },
  ],
};
