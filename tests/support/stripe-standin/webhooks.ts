/**
 * Webhook delivery, signed exactly like Stripe: body = JSON.stringify(event, null, 2), header
 * `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
 *
 * Knobs reproduce what real Stripe delivery does to a receiver: duplicates, out-of-order batches,
 * delays, retries after non-2xx/network errors, and pausing (queue) + flushing.
 *
 * A "batch" is every event queued before the batch timer fires (delayMs, or the next macrotask),
 * e.g. charge.succeeded + payment_intent.succeeded from one confirm call. Batches go out one after
 * another; within a batch each event's first attempt goes out in (possibly reordered) sequence,
 * and retries run in the background, as Stripe's do.
 *
 * Signatures: https://docs.stripe.com/webhooks#verify-manually; delivery behaviour (retries, order, duplicates): https://docs.stripe.com/webhooks#handle-duplicate-events, https://docs.stripe.com/webhooks#event-ordering.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { JsonObject } from './types';

/** The API version stripe-node 23.1.0 pins (node_modules/stripe/cjs/apiVersion.d.ts). */
export const API_VERSION = '2026-10-28.endive';

export interface WebhookEndpoint {
  url: string | null;
  secret: string;
  enabled: boolean;
  /**
   * The endpoint's API version: each delivered event carries it as `api_version`. Stripe renders
   * webhook events at the endpoint's version, or the account's default when it has none
   * (https://docs.stripe.com/webhooks/versioning, https://docs.stripe.com/api/events/object#event_object-api_version).
   * Default: the pinned 2026-10-28.endive. The stand-in only labels the version; object shapes do not change.
   */
  apiVersion: string;
}

export interface RetryOptions {
  /** Total attempts per delivery, including the first. */
  attempts: number;
  /** Delay before retry n is backoffMs * 2^(n-1). */
  backoffMs: number;
}

export interface DeliveryOptions {
  /** Deliver each event this many times. */
  duplicates: number;
  /** How many copies of one event are sent in parallel. */
  concurrency: number;
  reverseOrder: boolean;
  shuffle: boolean;
  /** Wait before a batch goes out. */
  delayMs: number;
  retry: RetryOptions;
  /** Queue events without sending until flush() or paused=false. */
  paused: boolean;
  /** Per-attempt receiver timeout. */
  timeoutMs: number;
}

export type DeliveryOptionsPatch = Partial<Omit<DeliveryOptions, 'retry'>> & { retry?: Partial<RetryOptions> };

export const DEFAULT_DELIVERY: DeliveryOptions = {
  duplicates: 1,
  concurrency: 1,
  reverseOrder: false,
  shuffle: false,
  delayMs: 0,
  retry: { attempts: 3, backoffMs: 100 },
  paused: false,
  timeoutMs: 10_000,
};

export interface DeliveryRecord {
  id: number;
  event_id: string;
  event_type: string;
  url: string;
  /** 1 for the first try, 2+ for retries. */
  attempt: number;
  /** Which duplicate copy (1..duplicates). */
  copy: number;
  /** Sent through deliverEvent() rather than the queue. */
  manual: boolean;
  status: number | null;
  error: string | null;
  ok: boolean;
  timestamp: number;
  started_at: number;
  duration_ms: number;
}

export interface DeliverOverrides {
  secret?: string;
  /** Unix seconds to sign with (e.g. an old timestamp to test tolerance). */
  timestamp?: number;
  url?: string;
}

export interface EventSource {
  eventJson(id: string, apiVersion: string): JsonObject | undefined;
  delivered(id: string): void;
}

export function signPayload(payload: string, secret: string, timestamp: number): string {
  const signature = createHmac('sha256', secret).update(`${timestamp}.${payload}`, 'utf8').digest('hex');
  return `t=${timestamp},v1=${signature}`;
}

interface SendResult {
  status: number | null;
  error: string | null;
}

function post(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<SendResult> {
  return new Promise((resolve) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      resolve({ status: null, error: `invalid webhook URL: ${url}` });
      return;
    }
    const client = target.protocol === 'https:' ? https : http;
    // agent:false: one connection per delivery, so receivers can close without keep-alive stragglers.
    const req = client.request(target, { method: 'POST', headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? null, error: null }));
      res.on('error', (error) => resolve({ status: res.statusCode ?? null, error: error.message }));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`timed out after ${timeoutMs}ms`)));
    req.on('error', (error) => resolve({ status: null, error: error.message }));
    req.end(body);
  });
}

function shuffleInPlace<T>(items: T[]): void {
  for (let i = items.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
}

export class WebhookDispatcher {
  private endpoint: WebhookEndpoint = { url: null, secret: '', enabled: false, apiVersion: API_VERSION };
  private options: DeliveryOptions = structuredClone(DEFAULT_DELIVERY);
  private queue: string[] = [];
  private batchTimer: NodeJS.Timeout | null = null;
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private chain: Promise<void> = Promise.resolve();
  /** Batches running + sends in flight + retries scheduled. */
  private busy = 0;
  private waiters: Array<() => void> = [];
  private records: DeliveryRecord[] = [];
  private nextRecordId = 1;
  /** Bumped by reset(): work from before a reset stops instead of delivering stale events. */
  private generation = 0;
  private closed = false;

  constructor(private readonly source: EventSource) {}

  get willDeliver(): boolean {
    return !this.closed && this.endpoint.enabled && this.endpoint.url !== null;
  }

  get config(): { endpoint: WebhookEndpoint; options: DeliveryOptions } {
    return { endpoint: { ...this.endpoint }, options: structuredClone(this.options) };
  }

  configure(patch: Partial<WebhookEndpoint>): void {
    const next = { ...this.endpoint, ...patch };
    // Setting a URL without saying otherwise turns delivery on, like adding an endpoint does.
    if (patch.url && patch.enabled === undefined) next.enabled = true;
    this.endpoint = next;
  }

  setOptions(patch: DeliveryOptionsPatch): void {
    const wasPaused = this.options.paused;
    this.options = {
      ...this.options,
      ...patch,
      retry: { ...this.options.retry, ...(patch.retry ?? {}) },
    };
    this.options.duplicates = Math.max(1, Math.floor(this.options.duplicates));
    this.options.concurrency = Math.max(1, Math.floor(this.options.concurrency));
    this.options.retry.attempts = Math.max(1, Math.floor(this.options.retry.attempts));
    if (wasPaused && !this.options.paused && this.queue.length > 0) this.scheduleBatch();
    this.checkIdle();
  }

  enqueue(eventId: string): void {
    if (!this.willDeliver) return;
    this.queue.push(eventId);
    if (!this.options.paused) this.scheduleBatch();
  }

  deliveries(): DeliveryRecord[] {
    return this.records.map((record) => ({ ...record }));
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Sends everything queued now (even while paused) and waits until delivery is idle. */
  async flush(): Promise<void> {
    if (this.batchTimer) {
      clearTimeout(this.batchTimer);
      this.batchTimer = null;
    }
    this.startBatch();
    await this.idle();
  }

  /** Resolves when nothing is in flight, scheduled or queued (queued-while-paused doesn't count). */
  idle(): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.checkIdle();
    });
  }

  /** One immediate, signed delivery of an event, outside the queue (late/duplicate delivery tests). */
  async deliverNow(eventId: string, overrides: DeliverOverrides = {}): Promise<DeliveryRecord> {
    const url = overrides.url ?? this.endpoint.url;
    if (!url) throw new Error('No webhook URL configured (set one with setWebhook or pass { url }).');
    this.busy += 1;
    try {
      return await this.send(eventId, { url, attempt: 1, copy: 1, manual: true, overrides });
    } finally {
      this.busy -= 1;
      this.checkIdle();
    }
  }

  reset(): void {
    this.generation += 1;
    this.queue = [];
    if (this.batchTimer) clearTimeout(this.batchTimer);
    this.batchTimer = null;
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.busy -= this.retryTimers.size;
    this.retryTimers.clear();
    this.records = [];
    this.nextRecordId = 1;
    this.checkIdle();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.reset();
    this.queue = [];
    // Release anyone waiting: nothing more will be delivered.
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  private scheduleBatch(): void {
    if (this.batchTimer || this.closed) return;
    this.batchTimer = setTimeout(() => {
      this.batchTimer = null;
      if (!this.options.paused) this.startBatch();
      this.checkIdle();
    }, this.options.delayMs);
  }

  private startBatch(): void {
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    if (this.options.reverseOrder) batch.reverse();
    if (this.options.shuffle) shuffleInPlace(batch);
    const generation = this.generation;
    this.busy += 1;
    this.chain = this.chain
      .then(() => this.deliverBatch(batch, generation))
      .catch((error: unknown) => console.error('[stripe-standin] webhook batch failed:', error))
      .finally(() => {
        this.busy -= 1;
        this.checkIdle();
      });
  }

  private async deliverBatch(batch: string[], generation: number): Promise<void> {
    for (const eventId of batch) {
      if (generation !== this.generation || !this.willDeliver) return;
      const url = this.endpoint.url;
      if (!url) return;
      const copies = Array.from({ length: this.options.duplicates }, (_, index) => index + 1);
      for (let start = 0; start < copies.length; start += this.options.concurrency) {
        const group = copies.slice(start, start + this.options.concurrency);
        await Promise.all(group.map((copy) => this.attempt(eventId, url, copy, 1, generation)));
      }
    }
  }

  private async attempt(
    eventId: string,
    url: string,
    copy: number,
    attempt: number,
    generation: number,
  ): Promise<void> {
    if (generation !== this.generation || this.closed) return;
    const record = await this.send(eventId, { url, attempt, copy, manual: false, overrides: {} });
    if (record.ok || attempt >= this.options.retry.attempts || generation !== this.generation || this.closed) return;
    const delay = this.options.retry.backoffMs * 2 ** (attempt - 1);
    this.busy += 1;
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      this.attempt(eventId, url, copy, attempt + 1, generation)
        .catch((error: unknown) => console.error('[stripe-standin] webhook retry failed:', error))
        .finally(() => {
          this.busy -= 1;
          this.checkIdle();
        });
    }, delay);
    this.retryTimers.add(timer);
  }

  private async send(
    eventId: string,
    how: { url: string; attempt: number; copy: number; manual: boolean; overrides: DeliverOverrides },
  ): Promise<DeliveryRecord> {
    const event = this.source.eventJson(eventId, this.endpoint.apiVersion);
    if (!event) throw new Error(`No such event: '${eventId}'`);
    const body = JSON.stringify(event, null, 2);
    const timestamp = how.overrides.timestamp ?? Math.floor(Date.now() / 1000);
    const secret = how.overrides.secret ?? this.endpoint.secret;
    const headers = {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': String(Buffer.byteLength(body)),
      'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
      Accept: '*/*; q=0.5, application/xml',
      'Cache-Control': 'no-cache',
      'Stripe-Signature': signPayload(body, secret, timestamp),
    };
    const startedAt = Date.now();
    const generation = this.generation;
    const result = await post(how.url, body, headers, this.options.timeoutMs);
    const ok = result.status !== null && result.status >= 200 && result.status < 300;
    const record: DeliveryRecord = {
      id: this.nextRecordId,
      event_id: eventId,
      event_type: typeof event.type === 'string' ? event.type : '',
      url: how.url,
      attempt: how.attempt,
      copy: how.copy,
      manual: how.manual,
      status: result.status,
      error: result.error ?? (ok ? null : `HTTP ${result.status ?? 'error'}`),
      ok,
      timestamp,
      started_at: startedAt,
      duration_ms: Date.now() - startedAt,
    };
    // A reset() while this was in flight wiped the log; don't resurrect stale entries into it.
    if (generation === this.generation) {
      this.nextRecordId += 1;
      this.records.push(record);
      if (ok) this.source.delivered(eventId);
    }
    return record;
  }

  private checkIdle(): void {
    const queuedWork = this.queue.length > 0 && !this.options.paused && this.willDeliver;
    if (this.busy > 0 || this.batchTimer !== null || queuedWork) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
