/**
 * API key authentication as Stripe does it: `Authorization: Bearer <key>` (or HTTP Basic with the
 * key as user name). Any well-formed secret/restricted key works; livemode follows its prefix.
 * Keys containing "invalid" are rejected, so tests can exercise the 401 path.
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
