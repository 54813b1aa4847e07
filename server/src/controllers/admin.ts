import type { Core } from '@strapi/strapi';
import type { Context } from 'koa';
import { z } from 'zod';
import { getService } from '../utils/get-service';
import { respond } from '../utils/respond';
import { adminActor } from '../utils/actor';
import { listEvents } from '../services/admin/event-log';

// List filters: a value of the wrong shape (an array, a long string, "abc" for a page) is ignored, as
// an unknown filter is, so a hand-edited URL still lists something.
const filter = z.string().max(100).optional().catch(undefined);
const count = z
  .string()
  .regex(/^\d{1,6}$/)
  .transform(Number)
  .optional()
  .catch(undefined);
const eventsQuery = z.object({ status: filter, type: filter, provider: filter, page: count, pageSize: count });
const auditQuery = z.object({ invoice: filter, actorType: filter, action: filter, page: count, pageSize: count });

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
        return {
          data: {
            mode: view.mode,
            connection: { status: view.connection.status, accountId: view.connection.accountId },
          },
        };
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
      await respond(ctx, async () => ({
        data: await admin().voidManualPayment(
          ctx.params.paymentId,
          ctx.request.body as { reason?: unknown },
          adminActor(ctx),
        ),
      }));
    },
    async refund(ctx: Context) {
      await respond(ctx, async () => ({
        data: await admin().refund(ctx.params.paymentId, ctx.request.body, adminActor(ctx)),
      }));
    },
    async reminders(ctx: Context) {
      await respond(ctx, async () => ({ data: await getService(strapi, 'reminders').forInvoice(ctx.params.id) }));
    },
    async setReminders(ctx: Context) {
      await respond(ctx, async () => ({
        data: await getService(strapi, 'reminders').setEnabled(ctx.params.id, ctx.request.body, adminActor(ctx)),
      }));
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
      await respond(ctx, async () => listEvents(strapi, eventsQuery.parse(ctx.query)));
    },
    async eventsHealth(ctx: Context) {
      await respond(ctx, async () => {
        const [health, apiVersions] = await Promise.all([
          getService(strapi, 'webhook-events').health(),
          getService(strapi, 'api-versions').report(),
        ]);
        return { data: { ...health, apiVersions } };
      });
    },
    async replayEvent(ctx: Context) {
      await respond(ctx, async () => ({
        data: await getService(strapi, 'webhook-events').replay(ctx.params.id, adminActor(ctx)),
      }));
    },
    async listAudit(ctx: Context) {
      await respond(ctx, async () => getService(strapi, 'audit').list(auditQuery.parse(ctx.query)));
    },
  };
};
