/**
 * Whole HTML documents of the pay pages (server only). The invoice markup itself comes from
 * render.ts, shared with the browser bundle. No inline script or style: the CSP forbids both.
 */
import { clientMessages, PORTAL_KEY_PREFIXES, translator, type ClientLocale, type Language } from '../i18n';
import { assetUrl } from './assets';
import { badge, esc, payLinkBase, renderInvoice, renderSeller, renderSellerFooter } from './render';
import { PAGE_DATA_ID, type InvoiceView, type PageData, type ResultView } from './view';

type PageKind =
  | { page: 'invoice'; view: InvoiceView; auth: { token: string } }
  | { page: 'customer'; documentId: string }
  | { page: 'result'; documentId: string }
  | { page: 'portal' };

/** JSON inside <script type="application/json">: `<` escaped so no `</script>` can close it early. */
function dataBlock(data: PageData): string {
  const json = JSON.stringify(data)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
  return `<script type="application/json" id="${PAGE_DATA_ID}">${json}</script>`;
}

function documentHtml(opts: {
  language: Language;
  title: string;
  body: string;
  data?: PageKind & { api: string; stripeJsUrl?: string };
  mainClass?: string;
  labelledBy?: string;
  /** The seller's accent colour stylesheet (services/pages sellerView), after ours. */
  styleUrl?: string | null;
  /** The Intl locale of the script's numbers and dates (pages that format them themselves). */
  intl?: string;
}): string {
  const data: PageData | null = opts.data
    ? {
        ...opts.data,
        language: opts.language,
        ...(opts.intl ? { intl: opts.intl } : {}),
        messages: clientMessages(opts.language, opts.data.page === 'portal' ? PORTAL_KEY_PREFIXES : []),
      }
    : null;
  const script = data ? `${dataBlock(data)}\n<script src="${esc(assetUrl('pay.js'))}" defer></script>` : '';
  return `<!doctype html>
<html lang="${esc(opts.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${esc(opts.title)}</title>
<link rel="stylesheet" href="${esc(assetUrl('pay.css'))}">${opts.styleUrl ? `\n<link rel="stylesheet" href="${esc(opts.styleUrl)}">` : ''}
</head>
<body>
<main id="invoice" class="${esc(opts.mainClass ?? 'sheet')}"${opts.labelledBy ? ` aria-labelledby="${esc(opts.labelledBy)}"` : ''}>
${opts.body}
</main>
${script}
</body>
</html>
`;
}

/** `stripeJsUrl`: a replacement Stripe.js (stripe.jsUrl, tests and demos only), or null for Stripe's. */
function stripeJs(stripeJsUrl: string | null): { stripeJsUrl?: string } {
  return stripeJsUrl ? { stripeJsUrl } : {};
}

export function invoiceDocument(
  view: InvoiceView,
  token: string,
  api: string,
  stripeJsUrl: string | null = null,
): string {
  const t = translator(view.language);
  return documentHtml({
    language: view.language,
    title: t('page.invoiceNumber', { number: view.number }),
    body: renderInvoice(view, t, { linkBase: payLinkBase(token) }),
    // Stripe.js is only ever loaded where there is a Pay button.
    data: { page: 'invoice', view, auth: { token }, api, ...stripeJs(view.pay ? stripeJsUrl : null) },
    mainClass: 'sheet invoice',
    labelledBy: 'invoice-title',
    styleUrl: view.seller?.styleUrl ?? null,
  });
}

/**
 * The logged-in client's page: rendered by the script from the JSON API with their JWT. Its
 * language is the browser's until the invoice (and its own language) has loaded.
 */
export function customerDocument(
  documentId: string,
  api: string,
  stripeJsUrl: string | null = null,
  language: Language = 'en',
): string {
  return documentHtml({
    language,
    title: translator(language)('page.invoice'),
    body: `<p class="muted" id="customer-loading" role="status">${esc(translator(language)('customer.loading'))}</p>`,
    // Whether it can pay is known only once the script has loaded the invoice.
    data: { page: 'customer', documentId, api, ...stripeJs(stripeJsUrl) },
    mainClass: 'sheet invoice',
    labelledBy: 'invoice-title',
  });
}

/**
 * The client portal (/invoice-payments/portal): every invoice of the logged-in client, rendered by
 * the script from the portal API with their JWT (taken from the fragment, like the customer page).
 * No invoice to take a language from: the request's (`?lang=`, Accept-Language), else the site's.
 */
export function portalDocument(
  api: string,
  stripeJsUrl: string | null = null,
  locale: ClientLocale = { language: 'en', intl: 'en-US' },
): string {
  const t = translator(locale.language);
  return documentHtml({
    language: locale.language,
    intl: locale.intl,
    title: t('portal.title'),
    body: `<p class="muted" id="portal-loading" role="status">${esc(t('portal.loading'))}</p>`,
    data: { page: 'portal', api, ...stripeJs(stripeJsUrl) },
    mainClass: 'sheet portal',
    labelledBy: 'portal-title',
  });
}

export function resultDocument(result: ResultView, api: string): string {
  const t = translator(result.language);
  return documentHtml({
    language: result.language,
    title: t('result.title', { headline: result.headline, number: result.number }),
    body: `${renderSeller(result, t)}<header class="inv-head">
<div><p class="eyebrow">${esc(t('page.invoice'))} <span class="inv-number">${esc(result.number)}</span></p><h1 id="result-title">${esc(result.headline)}</h1></div>
${badge(result.state, result.stateLabel, t, 'invoice-status')}
</header>
<p class="message message-${esc(result.tone)}" id="result-message"${result.paymentState ? ` data-payment-state="${esc(result.paymentState)}"` : ''}>${esc(result.message)}</p>
${result.receiptUrl ? `<p><a href="${esc(result.receiptUrl)}" id="receipt-link" class="download-link" download>${esc(t('result.downloadReceipt'))}</a></p>\n` : ''}<p id="return-link" hidden><a href="#">${esc(t('result.return'))}</a></p>
${renderSellerFooter(result)}`,
    data: { page: 'result', documentId: result.documentId, api },
    labelledBy: 'result-title',
    styleUrl: result.seller?.styleUrl ?? null,
  });
}

/** A friendly page for unknown, replaced or malformed links: nothing about why, no stack. */
export function notFoundDocument(language: Language = 'en', message?: string): string {
  const t = translator(language);
  return documentHtml({
    language,
    title: t('page.notFoundTitle'),
    body: `<h1 id="nf-title">${esc(t('page.notFoundHeading'))}</h1>\n<p>${esc(message ?? t('page.notFoundText'))}</p>`,
    labelledBy: 'nf-title',
  });
}

export function errorDocument(language: Language = 'en'): string {
  const t = translator(language);
  return documentHtml({
    language,
    title: t('page.errorTitle'),
    body: `<h1 id="err-title">${esc(t('page.errorTitle'))}</h1>\n<p>${esc(t('page.errorText'))}</p>`,
    labelledBy: 'err-title',
  });
}
