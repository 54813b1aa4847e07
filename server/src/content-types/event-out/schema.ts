/**
 * The outbox of events the plugin emits (services/events-out.ts): written in the transaction of the
 * state change it reports, emitted on Strapi's event hub and handed to site hooks after the commit.
 */
export default {
  kind: 'collectionType',
  collectionName: 'invoice_payments_events_out',
  info: {
    singularName: 'event-out',
    pluralName: 'events-out',
    displayName: 'Outgoing event',
    description: 'Events emitted to Strapi webhooks and site hooks, once per change',
  },
  options: { draftAndPublish: false },
  pluginOptions: {
    'content-manager': { visible: false },
    'content-type-builder': { visible: false },
  },
  attributes: {
    /** The event name without the plugin prefix (`invoice.paid`). */
    event: { type: 'string', required: true },
    /** The stable payload (EventPayload), with its `id`: what consumers deduplicate on. */
    payload: { type: 'json', required: true },
    status: {
      type: 'enumeration',
      enum: ['pending', 'processing', 'delivered', 'failed', 'dead'],
      default: 'pending',
      required: true,
    },
    /** Set once the event went out on Strapi's event hub (never emitted twice by a retry of hooks). */
    emittedAt: { type: 'datetime' },
    /** Hook names that took it; a retry calls only the others. */
    deliveredTo: { type: 'json' },
    attempts: { type: 'integer', default: 0 },
    nextAttemptAt: { type: 'datetime' },
    lockedUntil: { type: 'datetime' },
    lockedBy: { type: 'string' },
    lastError: { type: 'text' },
    deliveredAt: { type: 'datetime' },
    invoiceDocumentId: { type: 'string' },
  },
  indexes: [{ name: 'invoice_payments_events_out_due_idx', columns: ['status', 'next_attempt_at'] }],
};
