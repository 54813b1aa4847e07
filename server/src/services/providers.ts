import type { Core } from '@strapi/strapi';
import {
  LEGACY_PROVIDER_ID,
  longestCallBudgetMs,
  PROVIDERS,
  providerEntry,
  providerLabel,
  type PayLink,
} from '../providers/registry';
import type { StoredSettings } from './settings-schema';
import { PLUGIN_ID } from '../utils/plugin-id';
import type { PaymentProvider } from '../providers/types';
import { serviceUnavailable } from '../utils/errors';

/**
 * The payment providers (providers/registry.ts), built from the saved settings. A payment row,
 * refund or webhook event is always worked on with the provider it records (`forId`); only new
 * pay links choose one (`forNewPayments`).
 */
export default ({ strapi }: { strapi: Core.Strapi }) => {
  async function forId(id: string | null | undefined): Promise<PaymentProvider> {
    const key = id || LEGACY_PROVIDER_ID;
    const entry = providerEntry(key);
    // A row naming a gateway this installation does not know: nothing can settle it safely.
    if (!entry) throw serviceUnavailable(`Payment provider "${key}" is not available in this installation.`);
    const provider = await entry.create(strapi);
    if (!provider) throw serviceUnavailable(entry.notSetUp);
    return provider;
  }

  return {
    forId,

    /** The provider new pay links use: the admin's choice in the settings (Stripe until one is made). */
    async forNewPayments(): Promise<PaymentProvider> {
      const settings = (await strapi.plugin(PLUGIN_ID).service('settings').load()) as StoredSettings;
      return forId(settings.payLinkProvider);
    },

    /** How the pay page takes a payment under these settings; null when the chosen provider is not set up. */
    payLink(settings: StoredSettings): PayLink | null {
      return providerEntry(settings.payLinkProvider || LEGACY_PROVIDER_ID)?.payLink(settings) ?? null;
    },

    /** The provider of a stored row (payment, refund's payment, webhook event). */
    forRow(row: { provider?: string | null }): Promise<PaymentProvider> {
      return forId(row.provider);
    },

    /** Registry entry for a webhook route's `:provider`, or null for an unknown one (a 404). */
    entry: providerEntry,

    /** Links and id shapes of a provider id; null for `manual` entries and unknown ids. */
    traits(id: string | null | undefined) {
      return providerEntry(id || LEGACY_PROVIDER_ID)?.traits ?? null;
    },

    /** Label of a provider id for people (audit sentences); the id itself when unknown. */
    label: providerLabel,

    /** How long one call to a row's provider can take (ms); an unknown id gets the longest of all. */
    callBudgetMs(id: string | null | undefined): number {
      return providerEntry(id || LEGACY_PROVIDER_ID)?.callBudgetMs(strapi) ?? longestCallBudgetMs(strapi);
    },

    ids(): string[] {
      return Object.keys(PROVIDERS);
    },
  };
};
