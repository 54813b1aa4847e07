/**
 * Parameter names Stripe accepts per endpoint (top-level keys of stripe-node v23's *Params types).
 * Anything else is refused with Stripe's "Received unknown parameter" error, which catches typos
 * and stale parameter names in the code under test.
 *
 * `payment_method_types` is not among them: stripe-node 23.0.0 (API 2026-09-30.endive) removed it
 * from PaymentIntent create/update/confirm, SetupIntent create/update and Checkout Session create
 * (node_modules/stripe/CHANGELOG.md, 23.0.0: "Remove support for `payment_method_types` on ...");
 * the pinned 2026-10-28.endive refuses it like any unknown parameter (see REMOVED_PARAMS).
 */

/** Parameters the pinned API version removed: refused with a pointer to what replaced them. */
export const REMOVED_PARAMS: Readonly<Record<string, string>> = {
  payment_method_types:
    'payment_method_types was removed in API version 2026-09-30.endive: Stripe chooses payment methods dynamically; narrow them with allowed_payment_method_types, excluded_payment_method_types or a payment_method_configuration.',
};

// prettier-ignore
export const PAYMENT_INTENT_CREATE = [
  'amount', 'currency', 'allowed_payment_method_types', 'amount_details', 'application_fee_amount',
  'automatic_payment_methods', 'capture_method', 'confirm', 'confirmation_method', 'confirmation_token', 'customer',
  'customer_account', 'description', 'error_on_requires_action', 'excluded_payment_method_types', 'expand', 'hooks',
  'mandate', 'mandate_data', 'metadata', 'off_session', 'on_behalf_of', 'payment_details', 'payment_method',
  'payment_method_configuration', 'payment_method_data', 'payment_method_options', 'radar_options', 'receipt_email',
  'return_url', 'setup_future_usage', 'shipping', 'statement_descriptor', 'statement_descriptor_suffix',
  'transfer_data', 'transfer_group', 'use_stripe_sdk',
] as const;

// prettier-ignore
export const PAYMENT_INTENT_UPDATE = [
  'allowed_payment_method_types', 'amount', 'amount_details', 'application_fee_amount',
  'capture_method', 'currency', 'customer', 'customer_account', 'description', 'excluded_payment_method_types', 'expand',
  'hooks', 'metadata', 'payment_details', 'payment_method', 'payment_method_configuration', 'payment_method_data',
  'payment_method_options', 'receipt_email', 'setup_future_usage', 'shipping', 'statement_descriptor',
  'statement_descriptor_suffix', 'transfer_data', 'transfer_group',
] as const;

// prettier-ignore
export const PAYMENT_INTENT_CONFIRM = [
  'allowed_payment_method_types', 'amount_details', 'amount_to_confirm', 'capture_method',
  'confirmation_token', 'error_on_requires_action', 'excluded_payment_method_types', 'expand', 'hooks', 'mandate',
  'mandate_data', 'off_session', 'payment_details', 'payment_method', 'payment_method_data', 'payment_method_options',
  'radar_options', 'receipt_email', 'return_url', 'setup_future_usage', 'shipping', 'use_stripe_sdk',
] as const;

// prettier-ignore
export const REFUND_CREATE = [
  'amount', 'charge', 'currency', 'customer', 'expand', 'instructions_email', 'metadata', 'origin', 'payment_intent',
  'reason', 'refund_application_fee', 'reverse_transfer',
] as const;

// prettier-ignore
export const CHARGE_UPDATE = [
  'customer', 'description', 'expand', 'fraud_details', 'metadata', 'receipt_email', 'shipping', 'transfer_group',
] as const;

// prettier-ignore
export const CHECKOUT_SESSION_CREATE = [
  'adaptive_pricing', 'after_expiration', 'allow_promotion_codes', 'allowed_payment_method_types',
  'automatic_tax', 'billing_address_collection', 'branding_settings', 'cancel_url', 'client_reference_id',
  'consent_collection', 'currency', 'custom_fields', 'custom_text', 'customer', 'customer_account', 'customer_creation',
  'customer_email', 'customer_update', 'discounts', 'excluded_payment_method_types', 'expand', 'expires_at',
  'integration_identifier', 'invoice_creation', 'line_items', 'locale', 'managed_payments', 'metadata', 'mode',
  'name_collection', 'optional_items', 'origin_context', 'payment_intent_data', 'payment_method_collection',
  'payment_method_configuration', 'payment_method_data', 'payment_method_options', 'permissions',
  'phone_number_collection', 'redirect_on_completion', 'return_url', 'saved_payment_method_options',
  'setup_intent_data', 'shipping_address_collection', 'shipping_options', 'submit_type', 'subscription_data',
  'success_url', 'tax_id_collection', 'ui_mode', 'wallet_options',
] as const;

// prettier-ignore
export const CHECKOUT_PAYMENT_INTENT_DATA = [
  'application_fee_amount', 'capture_method', 'description', 'metadata', 'on_behalf_of', 'receipt_email',
  'setup_future_usage', 'shipping', 'statement_descriptor', 'statement_descriptor_suffix', 'transfer_data', 'transfer_group',
] as const;

// prettier-ignore
export const DISPUTE_EVIDENCE = [
  'access_activity_log', 'billing_address', 'cancellation_policy', 'cancellation_policy_disclosure',
  'cancellation_rebuttal', 'customer_communication', 'customer_email_address', 'customer_name',
  'customer_purchase_ip', 'customer_signature', 'duplicate_charge_documentation', 'duplicate_charge_explanation',
  'duplicate_charge_id', 'product_description', 'receipt', 'refund_policy', 'refund_policy_disclosure',
  'refund_refusal_explanation', 'service_date', 'service_documentation', 'shipping_address', 'shipping_carrier',
  'shipping_date', 'shipping_documentation', 'shipping_tracking_number', 'uncategorized_file', 'uncategorized_text',
] as const;

// SDK 23.1.0 SetupIntentCreateParams / SetupIntentUpdateParams (SetupIntents are otherwise not modelled).
// prettier-ignore
export const SETUP_INTENT_CREATE = [
  'allowed_payment_method_types', 'attach_to_self', 'automatic_payment_methods', 'confirm', 'confirmation_token',
  'customer', 'customer_account', 'description', 'excluded_payment_method_types', 'expand', 'flow_directions',
  'mandate_data', 'metadata', 'on_behalf_of', 'payment_method', 'payment_method_configuration', 'payment_method_data',
  'payment_method_options', 'return_url', 'single_use', 'usage', 'use_stripe_sdk',
] as const;

// prettier-ignore
export const SETUP_INTENT_UPDATE = [
  'allowed_payment_method_types', 'attach_to_self', 'customer', 'customer_account', 'description',
  'excluded_payment_method_types', 'expand', 'flow_directions', 'metadata', 'payment_method',
  'payment_method_configuration', 'payment_method_data', 'payment_method_options',
] as const;
