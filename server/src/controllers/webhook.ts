import type { Core } from '@strapi/strapi';
import type { Context } from 'koa';
import { verifyStripeEvent } from '../providers/stripe/provider';
import { ProviderRequestError } from '../providers/types';
import { getService } from '../utils/get-service';
import { PLUGIN_ID } from '../utils/plugin-id';
import type { PluginConfig } from '../config';

const UNPARSED = Symbol.for('unparsedBody');

const fail = (ctx: Context, status: number, message: string) => {
  ctx.status = status;
  ctx.body = { data: null, error: { status, name: status === 400 ? 'WebhookRejected' : 'WebhookUnavailable', message } };
};

/**
 * Stripe's webhook. Verified over the raw body, stored under its unique event id, acknowledged,
 * then settled right away in this process (the retry worker picks it up if that fails or the
 * process dies). A non-2xx answer makes Stripe deliver again, so we answer 5xx whenever the event
 * was not safely stored.
 */
async function receive(strapi: Core.Strapi, ctx: Context): Promise<void> {
  if (!ctx.is('application/json')) return fail(ctx, 400, 'Stripe webhooks are sent as application/json.');
  const body = ctx.request.body as Record<PropertyKey, unknown> | undefined;
  const raw = body?.[UNPARSED];
  if (typeof raw !== 'string') {
    strapi.log.error('[invoice-payments] webhook: the raw request body is not available; strapi::body must run with includeUnparsed: true (the plugin sets it at startup unless the middleware config was replaced).');
    return fail(ctx, 500, 'The webhook cannot verify signatures: the raw request body is not available. See the plugin README, "Middleware".');
  }
  const secret = await getService(strapi, 'settings').webhookSecret();
  if (!secret) return fail(ctx, 503, 'The webhook signing secret is not configured in Settings → Invoice payments.');

  const tolerance = strapi.config.get<PluginConfig>(`plugin::${PLUGIN_ID}`).webhook.toleranceSeconds;
  let event;
  try {
    event = verifyStripeEvent(raw, ctx.request.header['stripe-signature'] as string | undefined, secret, tolerance);
  } catch (error) {
    const reason = error instanceof ProviderRequestError ? error.message : 'The signature could not be verified.';
    await getService(strapi, 'audit').log({ action: 'webhook.rejected', actor: { type: 'stripe', ip: ctx.request.ip }, outcome: 'rejected', details: { reason, code: error instanceof ProviderRequestError ? error.code : null } });
    return fail(ctx, 400, reason);
  }

  let stored;
  try {
    stored = await getService(strapi, 'webhook-events').receive(event);
  } catch (error) {
    strapi.log.error(`[invoice-payments] webhook event ${event.id} could not be stored: ${error instanceof Error ? error.message : 'unknown error'}`);
    return fail(ctx, 503, 'The event could not be stored; Stripe will deliver it again.');
  }
  ctx.status = 200;
  // An event that cannot be Stripe's is acknowledged too (a non-2xx would be retried for days).
  ctx.body = { received: true, duplicate: stored.duplicate, ...(stored.ignoredReason ? { ignored: stored.ignoredReason } : {}) };
  // Settled right away in this process, a few at a time (the retry worker picks it up otherwise).
  if (stored.row) getService(strapi, 'webhook-events').enqueue(stored.row.id);
}

export default ({ strapi }: { strapi: Core.Strapi }) => ({
  async stripe(ctx: Context) {
    // While deliveries are being answered, settlement in this process slows down (webhook-events).
    const answered = getService(strapi, 'webhook-events').arriving();
    try {
      await receive(strapi, ctx);
    } finally {
      answered();
    }
  },
});
