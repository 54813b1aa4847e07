export const PLUGIN_ID = 'invoice-payments';

export const UID = {
  invoice: 'plugin::invoice-payments.invoice',
  payment: 'plugin::invoice-payments.payment',
  refund: 'plugin::invoice-payments.refund',
  webhookEvent: 'plugin::invoice-payments.webhook-event',
  auditEntry: 'plugin::invoice-payments.audit-entry',
  notice: 'plugin::invoice-payments.notice',
  reminder: 'plugin::invoice-payments.reminder',
  eventOut: 'plugin::invoice-payments.event-out',
  clientAccount: 'plugin::invoice-payments.client-account',
  autopayAttempt: 'plugin::invoice-payments.autopay-attempt',
  paymentGroup: 'plugin::invoice-payments.payment-group',
} as const;
