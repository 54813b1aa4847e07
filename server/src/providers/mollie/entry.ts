import type { Core } from '@strapi/strapi';
import { PLUGIN_ID, UID } from '../../utils/plugin-id';
import { publicBaseUrl } from '../../utils/public-url';
import type { ProviderEntry } from '../registry';
import { createMollie, MOLLIE_CALL_BUDGET_MS } from './client';
import { mollieOverrides } from './overrides';
import { MollieProvider, mollieTraits } from './provider';
import { guardedMollieParser } from './webhook-guard';

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

/** The portion and fee the ledger entry of a Mollie payment recorded when the payment was made. */
async function ledgerTerms(strapi: Core.Strapi, paymentId: string): Promise<{ portion: number; fee: number } | null> {
  const row = (await strapi.db.query(UID.payment).findOne({
    where: { provider: 'mollie', $or: [{ providerPaymentId: paymentId }, { checkoutSessionId: paymentId }] },
    select: ['amount', 'fee'],
  })) as { amount: number | null; fee: number | null } | null;
  if (!row || !Number.isSafeInteger(row.amount)) return null;
  return { portion: row.amount!, fee: Number.isSafeInteger(row.fee) ? row.fee! : 0 };
}

/** Builds a Mollie provider for an API key, with the endpoint override and this site's webhook URL. */
export function mollieProviderFor(strapi: Core.Strapi, apiKey: string): MollieProvider {
  return new MollieProvider(createMollie({ apiKey, overrides: mollieOverridesOf(strapi) }), {
    apiKey,
    webhookUrl: mollieWebhookUrl(strapi),
    ledgerTerms: (paymentId) => ledgerTerms(strapi, paymentId),
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
  // Reading a Mollie webhook means fetching the payment it names: it needs the API key. Unsigned,
  // so a post is only passed on to Mollie when it can be about a payment of ours (webhook-guard.ts).
  async webhookParser(strapi) {
    const provider = await saved(strapi);
    return provider ? guardedMollieParser(strapi, provider) : null;
  },
  async webhookSecret() {
    return null;
  },
  // Always Mollie's hosted checkout (no card form of Mollie's runs on the pay page).
  payLink: (s) => (s.mollieKeySealed ? { mode: 'hosted', publishableKey: '' } : null),
  canRead: (s) => Boolean(s.mollieKeySealed),
  // Mollie's payment carries no processing fee, now or later (https://docs.mollie.com/reference/get-payment):
  // `settlementAmount` is the amount converted to the settlement currency, fees not taken off;
  // `applicationFee` is a platform's own fee on a connected account, not Mollie's. Mollie's fees
  // show per payment only in the Balances API (balance transactions' `deductions`,
  // https://docs.mollie.com/reference/list-balance-transactions) and in settlements
  // (https://docs.mollie.com/reference/list-settlements), which the plugin does not read: a
  // re-read of a Mollie payment never brings a fee, so the sweep does not look for one.
  feeArrivesLater: false,
  callBudgetMs: () => MOLLIE_CALL_BUDGET_MS,
};
