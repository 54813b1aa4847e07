import type { Core } from '@strapi/strapi';
import type { Context } from 'koa';
import { errors } from '@strapi/utils';
import { getService } from '../utils/get-service';
import { respond } from '../utils/respond';
import { currentUserId } from '../utils/client';
import type { Actor } from '../services/settings';

/**
 * The client portal's JSON (docs/api.md): the logged-in client's invoices and payments for several
 * of them at once. Authorised by the users-permissions JWT only; every id is checked against the
 * client, and anything not theirs answers as missing.
 */
export default ({ strapi }: { strapi: Core.Strapi }) => {
  const groups = () => getService(strapi, 'payment-groups');

  async function client(ctx: Context): Promise<{ userId: number; actor: Actor }> {
    const userId = await currentUserId(strapi, ctx);
    if (userId === null) throw new errors.UnauthorizedError('Log in to see your invoices.', {});
    ctx.set('Cache-Control', 'no-store');
    return { userId, actor: { type: 'client', id: userId, label: 'customer', ip: ctx.request.ip } };
  }

  return {
    /** GET /api/invoice-payments/portal/invoices?filter=all|open|overdue|paid */
    async invoices(ctx: Context) {
      await respond(ctx, async () => {
        const { userId } = await client(ctx);
        return { data: await groups().listForClient(userId, ctx.query.filter) };
      });
    },
    /** GET /api/invoice-payments/portal/invoices/:id/receipts */
    async receipts(ctx: Context) {
      await respond(ctx, async () => {
        const { userId } = await client(ctx);
        return { data: await groups().receiptsFor(userId, String(ctx.params.id ?? '')) };
      });
    },
    /** POST /api/invoice-payments/portal/payments { invoices: [id], amounts?: { id: minor }, requestKey? } */
    async createPayment(ctx: Context) {
      await respond(ctx, async () => {
        const { userId, actor } = await client(ctx);
        ctx.status = 201;
        return { data: await groups().create(userId, ctx.request.body, actor) };
      });
    },
    /** GET /api/invoice-payments/portal/payments/:id */
    async payment(ctx: Context) {
      await respond(ctx, async () => {
        const { userId } = await client(ctx);
        return { data: await groups().state(userId, String(ctx.params.id ?? '')) };
      });
    },
    /** POST /api/invoice-payments/portal/payments/:id/confirm: after the card form, re-read and settle. */
    async confirmPayment(ctx: Context) {
      await respond(ctx, async () => {
        const { userId, actor } = await client(ctx);
        return { data: await groups().confirm(userId, String(ctx.params.id ?? ''), actor) };
      });
    },
  };
};
