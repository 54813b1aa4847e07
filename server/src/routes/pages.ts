import type { PluginRouter } from './types';
/**
 * Client pay pages. Admin-type routes mount at /invoice-payments/... (no /api prefix); `auth: false`
 * because a payer holds a pay-link token (or a Checkout session id), not an admin session. The
 * fixed paths come before /pay/:token so they are never read as a token.
 */
const open = { auth: false as const };

export const pages = {
  type: 'admin',
  routes: [
    { method: 'GET', path: '/pay/assets/:file', handler: 'pages.asset', config: open },
    { method: 'GET', path: '/pay/success', handler: 'pages.checkoutSuccess', config: open },
    { method: 'GET', path: '/pay/cancel', handler: 'pages.checkoutCancel', config: open },
    { method: 'GET', path: '/pay/return', handler: 'pages.paymentReturn', config: open },
    { method: 'GET', path: '/pay/brand/:file', handler: 'documents.brandAsset', config: open },
    { method: 'GET', path: '/pay/:token', handler: 'pages.payPage', config: open },
    // The invoice PDF and receipts: the pay-link token authorises them as it does the page.
    { method: 'GET', path: '/pay/:token/invoice.pdf', handler: 'documents.payInvoicePdf', config: open },
    { method: 'GET', path: '/pay/:token/receipts/:payment', handler: 'documents.payReceiptPdf', config: open },
    // Not /invoices/:id: that path is the admin API's (routes/admin.ts).
    { method: 'GET', path: '/pay/invoice/:id', handler: 'pages.customerPage', config: open },
    { method: 'GET', path: '/portal', handler: 'pages.portalPage', config: open },
  ],
} satisfies PluginRouter;

/** The same invoice view as JSON, for sites with their own front end (content API: /api/invoice-payments/...). */
export const pagesApi = {
  type: 'content-api',
  routes: [
    { method: 'GET', path: '/pay/:token', handler: 'pages.viewByToken', config: open },
    { method: 'GET', path: '/invoices/:id', handler: 'pages.viewForCustomer', config: open },
    { method: 'GET', path: '/invoices/:id/pdf', handler: 'documents.customerInvoicePdf', config: open },
    { method: 'GET', path: '/invoices/:id/receipts/:payment', handler: 'documents.customerReceiptPdf', config: open },
  ],
} satisfies PluginRouter;
