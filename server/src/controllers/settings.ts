import type { Core } from '@strapi/strapi';
import type { Context } from 'koa';
import { getService } from '../utils/get-service';
import { respond } from '../utils/respond';
import { adminActor } from '../utils/actor';

export default ({ strapi }: { strapi: Core.Strapi }) => ({
  async get(ctx: Context) {
    await respond(ctx, async () => ({ data: await getService(strapi, 'settings').get() }));
  },
  async update(ctx: Context) {
    await respond(ctx, async () => ({
      data: await getService(strapi, 'settings').update(ctx.request.body, adminActor(ctx)),
    }));
  },
  async testConnection(ctx: Context) {
    await respond(ctx, async () => ({ data: await getService(strapi, 'settings').testConnection() }));
  },
  async disconnect(ctx: Context) {
    await respond(ctx, async () => ({ data: await getService(strapi, 'settings').disconnect(adminActor(ctx)) }));
  },
});
