/**
 * Checkout Sessions (mode=payment). Hosted sessions get a `url` on the stand-in itself serving a
 * tiny Pay/Cancel page; embedded sessions get a `client_secret` and need `return_url`. As in
 * current Stripe API versions, the PaymentIntent is created when the customer pays, not before.
 *
 * Follows https://docs.stripe.com/api/checkout/sessions and SDK 23.1.0 Checkout/Sessions.d.ts.
 */
import { findRecord, type Engine } from '../engine';
import { normalizeCurrency, validateAmount } from '../currency';
import { StripeApiError } from '../errors';
import { applyMetadata, type ParamReader } from '../form';
import { newCheckoutSessionId, newId, nowSeconds, randomBase62 } from '../ids';
import { listObjects } from '../pagination';
import { CHECKOUT_PAYMENT_INTENT_DATA, CHECKOUT_SESSION_CREATE } from '../params';
import type { CheckoutSessionRecord, JsonObject, LineItemRecord, RequestContext } from '../types';
import {
  AUTHENTICATION_ACTIONS,
  defaultTypes,
  authenticateIntent,
  cancelIntent,
  confirmIntent,
  createIntentRecord,
  findPaymentIntent,
} from './payment-intents';
import { resolvePaymentMethod, templateOf } from './payment-methods';
import { assertCustomer } from './customers';
import { configurationFor, narrowTypes } from './payment-method-configurations';

/**
 * `locale` values Checkout accepts (SDK 23 `Checkout.SessionCreateParams.Locale`,
 * https://docs.stripe.com/api/checkout/sessions/create#create_checkout_session-locale); Stripe
 * refuses any other string with an invalid_request_error on `locale`.
 */
const CHECKOUT_LOCALES = (
  'auto bg cs da de el en en-GB es es-419 et fi fil fr fr-CA hi-IN hr hu id it ja ko lt lv ms mt nb nl pl pt ' +
  'pt-BR ro ru sk sl sv th tr vi zh zh-HK zh-TW'
).split(' ');

/**
 * `ui_mode` values of the pinned API (SDK 23.1.0 `Checkout.SessionCreateParams.UiMode`:
 * 'elements' | 'embedded_page' | 'form' | 'hosted_page'; added in stripe-node 21.0.0 for
 * 2026-03-25.dahlia, https://docs.stripe.com/changelog/dahlia). The older `hosted`, `embedded` and
 * `custom` are refused since then. `elements` and `form` sessions have a client_secret and no url,
 * like embedded ones (https://docs.stripe.com/api/checkout/sessions/object#checkout_session_object-ui_mode).
 */
const HOSTED_MODES = ['hosted_page'];
const EMBEDDED_MODES = ['embedded_page', 'elements', 'form'];
const RENAMED_MODES: Readonly<Record<string, string>> = {
  hosted: 'hosted_page',
  embedded: 'embedded_page',
  custom: 'elements',
};

export type CheckoutOutcome = 'paid' | 'delayed_success' | 'delayed_failure';

export function findSession(engine: Engine, id: string, livemode: boolean | null): CheckoutSessionRecord {
  return findRecord(engine.store.checkoutSessions, id, 'checkout.session', livemode);
}

/** `{CHECKOUT_SESSION_ID}` in success/return URLs is replaced by the session id, as Stripe does. */
export function substituteSessionId(url: string, id: string): string {
  return url.split('{CHECKOUT_SESSION_ID}').join(id);
}

const nullAddress = (): JsonObject => ({
  city: null,
  country: null,
  line1: null,
  line2: null,
  postal_code: null,
  state: null,
});

export function renderSession(session: CheckoutSessionRecord): JsonObject {
  const open = session.status === 'open';
  const object: JsonObject = {
    id: session.id,
    object: 'checkout.session',
    adaptive_pricing: { enabled: false },
    after_expiration: null,
    allow_promotion_codes: null,
    allowed_payment_method_types: [...session.payment_method_types],
    amount_subtotal: session.amount_subtotal,
    amount_total: session.amount_total,
    automatic_tax: { enabled: false, liability: null, provider: null, status: null },
    billing_address_collection: null,
    cancel_url: session.cancel_url,
    client_reference_id: session.client_reference_id,
    client_secret: open ? session.client_secret : null,
    collected_information: { business_name: null, individual_name: null, shipping_details: null },
    consent: null,
    consent_collection: null,
    created: session.created,
    currency: session.currency,
    currency_conversion: null,
    custom_fields: [],
    custom_text: {
      after_submit: null,
      shipping_address: null,
      submit: session.custom_text_submit === null ? null : { message: session.custom_text_submit },
      terms_of_service_acceptance: null,
    },
    customer: session.customer,
    customer_account: null,
    customer_creation: session.customer ? null : 'if_required',
    customer_details: session.customer_details
      ? {
          address: nullAddress(),
          business_name: null,
          email: session.customer_details.email,
          individual_name: null,
          name: session.customer_details.name,
          phone: null,
          tax_exempt: 'none',
          tax_ids: [],
        }
      : null,
    customer_email: session.customer_email,
    discounts: [],
    expires_at: session.expires_at,
    integration_identifier: null,
    invoice: null,
    invoice_creation: {
      enabled: false,
      invoice_data: {
        account_tax_ids: null,
        custom_fields: null,
        description: null,
        footer: null,
        issuer: null,
        metadata: {},
        rendering_options: null,
      },
    },
    livemode: session.livemode,
    locale: session.locale,
    managed_payments: { enabled: false },
    metadata: { ...session.metadata },
    mode: session.mode,
    origin_context: null,
    payment_intent: session.payment_intent,
    payment_link: null,
    payment_method_collection: 'if_required',
    payment_method_configuration_details: session.payment_method_configuration
      ? { id: session.payment_method_configuration, parent: null }
      : null,
    payment_method_options: { card: { request_three_d_secure: 'automatic' } },
    payment_method_types: [...session.payment_method_types],
    payment_status: session.payment_status,
    permissions: { update_shipping_details: null },
    phone_number_collection: { enabled: false },
    recovered_from: null,
    saved_payment_method_options: {
      allow_redisplay_filters: session.saved_payment_method_options.allow_redisplay_filters ?? ['always'],
      payment_method_remove: session.saved_payment_method_options.payment_method_remove,
      payment_method_save: session.saved_payment_method_options.payment_method_save,
    },
    setup_intent: null,
    shipping_address_collection: null,
    shipping_cost: null,
    shipping_options: [],
    status: session.status,
    submit_type: session.submit_type,
    subscription: null,
    success_url: session.success_url,
    total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
    ui_mode: session.ui_mode,
    url: open ? session.url : null,
    wallet_options: null,
  };
  if (session.embedded) {
    object.return_url = session.return_url;
    object.redirect_on_completion = session.redirect_on_completion;
  }
  return object;
}

function readLineItems(reader: ParamReader): { items: LineItemRecord[]; currency: string } {
  const entries = reader.objectArray('line_items');
  if (!entries || entries.length === 0) {
    throw StripeApiError.invalidRequest(
      'You must provide at least one line item in `payment` mode.',
      'line_items',
      'parameter_missing',
    );
  }
  const items: LineItemRecord[] = [];
  for (const entry of entries) {
    entry.assertKnown([
      'adjustable_quantity',
      'dynamic_tax_rates',
      'metadata',
      'price',
      'price_data',
      'quantity',
      'tax_rates',
    ]);
    const priceId = entry.string('price');
    if (priceId !== undefined) throw StripeApiError.resourceMissing('price', priceId, entry.name('price'));
    const priceData = entry.object('price_data');
    if (!priceData) throw StripeApiError.parameterMissing(entry.name('price_data'));
    priceData.assertKnown([
      'currency',
      'product',
      'product_data',
      'recurring',
      'tax_behavior',
      'unit_amount',
      'unit_amount_decimal',
    ]);
    if (priceData.has('recurring')) {
      throw StripeApiError.invalidRequest(
        'You must be in `subscription` mode to use recurring prices.',
        priceData.name('recurring'),
      );
    }
    const currency = normalizeCurrency(priceData.requiredString('currency'), priceData.name('currency'));
    const unitAmount = priceData.requiredInteger('unit_amount');
    if (unitAmount < 0) {
      throw StripeApiError.invalidRequest(
        'This value must be greater than or equal to 0.',
        priceData.name('unit_amount'),
      );
    }
    const productData = priceData.object('product_data');
    if (!productData) throw StripeApiError.parameterMissing(priceData.name('product_data'));
    productData.assertKnown(['description', 'images', 'metadata', 'name', 'tax_code', 'tax_details', 'unit_label']);
    const quantity = entry.requiredInteger('quantity');
    if (quantity < 1)
      throw StripeApiError.invalidRequest('This value must be greater than or equal to 1.', entry.name('quantity'));
    items.push({
      id: newId('li'),
      price: newId('price'),
      product: newId('prod', 14),
      name: productData.requiredString('name'),
      currency,
      unit_amount: unitAmount,
      quantity,
    });
  }
  const currency = items[0].currency;
  if (items.some((item) => item.currency !== currency)) {
    throw StripeApiError.invalidRequest('All line items must use the same currency.', 'line_items');
  }
  return { items, currency };
}

/**
 * `saved_payment_method_options` (SDK 23.1.0 Checkout.SessionCreateParams.SavedPaymentMethodOptions;
 * https://docs.stripe.com/payments/checkout/save-during-payment): `payment_method_save: enabled` shows
 * Checkout's optional "save" checkbox. It needs a Customer on the session; without one Stripe takes
 * it and saves nothing ("Otherwise, the session doesn't save the customer or the payment method").
 */
function readSavedPaymentMethodOptions(reader: ParamReader): CheckoutSessionRecord['saved_payment_method_options'] {
  const options = reader.object('saved_payment_method_options');
  options?.assertKnown(['allow_redisplay_filters', 'payment_method_remove', 'payment_method_save']);
  const filters = options?.stringArray('allow_redisplay_filters');
  for (const filter of filters ?? []) {
    if (!['always', 'limited', 'unspecified'].includes(filter))
      throw StripeApiError.invalidRequest(
        `Invalid allow_redisplay_filters value: ${filter}`,
        'saved_payment_method_options[allow_redisplay_filters]',
      );
  }
  return {
    allow_redisplay_filters: filters ?? null,
    payment_method_remove: options?.oneOf('payment_method_remove', ['disabled', 'enabled'] as const) ?? null,
    payment_method_save: options?.oneOf('payment_method_save', ['disabled', 'enabled'] as const) ?? null,
  };
}

/** `custom_text[submit][message]`: "Text can be up to 1200 characters in length" (SDK 23.1.0 CustomText.Submit). */
function readSubmitText(reader: ParamReader): string | null {
  const custom = reader.object('custom_text');
  custom?.assertKnown(['after_submit', 'shipping_address', 'submit', 'terms_of_service_acceptance']);
  const submit = custom?.object('submit');
  if (!submit) return null;
  submit.assertKnown(['message']);
  const message = submit.requiredString('message');
  if (message.length > 1200)
    throw StripeApiError.invalidRequest('Text can be up to 1200 characters in length.', submit.name('message'));
  return message;
}

/** Whether the hosted page shows the "save" checkbox: enabled, and a Customer to save to. */
export function offersSaving(session: CheckoutSessionRecord): boolean {
  return session.saved_payment_method_options.payment_method_save === 'enabled' && session.customer !== null;
}

export function createSession(engine: Engine, reader: ParamReader, ctx: RequestContext): JsonObject {
  reader.assertKnown(CHECKOUT_SESSION_CREATE);
  const mode = reader.requiredString('mode');
  if (mode !== 'payment') {
    throw StripeApiError.invalidRequest(
      `The Stripe stand-in only supports mode=payment Checkout Sessions (got ${mode}).`,
      'mode',
    );
  }
  const uiMode = reader.string('ui_mode') ?? 'hosted_page';
  const embedded = EMBEDDED_MODES.includes(uiMode);
  if (!embedded && !HOSTED_MODES.includes(uiMode)) {
    const renamed = RENAMED_MODES[uiMode];
    throw StripeApiError.invalidRequest(
      `Invalid ui_mode: must be one of ${[...HOSTED_MODES, ...EMBEDDED_MODES].join(', ')}` +
        (renamed ? ` (\`${uiMode}\` was renamed \`${renamed}\` in API version 2026-03-25.dahlia).` : '.'),
      'ui_mode',
    );
  }
  const successUrl = reader.string('success_url');
  const cancelUrl = reader.string('cancel_url');
  const returnUrl = reader.string('return_url');
  const redirectOnCompletion = reader.oneOf('redirect_on_completion', ['always', 'if_required', 'never'] as const);
  if (embedded) {
    if (successUrl !== undefined)
      throw StripeApiError.invalidRequest(
        `success_url is not supported when ui_mode is \`${uiMode}\`. Use return_url instead.`,
        'success_url',
      );
    if (cancelUrl !== undefined)
      throw StripeApiError.invalidRequest(`cancel_url is not supported when ui_mode is \`${uiMode}\`.`, 'cancel_url');
    if (returnUrl === undefined && redirectOnCompletion !== 'never') {
      throw StripeApiError.invalidRequest(
        `return_url is required when ui_mode is \`${uiMode}\` unless redirect_on_completion is \`never\`.`,
        'return_url',
        'parameter_missing',
      );
    }
  } else {
    if (returnUrl !== undefined)
      throw StripeApiError.invalidRequest(
        `return_url is only supported for embedded Checkout Sessions; use success_url.`,
        'return_url',
      );
    if (redirectOnCompletion !== undefined) {
      throw StripeApiError.invalidRequest(
        'redirect_on_completion is only supported for embedded Checkout Sessions.',
        'redirect_on_completion',
      );
    }
  }
  for (const [param, url] of [
    ['success_url', successUrl],
    ['cancel_url', cancelUrl],
    ['return_url', returnUrl],
  ] as const) {
    if (url !== undefined && !/^https?:\/\/\S+$/.test(url)) {
      throw StripeApiError.invalidRequest('Not a valid URL', param, 'url_invalid');
    }
  }

  const { items, currency } = readLineItems(reader);
  const requestedCurrency = reader.string('currency');
  if (requestedCurrency !== undefined && normalizeCurrency(requestedCurrency) !== currency) {
    throw StripeApiError.invalidRequest('`currency` must match the currency of the line items.', 'currency');
  }
  const total = items.reduce((sum, item) => sum + item.unit_amount * item.quantity, 0);
  validateAmount(total, currency, 'line_items');

  const now = nowSeconds();
  const expiresAt = reader.integer('expires_at') ?? now + 24 * 3600;
  if (expiresAt < now + 30 * 60 || expiresAt > now + 24 * 3600) {
    throw StripeApiError.invalidRequest(
      'The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.',
      'expires_at',
    );
  }
  const clientReferenceId = reader.nullableString('client_reference_id') ?? null;
  if (clientReferenceId && clientReferenceId.length > 200) {
    throw StripeApiError.invalidRequest('client_reference_id can be up to 200 characters.', 'client_reference_id');
  }
  const pid = reader.object('payment_intent_data');
  pid?.assertKnown(CHECKOUT_PAYMENT_INTENT_DATA);
  if (pid?.string('capture_method') === 'manual') {
    throw StripeApiError.invalidRequest(
      'The Stripe stand-in only supports automatic capture.',
      'payment_intent_data[capture_method]',
    );
  }
  // An existing Customer, or "No such customer" (https://docs.stripe.com/api/checkout/sessions/create#create_checkout_session-customer).
  const customer = reader.nullableString('customer') ?? null;
  assertCustomer(engine, customer, ctx.livemode);
  const saved = readSavedPaymentMethodOptions(reader);
  const submitText = readSubmitText(reader);
  const types = reader.stringArray('allowed_payment_method_types');
  // https://docs.stripe.com/api/checkout/sessions/create#create_checkout_session-payment_method_configuration
  const configuration = types ? undefined : configurationFor(reader, ctx.livemode);
  const id = newCheckoutSessionId(ctx.livemode);
  const session: CheckoutSessionRecord = {
    id,
    seq: engine.store.nextSeq(),
    livemode: ctx.livemode,
    created: now,
    expires_at: expiresAt,
    mode: 'payment',
    status: 'open',
    payment_status: 'unpaid',
    ui_mode: uiMode,
    embedded,
    success_url: successUrl ?? null,
    cancel_url: cancelUrl ?? null,
    return_url: returnUrl ?? null,
    redirect_on_completion: embedded ? (redirectOnCompletion ?? 'always') : null,
    url: embedded ? null : `${ctx.baseUrl}/_standin/checkout/${id}`,
    client_secret: embedded ? `${id}_secret_${randomBase62(24)}` : null,
    client_reference_id: clientReferenceId,
    customer,
    customer_email: reader.nullableString('customer_email') ?? null,
    customer_details: null,
    locale: reader.oneOf('locale', CHECKOUT_LOCALES) ?? null,
    submit_type: reader.nullableString('submit_type') ?? null,
    metadata: applyMetadata({}, reader.metadata()),
    line_items: items,
    currency,
    amount_subtotal: total,
    amount_total: total,
    payment_intent: null,
    payment_method_types: types ?? narrowTypes(defaultTypes(currency), configuration!),
    payment_method_configuration: configuration?.id ?? null,
    payment_intent_data: {
      metadata: applyMetadata({}, pid?.metadata(), 'payment_intent_data[metadata]'),
      description: pid?.nullableString('description') ?? null,
      receipt_email: pid?.nullableString('receipt_email') ?? null,
      statement_descriptor: pid?.nullableString('statement_descriptor') ?? null,
      statement_descriptor_suffix: pid?.nullableString('statement_descriptor_suffix') ?? null,
      setup_future_usage: pid?.oneOf('setup_future_usage', ['on_session', 'off_session'] as const) ?? null,
    },
    saved_payment_method_options: saved,
    custom_text_submit: submitText,
  };
  engine.store.checkoutSessions.set(session.id, session);
  engine.store.created.checkout_sessions += 1;
  // Stripe sends no webhook for session creation.
  return renderSession(session);
}

export function retrieveSession(engine: Engine, id: string, reader: ParamReader, ctx: RequestContext): JsonObject {
  reader.assertKnown(['expand']);
  return renderSession(findSession(engine, id, ctx.livemode));
}

export function listSessions(engine: Engine, reader: ParamReader, ctx: RequestContext): JsonObject {
  const paymentIntent = reader.string('payment_intent');
  const status = reader.string('status');
  const customer = reader.string('customer');
  return listObjects(engine.store.checkoutSessions.values(), reader, {
    url: '/v1/checkout/sessions',
    kind: 'checkout.session',
    livemode: ctx.livemode,
    filterParams: [
      'customer',
      'customer_account',
      'customer_details',
      'payment_intent',
      'payment_link',
      'status',
      'subscription',
    ],
    filter: (session) =>
      (paymentIntent === undefined || session.payment_intent === paymentIntent) &&
      (status === undefined || session.status === status) &&
      (customer === undefined || session.customer === customer),
    render: renderSession,
  });
}

export function listSessionLineItems(engine: Engine, id: string, reader: ParamReader, ctx: RequestContext): JsonObject {
  reader.assertKnown(['ending_before', 'expand', 'limit', 'starting_after']);
  const session = findSession(engine, id, ctx.livemode);
  const data = session.line_items.map((item): JsonObject => ({
    id: item.id,
    object: 'item',
    amount_discount: 0,
    amount_subtotal: item.unit_amount * item.quantity,
    amount_tax: 0,
    amount_total: item.unit_amount * item.quantity,
    currency: item.currency,
    description: item.name,
    price: {
      id: item.price,
      object: 'price',
      active: false,
      billing_scheme: 'per_unit',
      created: session.created,
      currency: item.currency,
      custom_unit_amount: null,
      livemode: session.livemode,
      lookup_key: null,
      metadata: {},
      nickname: null,
      product: item.product,
      recurring: null,
      tax_behavior: 'unspecified',
      tiers_mode: null,
      transform_quantity: null,
      type: 'one_time',
      unit_amount: item.unit_amount,
      unit_amount_decimal: String(item.unit_amount),
    },
    quantity: item.quantity,
  }));
  return { object: 'list', data, has_more: false, url: `/v1/checkout/sessions/${session.id}/line_items` };
}

export function expireSession(engine: Engine, id: string, reader: ParamReader, ctx: RequestContext): JsonObject {
  reader.assertKnown(['expand']);
  const session = findSession(engine, id, ctx.livemode);
  if (session.status !== 'open') {
    throw StripeApiError.invalidRequest(
      `Only Checkout Sessions with a status in ["open"] can be expired. This session has a status of "${session.status}".`,
    );
  }
  session.status = 'expired';
  if (session.payment_intent) {
    // An abandoned attempt's PaymentIntent is canceled with the session.
    const pi = engine.store.paymentIntents.get(session.payment_intent);
    if (pi && ['requires_payment_method', 'requires_confirmation', 'requires_action'].includes(pi.status)) {
      cancelIntent(engine, pi, 'abandoned', ctx);
    }
  }
  const rendered = renderSession(session);
  engine.emit('checkout.session.expired', rendered, ctx);
  return rendered;
}

export interface CompleteOptions {
  payment_method?: string;
  outcome?: CheckoutOutcome;
  email?: string;
  name?: string;
  /** The customer ticks Checkout's "save" checkbox (only shown when the session offers it: offersSaving). */
  save?: boolean;
}

/**
 * The customer pays: creates (or reuses, after a decline) the PaymentIntent, confirms it and
 * completes the session. Declines throw the 402 card_error and leave the session open, as the
 * hosted page would show the decline and let the customer retry.
 */
export function completeSession(
  engine: Engine,
  id: string,
  options: CompleteOptions = {},
  ctxIn?: RequestContext,
): JsonObject {
  const session = findSession(engine, id, null);
  const ctx = ctxIn ?? engine.systemContext(session.livemode);
  if (session.status !== 'open') {
    throw StripeApiError.invalidRequest(`This Checkout Session is no longer open (status: ${session.status}).`);
  }
  const outcome = options.outcome ?? 'paid';
  const alias =
    options.payment_method ??
    (outcome === 'delayed_success'
      ? 'pm_usBankAccount_success'
      : outcome === 'delayed_failure'
        ? 'pm_usBankAccount_failure'
        : 'pm_card_visa');
  const pm = resolvePaymentMethod(engine, alias, session.livemode);
  const type = templateOf(pm).type;
  if (!session.payment_method_types.includes(type)) {
    throw StripeApiError.invalidRequest(
      `This Checkout Session does not accept ${type} payments (allowed: ${session.payment_method_types.join(', ')}).`,
      'payment_method',
    );
  }
  const existing = session.payment_intent ? engine.store.paymentIntents.get(session.payment_intent) : undefined;
  const pi =
    existing && existing.status === 'requires_payment_method'
      ? existing
      : createIntentRecord(
          engine,
          {
            amount: session.amount_total,
            currency: session.currency,
            metadata: session.payment_intent_data.metadata,
            description: session.payment_intent_data.description,
            receipt_email: session.payment_intent_data.receipt_email ?? session.customer_email,
            payment_method_types: session.payment_method_types,
            statement_descriptor: session.payment_intent_data.statement_descriptor,
            statement_descriptor_suffix: session.payment_intent_data.statement_descriptor_suffix,
            setup_future_usage: session.payment_intent_data.setup_future_usage,
            checkout_session: session.id,
          },
          ctx,
        );
  pi.customer = session.customer;
  // A box that is not shown cannot be ticked.
  if (options.save === true && !offersSaving(session)) {
    throw StripeApiError.invalidRequest(
      'This Checkout Session does not offer to save the payment method (saved_payment_method_options[payment_method_save] is not enabled, or it has no customer).',
      'save',
    );
  }
  pi.checkout_save = options.save === true;
  session.payment_intent = pi.id;
  confirmIntent(engine, pi, pm, null, ctx); // throws the card error on declines
  if (pi.status === 'requires_action' && AUTHENTICATION_ACTIONS.includes(String(pi.next_action?.type))) {
    // Checkout runs the 3DS challenge itself; the stand-in's customer always passes it here.
    // Vouchers and bank transfers stay requires_action: the session completes unpaid and
    // async_payment_succeeded/failed follow (https://docs.stripe.com/payments/checkout/how-checkout-works#lifecycle).
    authenticateIntent(engine, pi.id, 'succeed');
  }
  const current = findPaymentIntent(engine, pi.id, null);
  session.status = 'complete';
  session.payment_status = current.status === 'succeeded' ? 'paid' : 'unpaid';
  session.customer_details = {
    email: options.email ?? session.customer_email ?? 'customer@example.com',
    name: options.name ?? 'Jenny Rosen',
  };
  const rendered = renderSession(session);
  engine.emit('checkout.session.completed', rendered, ctx);
  return rendered;
}

/** Where the customer goes after paying (success_url or return_url with the id substituted). */
export function completionRedirect(session: CheckoutSessionRecord): string | null {
  const target = session.embedded ? session.return_url : session.success_url;
  return target ? substituteSessionId(target, session.id) : null;
}

/** Keeps sessions in step with their delayed-method intents (async_payment_* events). */
export function registerCheckoutHooks(engine: Engine): void {
  engine.onIntentTransition((pi, previous, ctx) => {
    // Delayed methods (processing) and payments finished outside Checkout (vouchers, bank transfers).
    if (!pi.checkout_session || (previous !== 'processing' && previous !== 'requires_action')) return;
    const session = engine.store.checkoutSessions.get(pi.checkout_session);
    if (!session || session.status !== 'complete') return;
    if (pi.status === 'succeeded') {
      session.payment_status = 'paid';
      engine.emit('checkout.session.async_payment_succeeded', renderSession(session), ctx);
    } else if (pi.status === 'requires_payment_method') {
      engine.emit('checkout.session.async_payment_failed', renderSession(session), ctx);
    }
  });
}
