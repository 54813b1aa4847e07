import type { PluginRouter } from './types';
/**
 * Public routes. `auth: false` because payers hold a pay-link token rather than a Strapi role;
 * the controller authorizes each call (token or the invoice's own customer) and answers 404 otherwise.
 */
const open = { auth: false as const };

export default {
  type: 'content-api',
  routes: [
    { method: 'POST', path: '/invoices/:id/payment-intent', handler: 'pay.paymentIntent', config: open },
    { method: 'POST', path: '/invoices/:id/confirm-payment', handler: 'pay.confirmPayment', config: open },
    { method: 'POST', path: '/invoices/:id/checkout-session', handler: 'pay.checkoutSession', config: open },
    // The drawer's "Save for future invoices" (pay-link token or the invoice's customer).
    { method: 'POST', path: '/invoices/:id/save-method', handler: 'saved-methods.saveOnPayment', config: open },
    // The logged-in client's saved payment methods (users-permissions JWT, checked in the controller).
    { method: 'GET', path: '/saved-methods', handler: 'saved-methods.list', config: open },
    { method: 'DELETE', path: '/saved-methods/:methodId', handler: 'saved-methods.remove', config: open },
    { method: 'POST', path: '/saved-methods/:methodId/default', handler: 'saved-methods.setDefault', config: open },
    // The client portal (users-permissions JWT, checked in the controller): docs/api.md.
    { method: 'GET', path: '/portal/invoices', handler: 'portal.invoices', config: open },
    { method: 'GET', path: '/portal/invoices/:id/receipts', handler: 'portal.receipts', config: open },
    { method: 'POST', path: '/portal/payments', handler: 'portal.createPayment', config: open },
    { method: 'GET', path: '/portal/payments/:id', handler: 'portal.payment', config: open },
    { method: 'POST', path: '/portal/payments/:id/confirm', handler: 'portal.confirmPayment', config: open },
    // One route per provider (providers/registry.ts); /webhooks/stripe, the URL sites registered
    // with Stripe before there were other providers, is this route for `stripe`.
    { method: 'POST', path: '/webhooks/:provider', handler: 'webhook.receive', config: open },
  ],
} satisfies PluginRouter;
