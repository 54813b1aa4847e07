/**
 * stripe.apiBase (STRIPE_API_BASE) and stripe.jsUrl (STRIPE_JS_URL) point the plugin at something
 * that is not Stripe: the Stripe stand-in of the tests, benchmarks and offline demo. A stray
 * variable on a real site would send the live secret key (over plain HTTP, often) to another host,
 * or load a script that is not Stripe's where clients type live card numbers. So:
 * - with a live key, never: a live secret key is never sent to an API base, a live publishable key
 *   never used with a replacement Stripe.js (refused on save, by the client factory, by the pages);
 * - in production (NODE_ENV=production), only with an explicit opt-in
 *   (INVOICE_PAYMENTS_ALLOW_STRIPE_STANDIN=true or stripe.allowStandinInProduction), else the
 *   plugin refuses to start and says why.
 * Pure functions: no Strapi here.
 */
import { publishableKeyMode, secretKeyInfo } from './stripe-keys';

export const STANDIN_OPT_IN_ENV = 'INVOICE_PAYMENTS_ALLOW_STRIPE_STANDIN';

export interface StripeOverrides {
  /** The configured API base, or null for api.stripe.com. */
  apiBase: string | null;
  /** The configured replacement Stripe.js, or null for js.stripe.com. */
  jsUrl: string | null;
  /** The explicit production opt-in. */
  allowInProduction: boolean;
}

type Env = Record<string, string | undefined>;

/** Plugin config first, then the environment; an empty variable counts as unset. */
export function stripeOverrides(
  stripe: { apiBase?: string | null; jsUrl?: string | null; allowStandinInProduction?: boolean | null },
  env: Env = process.env,
): StripeOverrides {
  return {
    apiBase: stripe.apiBase || env.STRIPE_API_BASE || null,
    jsUrl: stripe.jsUrl || env.STRIPE_JS_URL || null,
    allowInProduction: stripe.allowStandinInProduction === true || env[STANDIN_OPT_IN_ENV] === 'true',
  };
}

function named(o: StripeOverrides): string {
  return [
    o.apiBase ? `stripe.apiBase / STRIPE_API_BASE (${o.apiBase})` : null,
    o.jsUrl ? `stripe.jsUrl / STRIPE_JS_URL (${o.jsUrl})` : null,
  ]
    .filter(Boolean)
    .join(' and ');
}

/** Why the plugin must not start in this environment, or null. */
export function productionOverrideProblem(o: StripeOverrides, nodeEnv: string | undefined): string | null {
  if (nodeEnv !== 'production' || (!o.apiBase && !o.jsUrl) || o.allowInProduction) return null;
  return (
    `invoice-payments will not start: ${named(o)} ${o.apiBase && o.jsUrl ? 'are' : 'is'} set while NODE_ENV=production. ` +
    'These replace Stripe with another server (the Stripe stand-in of tests, benchmarks and demos): payments would not be real, and keys and card numbers would go to that host. ' +
    'On a real site, unset them. To run in production mode against a stand-in on purpose (benchmarks, fault tests), with test keys only, ' +
    `set ${STANDIN_OPT_IN_ENV}=true (or stripe.allowStandinInProduction: true in config/plugins).`
  );
}

/** Why a live secret key must not be used with the API base, or null. */
export function liveSecretKeyProblem(apiBase: string | null, secretKey: string | null | undefined): string | null {
  if (!apiBase || !secretKey || secretKeyInfo(secretKey)?.mode !== 'live') return null;
  return liveSecretMessage(apiBase);
}

export function liveSecretMessage(apiBase: string): string {
  return (
    `A live Stripe secret key cannot be used while stripe.apiBase / STRIPE_API_BASE sends Stripe calls to ${apiBase} instead of api.stripe.com: ` +
    'the key would be sent to that host. Unset STRIPE_API_BASE (and stripe.apiBase) and restart, or use test keys (sk_test_ / pk_test_).'
  );
}

/** Why a live publishable key must not be used with the replacement Stripe.js, or null. */
export function livePublishableKeyProblem(
  jsUrl: string | null,
  publishableKey: string | null | undefined,
): string | null {
  if (!jsUrl || !publishableKey || publishableKeyMode(publishableKey) !== 'live') return null;
  return (
    `A live Stripe publishable key cannot be used while stripe.jsUrl / STRIPE_JS_URL loads Stripe.js from ${jsUrl} instead of js.stripe.com: ` +
    'clients would type live card numbers into a script that is not Stripe’s. Unset STRIPE_JS_URL (and stripe.jsUrl) and restart, or use test keys (pk_test_ / sk_test_).'
  );
}
