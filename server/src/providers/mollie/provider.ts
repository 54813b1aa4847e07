/**
 * The Mollie provider, on Mollie's official client (@mollie/api-client 4.6.0). Mollie's model: a
 * payment (https://docs.mollie.com/reference/create-payment) is created with an amount, a
 * redirectUrl and a webhookUrl, and its `_links.checkout` is Mollie's hosted checkout, where the
 * customer picks iDEAL, Bancontact, bank transfer, card… (no `method` sent: Mollie shows every method
 * enabled on the profile for the currency). So it maps onto the plugin's Checkout-session path; the
 * embedded Payment Element path (client secrets) has no Mollie equivalent and is refused.
 */
import { createHash } from 'node:crypto';
import { MollieApiError, PaymentEmbed, type MollieClient } from '@mollie/api-client';
import {
  ProviderConnectionError,
  ProviderRequestError,
  type CreateCheckoutInput,
  type CreatePaymentInput,
  type CreateRefundInput,
  type DashboardKind,
  type PaymentProvider,
  type ProviderAccount,
  type ProviderCheckoutSession,
  type ProviderEvent,
  type ProviderPayment,
  type ProviderRefund,
  type ProviderTraits,
  type WebhookAction,
  type WebhookRequest,
  type PaymentLocale,
} from '../types';
import { toMollieAmount } from './amounts';
import { mollieKeyMode } from './keys';
import {
  fromMollieMetadata,
  mapPayment,
  mapPaymentAsCheckout,
  mapRefund,
  toMollieMetadata,
  toMollieRefundMetadata,
  type MolliePaymentLike,
} from './mappers';
import { isMolliePaymentId, mollieWebhookPaymentId } from './webhook';

export interface MollieProviderOptions {
  /** Where Mollie posts status changes (our webhook route for Mollie); absolute https URL in live mode. */
  webhookUrl: string | null;
  /** The API key the client uses, for its mode only (never logged). */
  apiKey: string;
  /**
   * What the plugin asked for when it made a payment (the ledger entry's portion and fee), or null
   * when it has no entry for it. A payment's metadata can be edited afterwards
   * (https://docs.mollie.com/reference/update-payment takes `metadata`): the ledger wins.
   */
  ledgerTerms?: (paymentId: string) => Promise<{ portion: number; fee: number } | null>;
}

/** What this provider can do, for callers choosing a flow. */
export const MOLLIE_CAPABILITIES = Object.freeze({
  paymentElement: false,
  hostedCheckout: true,
  embeddedCheckout: false,
  cancelOpenPayment: 'when_cancelable' as const,
});

/** How many newest payments a look-up by attempt id reads at most (the attempt is seconds old). */
const SCAN_LIMIT = 250;

/** Stripe's placeholder, which the attempts service puts in the return URL. */
const STRIPE_PLACEHOLDER = '{CHECKOUT_SESSION_ID}';
/** What stands in for it at Mollie until the id is known (URL-safe, so Mollie keeps it as sent). */
const PLACEHOLDER = 'mollie-payment-id-pending';

/** Mollie's links and id shapes (no key needed). A payment (`tr_…`) is also its own hosted checkout. */
export const mollieTraits: ProviderTraits = {
  id: 'mollie',
  label: 'Mollie',
  dashboardUrl: (kind, id) => mollieDashboardUrl(kind, id),
  looksLikePaymentId: isMolliePaymentId,
  looksLikeCheckoutId: isMolliePaymentId,
};

export class MollieProvider implements PaymentProvider {
  readonly id = mollieTraits.id;
  readonly label = mollieTraits.label;
  readonly capabilities = MOLLIE_CAPABILITIES;
  readonly dashboardUrl = mollieTraits.dashboardUrl;
  readonly looksLikePaymentId = mollieTraits.looksLikePaymentId;
  readonly looksLikeCheckoutId = mollieTraits.looksLikeCheckoutId;
  readonly livemode: boolean;

  constructor(
    private readonly mollie: MollieClient,
    private readonly opts: MollieProviderOptions,
  ) {
    this.livemode = mollieKeyMode(opts.apiKey) === 'live';
  }

  async verifyCredentials(): Promise<ProviderAccount> {
    // GET /v2/profiles/me answers with the profile the API key belongs to
    // (https://docs.mollie.com/reference/get-current-profile): one cheap authenticated read.
    try {
      const profile = await this.mollie.profiles.getCurrent();
      return { accountId: profile.id, livemode: this.livemode };
    } catch (error) {
      throw toConnectionError(error);
    }
  }

  async createPayment(_input: CreatePaymentInput): Promise<ProviderPayment> {
    throw unsupported('An embedded card form (client secret)');
  }

  async retrievePayment(id: string, _opts: { withRefunds?: boolean } = {}): Promise<ProviderPayment> {
    // One read: refunds and chargebacks are embedded in the payment
    // (https://docs.mollie.com/reference/get-payment, `embed=refunds,chargebacks`), so the refund
    // list is always complete and no second call is needed.
    const p = await this.call(() =>
      this.mollie.payments.get(id, { embed: [PaymentEmbed.refunds, PaymentEmbed.chargebacks] }),
    );
    return this.withLedgerTerms(mapPayment(p as unknown as MolliePaymentLike, { refundsListed: true }));
  }

  /**
   * The invoice portion and fee as the ledger recorded them when the payment was made, not as its
   * metadata says now: someone holding the API key (another integration, a script) could move
   * money between portion and fee by editing the metadata, and settlement books what the metadata
   * says. The total stays checked against the amount Mollie charged (services/settlement.ts).
   */
  private async withLedgerTerms(p: ProviderPayment): Promise<ProviderPayment> {
    if (!p.metadata || !this.opts.ledgerTerms) return p;
    const terms = await this.opts.ledgerTerms(p.id);
    if (!terms || (terms.portion === p.metadata.portion && terms.fee === p.metadata.fee)) return p;
    return { ...p, metadata: { ...p.metadata, portion: terms.portion, fee: terms.fee } };
  }

  async cancelPayment(id: string, idempotencyKey: string): Promise<ProviderPayment> {
    // Only a payment with `isCancelable: true` can be canceled (https://docs.mollie.com/reference/cancel-payment);
    // Mollie answers 422 otherwise, which surfaces as a non-retryable error.
    const p = await this.call(() => this.mollie.payments.cancel(id, { idempotencyKey }));
    return mapPayment(p as unknown as MolliePaymentLike);
  }

  async findPaymentByAttempt(attemptId: string, createdAfter: number): Promise<ProviderPayment | null> {
    const found = await this.scan(attemptId, createdAfter);
    return found ? this.retrievePayment(found.id) : null;
  }

  /** Newest payments first (https://docs.mollie.com/reference/list-payments), stopping at `createdAfter`. */
  private async scan(attemptId: string, createdAfter: number): Promise<MolliePaymentLike | null> {
    let seen = 0;
    try {
      for await (const raw of this.mollie.payments.iterate()) {
        const p = raw as unknown as MolliePaymentLike;
        if (Date.parse(p.createdAt) / 1000 < createdAfter - 60) return null;
        if (fromMollieMetadata(p.metadata)?.attemptId === attemptId) return p;
        if (++seen >= SCAN_LIMIT) break;
      }
    } catch (error) {
      throw toRequestError(error);
    }
    // Not found among the first SCAN_LIMIT payments is not "not made": a caller would make it again.
    if (seen >= SCAN_LIMIT)
      throw new ProviderRequestError(
        `Mollie lists more than ${SCAN_LIMIT} payments since the attempt started; whether it was made is not known yet.`,
        true,
        'lookup_truncated',
        null,
        true,
      );
    return null;
  }

  async requestRefund(input: CreateRefundInput): Promise<ProviderRefund> {
    return this.refund(
      input.paymentId,
      input.amount,
      toMollieRefundMetadata(input.metadata),
      input.reason,
      input.idempotencyKey,
    );
  }

  private async refund(
    paymentId: string,
    amount: number,
    metadata: Record<string, string>,
    reason: string | null,
    idempotencyKey: string,
  ): Promise<ProviderRefund> {
    // https://docs.mollie.com/reference/create-refund: `amount` in the payment's currency (partial or
    // full, up to `amountRemaining`), `description`, `metadata`; Idempotency-Key honoured
    // (https://docs.mollie.com/reference/api-idempotency). The currency comes from the payment.
    const payment = await this.call(() => this.mollie.payments.get(paymentId));
    const refund = await this.call(() =>
      this.mollie.paymentRefunds.create({
        paymentId,
        amount: toMollieAmount(amount, payment.amount.currency),
        description: reason ? `Refund (${reason.replace(/_/g, ' ')})` : 'Refund',
        metadata,
        idempotencyKey,
      }),
    );
    return mapRefund(refund as unknown as Parameters<typeof mapRefund>[0]);
  }

  async listRefunds(paymentId: string): Promise<ProviderRefund[]> {
    // https://docs.mollie.com/reference/list-refunds (per payment), newest first; 250 is the page maximum.
    const page = await this.call(() => this.mollie.paymentRefunds.page({ paymentId, limit: 250 }));
    return page.map((r) => mapRefund(r as unknown as Parameters<typeof mapRefund>[0]));
  }

  async paymentIdFor(action: WebhookAction): Promise<string | null> {
    if (action.kind === 'not_supported') return null;
    if (action.providerPaymentId) return action.providerPaymentId;
    const id = action.objectId;
    if (id.startsWith('tr_')) return isMolliePaymentId(id) ? id : null;
    // Mollie's webhook always names the payment; these serve an id met elsewhere, through the
    // account-wide lists (https://docs.mollie.com/reference/list-all-refunds, /list-all-chargebacks).
    if (id.startsWith('re_')) return this.findIn(this.mollie.refunds.iterate(), id);
    if (id.startsWith('chb_')) return this.findIn(this.mollie.chargebacks.iterate(), id);
    return null;
  }

  private async findIn(list: AsyncIterable<{ id: string; paymentId: string }>, id: string): Promise<string | null> {
    try {
      let seen = 0;
      for await (const item of list) {
        if (item.id === id) return item.paymentId;
        if (++seen >= 1000) break;
      }
      return null;
    } catch (error) {
      throw toRequestError(error);
    }
  }

  async createCheckoutSession(input: CreateCheckoutInput): Promise<ProviderCheckoutSession> {
    if (input.uiMode !== 'hosted') throw unsupported('An embedded checkout');
    // https://docs.mollie.com/reference/create-payment: amount, description (shown to the customer
    // and on bank statements), redirectUrl (where the customer returns whatever the outcome; Mollie
    // adds nothing to it, the page reads the status back), cancelUrl, webhookUrl, metadata.
    const payment = await this.call(() =>
      this.mollie.payments.create({
        amount: toMollieAmount(input.amount, input.currency),
        description: input.productName.slice(0, 255),
        redirectUrl: input.successUrl.split(STRIPE_PLACEHOLDER).join(PLACEHOLDER),
        cancelUrl: input.cancelUrl.split(STRIPE_PLACEHOLDER).join(PLACEHOLDER),
        ...(this.opts.webhookUrl ? { webhookUrl: this.opts.webhookUrl } : {}),
        metadata: toMollieMetadata({ ...input.metadata, viaCheckout: true }),
        ...(input.customerEmail ? { billingAddress: { email: input.customerEmail } } : {}),
        // The hosted payment page's language (create-payment `locale`, e.g. de_DE).
        ...(input.locale ? { locale: mollieLocale(input.locale) } : {}),
        idempotencyKey: input.idempotencyKey,
      } as Parameters<MollieClient['payments']['create']>[0]),
    );
    return mapPaymentAsCheckout(
      await this.withOwnId(payment as unknown as MolliePaymentLike & { redirectUrl?: string }),
    );
  }

  /**
   * Mollie fills no placeholder into redirectUrl (Stripe's {CHECKOUT_SESSION_ID}), and the id is
   * only known once the payment exists: the redirect is updated with it
   * (https://docs.mollie.com/reference/update-payment, `redirectUrl`). Also run when a payment is
   * found again after a lost answer, so a payment is never left with the placeholder.
   */
  private async withOwnId<P extends MolliePaymentLike & { redirectUrl?: string }>(p: P): Promise<P> {
    if (!p.redirectUrl || !p.redirectUrl.includes(PLACEHOLDER) || !(p.status === 'open' || p.status === 'pending'))
      return p;
    const redirectUrl = p.redirectUrl.split(PLACEHOLDER).join(encodeURIComponent(p.id));
    const updated = await this.call(() => this.mollie.payments.update(p.id, { redirectUrl }));
    return updated as unknown as P;
  }

  async retrieveCheckoutSession(id: string): Promise<ProviderCheckoutSession> {
    const p = await this.call(() => this.mollie.payments.get(id));
    return mapPaymentAsCheckout(p as unknown as MolliePaymentLike);
  }

  async expireCheckoutSession(id: string, idempotencyKey: string): Promise<ProviderCheckoutSession> {
    // An open payment without a chosen method is usually not cancelable: Mollie expires it by itself
    // (https://docs.mollie.com/docs/status-change, "When does a payment expire?"). It can still be
    // paid until then, so it is never reported as ended: the caller gets a refusal and keeps it.
    const current = await this.call(() => this.mollie.payments.get(id));
    const session = mapPaymentAsCheckout(current as unknown as MolliePaymentLike);
    if (session.status !== 'open') return session;
    if (!current.isCancelable) {
      throw new ProviderRequestError(
        'This Mollie payment is still open and Mollie does not let it be canceled; it expires by itself (usually within minutes). Please finish or leave it first.',
        false,
        'not_cancelable',
        409,
      );
    }
    const p = await this.call(() => this.mollie.payments.cancel(id, { idempotencyKey }));
    return mapPaymentAsCheckout(p as unknown as MolliePaymentLike);
  }

  async findCheckoutSessionByAttempt(attemptId: string, createdAfter: number): Promise<ProviderCheckoutSession | null> {
    const found = await this.scan(attemptId, createdAfter);
    return found ? mapPaymentAsCheckout(await this.withOwnId(found)) : null;
  }

  async checkoutSessionIdForPayment(paymentId: string): Promise<string | null> {
    return paymentId;
  }

  /**
   * Mollie signs nothing (https://docs.mollie.com/reference/webhooks): a delivery is only `id=tr_…`,
   * so it is checked by fetching that payment. An id Mollie does not know is refused (a 400, never
   * stored), which also keeps forged posts out of the event store. The event id is the payment id
   * plus a digest of what the payment looks like now: the same call repeated (Mollie retries, a
   * duplicate) is the same event, and a new change (paid, a refund, a chargeback) a new one.
   */
  async parseWebhook(
    request: WebhookRequest,
    _secret: string | null,
    _opts: { toleranceSeconds: number },
  ): Promise<ProviderEvent> {
    const paymentId = mollieWebhookPaymentId(request);
    let payment: ProviderPayment;
    try {
      payment = await this.retrievePayment(paymentId);
    } catch (error) {
      if (error instanceof ProviderRequestError && error.httpStatus === 404) {
        throw new ProviderRequestError('Mollie has no payment with this id.', false, 'object_unknown', 400);
      }
      throw error;
    }
    const state = [
      payment.status,
      payment.amountRefunded,
      ...payment.refunds.map((r) => `${r.id}:${r.status}`),
      payment.dispute ? `${payment.dispute.id}:${payment.dispute.providerStatus}:${payment.dispute.amount}` : '',
    ].join('|');
    const digest = createHash('sha256').update(state).digest('hex').slice(0, 24);
    return {
      id: `${paymentId}:${digest}`,
      type: 'payment.changed',
      created: Math.floor(Date.now() / 1000),
      livemode: payment.livemode,
      apiVersion: 'v2',
      objectId: paymentId,
      objectType: 'payment',
      // What was seen, for people reading the event; settlement reads the payment again.
      payload: { id: paymentId, status: payment.status, ours: payment.metadata !== null },
    };
  }

  /**
   * Every Mollie webhook is about a payment, which is its own hosted checkout: settle it as one.
   * A payment this plugin did not make (no invoice metadata) is acknowledged and ignored.
   */
  webhookAction(event: ProviderEvent): WebhookAction {
    const objectId = event.objectId;
    if (!objectId || !isMolliePaymentId(objectId))
      return {
        kind: 'not_supported',
        objectId: objectId ?? null,
        eventId: event.id,
        reason: 'The event names no Mollie payment.',
      };
    const payload = event.payload as { ours?: unknown } | null;
    if (payload && payload.ours === false)
      return {
        kind: 'not_supported',
        objectId,
        eventId: event.id,
        reason: `Mollie payment ${objectId} was not made by invoice-payments.`,
      };
    return { kind: 'checkout', providerPaymentId: objectId, objectId, eventId: event.id };
  }

  private async call<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toRequestError(error);
    }
  }
}

/**
 * Link to the Mollie Dashboard. Refunds and chargebacks show on their payment's page, so only
 * payment ids make a link of their own; the dashboard picks the organisation and mode.
 */
export function mollieDashboardUrl(kind: DashboardKind, id: string): string {
  if ((kind === 'payment' || kind === 'checkout') && /^tr_/.test(id))
    return `https://my.mollie.com/dashboard/payments/${encodeURIComponent(id)}`;
  return 'https://my.mollie.com/dashboard/payments';
}

function unsupported(what: string): ProviderRequestError {
  return new ProviderRequestError(
    `${what} is not available with Mollie: Mollie payments are paid on Mollie's hosted checkout.`,
    false,
    'unsupported_by_provider',
    400,
  );
}

/**
 * Mollie errors (https://docs.mollie.com/reference/handling-errors): 4xx are the request's fault
 * (401 bad key, 404 unknown object, 422 refused, with `field`); 429 and 5xx may pass later. The
 * client itself retries 5xx up to three times under one Idempotency-Key (makeRetrying.ts). An error
 * without a status is a network failure: the request may have been carried out.
 */
export function toRequestError(error: unknown): ProviderRequestError {
  if (error instanceof ProviderRequestError) return error;
  if (error instanceof MollieApiError) {
    const status = error.statusCode ?? null;
    const retryable = status === null || status === 429 || status >= 500;
    const outcomeUnknown = status === null || status >= 500;
    const message = retryable
      ? 'The payment provider is not answering right now. Please try again in a moment.'
      : error.message || 'The payment provider refused the request.';
    return new ProviderRequestError(
      message,
      retryable,
      status === null ? 'network' : `mollie_${status}${error.field ? `_${error.field}` : ''}`,
      status,
      outcomeUnknown,
    );
  }
  return new ProviderRequestError('The payment provider could not be reached.', true, 'network', null, true);
}

export function toConnectionError(error: unknown): ProviderConnectionError {
  if (error instanceof MollieApiError) {
    if (error.statusCode === 401)
      return new ProviderConnectionError(
        'bad_key',
        'Mollie rejected the API key. Copy it again from the Mollie Dashboard (Developers → API keys).',
      );
    if (error.statusCode === 403)
      return new ProviderConnectionError(
        'permission',
        "This Mollie key may not read its profile. Use the profile's API key (test_ or live_), not an organisation token.",
      );
    if (error.statusCode === undefined)
      return new ProviderConnectionError(
        'unreachable',
        'Mollie could not be reached from this server. Check its outbound network access and try again.',
      );
    return new ProviderConnectionError(
      'unknown',
      `Mollie answered with an error (HTTP ${error.statusCode}). Try again in a moment.`,
    );
  }
  return new ProviderConnectionError('unknown', 'The connection to Mollie could not be checked.');
}

/**
 * Mollie's `locale` for the client's language: the client's own region when Mollie has it (fr_BE,
 * de_CH), else the language's usual one. https://docs.mollie.com/reference/create-payment
 */
export function mollieLocale(locale: PaymentLocale): string {
  const wanted = locale.intl.replace('-', '_');
  if ((MOLLIE_LOCALES as readonly string[]).includes(wanted)) return wanted;
  return ({ en: 'en_US', fr: 'fr_FR', de: 'de_DE', es: 'es_ES' } as Record<string, string>)[locale.language] ?? 'en_US';
}

/** The values Mollie accepts (@mollie/api-client's Locale enum). */
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
] as const;
