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
    // One route per provider (providers/registry.ts); /webhooks/stripe, the URL sites registered
    // with Stripe before there were other providers, is this route for `stripe`.
    { method: 'POST', path: '/webhooks/:provider', handler: 'webhook.receive', config: open },
  ],
} satisfies PluginRouter;
