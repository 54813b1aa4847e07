import { createHash } from 'node:crypto';
import { DomainError } from './errors';

/**
 * Stripe idempotency keys derived from our own records, never random: a retry
 * of the same logical operation (double click, worker restart, webhook replay)
 * must produce the same key so Stripe returns the original object instead of
 * charging or refunding twice. Changing anything meaningful (amount, attempt
 * number, refund sequence) yields a new key.
 *
 * Format: `ip-<op>-<part>-<part>...`. Parts are percent-encoded and '-' is
 * encoded too, so distinct inputs can never collide on the separator.
 */

export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
const PREFIX = 'ip';

function encodePart(part: string | number, name: string): string {
  const text = typeof part === 'number' ? String(part) : part.trim();
  if (text === '') {
    throw new DomainError('idempotency_key_invalid', `Cannot build an idempotency key without ${name}.`, {
      part: name,
    });
  }
  return encodeURIComponent(text).replace(/-/g, '%2D');
}

function counter(value: number, name: string, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new DomainError('idempotency_key_invalid', `The ${name} must be an integer >= ${min}.`, {
      part: name,
      value,
    });
  }
  return value;
}

function build(op: string, parts: Array<[string | number, string]>): string {
  const key = [PREFIX, op, ...parts.map(([value, name]) => encodePart(value, name))].join('-');
  if (key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    // Truncating would risk two operations sharing a key; refuse instead.
    throw new DomainError('idempotency_key_too_long', 'The idempotency key would exceed 255 characters.', {
      length: key.length,
    });
  }
  return key;
}

/**
 * Canonical JSON: object keys sorted, so the same parameters always digest the same way whatever
 * order they were built in. `undefined` members are dropped, as they are never sent.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * `ip-<op>-<scope>-<digest>-<generation>`: the key of one exact request. The digest covers the
 * operation, its scope and every parameter sent, so one key never stands for two different
 * requests (Stripe would replay the first one's answer for 24 h, whatever changed since:
 * https://docs.stripe.com/api/idempotent_requests), and retrying the same request reuses it.
 * Parameters that must make a request distinct although the payload is the same (an attempt
 * token, an update revision) belong in `params` too. `generation` moves on only after the
 * provider was asked what exists and the earlier try is known not to have happened: Stripe also
 * replays a saved 500 under its key.
 */
export function requestKey(op: string, scope: string, params: unknown, generation = 0): string {
  if (!/^[a-z]{1,8}$/.test(op))
    throw new DomainError('idempotency_key_invalid', 'The operation must be 1-8 lowercase letters.', { part: 'op' });
  const digest = createHash('sha256').update(canonicalJson({ op, scope, params })).digest('base64url').slice(0, 22);
  return build(op, [
    [scope, 'the scope'],
    [digest, 'the request digest'],
    [counter(generation, 'generation', 0), 'the generation'],
  ]);
}

/** `ip-re-<payment>-<seq>`: the n-th refund of a payment (seq from our refund records). */
export function refundKey(paymentId: string, refundSeq: number): string {
  return build('re', [
    [paymentId, 'the payment id'],
    [counter(refundSeq, 'refund sequence', 1), 'the refund sequence'],
  ]);
}

/**
 * `ip-cus-<installation>-<provider>-<clientId>`: one provider customer per client of this site. A
 * client id alone (a database id) repeats across sites sharing one Stripe account and after a
 * reinstall, and Stripe keeps idempotency keys per account: another site's key would replay its
 * customer (or fail as a key reused with other parameters). The installation id
 * (utils/installation) tells the sites apart.
 */
export function customerCreateKey(installationId: string, providerId: string, clientId: string): string {
  return build('cus', [
    [installationId, 'the installation id'],
    [providerId, 'the provider id'],
    [clientId, 'the client id'],
  ]);
}
