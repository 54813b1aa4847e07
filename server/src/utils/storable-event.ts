/**
 * A verified webhook event, made storable on SQLite, PostgreSQL and MariaDB alike. PostgreSQL
 * refuses NUL (U+0000) in text and jsonb, and unpaired UTF-16 surrogates in jsonb ("\ud800"); a
 * signed event carrying one was answered 503 "could not be stored", so Stripe would deliver it
 * again for days (it retries any non-2xx: https://docs.stripe.com/webhooks#retries). Such
 * characters are written out as visible escapes instead (`\u0000`), and an event whose id or type
 * could not come from Stripe (Stripe's are printable ASCII: `evt_...`, `payment_intent.succeeded`)
 * is stored for inspection, marked ignored with the reason, and acknowledged. Pure functions.
 */
import { createHash } from 'node:crypto';
import type { ProviderEvent } from '../providers/types';

/** NUL, or a UTF-16 surrogate without its pair. */
// eslint-disable-next-line no-control-regex -- NUL is the control character this pattern exists to find.
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const hex = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** The string with NUL and unpaired surrogates written as `\uXXXX` text. */
export function storableText(value: string): string {
  return value.replace(UNSTORABLE, hex);
}

/** A JSON value with every string and key made storable. */
export function storableJson(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value);
  if (Array.isArray(value)) return value.map(storableJson);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[storableText(k)] = storableJson(v);
    return out;
  }
  return value;
}

/** What Stripe's event ids and types look like: printable ASCII, no spaces. */
const STRIPE_TOKEN = /^[\x21-\x7e]{1,255}$/;

export interface StorableEvent {
  event: ProviderEvent;
  /** Set when the event cannot be a Stripe event: store it as ignored, with this reason. */
  ignoredReason: string | null;
}

export function storableEvent(event: ProviderEvent): StorableEvent {
  const problems: string[] = [];
  if (!STRIPE_TOKEN.test(event.id)) problems.push('id');
  if (!STRIPE_TOKEN.test(event.type)) problems.push('type');
  const text = (v: string | null) => (v === null ? null : storableText(v));
  // An id Stripe could not have sent is stored under a stable digest of it, so a redelivery of the
  // same bytes is still recognised as a duplicate, and the visible form stays in the payload.
  const id = problems.includes('id')
    ? `evt_invalid_${createHash('sha256').update(event.id, 'utf8').digest('hex').slice(0, 40)}`
    : event.id;
  return {
    event: {
      ...event,
      id,
      type: storableText(event.type).slice(0, 255),
      apiVersion: text(event.apiVersion),
      objectId: text(event.objectId),
      objectType: text(event.objectType),
      payload: storableJson(event.payload),
    },
    ignoredReason: problems.length
      ? `The event's ${problems.join(' and ')} ${problems.length > 1 ? 'are' : 'is'} not what Stripe sends (control or non-ASCII characters): stored for inspection, not processed.`
      : null,
  };
}
