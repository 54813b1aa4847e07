/**
 * Customers, saved PaymentMethods and off-session charges, as Stripe documents them:
 * - `POST /v1/customers`, `GET`/`POST /v1/customers/:id` (https://docs.stripe.com/api/customers);
 *   `invoice_settings.default_payment_method` must be a method attached to that customer
 *   (https://docs.stripe.com/api/customers/update#update_customer-invoice_settings-default_payment_method);
 * - `POST /v1/payment_methods/:id/attach` / `detach` (https://docs.stripe.com/api/payment_methods/attach,
 *   https://docs.stripe.com/api/payment_methods/detach): a detached method "is no longer usable for
 *   payments or re-attachable"; detaching the customer's default clears the default;
 * - `GET /v1/customers/:id/payment_methods` and `GET /v1/payment_methods?customer=`
 *   (https://docs.stripe.com/api/payment_methods/customer_list);
 * - saving during a payment: a PaymentIntent with `customer` and `setup_future_usage` attaches its
 *   method to the customer once confirmed and any required action is done
 *   (https://docs.stripe.com/payments/save-during-payment; SDK 23.1.0 PaymentIntentCreateParams.setup_future_usage);
 * - charging later with `off_session: true, confirm: true`: a card whose bank asks for
 *   authentication fails with a 402 `authentication_required` and the intent goes back to
 *   `requires_payment_method` (https://docs.stripe.com/payments/save-during-payment#charge-saved-payment-method;
 *   test card 4000002760003184 = `pm_card_authenticationRequired` "always requires authentication",
 *   4000000000000341 = `pm_card_chargeCustomerFail` attaches but every charge is declined:
 *   https://docs.stripe.com/testing#cards);
 * - a method attached to one customer cannot be used with another, and a detached one not at all.
 *
 * State lives beside the shared Store (a WeakMap keyed by it), so the shared resource files only
 * call the three hooks at the bottom; `Store.reset()` clears its maps and `resetCustomers` this.
 */
import type { Engine } from '../engine';
import { findRecord } from '../engine';
import type { ParamReader } from '../form';
import { newId, nowSeconds } from '../ids';
import { StripeApiError } from '../errors';
import { listObjects } from '../pagination';
import type { Route } from '../router';
import { json } from '../router';
import type { JsonObject, PaymentIntentRecord, PaymentMethodRecord, RequestContext } from '../types';
import type { Store } from '../store';
import { renderPaymentMethod, resolvePaymentMethod } from './payment-methods';

interface CustomerRecord {
  id: string;
  seq: number;
  livemode: boolean;
  created: number;
  email: string | null;
  name: string | null;
  metadata: Record<string, string>;
  defaultPaymentMethod: string | null;
}

interface CustomerState {
  customers: Map<string, CustomerRecord>;
  /** pm id -> customer id while attached. */
  attached: Map<string, string>;
  /** Methods once attached and then detached: never usable again. */
  detached: Set<string>;
  /** Intents confirmed with `off_session: true`. */
  offSession: WeakSet<PaymentIntentRecord>;
  /** Cards made to have expired since they were saved (stand-in test helper below). */
  expired: Set<string>;
}

const states = new WeakMap<Store, CustomerState>();

function state(engine: Engine): CustomerState {
  let s = states.get(engine.store);
  if (!s) {
    s = {
      customers: new Map(),
      attached: new Map(),
      detached: new Set(),
      offSession: new WeakSet(),
      expired: new Set(),
    };
    states.set(engine.store, s);
  }
  return s;
}

/** Forgets every customer (the control reset). */
export function resetCustomers(engine: Engine): void {
  states.delete(engine.store);
}

function renderCustomer(c: CustomerRecord): JsonObject {
  return {
    id: c.id,
    object: 'customer',
    address: null,
    balance: 0,
    created: c.created,
    currency: null,
    default_source: null,
    delinquent: false,
    description: null,
    email: c.email,
    invoice_prefix: c.id.slice(4, 12).toUpperCase(),
    invoice_settings: {
      custom_fields: null,
      default_payment_method: c.defaultPaymentMethod,
      footer: null,
      rendering_options: null,
    },
    livemode: c.livemode,
    metadata: c.metadata,
    name: c.name,
    phone: null,
    preferred_locales: [],
    shipping: null,
    tax_exempt: 'none',
    test_clock: null,
  };
}

function renderAttached(engine: Engine, pm: PaymentMethodRecord): JsonObject {
  const rendered: JsonObject = { ...renderPaymentMethod(pm), customer: state(engine).attached.get(pm.id) ?? null };
  const card = rendered.card as JsonObject | undefined;
  if (card && state(engine).expired.has(pm.id)) rendered.card = { ...card, exp_month: 1, exp_year: 2020 };
  return rendered;
}

function findCustomer(engine: Engine, id: string, livemode: boolean, param?: string): CustomerRecord {
  return findRecord(state(engine).customers, id, 'customer', livemode, param);
}

/**
 * A PaymentIntent names an existing customer of the same mode, or the request fails with
 * resource_missing "No such customer" on `customer`, as Stripe answers for an unknown id
 * (https://docs.stripe.com/api/payment_intents/create#create_payment_intent-customer).
 */
export function assertCustomer(engine: Engine, id: string | null | undefined, livemode: boolean): void {
  if (id) findCustomer(engine, id, livemode, 'customer');
}

function applyMetadata(target: Record<string, string>, reader: ParamReader): void {
  const meta = reader.metadata();
  if (!meta) return;
  for (const [k, v] of Object.entries(meta)) {
    if (v === '' || v === null) delete target[k];
    else target[k] = String(v);
  }
}

function createCustomer(engine: Engine, reader: ParamReader, ctx: RequestContext): JsonObject {
  reader.assertKnown(['description', 'email', 'expand', 'metadata', 'name', 'payment_method', 'phone']);
  const c: CustomerRecord = {
    id: newId('cus', 14),
    seq: engine.store.nextSeq(),
    livemode: ctx.livemode,
    created: nowSeconds(),
    email: reader.nullableString('email') ?? null,
    name: reader.nullableString('name') ?? null,
    metadata: {},
    defaultPaymentMethod: null,
  };
  applyMetadata(c.metadata, reader);
  state(engine).customers.set(c.id, c);
  const pmId = reader.string('payment_method');
  if (pmId) attach(engine, resolvePaymentMethod(engine, pmId, ctx.livemode), c, ctx);
  engine.emit('customer.created', renderCustomer(c), ctx);
  return renderCustomer(c);
}

function updateCustomer(engine: Engine, id: string, reader: ParamReader, ctx: RequestContext): JsonObject {
  reader.assertKnown(['description', 'email', 'expand', 'invoice_settings', 'metadata', 'name', 'phone']);
  const c = findCustomer(engine, id, ctx.livemode);
  const email = reader.nullableString('email');
  if (email !== undefined) c.email = email;
  const name = reader.nullableString('name');
  if (name !== undefined) c.name = name;
  applyMetadata(c.metadata, reader);
  const settings = reader.object('invoice_settings');
  if (settings) {
    settings.assertKnown(['custom_fields', 'default_payment_method', 'footer', 'rendering_options']);
    const pm = settings.string('default_payment_method');
    if (pm === '') c.defaultPaymentMethod = null;
    else if (pm !== undefined) {
      if (state(engine).attached.get(pm) !== c.id) {
        throw StripeApiError.invalidRequest(
          `The customer does not have a payment method with the ID ${pm}. The payment method must be attached to the customer.`,
          'invoice_settings[default_payment_method]',
          'resource_missing',
        );
      }
      c.defaultPaymentMethod = pm;
    }
  }
  engine.emit('customer.updated', renderCustomer(c), ctx);
  return renderCustomer(c);
}

function attach(engine: Engine, pm: PaymentMethodRecord, c: CustomerRecord, ctx: RequestContext): void {
  const s = state(engine);
  if (s.detached.has(pm.id)) throw reusedDetached(pm.id);
  const current = s.attached.get(pm.id);
  if (current === c.id) return;
  if (current) {
    throw StripeApiError.invalidRequest(
      'The payment method you provided has already been attached to a customer.',
      'payment_method',
      'payment_method_unexpected_state',
    );
  }
  s.attached.set(pm.id, c.id);
  engine.emit('payment_method.attached', renderAttached(engine, pm), ctx);
}

const reusedDetached = (id: string) =>
  StripeApiError.invalidRequest(
    `The provided PaymentMethod ${id} was previously used with a PaymentIntent without Customer attachment, shared with a connected account without Customer attachment, or was detached from a Customer. It may not be used again. To use a PaymentMethod multiple times, you must attach it to a Customer first.`,
    'payment_method',
  );

function detach(engine: Engine, id: string, ctx: RequestContext): JsonObject {
  const s = state(engine);
  const pm = findRecord(engine.store.paymentMethods, id, 'PaymentMethod', ctx.livemode);
  const owner = s.attached.get(pm.id);
  if (!owner) {
    throw StripeApiError.invalidRequest(
      'The payment method you provided is not attached to a customer so detachment is impossible.',
      undefined,
      'payment_method_unexpected_state',
    );
  }
  s.attached.delete(pm.id);
  s.detached.add(pm.id);
  const c = s.customers.get(owner);
  if (c?.defaultPaymentMethod === pm.id) c.defaultPaymentMethod = null;
  const rendered = renderAttached(engine, pm);
  engine.emit('payment_method.detached', rendered, ctx);
  return rendered;
}

function listMethods(engine: Engine, reader: ParamReader, ctx: RequestContext, customerId: string): JsonObject {
  findCustomer(engine, customerId, ctx.livemode);
  const type = reader.string('type');
  // https://docs.stripe.com/api/payment_methods/customer_list#list_customer_payment_methods-allow_redisplay
  const redisplay = reader.oneOf('allow_redisplay', ['always', 'limited', 'unspecified'] as const);
  const s = state(engine);
  return listObjects(engine.store.paymentMethods.values(), reader, {
    kind: 'payment_method',
    livemode: ctx.livemode,
    filterParams: ['type', 'customer', 'allow_redisplay'],
    filter: (pm) =>
      s.attached.get(pm.id) === customerId &&
      (type === undefined || renderPaymentMethod(pm).type === type) &&
      (redisplay === undefined || (pm.allow_redisplay ?? 'unspecified') === redisplay),
    render: (pm) => renderAttached(engine, pm),
    url: `/v1/customers/${customerId}/payment_methods`,
  });
}

export const customerRoutes: readonly Route[] = [
  {
    method: 'POST',
    pattern: '/v1/customers',
    handler: ({ engine, params, ctx }) => json(createCustomer(engine, params, ctx)),
  },
  {
    method: 'GET',
    pattern: '/v1/customers/:id',
    handler: ({ engine, path, params, ctx }) => {
      params.assertKnown(['expand']);
      return json(renderCustomer(findCustomer(engine, path.id, ctx.livemode)));
    },
  },
  {
    method: 'POST',
    pattern: '/v1/customers/:id',
    handler: ({ engine, path, params, ctx }) => json(updateCustomer(engine, path.id, params, ctx)),
  },
  {
    method: 'GET',
    pattern: '/v1/customers/:id/payment_methods',
    handler: ({ engine, path, params, ctx }) => json(listMethods(engine, params, ctx, path.id)),
  },
  {
    method: 'GET',
    pattern: '/v1/payment_methods',
    handler: ({ engine, params, ctx }) => {
      const customer = params.string('customer');
      if (!customer) throw StripeApiError.parameterMissing('customer');
      return json(listMethods(engine, params, ctx, customer));
    },
  },
  {
    method: 'GET',
    pattern: '/v1/payment_methods/:id',
    handler: ({ engine, path, ctx }) =>
      json(renderAttached(engine, findRecord(engine.store.paymentMethods, path.id, 'PaymentMethod', ctx.livemode))),
  },
  {
    method: 'POST',
    pattern: '/v1/payment_methods/:id/attach',
    handler: ({ engine, path, params, ctx }) => {
      params.assertKnown(['customer', 'expand']);
      const customer = params.string('customer');
      if (!customer) throw StripeApiError.parameterMissing('customer');
      const pm = resolvePaymentMethod(engine, path.id, ctx.livemode, 'payment_method');
      attach(engine, pm, findCustomer(engine, customer, ctx.livemode, 'customer'), ctx);
      return json(renderAttached(engine, pm));
    },
  },
  {
    method: 'POST',
    pattern: '/v1/payment_methods/:id/detach',
    handler: ({ engine, path, params, ctx }) => {
      params.assertKnown(['expand']);
      return json(detach(engine, path.id, ctx));
    },
  },
  {
    // The stand-in's own test helper (Stripe has none): a saved card whose expiry date has passed
    // since it was saved, as happens to cards on file.
    method: 'POST',
    pattern: '/v1/test_helpers/payment_methods/:id/expire',
    handler: ({ engine, path, ctx }) => {
      const pm = findRecord(engine.store.paymentMethods, path.id, 'PaymentMethod', ctx.livemode);
      state(engine).expired.add(pm.id);
      return json(renderAttached(engine, pm));
    },
  },
];

// --- Hooks the PaymentIntent resource calls -------------------------------------------------------

/**
 * Before an intent is confirmed with `pm`: a detached method is refused, and so is a method attached
 * to another customer than the intent's. `offSession` marks the confirmation as off-session.
 */
export function checkIntentMethod(
  engine: Engine,
  pi: PaymentIntentRecord,
  pm: PaymentMethodRecord,
  offSession: boolean,
): void {
  const s = state(engine);
  if (s.detached.has(pm.id)) throw reusedDetached(pm.id);
  const owner = s.attached.get(pm.id);
  if (owner && owner !== pi.customer) {
    throw StripeApiError.invalidRequest(
      `The provided PaymentMethod ${pm.id} is attached to another customer than this PaymentIntent's.`,
      'payment_method',
    );
  }
  // A customer id the stand-in never made is still taken as given (older tests and the demo pass
  // made-up ones for bank transfers); saving to it then does nothing (afterConfirmed).
  if (offSession) s.offSession.add(pi);
  else s.offSession.delete(pi);
}

/** Whether the intent's current confirmation is off-session (no customer there to authenticate). */
export function isOffSession(engine: Engine, pi: PaymentIntentRecord): boolean {
  return state(engine).offSession.has(pi);
}

/**
 * After a confirmation succeeded or started processing: `setup_future_usage`, or Checkout's ticked
 * "save" box, saves the method. Checkout marks what it saved: `allow_redisplay: always` when the
 * customer ticked the box, `limited` when `setup_future_usage` alone saved it
 * (https://docs.stripe.com/payments/checkout/save-during-payment, "Save payment methods to prefill
 * them in Checkout").
 */
export function afterConfirmed(
  engine: Engine,
  pi: PaymentIntentRecord,
  pm: PaymentMethodRecord,
  ctx: RequestContext,
): void {
  if (!(pi.setup_future_usage || pi.checkout_save) || !pi.customer) return;
  const c = state(engine).customers.get(pi.customer);
  if (!c || state(engine).attached.has(pm.id)) return;
  if (pi.checkout_save) pm.allow_redisplay = 'always';
  else if (pi.checkout_session) pm.allow_redisplay = 'limited';
  attach(engine, pm, c, ctx);
}
