/**
 * The stand-in's shared state and services: the store, timers, webhook dispatcher, options and
 * event emission. Resources receive the engine instead of importing each other's state.
 */
import { StripeApiError } from './errors';
import { createEvent, renderEvent } from './resources/events';
import { Scheduler } from './scheduler';
import { Store } from './store';
import { resetCustomers } from './resources/customers';
import type { EventRecord, JsonObject, PaymentIntentRecord, PaymentIntentStatus, RequestContext } from './types';
import { WebhookDispatcher } from './webhooks';

export interface EngineOptions {
  /** Delayed payment methods (us_bank_account) settle after this; 0 = only via control. */
  autoSettleDelayMs: number;
  /** pm_card_createDispute opens a dispute after this; 0 = only via control. */
  autoDisputeDelayMs: number;
  /** Refunds on pm_card_refundFail fail after this; 0 = only via control. */
  refundFailDelayMs: number;
}

export type IntentListener = (pi: PaymentIntentRecord, previous: PaymentIntentStatus, ctx: RequestContext) => void;

export class Engine {
  readonly store = new Store();
  readonly scheduler = new Scheduler();
  readonly webhooks: WebhookDispatcher;
  /** Where the server listens; fallback when a request did not tell us its Host. */
  baseUrl = 'http://127.0.0.1';
  private readonly intentListeners: IntentListener[] = [];

  constructor(readonly options: EngineOptions) {
    this.webhooks = new WebhookDispatcher({
      eventJson: (id, apiVersion) => {
        const event = this.store.events.get(id);
        return event ? renderEvent(event, apiVersion) : undefined;
      },
      delivered: (id) => {
        const event = this.store.events.get(id);
        if (event) event.pending_webhooks = 0;
      },
    });
  }

  /** Records an event (snapshot of `object`) and hands it to webhook delivery. */
  emit(type: string, object: JsonObject, ctx: RequestContext, previous: JsonObject | null = null): EventRecord {
    const event = createEvent(this.store, type, object, ctx, previous, this.webhooks.willDeliver ? 1 : 0);
    this.webhooks.enqueue(event.id);
    return event;
  }

  /** Lets one resource react to another's transitions (checkout sessions follow their intents). */
  onIntentTransition(listener: IntentListener): void {
    this.intentListeners.push(listener);
  }

  intentTransitioned(pi: PaymentIntentRecord, previous: PaymentIntentStatus, ctx: RequestContext): void {
    for (const listener of this.intentListeners) listener(pi, previous, ctx);
  }

  /** A context for changes the stand-in makes on its own (timers, control routes): no request. */
  systemContext(livemode: boolean): RequestContext {
    return { requestId: null, idempotencyKey: null, livemode, baseUrl: this.baseUrl };
  }

  reset(): void {
    this.scheduler.clear();
    this.webhooks.reset();
    this.store.reset();
    resetCustomers(this);
  }

  async close(): Promise<void> {
    this.scheduler.clear();
    await this.webhooks.close();
  }
}

/**
 * Looks a record up the way Stripe does: objects of the other mode are invisible (with Stripe's
 * hint in the message). `livemode: null` (control routes) sees both modes.
 */
export function findRecord<T extends { livemode: boolean }>(
  map: Map<string, T>,
  id: string,
  kind: string,
  livemode: boolean | null,
  param?: string,
): T {
  const record = map.get(id);
  if (!record) throw StripeApiError.resourceMissing(kind, id, param);
  if (livemode !== null && record.livemode !== livemode) {
    throw StripeApiError.resourceMissing(kind, id, param, record.livemode ? 'live' : 'test');
  }
  return record;
}
