import type { Core } from '@strapi/strapi';
import { ACTION_DEFINITIONS } from './utils/permissions';
import { getService } from './utils/get-service';
import { PLUGIN_ID } from './utils/plugin-id';
import { installationId } from './utils/installation';
import { stripeJsUrl } from './pages/stripe-js';
import { livePublishableKeyProblem, liveSecretKeyProblem, stripeOverrides } from './utils/stripe-overrides';
import type { PluginConfig } from './config';
import { reasonOf } from './utils/errors';

export default async ({ strapi }: { strapi: Core.Strapi }) => {
  await strapi.admin.services.permission.actionProvider.registerMany(ACTION_DEFINITIONS);
  // Settings → Webhooks accepts the plugin's events out (services/events-out.ts).
  getService(strapi, 'events-out').registerWebhookEvents();
  // This site's id for idempotency keys made from database ids (utils/installation): made at the
  // first start, before any request can need it.
  await installationId(strapi);

  // Key rotation: re-seal secrets left under a previous encryption key.
  try {
    const count = await getService(strapi, 'settings').reencrypt();
    if (count > 0) strapi.log.info(`[invoice-payments] re-encrypted ${count} stored secret(s) with the current key.`);
  } catch (error) {
    strapi.log.error(`[invoice-payments] stored Stripe secrets could not be decrypted: ${reasonOf(error)}`);
  }

  // Whatever script is at stripe.jsUrl sees the card numbers typed on the pay pages: say loudly that
  // this is not Stripe. stripeJsUrl() also throws here, at startup, on a malformed URL.
  const jsUrl = stripeJsUrl(strapi.config.get<PluginConfig>(`plugin::${PLUGIN_ID}`));
  if (jsUrl) {
    strapi.log.warn(
      `[invoice-payments] the pay pages load Stripe.js from ${jsUrl} (stripe.jsUrl / STRIPE_JS_URL), not from js.stripe.com. For tests and demos only: never set this in production.`,
    );
  }

  // Keys saved before a stand-in variable appeared: nothing live is sent to it (the client factory
  // and the pay pages refuse), and production does not start with them.
  try {
    const overrides = stripeOverrides(strapi.config.get<PluginConfig>(`plugin::${PLUGIN_ID}`).stripe);
    if (overrides.apiBase || jsUrl) {
      const settings = getService(strapi, 'settings');
      const problems = [
        liveSecretKeyProblem(overrides.apiBase, await settings.secretKey()),
        livePublishableKeyProblem(jsUrl, (await settings.load()).publishableKey),
      ].filter((p): p is string => p !== null);
      if (problems.length > 0) {
        const message = `the saved Stripe keys are live: ${problems.join(' ')}`;
        if (process.env.NODE_ENV === 'production') throw new Error(`invoice-payments will not start: ${message}`);
        strapi.log.error(`[invoice-payments] ${message} Live Stripe calls are refused until then.`);
      }
    }
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('invoice-payments will not start')) {
      strapi.log.error(`[invoice-payments] ${error.message}`);
      throw error;
    }
    // Keys that cannot be decrypted were reported above; the client refuses live keys anyway.
  }

  getService(strapi, 'background').start();
};
