/**
 * Mollie stand-in: a local HTTP server behaving like the parts of Mollie's API v2 the plugin uses,
 * so the official `@mollie/api-client` runs against it in tests and the offline demo (its
 * `apiEndpoint` option). TEST SUPPORT ONLY — nothing under server/ or admin/ imports it.
 * See README.md for what it covers and the Mollie pages each behaviour follows.
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Scheduler } from '../stripe-standin/scheduler';
import {
  DECIMALS,
  amountOf,
  chargebackJson,
  isCancelable,
  paymentJson,
  refundJson,
  units,
  type Amount,
  type Mode,
  type PaymentRecord,
  type PaymentStatus,
  type RefundRecord,
} from './model';
import { METHODS, OUTCOMES, checkoutPage, messagePage } from './pages';

/** The locales Mollie's create-payment accepts (docs.mollie.com/reference/create-payment). */
const MOLLIE_LOCALES = [
  'en_US',
  'en_GB',
  'nl_NL',
  'nl_BE',
  'fr_FR',
  'fr_BE',
  'fr_LU',
  'de_DE',
  'de_AT',
  'de_CH',
  'de_LU',
  'es_ES',
  'ca_ES',
  'pt_PT',
  'it_IT',
  'nb_NO',
  'sv_SE',
  'fi_FI',
  'da_DK',
  'is_IS',
  'hu_HU',
  'pl_PL',
  'lv_LV',
  'lt_LT',
];

export interface MollieStandinOptions {
  port?: number;
  host?: string;
  /** Delays (ms) between webhook delivery attempts after a failure; Mollie retries over 26 h. */
  webhookRetryDelaysMs?: number[];
  /** A new refund becomes `refunded` after this many ms (null: stays `pending` until settled via control). */
  refundSettleMs?: number | null;
}

export interface Delivery {
  paymentId: string;
  url: string;
  attempt: number;
  status: number | null;
  error: string | null;
  at: string;
}

export interface MollieStandin {
  url: string;
  port: number;
  /** What the client's `apiEndpoint` option takes. */
  apiEndpoint: string;
  control: MollieStandinControl;
  close(): Promise<void>;
}

export interface MollieStandinControl {
  reset(): void;
  payment(id: string): Record<string, unknown> | null;
  /** What a customer does on the hosted checkout. */
  setStatus(id: string, status: PaymentStatus, method?: string): Promise<void>;
  /** Answers every API request (/v2/…) this many ms late, as a slow network would (0: at once). */
  setLatency(ms: number): void;
  chargeback(paymentId: string, amountUnits?: number): Promise<string>;
  reverseChargeback(chargebackId: string): Promise<void>;
  settleRefund(refundId: string, outcome: 'refunded' | 'failed'): Promise<void>;
  /** Sends the payment's webhook again (Mollie may call it more than once). */
  redeliver(paymentId: string): Promise<void>;
  /** Resolves when no webhook delivery is in flight or scheduled. */
  idle(timeoutMs?: number): Promise<void>;
  stats(): { requests: Record<string, number>; created: { payments: number; refunds: number; chargebacks: number } };
  deliveries(): Delivery[];
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** Mollie's error body (https://docs.mollie.com/reference/handling-errors). */
function errorBody(e: ApiError): Record<string, unknown> {
  return {
    status: e.status,
    title: e.title,
    detail: e.message,
    ...(e.field ? { field: e.field } : {}),
    _links: { documentation: { href: 'https://docs.mollie.com/reference/handling-errors', type: 'text/html' } },
  };
}

const unprocessable = (message: string, field?: string) => new ApiError(422, 'Unprocessable Entity', message, field);
const notFound = (what: string) => new ApiError(404, 'Not Found', `No ${what} exists with this token.`);

function newId(prefix: string): string {
  return `${prefix}_${randomBytes(8)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 10)
    .padEnd(10, 'x')}`;
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function checkUrl(value: unknown, field: string, required: boolean): string | null {
  if (value === undefined || value === null || value === '') {
    if (required) throw unprocessable(`The ${field} is required.`, field);
    return null;
  }
  if (typeof value !== 'string' || !/^https?:\/\//.test(value)) throw unprocessable(`The ${field} is invalid.`, field);
  return value;
}

/** Amount rules (https://docs.mollie.com/reference/create-payment `amount`): a supported currency and exactly its decimals. */
function checkAmount(value: unknown, field = 'amount'): Amount {
  const a = value as { currency?: unknown; value?: unknown } | null;
  if (!a || typeof a !== 'object' || typeof a.currency !== 'string' || typeof a.value !== 'string')
    throw unprocessable('The amount is required and must be an object with currency and value.', field);
  const decimals = DECIMALS[a.currency];
  if (decimals === undefined) throw unprocessable(`The currency ${a.currency} is not supported.`, `${field}.currency`);
  const pattern = decimals === 0 ? /^\d+$/ : new RegExp(`^\\d+\\.\\d{${decimals}}$`);
  if (!pattern.test(a.value))
    throw unprocessable(
      `The amount contains an invalid value: ${a.currency} takes ${decimals} decimals.`,
      `${field}.value`,
    );
  const amount = { currency: a.currency, value: a.value };
  if (units(amount) <= 0) throw unprocessable('The amount is lower than the minimum.', `${field}.value`);
  return amount;
}

export async function startMollieStandin(options: MollieStandinOptions = {}): Promise<MollieStandin> {
  const payments = new Map<string, PaymentRecord>();
  const idempotency = new Map<string, { fingerprint: string; status: number; body: string }>();
  const requests: Record<string, number> = {};
  const created = { payments: 0, refunds: 0, chargebacks: 0 };
  const deliveries: Delivery[] = [];
  const scheduler = new Scheduler();
  let inFlight = 0;
  const retryDelays = options.webhookRetryDelaysMs ?? [50, 250, 1000];
  const refundSettleMs = options.refundSettleMs === undefined ? 0 : options.refundSettleMs;
  let base = '';

  const now = () => new Date().toISOString();

  /** POST id=tr_… form-encoded to the payment's webhookUrl (https://docs.mollie.com/reference/webhooks). */
  function deliver(p: PaymentRecord, attempt = 1): void {
    if (!p.webhookUrl) return;
    const url = p.webhookUrl;
    inFlight++;
    const body = new URLSearchParams({ id: p.id }).toString();
    const record: Delivery = { paymentId: p.id, url, attempt, status: null, error: null, at: now() };
    deliveries.push(record);
    fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'User-Agent': 'Mollie HTTP client/1.0' },
      body,
    })
      .then(async (res) => {
        record.status = res.status;
        await res.arrayBuffer().catch(() => undefined);
        // Mollie counts only a 2xx as delivered and retries otherwise.
        if (res.status >= 300 && attempt <= retryDelays.length) scheduleRetry(p, attempt);
      })
      .catch((error: unknown) => {
        record.error = error instanceof Error ? error.message : String(error);
        if (attempt <= retryDelays.length) scheduleRetry(p, attempt);
      })
      .finally(() => {
        inFlight--;
      });
  }

  function scheduleRetry(p: PaymentRecord, attempt: number): void {
    inFlight++;
    scheduler.schedule(retryDelays[attempt - 1], () => {
      inFlight--;
      deliver(p, attempt + 1);
    });
  }

  function find(id: string, mode: Mode | null): PaymentRecord {
    const p = payments.get(id);
    if (!p || (mode && p.keyMode !== mode)) throw notFound('payment');
    return p;
  }

  /** Moves a payment as the customer (or Mollie) would; webhooks for the definitive statuses (https://docs.mollie.com/docs/status-change). */
  function setStatus(p: PaymentRecord, status: PaymentStatus, method?: string): void {
    if (p.status !== 'open' && p.status !== 'pending' && p.status !== 'authorized')
      throw unprocessable(`The payment is ${p.status} and cannot change any more.`);
    p.status = status;
    if (method) p.method = method;
    const at = now();
    if (status === 'paid') {
      p.paidAt = at;
      p.method ??= 'ideal';
      p.details =
        p.method === 'creditcard'
          ? { cardNumber: '6787', cardHolder: 'T. TEST', cardSecurity: 'normal' }
          : { consumerName: 'T. TEST', consumerAccount: 'NL53INGB0654422370' };
    }
    if (status === 'canceled') p.canceledAt = at;
    if (status === 'expired') p.expiredAt = at;
    if (status === 'failed') {
      p.failedAt = at;
      p.details = { failureReason: 'insufficient_funds', failureMessage: 'The card has insufficient funds.' };
    }
    if (status !== 'open' && status !== 'pending') deliver(p);
  }

  function settleRefund(r: RefundRecord, outcome: 'refunded' | 'failed'): void {
    if (r.status === 'refunded' || r.status === 'failed' || r.status === 'canceled')
      throw unprocessable(`The refund is already ${r.status}.`);
    r.status = outcome;
    const p = payments.get(r.paymentId);
    if (p) deliver(p);
  }

  function findRefund(id: string): RefundRecord {
    for (const p of payments.values()) for (const r of p.refunds) if (r.id === id) return r;
    throw notFound('refund');
  }

  /** Newest first with `from` and `limit` (https://docs.mollie.com/reference/pagination). */
  function listPage<T extends { id: string }>(
    items: T[],
    query: URLSearchParams,
    path: string,
    key: string,
    toJson: (t: T) => unknown,
  ) {
    const limit = Math.min(Math.max(Number(query.get('limit') ?? 50) || 50, 1), 250);
    const from = query.get('from');
    const start = from
      ? Math.max(
          items.findIndex((i) => i.id === from),
          0,
        )
      : 0;
    const slice = items.slice(start, start + limit);
    const next = items[start + limit];
    return {
      count: slice.length,
      _embedded: { [key]: slice.map(toJson) },
      _links: {
        self: { href: `${base}${path}`, type: 'application/hal+json' },
        previous: null,
        next: next ? { href: `${base}${path}?from=${next.id}&limit=${limit}`, type: 'application/hal+json' } : null,
        documentation: { href: 'https://docs.mollie.com/reference/pagination', type: 'text/html' },
      },
    };
  }

  const newestPayments = (mode: Mode) => [...payments.values()].filter((p) => p.keyMode === mode).reverse();

  async function api(
    method: string,
    path: string,
    query: URLSearchParams,
    body: Record<string, unknown>,
    mode: Mode,
  ): Promise<[number, unknown]> {
    let m: RegExpExecArray | null;
    if (path === '/v2/profiles/me' && method === 'GET') {
      // https://docs.mollie.com/reference/get-current-profile
      return [
        200,
        {
          resource: 'profile',
          id: 'pfl_standin',
          mode,
          name: 'Stand-in shop',
          website: 'https://example.org',
          email: 'shop@example.org',
          status: 'verified',
          _links: { self: { href: `${base}/v2/profiles/pfl_standin`, type: 'application/hal+json' } },
        },
      ];
    }
    if (path === '/v2/payments' && method === 'POST') {
      // https://docs.mollie.com/reference/create-payment
      const amount = checkAmount(body.amount);
      if (typeof body.description !== 'string' || !body.description.trim())
        throw unprocessable('The description is required.', 'description');
      if (body.description.length > 255)
        throw unprocessable('The description is too long (255 characters at most).', 'description');
      if (body.method !== undefined && body.method !== null) {
        const list = Array.isArray(body.method) ? body.method : [body.method];
        if (!list.every((x) => typeof x === 'string' && (METHODS as readonly string[]).includes(x)))
          throw unprocessable('The payment method is invalid.', 'method');
      }
      if (body.metadata !== undefined && JSON.stringify(body.metadata).length > 1024)
        throw unprocessable('The metadata is too large (1024 bytes at most).', 'metadata');
      // https://docs.mollie.com/reference/create-payment: `locale`, one of Mollie's (en_US, de_DE, fr_BE…).
      if (body.locale !== undefined && body.locale !== null && !MOLLIE_LOCALES.includes(String(body.locale)))
        throw unprocessable('The locale is invalid.', 'locale');
      const createdAt = now();
      const p: PaymentRecord = {
        id: newId('tr'),
        mode,
        keyMode: mode,
        createdAt,
        status: 'open',
        amount,
        description: body.description,
        redirectUrl: checkUrl(body.redirectUrl, 'redirectUrl', true),
        locale: typeof body.locale === 'string' ? body.locale : null,
        cancelUrl: checkUrl(body.cancelUrl, 'cancelUrl', false),
        webhookUrl: checkUrl(body.webhookUrl, 'webhookUrl', false),
        metadata: body.metadata ?? null,
        method: null,
        expiresAt: new Date(Date.now() + 15 * 60_000).toISOString(),
        details: null,
        refunds: [],
        chargebacks: [],
      };
      payments.set(p.id, p);
      created.payments++;
      return [201, paymentJson(p, base)];
    }
    if (path === '/v2/payments' && method === 'GET')
      return [200, listPage(newestPayments(mode), query, path, 'payments', (p) => paymentJson(p, base))];
    if ((m = /^\/v2\/payments\/([^/]+)$/.exec(path))) {
      const p = find(m[1], mode);
      if (method === 'GET') return [200, paymentJson(p, base, (query.get('embed') ?? '').split(','))];
      if (method === 'PATCH') {
        // https://docs.mollie.com/reference/update-payment: description, redirectUrl, cancelUrl, webhookUrl, metadata…
        if (p.status !== 'open') throw unprocessable('The payment cannot be updated any more.');
        if (body.redirectUrl !== undefined) p.redirectUrl = checkUrl(body.redirectUrl, 'redirectUrl', true);
        if (body.cancelUrl !== undefined) p.cancelUrl = checkUrl(body.cancelUrl, 'cancelUrl', false);
        if (body.webhookUrl !== undefined) p.webhookUrl = checkUrl(body.webhookUrl, 'webhookUrl', false);
        if (typeof body.description === 'string') p.description = body.description;
        if (body.metadata !== undefined) p.metadata = body.metadata;
        return [200, paymentJson(p, base)];
      }
      if (method === 'DELETE') {
        // https://docs.mollie.com/reference/cancel-payment: only when isCancelable.
        if (!isCancelable(p)) throw unprocessable('The payment cannot be canceled.');
        setStatus(p, 'canceled');
        return [200, paymentJson(p, base)];
      }
    }
    if ((m = /^\/v2\/payments\/([^/]+)\/refunds$/.exec(path))) {
      const p = find(m[1], mode);
      if (method === 'GET')
        return [200, listPage([...p.refunds].reverse(), query, path, 'refunds', (r) => refundJson(r, base))];
      if (method === 'POST') {
        // https://docs.mollie.com/reference/create-refund: paid payments, up to amountRemaining, same currency.
        const amount = checkAmount(body.amount);
        if (p.status !== 'paid') throw unprocessable('The payment is not paid, so it cannot be refunded.');
        if (amount.currency !== p.amount.currency)
          throw unprocessable('The refund currency must match the payment currency.', 'amount.currency');
        const remaining = Number(
          (paymentJson(p, base).amountRemaining as Amount | undefined)
            ? units(paymentJson(p, base).amountRemaining as Amount)
            : 0,
        );
        if (units(amount) > remaining)
          throw unprocessable(
            `The amount is higher than the amount remaining (${amountOf(remaining, p.amount.currency).value}).`,
            'amount.value',
          );
        const r: RefundRecord = {
          id: newId('re'),
          mode: p.mode,
          createdAt: now(),
          amount,
          description: typeof body.description === 'string' ? body.description : '',
          metadata: body.metadata ?? null,
          status: 'pending',
          paymentId: p.id,
        };
        p.refunds.push(r);
        created.refunds++;
        if (refundSettleMs !== null)
          scheduler.schedule(refundSettleMs, () => {
            if (r.status === 'pending') settleRefund(r, 'refunded');
          });
        return [201, refundJson(r, base)];
      }
    }
    if ((m = /^\/v2\/payments\/([^/]+)\/refunds\/([^/]+)$/.exec(path)) && method === 'GET') {
      const r = find(m[1], mode).refunds.find((x) => x.id === m![2]);
      if (!r) throw notFound('refund');
      return [200, refundJson(r, base)];
    }
    if ((m = /^\/v2\/payments\/([^/]+)\/chargebacks$/.exec(path)) && method === 'GET') {
      const p = find(m[1], mode);
      return [200, listPage([...p.chargebacks].reverse(), query, path, 'chargebacks', (c) => chargebackJson(c, base))];
    }
    if (path === '/v2/refunds' && method === 'GET') {
      const all = newestPayments(mode).flatMap((p) => [...p.refunds].reverse());
      return [200, listPage(all, query, path, 'refunds', (r) => refundJson(r, base))];
    }
    if (path === '/v2/chargebacks' && method === 'GET') {
      const all = newestPayments(mode).flatMap((p) => [...p.chargebacks].reverse());
      return [200, listPage(all, query, path, 'chargebacks', (c) => chargebackJson(c, base))];
    }
    throw new ApiError(404, 'Not Found', `The resource ${method} ${path} does not exist in this stand-in.`);
  }

  let latencyMs = 0;
  const control: MollieStandinControl = {
    setLatency(ms: number) {
      latencyMs = Math.max(0, ms);
    },
    reset() {
      payments.clear();
      idempotency.clear();
      deliveries.length = 0;
      for (const k of Object.keys(requests)) delete requests[k];
      created.payments = created.refunds = created.chargebacks = 0;
      scheduler.clear();
      inFlight = 0;
    },
    payment(id) {
      const p = payments.get(id);
      return p ? paymentJson(p, base, ['refunds', 'chargebacks']) : null;
    },
    async setStatus(id, status, method) {
      setStatus(find(id, null), status, method);
    },
    async chargeback(paymentId, amountUnits) {
      // https://docs.mollie.com/reference/list-chargebacks: a chargeback on a paid payment; the payment's webhook is called.
      const p = find(paymentId, null);
      if (p.status !== 'paid') throw unprocessable('Only a paid payment can be charged back.');
      const c = {
        id: newId('chb'),
        createdAt: now(),
        amount: amountOf(amountUnits ?? units(p.amount), p.amount.currency),
        reason: { code: 'AM04', description: 'Insufficient funds' },
        reversedAt: null,
        paymentId,
      };
      p.chargebacks.push(c);
      created.chargebacks++;
      deliver(p);
      return c.id;
    },
    async reverseChargeback(id) {
      for (const p of payments.values()) {
        const c = p.chargebacks.find((x) => x.id === id);
        if (c) {
          c.reversedAt = now();
          deliver(p);
          return;
        }
      }
      throw notFound('chargeback');
    },
    async settleRefund(id, outcome) {
      settleRefund(findRefund(id), outcome);
    },
    async redeliver(paymentId) {
      deliver(find(paymentId, null));
    },
    async idle(timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      while (inFlight > 0) {
        if (Date.now() > until)
          throw new Error(`Mollie stand-in: ${inFlight} webhook deliveries still in flight after ${timeoutMs} ms.`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    stats() {
      return { requests: { ...requests }, created: { ...created } };
    },
    deliveries() {
      return deliveries.map((d) => ({ ...d }));
    },
  };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', base);
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    const send = (status: number, body: unknown, type = 'application/hal+json') => {
      res.writeHead(status, { 'Content-Type': type });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    const route = `${method} ${url.pathname.replace(/\/(tr|re|chb)_[A-Za-z0-9]+/g, '/:$1')}`;
    requests[route] = (requests[route] ?? 0) + 1;
    if (latencyMs > 0 && url.pathname.startsWith('/v2/')) await new Promise((r) => setTimeout(r, latencyMs));
    try {
      let m: RegExpExecArray | null;
      if ((m = /^\/checkout\/([^/]+)$/.exec(url.pathname))) {
        const p = payments.get(m[1]);
        if (!p) return send(404, messagePage('Not found', 'No such payment.'), 'text/html');
        if (method === 'GET') return send(200, checkoutPage(p), 'text/html');
        const form = new URLSearchParams(raw);
        const status = form.get('status') ?? '';
        const chosen = form.get('method') ?? 'ideal';
        if (!(OUTCOMES as readonly string[]).includes(status) || !(METHODS as readonly string[]).includes(chosen))
          return send(400, messagePage('Bad request', 'Pick a method and an outcome.'), 'text/html');
        if (p.status !== 'open')
          return send(409, messagePage('Payment closed', `This payment is ${p.status}.`), 'text/html');
        setStatus(p, status as PaymentStatus, chosen);
        // https://docs.mollie.com/reference/create-payment: back to redirectUrl whatever the outcome; to
        // cancelUrl (when given) if the customer canceled.
        const target = status === 'canceled' && p.cancelUrl ? p.cancelUrl : (p.redirectUrl ?? base);
        res.writeHead(303, { Location: target });
        res.end();
        return;
      }
      if (url.pathname.startsWith('/_standin/'))
        return send(200, await controlRoute(method, url.pathname, raw), 'application/json');
      if (!url.pathname.startsWith('/v2/')) return send(404, messagePage('Not found', 'Nothing here.'), 'text/html');
      // https://docs.mollie.com/reference/authentication: Bearer test_… / live_… API keys.
      const auth = /^Bearer ((test|live)_[A-Za-z0-9]{20,})$/.exec(req.headers.authorization ?? '');
      if (!auth || auth[1].includes('invalid'))
        throw new ApiError(401, 'Unauthorized Request', 'Missing authentication, or failed to authenticate');
      const mode = auth[2] as Mode;
      let body: Record<string, unknown> = {};
      if (raw && method !== 'GET') {
        try {
          const parsed: unknown = JSON.parse(raw);
          body = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
        } catch {
          throw new ApiError(400, 'Bad Request', 'The request body is not valid JSON.');
        }
      }
      // https://docs.mollie.com/reference/api-idempotency: a repeated POST/PATCH/DELETE with the same
      // Idempotency-Key gets the first answer again instead of doing it twice.
      const key = typeof req.headers['idempotency-key'] === 'string' ? req.headers['idempotency-key'] : null;
      const scope = key && method !== 'GET' ? `${auth[1]}:${key}` : null;
      const fingerprint = `${method} ${url.pathname} ${raw}`;
      if (scope) {
        const seen = idempotency.get(scope);
        if (seen) {
          if (seen.fingerprint !== fingerprint)
            throw unprocessable('The Idempotency-Key was already used for a different request.');
          return send(seen.status, seen.body);
        }
      }
      const [status, out] = await api(method, url.pathname, url.searchParams, body, mode);
      const text = JSON.stringify(out);
      if (scope) idempotency.set(scope, { fingerprint, status, body: text });
      return send(status, text);
    } catch (error) {
      if (error instanceof ApiError) return send(error.status, errorBody(error));
      return send(
        500,
        errorBody(new ApiError(500, 'Internal Server Error', error instanceof Error ? error.message : 'error')),
      );
    }
  }

  async function controlRoute(method: string, path: string, raw: string): Promise<unknown> {
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    let m: RegExpExecArray | null;
    if (path === '/_standin/reset' && method === 'POST') return (control.reset(), { ok: true });
    if (path === '/_standin/stats' && method === 'GET') return control.stats();
    if (path === '/_standin/deliveries' && method === 'GET') return control.deliveries();
    if (path === '/_standin/health') return { ok: true };
    if ((m = /^\/_standin\/payments\/([^/]+)\/status$/.exec(path)) && method === 'POST')
      return (control.setStatus(m[1], body.status as PaymentStatus, body.method as string | undefined), { ok: true });
    if ((m = /^\/_standin\/payments\/([^/]+)\/chargebacks$/.exec(path)) && method === 'POST')
      return { id: await control.chargeback(m[1], typeof body.amount === 'number' ? body.amount : undefined) };
    if ((m = /^\/_standin\/payments\/([^/]+)\/webhook$/.exec(path)) && method === 'POST')
      return (control.redeliver(m[1]), { ok: true });
    if ((m = /^\/_standin\/chargebacks\/([^/]+)\/reverse$/.exec(path)) && method === 'POST')
      return (control.reverseChargeback(m[1]), { ok: true });
    if ((m = /^\/_standin\/refunds\/([^/]+)\/settle$/.exec(path)) && method === 'POST')
      return (control.settleRefund(m[1], body.outcome === 'failed' ? 'failed' : 'refunded'), { ok: true });
    throw new ApiError(404, 'Not Found', `No control route ${method} ${path}.`);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  base = `http://${options.host ?? '127.0.0.1'}:${port}`;
  return {
    url: base,
    port,
    apiEndpoint: `${base}/v2/`,
    control,
    close: () =>
      new Promise<void>((resolve) => {
        scheduler.clear();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type { PaymentStatus, RefundStatus } from './model';
