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
    { method: 'POST', path: '/webhooks/stripe', handler: 'webhook.stripe', config: open },
  ],
} satisfies PluginRouter;
