/**
 * Shared types for the Stripe stand-in (test support only, never used in production).
 *
 * Internal state is kept as small typed "records"; the Stripe-shaped JSON objects are rendered
 * from them on demand (see resources/*), so every response and every event snapshot is built
 * from the current record and never shares mutable structure with it.
 */

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

export type Metadata = Record<string, string>;

/** Who caused a change: an API request (ids land in event.request) or the stand-in itself. */
export interface RequestContext {
  requestId: string | null;
  idempotencyKey: string | null;
  livemode: boolean;
  /** Base URL the caller reached us on; used for hosted checkout / 3DS URLs. */
  baseUrl: string;
}

export type PaymentIntentStatus =
  'requires_payment_method' | 'requires_confirmation' | 'requires_action' | 'processing' | 'succeeded' | 'canceled';

export interface PaymentError {
  type: 'card_error' | 'invalid_request_error';
  code: string;
  decline_code: string | null;
  message: string;
  payment_method: string | null;
  charge: string | null;
  advice_code: string | null;
}

export interface PaymentIntentRecord {
  id: string;
  seq: number;
  livemode: boolean;
  created: number;
  amount: number;
  currency: string;
  status: PaymentIntentStatus;
  metadata: Metadata;
  description: string | null;
  receipt_email: string | null;
  customer: string | null;
  payment_method: string | null;
  payment_method_types: string[];
  /** true when the caller did not restrict payment method types (Stripe's automatic_payment_methods). */
  automatic_payment_methods: boolean;
  /** The payment method configuration dynamic payment methods used (null: the account's default). */
  payment_method_configuration: string | null;
  capture_method: string;
  client_secret: string;
  canceled_at: number | null;
  cancellation_reason: string | null;
  latest_charge: string | null;
  amount_received: number;
  last_payment_error: PaymentError | null;
  next_action: JsonObject | null;
  return_url: string | null;
  statement_descriptor: string | null;
  statement_descriptor_suffix: string | null;
  setup_future_usage: string | null;
  transfer_group: string | null;
  shipping: JsonObject | null;
  /** Payment method being processed while status is processing / requires_action. */
  pending_payment_method: string | null;
  /** Set when the intent belongs to a Checkout Session. */
  checkout_session: string | null;
  /**
   * The customer ticked Checkout's "save" box (session `saved_payment_method_options.payment_method_save:
   * enabled`): the method is saved to the intent's customer once it succeeds or processes, with
   * `allow_redisplay: always` (https://docs.stripe.com/payments/checkout/save-during-payment). Not
   * rendered: Stripe documents no intent field for it.
   */
  checkout_save?: boolean;
}

/** A PaymentMethod created from one of Stripe's test aliases (pm_card_visa -> pm_1Nx...). */
export interface PaymentMethodRecord {
  id: string;
  seq: number;
  livemode: boolean;
  created: number;
  /** The test alias it was created from; decides the payment outcome. */
  alias: string;
  /**
   * Vouchers made from `payment_method_data` carry what Stripe's test emails ask for
   * (https://docs.stripe.com/payments/oxxo/accept-a-payment?payment-ui=direct-api#test-integration).
   */
  voucherOutcome?: VoucherOutcome;
  billing_email?: string | null;
  billing_name?: string | null;
  /**
   * PaymentMethod.allow_redisplay (https://docs.stripe.com/api/payment_methods/object#payment_method_object-allow_redisplay):
   * `unspecified` unless Checkout saved it (`always` when the customer ticked its box, `limited` when
   * saved by `setup_future_usage` alone).
   */
  allow_redisplay?: 'always' | 'limited' | 'unspecified';
}

/** pay_later: paid after autoSettleDelayMs (or via control); never: only via control. */
export type VoucherOutcome = 'pay_later' | 'pay_now' | 'expire_now' | 'never';

export type ChargeStatus = 'succeeded' | 'pending' | 'failed';

export interface ChargeRecord {
  id: string;
  seq: number;
  livemode: boolean;
  created: number;
  amount: number;
  amount_captured: number;
  amount_refunded: number;
  currency: string;
  status: ChargeStatus;
  paid: boolean;
  captured: boolean;
  refunded: boolean;
  disputed: boolean;
  payment_intent: string | null;
  payment_method: string;
  balance_transaction: string | null;
  failure_code: string | null;
  failure_message: string | null;
  decline_code: string | null;
  description: string | null;
  receipt_email: string | null;
  metadata: Metadata;
  customer: string | null;
  three_d_secure: boolean;
  /** Bank debits: the Mandate it was made under (resources/mandates.ts). */
  mandate?: string | null;
  /** Stable per charge so receipts/auth codes don't change between renders. */
  receipt_token: string;
}

/** SDK 23.1.0 Refund.status: pending, requires_action, succeeded, failed, canceled. */
export type RefundStatus = 'pending' | 'requires_action' | 'succeeded' | 'failed' | 'canceled';

export interface RefundRecord {
  id: string;
  seq: number;
  livemode: boolean;
  created: number;
  amount: number;
  currency: string;
  charge: string;
  payment_intent: string | null;
  payment_method: string;
  status: RefundStatus;
  reason: string | null;
  metadata: Metadata;
  balance_transaction: string | null;
  failure_balance_transaction: string | null;
  failure_reason: string | null;
  reference: string;
  /** Refunds of vouchers wait for the customer's bank details (Refund.NextAction.display_details). */
  next_action: JsonObject | null;
}

/**
 * Dispute.Status of stripe 23.1.0 (node_modules/stripe/cjs/resources/Disputes.d.ts), plus any other
 * string: the SDK types it as open-ended, and tests use that to model a status added later.
 */
export type DisputeStatus =
  | 'warning_needs_response'
  | 'warning_under_review'
  | 'warning_closed'
  | 'needs_response'
  | 'under_review'
  | 'appeal_needs_response'
  | 'appeal_under_review'
  | 'won'
  | 'lost'
  | 'prevented'
  | (string & Record<never, never>);

export interface DisputeRecord {
  id: string;
  seq: number;
  livemode: boolean;
  created: number;
  amount: number;
  currency: string;
  charge: string;
  payment_intent: string | null;
  status: DisputeStatus;
  reason: string;
  metadata: Metadata;
  evidence: Record<string, string>;
  submission_count: number;
  balance_transactions: string[];
  due_by: number;
}

export interface LineItemRecord {
  id: string;
  price: string;
  product: string;
  name: string;
  currency: string;
  unit_amount: number;
  quantity: number;
}

export type CheckoutStatus = 'open' | 'complete' | 'expired';
export type CheckoutPaymentStatus = 'paid' | 'unpaid' | 'no_payment_required';

export interface CheckoutSessionRecord {
  id: string;
  seq: number;
  livemode: boolean;
  created: number;
  expires_at: number;
  mode: 'payment';
  status: CheckoutStatus;
  payment_status: CheckoutPaymentStatus;
  ui_mode: string;
  embedded: boolean;
  success_url: string | null;
  cancel_url: string | null;
  return_url: string | null;
  redirect_on_completion: string | null;
  url: string | null;
  client_secret: string | null;
  client_reference_id: string | null;
  customer: string | null;
  customer_email: string | null;
  customer_details: { email: string | null; name: string | null } | null;
  locale: string | null;
  submit_type: string | null;
  metadata: Metadata;
  line_items: LineItemRecord[];
  currency: string;
  amount_subtotal: number;
  amount_total: number;
  payment_intent: string | null;
  payment_method_types: string[];
  /** The configuration named at creation (`payment_method_configuration`); null when types were given. */
  payment_method_configuration: string | null;
  payment_intent_data: {
    metadata: Metadata;
    description: string | null;
    receipt_email: string | null;
    statement_descriptor: string | null;
    statement_descriptor_suffix: string | null;
    /** Saves every method to the customer, ticked or not (save-during-payment, "charge them off-session"). */
    setup_future_usage: string | null;
  };
  /** SDK 23.1.0 Checkout.Session.SavedPaymentMethodOptions as given at creation. */
  saved_payment_method_options: {
    allow_redisplay_filters: string[] | null;
    payment_method_remove: string | null;
    payment_method_save: string | null;
  };
  /** `custom_text.submit.message`: shown beside the pay button. */
  custom_text_submit: string | null;
}

export interface BalanceTransactionRecord {
  id: string;
  seq: number;
  livemode: boolean;
  created: number;
  available_on: number;
  amount: number;
  fee: number;
  currency: string;
  type: string;
  reporting_category: string;
  source: string;
  description: string | null;
}

export interface EventRecord {
  id: string;
  seq: number;
  livemode: boolean;
  created: number;
  type: string;
  object: JsonObject;
  previous_attributes: JsonObject | null;
  request: { id: string | null; idempotency_key: string | null };
  pending_webhooks: number;
}
