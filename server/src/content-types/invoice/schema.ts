import { withContentManagerConfig } from './content-manager';

/**
 * An invoice. Money fields are integer minor units of `currency` (cents, yen, fils...).
 * subtotal/tax/total are computed from lineItems; amountPaid/amountRefunded/balanceDue/status from
 * the payment ledger (services/invoice-calculator). Whatever a client or admin types there is replaced.
 */
export default withContentManagerConfig({
  kind: 'collectionType',
  collectionName: 'invoice_payments_invoices',
  info: {
    singularName: 'invoice',
    pluralName: 'invoices',
    displayName: 'Invoice',
    description: 'An invoice that clients can pay by card through Stripe',
  },
  options: { draftAndPublish: false },
  pluginOptions: {
    'content-manager': { visible: true },
    'content-type-builder': { visible: false },
  },
  attributes: {
    number: { type: 'string', required: true, unique: true, maxLength: 64 },
    state: {
      type: 'enumeration',
      enum: ['draft', 'sent', 'viewed', 'partially_paid', 'paid', 'void'],
      default: 'draft',
      required: true,
    },
    currency: { type: 'string', required: true, minLength: 3, maxLength: 3, default: 'USD' },
    /** JSON lines (unitAmount in minor units); the custom field only changes how the Content Manager edits them. */
    lineItems: { type: 'customField', customField: 'plugin::invoice-payments.line-items', required: true },
    taxRateBps: { type: 'integer', min: 0, max: 10000, default: 0 },
    discountAmount: { type: 'integer', min: 0, default: 0 },
    subtotal: { type: 'integer', default: 0, writable: false },
    tax: { type: 'integer', default: 0, writable: false },
    total: { type: 'integer', default: 0, writable: false },
    amountPaid: { type: 'integer', default: 0, writable: false },
    amountRefunded: { type: 'integer', default: 0, writable: false },
    balanceDue: { type: 'integer', default: 0, writable: false },
    issueDate: { type: 'date' },
    dueDate: { type: 'date' },
    billingName: { type: 'string', maxLength: 200 },
    billingEmail: { type: 'email' },
    notes: { type: 'text' },
    /**
     * The client's language (pay page, PDF, emails; i18n/). Empty, as on every invoice made before
     * this field existed: the site's default client language (Settings).
     */
    language: { type: 'enumeration', enum: ['en', 'fr', 'de', 'es'] },
    /** Payment reminders for this invoice (services/reminders); empty counts as on. */
    remindersEnabled: { type: 'boolean', default: true },
    customer: { type: 'relation', relation: 'manyToOne', target: 'plugin::users-permissions.user' },
    // visible: false keeps it out of admin role permissions and Content Manager layouts;
    // config.attributes.hidden (content-manager.ts) removes it from every Content Manager answer, super admins' too.
    // Never searchable: the Content Manager's `_q` search (LIKE %q%) would otherwise reveal it a character at a time.
    payToken: {
      type: 'string',
      private: true,
      configurable: false,
      writable: false,
      visible: false,
      searchable: false,
    },
    needsAttention: { type: 'boolean', default: false, writable: false },
    attentionReason: { type: 'text', writable: false },
    disputeOpen: { type: 'boolean', default: false, writable: false },
    sentAt: { type: 'datetime', writable: false },
    viewedAt: { type: 'datetime', writable: false },
    paidAt: { type: 'datetime', writable: false },
    /** Why an admin voided the invoice (Invoices → Void); set only by the plugin. */
    voidReason: { type: 'text', writable: false },
    voidedAt: { type: 'datetime', writable: false },
    /**
     * The entry this invoice is for, when made through the server API (services/payables.ts): a
     * content-type uid (`api::booking.booking`) and that entry's documentId. Set only by the plugin.
     */
    entityUid: { type: 'string', writable: false },
    entityDocumentId: { type: 'string', writable: false },
    /** Unpaid past this moment, the invoice is voided and `invoice.expired` is emitted (payables.ts). */
    expiresAt: { type: 'datetime' },
    /** When the expiry was carried out (its claim: one instance emits invoice.expired). */
    expiredAt: { type: 'datetime', writable: false },
    /** Ledger links: written only by the plugin's services (strapi.db.query), never through the Content Manager. */
    payments: {
      type: 'relation',
      relation: 'oneToMany',
      target: 'plugin::invoice-payments.payment',
      mappedBy: 'invoice',
      visible: false,
    },
    /**
     * The attempt lease (services/attempts): while held, one request plans this invoice's payment
     * attempts. Internal, never input or output.
     */
    attemptLockToken: {
      type: 'string',
      private: true,
      configurable: false,
      writable: false,
      visible: false,
      searchable: false,
    },
    attemptLockUntil: { type: 'datetime', private: true, configurable: false, writable: false, visible: false },
  },
  indexes: [
    { name: 'invoice_payments_invoices_number_uq', columns: ['number'], type: 'unique' },
    { name: 'invoice_payments_invoices_pay_token_uq', columns: ['pay_token'], type: 'unique' },
    { name: 'invoice_payments_invoices_state_idx', columns: ['state'] },
    { name: 'invoice_payments_invoices_entity_idx', columns: ['entity_uid', 'entity_document_id'] },
    { name: 'invoice_payments_invoices_expires_idx', columns: ['expires_at'] },
    // The admin list's default order (newest first): a page is an index range, not a sort of every invoice.
    { name: 'invoice_payments_invoices_created_idx', columns: ['created_at', 'id'] },
  ],
});
