/**
 * Idempotency keys, scoped per API key like Stripe's are per account and mode. The first request
 * with a key stores its response; a repeat with the same method, path and decoded params replays
 * it (with `Idempotent-Replayed: true`); a repeat with different params is an idempotency_error.
 *
 * What gets stored follows https://docs.stripe.com/api/idempotent_requests: "the resulting status
 * code and body of the first request made for any given idempotency key, regardless of whether it
 * succeeds or fails ... including 500 errors"; nothing when "incoming parameters failed validation,
 * or the request conflicted with another that was executing concurrently". So 2xx, card errors
 * (402), 5xx and 400s refusing an object's state (payment_intent_unexpected_state) are stored
 * (injected 5xx faults too, unless marked beforeExecution: faults.ts); other 400s (validation) and
 * 429s (rate limited before executing) are not. Keys are kept for 24 h
 * at least; the stand-in keeps them until reset().
 */
import { createHash } from 'node:crypto';
import type { Params } from './form';

export interface StoredResponse {
  status: number;
  body: string;
  headers: Record<string, string>;
  requestId: string;
}

interface Entry {
  fingerprint: string;
  response: StoredResponse;
}

/** Canonical JSON with sorted keys, so param order never matters. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function fingerprint(method: string, path: string, params: Params): string {
  return createHash('sha256')
    .update(`${method} ${path} ${canonical(params)}`)
    .digest('hex');
}

/**
 * Codes of 400 answers given after the endpoint began executing (its parameters were valid and the
 * object was found; its state refused the operation): saved, as any result of an execution is
 * ("We save results only after the execution of an endpoint begins"). A cancel refused while a
 * payment was processing is then refused again under the same key, as at Stripe.
 */
const EXECUTION_ERRORS: readonly string[] = ['payment_intent_unexpected_state'];

export function shouldStore(status: number, body?: string): boolean {
  if ((status >= 200 && status < 300) || status === 402 || status >= 500) return true;
  if (status !== 400 || !body) return false;
  try {
    const code = (JSON.parse(body) as { error?: { code?: string } }).error?.code;
    return !!code && EXECUTION_ERRORS.includes(code);
  } catch {
    return false;
  }
}

export type Lookup = { kind: 'new' } | { kind: 'replay'; response: StoredResponse } | { kind: 'mismatch' };

export class IdempotencyStore {
  private readonly entries = new Map<string, Entry>();

  private static scopeKey(apiKey: string, key: string): string {
    return `${apiKey}\u0000${key}`;
  }

  lookup(apiKey: string, key: string, print: string): Lookup {
    const entry = this.entries.get(IdempotencyStore.scopeKey(apiKey, key));
    if (!entry) return { kind: 'new' };
    return entry.fingerprint === print ? { kind: 'replay', response: entry.response } : { kind: 'mismatch' };
  }

  save(apiKey: string, key: string, print: string, response: StoredResponse): void {
    this.entries.set(IdempotencyStore.scopeKey(apiKey, key), { fingerprint: print, response });
  }

  get size(): number {
    return this.entries.size;
  }

  reset(): void {
    this.entries.clear();
  }
}
