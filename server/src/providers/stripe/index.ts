import type { Core } from '@strapi/strapi';
import Stripe from 'stripe';
import { createStripeClient } from './client';
import { StripeProvider, stripeTraits, type StripeProviderOptions } from './provider';
import { StripePaymentMethodSettings } from './payment-methods';
import { stripeWebhooks } from './webhook';
import { PLUGIN_ID } from '../../utils/plugin-id';
import type { PluginConfig } from '../../config';
import { stripeOverrides } from '../../utils/stripe-overrides';
import { fingerprint } from '../../utils/secret-box';
import { secretKeyInfo } from '../../utils/stripe-keys';
import type { ProviderEntry } from '../registry';

function clientFor(strapi: Core.Strapi, secretKey: string) {
  const c = strapi.config.get<PluginConfig>(`plugin::${PLUGIN_ID}`).stripe;
  return createStripeClient({
    secretKey,
    apiBase: stripeOverrides(c).apiBase,
    maxNetworkRetries: c.maxNetworkRetries,
    timeoutMs: c.timeoutMs,
  });
}

/** Builds a Stripe provider for a secret key, with the plugin's API base and network settings. */
export function stripeProviderFor(
  strapi: Core.Strapi,
  secretKey: string,
  options: StripeProviderOptions = {},
): StripeProvider {
  const mode = secretKeyInfo(secretKey)?.mode ?? null;
  return new StripeProvider(clientFor(strapi, secretKey), {
    livemode: mode === null ? null : mode === 'live',
    ...options,
  });
}

/** Payment method configurations and wallet domains of the account behind a secret key. */
export function stripePaymentMethodSettingsFor(strapi: Core.Strapi, secretKey: string): StripePaymentMethodSettings {
  return new StripePaymentMethodSettings(clientFor(strapi, secretKey));
}

/** Stripe in the provider registry: the saved (encrypted) secret key and webhook signing secret. */
export const stripeEntry: ProviderEntry = {
  id: stripeTraits.id,
  label: stripeTraits.label,
  traits: stripeTraits,
  notSetUp: 'Online payments are not set up yet: no Stripe secret key is saved.',
  async create(strapi) {
    const secret = await strapi.plugin(PLUGIN_ID).service('settings').secretKey();
    if (!secret) return null;
    // The key's fingerprint is what the choice was saved with: no second read of the settings.
    const paymentMethodConfiguration = await strapi
      .plugin(PLUGIN_ID)
      .service('payment-methods')
      .configurationId(fingerprint(secret));
    return stripeProviderFor(strapi, secret, { paymentMethodConfiguration });
  },
  // Verification needs only the signing secret: events are stored even before an API key is saved.
  async webhookParser() {
    return stripeWebhooks;
  },
  async webhookSecret(strapi) {
    return strapi.plugin(PLUGIN_ID).service('settings').webhookSecret();
  },
  // The drawer and Checkout need both keys: Stripe.js runs with the publishable one.
  payLink: (s) =>
    s.secretKeySealed && s.publishableKey ? { mode: s.checkoutMode, publishableKey: s.publishableKey } : null,
  canRead: (s) => Boolean(s.secretKeySealed),
  // The charge's balance transaction (its `fee`) may be made a little after the payment succeeded.
  feeArrivesLater: true,
  /**
   * Webhook payloads use the endpoint's pinned API version, or the account default
   * (https://docs.stripe.com/webhooks/versioning): not necessarily the SDK's.
   */
  apiVersion: { pinned: Stripe.API_VERSION, upgradeGuideUrl: 'https://docs.stripe.com/webhooks/versioning' },
  // Customers, saved PaymentMethods and off-session PaymentIntents (providers/stripe/saved-methods.ts).
  savesMethods: true,
  // The SDK's timeout applies to each try: the first one and every network retry.
  callBudgetMs(strapi) {
    const c = strapi.config.get<PluginConfig>(`plugin::${PLUGIN_ID}`).stripe;
    return c.timeoutMs * (c.maxNetworkRetries + 1);
  },
};
