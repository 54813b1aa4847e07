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
  invoicesEdit: action('invoices.edit'),
  invoicesVoid: action('invoices.void'),
};
