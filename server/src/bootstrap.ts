import type { Core } from '@strapi/strapi';
import { ACTION_DEFINITIONS } from './utils/permissions';
import { getService } from './utils/get-service';
import { PLUGIN_ID } from './utils/plugin-id';
import { stripeJsUrl } from './pages/stripe-js';
import type { PluginConfig } from './config';

export default async ({ strapi }: { strapi: Core.Strapi }) => {
  await strapi.admin.services.permission.actionProvider.registerMany(ACTION_DEFINITIONS);

  // Key rotation: re-seal secrets left under a previous encryption key.
  try {
    const count = await getService(strapi, 'settings').reencrypt();
    if (count > 0) strapi.log.info(`[invoice-payments] re-encrypted ${count} stored secret(s) with the current key.`);
  } catch (error) {
    strapi.log.error(`[invoice-payments] stored Stripe secrets could not be decrypted: ${error instanceof Error ? error.message : 'unknown error'}`);
  }

  // Whatever script is at stripe.jsUrl sees the card numbers typed on the pay pages: say loudly that
  // this is not Stripe. stripeJsUrl() also throws here, at startup, on a malformed URL.
  const jsUrl = stripeJsUrl(strapi.config.get<PluginConfig>(`plugin::${PLUGIN_ID}`));
  if (jsUrl) {
    strapi.log.warn(`[invoice-payments] the pay pages load Stripe.js from ${jsUrl} (stripe.jsUrl / STRIPE_JS_URL), not from js.stripe.com. For tests and demos only: never set this in production.`);
  }

  getService(strapi, 'background').start();
};
