/**
 * PaymentIntents and their state machine:
 *
 *   requires_payment_method --(payment_method)--> requires_confirmation --confirm-->
 *     succeeded | requires_action (3DS) | processing (delayed methods) |
 *     requires_payment_method + last_payment_error (decline; HTTP 402 card_error)
 *
 * The outcome is decided by the test payment method (see payment-methods.ts).
 *
 * State machine: https://docs.stripe.com/payments/paymentintents/lifecycle; object: SDK 23.1.0 PaymentIntents.d.ts.
 */
import { afterConfirmed, assertCustomer, checkIntentMethod, isOffSession } from './customers';
import { findRecord, type Engine } from '../engine';
import { StripeApiError } from '../errors';
import { normalizeCurrency, validateAmount } from '../currency';
import { applyMetadata, type ParamReader } from '../form';
import { newId, nowSeconds, randomBase62, randomDigits } from '../ids';
import { listObjects, readLimit } from '../pagination';
import { PAYMENT_INTENT_CONFIRM, PAYMENT_INTENT_CREATE, PAYMENT_INTENT_UPDATE } from '../params';
import { compileSearch } from '../search';
import type {
  ChargeRecord,
  JsonObject,
  PaymentError,
  PaymentIntentRecord,
  PaymentIntentStatus,
  PaymentMethodRecord,
  RequestContext,
} from '../types';
import { createCharge, renderCharge, settleCharge } from './charges';
import { openDispute } from './disputes';
import {
  configurationFor,
  defaultConfigurationId,
  narrowTypes,
  type ConfigurationRecord,
} from './payment-method-configurations';
import { LOCAL_METHOD_TYPES } from './local-methods';
import {
  paymentMethodFromData,
  renderPaymentMethod,
  resolvePaymentMethod,
  templateOf,
  TEST_PAYMENT_METHODS,
  TYPE_CURRENCIES,
  type VoucherType,
} from './payment-methods';

const CANCELLATION_REASONS = ['abandoned', 'duplicate', 'fraudulent', 'requested_by_customer'] as const;
const SUPPORTED_TYPES = [
  'card',
  'us_bank_account',
  'link',
  'oxxo',
  'boleto',
  'konbini',
  'multibanco',
  'customer_balance',
  ...LOCAL_METHOD_TYPES,
];

/** How long a voucher stays payable (Stripe's defaults: OXXO 3 days, Boleto 3, Konbini 3, Multibanco 7). */
const VOUCHER_DAYS: Readonly<Record<VoucherType, number>> = { oxxo: 3, boleto: 3, konbini: 3, multibanco: 7 };

/** next_action types that are card authentication (3-D Secure), as opposed to a payment still on its way. */
export const AUTHENTICATION_ACTIONS: readonly string[] = ['use_stripe_sdk', 'redirect_to_url'];

const CONFIRMABLE: readonly PaymentIntentStatus[] = [
  'requires_payment_method',
  'requires_confirmation',
  'requires_action',
];
// Stripe also cancels requires_capture intents; the stand-in has no manual capture.
const CANCELABLE: readonly PaymentIntentStatus[] = [
  'requires_payment_method',
  'requires_confirmation',
  'requires_action',
];
const AMOUNT_UPDATABLE: readonly PaymentIntentStatus[] = ['requires_payment_method', 'requires_confirmation'];

const AUTHENTICATION_FAILURE =
  'The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.';

export function findPaymentIntent(
  engine: Engine,
  id: string,
  livemode: boolean | null,
  param?: string,
): PaymentIntentRecord {
  return findRecord(engine.store.paymentIntents, id, 'payment_intent', livemode, param);
}

function renderLastPaymentError(engine: Engine, error: PaymentError | null): JsonObject | null {
  if (!error) return null;
  const pm = error.payment_method ? engine.store.paymentMethods.get(error.payment_method) : undefined;
  const out: JsonObject = {
    type: error.type,
    code: error.code,
    doc_url: `https://stripe.com/docs/error-codes/${error.code.replace(/_/g, '-')}`,
    message: error.message,
    payment_method: pm ? renderPaymentMethod(pm) : null,
  };
  if (error.decline_code) out.decline_code = error.decline_code;
  if (error.charge) out.charge = error.charge;
  if (error.advice_code) out.advice_code = error.advice_code;
  return out;
}

export function renderPaymentIntent(engine: Engine, pi: PaymentIntentRecord): JsonObject {
  const paymentMethodOptions: JsonObject = {};
  if (pi.payment_method_types.includes('card')) {
    paymentMethodOptions.card = {
      installments: null,
      mandate_options: null,
      network: null,
      request_three_d_secure: 'automatic',
    };
  }
  if (pi.payment_method_types.includes('us_bank_account')) {
    paymentMethodOptions.us_bank_account = { mandate_options: {}, verification_method: 'automatic' };
  }
  return {
    id: pi.id,
    object: 'payment_intent',
    allowed_payment_method_types: pi.automatic_payment_methods ? null : [...pi.payment_method_types],
    amount: pi.amount,
    amount_capturable: 0,
    amount_details: { tip: {} },
    amount_received: pi.amount_received,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: pi.automatic_payment_methods ? { allow_redirects: 'always', enabled: true } : null,
    canceled_at: pi.canceled_at,
    cancellation_reason: pi.cancellation_reason,
    capture_method: pi.capture_method,
    client_secret: pi.client_secret,
    confirmation_method: 'automatic',
    created: pi.created,
    currency: pi.currency,
    customer: pi.customer,
    customer_account: null,
    description: pi.description,
    excluded_payment_method_types: null,
    last_payment_error: renderLastPaymentError(engine, pi.last_payment_error),
    latest_charge: pi.latest_charge,
    livemode: pi.livemode,
    managed_payments: { enabled: false },
    metadata: { ...pi.metadata },
    next_action: pi.next_action ? structuredClone(pi.next_action) : null,
    on_behalf_of: null,
    payment_method: pi.payment_method,
    payment_method_configuration_details: pi.automatic_payment_methods
      ? { id: pi.payment_method_configuration ?? defaultConfigurationId(pi.livemode), parent: null }
      : null,
    payment_method_options: paymentMethodOptions,
    payment_method_types: [...pi.payment_method_types],
    payment_record: null,
    processing: null,
    receipt_email: pi.receipt_email,
    review: null,
    setup_future_usage: pi.setup_future_usage,
    shipping: pi.shipping ? structuredClone(pi.shipping) : null,
    source: null,
    statement_descriptor: pi.statement_descriptor,
    statement_descriptor_suffix: pi.statement_descriptor_suffix,
    status: pi.status,
    transfer_data: null,
    transfer_group: pi.transfer_group,
  };
}

function validateEmail(value: string | null | undefined, param: string): void {
  if (value && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value)) {
    throw StripeApiError.invalidRequest(`Invalid email address: ${value}`, param, 'email_invalid');
  }
}

function rejectUnsupported(reader: ParamReader, keys: readonly string[]): void {
  for (const key of keys) {
    if (reader.has(key)) {
      // Accepted by Stripe, but the stand-in cannot model it; fail loudly rather than pretend.
      throw StripeApiError.invalidRequest(
        `The Stripe stand-in does not support \`${key}\`; use a test payment_method such as pm_card_visa.`,
        key,
        'parameter_unknown',
      );
    }
  }
}

/**
 * `allowed_payment_method_types` (SDK 23.1.0 PaymentIntentCreateParams/UpdateParams/ConfirmParams);
 * the removed `payment_method_types` never gets here (refused by assertKnown, params.ts).
 */
function readPaymentMethodTypes(reader: ParamReader): string[] | undefined {
  const param = 'allowed_payment_method_types';
  const types = reader.stringArray(param);
  for (const type of types ?? []) {
    if (!SUPPORTED_TYPES.includes(type)) {
      throw StripeApiError.invalidRequest(
        `The payment method type "${type}" is invalid. Please ensure the provided type is activated in your dashboard (https://dashboard.stripe.com/account/payments/settings) and your account is enabled for any preview features that you are trying to use.`,
        param,
        'payment_intent_invalid_parameter',
      );
    }
  }
  if (types && types.length === 0)
    throw StripeApiError.invalidRequest('Invalid array', param, 'parameter_invalid_empty');
  return types;
}

function assertPaymentMethodAllowed(
  types: readonly string[],
  pm: PaymentMethodRecord,
  currency?: string,
  customer?: string | null,
): void {
  const type = templateOf(pm).type;
  const currencies = TYPE_CURRENCIES[type];
  if (currency !== undefined && currencies && !currencies.includes(currency)) {
    throw StripeApiError.invalidRequest(
      `The currency provided (${currency}) is invalid for the payment method type ${type}. Payments with ${type} support: ${currencies.join(', ')}.`,
      'payment_method',
      'payment_intent_invalid_parameter',
    );
  }
  if (type === 'customer_balance' && customer === null) {
    // Bank transfers fund the customer's cash balance: https://docs.stripe.com/payments/bank-transfers/accept-a-payment
    throw StripeApiError.invalidRequest(
      'A customer is required to use the customer_balance payment method. Set `customer` on the PaymentIntent.',
      'customer',
      'payment_intent_invalid_parameter',
    );
  }
  if (!types.includes(type)) {
    throw StripeApiError.invalidRequest(
      `The PaymentMethod provided (${type}) is not allowed for this PaymentIntent. Please attach a PaymentMethod of one of the following types: ${types.join(', ')}. Alternatively update the allowed payment_method_types for this PaymentIntent to include "${type}".`,
      'payment_method',
      'payment_intent_incompatible_payment_method',
    );
  }
}

export interface IntentInput {
  amount: number;
  currency: string;
  metadata: Record<string, string>;
  description: string | null;
  receipt_email: string | null;
  payment_method_types?: string[];
  /** Dynamic payment methods narrowed by this configuration (when no types are given). */
  configuration?: ConfigurationRecord;
  statement_descriptor?: string | null;
  statement_descriptor_suffix?: string | null;
  checkout_session?: string | null;
  customer?: string | null;
  setup_future_usage?: string | null;
  transfer_group?: string | null;
  shipping?: JsonObject | null;
  capture_method?: string;
  /** Attached at creation: the intent starts in requires_confirmation. */
  payment_method?: PaymentMethodRecord;
}

/**
 * With dynamic payment methods (https://docs.stripe.com/payments/payment-methods/dynamic-payment-methods)
 * Stripe offers what the account enables and the currency allows. The stand-in's account enables
 * cards, ACH, bank transfers and the vouchers, each in its currencies (TYPE_CURRENCIES).
 */
export function defaultTypes(currency: string): string[] {
  const types = ['card'];
  for (const type of [
    'us_bank_account',
    'oxxo',
    'boleto',
    'konbini',
    'multibanco',
    'customer_balance',
    ...LOCAL_METHOD_TYPES,
  ] as const) {
    if (TYPE_CURRENCIES[type]?.includes(currency)) types.push(type);
  }
  return types;
}

/** Creates the record and emits payment_intent.created (shared by the API and Checkout). */
export function createIntentRecord(engine: Engine, input: IntentInput, ctx: RequestContext): PaymentIntentRecord {
  const types =
    input.payment_method_types ??
    (input.configuration
      ? narrowTypes(defaultTypes(input.currency), input.configuration)
      : defaultTypes(input.currency));
  if (input.payment_method)
    assertPaymentMethodAllowed(types, input.payment_method, input.currency, input.customer ?? null);
  const id = newId('pi');
  const pi: PaymentIntentRecord = {
    id,
    seq: engine.store.nextSeq(),
    livemode: ctx.livemode,
    created: nowSeconds(),
    amount: input.amount,
    currency: input.currency,
    status: input.payment_method ? 'requires_confirmation' : 'requires_payment_method',
    metadata: { ...input.metadata },
    description: input.description,
    receipt_email: input.receipt_email,
    customer: input.customer ?? null,
    payment_method: input.payment_method?.id ?? null,
    payment_method_types: types,
    automatic_payment_methods: input.payment_method_types === undefined,
    payment_method_configuration: input.payment_method_types === undefined ? (input.configuration?.id ?? null) : null,
    capture_method: input.capture_method ?? 'automatic_async',
    client_secret: `${id}_secret_${randomBase62(25)}`,
    canceled_at: null,
    cancellation_reason: null,
    latest_charge: null,
    amount_received: 0,
    last_payment_error: null,
    next_action: null,
    return_url: null,
    statement_descriptor: input.statement_descriptor ?? null,
    statement_descriptor_suffix: input.statement_descriptor_suffix ?? null,
    setup_future_usage: input.setup_future_usage ?? null,
    transfer_group: input.transfer_group ?? null,
    shipping: input.shipping ?? null,
    pending_payment_method: null,
    checkout_session: input.checkout_session ?? null,
  };
  engine.store.paymentIntents.set(pi.id, pi);
  engine.store.created.payment_intents += 1;
  engine.emit('payment_intent.created', renderPaymentIntent(engine, pi), ctx);
  return pi;
}

export function createPaymentIntent(engine: Engine, reader: ParamReader, ctx: RequestContext): JsonObject {
  reader.assertKnown(PAYMENT_INTENT_CREATE);
  rejectUnsupported(reader, ['confirmation_token']);
  const amount = reader.requiredInteger('amount');
  const currency = normalizeCurrency(reader.requiredString('currency'));
  validateAmount(amount, currency);
  const captureMethod = reader.oneOf('capture_method', ['automatic', 'automatic_async', 'manual'] as const);
  if (captureMethod === 'manual') {
    throw StripeApiError.invalidRequest(
      'The Stripe stand-in only supports automatic capture (capture_method=automatic or automatic_async).',
      'capture_method',
    );
  }
  const types = readPaymentMethodTypes(reader);
  const automatic = reader.object('automatic_payment_methods');
  if (automatic) automatic.assertKnown(['enabled', 'allow_redirects']);
  if (types && automatic?.boolean('enabled') === true) {
    throw StripeApiError.invalidRequest(
      'You may only specify one of these parameters: automatic_payment_methods, allowed_payment_method_types.',
      'automatic_payment_methods',
      'parameters_exclusive',
    );
  }
  if (types && reader.has('payment_method_configuration')) {
    // Stand-in rule (fails loudly): a configuration narrows dynamic payment methods, explicit types replace them.
    throw StripeApiError.invalidRequest(
      'You may only specify one of these parameters: allowed_payment_method_types, payment_method_configuration.',
      'payment_method_configuration',
      'parameters_exclusive',
    );
  }
  // https://docs.stripe.com/api/payment_intents/create#create_payment_intent-payment_method_configuration
  const configuration = types ? undefined : configurationFor(reader, ctx.livemode);
  const receiptEmail = reader.nullableString('receipt_email') ?? null;
  validateEmail(receiptEmail, 'receipt_email');
  const confirm = reader.boolean('confirm') ?? false;
  const returnUrl = reader.string('return_url');
  if (returnUrl !== undefined && !confirm) {
    throw StripeApiError.invalidRequest(
      'The parameter `return_url` cannot be passed when creating a PaymentIntent unless `confirm` is set to true.',
      'return_url',
    );
  }
  const pmId = reader.string('payment_method');
  const pmData = reader.object('payment_method_data');
  if (confirm && !pmId && !pmData) {
    throw StripeApiError.invalidRequest(
      "You cannot confirm this PaymentIntent because it's missing a payment method. To confirm the PaymentIntent, specify a payment method.",
      'payment_method',
      'payment_intent_unexpected_state',
    );
  }
  const pm = pmId
    ? resolvePaymentMethod(engine, pmId, ctx.livemode)
    : pmData
      ? paymentMethodFromData(engine, pmData, ctx.livemode)
      : undefined;
  const metadata = applyMetadata({}, reader.metadata());
  // https://docs.stripe.com/api/payment_intents/create#create_payment_intent-off_session: only with confirm=true.
  const offSession = reader.has('off_session') ? reader.string('off_session') !== 'false' : false;
  if (offSession && !confirm)
    throw StripeApiError.invalidRequest(
      'You can only pass `off_session` when confirming the PaymentIntent (confirm=true).',
      'off_session',
    );

  assertCustomer(engine, reader.nullableString('customer'), ctx.livemode);
  const pi = createIntentRecord(
    engine,
    {
      amount,
      currency,
      metadata,
      description: reader.nullableString('description') ?? null,
      receipt_email: receiptEmail,
      payment_method_types: types,
      configuration,
      statement_descriptor: reader.nullableString('statement_descriptor') ?? null,
      statement_descriptor_suffix: reader.nullableString('statement_descriptor_suffix') ?? null,
      customer: reader.nullableString('customer') ?? null,
      setup_future_usage: reader.nullableString('setup_future_usage') ?? null,
      transfer_group: reader.nullableString('transfer_group') ?? null,
      shipping: reader.json('shipping') ?? null,
      capture_method: captureMethod,
      payment_method: pm,
    },
    ctx,
  );
  if (confirm && pm) checkIntentMethod(engine, pi, pm, offSession);
  return confirm && pm ? confirmIntent(engine, pi, pm, returnUrl ?? null, ctx) : renderPaymentIntent(engine, pi);
}

export function retrievePaymentIntent(
  engine: Engine,
  id: string,
  reader: ParamReader,
  ctx: RequestContext,
): JsonObject {
  reader.assertKnown(['client_secret', 'expand']);
  const pi = findPaymentIntent(engine, id, ctx.livemode);
  const secret = reader.string('client_secret');
  if (secret !== undefined && secret !== pi.client_secret) {
    throw StripeApiError.invalidRequest(
      'The client_secret provided does not match the client_secret associated with the PaymentIntent.',
      'client_secret',
      'payment_intent_invalid_parameter',
    );
  }
  return renderPaymentIntent(engine, pi);
}

export function updatePaymentIntent(engine: Engine, id: string, reader: ParamReader, ctx: RequestContext): JsonObject {
  reader.assertKnown(PAYMENT_INTENT_UPDATE);
  rejectUnsupported(reader, ['payment_method_data']);
  const pi = findPaymentIntent(engine, id, ctx.livemode);
  const amount = reader.integer('amount');
  const currencyRaw = reader.string('currency');
  for (const [param, present] of [
    ['amount', amount !== undefined],
    ['currency', currencyRaw !== undefined],
  ] as const) {
    if (present && !AMOUNT_UPDATABLE.includes(pi.status)) {
      throw StripeApiError.unexpectedState(
        `This PaymentIntent's ${param} could not be updated because it has a status of ${pi.status}. You may only update the ${param} of a PaymentIntent with one of the following statuses: ${AMOUNT_UPDATABLE.join(', ')}.`,
        renderPaymentIntent(engine, pi),
      );
    }
  }
  const currency = currencyRaw !== undefined ? normalizeCurrency(currencyRaw) : pi.currency;
  const nextAmount = amount ?? pi.amount;
  if (amount !== undefined || currencyRaw !== undefined) validateAmount(nextAmount, currency);

  const pmId = reader.string('payment_method');
  let pm: PaymentMethodRecord | undefined;
  if (pmId !== undefined && pmId !== '') {
    if (!CONFIRMABLE.includes(pi.status)) {
      throw StripeApiError.unexpectedState(
        `You cannot update this PaymentIntent's payment_method because it has a status of ${pi.status}.`,
        renderPaymentIntent(engine, pi),
      );
    }
    pm = resolvePaymentMethod(engine, pmId, ctx.livemode);
  }
  const types = readPaymentMethodTypes(reader);
  if (pm) assertPaymentMethodAllowed(types ?? pi.payment_method_types, pm, pi.currency);
  const receiptEmail = reader.nullableString('receipt_email');
  validateEmail(receiptEmail, 'receipt_email');
  const description = reader.nullableString('description');
  const metadata = applyMetadata(pi.metadata, reader.metadata());
  const shipping = reader.json('shipping');
  const statementDescriptor = reader.nullableString('statement_descriptor');
  const suffix = reader.nullableString('statement_descriptor_suffix');
  const customer = reader.nullableString('customer');
  assertCustomer(engine, customer, ctx.livemode);
  // https://docs.stripe.com/api/payment_intents/update#update_payment_intent-setup_future_usage ('' clears it).
  const futureUsage = reader.has('setup_future_usage')
    ? reader.oneOf('setup_future_usage', ['', 'on_session', 'off_session'] as const)
    : undefined;

  // All validation passed: apply.
  pi.amount = nextAmount;
  pi.currency = currency;
  pi.metadata = metadata;
  if (description !== undefined) pi.description = description;
  if (receiptEmail !== undefined) pi.receipt_email = receiptEmail;
  if (types) {
    pi.payment_method_types = types;
    pi.automatic_payment_methods = false;
  }
  if (shipping) pi.shipping = shipping;
  if (statementDescriptor !== undefined) pi.statement_descriptor = statementDescriptor;
  if (suffix !== undefined) pi.statement_descriptor_suffix = suffix;
  if (customer !== undefined) pi.customer = customer;
  if (futureUsage !== undefined) pi.setup_future_usage = futureUsage || null;
  if (pm) {
    pi.payment_method = pm.id;
    pi.next_action = null;
    pi.status = 'requires_confirmation';
  }
  // Stripe sends no webhook for plain updates (there is no payment_intent.updated event).
  return renderPaymentIntent(engine, pi);
}

function missingPaymentMethod(engine: Engine, pi: PaymentIntentRecord): StripeApiError {
  return new StripeApiError(400, {
    type: 'invalid_request_error',
    code: 'payment_intent_unexpected_state',
    message:
      "You cannot confirm this PaymentIntent because it's missing a payment method. To confirm the PaymentIntent, specify a payment method along with the PaymentIntent ID.",
    param: 'payment_method',
    payment_intent: renderPaymentIntent(engine, pi),
  });
}

export function confirmPaymentIntent(engine: Engine, id: string, reader: ParamReader, ctx: RequestContext): JsonObject {
  reader.assertKnown(PAYMENT_INTENT_CONFIRM);
  rejectUnsupported(reader, ['confirmation_token']);
  const pi = findPaymentIntent(engine, id, ctx.livemode);
  assertConfirmable(engine, pi);
  const pmId = reader.string('payment_method');
  const pmData = reader.object('payment_method_data');
  const pm = pmId
    ? resolvePaymentMethod(engine, pmId, ctx.livemode)
    : pmData
      ? paymentMethodFromData(engine, pmData, ctx.livemode)
      : currentPaymentMethod(engine, pi);
  if (!pm) throw missingPaymentMethod(engine, pi);
  assertPaymentMethodAllowed(pi.payment_method_types, pm, pi.currency, pi.customer);
  const receiptEmail = reader.nullableString('receipt_email');
  validateEmail(receiptEmail, 'receipt_email');
  if (receiptEmail !== undefined) pi.receipt_email = receiptEmail;
  checkIntentMethod(engine, pi, pm, reader.has('off_session') && reader.string('off_session') !== 'false');
  return confirmIntent(engine, pi, pm, reader.string('return_url') ?? null, ctx);
}

function currentPaymentMethod(engine: Engine, pi: PaymentIntentRecord): PaymentMethodRecord | undefined {
  const id = pi.payment_method ?? pi.pending_payment_method;
  return id ? engine.store.paymentMethods.get(id) : undefined;
}

function assertConfirmable(engine: Engine, pi: PaymentIntentRecord): void {
  if (CONFIRMABLE.includes(pi.status)) return;
  const message =
    pi.status === 'succeeded'
      ? 'You cannot confirm this PaymentIntent because it has already succeeded after being previously confirmed.'
      : `You cannot confirm this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be confirmed: ${CONFIRMABLE.join(', ')}.`;
  throw StripeApiError.unexpectedState(message, renderPaymentIntent(engine, pi));
}

function transition(engine: Engine, pi: PaymentIntentRecord, previous: PaymentIntentStatus, ctx: RequestContext): void {
  engine.intentTransitioned(pi, previous, ctx);
}

/**
 * Runs a confirmation with `pm`. Shared by create(confirm=true), confirm and Checkout.
 * Declines update state and emit events first, then throw the 402 card_error Stripe returns.
 */
export function confirmIntent(
  engine: Engine,
  pi: PaymentIntentRecord,
  pm: PaymentMethodRecord,
  returnUrl: string | null,
  ctx: RequestContext,
): JsonObject {
  assertConfirmable(engine, pi);
  const template = templateOf(pm);
  if (template.behavior.kind === 'redirect' && !(returnUrl ?? pi.return_url)) {
    // Refused before anything changes, like Stripe's other parameter errors.
    throw StripeApiError.invalidRequest(
      `A return_url must be specified because this PaymentIntent uses ${template.type}, which redirects the customer to their bank.`,
      'return_url',
    );
  }
  const previous = pi.status;
  pi.payment_method = pm.id;
  pi.return_url = returnUrl ?? pi.return_url;
  pi.last_payment_error = null;
  pi.next_action = null;
  pi.pending_payment_method = null;

  if (ctx.livemode && TEST_PAYMENT_METHODS.has(pm.alias)) {
    // Stripe refuses known test cards on live keys.
    return decline(engine, pi, pm, previous, ctx, {
      code: 'card_declined',
      decline_code: 'test_mode_live_card',
      message: 'Your card was declined. Your request was in live mode, but used a known test card.',
    });
  }

  switch (template.behavior.kind) {
    case 'succeed':
      succeed(engine, pi, pm, previous, ctx, false);
      return renderPaymentIntent(engine, pi);
    case 'decline':
      return decline(engine, pi, pm, previous, ctx, template.behavior);
    case 'authenticate': {
      // Off-session nobody can authenticate: a 402 authentication_required, the intent back to
      // requires_payment_method (resources/customers.ts).
      if (isOffSession(engine, pi))
        return decline(engine, pi, pm, previous, ctx, {
          code: 'authentication_required',
          decline_code: 'authentication_required',
          message: 'Your card was declined. This transaction requires authentication.',
        });
      pi.status = 'requires_action';
      pi.pending_payment_method = pm.id;
      const url = `${ctx.baseUrl}/_standin/3ds/${pi.id}`;
      pi.next_action = pi.return_url
        ? { type: 'redirect_to_url', redirect_to_url: { return_url: pi.return_url, url } }
        : {
            type: 'use_stripe_sdk',
            use_stripe_sdk: { type: 'three_d_secure_redirect', stripe_js: url, source: newId('src') },
          };
      engine.emit('payment_intent.requires_action', renderPaymentIntent(engine, pi), ctx);
      transition(engine, pi, previous, ctx);
      return renderPaymentIntent(engine, pi);
    }
    case 'delayed':
      startProcessing(engine, pi, pm, previous, ctx, template.behavior.outcome);
      return renderPaymentIntent(engine, pi);
    case 'redirect': {
      // Bank redirects need somewhere to come back to (https://docs.stripe.com/payments/ideal/accept-a-payment:
      // "return_url ... where Stripe redirects your customer after they complete the payment").
      const url = `${ctx.baseUrl}/_standin/redirect/${pi.id}`;
      awaitAction(engine, pi, pm, previous, ctx, {
        type: 'redirect_to_url',
        redirect_to_url: { return_url: pi.return_url, url },
      });
      return renderPaymentIntent(engine, pi);
    }
    case 'voucher':
      return awaitVoucher(engine, pi, pm, previous, ctx, template.behavior.voucher);
    case 'bank_transfer':
      awaitAction(engine, pi, pm, previous, ctx, bankTransferInstructions(pi));
      return renderPaymentIntent(engine, pi);
    case 'microdeposits': {
      // https://docs.stripe.com/payments/ach-direct-debit/accept-a-payment#web-verify-with-microdeposits:
      // the deposits arrive in 1-2 business days; until verified the intent waits in requires_action.
      const action: JsonObject = {
        type: 'verify_with_microdeposits',
        verify_with_microdeposits: {
          arrival_date: nowSeconds() + 2 * 86_400,
          hosted_verification_url: `https://payments.stripe.com/microdeposit/pacs_test_${pi.id}`,
          microdeposit_type: 'amounts',
        },
      };
      awaitAction(engine, pi, pm, previous, ctx, action);
      return renderPaymentIntent(engine, pi);
    }
  }
}

/** ACH-style settlement: a pending charge, `processing`, then succeeded/failed (timer or control). */
function startProcessing(
  engine: Engine,
  pi: PaymentIntentRecord,
  pm: PaymentMethodRecord,
  previous: PaymentIntentStatus,
  ctx: RequestContext,
  outcome: 'succeed' | 'fail',
): void {
  const charge = createCharge(engine, pi, pm, 'pending');
  pi.status = 'processing';
  pi.next_action = null;
  pi.latest_charge = charge.id;
  pi.pending_payment_method = pm.id;
  afterConfirmed(engine, pi, pm, ctx);
  engine.emit('charge.pending', renderCharge(engine, charge), ctx);
  engine.emit('payment_intent.processing', renderPaymentIntent(engine, pi), ctx);
  transition(engine, pi, previous, ctx);
  const delay = engine.options.autoSettleDelayMs;
  if (delay > 0) {
    engine.scheduler.schedule(delay, () => {
      const current = engine.store.paymentIntents.get(pi.id);
      if (current?.status === 'processing')
        settleIntent(engine, current, outcome, engine.systemContext(current.livemode));
    });
  }
}

/** requires_action with a next action the customer completes elsewhere (payment_intent.requires_action). */
function awaitAction(
  engine: Engine,
  pi: PaymentIntentRecord,
  pm: PaymentMethodRecord,
  previous: PaymentIntentStatus,
  ctx: RequestContext,
  action: JsonObject,
): void {
  pi.status = 'requires_action';
  pi.pending_payment_method = pm.id;
  pi.next_action = action;
  engine.emit('payment_intent.requires_action', renderPaymentIntent(engine, pi), ctx);
  transition(engine, pi, previous, ctx);
}

/**
 * Vouchers (SDK 23.1.0 PaymentIntent.NextAction.OxxoDisplayDetails, BoletoDisplayDetails,
 * KonbiniDisplayDetails, MultibancoDisplayDetails). The intent stays `requires_action` until the
 * customer pays (succeeded) or the voucher expires (requires_payment_method with
 * payment_intent.payment_failed): https://docs.stripe.com/payments/oxxo/accept-a-payment?payment-ui=direct-api,
 * https://docs.stripe.com/payments/boleto/accept-a-payment, https://docs.stripe.com/payments/konbini/accept-a-payment,
 * https://docs.stripe.com/payments/multibanco/accept-a-payment. Paid after autoSettleDelayMs unless
 * the payment method says otherwise (Stripe's test emails), or through control payVoucher/expireVoucher.
 */
function awaitVoucher(
  engine: Engine,
  pi: PaymentIntentRecord,
  pm: PaymentMethodRecord,
  previous: PaymentIntentStatus,
  ctx: RequestContext,
  voucher: VoucherType,
): JsonObject {
  const expiresAt = nowSeconds() + VOUCHER_DAYS[voucher] * 86_400;
  // Stripe hosts these pages itself, always over https (payments.stripe.com); the stand-in serves
  // no page there, it only returns an address of the same form.
  const url = `https://payments.stripe.com/${voucher}/voucher/test_${pi.id}`;
  const number = randomDigits(voucher === 'boleto' ? 47 : 18);
  const details: Record<VoucherType, JsonObject> = {
    oxxo: { expires_after: expiresAt, hosted_voucher_url: url, number },
    boleto: { expires_at: expiresAt, hosted_voucher_url: url, number, pdf: `${url}/pdf` },
    konbini: {
      expires_at: expiresAt,
      hosted_voucher_url: url,
      stores: Object.fromEntries(
        ['familymart', 'lawson', 'ministop', 'seicomart'].map((store) => [
          store,
          { confirmation_number: randomDigits(11), payment_code: randomDigits(6) },
        ]),
      ),
    },
    multibanco: { entity: '12345', expires_at: expiresAt, hosted_voucher_url: url, reference: randomDigits(9) },
  };
  const type = `${voucher}_display_details`;
  awaitAction(engine, pi, pm, previous, ctx, { type, [type]: details[voucher] });
  const outcome = pm.voucherOutcome ?? 'pay_later';
  if (outcome === 'pay_now') payVoucherIntent(engine, pi, ctx);
  else if (outcome === 'expire_now') expireVoucherIntent(engine, pi, ctx);
  else if (outcome === 'pay_later' && engine.options.autoSettleDelayMs > 0) {
    engine.scheduler.schedule(engine.options.autoSettleDelayMs, () => {
      const current = engine.store.paymentIntents.get(pi.id);
      if (current && voucherTypeOf(current)) payVoucherIntent(engine, current, engine.systemContext(current.livemode));
    });
  }
  return renderPaymentIntent(engine, pi);
}

function voucherTypeOf(pi: PaymentIntentRecord): VoucherType | null {
  if (pi.status !== 'requires_action' || !pi.next_action) return null;
  const match = /^(oxxo|boleto|konbini|multibanco)_display_details$/.exec(String(pi.next_action.type));
  return match ? (match[1] as VoucherType) : null; // the regex admits only VoucherType values
}

function pendingMethod(engine: Engine, pi: PaymentIntentRecord): PaymentMethodRecord {
  const pm = currentPaymentMethod(engine, pi);
  if (!pm) throw new Error(`stand-in bug: ${pi.id} requires_action without a payment method`);
  return pm;
}

function notAwaiting(engine: Engine, pi: PaymentIntentRecord, what: string): StripeApiError {
  return StripeApiError.unexpectedState(
    `This PaymentIntent is not awaiting ${what}; it has a status of ${pi.status}${pi.next_action ? ` and next_action ${String(pi.next_action.type)}` : ''}.`,
    renderPaymentIntent(engine, pi),
  );
}

/** The customer paid the voucher: a succeeded charge, payment_intent.succeeded. */
function payVoucherIntent(engine: Engine, pi: PaymentIntentRecord, ctx: RequestContext): JsonObject {
  if (!voucherTypeOf(pi)) throw notAwaiting(engine, pi, 'a voucher payment');
  succeed(engine, pi, pendingMethod(engine, pi), pi.status, ctx, false);
  return renderPaymentIntent(engine, pi);
}

/** The voucher expired unpaid: back to requires_payment_method with payment_intent.payment_failed. */
function expireVoucherIntent(engine: Engine, pi: PaymentIntentRecord, ctx: RequestContext): JsonObject {
  const voucher = voucherTypeOf(pi);
  if (!voucher) throw notAwaiting(engine, pi, 'a voucher payment');
  const pm = pendingMethod(engine, pi);
  const previous = pi.status;
  attemptFailed(
    engine,
    pi,
    pm,
    previous,
    ctx,
    'payment_intent_payment_attempt_expired',
    `The ${voucher} voucher expired before the customer paid it.`,
  );
  return renderPaymentIntent(engine, pi);
}

/**
 * The customer's attempt ended without money (authentication failed, a voucher expired): the
 * intent goes back to requires_payment_method with last_payment_error and emits
 * payment_intent.payment_failed (https://docs.stripe.com/payments/paymentintents/lifecycle).
 */
function attemptFailed(
  engine: Engine,
  pi: PaymentIntentRecord,
  pm: PaymentMethodRecord,
  previous: PaymentIntentStatus,
  ctx: RequestContext,
  code: string,
  message: string,
): void {
  pi.status = 'requires_payment_method';
  pi.next_action = null;
  pi.payment_method = null;
  pi.pending_payment_method = null;
  pi.last_payment_error = {
    type: 'invalid_request_error',
    code,
    decline_code: null,
    message,
    payment_method: pm.id,
    charge: null,
    advice_code: null,
  };
  engine.emit('payment_intent.payment_failed', renderPaymentIntent(engine, pi), ctx);
  transition(engine, pi, previous, ctx);
}

export function payVoucher(engine: Engine, id: string): JsonObject {
  const pi = findPaymentIntent(engine, id, null);
  return payVoucherIntent(engine, pi, engine.systemContext(pi.livemode));
}

export function expireVoucher(engine: Engine, id: string): JsonObject {
  const pi = findPaymentIntent(engine, id, null);
  return expireVoucherIntent(engine, pi, engine.systemContext(pi.livemode));
}

/**
 * Bank transfer instructions (SDK 23.1.0 PaymentIntent.NextAction.DisplayBankTransferInstructions):
 * the virtual account for the currency, `amount_remaining` going down as funds arrive
 * (https://docs.stripe.com/payments/bank-transfers/accept-a-payment).
 */
function bankTransferInstructions(pi: PaymentIntentRecord): JsonObject {
  const address = {
    city: 'San Francisco',
    country: 'US',
    line1: '354 Oyster Point Blvd',
    line2: null,
    postal_code: '94080',
    state: 'CA',
  };
  const holder = { account_holder_address: address, account_holder_name: 'Stripe Stand-in', bank_address: address };
  const byCurrency: Record<string, { type: string; financial: JsonObject }> = {
    usd: {
      type: 'us_bank_transfer',
      financial: {
        type: 'aba',
        supported_networks: ['ach', 'domestic_wire_us'],
        aba: {
          ...holder,
          account_number: randomDigits(12),
          account_type: 'checking',
          bank_name: 'STRIPE TEST BANK',
          routing_number: '110000000',
        },
      },
    },
    eur: {
      type: 'eu_bank_transfer',
      financial: {
        type: 'iban',
        supported_networks: ['sepa'],
        iban: { ...holder, bic: 'STRPDEFFXXX', country: 'DE', iban: `DE00${randomDigits(18)}` },
      },
    },
    gbp: {
      type: 'gb_bank_transfer',
      financial: {
        type: 'sort_code',
        supported_networks: ['bacs', 'fps'],
        sort_code: { ...holder, account_number: randomDigits(8), sort_code: '000000' },
      },
    },
    jpy: {
      type: 'jp_bank_transfer',
      financial: {
        type: 'zengin',
        supported_networks: ['zengin'],
        zengin: {
          ...holder,
          account_number: randomDigits(7),
          account_type: 'futsu',
          bank_code: '0000',
          bank_name: 'STRIPE TEST BANK',
          branch_code: '000',
          branch_name: 'TEST',
        },
      },
    },
    mxn: {
      type: 'mx_bank_transfer',
      financial: {
        type: 'spei',
        supported_networks: ['spei'],
        spei: { ...holder, bank_code: '002', bank_name: 'STRIPE TEST BANK', clabe: randomDigits(18) },
      },
    },
  };
  const chosen = byCurrency[pi.currency];
  return {
    type: 'display_bank_transfer_instructions',
    display_bank_transfer_instructions: {
      amount_remaining: pi.amount,
      currency: pi.currency,
      financial_addresses: [chosen.financial],
      hosted_instructions_url: `https://payments.stripe.com/bank_transfers/instructions/test_${pi.id}`,
      reference: randomBase62(10).toUpperCase(),
      type: chosen.type,
    },
  };
}

/**
 * Funds arrive for a bank transfer (Stripe's test helper does this with
 * `POST /v1/test_helpers/customers/:id/fund_cash_balance`): less than what remains leaves the intent
 * in requires_action with a lower amount_remaining (payment_intent.partially_funded); the rest
 * succeeds it. https://docs.stripe.com/payments/bank-transfers/accept-a-payment#test-your-integration
 */
export function fundBankTransfer(engine: Engine, id: string, amount?: number): JsonObject {
  const pi = findPaymentIntent(engine, id, null);
  const ctx = engine.systemContext(pi.livemode);
  const action = pi.next_action;
  if (pi.status !== 'requires_action' || action?.type !== 'display_bank_transfer_instructions') {
    throw notAwaiting(engine, pi, 'a bank transfer');
  }
  const instructions = action.display_bank_transfer_instructions as JsonObject; // set by bankTransferInstructions
  const remaining = Number(instructions.amount_remaining);
  const paid = amount ?? remaining;
  if (!Number.isInteger(paid) || paid <= 0)
    throw StripeApiError.invalidRequest('amount must be a positive integer', 'amount');
  if (paid < remaining) {
    instructions.amount_remaining = remaining - paid;
    engine.emit('payment_intent.partially_funded', renderPaymentIntent(engine, pi), ctx);
    return renderPaymentIntent(engine, pi);
  }
  succeed(engine, pi, pendingMethod(engine, pi), pi.status, ctx, false);
  return renderPaymentIntent(engine, pi);
}

/**
 * `POST /v1/payment_intents/:id/verify_microdeposits` (SDK 23.1.0 PaymentIntentVerifyMicrodepositsParams:
 * `amounts` or `descriptor_code`). Stripe's test values: amounts 32 and 45, or descriptor code SM11AA
 * (https://docs.stripe.com/payments/ach-direct-debit/accept-a-payment#test-account-numbers). Verified,
 * the payment goes on like ACH: processing, then succeeded.
 */
export function verifyMicrodeposits(
  engine: Engine,
  id: string,
  reader: ParamReader | null,
  ctx: RequestContext,
): JsonObject {
  reader?.assertKnown(['amounts', 'client_secret', 'descriptor_code', 'expand']);
  const pi = findPaymentIntent(engine, id, reader ? ctx.livemode : null);
  if (pi.status !== 'requires_action' || pi.next_action?.type !== 'verify_with_microdeposits') {
    throw notAwaiting(engine, pi, 'microdeposit verification');
  }
  if (reader) {
    const amounts = reader.stringArray('amounts');
    const code = reader.string('descriptor_code');
    if (!amounts && code === undefined) throw StripeApiError.parameterMissing('amounts');
    if (amounts && (amounts.length !== 2 || amounts[0] !== '32' || amounts[1] !== '45')) {
      throw StripeApiError.invalidRequest(
        'The amounts provided do not match the amounts that were sent to the bank account.',
        'amounts',
        'payment_method_microdeposit_verification_amounts_mismatch',
      );
    }
    if (code !== undefined && code !== 'SM11AA') {
      throw StripeApiError.invalidRequest(
        'The verification code provided does not match the one sent to the bank account.',
        'descriptor_code',
        'payment_method_microdeposit_verification_descriptor_code_mismatch',
      );
    }
  }
  const pm = pendingMethod(engine, pi);
  const behavior = templateOf(pm).behavior;
  startProcessing(engine, pi, pm, pi.status, ctx, behavior.kind === 'microdeposits' ? behavior.outcome : 'succeed');
  return renderPaymentIntent(engine, pi);
}

function succeed(
  engine: Engine,
  pi: PaymentIntentRecord,
  pm: PaymentMethodRecord,
  previous: PaymentIntentStatus,
  ctx: RequestContext,
  threeDSecure: boolean,
): ChargeRecord {
  const charge = createCharge(engine, pi, pm, 'succeeded', { threeDSecure });
  pi.status = 'succeeded';
  pi.latest_charge = charge.id;
  pi.amount_received = pi.amount;
  pi.next_action = null;
  pi.pending_payment_method = null;
  afterConfirmed(engine, pi, pm, ctx);
  engine.emit('charge.succeeded', renderCharge(engine, charge), ctx);
  engine.emit('payment_intent.succeeded', renderPaymentIntent(engine, pi), ctx);
  transition(engine, pi, previous, ctx);
  const template = templateOf(pm);
  if (template.disputes && engine.options.autoDisputeDelayMs > 0) {
    engine.scheduler.schedule(engine.options.autoDisputeDelayMs, () => {
      const current = engine.store.charges.get(charge.id);
      if (current && !current.disputed) openDispute(engine, current.id);
    });
  }
  return charge;
}

function decline(
  engine: Engine,
  pi: PaymentIntentRecord,
  pm: PaymentMethodRecord,
  previous: PaymentIntentStatus,
  ctx: RequestContext,
  failure: { code: string; decline_code: string; message: string },
): never {
  const charge = createCharge(engine, pi, pm, 'failed', { failure });
  pi.status = 'requires_payment_method';
  pi.latest_charge = charge.id;
  pi.payment_method = null;
  pi.last_payment_error = {
    type: 'card_error',
    code: failure.code,
    decline_code: failure.decline_code,
    message: failure.message,
    payment_method: pm.id,
    charge: charge.id,
    advice_code: failure.decline_code === 'insufficient_funds' ? 'try_again_later' : null,
  };
  engine.emit('charge.failed', renderCharge(engine, charge), ctx);
  const rendered = renderPaymentIntent(engine, pi);
  engine.emit('payment_intent.payment_failed', rendered, ctx);
  transition(engine, pi, previous, ctx);
  throw new StripeApiError(402, {
    type: 'card_error',
    code: failure.code,
    decline_code: failure.decline_code,
    advice_code: pi.last_payment_error.advice_code ?? undefined,
    message: failure.message,
    charge: charge.id,
    payment_intent: rendered,
    payment_method: renderPaymentMethod(pm),
  });
}

/** Finishes 3D Secure for a requires_action intent (control route / hosted 3DS page). */
export function authenticateIntent(engine: Engine, id: string, outcome: 'succeed' | 'fail'): JsonObject {
  const pi = findPaymentIntent(engine, id, null);
  const ctx = engine.systemContext(pi.livemode);
  if (pi.status !== 'requires_action' || !AUTHENTICATION_ACTIONS.includes(String(pi.next_action?.type))) {
    throw notAwaiting(engine, pi, 'authentication');
  }
  const pm = currentPaymentMethod(engine, pi);
  if (!pm) throw new Error(`stand-in bug: ${pi.id} requires_action without a payment method`);
  const previous = pi.status;
  if (outcome === 'succeed') {
    succeed(engine, pi, pm, previous, ctx, true);
  } else {
    attemptFailed(engine, pi, pm, previous, ctx, 'payment_intent_authentication_failure', AUTHENTICATION_FAILURE);
  }
  return renderPaymentIntent(engine, pi);
}

/** Settles a processing (delayed-method) intent: succeed -> succeeded, fail -> requires_payment_method. */
export function settleIntent(
  engine: Engine,
  pi: PaymentIntentRecord,
  outcome: 'succeed' | 'fail',
  ctx: RequestContext,
): JsonObject {
  if (pi.status !== 'processing') {
    throw StripeApiError.unexpectedState(
      `This PaymentIntent is not processing; it has a status of ${pi.status}.`,
      renderPaymentIntent(engine, pi),
    );
  }
  const charge = pi.latest_charge ? engine.store.charges.get(pi.latest_charge) : undefined;
  const pm = currentPaymentMethod(engine, pi);
  if (!charge || !pm) throw new Error(`stand-in bug: processing intent ${pi.id} has no charge or payment method`);
  const previous = pi.status;
  pi.pending_payment_method = null;
  if (outcome === 'succeed') {
    settleCharge(engine, charge);
    pi.status = 'succeeded';
    pi.amount_received = pi.amount;
    engine.emit('charge.succeeded', renderCharge(engine, charge), ctx);
    engine.emit('payment_intent.succeeded', renderPaymentIntent(engine, pi), ctx);
  } else {
    const failure = {
      code: 'account_closed',
      decline_code: null,
      message: "The customer's bank account has been closed.",
    };
    settleCharge(engine, charge, failure);
    pi.status = 'requires_payment_method';
    pi.payment_method = null;
    pi.last_payment_error = {
      type: 'card_error',
      ...failure,
      payment_method: pm.id,
      charge: charge.id,
      advice_code: null,
    };
    engine.emit('charge.failed', renderCharge(engine, charge), ctx);
    engine.emit('payment_intent.payment_failed', renderPaymentIntent(engine, pi), ctx);
  }
  transition(engine, pi, previous, ctx);
  return renderPaymentIntent(engine, pi);
}

export function settleIntentById(engine: Engine, id: string, outcome?: 'succeed' | 'fail'): JsonObject {
  const pi = findPaymentIntent(engine, id, null);
  const pm = currentPaymentMethod(engine, pi);
  const behavior = pm ? templateOf(pm).behavior : undefined;
  const resolved = outcome ?? (behavior?.kind === 'delayed' ? behavior.outcome : 'succeed');
  return settleIntent(engine, pi, resolved, engine.systemContext(pi.livemode));
}

export function cancelPaymentIntent(engine: Engine, id: string, reader: ParamReader, ctx: RequestContext): JsonObject {
  reader.assertKnown(['cancellation_reason', 'expand']);
  const reason = reader.oneOf('cancellation_reason', CANCELLATION_REASONS) ?? null;
  const pi = findPaymentIntent(engine, id, ctx.livemode);
  return cancelIntent(engine, pi, reason, ctx);
}

export function cancelIntent(
  engine: Engine,
  pi: PaymentIntentRecord,
  reason: string | null,
  ctx: RequestContext,
): JsonObject {
  if (!CANCELABLE.includes(pi.status)) {
    throw StripeApiError.unexpectedState(
      `You cannot cancel this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.`,
      renderPaymentIntent(engine, pi),
    );
  }
  const previous = pi.status;
  pi.status = 'canceled';
  pi.canceled_at = nowSeconds();
  pi.cancellation_reason = reason;
  pi.next_action = null;
  pi.pending_payment_method = null;
  engine.emit('payment_intent.canceled', renderPaymentIntent(engine, pi), ctx);
  transition(engine, pi, previous, ctx);
  return renderPaymentIntent(engine, pi);
}

export function listPaymentIntents(engine: Engine, reader: ParamReader, ctx: RequestContext): JsonObject {
  const customer = reader.string('customer');
  return listObjects(engine.store.paymentIntents.values(), reader, {
    url: '/v1/payment_intents',
    kind: 'payment_intent',
    livemode: ctx.livemode,
    filterParams: ['customer', 'customer_account'],
    filter: (pi) => customer === undefined || pi.customer === customer,
    render: (pi) => renderPaymentIntent(engine, pi),
  });
}

/** A useful subset of Stripe's search query language (see search.ts). */
export function searchPaymentIntents(engine: Engine, reader: ParamReader, ctx: RequestContext): JsonObject {
  reader.assertKnown(['query', 'limit', 'page', 'expand']);
  const matches = compileSearch<PaymentIntentRecord>(reader.requiredString('query'), {
    status: (pi) => pi.status,
    currency: (pi) => pi.currency,
    amount: (pi) => pi.amount,
    customer: (pi) => pi.customer,
    created: (pi) => pi.created,
    metadata: (pi, key) => pi.metadata[key] ?? null,
  });
  const limit = readLimit(reader);
  const page = Number(reader.string('page') ?? '0') || 0;
  const all = [...engine.store.paymentIntents.values()]
    .filter((pi) => pi.livemode === ctx.livemode && matches(pi))
    .sort((a, b) => b.seq - a.seq);
  const data = all.slice(page, page + limit);
  const hasMore = page + limit < all.length;
  return {
    object: 'search_result',
    data: data.map((pi) => renderPaymentIntent(engine, pi)),
    has_more: hasMore,
    next_page: hasMore ? String(page + limit) : null,
    url: '/v1/payment_intents/search',
  };
}
