import type { Core } from '@strapi/strapi';
import type { Context } from 'koa';
import { getService } from '../utils/get-service';
import { respond } from '../utils/respond';
import { adminActor } from '../utils/actor';

/** Settings → Payment methods: the payment method configuration and the wallet domain (services/payment-methods). */
export default ({ strapi }: { strapi: Core.Strapi }) => ({
  async get(ctx: Context) {
    await respond(ctx, async () => ({ data: await getService(strapi, 'payment-methods').get() }));
  },
  async choose(ctx: Context) {
    await respond(ctx, async () => ({
      data: await getService(strapi, 'payment-methods').choose(ctx.request.body, adminActor(ctx)),
    }));
  },
  async domain(ctx: Context) {
    await respond(ctx, async () => ({ data: await getService(strapi, 'payment-methods').domain() }));
  },
  async registerDomain(ctx: Context) {
    await respond(ctx, async () => ({
      data: await getService(strapi, 'payment-methods').registerDomain(adminActor(ctx)),
    }));
  },
});
