/**
 * Where the Stripe stand-in serves the Stripe.js stand-in (test support only). Shared by the
 * stand-in's route and by the fake itself, which recognises this path on its own script URL
 * (stripe-js.ts). Plain constants: the fake's browser bundle imports this file.
 */
export const STRIPE_JS_STANDIN_PATH = '/_standin/stripe.js';
