import type { Core } from '@strapi/strapi';
import type { Context } from 'koa';
import { getService } from '../utils/get-service';
import { respond } from '../utils/respond';
import { notFound, reasonOf } from '../utils/errors';
import { currentUserId } from '../utils/client';
import { notFoundDocument, errorDocument } from '../pages/documents';
import { PLAIN_PAGE_CSP, setPageHeaders } from '../pages/security';
import type { ClientInvoiceRow, LocaleRequest } from '../services/pages';
import { localeRequest } from './pages';
import { UID } from '../utils/plugin-id';

/**
 * Invoice PDFs and receipts. Each route authorises exactly as the page or API it belongs to:
 * the pay-link token (pay page), the invoice's own customer (JWT), an admin with the payments
 * read permission. Anyone else gets the same 404 as for a missing invoice: nothing says whether
 * it exists, and no PDF of another client's invoice is ever produced.
 */
export default ({ strapi }: { strapi: Core.Strapi }) => {
  const docs = () => getService(strapi, 'documents');
  const pages = () => getService(strapi, 'pages');
  /** The client's routes: `?lang=` and Accept-Language count (after the invoice's own language). */
  const locale = (ctx: Context): LocaleRequest => localeRequest(ctx);
  /**
   * The admin's downloads: the document the client gets (the invoice's language, else the site
   * default), whatever the admin's browser speaks; `?lang=` still picks another.
   */
  const adminLocale = (ctx: Context): LocaleRequest => ({ lang: localeRequest(ctx).lang });

  function sendPdf(ctx: Context, file: { pdf: Buffer; fileName: string }, inline: boolean): void {
    ctx.set('Content-Disposition', `${inline ? 'inline' : 'attachment'}; filename="${file.fileName}"`);
    // A client's invoice: never kept by shared caches, never sent on as a Referer.
    ctx.set('Cache-Control', 'private, no-store');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('X-Robots-Tag', 'noindex, nofollow');
    ctx.type = 'application/pdf';
    ctx.status = 200;
    ctx.body = file.pdf;
  }

  function page(ctx: Context, status: number, body: string): void {
    setPageHeaders(ctx, PLAIN_PAGE_CSP);
    ctx.status = status;
    ctx.body = body;
  }

  /** Pay-link routes answer like the pay page: a friendly HTML page, never a stack. */
  async function byToken(ctx: Context, name: string, run: (invoice: ClientInvoiceRow) => Promise<boolean>) {
    try {
      const invoice = await pages().findByToken(String(ctx.params.token ?? ''));
      if (!invoice || !(await run(invoice))) return page(ctx, 404, notFoundDocument());
    } catch (error) {
      strapi.log.error(`[invoice-payments] the ${name} failed: ${reasonOf(error)}`);
      page(ctx, 500, errorDocument());
    }
  }

  const inline = (ctx: Context) => ctx.query.inline === '1';
  const paymentParam = (ctx: Context) => String(ctx.params.payment ?? '').replace(/\.pdf$/, '');

  return {
    /** GET /invoice-payments/pay/:token/invoice.pdf */
    async payInvoicePdf(ctx: Context) {
      await byToken(ctx, 'invoice PDF', async (invoice) => {
        sendPdf(ctx, await docs().invoicePdf(invoice, locale(ctx)), inline(ctx));
        return true;
      });
    },

    /** GET /invoice-payments/pay/:token/receipts/:payment(.pdf): one received payment of that invoice. */
    async payReceiptPdf(ctx: Context) {
      await byToken(ctx, 'receipt PDF', async (invoice) => {
        const file = await docs().receiptPdf(invoice, paymentParam(ctx), locale(ctx));
        if (!file) return false;
        sendPdf(ctx, file, inline(ctx));
        return true;
      });
    },

    /** GET /api/invoice-payments/invoices/:id/pdf with the customer's users-permissions JWT. */
    async customerInvoicePdf(ctx: Context) {
      await respond(ctx, async () => {
        const userId = await currentUserId(strapi, ctx);
        const invoice = userId === null ? null : await pages().findForCustomer(String(ctx.params.id ?? ''), userId);
        if (!invoice) throw notFound('Invoice not found.');
        sendPdf(ctx, await docs().invoicePdf(invoice, locale(ctx)), false);
        return undefined;
      });
    },

    /** GET /api/invoice-payments/invoices/:id/receipts/:payment with the customer's JWT. */
    async customerReceiptPdf(ctx: Context) {
      await respond(ctx, async () => {
        const userId = await currentUserId(strapi, ctx);
        const invoice = userId === null ? null : await pages().findForCustomer(String(ctx.params.id ?? ''), userId);
        const file = invoice ? await docs().receiptPdf(invoice, paymentParam(ctx), locale(ctx)) : null;
        if (!file) throw notFound('Receipt not found.');
        sendPdf(ctx, file, false);
        return undefined;
      });
    },

    /** GET /invoice-payments/invoices/:id/pdf (admin, payments read). */
    async adminInvoicePdf(ctx: Context) {
      await respond(ctx, async () => {
        const documentId = String(ctx.params.id ?? '');
        const invoice = /^[a-z0-9]{10,40}$/.test(documentId)
          ? ((await strapi.db.query(UID.invoice).findOne({ where: { documentId } })) as ClientInvoiceRow | null)
          : null;
        if (!invoice) throw notFound('Invoice not found.');
        sendPdf(ctx, await docs().invoicePdf(invoice, adminLocale(ctx)), false);
        return undefined;
      });
    },

    /** GET /invoice-payments/invoices/:id/receipts/:payment (admin, payments read). */
    async adminReceiptPdf(ctx: Context) {
      await respond(ctx, async () => {
        const documentId = String(ctx.params.id ?? '');
        const invoice = /^[a-z0-9]{10,40}$/.test(documentId)
          ? ((await strapi.db.query(UID.invoice).findOne({ where: { documentId } })) as ClientInvoiceRow | null)
          : null;
        const file = invoice ? await docs().receiptPdf(invoice, paymentParam(ctx), adminLocale(ctx)) : null;
        if (!file) throw notFound('Receipt not found.');
        sendPdf(ctx, file, false);
        return undefined;
      });
    },

    /**
     * GET /invoice-payments/pay/brand/:file: the seller's logo and accent colour for the pay pages,
     * served from here so the pages' CSP stays 'self' (the media library may be on another host).
     */
    async brandAsset(ctx: Context) {
      const file = String(ctx.params.file ?? '');
      const brand = await getService(strapi, 'branding').current();
      ctx.set('X-Content-Type-Options', 'nosniff');
      // Versioned URLs (?v=...) change with the brand; the rest is revalidated.
      ctx.set('Cache-Control', ctx.query.v ? 'public, max-age=86400' : 'no-cache');
      if (file === 'logo' && brand.logo) {
        ctx.type = brand.logo.mime;
        ctx.body = brand.logo.bytes;
        return;
      }
      if (file === 'style.css') {
        ctx.type = 'text/css';
        ctx.body = brand.accentColor ? brandCss(brand.accentColor) : '';
        return;
      }
      ctx.status = 404;
      ctx.type = 'text/plain';
      ctx.body = 'Not found';
    },
  };
};

/** The accent colour on the pay pages (a stylesheet: the CSP allows no inline style). */
export function brandCss(accent: string): string {
  // `accent` is a validated #rrggbb (settings-branding.ts).
  return `:root{--accent:${accent}}\n.sheet{border-top:4px solid var(--accent)}\n.seller-name,.eyebrow{color:var(--accent)}\n`;
}
