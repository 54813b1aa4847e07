/** A payment provider's event as received, stored once under its id before it is acknowledged. */
export default {
  kind: 'collectionType',
  collectionName: 'invoice_payments_webhook_events',
  info: {
    singularName: 'webhook-event',
    pluralName: 'webhook-events',
    displayName: 'Webhook event',
    description: 'Payment provider webhook delivery',
  },
  options: { draftAndPublish: false },
  pluginOptions: {
    'content-manager': { visible: false },
    'content-type-builder': { visible: false },
  },
  attributes: {
    providerEventId: { type: 'string', required: true },
    /** The provider that sent it (providers/registry.ts); rows stored before this column were Stripe's. */
    provider: { type: 'string', default: 'stripe' },
    type: { type: 'string', required: true },
    livemode: { type: 'boolean', default: false },
    apiVersion: { type: 'string' },
    providerCreated: { type: 'biginteger' },
    objectId: { type: 'string' },
    payload: { type: 'json' },
    status: {
      type: 'enumeration',
      enum: ['received', 'processing', 'processed', 'failed', 'dead_lettered', 'ignored'],
      default: 'received',
      required: true,
    },
    attempts: { type: 'integer', default: 0 },
    deliveries: { type: 'integer', default: 1 },
    lastError: { type: 'text' },
    ignoredReason: { type: 'text' },
    nextAttemptAt: { type: 'datetime' },
    lockedUntil: { type: 'datetime' },
    lockedBy: { type: 'string' },
    processedAt: { type: 'datetime' },
    invoiceDocumentId: { type: 'string' },
  },
  indexes: [
    // An event id is unique per provider (migrations/index.ts webhookEventProviderUnique).
    {
      name: 'invoice_payments_webhook_events_provider_event_uq',
      columns: ['provider', 'provider_event_id'],
      type: 'unique',
    },
    { name: 'invoice_payments_webhook_events_due_idx', columns: ['status', 'next_attempt_at'] },
  ],
};
