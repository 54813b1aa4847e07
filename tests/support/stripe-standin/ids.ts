/**
 * Stripe-like identifiers: `<prefix>_<base62>`. Random suffixes come from crypto.randomBytes so
 * ids never collide across stand-in instances (tests often run several in parallel).
 */
import { createHash, randomBytes } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function toBase62(bytes: Uint8Array, length: number): string {
  let out = '';
  for (let i = 0; i < length; i += 1) out += BASE62[bytes[i % bytes.length] % 62];
  return out;
}

export function randomBase62(length: number): string {
  return toBase62(randomBytes(length), length);
}

export function randomDigits(length: number): string {
  return Array.from(randomBytes(length), (byte) => String(byte % 10)).join('');
}

/** `pi_3Nx...`: Stripe's ids carry 24 characters after the prefix. */
export function newId(prefix: string, length = 24): string {
  return `${prefix}_${randomBase62(length)}`;
}

/** Checkout session ids are long and carry the mode: `cs_test_a1...` / `cs_live_a1...`. */
export function newCheckoutSessionId(livemode: boolean): string {
  return `cs_${livemode ? 'live' : 'test'}_a1${randomBase62(56)}`;
}

export function newRequestId(): string {
  return newId('req', 14);
}

/** Deterministic per input (e.g. the account id for a given secret key). */
export function hashBase62(input: string, length: number): string {
  return toBase62(createHash('sha256').update(input).digest(), length);
}

/** Stripe timestamps are whole unix seconds. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
