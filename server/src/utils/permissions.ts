import { PLUGIN_ID } from './plugin-id';

/** RBAC actions this plugin registers; admin routes and admin UI both check these. */
export const ACTIONS = {
  settingsRead: 'settings.read',
  settingsUpdate: 'settings.update',
  paymentsRead: 'payments.read',
  paymentsManual: 'payments.manual',
  paymentsRefund: 'payments.refund',
  webhooksRead: 'webhooks.read',
  webhooksReplay: 'webhooks.replay',
  auditRead: 'audit.read',
  invoicesSend: 'invoices.send',
  invoicesEdit: 'invoices.edit',
  invoicesVoid: 'invoices.void',
} as const;

export const actionUid = (action: string) => `plugin::${PLUGIN_ID}.${action}`;

export const ACTION_DEFINITIONS = [
  { uid: ACTIONS.settingsRead, displayName: 'Read Stripe settings', subCategory: 'settings' },
  { uid: ACTIONS.settingsUpdate, displayName: 'Change Stripe settings', subCategory: 'settings' },
  { uid: ACTIONS.paymentsRead, displayName: 'See invoices and payments', subCategory: 'payments' },
  { uid: ACTIONS.paymentsManual, displayName: 'Record and void manual payments', subCategory: 'payments' },
  { uid: ACTIONS.paymentsRefund, displayName: 'Refund payments', subCategory: 'payments' },
  { uid: ACTIONS.invoicesSend, displayName: 'Send invoices and pay links', subCategory: 'payments' },
  { uid: ACTIONS.invoicesEdit, displayName: 'Create, edit and duplicate invoices', subCategory: 'invoices' },
  { uid: ACTIONS.invoicesVoid, displayName: 'Void invoices', subCategory: 'invoices' },
  { uid: ACTIONS.webhooksRead, displayName: 'See webhook deliveries', subCategory: 'webhooks' },
  { uid: ACTIONS.webhooksReplay, displayName: 'Replay webhook events', subCategory: 'webhooks' },
  { uid: ACTIONS.auditRead, displayName: 'See the audit log', subCategory: 'audit' },
].map((a) => ({
  section: 'plugins' as const,
  pluginName: PLUGIN_ID,
  displayName: a.displayName,
  uid: a.uid,
  subCategory: a.subCategory,
}));
