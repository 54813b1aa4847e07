/**
 * HTTP plumbing: reads requests, authenticates /v1 calls, applies injected faults and
 * idempotency, dispatches to the routers and writes Stripe-style responses
 * (pretty JSON, Request-Id, Stripe-Should-Retry, Idempotent-Replayed).
 */
import type http from 'node:http';
import { authenticate, authenticatePublishable, isPublishableKey, maskKey, type ApiKey } from './auth';
import type { Engine } from './engine';
import { StripeApiError } from './errors';
import { applyExpansions } from './expand';
import { savedUnderKey, strikesBeforeExecution, type Fault, type FaultQueue } from './faults';
import { decodeForm, jsonToParams, ParamReader, parseJsonObject, type Params } from './form';
import { fingerprint, shouldStore, type IdempotencyStore } from './idempotency';
import { newRequestId } from './ids';
import { REQUEST_LOG_LIMIT } from './store';
import { API_VERSION } from './resources/events';
import type { RouteMatch, RouteResult, Router } from './router';
import type { Json, RequestContext } from './types';

export interface ServerDeps {
  engine: Engine;
  faults: FaultQueue;
  idempotency: IdempotencyStore;
  api: Router;
  control: Router;
}

interface Reply {
  status: number;
  body: string;
  headers: Record<string, string>;
}

const MAX_BODY_BYTES = 1024 * 1024;

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('Request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

function jsonReply(status: number, body: Json, headers: Record<string, string> = {}): Reply {
  return {
    status,
    body: JSON.stringify(body, null, 2),
    headers: { 'Content-Type': 'application/json', ...headers },
  };
}

function errorReply(error: StripeApiError, requestId: string, livemode: boolean): Reply {
  // Stripe tells clients not to retry deterministic failures; 409/429/5xx may succeed later.
  const retryable = error.status === 409 || error.status === 429 || error.status >= 500;
  const extra: Record<string, string> = { 'Stripe-Should-Retry': retryable ? 'true' : 'false', ...error.headers };
  if (error.status === 401) extra['WWW-Authenticate'] = 'Basic realm="Stripe"';
  return jsonReply(error.status, error.toJSON(requestId, livemode), extra);
}

function resultReply(result: RouteResult): Reply {
  switch (result.kind) {
    case 'json':
      return jsonReply(result.status ?? 200, result.body);
    case 'html':
      return {
        status: result.status ?? 200,
        body: result.html,
        headers: { 'Content-Type': 'text/html; charset=utf-8' },
      };
    case 'script':
      return { status: 200, body: result.js, headers: { 'Content-Type': 'application/javascript; charset=utf-8' } };
    case 'redirect':
      return { status: 303, body: '', headers: { Location: result.location } };
  }
}

function faultError(fault: Fault): StripeApiError {
  const status = fault.status ?? 500;
  const shouldRetry = fault.shouldRetry ?? true;
  const headers = { 'Stripe-Should-Retry': shouldRetry ? 'true' : 'false' };
  if (status === 429) {
    const base = StripeApiError.rateLimit();
    return new StripeApiError(429, { ...base.body, message: fault.message ?? base.body.message }, headers);
  }
  return new StripeApiError(
    status,
    {
      type: status >= 500 ? 'api_error' : 'invalid_request_error',
      message: fault.message ?? 'An unknown error occurred (injected by the Stripe stand-in).',
    },
    headers,
  );
}

/** Waits `ms`; resolves false early if the client hangs up (e.g. its timeout fired). */
function hang(ms: number, res: http.ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const onClose = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      res.off('close', onClose);
      resolve(!res.destroyed && !res.writableEnded);
    }, ms);
    res.once('close', onClose);
  });
}

function send(res: http.ServerResponse, reply: Reply, common: Record<string, string>): void {
  if (res.destroyed || res.writableEnded) return;
  res.writeHead(reply.status, { ...common, ...reply.headers, 'Content-Length': String(Buffer.byteLength(reply.body)) });
  res.end(reply.body);
}

function decodeParams(req: http.IncomingMessage, method: string, query: string, body: string): Params {
  if (method === 'GET' || method === 'DELETE') return decodeForm(query);
  const type = header(req, 'content-type') ?? '';
  if (type.includes('application/json')) return jsonToParams(parseJsonObject(body));
  return decodeForm(body);
}

export function createRequestListener(deps: ServerDeps): http.RequestListener {
  const { engine } = deps;

  function count(method: string, path: string, match: RouteMatch | undefined, apiKey: ApiKey, params: Params): void {
    const { store } = engine;
    const byPath = `${method} ${path}`;
    store.requests[byPath] = (store.requests[byPath] ?? 0) + 1;
    const byRoute = `${method} ${match ? match.route.pattern : path}`;
    store.requestsByRoute[byRoute] = (store.requestsByRoute[byRoute] ?? 0) + 1;
    store.requestLog.push({ method, path, route: byRoute, params: structuredClone(params) });
    if (store.requestLog.length > REQUEST_LOG_LIMIT)
      store.requestLog.splice(0, store.requestLog.length - REQUEST_LOG_LIMIT);
    const perKey = (store.requestsByKey[maskKey(apiKey.key)] ??= {});
    perKey[byRoute] = (perKey[byRoute] ?? 0) + 1;
  }

  async function runRoute(
    match: RouteMatch,
    params: Params,
    ctx: RequestContext,
    apiKey: ApiKey | null,
  ): Promise<RouteResult> {
    const reader = new ParamReader(params);
    const result = await match.route.handler({ engine, params: reader, path: match.path, ctx, apiKey });
    const expand = reader.stringArray('expand');
    if (
      expand &&
      expand.length > 0 &&
      result.kind === 'json' &&
      typeof result.body === 'object' &&
      result.body !== null &&
      !Array.isArray(result.body)
    ) {
      return { ...result, body: applyExpansions(engine, result.body, expand) };
    }
    return result;
  }

  async function handleApi(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    method: string,
    path: string,
    params: Params,
    baseUrl: string,
  ): Promise<void> {
    const requestId = newRequestId();
    const common: Record<string, string> = {
      'Request-Id': requestId,
      'Stripe-Version': header(req, 'stripe-version') ?? API_VERSION,
      'Access-Control-Allow-Origin': '*',
    };
    let apiKey: ApiKey;
    const match = deps.api.match(method, path);
    try {
      if (!header(req, 'authorization') && isPublishableKey(params.key)) {
        // Stripe.js: the key and the intent's client secret travel as parameters.
        apiKey = authenticatePublishable(
          params.key,
          match && `${method} ${match.route.pattern}`,
          match?.path.id,
          params.client_secret,
          (id, livemode) => {
            const pi = engine.store.paymentIntents.get(id);
            return pi && pi.livemode === livemode ? pi.client_secret : undefined;
          },
        );
        params = { ...params };
        delete params.key;
        if (method === 'POST') delete params.client_secret; // checked above; confirm takes no such parameter
      } else {
        apiKey = authenticate(header(req, 'authorization'));
      }
    } catch (error) {
      if (error instanceof StripeApiError) return send(res, errorReply(error, requestId, false), common);
      throw error;
    }
    count(method, path, match, apiKey, params);
    const livemode = apiKey.livemode;

    // Faults that strike before the endpoint executes: nothing is saved under the key.
    const early = deps.faults.take(method, path, strikesBeforeExecution);
    if (early) {
      engine.store.faultsInjected += 1;
      // The client gave up: never processed.
      if (early.timeoutMs !== undefined && !(await hang(early.timeoutMs, res))) return;
      if (early.status !== undefined || early.timeoutMs === undefined)
        return send(res, errorReply(faultError(early), requestId, livemode), common);
      // A pure delay: go on and process the request.
    }

    const idempotencyKey = method === 'POST' ? header(req, 'idempotency-key') : undefined;
    let reply: Reply | undefined;
    let print = '';
    if (idempotencyKey !== undefined) {
      if (idempotencyKey.length > 255) {
        const tooLong = StripeApiError.invalidRequest('Idempotency keys can be at most 255 characters long.');
        return send(res, errorReply(tooLong, requestId, livemode), common);
      }
      print = fingerprint(method, path, params);
      const found = deps.idempotency.lookup(apiKey.key, idempotencyKey, print);
      if (found.kind === 'mismatch') {
        return send(res, errorReply(StripeApiError.idempotencyMismatch(idempotencyKey), requestId, livemode), common);
      }
      if (found.kind === 'replay') {
        // https://docs.stripe.com/api/idempotent_requests: the saved status and body, 500s included.
        engine.store.idempotentReplays += 1;
        reply = {
          ...found.response,
          headers: {
            ...found.response.headers,
            'Idempotent-Replayed': 'true',
            'Original-Request': found.response.requestId,
          },
        };
        // The replay carries the original request's id, as Stripe's does.
        common['Request-Id'] = found.response.requestId;
        return send(res, reply, common);
      }
    }

    // Faults while executing: a 5xx answer is saved under the key like Stripe saves its 500s.
    const fault = deps.faults.take(method, path, (candidate) => !strikesBeforeExecution(candidate));
    if (fault) engine.store.faultsInjected += 1;
    const save = (answer: Reply): void => {
      if (idempotencyKey !== undefined)
        deps.idempotency.save(apiKey.key, idempotencyKey, print, { ...answer, requestId });
    };
    if (fault && !fault.afterProcessing) {
      const failed = errorReply(faultError(fault), requestId, livemode);
      if (savedUnderKey(fault)) save(failed);
      return send(res, failed, common);
    }

    const ctx: RequestContext = { requestId, idempotencyKey: idempotencyKey ?? null, livemode, baseUrl };
    try {
      if (!match) throw StripeApiError.unrecognizedUrl(method, path);
      reply = resultReply(await runRoute(match, params, ctx, apiKey));
    } catch (error) {
      if (!(error instanceof StripeApiError)) {
        console.error('[stripe-standin] internal error:', error);
        throw error;
      }
      reply = errorReply(error, requestId, livemode);
    }

    if (fault?.afterProcessing) {
      // Processed, then failed: the failure is what Stripe saved (a hang alone keeps the result).
      const failed = savedUnderKey(fault) ? errorReply(faultError(fault), requestId, livemode) : undefined;
      if (failed) save(failed);
      else if (shouldStore(reply.status, reply.body)) save(reply);
      if (fault.timeoutMs !== undefined && !(await hang(fault.timeoutMs, res))) return;
      if (failed) return send(res, failed, common);
      if (fault.status !== undefined) return send(res, errorReply(faultError(fault), requestId, livemode), common);
      return send(res, reply, common);
    }
    if (shouldStore(reply.status, reply.body)) save(reply);
    send(res, reply, common);
  }

  async function handleControl(
    res: http.ServerResponse,
    method: string,
    path: string,
    params: Params,
    baseUrl: string,
  ): Promise<void> {
    const match = deps.control.match(method, path);
    const requestId = newRequestId();
    const common: Record<string, string> = { 'Request-Id': requestId, 'Cache-Control': 'no-store' };
    if (match?.route.cors) common['Access-Control-Allow-Origin'] = '*';
    try {
      if (!match) throw StripeApiError.unrecognizedUrl(method, path);
      const ctx: RequestContext = { requestId: null, idempotencyKey: null, livemode: false, baseUrl };
      send(res, resultReply(await runRoute(match, params, ctx, null)), common);
    } catch (error) {
      if (error instanceof StripeApiError) return send(res, errorReply(error, requestId, false), common);
      const message = error instanceof Error ? error.message : String(error);
      send(res, jsonReply(400, { error: { type: 'invalid_request_error', message } }), common);
    }
  }

  return (req, res) => {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://standin.invalid');
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    const host = header(req, 'host');
    const baseUrl = host ? `http://${host}` : engine.baseUrl;
    const api = path.startsWith('/v1/');
    if (api) engine.store.inFlight += 1;
    readBody(req)
      .then(async (body) => {
        let params: Params;
        try {
          params = decodeParams(req, method, url.search.slice(1), body);
        } catch (error) {
          if (error instanceof StripeApiError) return send(res, errorReply(error, newRequestId(), false), {});
          throw error;
        }
        if (api) return handleApi(req, res, method, path, params, baseUrl);
        if (path.startsWith('/_standin/')) return handleControl(res, method, path, params, baseUrl);
        return send(res, errorReply(StripeApiError.unrecognizedUrl(method, path), newRequestId(), false), {});
      })
      .catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        send(
          res,
          jsonReply(500, { error: { type: 'api_error', message: `Stripe stand-in internal error: ${message}` } }),
          {},
        );
      })
      .finally(() => {
        if (api) engine.store.inFlight -= 1;
      });
  };
}
