import type { Core } from '@strapi/strapi';
import type { Context } from 'koa';
import { getService } from '../utils/get-service';
import { respond } from '../utils/respond';
import { adminActor } from '../utils/actor';

const int = (v: unknown) => (typeof v === 'string' && /^\d{1,6}$/.test(v) ? Number(v) : undefined);
const str = (v: unknown) => (typeof v === 'string' && v.length <= 100 ? v : undefined);

/** A CSV download: streamed as it is read, never cached (it holds client names and amounts). */
function sendCsv(ctx: Context, csv: { filename: string; stream: NodeJS.ReadableStream }): undefined {
  ctx.set('Content-Disposition', `attachment; filename="${csv.filename}"`);
  ctx.set('Cache-Control', 'no-store');
  ctx.type = 'text/csv; charset=utf-8';
  ctx.body = csv.stream;
  return undefined;
}

/** Admin routes for invoices, payments, webhook deliveries and the audit log (RBAC in routes/admin). */
export default ({ strapi }: { strapi: Core.Strapi }) => {
  const admin = () => getService(strapi, 'admin-payments');
  return {
    /** What the plugin's home header needs (TEST MODE badge, connected or not), never a key. */
    async status(ctx: Context) {
      await respond(ctx, async () => {
        const view = await getService(strapi, 'settings').get();
        return { data: { mode: view.mode, connection: { status: view.connection.status, accountId: view.connection.accountId } } };
      });
    },
    async dashboard(ctx: Context) {
      await respond(ctx, async () => ({ data: await getService(strapi, 'reports').dashboard() }));
    },
    async exportInvoices(ctx: Context) {
      await respond(ctx, async () => sendCsv(ctx, getService(strapi, 'reports').exportInvoices(ctx.query)));
    },
    async exportPayments(ctx: Context) {
      await respond(ctx, async () => sendCsv(ctx, getService(strapi, 'reports').exportPayments(ctx.query)));
    },
    async listInvoices(ctx: Context) {
      await respond(ctx, async () => admin().listInvoices(ctx.query));
    },
    async getInvoice(ctx: Context) {
      await respond(ctx, async () => ({ data: await admin().getInvoice(ctx.params.id) }));
    },
    async recordManualPayment(ctx: Context) {
      await respond(ctx, async () => {
        ctx.status = 201;
        return { data: await admin().recordManualPayment(ctx.params.id, ctx.request.body, adminActor(ctx)) };
      });
    },
    async voidManualPayment(ctx: Context) {
      await respond(ctx, async () => ({ data: await admin().voidManualPayment(ctx.params.paymentId, ctx.request.body as { reason?: unknown }, adminActor(ctx)) }));
    },
    async refund(ctx: Context) {
      await respond(ctx, async () => ({ data: await admin().refund(ctx.params.paymentId, ctx.request.body, adminActor(ctx)) }));
    },
    async resync(ctx: Context) {
      await respond(ctx, async () => ({ data: await admin().resync(ctx.params.id, adminActor(ctx)) }));
    },
    async send(ctx: Context) {
      await respond(ctx, async () => ({ data: await admin().send(ctx.params.id, adminActor(ctx)) }));
    },
    async regeneratePayLink(ctx: Context) {
      await respond(ctx, async () => ({ data: await admin().regeneratePayLink(ctx.params.id, adminActor(ctx)) }));
    },
    async listEvents(ctx: Context) {
      await respond(ctx, async () => getService(strapi, 'webhook-events').list({ status: str(ctx.query.status), type: str(ctx.query.type), page: int(ctx.query.page), pageSize: int(ctx.query.pageSize) }));
    },
    async eventsHealth(ctx: Context) {
      await respond(ctx, async () => ({ data: await getService(strapi, 'webhook-events').health() }));
    },
    async replayEvent(ctx: Context) {
      await respond(ctx, async () => ({ data: await getService(strapi, 'webhook-events').replay(ctx.params.id, adminActor(ctx)) }));
    },
    async listAudit(ctx: Context) {
      await respond(ctx, async () =>
        getService(strapi, 'audit').list({ invoice: str(ctx.query.invoice), actorType: str(ctx.query.actorType), action: str(ctx.query.action), page: int(ctx.query.page), pageSize: int(ctx.query.pageSize) }),
      );
    },
  };
};
