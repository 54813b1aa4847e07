/**
 * API key authentication as Stripe does it: `Authorization: Bearer <key>` (or HTTP Basic with the
 * key as user name). Any well-formed secret/restricted key works; livemode follows its prefix.
 * Keys containing "invalid" are rejected, so tests can exercise the 401 path.
 *
 * Follows https://docs.stripe.com/api/authentication and https://docs.stripe.com/keys.
 */
import { StripeApiError } from './errors';

export interface ApiKey {
  key: string;
  livemode: boolean;
}

const KEY_PATTERN = /^(sk|rk)_(test|live)_[A-Za-z0-9_]+$/;

/** Stripe's masking: keep the prefix and the last 4 characters. */
export function maskKey(key: string): string {
  const prefix = /^[a-z]{2}_(test|live)_/.exec(key)?.[0] ?? '';
  const visible = key.length - prefix.length > 4 ? key.slice(-4) : '';
  return `${prefix}${'*'.repeat(Math.max(0, key.length - prefix.length - visible.length))}${visible}`;
}

function extractKey(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const bearer = /^Bearer\s+(.+)$/i.exec(header.trim());
  if (bearer) return bearer[1].trim();
  const basic = /^Basic\s+(.+)$/i.exec(header.trim());
  if (basic) return Buffer.from(basic[1], 'base64').toString('utf8').split(':')[0];
  return undefined;
}

export function authenticate(header: string | undefined): ApiKey {
  const key = extractKey(header);
  if (!key) {
    throw StripeApiError.authentication(
      "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
    );
  }
  if (/^pk_(test|live)_/.test(key)) {
    throw StripeApiError.authentication(
      'This API call cannot be made with a publishable API key. Please use a secret API key. You can find a list of your API keys at https://dashboard.stripe.com/account/apikeys.',
    );
  }
  if (!KEY_PATTERN.test(key) || key.includes('invalid')) {
    throw StripeApiError.authentication(`Invalid API Key provided: ${maskKey(key)}`);
  }
  return { key, livemode: key.includes('_live_') };
}

/**
 * Stripe.js calls the API from the browser with the publishable key as a `key` form parameter
 * (no Authorization header, so no CORS preflight), and may only touch an intent whose
 * `client_secret` it presents. The stand-in allows exactly what the Payment Element needs.
 */
export const PUBLISHABLE_ROUTES: readonly string[] = [
  'GET /v1/payment_intents/:id',
  'POST /v1/payment_intents/:id/confirm',
];

const PUBLISHABLE_PATTERN = /^pk_(test|live)_[A-Za-z0-9_]+$/;

export function isPublishableKey(value: unknown): value is string {
  return typeof value === 'string' && PUBLISHABLE_PATTERN.test(value);
}

/**
 * Checks a publishable-key call: an allowed route (`METHOD pattern`) and the intent's own client
 * secret. Anything else gets Stripe's answers: the publishable-key refusal, or "No such
 * payment_intent" (Stripe does not confirm that an intent exists to a caller without its secret).
 */
export function authenticatePublishable(
  key: string,
  route: string | undefined,
  intentId: string | undefined,
  clientSecret: unknown,
  secretOf: (id: string, livemode: boolean) => string | undefined,
): ApiKey {
  if (!PUBLISHABLE_PATTERN.test(key) || key.includes('invalid')) {
    throw StripeApiError.authentication(`Invalid API Key provided: ${maskKey(key)}`);
  }
  if (!route || !PUBLISHABLE_ROUTES.includes(route) || !intentId) {
    throw StripeApiError.authentication(
      'This API call cannot be made with a publishable API key. Please use a secret API key. You can find a list of your API keys at https://dashboard.stripe.com/account/apikeys.',
    );
  }
  const livemode = key.includes('_live_');
  const expected = secretOf(intentId, livemode);
  if (typeof clientSecret !== 'string' || expected === undefined || clientSecret !== expected) {
    throw StripeApiError.resourceMissing('payment_intent', intentId);
  }
  return { key, livemode };
}
