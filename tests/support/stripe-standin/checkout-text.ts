/**
 * Text shown by the stand-in's Checkout, in one place for the hosted page (pages.ts) and the
 * Stripe.js stand-in's embedded Checkout (stripe-js-standin/stripe-js.ts, bundled for the browser:
 * keep this file free of Node imports).
 *
 * When a session has `saved_payment_method_options[payment_method_save]=enabled` and a Customer,
 * Checkout shows an optional checkbox letting the customer save their payment details, on the
 * Stripe-hosted page and the embedded page alike
 * (https://docs.stripe.com/payments/checkout/save-during-payment, "Full hosted page" and
 * "Full embedded page" variants).
 */
export const SAVE_DETAILS_LABEL = 'Save my payment details for future purchases';
