import { PLUGIN_ID } from './pluginId';

const action = (name: string) => [{ action: `plugin::${PLUGIN_ID}.${name}`, subject: null as string | null }];

/** Mirrors server/src/utils/permissions.ts: the UI hides what the role cannot use. */
export const PERMISSIONS = {
  settingsRead: action('settings.read'),
  settingsUpdate: action('settings.update'),
  paymentsRead: action('payments.read'),
  paymentsManual: action('payments.manual'),
  paymentsRefund: action('payments.refund'),
  invoicesSend: action('invoices.send'),
  webhooksRead: action('webhooks.read'),
  webhooksReplay: action('webhooks.replay'),
  auditRead: action('audit.read'),
  /** Invoices themselves are created and edited in the Content Manager, under its own permissions. */
  invoiceCreate: [{ action: 'plugin::content-manager.explorer.create', subject: `plugin::${PLUGIN_ID}.invoice` }],
  invoiceUpdate: [{ action: 'plugin::content-manager.explorer.update', subject: `plugin::${PLUGIN_ID}.invoice` }],
};
