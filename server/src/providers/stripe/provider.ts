import Stripe from 'stripe';
import {
  ProviderConnectionError,
  ProviderRequestError,
  type CreateCheckoutInput,
  type CreatePaymentInput,
  type CreateRefundInput,
  type PaymentProvider,
  type ProviderAccount,
  type ProviderCheckoutSession,
  type DashboardKind,
  type ProviderPayment,
  type ProviderRefund,
  type ProviderTraits,
  type WebhookAction,
} from '../types';
import { stripeWebhooks } from './webhook';
import { StripeSavedMethods } from './saved-methods';
import {
  META,
  mapCheckoutSession,
  mapDispute,
  mapPayment,
  mapRefund,
  toStripeMetadata,
  toStripeRefundMetadata,
} from './mappers';

const idOf = (v: string | { id: string } | null | undefined): string | null =>
  v == null ? null : typeof v === 'string' ? v : v.id;

export interface StripeProviderOptions {
  /** A payment method configuration id (`pmc_…`) sent on new PaymentIntents and Checkout Sessions. */
  paymentMethodConfiguration?: string | null;
  /** The secret key's mode (sk_live_/rk_live_ or sk_test_/rk_test_); null when not known. */
  livemode?: boolean | null;
}

export class StripeProvider implements PaymentProvider {
  readonly id = stripeTraits.id;
  readonly label = stripeTraits.label;
  readonly parseWebhook = stripeWebhooks.parseWebhook;
  readonly webhookAction = stripeWebhooks.webhookAction;

  readonly livemode: boolean | null;
  /** Customers, saved methods and off-session charges (autopay). */
  readonly savedMethods: StripeSavedMethods;

  constructor(
    private readonly stripe: Stripe,
    private readonly options: StripeProviderOptions = {},
  ) {
    this.livemode = options.livemode ?? null;
    this.savedMethods = new StripeSavedMethods(stripe);
  }

  /**
   * Dynamic payment methods (https://docs.stripe.com/payments/payment-methods/dynamic-payment-methods):
   * never `payment_method_types` (refused since API 2026-09-30.endive); the admin's chosen payment
   * method configuration narrows them, else the account's default configuration applies.
   */
  private configurationParam(): { payment_method_configuration?: string } {
    const id = this.options.paymentMethodConfiguration;
    return id ? { payment_method_configuration: id } : {};
  }

  async verifyCredentials(): Promise<ProviderAccount> {
    try {
      const account = await this.stripe.accounts.retrieveCurrent();
      return { accountId: account.id, livemode: null };
    } catch (error) {
      throw toConnectionError(error);
    }
  }

  async createPayment(input: CreatePaymentInput): Promise<ProviderPayment> {
    const pi = await this.call(() =>
      this.stripe.paymentIntents.create(
        {
          amount: input.amount,
          currency: input.currency.toLowerCase(),
          automatic_payment_methods: { enabled: true },
          ...this.configurationParam(),
          description: input.description,
          metadata: toStripeMetadata(input.metadata),
          ...(input.receiptEmail ? { receipt_email: input.receiptEmail } : {}),
        },
        { idempotencyKey: input.idempotencyKey },
      ),
    );
    return mapPayment(pi, null, [], null);
  }

  async retrievePayment(id: string, opts: { withRefunds?: boolean } = {}): Promise<ProviderPayment> {
    // The charge's balance transaction carries Stripe's fee (https://docs.stripe.com/expand/use-cases,
    // "Stripe fee for a payment"); expanding it costs no extra request. It can still be null right
    // after the charge: charge.updated says when it is set (webhook-events), and the background
    // step fills in fees still missing (settlement.fillStripeFees).
    const pi = await this.call(() =>
      this.stripe.paymentIntents.retrieve(id, { expand: ['latest_charge.balance_transaction'] }),
    );
    const charge = pi.latest_charge && typeof pi.latest_charge === 'object' ? pi.latest_charge : null;
    // A refund (pending ones included) shows in amount_refunded, so list refunds then. A failed
    // refund goes back out of amount_refunded, so refund events and refund syncs ask for the list
    // whatever it says (https://docs.stripe.com/refunds#failed-refunds).
    let refunds: ProviderRefund[] = [];
    let listed = false;
    if (charge && (charge.amount_refunded > 0 || opts.withRefunds)) {
      refunds = await this.listRefunds(pi.id);
      listed = true;
    }
    let dispute = null;
    if (charge?.disputed) {
      const list = await this.call(() => this.stripe.disputes.list({ payment_intent: pi.id, limit: 1 }));
      dispute = list.data[0] ? mapDispute(list.data[0]) : null;
    }
    return mapPayment(pi, charge, refunds, dispute, listed);
  }

  async cancelPayment(id: string, idempotencyKey: string): Promise<ProviderPayment> {
    const pi = await this.call(() => this.stripe.paymentIntents.cancel(id, {}, { idempotencyKey }));
    return mapPayment(pi, null, [], null);
  }

  async findPaymentByAttempt(attemptId: string, createdAfter: number): Promise<ProviderPayment | null> {
    // A list, not a search: search is eventually consistent and not for read-after-write
    // (https://docs.stripe.com/search#data-freshness); list sees an object as soon as it exists.
    const found = await this.scan(
      this.stripe.paymentIntents.list({ created: { gte: createdAfter }, limit: 100 }),
      attemptId,
    );
    return found ? this.retrievePayment(found.id) : null;
  }

  /** The first object of a list page stream whose metadata carries the attempt id (newest first, bounded). */
  private async scan<T extends { metadata?: Stripe.Metadata | null }>(
    list: AsyncIterable<T>,
    attemptId: string,
    max = 1000,
  ): Promise<T | null> {
    let seen = 0;
    try {
      for await (const item of list) {
        if (item.metadata?.[META.attempt] === attemptId) return item;
        if (++seen >= max) break;
      }
    } catch (error) {
      throw toRequestError(error);
    }
    // Not found among the first `max` objects is not "not made": a caller would make it again.
    if (seen >= max)
      throw new ProviderRequestError(
        `Stripe lists more than ${max} objects since the attempt started; whether it was made is not known yet.`,
        true,
        'lookup_truncated',
        null,
        true,
      );
    return null;
  }

  async requestRefund(input: CreateRefundInput): Promise<ProviderRefund> {
    // https://docs.stripe.com/api/refunds/create: payment_intent + amount; metadata lets a lost
    // answer be found again with refunds.list (https://docs.stripe.com/api/refunds/list).
    const refund = await this.call(() =>
      this.stripe.refunds.create(
        {
          payment_intent: input.paymentId,
          amount: input.amount,
          metadata: toStripeRefundMetadata(input.metadata),
          ...(input.reason ? { reason: input.reason } : {}),
        },
        { idempotencyKey: input.idempotencyKey },
      ),
    );
    return mapRefund(refund);
  }

  async listRefunds(paymentId: string): Promise<ProviderRefund[]> {
    // Newest first; 100 is the page maximum. A payment with more refunds than that is not a case
    // the plugin makes (each refund is a deliberate admin action), so one page is read.
    const list = await this.call(() => this.stripe.refunds.list({ payment_intent: paymentId, limit: 100 }));
    return list.data.map(mapRefund);
  }

  async paymentIdFor(action: WebhookAction): Promise<string | null> {
    if (action.kind === 'not_supported') return null;
    if (action.providerPaymentId) return action.providerPaymentId;
    // The event did not name the intent (a charge made without one, an older API version's payload).
    const id = action.objectId;
    if (id.startsWith('re_') || id.startsWith('pyr_')) {
      const refund = await this.call(() => this.stripe.refunds.retrieve(id));
      if (refund.payment_intent) return idOf(refund.payment_intent);
      return refund.charge ? this.paymentIdForCharge(idOf(refund.charge)!) : null;
    }
    if (id.startsWith('dp_') || id.startsWith('du_')) {
      const dispute = await this.call(() => this.stripe.disputes.retrieve(id));
      if (dispute.payment_intent) return idOf(dispute.payment_intent);
      return this.paymentIdForCharge(idOf(dispute.charge)!);
    }
    if (id.startsWith('cs_')) return (await this.retrieveCheckoutSession(id)).paymentId;
    if (id.startsWith('ch_') || id.startsWith('py_')) return this.paymentIdForCharge(id);
    return null;
  }

  private async paymentIdForCharge(chargeId: string): Promise<string | null> {
    const charge = await this.call(() => this.stripe.charges.retrieve(chargeId));
    return idOf(charge.payment_intent);
  }

  async createCheckoutSession(input: CreateCheckoutInput): Promise<ProviderCheckoutSession> {
    const metadata = toStripeMetadata(input.metadata);
    const common = {
      mode: 'payment' as const,
      line_items: [
        {
          quantity: 1,
          price_data: {
            currency: input.currency.toLowerCase(),
            unit_amount: input.amount,
            product_data: { name: input.productName },
          },
        },
      ],
      metadata,
      // The marker lets settlement find the session when the intent's events arrive first.
      payment_intent_data: { metadata: toStripeMetadata({ ...input.metadata, viaCheckout: true }) },
      client_reference_id: input.metadata.invoiceDocumentId,
      ...(input.saveTo
        ? this.saveParams(input.saveTo)
        : input.customerEmail
          ? { customer_email: input.customerEmail }
          : {}),
      // Checkout's own labels in the client's language (https://docs.stripe.com/api/checkout/sessions/create#create_checkout_session-locale).
      ...(input.locale ? { locale: input.locale.language as Stripe.Checkout.SessionCreateParams.Locale } : {}),
      ...this.configurationParam(),
    };
    const params: Stripe.Checkout.SessionCreateParams =
      input.uiMode === 'embedded'
        ? { ...common, ui_mode: 'embedded_page', return_url: input.returnUrl }
        : { ...common, ui_mode: 'hosted_page', success_url: input.successUrl, cancel_url: input.cancelUrl };
    const session = await this.call(() =>
      this.stripe.checkout.sessions.create(params, { idempotencyKey: input.idempotencyKey }),
    );
    return mapCheckoutSession(session);
  }

  /**
   * Checkout offering to save the method, as the Payment Element path does
   * (https://docs.stripe.com/payments/checkout/save-during-payment, "Save payment methods to prefill
   * them in Checkout"): with the client's Customer, `saved_payment_method_options.payment_method_save:
   * 'enabled'` shows Stripe's own optional checkbox, and a ticked one saves the method to that
   * Customer (`allow_redisplay: always`), where the portal lists it and autopay charges it ("You can
   * use Checkout to save cards and other payment methods to charge them off-session"). Unticked,
   * nothing is saved. Not `payment_intent_data.setup_future_usage`: it would save every method,
   * ticked or not. The Customer's email replaces `customer_email` (Checkout prefills it from the
   * Customer); `custom_text.submit` says what saving means, as the drawer's hint does.
   */
  private saveParams(saveTo: { customerId: string; notice: string }) {
    return {
      customer: saveTo.customerId,
      saved_payment_method_options: { payment_method_save: 'enabled' as const },
      // Checkout allows up to 1200 characters here.
      custom_text: { submit: { message: saveTo.notice.slice(0, 1200) } },
    };
  }

  async retrieveCheckoutSession(id: string): Promise<ProviderCheckoutSession> {
    return mapCheckoutSession(await this.call(() => this.stripe.checkout.sessions.retrieve(id)));
  }

  async expireCheckoutSession(id: string, idempotencyKey: string): Promise<ProviderCheckoutSession> {
    // Only an `open` session can be expired (https://docs.stripe.com/api/checkout/sessions/expire).
    return mapCheckoutSession(await this.call(() => this.stripe.checkout.sessions.expire(id, {}, { idempotencyKey })));
  }

  async findCheckoutSessionByAttempt(attemptId: string, createdAfter: number): Promise<ProviderCheckoutSession | null> {
    const found = await this.scan(
      this.stripe.checkout.sessions.list({ created: { gte: createdAfter }, limit: 100 }),
      attemptId,
    );
    return found ? mapCheckoutSession(found) : null;
  }

  async checkoutSessionIdForPayment(paymentId: string): Promise<string | null> {
    const list = await this.call(() => this.stripe.checkout.sessions.list({ payment_intent: paymentId, limit: 1 }));
    return list.data[0]?.id ?? null;
  }

  readonly dashboardUrl = stripeTraits.dashboardUrl;
  readonly looksLikePaymentId = stripeTraits.looksLikePaymentId;
  readonly looksLikeCheckoutId = stripeTraits.looksLikeCheckoutId;

  /** Runs an SDK call, turning its errors into gateway-neutral ones with safe messages. */
  private async call<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toRequestError(error);
    }
  }
}

/** PaymentIntent ids (`pi_...`) and Checkout session ids (`cs_test_...` / `cs_live_...`), as Stripe makes them. */
const PAYMENT_ID = /^pi_[A-Za-z0-9_]+$/;
const CHECKOUT_ID = /^cs_(test|live)_[A-Za-z0-9]{10,200}$/;

/** Stripe Dashboard link for an object, in test or live mode. */
export function stripeDashboardUrl(kind: DashboardKind, id: string, livemode: boolean): string {
  const base = `https://dashboard.stripe.com${livemode ? '' : '/test'}`;
  const path = { payment: 'payments', refund: 'refunds', dispute: 'disputes', checkout: 'checkout/sessions' }[kind];
  return `${base}/${path}/${encodeURIComponent(id)}`;
}

/** Stripe's links and id shapes (no key needed). */
export const stripeTraits: ProviderTraits = {
  id: 'stripe',
  label: 'Stripe',
  dashboardUrl: stripeDashboardUrl,
  looksLikePaymentId: (id) => PAYMENT_ID.test(id),
  looksLikeCheckoutId: (id) => CHECKOUT_ID.test(id),
};

export function toRequestError(error: unknown): ProviderRequestError {
  if (error instanceof ProviderRequestError) return error;
  if (error instanceof Stripe.errors.StripeError) {
    const retryable =
      error instanceof Stripe.errors.StripeConnectionError ||
      error instanceof Stripe.errors.StripeAPIError ||
      error instanceof Stripe.errors.StripeRateLimitError ||
      (error.statusCode ?? 0) >= 500;
    const message = retryable
      ? 'The payment provider is not answering right now. Please try again in a moment.'
      : error.type === 'StripeIdempotencyError'
        ? 'The payment request conflicted with an earlier one. Please reload and try again.'
        : (error.message ?? 'The payment provider refused the request.');
    const outcomeUnknown = error instanceof Stripe.errors.StripeConnectionError || (error.statusCode ?? 0) >= 500;
    return new ProviderRequestError(
      message,
      retryable,
      error.code ?? error.type ?? null,
      error.statusCode ?? null,
      outcomeUnknown,
    );
  }
  return new ProviderRequestError('The payment provider could not be reached.', true, 'network', null, true);
}

/** Maps SDK errors to a reason and a message a site admin can act on (never echoing the key). */
export function toConnectionError(error: unknown): ProviderConnectionError {
  if (error instanceof Stripe.errors.StripeAuthenticationError) {
    return new ProviderConnectionError(
      'bad_key',
      'Stripe rejected the secret key. Copy it again from the Stripe Dashboard (Developers → API keys).',
    );
  }
  if (error instanceof Stripe.errors.StripePermissionError) {
    return new ProviderConnectionError(
      'permission',
      'This restricted key cannot read the account. Give it at least read access to "Account" and write access to PaymentIntents, Refunds and Checkout Sessions.',
    );
  }
  if (error instanceof Stripe.errors.StripeConnectionError) {
    return new ProviderConnectionError(
      'unreachable',
      'Stripe could not be reached from this server. Check its outbound network access and try again.',
    );
  }
  if (error instanceof Stripe.errors.StripeError) {
    return new ProviderConnectionError(
      'unknown',
      `Stripe answered with an error (${error.type}). Try again in a moment.`,
    );
  }
  return new ProviderConnectionError('unknown', 'The connection to Stripe could not be checked.');
}
