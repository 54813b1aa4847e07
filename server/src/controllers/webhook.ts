import type { Core } from '@strapi/strapi';
import type { Context } from 'koa';
import { ProviderRequestError, type WebhookRequest } from '../providers/types';
import { getService } from '../utils/get-service';
import { PLUGIN_ID } from '../utils/plugin-id';
import { providerActor } from '../utils/actor';
import type { PluginConfig } from '../config';
import { reasonOf } from '../utils/errors';

const UNPARSED = Symbol.for('unparsedBody');

const fail = (ctx: Context, status: number, message: string) => {
  ctx.status = status;
  ctx.body = {
    data: null,
    error: {
      status,
      name: status === 400 ? 'WebhookRejected' : status === 404 ? 'NotFoundError' : 'WebhookUnavailable',
      message,
    },
  };
};

/**
 * A payment provider's webhook (POST /webhooks/:provider). The provider verifies the delivery
 * (providers/<id>/), the event is stored under its unique id, acknowledged, then settled right
 * away in this process (services/webhook-events.ts; the retry worker picks it up if that fails or
 * the process dies). A non-2xx answer makes the provider deliver again, so we answer 5xx whenever
 * the event was not safely stored.
 */
async function receive(strapi: Core.Strapi, ctx: Context, providerId: string): Promise<void> {
  const entry = getService(strapi, 'providers').entry(providerId);
  if (!entry)
    return fail(
      ctx,
      404,
      'No such payment provider. Webhook URLs end in /webhooks/<provider id>, e.g. /webhooks/stripe.',
    );
  const body = ctx.request.body as Record<PropertyKey, unknown> | undefined;
  const raw = body?.[UNPARSED];
  const request: WebhookRequest = {
    rawBody: typeof raw === 'string' ? raw : null,
    body,
    headers: ctx.request.headers,
    contentType: ctx.request.type ? ctx.request.type.trim().toLowerCase() : null,
  };
  const parser = await entry.webhookParser(strapi);
  if (!parser) return fail(ctx, 503, `${entry.notSetUp} Its webhooks cannot be read until it is.`);
  const tolerance = strapi.config.get<PluginConfig>(`plugin::${PLUGIN_ID}`).webhook.toleranceSeconds;
  let event;
  try {
    // Read for every delivery, never remembered: from the moment a new secret is saved, on every
    // instance, a delivery signed only with the old (perhaps leaked) one is refused
    // (tests/faults/secret-rotation.test.ts).
    const secret = await entry.webhookSecret(strapi);
    event = await parser.parseWebhook(request, secret, { toleranceSeconds: tolerance });
  } catch (error) {
    // Every refusal of the delivery itself is a ProviderRequestError. Anything else (the database
    // dropped while reading the signing secret, a bug) says nothing about the delivery: a 400 would
    // make the provider give up on a genuine event, so ask for it again.
    if (!(error instanceof ProviderRequestError)) {
      strapi.log.error(`[invoice-payments] ${entry.label} webhook could not be checked: ${reasonOf(error)}`);
      return fail(ctx, 503, `The delivery could not be checked right now; ${entry.label} will deliver it again.`);
    }
    if (error.code === 'raw_body_missing') {
      strapi.log.error(
        '[invoice-payments] webhook: the raw request body is not available; strapi::body must run with includeUnparsed: true (the plugin sets it at startup unless the middleware config was replaced).',
      );
      return fail(
        ctx,
        500,
        'The webhook cannot verify signatures: the raw request body is not available. See the plugin README, "Middleware".',
      );
    }
    if (error.code === 'secret_missing') {
      return fail(
        ctx,
        503,
        `The ${entry.label} webhook signing secret is not configured in Settings → Invoice payments.`,
      );
    }
    if (error.retryable) {
      // The provider could not be asked about the delivery (one that re-fetches what it was told).
      return fail(ctx, 503, `${entry.label} could not be reached to check this delivery; it will be delivered again.`);
    }
    const reason = error.message;
    // Counted per provider and minute, not one row per call (anyone can post here).
    await getService(strapi, 'audit').rejected({
      provider: entry.id,
      actor: providerActor(entry, entry.label, ctx.request.ip),
      reason,
      code: error.code,
    });
    return fail(ctx, 400, reason);
  }

  let stored;
  try {
    stored = await getService(strapi, 'webhook-events').receive(event, parser);
  } catch (error) {
    strapi.log.error(`[invoice-payments] webhook event ${event.id} could not be stored: ${reasonOf(error)}`);
    return fail(ctx, 503, `The event could not be stored; ${entry.label} will deliver it again.`);
  }
  ctx.status = 200;
  // An event that cannot be the provider's is acknowledged too (a non-2xx would be retried for days).
  ctx.body = {
    received: true,
    duplicate: stored.duplicate,
    ...(stored.ignoredReason ? { ignored: stored.ignoredReason } : {}),
  };
  // Settled right away in this process, a few at a time (the retry worker picks it up otherwise).
  if (stored.row) getService(strapi, 'webhook-events').enqueue(stored.row.id, stored.key);
}

export default ({ strapi }: { strapi: Core.Strapi }) => {
  return {
    /** POST /webhooks/:provider; the older /webhooks/stripe path is this route with its provider fixed. */
    async receive(ctx: Context) {
      // While deliveries are being answered, settlement in this process slows down (webhook-events).
      const answered = getService(strapi, 'webhook-events').arriving();
      try {
        const id = typeof ctx.params?.provider === 'string' ? ctx.params.provider : '';
        await receive(strapi, ctx, id);
      } finally {
        answered();
      }
    },
  };
};
