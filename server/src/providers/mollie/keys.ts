/**
 * Mollie API keys: `test_…` or `live_…` followed by 30 characters
 * (https://docs.mollie.com/reference/authentication, "API keys"); the prefix is the mode. Pure.
 */
export type MollieKeyMode = 'test' | 'live';

const API_KEY = /^(test|live)_[A-Za-z0-9]{20,64}$/;

export function mollieKeyMode(key: string | null | undefined): MollieKeyMode | null {
  const m = key ? API_KEY.exec(key) : null;
  return m ? (m[1] as MollieKeyMode) : null;
}

/** An actionable message for a value that is not a Mollie API key, or null. */
export function checkMollieApiKey(key: string): string | null {
  if (mollieKeyMode(key)) return null;
  if (/^access_/.test(key))
    return "This is an OAuth access token. Paste the profile's API key instead (starts with test_ or live_).";
  if (/^(sk|rk|pk)_/.test(key))
    return 'This is a Stripe key. The Mollie API key starts with test_ or live_ (Mollie Dashboard → Developers → API keys).';
  return 'The Mollie API key must start with test_ or live_ (Mollie Dashboard → Developers → API keys).';
}

/** `test_••••abcd`: the prefix says the mode, the last four which key. */
export function maskMollieKey(key: string): string {
  const prefix = /^(test_|live_)/.exec(key)?.[1] ?? '';
  return `${prefix}••••${key.slice(-4)}`;
}

/** Mode of a stored key, read from its mask (the key itself is sealed). */
export function maskedMollieKeyMode(mask: string | null | undefined): MollieKeyMode | null {
  const m = mask ? /^(test|live)_/.exec(mask) : null;
  return m ? (m[1] as MollieKeyMode) : null;
}
