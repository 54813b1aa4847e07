/**
 * One ledger entry: a card payment (PaymentIntent), a Checkout Session, or a manual payment
 * (check, ACH, wire, cash). Written only by the plugin's settlement code, never by hand.
 */
export default {
  kind: 'collectionType',
  collectionName: 'invoice_payments_payments',
  info: {
    singularName: 'payment',
    pluralName: 'payments',
    displayName: 'Payment',
    description: 'Invoice payment ledger entry',
  },
  options: { draftAndPublish: false },
  pluginOptions: {
    'content-manager': { visible: false },
    'content-type-builder': { visible: false },
  },
  attributes: {
    /** Set only by the plugin's settlement code (strapi.db.query); hidden from the Content Manager. */
    invoice: {
      type: 'relation',
      relation: 'manyToOne',
      target: 'plugin::invoice-payments.invoice',
      inversedBy: 'payments',
      visible: false,
    },
    kind: { type: 'enumeration', enum: ['card', 'checkout', 'manual'], required: true },
    provider: { type: 'string', required: true },
    method: { type: 'string' },
    /** For receipts: card brand or bank name, and the last four digits (never more of the number). */
    methodLabel: { type: 'string' },
    methodLast4: { type: 'string' },
    status: {
      type: 'enumeration',
      enum: [
        'pending',
        'requires_action',
        'processing',
        'succeeded',
        'failed',
        'canceled',
        'refunded',
        'partially_refunded',
        'disputed',
      ],
      default: 'pending',
      required: true,
    },
    amount: { type: 'integer', required: true },
    currency: { type: 'string', required: true },
    fee: { type: 'integer', default: 0 },
    amountRefunded: { type: 'integer', default: 0 },
    /** Of amountRefunded, refunds made with "keep the invoice paid" (from the refund rows). */
    amountRefundedKeptPaid: { type: 'integer', default: 0 },
    feeRefunded: { type: 'integer', default: 0 },
    providerPaymentId: { type: 'string' },
    checkoutSessionId: { type: 'string' },
    /**
     * The attempt (lease) that created this entry, also in the provider object's metadata: finds
     * a Checkout session's entry from its payment without asking the provider (services/settlement).
     */
    attemptId: { type: 'string' },
    chargeId: { type: 'string' },
    /**
     * Stripe's own processing fee on the charge, minor units, from its balance transaction
     * (`balance_transaction.fee`); null until Stripe has made the balance transaction.
     */
    providerFee: { type: 'integer' },
    /** The balance transaction's currency (the Stripe account's settlement currency). */
    providerFeeCurrency: { type: 'string' },
    lastEventId: { type: 'string' },
    lastEventCreated: { type: 'biginteger' },
    failureCode: { type: 'string' },
    failureMessage: { type: 'text' },
    reference: { type: 'string' },
    paidAt: { type: 'datetime' },
    voidedAt: { type: 'datetime' },
    voidReason: { type: 'text' },
    disputeId: { type: 'string' },
    /** open | won | lost | closed | unknown (server/src/domain/ledger.ts DisputeStatus). */
    disputeStatus: { type: 'string' },
    /** The gateway's own word for the dispute's status (Stripe's Dispute.status), shown to admins. */
    disputeProviderStatus: { type: 'string' },
    disputedAmount: { type: 'integer', default: 0 },
    livemode: { type: 'boolean', default: false },
    mismatch: { type: 'text' },
    recordedBy: { type: 'string' },
    notifiedAt: { type: 'datetime' },
    /** A failure email was decided (cleared when the payment starts processing again: a retried debit). */
    failureNotifiedAt: { type: 'datetime' },
    /** Which failure that was (domain failureOccurrence): a bank debit's failed charge, '' otherwise. */
    failureNotifiedFor: { type: 'string' },
    disputeAlertedAt: { type: 'datetime' },
    idempotencyKey: { type: 'string' },
    /** When the plugin first saw it waiting on the customer (requires_action): abandonment is timed from here. */
    actionSince: { type: 'datetime' },
    nextActionType: { type: 'string' },
    /** Fingerprint of the challenge the clock was started for: a new one restarts it. */
    nextActionKey: { type: 'string' },
    nextActionUrl: { type: 'text' },
    /**
     * This invoice's share of a payment made for several invoices (content type payment-group,
     * its documentId). Such an entry has no `providerPaymentId` of its own: the provider's payment
     * is `sharedPaymentId`, and `shareKey` (`<group>:<invoice>`, unique) makes a second entry for
     * the same invoice and payment impossible at the database.
     */
    paymentGroup: { type: 'string' },
    sharedPaymentId: { type: 'string' },
    shareKey: { type: 'string' },
  },
  // Strapi's admin sanitizer drops `hidden` attributes from Content Manager input and output for every role.
  config: { attributes: { invoice: { hidden: true } } },
  indexes: [
    { name: 'invoice_payments_payments_provider_payment_uq', columns: ['provider_payment_id'], type: 'unique' },
    { name: 'invoice_payments_payments_cs_uq', columns: ['checkout_session_id'], type: 'unique' },
    { name: 'invoice_payments_payments_share_uq', columns: ['share_key'], type: 'unique' },
    { name: 'invoice_payments_payments_group_idx', columns: ['payment_group'] },
    { name: 'invoice_payments_payments_charge_idx', columns: ['charge_id'] },
    { name: 'invoice_payments_payments_status_idx', columns: ['status', 'updated_at'] },
  ],
};
