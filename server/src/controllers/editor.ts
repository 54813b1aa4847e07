import type { Core } from '@strapi/strapi';
import type { Context } from 'koa';
import { getService } from '../utils/get-service';
import { respond } from '../utils/respond';
import { adminActor } from '../utils/actor';

/** The plugin's invoice editor and invoice actions (RBAC in routes/admin). */
export default ({ strapi }: { strapi: Core.Strapi }) => {
  const editor = () => getService(strapi, 'invoice-editor');
  return {
    async form(ctx: Context) {
      await respond(ctx, async () => ({ data: await editor().form(ctx.params.id) }));
    },
    async clients(ctx: Context) {
      await respond(ctx, async () => editor().searchClients(ctx.query));
    },
    async create(ctx: Context) {
      await respond(ctx, async () => {
        const data = await editor().create(ctx.request.body, adminActor(ctx));
        ctx.status = 201;
        return { data };
      });
    },
    async update(ctx: Context) {
      await respond(ctx, async () => ({
        data: await editor().update(ctx.params.id, ctx.request.body, adminActor(ctx)),
      }));
    },
    async markSent(ctx: Context) {
      await respond(ctx, async () => ({ data: await editor().markSent(ctx.params.id, adminActor(ctx)) }));
    },
    async void(ctx: Context) {
      await respond(ctx, async () => ({ data: await editor().void(ctx.params.id, ctx.request.body, adminActor(ctx)) }));
    },
    async duplicate(ctx: Context) {
      await respond(ctx, async () => {
        const data = await editor().duplicate(ctx.params.id, adminActor(ctx));
        ctx.status = 201;
        return { data };
      });
    },
    async linkCopied(ctx: Context) {
      await respond(ctx, async () => ({ data: await editor().linkCopied(ctx.params.id, adminActor(ctx)) }));
    },
  };
};
