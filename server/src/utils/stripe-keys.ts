/** Stripe key formats, their mode (test/live) and masking for display. Pure functions. */

export type KeyMode = 'test' | 'live';
export type SecretKeyKind = 'secret' | 'restricted';

const PUBLISHABLE = /^pk_(test|live)_[A-Za-z0-9]{8,247}$/;
const SECRET = /^(sk|rk)_(test|live)_[A-Za-z0-9]{8,247}$/;
const WEBHOOK_SECRET = /^whsec_[A-Za-z0-9+/=]{8,247}$/;

export interface KeyProblem {
  field: 'publishableKey' | 'secretKey' | 'webhookSecret';
  message: string;
}

export function publishableKeyMode(key: string): KeyMode | null {
  const m = PUBLISHABLE.exec(key);
  return m ? (m[1] as KeyMode) : null;
}

export function secretKeyInfo(key: string): { mode: KeyMode; kind: SecretKeyKind } | null {
  const m = SECRET.exec(key);
  if (!m) return null;
  return { mode: m[2] as KeyMode, kind: m[1] === 'rk' ? 'restricted' : 'secret' };
}

export function isWebhookSecret(value: string): boolean {
  return WEBHOOK_SECRET.test(value);
}

export function checkPublishableKey(key: string): KeyProblem | null {
  if (publishableKeyMode(key)) return null;
  if (/^(sk|rk)_/.test(key)) {
    return {
      field: 'publishableKey',
      message: 'This is a secret key. The publishable key starts with pk_test_ or pk_live_.',
    };
  }
  return {
    field: 'publishableKey',
    message: 'The publishable key must start with pk_test_ or pk_live_ (Stripe Dashboard → Developers → API keys).',
  };
}

export function checkSecretKey(key: string): KeyProblem | null {
  if (secretKeyInfo(key)) return null;
  if (key.startsWith('pk_')) {
    return {
      field: 'secretKey',
      message: 'This is a publishable key. The secret key starts with sk_test_, sk_live_, rk_test_ or rk_live_.',
    };
  }
  return {
    field: 'secretKey',
    message: 'The secret key must start with sk_test_, sk_live_ (or rk_test_ / rk_live_ for a restricted key).',
  };
}

export function checkWebhookSecret(value: string): KeyProblem | null {
  if (isWebhookSecret(value)) return null;
  return {
    field: 'webhookSecret',
    message:
      'The webhook signing secret starts with whsec_ (Stripe Dashboard → Developers → Webhooks → your endpoint → Signing secret).',
  };
}

/** A test publishable key with a live secret key (or the reverse) would fail every payment. */
export function checkModesMatch(publishableKey: string, secretMode: KeyMode): KeyProblem | null {
  const pk = publishableKeyMode(publishableKey);
  if (!pk || pk === secretMode) return null;
  return {
    field: 'secretKey',
    message: `The keys are from different modes: the publishable key is a ${pk} key (pk_${pk}_) but the secret key is a ${secretMode} key. Use both keys from the same mode (both test or both live).`,
  };
}

/** Mode and kind of a stored key, read from its mask's prefix (the key itself is sealed). */
export function maskedKeyInfo(mask: string): { mode: KeyMode; kind: SecretKeyKind } | null {
  const m = /^(sk|rk)_(test|live)_/.exec(mask);
  return m ? { mode: m[2] as KeyMode, kind: m[1] === 'rk' ? 'restricted' : 'secret' } : null;
}

/** `sk_test_••••4242`: the prefix says which key it is, the last four which one exactly. */
export function maskKey(key: string): string {
  const prefix = /^((?:sk|rk|pk)_(?:test|live)_|whsec_)/.exec(key)?.[1] ?? '';
  return `${prefix}••••${key.slice(-4)}`;
}
