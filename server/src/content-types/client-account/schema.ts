/**
 * What the plugin keeps about a client (a users-permissions user, the invoice's `customer`): the
 * payment provider's customer object their saved payment methods hang on, and whether an admin
 * turned autopay on for them. One row per client and provider (unique index): two first saves at
 * the same time make one row, the loser reads the winner's.
 */
export default {
  kind: 'collectionType',
  collectionName: 'invoice_payments_client_accounts',
  info: {
    singularName: 'client-account',
    pluralName: 'client-accounts',
    displayName: 'Client payment account',
    description: 'Saved payment methods and autopay of a client',
  },
  options: { draftAndPublish: false },
  pluginOptions: {
    'content-manager': { visible: false },
    'content-type-builder': { visible: false },
  },
  attributes: {
    /** The users-permissions user id (an invoice's `customer`). */
    userId: { type: 'integer', required: true },
    provider: { type: 'string', required: true },
    /** The provider's customer id (Stripe: cus_…); empty until the client first saves a method. */
    providerCustomerId: { type: 'string' },
    /** Charge the default saved method on the due date (admin switch). */
    autopayEnabled: { type: 'boolean', default: false },
  },
  indexes: [{ name: 'invoice_payments_client_accounts_user_uq', columns: ['user_id', 'provider'], type: 'unique' }],
};
