import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM encryption for secrets at rest (Stripe secret key, webhook signing secret).
 *
 * Ciphertext format: `v1:<keyId>:<iv>:<tag>:<data>` (base64url parts). `keyId` is a short hash of
 * the key, so after a rotation we know which key sealed a value without trying them all.
 */

export const ENCRYPTION_KEY_ENV = 'INVOICE_PAYMENTS_ENCRYPTION_KEY';
export const PREVIOUS_KEYS_ENV = 'INVOICE_PAYMENTS_ENCRYPTION_KEY_PREVIOUS';

export class EncryptionKeyError extends Error {
  readonly code = 'encryption_key';
}

export interface KeyRing {
  current: Buffer | null;
  previous: Buffer[];
}

const KEY_HELP = `Set ${ENCRYPTION_KEY_ENV} to 32 random bytes, base64 or hex (for example: openssl rand -base64 32), then restart Strapi.`;

/** Parses one key: 32 bytes given as base64/base64url (43-44 chars) or hex (64 chars). */
export function parseKey(raw: string, envName = ENCRYPTION_KEY_ENV): Buffer {
  const value = raw.trim();
  let key: Buffer | null = null;
  if (/^[0-9a-fA-F]{64}$/.test(value)) key = Buffer.from(value, 'hex');
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(value))
    key = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (!key || key.length !== 32) {
    throw new EncryptionKeyError(`${envName} is not a valid key. ${KEY_HELP}`);
  }
  return key;
}

export function keyRingFromEnv(env: NodeJS.ProcessEnv = process.env): KeyRing {
  const currentRaw = env[ENCRYPTION_KEY_ENV];
  const previousRaw = env[PREVIOUS_KEYS_ENV];
  return {
    current: currentRaw ? parseKey(currentRaw) : null,
    previous: previousRaw
      ? previousRaw
          .split(',')
          .filter((s) => s.trim() !== '')
          .map((s) => parseKey(s, PREVIOUS_KEYS_ENV))
      : [],
  };
}

export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

export function requireCurrentKey(ring: KeyRing): Buffer {
  if (!ring.current) {
    throw new EncryptionKeyError(`Secrets cannot be saved: ${ENCRYPTION_KEY_ENV} is not set. ${KEY_HELP}`);
  }
  return ring.current;
}

export function seal(plaintext: string, key: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return ['v1', keyId(key), iv.toString('base64url'), tag.toString('base64url'), data.toString('base64url')].join(':');
}

export function sealedKeyId(sealed: string): string | null {
  const parts = sealed.split(':');
  return parts.length === 5 && parts[0] === 'v1' ? (parts[1] ?? null) : null;
}

export function open(sealed: string, ring: KeyRing): string {
  const parts = sealed.split(':');
  if (parts.length !== 5 || parts[0] !== 'v1')
    throw new EncryptionKeyError('A stored secret is not in a known format.');
  const [, id, iv, tag, data] = parts as [string, string, string, string, string];
  const candidates = [ring.current, ...ring.previous].filter((k): k is Buffer => k !== null);
  const key = candidates.find((k) => keyId(k) === id);
  if (!key) {
    throw new EncryptionKeyError(
      `A stored secret was encrypted with a key that is not configured (key id ${id}). ` +
        `Put the old key in ${PREVIOUS_KEYS_ENV} to read it, or save the Stripe keys again.`,
    );
  }
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
}

/** A fingerprint safe to store in audit entries: identifies a key without revealing it. */
export function fingerprint(secret: string): string {
  return createHash('sha256').update(secret).digest('hex').slice(0, 16);
}
