import type { Core } from '@strapi/strapi';
import type Stripe from 'stripe';
import { createStripeClient } from '../providers/stripe/client';
import { StripeProvider } from '../providers/stripe/provider';
import { PLUGIN_ID } from '../utils/plugin-id';
import { serviceUnavailable } from '../utils/errors';
import type { PluginConfig } from '../config';
import { stripeOverrides } from '../utils/stripe-overrides';

/** Builds Stripe clients from the saved (encrypted) key and the plugin's API base setting. */
export default ({ strapi }: { strapi: Core.Strapi }) => {
  const config = () => strapi.config.get<PluginConfig>(`plugin::${PLUGIN_ID}`);

  function apiBase(): string | null {
    return stripeOverrides(config().stripe).apiBase;
  }

  function clientFor(secretKey: string): Stripe {
    const c = config().stripe;
    return createStripeClient({ secretKey, apiBase: apiBase(), maxNetworkRetries: c.maxNetworkRetries, timeoutMs: c.timeoutMs });
  }

  return {
    apiBase,
    clientFor,
    provider(secretKey: string): StripeProvider {
      return new StripeProvider(clientFor(secretKey));
    },
    /** The provider for the saved key; 503 with a clear message when no key is configured. */
    async currentProvider(): Promise<StripeProvider> {
      const secret = await strapi.plugin(PLUGIN_ID).service('settings').secretKey();
      if (!secret) throw serviceUnavailable('Online payments are not set up yet: no Stripe secret key is saved.');
      return new StripeProvider(clientFor(secret));
    },
  };
};
