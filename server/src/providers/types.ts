/**
 * What the plugin needs from a payment gateway, in the plugin's own terms. Settlement, the worker,
 * the admin and the pay pages only see these shapes; each gateway lives in providers/<id>/ and is
 * listed in providers/registry.ts.
 */
import type { DisputeStatus, NextAction, PaymentStatus } from '../domain';

export interface ProviderAccount {
  accountId: string;
  livemode: boolean | null;
}

export type ConnectionFailureReason = 'bad_key' | 'unreachable' | 'permission' | 'unknown';

export class ProviderConnectionError extends Error {
  constructor(
    readonly reason: ConnectionFailureReason,
    message: string,
  ) {
    super(message);
  }
}

/** A gateway call failed: `retryable` when the same call (same idempotency key) may succeed later. */
export class ProviderRequestError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly code: string | null = null,
    readonly httpStatus: number | null = null,
    /**
     * The gateway may have carried the request out although it answered with an error (a 5xx, a
     * timeout, a dropped connection). Stripe replays a saved 500 under the same idempotency key for
     * 24 h (https://docs.stripe.com/api/idempotent_requests), so the caller must look at what
     * exists before trying again under a new key.
     */
    readonly outcomeUnknown = false,
  ) {
    super(message);
  }
}

/** Metadata the plugin puts on every object it creates, to find the invoice again. */
export interface PaymentMetadata {
  invoiceDocumentId: string;
  invoiceNumber: string;
  /** The invoice portion; the fee is on top. */
  portion: number;
  fee: number;
  /** Set on payments made through a Checkout session. */
  viaCheckout?: boolean;
  /**
   * The plugin's own id for the request that made this object: after an unknown outcome (a 500,
   * a timeout) the object is looked up by it before anything is created again.
   */
  attemptId?: string;
  /**
   * Set on a payment made for several invoices at once (the client portal): the plugin's group
   * (payment-group documentId). `invoiceDocumentId` then names the group too, never an invoice, so
   * no single-invoice path can book it; settlement splits it by the group's stored shares.
   */
  paymentGroupId?: string;
  /**
   * Set on a Payment Element payment made on the logged-in client's own page: that client's id
   * (users-permissions user). Only there may the drawer's box make it save its method to the
   * client's customer, and only to this client's (domain planAttempts): an invoice moved to another
   * client never hands this payment, or its card, to the new one.
   */
  forClient?: string;
}

export interface ProviderRefund {
  id: string;
  amount: number;
  currency: string;
  /**
   * https://docs.stripe.com/api/refunds/object (`status`): `requires_action` is a refund waiting on
   * the customer (payment methods without native refunds); it still holds the money, like pending.
   */
  status: 'pending' | 'requires_action' | 'succeeded' | 'failed' | 'canceled';
  failureReason: string | null;
  reason: string | null;
  /** The plugin's refund row (documentId) this refund was made for, from its metadata; null when made elsewhere. */
  localId?: string | null;
  /** The payment (Stripe: PaymentIntent) refunded. */
  paymentId?: string | null;
}

/** Neutral metadata of a refund the plugin asks for. */
export interface RefundMetadata {
  invoiceDocumentId: string;
  /** The ledger entry (payment row id) refunded. */
  paymentRowId: string;
  /** The refund row (documentId) reserving this refund: how a lost answer is found again. */
  refundId: string;
}

export interface CreateRefundInput {
  paymentId: string;
  /** Total to give back (invoice portion + fee part), minor units. */
  amount: number;
  reason: 'duplicate' | 'fraudulent' | 'requested_by_customer' | null;
  metadata: RefundMetadata;
  idempotencyKey: string;
}

export interface ProviderDispute {
  id: string;
  amount: number;
  currency: string;
  /** What the dispute means for the money (see DisputeStatus). */
  status: DisputeStatus;
  /** The gateway's own status word, kept for people and for statuses the plugin does not know. */
  providerStatus: string;
  reason: string | null;
}

/** A payment (Stripe: PaymentIntent + its latest charge), as the gateway reports it now. */
export interface ProviderPayment {
  id: string;
  status: PaymentStatus;
  /** Total charged or to charge (portion + fee). */
  amount: number;
  amountReceived: number;
  currency: string;
  livemode: boolean;
  chargeId: string | null;
  /** The gateway's own processing fee on the charge (Stripe: balance_transaction.fee); null until known. */
  providerFee?: { amount: number; currency: string } | null;
  method: string | null;
  /**
   * What the client paid with, for receipts: the card brand or bank name, and the last four digits
   * of the card or account. Null when the gateway does not say (yet).
   */
  methodDetail?: { label: string | null; last4: string | null } | null;
  clientSecret: string | null;
  failureCode: string | null;
  failureMessage: string | null;
  metadata: PaymentMetadata | null;
  /** Refunds on the charge, and the amount refunded in total. */
  amountRefunded: number;
  refunds: ProviderRefund[];
  /** True when `refunds` is the provider's full list (not skipped because nothing looked refunded). */
  refundsListed?: boolean;
  dispute: ProviderDispute | null;
  created: number;
  /** What the customer still has to do while the status is `requires_action`. */
  nextAction: NextAction | null;
  /** The provider customer the payment saves its method to once it succeeds; null: it saves nothing. */
  saveTo?: string | null;
}

export interface ProviderCheckoutSession {
  id: string;
  status: 'open' | 'complete' | 'expired';
  paymentStatus: 'paid' | 'unpaid' | 'no_payment_required';
  paymentId: string | null;
  url: string | null;
  clientSecret: string | null;
  amount: number;
  currency: string;
  metadata: PaymentMetadata | null;
  livemode: boolean;
  ui: 'hosted' | 'embedded' | null;
  /** Unix seconds at which the gateway expires it by itself. */
  expiresAt: number | null;
  created: number;
  /** The provider customer the session lets the client save their method to (CreateCheckoutInput.saveTo). */
  saveTo?: string | null;
}

export interface CreatePaymentInput {
  amount: number;
  currency: string;
  metadata: PaymentMetadata;
  description: string;
  receiptEmail: string | null;
  idempotencyKey: string;
}

/** Where the gateway asks: its own pages in the client's language (Checkout, Mollie's hosted page). */
export interface PaymentLocale {
  /** en, fr, de, es (the plugin's languages). */
  language: string;
  /** BCP 47 with region, e.g. fr-BE: for gateways that want one (Mollie's fr_BE). */
  intl: string;
}

export interface CreateCheckoutInput {
  amount: number;
  currency: string;
  metadata: PaymentMetadata;
  productName: string;
  customerEmail: string | null;
  uiMode: 'hosted' | 'embedded';
  successUrl: string;
  cancelUrl: string;
  returnUrl: string;
  idempotencyKey: string;
  /** The client's language; absent: the gateway picks (the browser's). */
  locale?: PaymentLocale;
  /**
   * The logged-in client's own page: the gateway's page offers to save the method to this provider
   * customer for later invoices (the client ticks it there), with `notice` telling what saving
   * means (autopay). Absent on a pay link, which can be forwarded.
   */
  saveTo?: { customerId: string; notice: string };
}

/** An event as the gateway sent it, after its signature was verified. */
export interface ProviderEvent {
  id: string;
  type: string;
  created: number;
  livemode: boolean;
  apiVersion: string | null;
  objectId: string | null;
  objectType: string | null;
  payload: unknown;
}

/**
 * One webhook delivery as it reached the plugin. Gateways sign differently or not at all: Stripe
 * signs the raw JSON body (Stripe-Signature header), Mollie posts an unsigned form `id=tr_...`
 * and the provider fetches the object itself. `rawBody` is the byte-exact text when Strapi kept it.
 */
export interface WebhookRequest {
  rawBody: string | null;
  /** The body as Strapi parsed it (JSON object, form fields). */
  body: unknown;
  /** Lower-case header names, as Node gives them. */
  headers: Record<string, string | string[] | undefined>;
  /** The media type without parameters (`application/json`), or null when none was sent. */
  contentType: string | null;
}

/**
 * What a webhook event means for the plugin, whatever the gateway called it (Medusa's
 * getWebhookActionAndData model). Settlement re-reads the payment, except when the event shows it in
 * a state the gateway never leaves (`final`); the action says which payment, and how:
 * - `payment`: the payment's state may have changed (succeeded, failed, processing, canceled...);
 * - `checkout`: a hosted checkout changed (completed, expired); `providerPaymentId` when it has one;
 * - `refund`: a refund changed; re-read the payment with its full refund list (a failed refund
 *   un-refunds it);
 * - `dispute`: a dispute was opened, changed or closed;
 * - `fee`: the gateway's processing fee became known (only worth a read while ours is unknown);
 * - `not_supported`: nothing the plugin acts on (stored and acknowledged, then ignored).
 * `providerPaymentId` is null when the event does not say which payment: the provider then finds
 * it (`paymentIdFor`).
 */
export type WebhookAction =
  | {
      kind: 'payment' | 'refund' | 'dispute' | 'fee';
      providerPaymentId: string | null;
      objectId: string;
      eventId: string;
      /**
       * The payment as the verified event shows it, given only for the gateway's own account (not
       * a connected account's event) and when that state is final at the
       * gateway (Stripe: a PaymentIntent `succeeded` or `canceled` never changes status again), so
       * no later truth can contradict it: settlement books it without a read while the ledger
       * entry is still open, and ignores it once the entry moved on (refunds and disputes are read).
       * Its refunds, dispute and fee are unknown (empty), and `method` null when the event cannot tell.
       */
      final?: ProviderPayment;
    }
  | { kind: 'checkout'; providerPaymentId: string | null; objectId: string; eventId: string }
  | { kind: 'not_supported'; objectId: string | null; eventId: string; reason: string };

/** What is known about a provider without its credentials: links and id shapes. */
export type ProviderTraits = Pick<
  PaymentProvider,
  'id' | 'label' | 'dashboardUrl' | 'looksLikePaymentId' | 'looksLikeCheckoutId'
>;

/** The webhook half of a provider: what the webhook route needs (no API credentials for Stripe). */
export type WebhookParser = Pick<PaymentProvider, 'id' | 'label' | 'parseWebhook' | 'webhookAction'>;

/** Dashboard link kinds. */
export type DashboardKind = 'payment' | 'refund' | 'dispute' | 'checkout';

export interface PaymentProvider {
  /** The registry id stored on payment rows and webhook events (`stripe`). */
  readonly id: string;
  /** The gateway's name for people (audit entries, messages). */
  readonly label: string;
  /**
   * The mode of the saved API key (live or test; null when the key does not say). A payment an
   * event shows in the other mode is never booked from the event (WebhookAction.final).
   */
  readonly livemode: boolean | null;
  /** A real call to the gateway proving the credentials work. */
  verifyCredentials(): Promise<ProviderAccount>;
  createPayment(input: CreatePaymentInput): Promise<ProviderPayment>;
  /**
   * `withRefunds`: list the payment's refunds even when none looks refunded now (a failed refund un-refunds
   * the charge).
   */
  retrievePayment(id: string, opts?: { withRefunds?: boolean }): Promise<ProviderPayment>;
  /** Ends a payment that has not succeeded; refused by the gateway once money moved. */
  cancelPayment(id: string, idempotencyKey: string): Promise<ProviderPayment>;
  /** Payments created since `createdAfter` (unix seconds) whose metadata carries this attempt id. */
  findPaymentByAttempt(attemptId: string, createdAfter: number): Promise<ProviderPayment | null>;
  /** Creates a refund carrying the plugin's neutral metadata (so it can be found again by `refundId`). */
  requestRefund(input: CreateRefundInput): Promise<ProviderRefund>;
  /** Every refund of a payment, newest first. */
  listRefunds(paymentId: string): Promise<ProviderRefund[]>;
  /** The payment a webhook action is about when its event did not say (an API read). */
  paymentIdFor(action: WebhookAction): Promise<string | null>;
  createCheckoutSession(input: CreateCheckoutInput): Promise<ProviderCheckoutSession>;
  retrieveCheckoutSession(id: string): Promise<ProviderCheckoutSession>;
  /** Ends an open Checkout session so it can no longer be paid. */
  expireCheckoutSession(id: string, idempotencyKey: string): Promise<ProviderCheckoutSession>;
  findCheckoutSessionByAttempt(attemptId: string, createdAfter: number): Promise<ProviderCheckoutSession | null>;
  /** The Checkout session a payment was made through, if any. */
  checkoutSessionIdForPayment(paymentId: string): Promise<string | null>;
  listPendingPayments?(createdAfter: number): Promise<ProviderPayment[]>;
  /**
   * Verifies one webhook delivery and reads it as an event; throws a ProviderRequestError (answered
   * 400, never stored) on a missing, forged, stale or malformed one. `secret` is the signing secret
   * saved for this gateway (null when it signs nothing).
   */
  parseWebhook(
    request: WebhookRequest,
    secret: string | null,
    opts: { toleranceSeconds: number },
  ): Promise<ProviderEvent>;
  /** What a verified event means (see WebhookAction); pure, no API call. */
  webhookAction(event: ProviderEvent): WebhookAction;
  /** Link to the gateway's dashboard for an object, in the right mode. */
  dashboardUrl(kind: DashboardKind, id: string, livemode: boolean): string;
  /** Whether `id` has the shape of one of this gateway's payment ids (checked before any API call). */
  looksLikePaymentId(id: string): boolean;
  /** Whether `id` has the shape of one of this gateway's hosted checkout ids. */
  looksLikeCheckoutId(id: string): boolean;
  /** Saved methods and off-session charges; absent when the gateway integration has none. */
  readonly savedMethods?: SavedMethodsApi;
}

/**
 * A payment method a client saved with the gateway for later payments (Stripe: a PaymentMethod
 * attached to a Customer). Shown to the client by brand/bank and last four digits only.
 */
export interface SavedMethod {
  id: string;
  /** The gateway's type word: card, sepa_debit, us_bank_account… */
  type: string;
  /** Card brand (visa) or bank name; null when the gateway does not say. */
  label: string | null;
  last4: string | null;
  expMonth: number | null;
  expYear: number | null;
  /** The gateway customer it is attached to now; null once detached. */
  customerId: string | null;
  /** The debit mandate it charges under (SEPA, ACH): its id and the reference the bank shows. */
  mandate: { id: string; reference: string | null } | null;
}

/** What an off-session charge of a saved method came to. */
export interface OffSessionCharge {
  outcome: 'succeeded' | 'processing' | 'authentication_required' | 'declined';
  /** The payment the gateway made for it (also on a decline: it stays open for the client to finish). */
  paymentId: string | null;
  code: string | null;
  declineCode: string | null;
  message: string | null;
}

export interface ChargeSavedMethodInput {
  customerId: string;
  methodId: string;
  amount: number;
  currency: string;
  metadata: PaymentMetadata;
  description: string;
  receiptEmail: string | null;
  idempotencyKey: string;
}

/**
 * Saved payment methods and off-session charges (autopay). Optional: a provider without them
 * (Mollie here) makes the plugin refuse saving and autopay with a clear message.
 */
export interface SavedMethodsApi {
  /** A new gateway customer for one of the site's clients (`clientRef`: the plugin's own id for them). */
  createCustomer(input: {
    clientRef: string;
    email: string | null;
    name: string | null;
    idempotencyKey: string;
  }): Promise<{ id: string }>;
  /** Makes a payment not yet confirmed save (or no longer save) its method to `customerId` once it succeeds. */
  saveOnPayment(paymentId: string, customerId: string | null): Promise<void>;
  listMethods(customerId: string): Promise<{ methods: SavedMethod[]; defaultId: string | null }>;
  retrieveMethod(methodId: string): Promise<SavedMethod>;
  detachMethod(methodId: string, idempotencyKey: string): Promise<void>;
  setDefaultMethod(customerId: string, methodId: string | null, idempotencyKey: string): Promise<void>;
  /** Charges a saved method without the client present; declines are answers, not errors. */
  chargeOffSession(input: ChargeSavedMethodInput): Promise<OffSessionCharge>;
}
