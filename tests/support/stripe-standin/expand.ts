/**
 * `expand[]` support: replaces id strings with the full objects, following dotted paths
 * (`latest_charge.balance_transaction`) and `data.` for lists, like Stripe does.
 *
 * Follows https://docs.stripe.com/api/expanding_objects (dotted paths, at most 4 levels).
 */
import type { Engine } from './engine';
import { StripeApiError } from './errors';
import { renderBalanceTransaction } from './resources/account';
import { chargeRefundList, renderCharge } from './resources/charges';
import { renderSession } from './resources/checkout-sessions';
import { renderDispute } from './resources/disputes';
import { renderPaymentIntent } from './resources/payment-intents';
import { renderPaymentMethod } from './resources/payment-methods';
import { renderRefund } from './resources/refund-render';
import type { Json, JsonObject } from './types';

/** Fields Stripe lets you expand on the resources the stand-in serves. */
const EXPANDABLE = new Set([
  'latest_charge',
  'payment_intent',
  'charge',
  'balance_transaction',
  'failure_balance_transaction',
  'payment_method',
]);

function renderById(engine: Engine, id: string): JsonObject | null {
  const { store } = engine;
  const prefix = id.slice(0, id.indexOf('_') + 1);
  switch (prefix) {
    case 'pi_': {
      const record = store.paymentIntents.get(id);
      return record ? renderPaymentIntent(engine, record) : null;
    }
    case 'ch_': {
      const record = store.charges.get(id);
      return record ? renderCharge(engine, record) : null;
    }
    case 're_': {
      const record = store.refunds.get(id);
      return record ? renderRefund(record) : null;
    }
    case 'dp_': {
      const record = store.disputes.get(id);
      return record ? renderDispute(engine, record) : null;
    }
    case 'txn_': {
      const record = store.balanceTransactions.get(id);
      return record ? renderBalanceTransaction(record) : null;
    }
    case 'cs_': {
      const record = store.checkoutSessions.get(id);
      return record ? renderSession(record) : null;
    }
    case 'pm_': {
      const record = store.paymentMethods.get(id);
      return record ? renderPaymentMethod(record) : null;
    }
    default:
      return null;
  }
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function expandPath(engine: Engine, target: JsonObject, segments: string[], fullPath: string): void {
  const [head, ...rest] = segments;
  const value = target[head];
  if (head === 'data' && Array.isArray(value)) {
    for (const item of value) if (isObject(item) && rest.length > 0) expandPath(engine, item, rest, fullPath);
    return;
  }
  if (head === 'refunds' && target.object === 'charge' && typeof target.id === 'string') {
    // Charge.refunds is only present when expanded (SDK 23.1.0 Charges.d.ts: `refunds?:`).
    target.refunds = chargeRefundList(engine, target.id);
    const list = target.refunds;
    if (rest.length > 0 && isObject(list)) expandPath(engine, list, rest, fullPath);
    return;
  }
  if (!EXPANDABLE.has(head) || !(head in target)) {
    throw StripeApiError.invalidRequest(`This property cannot be expanded (${head}).`, 'expand');
  }
  if (typeof value === 'string') {
    const expanded = renderById(engine, value);
    if (expanded) target[head] = expanded;
  }
  const next = target[head];
  if (rest.length > 0 && isObject(next)) expandPath(engine, next, rest, fullPath);
}

export function applyExpansions(engine: Engine, body: JsonObject, paths: readonly string[]): JsonObject {
  for (const path of paths) {
    const segments = path.split('.');
    if (segments.length > 4) {
      throw StripeApiError.invalidRequest(`You cannot expand more than 4 levels of a property (${path}).`, 'expand');
    }
    expandPath(engine, body, segments, path);
  }
  return body;
}
