/**
 * A payment reminder sent (or being sent) for an invoice: one row per invoice, due date and
 * reminder ("before-3", "due", "after-7"; a moved due date plans its reminders anew). The unique
 * index is the claim: of two instances running the reminder cron at the same minute, only the one
 * whose insert succeeds queues the email (in the outbox, `notice.reminderId`). Invoice identity is
 * copied, not a relation, so the unique index can cover it and the history survives the
 * invoice's deletion.
 */
export default {
  kind: 'collectionType',
  collectionName: 'invoice_payments_reminders',
  info: {
    singularName: 'reminder',
    pluralName: 'reminders',
    displayName: 'Payment reminder',
    description: 'Payment reminders sent for invoices',
  },
  options: { draftAndPublish: false },
  pluginOptions: {
    'content-manager': { visible: false },
    'content-type-builder': { visible: false },
  },
  attributes: {
    invoiceId: { type: 'integer', required: true },
    invoiceDocumentId: { type: 'string', required: true },
    /** "before-3", "due", "after-7": unique per invoice. */
    reminderKey: { type: 'string', required: true, maxLength: 32 },
    kind: { type: 'enumeration', enum: ['before', 'due', 'after'], required: true },
    /** Days relative to the due date (-3, 0, 7). */
    days: { type: 'integer', required: true },
    /** The due date the reminder was planned from, and the instant it became due. */
    dueDate: { type: 'date' },
    plannedAt: { type: 'datetime' },
  },
  indexes: [
    {
      name: 'invoice_payments_reminders_invoice_key_uq',
      columns: ['invoice_id', 'due_date', 'reminder_key'],
      type: 'unique',
    },
  ],
};
