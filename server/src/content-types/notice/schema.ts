/**
 * The email outbox: one row per email a settlement decided to send (a payment's confirmation,
 * failure notice or dispute alert). Written in the same transaction as the decision, so a crash
 * between commit and SMTP hand-off leaves a row that the worker sends later: at least once.
 */
export default {
  kind: 'collectionType',
  collectionName: 'invoice_payments_notices',
  info: {
    singularName: 'notice',
    pluralName: 'notices',
    displayName: 'Email notice',
    description: 'Outbox of payment emails',
  },
  options: { draftAndPublish: false },
  pluginOptions: {
    'content-manager': { visible: false },
    'content-type-builder': { visible: false },
  },
  attributes: {
    /** The payment the email is about; empty for a reminder (which names its invoice through `reminderId`). */
    paymentId: { type: 'integer' },
    kind: {
      type: 'enumeration',
      // failure_client: a bank debit refused after it was processing (the client pays again).
      // autopay_*: an off-session charge needs the client to authenticate, or the schedule stopped
      // (client and admin told); they name their attempt in `autopayAttemptId`.
      enum: [
        'confirmation',
        'failure',
        'failure_client',
        'dispute',
        'refund_failed',
        'reminder',
        'autopay_authenticate',
        'autopay_stopped',
        'autopay_stopped_admin',
      ],
      required: true,
    },
    /**
     * Which one of its kind the email is about, where a payment can have several: a failure email
     * names its failure (domain failureOccurrence: a bank debit's failed charge, retried on the same
     * payment and refused again). '' for one per payment; empty on rows written before it existed.
     */
    occurrence: { type: 'string' },
    /** A payment reminder's row (content-types/reminder). */
    reminderId: { type: 'integer' },
    /** An autopay attempt's row (content-types/autopay-attempt), for the autopay_* kinds. */
    autopayAttemptId: { type: 'integer' },
    status: { type: 'enumeration', enum: ['due', 'sent', 'skipped', 'failed'], default: 'due', required: true },
    attempts: { type: 'integer', default: 0 },
    /** When the worker may (re)try it: the settling process owns it until then. */
    dueAt: { type: 'datetime' },
    sentAt: { type: 'datetime' },
    lastError: { type: 'text' },
  },
  indexes: [
    // One email per payment, kind and occurrence (a second failure of a retried debit is its own).
    {
      name: 'invoice_payments_notices_payment_kind_occ_uq',
      columns: ['payment_id', 'kind', 'occurrence'],
      type: 'unique',
    },
    { name: 'invoice_payments_notices_due_idx', columns: ['status', 'due_at'] },
    // One email per reminder (empty for payment emails: a unique index lets NULLs repeat).
    { name: 'invoice_payments_notices_reminder_uq', columns: ['reminder_id'], type: 'unique' },
    // One email of each kind per autopay attempt (a retry of the attempt after a crash queues none more).
    { name: 'invoice_payments_notices_autopay_kind_uq', columns: ['autopay_attempt_id', 'kind'], type: 'unique' },
  ],
};
