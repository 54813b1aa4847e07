import http from 'node:http';
import createMollieClient, { type MollieClient } from '@mollie/api-client';
import { mollieEndpointProblem, type MollieOverrides } from './overrides';

/** A live key pointed at another endpoint, or a stand-in in production: refused before any request. */
export class MollieEndpointRefused extends Error {}

export interface MollieClientOptions {
  apiKey: string;
  overrides: MollieOverrides;
  /** Per try; MOLLIE_TIMEOUT_MS unless a test needs it short. */
  timeoutMs?: number;
}

/**
 * Mollie's client sets no timeout of its own (4.6.0: node-fetch with no `timeout`), so a hung
 * connection would hang the caller for good. Each try gets this one, Stripe's default too.
 */
export const MOLLIE_TIMEOUT_MS = 15_000;
/**
 * The client tries a request up to 3 times, 2 s apart, while Mollie answers 5xx (`attemptLimit`,
 * `retryDelay` in its retryingFetch, 4.6.0); a Retry-After header could stretch the wait, which
 * Mollie does not send on 5xx answers.
 */
const MOLLIE_ATTEMPTS = 3;
const MOLLIE_RETRY_DELAY_MS = 2_000;
/** The longest one Mollie call can take, retries included (the registry's callBudgetMs). */
export const MOLLIE_CALL_BUDGET_MS =
  MOLLIE_ATTEMPTS * MOLLIE_TIMEOUT_MS + (MOLLIE_ATTEMPTS - 1) * MOLLIE_RETRY_DELAY_MS;

const cache = new Map<string, MollieClient>();

/**
 * The one place that builds Mollie's official client. `apiEndpoint` is the client's own option for
 * the API root (`Options.apiEndpoint`, default `https://api.mollie.com:443/v2/`, @mollie/api-client 4.6.0).
 */
export function createMollie(opts: MollieClientOptions): MollieClient {
  const refusal = mollieEndpointProblem(opts.overrides, opts.apiKey);
  if (refusal) throw new MollieEndpointRefused(refusal);
  const endpoint = opts.overrides.apiEndpoint ? opts.overrides.apiEndpoint.replace(/\/*$/, '/') : null;
  const timeoutMs = opts.timeoutMs ?? MOLLIE_TIMEOUT_MS;
  const key = JSON.stringify([opts.apiKey, endpoint ?? '', timeoutMs]);
  const cached = cache.get(key);
  if (cached) return cached;
  const client = createMollieClient({
    apiKey: opts.apiKey,
    versionStrings: 'StrapiPluginInvoicePayments/0.1.0',
    ...(endpoint ? { apiEndpoint: endpoint.endsWith('/v2/') ? endpoint : `${endpoint}v2/` } : {}),
  });
  tuneRequests(client, timeoutMs, endpoint !== null && new URL(endpoint).protocol === 'http:');
  if (cache.size > 16) cache.clear();
  cache.set(key, client);
  return client;
}

/**
 * The client's one request function (NetworkClient.request, 4.6.0) spreads the caller's options
 * into node-fetch's, after its own agent; its URL building, headers, Idempotency-Key, retries and
 * error parsing stay the client's own. Through it each try gets `timeout` (node-fetch 2's per-request
 * timeout, which the client leaves unset) and, for a local stand-in only, a plain HTTP agent.
 *
 * The client pins an `https.Agent` carrying Mollie's own CA bundle, so it cannot reach a local
 * stand-in: plain HTTP is refused ("Protocol http: not supported") and no self-signed certificate is
 * trusted. Only for a stand-in endpoint (never live keys, never in production: see overrides.ts) is
 * that agent replaced.
 */
type RequestFn = (pathname: string, options?: Record<string, unknown>) => Promise<unknown>;

function tuneRequests(client: MollieClient, timeoutMs: number, localHttp: boolean): void {
  const transforming = (client.payments as unknown as { networkClient?: { networkClient?: { request?: RequestFn } } })
    .networkClient;
  const network = transforming?.networkClient;
  const original = network?.request;
  if (!network || typeof original !== 'function') {
    throw new MollieEndpointRefused(
      'This version of @mollie/api-client has moved its request function: the plugin cannot give its calls ' +
        'a timeout. Install the version in package-lock.json.',
    );
  }
  const agent = localHttp ? new http.Agent({ keepAlive: true }) : null;
  network.request = (pathname, options) =>
    original(pathname, { ...options, timeout: timeoutMs, ...(agent ? { agent } : {}) });
}
