import Stripe from 'stripe';
import { liveSecretKeyProblem } from '../../utils/stripe-overrides';

/**
 * The one place that builds the official Stripe SDK client. `apiBase` points it at another
 * server speaking Stripe's API (the project's Stripe stand-in, or stripe-mock) for tests and demos.
 */
export interface StripeClientOptions {
  secretKey: string;
  apiBase?: string | null;
  maxNetworkRetries?: number;
  timeoutMs?: number;
}

export interface ApiBase {
  protocol: 'http' | 'https';
  host: string;
  port: number;
}

export function parseApiBase(value: string): ApiBase {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`stripe.apiBase "${value}" is not a URL (expected e.g. http://127.0.0.1:12111).`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`stripe.apiBase must be http:// or https://, got "${url.protocol}".`);
  }
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return { protocol, host: url.hostname, port: url.port ? Number(url.port) : protocol === 'http' ? 80 : 443 };
}

const cache = new Map<string, Stripe>();

/** A live key pointed at another API base: refused before any client (or request) exists. */
export class LiveKeyOverrideError extends Error {}

export function createStripeClient(opts: StripeClientOptions): Stripe {
  const refusal = liveSecretKeyProblem(opts.apiBase ?? null, opts.secretKey);
  if (refusal) throw new LiveKeyOverrideError(refusal);
  const cacheKey = JSON.stringify([opts.secretKey, opts.apiBase ?? '', opts.maxNetworkRetries, opts.timeoutMs]);
  const cached = cache.get(cacheKey);
  if (cached) return cached;
  const base = opts.apiBase ? parseApiBase(opts.apiBase) : null;
  const client = new Stripe(opts.secretKey, {
    maxNetworkRetries: opts.maxNetworkRetries ?? 2,
    timeout: opts.timeoutMs ?? 20_000,
    telemetry: false,
    appInfo: { name: 'strapi-plugin-invoice-payments', version: '0.1.0' },
    ...(base ? { host: base.host, port: base.port, protocol: base.protocol } : {}),
  });
  // Bounded: one entry per distinct key/base; keys change rarely (rotation, disconnect).
  if (cache.size > 16) cache.clear();
  cache.set(cacheKey, client);
  return client;
}
