import type { Core } from '@strapi/strapi';
import type { Context } from 'koa';
import { getService } from '../utils/get-service';
import { respond } from '../utils/respond';
import { clientInvoice } from '../utils/client';

/** Client routes: the payer holds the pay-link token or is the invoice's customer. */
export default ({ strapi }: { strapi: Core.Strapi }) => ({
  async paymentIntent(ctx: Context) {
    await respond(ctx, async () => {
      const { invoice, actor } = await clientInvoice(strapi, ctx);
      const body = (ctx.request.body ?? {}) as { amount?: unknown };
      return { data: await getService(strapi, 'payments').createIntent(invoice.documentId, body, actor) };
    });
  },
  async confirmPayment(ctx: Context) {
    await respond(ctx, async () => {
      const { invoice, actor } = await clientInvoice(strapi, ctx);
      const body = (ctx.request.body ?? {}) as { providerPaymentId?: unknown; paymentIntentId?: unknown };
      // `paymentIntentId` was this field's name before the provider-neutral rename:
      // pages built against it keep working.
      const id = body.providerPaymentId ?? body.paymentIntentId;
      return { data: await getService(strapi, 'payments').confirm(invoice, id, actor) };
    });
  },
  async checkoutSession(ctx: Context) {
    await respond(ctx, async () => {
      const { invoice, actor } = await clientInvoice(strapi, ctx);
      const body = (ctx.request.body ?? {}) as { uiMode?: unknown; language?: unknown };
      // The page's language (sent by its script), else the invoice's, the browser's, the default.
      const locale = await getService(strapi, 'pages').clientLocale(invoice as { language?: string | null }, {
        lang: typeof body.language === 'string' ? body.language : null,
        acceptLanguage: ctx.get('accept-language') || null,
      });
      return {
        data: await getService(strapi, 'payments').createCheckout(invoice.documentId, body.uiMode, actor, locale),
      };
    });
  },
});
