import { actionUid, ACTIONS } from '../utils/permissions';
import type { PluginRouter } from './types';

const guard = (...actions: string[]) => ({
  policies: [{ name: 'admin::hasPermissions', config: { actions: actions.map(actionUid) } }],
});

export default {
  type: 'admin',
  routes: [
    { method: 'GET', path: '/settings', handler: 'settings.get', config: guard(ACTIONS.settingsRead) },
    { method: 'PUT', path: '/settings', handler: 'settings.update', config: guard(ACTIONS.settingsUpdate) },
    {
      method: 'POST',
      path: '/settings/test-connection',
      handler: 'settings.testConnection',
      config: guard(ACTIONS.settingsRead),
    },
    {
      method: 'POST',
      path: '/settings/disconnect',
      handler: 'settings.disconnect',
      config: guard(ACTIONS.settingsUpdate),
    },
    // Settings → Payment methods: Stripe payment method configurations and the wallet domain.
    {
      method: 'GET',
      path: '/settings/payment-methods',
      handler: 'payment-methods.get',
      config: guard(ACTIONS.settingsRead),
    },
    {
      method: 'PUT',
      path: '/settings/payment-methods',
      handler: 'payment-methods.choose',
      config: guard(ACTIONS.settingsUpdate),
    },
    {
      method: 'GET',
      path: '/settings/payment-methods/domain',
      handler: 'payment-methods.domain',
      config: guard(ACTIONS.settingsRead),
    },
    {
      method: 'POST',
      path: '/settings/payment-methods/domain',
      handler: 'payment-methods.registerDomain',
      config: guard(ACTIONS.settingsUpdate),
    },

    // Mode and connection for the plugin's home header (no secrets): roles without settings.read see it too.
    { method: 'GET', path: '/status', handler: 'admin.status', config: guard(ACTIONS.paymentsRead) },
    // The plugin's home: totals per currency and 12 months of collections.
    { method: 'GET', path: '/dashboard', handler: 'admin.dashboard', config: guard(ACTIONS.paymentsRead) },
    // CSV downloads for the invoice list's current filters (same query parameters as GET /invoices).
    {
      method: 'GET',
      path: '/exports/invoices.csv',
      handler: 'admin.exportInvoices',
      config: guard(ACTIONS.paymentsRead),
    },
    {
      method: 'GET',
      path: '/exports/payments.csv',
      handler: 'admin.exportPayments',
      config: guard(ACTIONS.paymentsRead),
    },
    { method: 'GET', path: '/invoices', handler: 'admin.listInvoices', config: guard(ACTIONS.paymentsRead) },
    { method: 'GET', path: '/invoices/:id', handler: 'admin.getInvoice', config: guard(ACTIONS.paymentsRead) },
    {
      method: 'GET',
      path: '/invoices/:id/pdf',
      handler: 'documents.adminInvoicePdf',
      config: guard(ACTIONS.paymentsRead),
    },
    {
      method: 'GET',
      path: '/invoices/:id/receipts/:payment',
      handler: 'documents.adminReceiptPdf',
      config: guard(ACTIONS.paymentsRead),
    },
    // The plugin's invoice editor and invoice actions (services/invoice-editor).
    { method: 'GET', path: '/invoice-form', handler: 'editor.form', config: guard(ACTIONS.invoicesEdit) },
    { method: 'GET', path: '/invoice-form/:id', handler: 'editor.form', config: guard(ACTIONS.invoicesEdit) },
    { method: 'GET', path: '/clients', handler: 'editor.clients', config: guard(ACTIONS.invoicesEdit) },
    { method: 'POST', path: '/invoices', handler: 'editor.create', config: guard(ACTIONS.invoicesEdit) },
    { method: 'PUT', path: '/invoices/:id', handler: 'editor.update', config: guard(ACTIONS.invoicesEdit) },
    {
      method: 'POST',
      path: '/invoices/:id/mark-sent',
      handler: 'editor.markSent',
      config: guard(ACTIONS.invoicesSend),
    },
    { method: 'POST', path: '/invoices/:id/void', handler: 'editor.void', config: guard(ACTIONS.invoicesVoid) },
    {
      method: 'POST',
      path: '/invoices/:id/duplicate',
      handler: 'editor.duplicate',
      config: guard(ACTIONS.invoicesEdit),
    },
    {
      method: 'POST',
      path: '/invoices/:id/pay-link/copied',
      handler: 'editor.linkCopied',
      config: guard(ACTIONS.invoicesSend),
    },
    {
      method: 'POST',
      path: '/invoices/:id/manual-payments',
      handler: 'admin.recordManualPayment',
      config: guard(ACTIONS.paymentsManual),
    },
    // Payment reminders of one invoice: the next one, those sent, and the invoice's switch.
    {
      method: 'GET',
      path: '/invoices/:id/reminders',
      handler: 'admin.reminders',
      config: guard(ACTIONS.paymentsRead),
    },
    {
      method: 'PUT',
      path: '/invoices/:id/reminders',
      handler: 'admin.setReminders',
      config: guard(ACTIONS.invoicesEdit),
    },
    // Autopay: the invoice's attempts and its client's switch and saved methods.
    {
      method: 'GET',
      path: '/invoices/:id/autopay',
      handler: 'saved-methods.adminInvoiceAutopay',
      config: guard(ACTIONS.paymentsRead),
    },
    {
      method: 'GET',
      path: '/clients/:userId/autopay',
      handler: 'saved-methods.adminClient',
      config: guard(ACTIONS.paymentsRead),
    },
    {
      method: 'PUT',
      path: '/clients/:userId/autopay',
      handler: 'saved-methods.adminSetAutopay',
      config: guard(ACTIONS.invoicesEdit),
    },
    { method: 'POST', path: '/invoices/:id/resync', handler: 'admin.resync', config: guard(ACTIONS.paymentsRead) },
    { method: 'POST', path: '/invoices/:id/send', handler: 'admin.send', config: guard(ACTIONS.invoicesSend) },
    {
      method: 'POST',
      path: '/invoices/:id/pay-link',
      handler: 'admin.regeneratePayLink',
      config: guard(ACTIONS.invoicesSend),
    },
    {
      method: 'POST',
      path: '/payments/:paymentId/void',
      handler: 'admin.voidManualPayment',
      config: guard(ACTIONS.paymentsManual),
    },
    {
      method: 'POST',
      path: '/payments/:paymentId/refunds',
      handler: 'admin.refund',
      config: guard(ACTIONS.paymentsRefund),
    },

    { method: 'GET', path: '/webhook-events', handler: 'admin.listEvents', config: guard(ACTIONS.webhooksRead) },
    {
      method: 'GET',
      path: '/webhook-events/health',
      handler: 'admin.eventsHealth',
      config: guard(ACTIONS.webhooksRead),
    },
    {
      method: 'POST',
      path: '/webhook-events/:id/replay',
      handler: 'admin.replayEvent',
      config: guard(ACTIONS.webhooksReplay),
    },

    { method: 'GET', path: '/audit-entries', handler: 'admin.listAudit', config: guard(ACTIONS.auditRead) },
  ],
} satisfies PluginRouter;
