import type { Core } from '@strapi/strapi';
import type { Context } from 'koa';
import { getService } from '../utils/get-service';
import { respond } from '../utils/respond';
import { notFound, reasonOf } from '../utils/errors';
import { currentUserId } from '../utils/client';
import { isAssetName, loadAsset } from '../pages/assets';
import {
  customerDocument,
  errorDocument,
  portalDocument,
  invoiceDocument,
  notFoundDocument,
  resultDocument,
} from '../pages/documents';
import { PLAIN_PAGE_CSP, setPageHeaders, stripePageCsp } from '../pages/security';
import { stripeJsUrl } from '../pages/stripe-js';
import type { PluginConfig } from '../config';
import { asLanguage, resolveLocale } from '../i18n';
import type { LocaleRequest } from '../services/pages';
import type { DocumentLinks } from '../pages/view';
import type { Actor } from '../services/settings';
import { PLUGIN_ID } from '../utils/plugin-id';
import { translator } from '../i18n';
import { livePublishableKeyProblem } from '../utils/stripe-overrides';

/** What a request says about the client's language: `?lang=xx` (wins) and Accept-Language. */
export function localeRequest(ctx: Context): LocaleRequest {
  return {
    lang: typeof ctx.query.lang === 'string' ? ctx.query.lang.slice(0, 16) : null,
    acceptLanguage: ctx.get('accept-language') || null,
  };
}

/**
 * The downloads of a page whose language `?lang=` chose: the same `?lang=` on each, so the PDF
 * speaks the page's language rather than the invoice's own.
 */
function linksInPageLanguage(links: DocumentLinks, ctx: Context): DocumentLinks {
  const lang = asLanguage(localeRequest(ctx).lang);
  if (!lang) return links;
  const q = `?lang=${lang}`;
  return { ...links, pdf: `${links.pdf}${q}`, receipts: links.receipts.map((r) => ({ ...r, file: `${r.file}${q}` })) };
}

/**
 * Client pay pages (HTML, public: the pay-link token or the session id is the key) and their JSON
 * twins for sites with their own front end. Pages never show a stack trace: anything unexpected
 * is logged without the URL (it may hold a token) and answered with a friendly page.
 */
export default ({ strapi }: { strapi: Core.Strapi }) => {
  const pages = () => getService(strapi, 'pages');
  const api = () => `${strapi.config.get<string>('api.rest.prefix', '/api')}/${PLUGIN_ID}`;
  let warnedLiveJs = false;
  /**
   * A replacement Stripe.js (stripe.jsUrl / STRIPE_JS_URL: tests and the offline demo), or null.
   * Never with a live publishable key: then the page loads Stripe's own Stripe.js under the
   * production CSP, whatever the configuration says (utils/stripe-overrides.ts).
   */
  const stripeJs = (publishableKey: string | null | undefined): string | null => {
    const url = stripeJsUrl(strapi.config.get<PluginConfig>(`plugin::${PLUGIN_ID}`));
    const problem = livePublishableKeyProblem(url, publishableKey);
    if (!problem) return url;
    if (!warnedLiveJs) strapi.log.error(`[invoice-payments] ${problem} The pay pages use js.stripe.com.`);
    warnedLiveJs = true;
    return null;
  };
  const request = localeRequest;
  /** Pages that name no invoice (not found, errors): the request's language, else the site default. */
  const pageLanguage = async (ctx: Context) => (await pages().clientLocale(null, request(ctx))).language;
  const noPayment = async (ctx: Context) => {
    const language = await pageLanguage(ctx);
    return notFoundDocument(language, translator(language)('page.noPayment'));
  };
  const actor = (ctx: Context, label: string, id?: number): Actor => ({
    type: 'client',
    label,
    ip: ctx.request.ip,
    ...(id === undefined ? {} : { id }),
  });

  function html(ctx: Context, status: number, body: string, csp = PLAIN_PAGE_CSP): void {
    setPageHeaders(ctx, csp);
    ctx.status = status;
    ctx.body = body;
  }

  async function page(ctx: Context, name: string, run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (error) {
      strapi.log.error(`[invoice-payments] the ${name} page failed: ${reasonOf(error)}`);
      const language = await pageLanguage(ctx).catch(() => resolveLocale(localeRequest(ctx).lang));
      html(ctx, 500, errorDocument(language));
    }
  }

  return {
    /** GET /invoice-payments/pay/:token: the invoice behind a pay link. */
    async payPage(ctx: Context) {
      await page(ctx, 'pay link', async () => {
        const token = String(ctx.params.token ?? '');
        const found = await pages().findByToken(token);
        if (!found) return html(ctx, 404, notFoundDocument(await pageLanguage(ctx)));
        const invoice = await pages().markViewed(found, actor(ctx, 'pay link'));
        const locale = await pages().clientLocale(invoice, request(ctx));
        const view = await pages().buildView(invoice, locale);
        view.documents = linksInPageLanguage(await getService(strapi, 'documents').tokenLinks(invoice, locale), ctx);
        // Stripe.js is allowed only where it can be used: pages with a Pay button.
        const js = stripeJs(view.pay?.publishableKey);
        html(ctx, 200, invoiceDocument(view, token, api(), js), view.pay ? stripePageCsp(js) : PLAIN_PAGE_CSP);
      });
    },

    /**
     * GET /invoice-payments/pay/invoice/:id: the logged-in client's page; its script loads the invoice with
     * their JWT.
     */
    async customerPage(ctx: Context) {
      await page(ctx, 'customer invoice', async () => {
        const documentId = String(ctx.params.id ?? '');
        const language = await pageLanguage(ctx);
        if (!/^[a-z0-9]{10,40}$/.test(documentId)) return html(ctx, 404, notFoundDocument(language));
        const js = stripeJs((await getService(strapi, 'settings').load()).publishableKey);
        html(ctx, 200, customerDocument(documentId, api(), js, language), stripePageCsp(js));
      });
    },

    /** GET /invoice-payments/portal: the logged-in client's invoices (the JWT comes in the fragment). */
    async portalPage(ctx: Context) {
      await page(ctx, 'client portal', async () => {
        const js = stripeJs((await getService(strapi, 'settings').load()).publishableKey);
        // No invoice to take a language from: ?lang=, Accept-Language, the site's default.
        const locale = await pages().clientLocale(null, request(ctx));
        html(ctx, 200, portalDocument(api(), js, locale), stripePageCsp(js));
      });
    },

    /** GET /invoice-payments/pay/success?session_id=cs_...: asks Stripe, shows number and status only. */
    async checkoutSuccess(ctx: Context) {
      await page(ctx, 'checkout success', async () => {
        const sessionId = typeof ctx.query.session_id === 'string' ? ctx.query.session_id : '';
        const result = await pages().checkoutResult(sessionId, actor(ctx, 'checkout return'), request(ctx));
        if (!result) return html(ctx, 404, await noPayment(ctx));
        html(ctx, 200, resultDocument(result, api()));
      });
    },

    /**
     * GET /invoice-payments/pay/return?invoice=<documentId>&payment_intent=pi_...: back from a bank
     * redirect (iDEAL, Bancontact) or 3-D Secure page. The provider appends `payment_intent`,
     * `payment_intent_client_secret` and `redirect_status`
     * (https://docs.stripe.com/payments/ideal/accept-a-payment, "Handle the redirect"); only the id is
     * used, as a question: the answer is read from the provider and settled like a webhook.
     */
    async paymentReturn(ctx: Context) {
      await page(ctx, 'payment return', async () => {
        const documentId = typeof ctx.query.invoice === 'string' ? ctx.query.invoice : '';
        const paymentId = typeof ctx.query.payment_intent === 'string' ? ctx.query.payment_intent : '';
        const result = await pages().paymentResult(documentId, paymentId, actor(ctx, 'payment return'), request(ctx));
        if (!result) return html(ctx, 404, await noPayment(ctx));
        html(ctx, 200, resultDocument(result, api()));
      });
    },

    /** GET /invoice-payments/pay/cancel?invoice=<documentId>: left Checkout without paying. */
    async checkoutCancel(ctx: Context) {
      await page(ctx, 'checkout cancel', async () => {
        const documentId = typeof ctx.query.invoice === 'string' ? ctx.query.invoice : '';
        const result = await pages().cancelResult(documentId, request(ctx));
        if (!result) return html(ctx, 404, notFoundDocument(await pageLanguage(ctx)));
        html(ctx, 200, resultDocument(result, api()));
      });
    },

    /** GET /invoice-payments/pay/assets/:file: the pages' script and stylesheet. */
    async asset(ctx: Context) {
      const name = String(ctx.params.file ?? '');
      const asset = isAssetName(name) ? loadAsset(name) : null;
      if (!asset) {
        ctx.status = 404;
        ctx.type = 'text/plain';
        ctx.body = 'Not found';
        return;
      }
      const etag = `"${asset.hash}"`;
      // Versioned URLs (?v=<hash>, what the pages link) never change: cache them for a year.
      ctx.set('Cache-Control', ctx.query.v === asset.hash ? 'public, max-age=31536000, immutable' : 'no-cache');
      ctx.set('ETag', etag);
      ctx.set('Vary', 'Accept-Encoding');
      ctx.set('X-Content-Type-Options', 'nosniff');
      ctx.type = asset.type;
      if (ctx.get('if-none-match') === etag) {
        ctx.status = 304;
        return;
      }
      if (asset.gzip && ctx.acceptsEncodings('gzip', 'identity') === 'gzip') {
        ctx.set('Content-Encoding', 'gzip');
        ctx.body = asset.gzip;
      } else {
        ctx.body = asset.body;
      }
    },

    /** GET /api/invoice-payments/pay/:token: the same view as the pay page, as JSON. */
    async viewByToken(ctx: Context) {
      await respond(ctx, async () => {
        const token = String(ctx.params.token ?? '');
        const found = await pages().findByToken(token);
        if (!found) throw notFound('Invoice not found.');
        const invoice = await pages().markViewed(found, actor(ctx, 'pay link'));
        ctx.set('Cache-Control', 'no-store');
        const locale = await pages().clientLocale(invoice, request(ctx));
        const view = await pages().buildView(invoice, locale);
        view.documents = linksInPageLanguage(await getService(strapi, 'documents').tokenLinks(invoice, locale), ctx);
        return { data: view };
      });
    },

    /** GET /api/invoice-payments/invoices/:id with the customer's users-permissions JWT. */
    async viewForCustomer(ctx: Context) {
      await respond(ctx, async () => {
        const userId = await currentUserId(strapi, ctx);
        const found = userId === null ? null : await pages().findForCustomer(String(ctx.params.id ?? ''), userId);
        if (!found || userId === null) throw notFound('Invoice not found.');
        const invoice = await pages().markViewed(found, actor(ctx, 'customer', userId));
        ctx.set('Cache-Control', 'no-store');
        return { data: await pages().buildView(invoice, request(ctx), true) };
      });
    },
  };
};
