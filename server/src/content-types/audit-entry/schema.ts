/**
 * Who did what to which invoice or setting. Invoice identity is copied (not a relation) so the
 * trail survives when an invoice is deleted. Never holds a secret: keys appear only as fingerprints.
 */
export default {
  kind: 'collectionType',
  collectionName: 'invoice_payments_audit_entries',
  info: {
    singularName: 'audit-entry',
    pluralName: 'audit-entries',
    displayName: 'Audit entry',
    description: 'Invoice payments audit trail',
  },
  options: { draftAndPublish: false },
  pluginOptions: {
    'content-manager': { visible: false },
    'content-type-builder': { visible: false },
  },
  attributes: {
    action: { type: 'string', required: true },
    actorType: { type: 'enumeration', enum: ['admin', 'client', 'stripe', 'system'], required: true },
    actorId: { type: 'string' },
    actorLabel: { type: 'string' },
    ip: { type: 'string' },
    invoiceDocumentId: { type: 'string' },
    invoiceNumber: { type: 'string' },
    outcome: { type: 'string' },
    details: { type: 'json' },
  },
  indexes: [
    { name: 'invoice_payments_audit_invoice_idx', columns: ['invoice_document_id'] },
    { name: 'invoice_payments_audit_action_idx', columns: ['action'] },
  ],
};
