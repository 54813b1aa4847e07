/**
 * Events: every state change is recorded as a full Event whose data.object is a deep snapshot of
 * the object at that moment (later changes never leak into earlier events).
 *
 * Follows https://docs.stripe.com/api/events (data.object snapshot, data.previous_attributes, request).
 */
import { StripeApiError } from '../errors';
import type { ParamReader } from '../form';
import { newId, nowSeconds } from '../ids';
import { listObjects } from '../pagination';
import type { Store } from '../store';
import type { EventRecord, Json, JsonObject, RequestContext } from '../types';

import { API_VERSION } from '../webhooks';

/** The API version pinned by stripe-node 23.1.0; the account's default here (events read through the API use it). */
export { API_VERSION };

export function createEvent(
  store: Store,
  type: string,
  object: JsonObject,
  ctx: RequestContext,
  previous: JsonObject | null,
  pendingWebhooks: number,
): EventRecord {
  const event: EventRecord = {
    id: newId('evt'),
    seq: store.nextSeq(),
    livemode: typeof object.livemode === 'boolean' ? object.livemode : ctx.livemode,
    created: nowSeconds(),
    type,
    object: structuredClone(object),
    previous_attributes: previous && Object.keys(previous).length > 0 ? structuredClone(previous) : null,
    request: { id: ctx.requestId, idempotency_key: ctx.idempotencyKey },
    pending_webhooks: pendingWebhooks,
  };
  store.events.set(event.id, event);
  store.created.events += 1;
  return event;
}

/** `apiVersion`: the webhook endpoint's version for deliveries, else the account default (webhooks.ts). */
export function renderEvent(event: EventRecord, apiVersion: string = API_VERSION): JsonObject {
  const data: JsonObject = { object: structuredClone(event.object) };
  if (event.previous_attributes) data.previous_attributes = structuredClone(event.previous_attributes);
  return {
    id: event.id,
    object: 'event',
    api_version: apiVersion,
    created: event.created,
    data,
    livemode: event.livemode,
    pending_webhooks: event.pending_webhooks,
    request: { id: event.request.id, idempotency_key: event.request.idempotency_key },
    type: event.type,
  };
}

function isPlainObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Stripe's data.previous_attributes: the old values of whatever changed, recursing into nested
 * objects so only the changed sub-keys appear (keys that did not exist before become null).
 */
export function changedAttributes(before: JsonObject, after: JsonObject): JsonObject {
  const previous: JsonObject = {};
  for (const key of Object.keys(after)) {
    const old = before[key];
    const now = after[key];
    if (isPlainObject(old) && isPlainObject(now)) {
      const nested = changedAttributes(old, now);
      if (Object.keys(nested).length > 0) previous[key] = nested;
    } else if (JSON.stringify(old) !== JSON.stringify(now)) {
      previous[key] = old === undefined ? null : structuredClone(old);
    }
  }
  return previous;
}

export function retrieveEvent(store: Store, id: string, ctx: RequestContext): JsonObject {
  const event = store.events.get(id);
  if (!event) throw StripeApiError.resourceMissing('event', id);
  if (event.livemode !== ctx.livemode) {
    throw StripeApiError.resourceMissing('event', id, undefined, event.livemode ? 'live' : 'test');
  }
  return renderEvent(event);
}

/** `payment_intent.*` style wildcards, as Stripe's `type` filter allows. */
function typeMatcher(pattern: string): (type: string) => boolean {
  if (!pattern.includes('*')) return (type) => type === pattern;
  const regex = new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return (type) => regex.test(type);
}

export function listEvents(store: Store, reader: ParamReader, ctx: RequestContext): JsonObject {
  const type = reader.string('type');
  const types = reader.stringArray('types');
  if (type !== undefined && types !== undefined) {
    throw StripeApiError.invalidRequest('You may only specify one of these parameters: type, types.', 'types');
  }
  const matchers = (types ?? (type !== undefined ? [type] : [])).map(typeMatcher);
  const deliverySuccess = reader.boolean('delivery_success');
  return listObjects(store.events.values(), reader, {
    url: '/v1/events',
    kind: 'event',
    livemode: ctx.livemode,
    filterParams: ['type', 'types', 'delivery_success'],
    filter: (event) =>
      (matchers.length === 0 || matchers.some((match) => match(event.type))) &&
      (deliverySuccess === undefined || (event.pending_webhooks === 0) === deliverySuccess),
    render: (event) => renderEvent(event),
  });
}
