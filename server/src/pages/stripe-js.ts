import type { PluginConfig } from '../config';

/**
 * Where the pay pages load Stripe.js from. By default nowhere but Stripe: @stripe/stripe-js adds
 * https://js.stripe.com/<release>/stripe.js itself (Stripe requires that; it is never bundled or
 * self-hosted), and the pages' CSP names Stripe's origins.
 *
 * `stripe.jsUrl` (env STRIPE_JS_URL, read like stripe.apiBase / STRIPE_API_BASE) replaces it with
 * a script from another origin: the Stripe stand-in's fake Stripe.js, so the offline demo and its
 * browser test can pay without reaching js.stripe.com. The pages' CSP then allows that origin
 * instead of Stripe's (security.ts). TESTS AND DEMOS ONLY: whatever script sits at that URL sees
 * the card number the client types, so the plugin warns at startup whenever it is set.
 */
export const STRIPE_JS_EXAMPLE = 'http://127.0.0.1:12111/_standin/stripe.js';

export function parseStripeJsUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`stripe.jsUrl "${value}" is not a URL (expected e.g. ${STRIPE_JS_EXAMPLE}).`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`stripe.jsUrl must be http:// or https://, got "${url.protocol}".`);
  }
  return url;
}

/**
 * The configured replacement Stripe.js, or null for Stripe's own. Plugin config first, then the
 * environment, exactly as the API base is resolved (providers/stripe/index.ts); an empty variable counts
 * as unset. Throws on a malformed URL (bootstrap calls this, so that fails at startup).
 */
export function stripeJsUrl(config: PluginConfig): string | null {
  const value = config.stripe.jsUrl ?? process.env.STRIPE_JS_URL ?? null;
  return value ? parseStripeJsUrl(value).href : null;
}
