import http from 'node:http';
import createMollieClient, { type MollieClient } from '@mollie/api-client';
import { mollieEndpointProblem, type MollieOverrides } from './overrides';

/** A live key pointed at another endpoint, or a stand-in in production: refused before any request. */
export class MollieEndpointRefused extends Error {}

export interface MollieClientOptions {
  apiKey: string;
  overrides: MollieOverrides;
}

const cache = new Map<string, MollieClient>();

/**
 * The one place that builds Mollie's official client. `apiEndpoint` is the client's own option for
 * the API root (`Options.apiEndpoint`, default `https://api.mollie.com:443/v2/`, @mollie/api-client 4.6.0).
 */
export function createMollie(opts: MollieClientOptions): MollieClient {
  const refusal = mollieEndpointProblem(opts.overrides, opts.apiKey);
  if (refusal) throw new MollieEndpointRefused(refusal);
  const endpoint = opts.overrides.apiEndpoint ? opts.overrides.apiEndpoint.replace(/\/*$/, '/') : null;
  const key = JSON.stringify([opts.apiKey, endpoint ?? '']);
  const cached = cache.get(key);
  if (cached) return cached;
  const client = createMollieClient({
    apiKey: opts.apiKey,
    versionStrings: 'StrapiPluginInvoicePayments/0.1.0',
    ...(endpoint ? { apiEndpoint: endpoint.endsWith('/v2/') ? endpoint : `${endpoint}v2/` } : {}),
  });
  if (endpoint && new URL(endpoint).protocol === 'http:') useLocalHttp(client);
  if (cache.size > 16) cache.clear();
  cache.set(key, client);
  return client;
}

/**
 * The client pins an `https.Agent` carrying Mollie's own CA bundle (NetworkClient.ts, 4.6.0), so it
 * cannot reach a local stand-in: plain HTTP is refused ("Protocol http: not supported") and no
 * self-signed certificate is trusted. Only for a stand-in endpoint (never live keys, never in
 * production: see overrides.ts), the client's one request function is given a plain HTTP agent;
 * its URL building, headers, Idempotency-Key, retries and error parsing stay the client's own.
 * The request function spreads the caller's options after its agent, which is what this uses.
 */
type RequestFn = (pathname: string, options?: Record<string, unknown>) => Promise<unknown>;

function useLocalHttp(client: MollieClient): void {
  const transforming = (client.payments as unknown as { networkClient?: { networkClient?: { request?: RequestFn } } })
    .networkClient;
  const network = transforming?.networkClient;
  const original = network?.request;
  if (!network || typeof original !== 'function') {
    throw new MollieEndpointRefused(
      'This version of @mollie/api-client cannot be pointed at a local Mollie stand-in over HTTP (its request function moved).',
    );
  }
  const agent = new http.Agent({ keepAlive: true });
  network.request = (pathname, options) => original(pathname, { ...options, agent });
}
