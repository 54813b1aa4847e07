import type { Core } from '@strapi/strapi';
import { PLUGIN_ID } from '../../utils/plugin-id';
import { publicBaseUrl } from '../../utils/public-url';
import type { ProviderEntry } from '../registry';
import { createMollie, MOLLIE_CALL_BUDGET_MS } from './client';
import { mollieOverrides } from './overrides';
import { MollieProvider, mollieTraits } from './provider';

/** Where Mollie posts status changes: this site's webhook route for Mollie. */
export function mollieWebhookUrl(strapi: Core.Strapi): string {
  const prefix = strapi.config.get<string>('api.rest.prefix', '/api');
  return `${publicBaseUrl(strapi)}${prefix}/${PLUGIN_ID}/webhooks/mollie`;
}

/** Mollie's overrides: config `mollie.apiEndpoint` (if a deployment sets it) or MOLLIE_API_ENDPOINT. */
export function mollieOverridesOf(strapi: Core.Strapi) {
  const c = strapi.config.get<{ apiEndpoint?: string | null; allowStandinInProduction?: boolean } | undefined>(
    `plugin::${PLUGIN_ID}.mollie`,
    undefined,
  );
  return mollieOverrides(c ?? {});
}

/** Builds a Mollie provider for an API key, with the endpoint override and this site's webhook URL. */
export function mollieProviderFor(strapi: Core.Strapi, apiKey: string): MollieProvider {
  return new MollieProvider(createMollie({ apiKey, overrides: mollieOverridesOf(strapi) }), {
    apiKey,
    webhookUrl: mollieWebhookUrl(strapi),
  });
}

async function saved(strapi: Core.Strapi): Promise<MollieProvider | null> {
  const key = await strapi.plugin(PLUGIN_ID).service('settings').mollieApiKey();
  return key ? mollieProviderFor(strapi, key) : null;
}

/** Mollie in the provider registry: the saved (encrypted) API key; its webhooks are unsigned. */
export const mollieEntry: ProviderEntry = {
  id: mollieTraits.id,
  label: mollieTraits.label,
  traits: mollieTraits,
  notSetUp: 'Mollie is not set up yet: no Mollie API key is saved.',
  create: saved,
  // Reading a Mollie webhook means fetching the payment it names: it needs the API key.
  webhookParser: saved,
  async webhookSecret() {
    return null;
  },
  // Always Mollie's hosted checkout (no card form of Mollie's runs on the pay page).
  payLink: (s) => (s.mollieKeySealed ? { mode: 'hosted', publishableKey: '' } : null),
  canRead: (s) => Boolean(s.mollieKeySealed),
  callBudgetMs: () => MOLLIE_CALL_BUDGET_MS,
};
