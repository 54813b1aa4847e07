import type { Core } from '@strapi/strapi';
import type { Context } from 'koa';
import { errors } from '@strapi/utils';
import { getService } from '../utils/get-service';
import { respond } from '../utils/respond';
import { clientInvoice, currentUserId } from '../utils/client';
import { adminActor } from '../utils/actor';
import { notFound } from '../utils/errors';
import type { Actor } from '../services/settings';

/**
 * Saved payment methods: the logged-in client's own (users-permissions JWT), the drawer's "Save for
 * future invoices" (the invoice's customer, logged in; a pay-link token alone is refused), and the
 * admin's autopay switch.
 */
export default ({ strapi }: { strapi: Core.Strapi }) => {
  const saved = () => getService(strapi, 'saved-methods');

  async function client(ctx: Context): Promise<{ userId: number; actor: Actor }> {
    const userId = await currentUserId(strapi, ctx);
    if (userId === null) throw new errors.UnauthorizedError('Log in to see and manage your saved payment methods.', {});
    return { userId, actor: { type: 'client', id: userId, label: 'customer', ip: ctx.request.ip } };
  }

  const clientId = (ctx: Context): number => {
    const id = Number(ctx.params.userId);
    if (!Number.isSafeInteger(id) || id <= 0) throw notFound('No such client.');
    return id;
  };

  return {
    async list(ctx: Context) {
      await respond(ctx, async () => {
        const { userId } = await client(ctx);
        ctx.set('Cache-Control', 'no-store');
        return { data: await saved().list(userId) };
      });
    },
    async remove(ctx: Context) {
      await respond(ctx, async () => {
        const { userId, actor } = await client(ctx);
        return { data: await saved().remove(userId, ctx.params.methodId, actor) };
      });
    },
    async setDefault(ctx: Context) {
      await respond(ctx, async () => {
        const { userId, actor } = await client(ctx);
        return { data: await saved().setDefault(userId, ctx.params.methodId, actor) };
      });
    },
    /** POST /api/invoice-payments/invoices/:id/save-method { providerPaymentId, save, token? }. */
    async saveOnPayment(ctx: Context) {
      await respond(ctx, async () => {
        const { invoice, actor } = await clientInvoice(strapi, ctx);
        // Only the client, logged in, may save onto their provider customer: a pay link can be
        // forwarded, and its holder's card would become the one autopay charges.
        const userId = actor.id ?? (await currentUserId(strapi, ctx));
        const customerId = (invoice as { customer?: { id: number } | null }).customer?.id ?? null;
        const byClient = userId !== null && userId !== undefined && userId === customerId;
        const who: Actor = byClient ? { type: 'client', id: userId, label: 'customer', ip: ctx.request.ip } : actor;
        return { data: await saved().saveOnPayment(invoice, ctx.request.body, who, byClient) };
      });
    },

    async adminClient(ctx: Context) {
      await respond(ctx, async () => ({ data: await saved().forAdmin(clientId(ctx)) }));
    },
    async adminSetAutopay(ctx: Context) {
      await respond(ctx, async () => ({
        data: await saved().setAutopay(clientId(ctx), ctx.request.body, adminActor(ctx)),
      }));
    },
    async adminInvoiceAutopay(ctx: Context) {
      await respond(ctx, async () => ({
        data: await getService(strapi, 'autopay').forInvoice(String(ctx.params.id ?? '')),
      }));
    },
  };
};
