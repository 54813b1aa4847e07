import type { Core } from '@strapi/strapi';
import type { Context } from 'koa';
import { errors } from '@strapi/utils';
import { getService } from '../utils/get-service';
import { respond } from '../utils/respond';
import { currentUserId } from '../utils/client';
import type { Actor } from '../services/settings';
import { translate, type ClientLocale } from '../i18n';

/**
 * The client portal's JSON (docs/api.md): the logged-in client's invoices and payments for several
 * of them at once. Authorised by the users-permissions JWT only; every id is checked against the
 * client, and anything not theirs answers as missing. Messages and amounts are in English (en-US)
 * unless the caller names a language (`?lang=fr`, or `language` in a POST body, as the portal page
 * does): then in that language, or when it is not one the plugin ships, the browser's or the site's.
 */
export default ({ strapi }: { strapi: Core.Strapi }) => {
  const groups = () => getService(strapi, 'payment-groups');

  /** The language the caller asked for, or null: the API's English. */
  async function localeOf(ctx: Context): Promise<ClientLocale | null> {
    const body = (ctx.request.body ?? {}) as { language?: unknown };
    const asked = typeof ctx.query.lang === 'string' ? ctx.query.lang : body.language;
    if (typeof asked !== 'string') return null;
    return getService(strapi, 'pages').clientLocale(null, {
      lang: asked.slice(0, 16),
      acceptLanguage: ctx.get('accept-language') || null,
    });
  }

  async function client(ctx: Context): Promise<{ userId: number; actor: Actor; locale: ClientLocale | null }> {
    const locale = await localeOf(ctx);
    const userId = await currentUserId(strapi, ctx);
    if (userId === null)
      throw new errors.UnauthorizedError(translate(locale?.language ?? 'en', 'portalApi.signIn'), {});
    ctx.set('Cache-Control', 'no-store');
    return { userId, actor: { type: 'client', id: userId, label: 'customer', ip: ctx.request.ip }, locale };
  }

  return {
    /** GET /api/invoice-payments/portal/invoices?filter=all|open|overdue|paid */
    async invoices(ctx: Context) {
      await respond(ctx, async () => {
        const { userId, locale } = await client(ctx);
        return { data: await groups().listForClient(userId, ctx.query.filter, locale) };
      });
    },
    /** GET /api/invoice-payments/portal/invoices/:id/receipts */
    async receipts(ctx: Context) {
      await respond(ctx, async () => {
        const { userId, locale } = await client(ctx);
        return { data: await groups().receiptsFor(userId, String(ctx.params.id ?? ''), locale) };
      });
    },
    /** POST /api/invoice-payments/portal/payments { invoices: [id], amounts?: { id: minor }, requestKey? } */
    async createPayment(ctx: Context) {
      await respond(ctx, async () => {
        const { userId, actor, locale } = await client(ctx);
        ctx.status = 201;
        return { data: await groups().create(userId, ctx.request.body, actor, locale) };
      });
    },
    /** GET /api/invoice-payments/portal/payments/:id */
    async payment(ctx: Context) {
      await respond(ctx, async () => {
        const { userId, locale } = await client(ctx);
        return { data: await groups().state(userId, String(ctx.params.id ?? ''), locale) };
      });
    },
    /** POST /api/invoice-payments/portal/payments/:id/confirm: after the card form, re-read and settle. */
    async confirmPayment(ctx: Context) {
      await respond(ctx, async () => {
        const { userId, actor, locale } = await client(ctx);
        return { data: await groups().confirm(userId, String(ctx.params.id ?? ''), actor, locale) };
      });
    },
  };
};
