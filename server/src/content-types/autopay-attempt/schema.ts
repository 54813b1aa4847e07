/**
 * One automatic (off-session) charge of an invoice: one row per invoice, due date and attempt
 * number. The unique index is the claim: of two instances running the autopay cron at the same
 * minute, only the one whose insert succeeds charges, with an Idempotency-Key derived from the
 * same three values (domain/autopay.ts autopayKey), so a crash and a re-run replay the first answer.
 */
export default {
  kind: 'collectionType',
  collectionName: 'invoice_payments_autopay_attempts',
  info: {
    singularName: 'autopay-attempt',
    pluralName: 'autopay-attempts',
    displayName: 'Autopay attempt',
    description: 'Automatic charges of saved payment methods',
  },
  options: { draftAndPublish: false },
  pluginOptions: {
    'content-manager': { visible: false },
    'content-type-builder': { visible: false },
  },
  attributes: {
    invoiceId: { type: 'integer', required: true },
    invoiceDocumentId: { type: 'string', required: true },
    dueDate: { type: 'date', required: true },
    attemptNo: { type: 'integer', required: true },
    status: {
      type: 'enumeration',
      enum: ['charging', 'succeeded', 'processing', 'requires_action', 'declined', 'refused', 'failed', 'deferred'],
      default: 'charging',
      required: true,
    },
    /** While `charging`: the claim runs out then, and a later run retries it under the same key. */
    leaseUntil: { type: 'datetime' },
    provider: { type: 'string' },
    providerPaymentId: { type: 'string' },
    paymentMethodId: { type: 'string' },
    amount: { type: 'integer' },
    currency: { type: 'string' },
    /** The provider's code (card_declined, authentication_required) or the plugin's refusal reason. */
    code: { type: 'string' },
    message: { type: 'text' },
    plannedAt: { type: 'datetime' },
  },
  indexes: [
    {
      name: 'invoice_payments_autopay_attempts_uq',
      columns: ['invoice_id', 'due_date', 'attempt_no'],
      type: 'unique',
    },
  ],
};
