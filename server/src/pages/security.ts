import type { Context } from 'koa';

/** The sources a page with Stripe.js needs beyond 'self', per directive. */
interface StripeSources {
  script: string;
  img: string;
  connect: string;
  frame: string;
}

function stripeCsp(sources: StripeSources): string {
  return [
    "default-src 'none'",
    `script-src 'self' ${sources.script}`,
    "style-src 'self' 'unsafe-inline'",
    `img-src 'self' ${sources.img}`,
    `connect-src 'self' ${sources.connect}`,
    `frame-src ${sources.frame}`,
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * Content-Security-Policy of the pay pages. Strapi's `strapi::security` (helmet) has already set
 * its own CSP when our controller runs; setting the header again replaces it (helmet sets headers
 * before calling the next middleware and never touches them afterwards).
 *
 * Every source is there for a reason:
 * - default-src 'none': anything not listed below is refused.
 * Stripe's sources are those of the CSP table of Stripe's integration security guide
 * (https://docs.stripe.com/security/guide#content-security-policy), for Stripe.js and for Checkout
 * (the pay pages use both: the Payment Element, and embedded Checkout); the integration test
 * tests/integration/pay-page-csp.test.ts checks the served header against a copy of that table.
 * - script-src 'self' (our /invoice-payments/pay/assets/pay.js, no inline script at all),
 *   https://js.stripe.com https://*.js.stripe.com (Stripe.js) and https://checkout.stripe.com
 *   (Checkout).
 * - style-src 'self' for our stylesheet, and 'unsafe-inline' on Stripe pages only: Stripe.js
 *   puts inline styles on the iframes it inserts into our page. CSS cannot run script, and
 *   img-src below limits where a style could load anything from.
 * - img-src 'self' https://*.stripe.com: card-brand icons and Stripe's own images.
 * - connect-src 'self' (this plugin's /api routes), https://api.stripe.com (Stripe.js confirms
 *   the PaymentIntent from the browser with the publishable key), https://checkout.stripe.com
 *   (embedded Checkout).
 * - frame-src https://js.stripe.com https://*.js.stripe.com (Payment Element and Embedded
 *   Checkout iframes), https://hooks.stripe.com (3D Secure challenges),
 *   https://checkout.stripe.com (Embedded Checkout).
 * - base-uri 'none', form-action 'self', frame-ancestors 'none': no <base> injection, forms only
 *   post here, and nobody can frame the pay page (clickjacking).
 * Hosted Checkout is a top-level navigation, which CSP does not restrict.
 */
export const STRIPE_PAGE_CSP = stripeCsp({
  script: 'https://js.stripe.com https://*.js.stripe.com https://checkout.stripe.com',
  img: 'https://*.stripe.com',
  connect: 'https://api.stripe.com https://checkout.stripe.com',
  frame: 'https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com https://checkout.stripe.com',
});

/**
 * The CSP of a page with a Pay button. With a replacement Stripe.js (stripe.jsUrl: tests and the
 * offline demo only, see stripe-js.ts) its origin takes the place of every Stripe origin: the
 * stand-in serving it also answers its API calls and its control routes (3-D Secure, embedded
 * Checkout), so that one origin is all the page needs, and Stripe's are not allowed at all.
 */
export function stripePageCsp(jsUrl: string | null): string {
  if (!jsUrl) return STRIPE_PAGE_CSP;
  const origin = new URL(jsUrl).origin;
  return stripeCsp({ script: origin, img: origin, connect: origin, frame: origin });
}

/** Pages without Stripe (success, cancel, not found): our script and stylesheet, nothing else. */
export const PLAIN_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Headers of every HTML page: its CSP; no Referer ever (a pay-link URL carries the token, and
 * the page navigates to Stripe); never cached or indexed (it shows a client's invoice).
 */
export function setPageHeaders(ctx: Context, csp: string): void {
  ctx.set('Content-Security-Policy', csp);
  ctx.set('Referrer-Policy', 'no-referrer');
  ctx.set('Cache-Control', 'no-store');
  ctx.set('X-Robots-Tag', 'noindex, nofollow');
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.type = 'html';
}
