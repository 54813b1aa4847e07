import type { Core } from '@strapi/strapi';
import type { Context } from 'koa';
import { ProviderRequestError, type WebhookRequest } from '../providers/types';
import { getService } from '../utils/get-service';
import { PLUGIN_ID } from '../utils/plugin-id';
import { providerActor } from '../utils/actor';
import type { PluginConfig } from '../config';
import type { ProviderEntry } from '../providers/registry';

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
 * Each provider's signing secret, read (and decrypted) at most once per SECRET_TTL_MS per process
 * instead of once per delivery. A delivery refused with a remembered secret is checked again with
 * the one saved now, so a new secret counts at once; a replaced or removed one may still be
 * accepted for up to SECRET_TTL_MS, as on any other instance that read it just before. Nothing is
 * remembered while no secret is saved.
 */
const SECRET_TTL_MS = 1000;
type SigningSecrets = ReturnType<typeof signingSecrets>;
function signingSecrets(strapi: Core.Strapi) {
  const byProvider = new Map<string, { value: string; readAt: number }>();
  return async (entry: ProviderEntry, opts: { fresh?: boolean } = {}) => {
    const known = byProvider.get(entry.id);
    if (!opts.fresh && known && Date.now() - known.readAt < SECRET_TTL_MS) return { value: known.value, cached: true };
    const value = await entry.webhookSecret(strapi);
    if (value) byProvider.set(entry.id, { value, readAt: Date.now() });
    else byProvider.delete(entry.id);
    return { value, cached: false };
  };
}

/**
 * A payment provider's webhook (POST /webhooks/:provider). The provider verifies the delivery
 * (providers/<id>/), the event is stored under its unique id, acknowledged, then settled right
 * away in this process (services/webhook-events.ts; the retry worker picks it up if that fails or
 * the process dies). A non-2xx answer makes the provider deliver again, so we answer 5xx whenever
 * the event was not safely stored.
 */
async function receive(strapi: Core.Strapi, secrets: SigningSecrets, ctx: Context, providerId: string): Promise<void> {
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
    const secret = await secrets(entry);
    try {
      event = await parser.parseWebhook(request, secret.value, { toleranceSeconds: tolerance });
    } catch (error) {
      // Refused with a remembered secret: the one saved now (just replaced?) has the last word.
      if (!secret.cached || !(error instanceof ProviderRequestError) || error.retryable) throw error;
      const fresh = await secrets(entry, { fresh: true });
      if (fresh.value === secret.value) throw error;
      event = await parser.parseWebhook(request, fresh.value, { toleranceSeconds: tolerance });
    }
  } catch (error) {
    // Every refusal of the delivery itself is a ProviderRequestError. Anything else (the database
    // dropped while reading the signing secret, a bug) says nothing about the delivery: a 400 would
    // make the provider give up on a genuine event, so ask for it again.
    if (!(error instanceof ProviderRequestError)) {
      strapi.log.error(
        `[invoice-payments] ${entry.label} webhook could not be checked: ${error instanceof Error ? error.message : 'unknown error'}`,
      );
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
    strapi.log.error(
      `[invoice-payments] webhook event ${event.id} could not be stored: ${error instanceof Error ? error.message : 'unknown error'}`,
    );
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
  const secrets = signingSecrets(strapi);
  return {
    /** POST /webhooks/:provider; the older /webhooks/stripe path is this route with its provider fixed. */
    async receive(ctx: Context) {
      // While deliveries are being answered, settlement in this process slows down (webhook-events).
      const answered = getService(strapi, 'webhook-events').arriving();
      try {
        const id = typeof ctx.params?.provider === 'string' ? ctx.params.provider : '';
        await receive(strapi, secrets, ctx, id);
      } finally {
        answered();
      }
    },
  };
};
