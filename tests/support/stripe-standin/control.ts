/**
 * Test-control surface: the same operations as a programmatic object (StandinControl) and as
 * unauthenticated `/_standin/*` routes taking JSON bodies. Also serves the hosted Checkout and
 * 3D Secure pages, and the Stripe.js stand-in (GET /_standin/stripe.js).
 */
import type { Engine } from './engine';
import { StripeApiError } from './errors';
import type { Fault, FaultQueue, FaultSpec } from './faults';
import type { ParamReader } from './form';
import type { IdempotencyStore } from './idempotency';
import { checkoutPage, messagePage, threeDSecurePage } from './pages';
import {
  completeSession,
  completionRedirect,
  findSession,
  offersSaving,
  substituteSessionId,
  type CheckoutOutcome,
  type CompleteOptions,
} from './resources/checkout-sessions';
import { closeDispute, openDispute, setDisputeStatus } from './resources/disputes';
import { redirectPage } from './resources/local-methods';
import { templateOf } from './resources/payment-methods';
import { formatAmount } from './currency';
import { renderEvent } from './resources/events';
import {
  authenticateIntent,
  expireVoucher,
  findPaymentIntent,
  fundBankTransfer,
  payVoucher,
  settleIntentById,
  verifyMicrodeposits,
} from './resources/payment-intents';
import { failRefundById, isFailureReason, settleRefundById, type RefundFailureReason } from './resources/refunds';
import { json, type Route } from './router';
import { stripeJsStandinSource } from '../stripe-js-standin/build';
import { STRIPE_JS_STANDIN_PATH } from '../stripe-js-standin/paths';
import type { CreatedCounts, LoggedRequest } from './store';
import type { DisputeStatus, JsonObject } from './types';
import {
  DEFAULT_DELIVERY,
  type DeliverOverrides,
  type DeliveryOptions,
  type DeliveryOptionsPatch,
  type DeliveryRecord,
  type WebhookEndpoint,
  API_VERSION,
} from './webhooks';

export interface StandinStats {
  created: CreatedCounts;
  /** Requests seen, keyed "POST /v1/payment_intents". */
  requests: Record<string, number>;
  /** Same, with ids folded: "POST /v1/payment_intents/:id/confirm". */
  requestsByRoute: Record<string, number>;
  /** Same, per API key (masked: prefix and last 4 characters), e.g. { "sk_test_****0000": { ... } }. */
  requestsByKey: Record<string, Record<string, number>>;
  idempotentReplays: number;
  faultsInjected: number;
  /** /v1 requests received and not yet answered or dropped (0: no call, a hanging one included, is running). */
  inFlight: number;
  webhooks: { queued: number; attempts: number; succeeded: number; failed: number };
}

export interface StandinControl {
  /** Clears all objects, events, faults, idempotency keys and the delivery log; restores start config. */
  reset(): void;
  setWebhook(config: Partial<WebhookEndpoint>): void;
  setDelivery(options: DeliveryOptionsPatch): void;
  webhookConfig(): { endpoint: WebhookEndpoint; options: DeliveryOptions };
  addFault(spec: FaultSpec): Fault;
  /**
   * A day passes: every stored idempotency key is pruned, as Stripe prunes keys "after they're at
   * least 24 hours old" (https://docs.stripe.com/api/idempotent_requests); a repeat then runs again.
   */
  forgetIdempotencyKeys(): void;
  clearFaults(): void;
  faults(): Fault[];
  /** `status` opens an inquiry (warning_*) or a prevented dispute instead of a chargeback. */
  openDispute(chargeId: string, reason?: string, status?: DisputeStatus): JsonObject;
  closeDispute(disputeId: string, outcome: 'won' | 'lost'): JsonObject;
  /** Moves a dispute to any status, an unknown future one included. */
  setDisputeStatus(disputeId: string, status: DisputeStatus): JsonObject;
  authenticate(paymentIntentId: string, outcome: 'succeed' | 'fail'): JsonObject;
  completeCheckout(sessionId: string, options?: CompleteOptions): JsonObject;
  /** Settles a processing intent; the outcome defaults to what its payment method does. */
  settleDelayed(paymentIntentId: string, outcome?: 'succeed' | 'fail'): JsonObject;
  /** Settles a pending or requires_action refund; default outcome is fail. */
  settleRefund(refundId: string, outcome?: 'succeed' | 'fail'): JsonObject;
  /**
   * Fails a refund that started (pending, requires_action or succeeded), as Stripe's refund_fail
   * card does later on its own: failure_reason, failure_balance_transaction, refund.failed.
   */
  failRefund(refundId: string, failureReason?: RefundFailureReason): JsonObject;
  /** The customer pays a voucher (oxxo/boleto/konbini/multibanco): requires_action -> succeeded. */
  payVoucher(paymentIntentId: string): JsonObject;
  /** A voucher expires unpaid: requires_action -> requires_payment_method (payment_intent.payment_failed). */
  expireVoucher(paymentIntentId: string): JsonObject;
  /** Funds arrive for a bank transfer; less than remains is a partial funding. Default: all that remains. */
  fundBankTransfer(paymentIntentId: string, amount?: number): JsonObject;
  /** The customer verifies the microdeposits (correct amounts): requires_action -> processing. */
  verifyMicrodeposits(paymentIntentId: string): JsonObject;
  stats(): StandinStats;
  /**
   * The /v1 requests received (decoded parameters), oldest first; `route` filters on
   * "POST /v1/payment_intents" style route patterns. Tests read what the code under test sent.
   */
  requestLog(route?: string): LoggedRequest[];
  deliveries(): DeliveryRecord[];
  /** All events (of `type`, when given), oldest first. */
  events(type?: string): JsonObject[];
  /** One page of events(type), oldest first: only the page is rendered (the bench reads 250,000). */
  eventPage(type: string | undefined, offset: number, limit: number): { data: JsonObject[]; hasMore: boolean };
  deliverEvent(eventId: string, overrides?: DeliverOverrides): Promise<DeliveryRecord>;
  flush(): Promise<void>;
  idle(): Promise<void>;
}

export interface ControlDeps {
  engine: Engine;
  faults: FaultQueue;
  idempotency: IdempotencyStore;
  /** Webhook endpoint and delivery options as given at start, restored by reset(). */
  initial: { endpoint: Partial<WebhookEndpoint>; delivery: DeliveryOptionsPatch };
}

export function createControl({ engine, faults, idempotency, initial }: ControlDeps): StandinControl {
  const eventsOf = (type: string | undefined) =>
    [...engine.store.events.values()]
      .filter((event) => type === undefined || event.type === type)
      .sort((a, b) => a.seq - b.seq);
  return {
    reset() {
      engine.reset();
      faults.clear();
      idempotency.reset();
      engine.webhooks.configure({
        url: null,
        secret: '',
        enabled: false,
        apiVersion: API_VERSION,
        ...initial.endpoint,
      });
      engine.webhooks.setOptions({
        ...structuredClone(DEFAULT_DELIVERY),
        ...initial.delivery,
        retry: { ...DEFAULT_DELIVERY.retry, ...(initial.delivery.retry ?? {}) },
      });
    },
    setWebhook: (config) => engine.webhooks.configure(config),
    setDelivery: (options) => engine.webhooks.setOptions(options),
    webhookConfig: () => engine.webhooks.config,
    addFault: (spec) => faults.add(spec),
    forgetIdempotencyKeys: () => idempotency.reset(),
    clearFaults: () => faults.clear(),
    faults: () => faults.list(),
    openDispute: (chargeId, reason, status) => openDispute(engine, chargeId, reason, status),
    closeDispute: (disputeId, outcome) => closeDispute(engine, disputeId, outcome),
    setDisputeStatus: (disputeId, status) => setDisputeStatus(engine, disputeId, status),
    authenticate: (paymentIntentId, outcome) => authenticateIntent(engine, paymentIntentId, outcome),
    completeCheckout: (sessionId, options) => completeSession(engine, sessionId, options),
    settleDelayed: (paymentIntentId, outcome) => settleIntentById(engine, paymentIntentId, outcome),
    settleRefund: (refundId, outcome = 'fail') => settleRefundById(engine, refundId, outcome),
    failRefund: (refundId, failureReason) => failRefundById(engine, refundId, failureReason),
    payVoucher: (paymentIntentId) => payVoucher(engine, paymentIntentId),
    expireVoucher: (paymentIntentId) => expireVoucher(engine, paymentIntentId),
    fundBankTransfer: (paymentIntentId, amount) => fundBankTransfer(engine, paymentIntentId, amount),
    verifyMicrodeposits: (paymentIntentId) =>
      verifyMicrodeposits(engine, paymentIntentId, null, engine.systemContext(false)),
    requestLog: (route) =>
      structuredClone(engine.store.requestLog.filter((r) => route === undefined || r.route === route)),
    stats() {
      const { store } = engine;
      const records = engine.webhooks.deliveries();
      return {
        created: { ...store.created },
        requests: { ...store.requests },
        requestsByRoute: { ...store.requestsByRoute },
        requestsByKey: structuredClone(store.requestsByKey),
        idempotentReplays: store.idempotentReplays,
        faultsInjected: store.faultsInjected,
        inFlight: store.inFlight,
        webhooks: {
          queued: engine.webhooks.queued,
          attempts: records.length,
          succeeded: records.filter((record) => record.ok).length,
          failed: records.filter((record) => !record.ok).length,
        },
      };
    },
    deliveries: () => engine.webhooks.deliveries(),
    events: (type) => eventsOf(type).map((event) => renderEvent(event)),
    eventPage: (type, offset, limit) => {
      const all = eventsOf(type);
      return {
        data: all.slice(offset, offset + limit).map((event) => renderEvent(event)),
        hasMore: offset + limit < all.length,
      };
    },
    async deliverEvent(eventId, overrides) {
      if (!engine.store.events.has(eventId)) throw StripeApiError.resourceMissing('event', eventId);
      return engine.webhooks.deliverNow(eventId, overrides);
    },
    flush: () => engine.webhooks.flush(),
    idle: () => engine.webhooks.idle(),
  };
}

// ---- HTTP routes ------------------------------------------------------------------------------

function outcomeOf<T extends string>(params: ParamReader, values: readonly T[], fallback?: T): T {
  const value = params.oneOf('outcome', values) ?? fallback;
  if (value === undefined) throw StripeApiError.parameterMissing('outcome');
  return value;
}

function readWebhook(params: ParamReader): Partial<WebhookEndpoint> {
  params.assertKnown(['url', 'secret', 'enabled', 'apiVersion']);
  const apiVersion = params.string('apiVersion');
  const patch: Partial<WebhookEndpoint> = {};
  const url = params.nullableString('url');
  if (url !== undefined) patch.url = url;
  const secret = params.string('secret');
  if (secret !== undefined) patch.secret = secret;
  const enabled = params.boolean('enabled');
  if (enabled !== undefined) patch.enabled = enabled;
  if (apiVersion !== undefined) patch.apiVersion = apiVersion;
  return patch;
}

function readDelivery(params: ParamReader): DeliveryOptionsPatch {
  params.assertKnown([
    'duplicates',
    'concurrency',
    'reverseOrder',
    'shuffle',
    'delayMs',
    'retry',
    'paused',
    'timeoutMs',
  ]);
  const patch: DeliveryOptionsPatch = {};
  const duplicates = params.integer('duplicates');
  if (duplicates !== undefined) patch.duplicates = duplicates;
  const concurrency = params.integer('concurrency');
  if (concurrency !== undefined) patch.concurrency = concurrency;
  const reverseOrder = params.boolean('reverseOrder');
  if (reverseOrder !== undefined) patch.reverseOrder = reverseOrder;
  const shuffle = params.boolean('shuffle');
  if (shuffle !== undefined) patch.shuffle = shuffle;
  const delayMs = params.integer('delayMs');
  if (delayMs !== undefined) patch.delayMs = delayMs;
  const paused = params.boolean('paused');
  if (paused !== undefined) patch.paused = paused;
  const timeoutMs = params.integer('timeoutMs');
  if (timeoutMs !== undefined) patch.timeoutMs = timeoutMs;
  const retry = params.object('retry');
  if (retry) {
    retry.assertKnown(['attempts', 'backoffMs']);
    patch.retry = {};
    const attempts = retry.integer('attempts');
    if (attempts !== undefined) patch.retry.attempts = attempts;
    const backoffMs = retry.integer('backoffMs');
    if (backoffMs !== undefined) patch.retry.backoffMs = backoffMs;
  }
  return patch;
}

function readFault(params: ParamReader): FaultSpec {
  params.assertKnown([
    'method',
    'path',
    'status',
    'times',
    'timeoutMs',
    'afterProcessing',
    'message',
    'shouldRetry',
    'beforeExecution',
  ]);
  return {
    method: params.string('method'),
    path: params.requiredString('path'),
    status: params.integer('status'),
    times: params.integer('times'),
    timeoutMs: params.integer('timeoutMs'),
    afterProcessing: params.boolean('afterProcessing'),
    message: params.string('message'),
    shouldRetry: params.boolean('shouldRetry'),
    beforeExecution: params.boolean('beforeExecution'),
  };
}

const ok = { ok: true };

export function controlRoutes(control: StandinControl): Route[] {
  return [
    { method: 'GET', pattern: '/_standin/health', handler: () => json(ok) },
    { method: 'POST', pattern: '/_standin/reset', handler: () => (control.reset(), json(ok)) },
    { method: 'GET', pattern: '/_standin/stats', handler: () => json(toJson(control.stats())) },
    {
      method: 'GET',
      pattern: '/_standin/requests',
      handler: ({ params }) => json({ data: control.requestLog(params.string('route')).map(toJson) }),
    },
    { method: 'GET', pattern: '/_standin/deliveries', handler: () => json({ data: control.deliveries().map(toJson) }) },
    {
      // `type` filters and `offset`/`limit` page (the bench asks for one type out of hundreds of
      // thousands of events, whose whole list as one JSON string can pass V8's maximum string
      // length: 280,000 payment_intent.succeeded events did).
      method: 'GET',
      pattern: '/_standin/events',
      handler: ({ params }) => {
        const offset = Math.max(0, Number(params.string('offset') || 0) || 0);
        const limit = Number(params.string('limit') || 0) || Number.MAX_SAFE_INTEGER;
        const page = control.eventPage(params.string('type') || undefined, offset, limit);
        return json({ data: page.data, has_more: page.hasMore });
      },
    },
    {
      method: 'POST',
      pattern: '/_standin/webhook',
      handler: ({ params }) => {
        control.setWebhook(readWebhook(params));
        return json(toJson(control.webhookConfig()));
      },
    },
    {
      method: 'POST',
      pattern: '/_standin/delivery',
      handler: ({ params }) => {
        control.setDelivery(readDelivery(params));
        return json(toJson(control.webhookConfig()));
      },
    },
    {
      method: 'POST',
      pattern: '/_standin/delivery/flush',
      handler: async () => {
        await control.flush();
        return json(ok);
      },
    },
    {
      method: 'POST',
      pattern: '/_standin/faults',
      handler: ({ params }) => json(toJson(control.addFault(readFault(params)))),
    },
    { method: 'GET', pattern: '/_standin/faults', handler: () => json({ data: control.faults().map(toJson) }) },
    { method: 'DELETE', pattern: '/_standin/faults', handler: () => (control.clearFaults(), json(ok)) },
    {
      method: 'POST',
      pattern: '/_standin/payment_intents/:id/authenticate',
      cors: true, // the Stripe.js stand-in's 3-D Secure modal
      handler: ({ params, path }) =>
        json(control.authenticate(path.id, outcomeOf(params, ['succeed', 'fail'] as const))),
    },
    {
      method: 'POST',
      pattern: '/_standin/payment_intents/:id/settle',
      handler: ({ params, path }) =>
        json(control.settleDelayed(path.id, params.oneOf('outcome', ['succeed', 'fail'] as const))),
    },
    {
      method: 'POST',
      pattern: '/_standin/refunds/:id/settle',
      handler: ({ params, path }) =>
        json(control.settleRefund(path.id, outcomeOf(params, ['succeed', 'fail'] as const, 'fail'))),
    },
    {
      method: 'POST',
      pattern: '/_standin/refunds/:id/fail',
      handler: ({ params, path }) => {
        params.assertKnown(['failure_reason']);
        const reason = params.string('failure_reason');
        if (reason !== undefined && !isFailureReason(reason))
          throw StripeApiError.invalidRequest(`Unknown failure_reason ${reason}`, 'failure_reason');
        return json(control.failRefund(path.id, reason));
      },
    },
    {
      method: 'POST',
      pattern: '/_standin/payment_intents/:id/voucher',
      handler: ({ params, path }) => {
        const outcome = outcomeOf(params, ['pay', 'expire'] as const);
        return json(outcome === 'pay' ? control.payVoucher(path.id) : control.expireVoucher(path.id));
      },
    },
    {
      method: 'POST',
      pattern: '/_standin/payment_intents/:id/fund',
      handler: ({ params, path }) => {
        params.assertKnown(['amount']);
        return json(control.fundBankTransfer(path.id, params.integer('amount')));
      },
    },
    {
      method: 'POST',
      pattern: '/_standin/payment_intents/:id/verify_microdeposits',
      handler: ({ path }) => json(control.verifyMicrodeposits(path.id)),
    },
    {
      method: 'POST',
      pattern: '/_standin/charges/:id/dispute',
      handler: ({ params, path }) => json(control.openDispute(path.id, params.string('reason'))),
    },
    {
      method: 'POST',
      pattern: '/_standin/disputes/:id/close',
      handler: ({ params, path }) => json(control.closeDispute(path.id, outcomeOf(params, ['won', 'lost'] as const))),
    },
    {
      method: 'POST',
      pattern: '/_standin/checkout/sessions/:id/complete',
      cors: true, // the Stripe.js stand-in's embedded Checkout
      handler: ({ params, path }) => {
        params.assertKnown(['payment_method', 'outcome', 'email', 'name', 'save']);
        return json(
          control.completeCheckout(path.id, {
            payment_method: params.string('payment_method'),
            outcome: params.oneOf<CheckoutOutcome>('outcome', ['paid', 'delayed_success', 'delayed_failure']),
            email: params.string('email'),
            name: params.string('name'),
            save: params.string('save') === 'true',
          }),
        );
      },
    },
    {
      // What the Stripe.js stand-in's embedded Checkout shows for a session (the real one loads its
      // form from Stripe with the client secret): whether to offer the "save" checkbox
      // (https://docs.stripe.com/payments/checkout/save-during-payment, embedded page).
      method: 'GET',
      pattern: '/_standin/checkout/sessions/:id/embedded',
      cors: true,
      handler: ({ engine, path }) => {
        const session = findSession(engine, path.id, null);
        return json({ id: session.id, status: session.status, offers_saving: offersSaving(session) });
      },
    },
    {
      method: 'POST',
      pattern: '/_standin/events/:id/deliver',
      handler: async ({ params, path }) => {
        params.assertKnown(['secret', 'timestamp', 'url']);
        const record = await control.deliverEvent(path.id, {
          secret: params.string('secret'),
          timestamp: params.integer('timestamp'),
          url: params.string('url'),
        });
        return json(toJson(record));
      },
    },

    // The Stripe.js stand-in, for the plugin's stripe.jsUrl (offline demo): it calls this server.
    {
      method: 'GET',
      pattern: STRIPE_JS_STANDIN_PATH,
      handler: () => ({ kind: 'script', js: stripeJsStandinSource() }),
    },

    // Hosted pages (HTML forms).
    {
      method: 'GET',
      pattern: '/_standin/checkout/:id',
      handler: ({ engine, path }) => ({ kind: 'html', html: checkoutPage(findSession(engine, path.id, null)) }),
    },
    {
      method: 'POST',
      pattern: '/_standin/checkout/:id/pay',
      handler: ({ engine, params, path }) => {
        const session = findSession(engine, path.id, null);
        try {
          completeSession(engine, session.id, {
            payment_method: params.string('payment_method') || undefined,
            email: params.string('email') || undefined,
            // An HTML checkbox sends its value only when ticked.
            save: params.string('save') === 'on',
          });
        } catch (error) {
          if (error instanceof StripeApiError && error.status === 402) {
            return { kind: 'html', status: 402, html: checkoutPage(session, error.message) };
          }
          throw error;
        }
        const target = completionRedirect(session);
        return target
          ? { kind: 'redirect', location: target }
          : { kind: 'html', html: messagePage('Payment complete', 'Thanks! You can close this page.') };
      },
    },
    {
      method: 'POST',
      pattern: '/_standin/checkout/:id/cancel',
      handler: ({ engine, path }) => {
        // Like Stripe, cancelling only navigates away; the session stays open until it expires.
        const session = findSession(engine, path.id, null);
        return session.cancel_url
          ? { kind: 'redirect', location: substituteSessionId(session.cancel_url, session.id) }
          : { kind: 'html', html: messagePage('Checkout canceled', 'You can close this page.') };
      },
    },
    {
      method: 'GET',
      pattern: '/_standin/3ds/:id',
      handler: ({ engine, path }) => ({
        kind: 'html',
        html: threeDSecurePage(findPaymentIntent(engine, path.id, null)),
      }),
    },
    {
      method: 'POST',
      pattern: '/_standin/3ds/:id',
      handler: ({ engine, params, path }) => {
        const outcome = outcomeOf(params, ['succeed', 'fail'] as const);
        const rendered = authenticateIntent(engine, path.id, outcome);
        const pi = findPaymentIntent(engine, path.id, null);
        if (!pi.return_url)
          return { kind: 'html', html: messagePage('Authentication finished', `Status: ${String(rendered.status)}`) };
        const target = new URL(pi.return_url);
        target.searchParams.set('payment_intent', pi.id);
        target.searchParams.set('payment_intent_client_secret', pi.client_secret);
        target.searchParams.set('redirect_status', pi.status === 'succeeded' ? 'succeeded' : 'failed');
        return { kind: 'redirect', location: target.toString() };
      },
    },
    // The bank's page of a redirect method (iDEAL, Bancontact: resources/local-methods.ts).
    {
      method: 'GET',
      pattern: '/_standin/redirect/:id',
      handler: ({ engine, path }) => {
        const pi = findPaymentIntent(engine, path.id, null);
        const pm = pi.pending_payment_method ? engine.store.paymentMethods.get(pi.pending_payment_method) : undefined;
        const method = pm ? templateOf(pm).type : 'bank';
        return { kind: 'html', html: redirectPage(pi.id, pi.status, method, formatAmount(pi.amount, pi.currency)) };
      },
    },
    {
      method: 'POST',
      pattern: '/_standin/redirect/:id',
      handler: ({ engine, params, path }) => {
        const outcome = outcomeOf(params, ['succeed', 'fail'] as const);
        authenticateIntent(engine, path.id, outcome);
        const pi = findPaymentIntent(engine, path.id, null);
        if (!pi.return_url) throw new Error(`stand-in bug: redirect intent ${pi.id} has no return_url`);
        // https://docs.stripe.com/payments/ideal/accept-a-payment ("Handle the redirect"): these three are appended.
        const target = new URL(pi.return_url);
        target.searchParams.set('payment_intent', pi.id);
        target.searchParams.set('payment_intent_client_secret', pi.client_secret);
        target.searchParams.set('redirect_status', pi.status === 'succeeded' ? 'succeeded' : 'failed');
        return { kind: 'redirect', location: target.toString() };
      },
    },
  ];
}

/** Plain data (interfaces without index signatures) to the Json type, via a JSON round trip. */
function toJson(value: object): JsonObject {
  const parsed: unknown = JSON.parse(JSON.stringify(value));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
  return parsed as JsonObject; // JSON.parse of an object's serialisation is a JSON object
}
