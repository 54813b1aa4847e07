/**
 * Invoice markup as strings, shared by the server (first render of the pay page) and the browser
 * bundle (the logged-in client's page, and the refresh after a payment), so both always show the
 * same thing. Every value goes through `esc`; nothing here touches the DOM or Node.
 */
import type { Translate } from '../i18n/messages';
import { PLUGIN_ID } from '../utils/plugin-id';
import type { ClientInvoiceStatus, InvoiceView } from './view';

/** Where a pay link's documents are: `DocumentLinks` paths are relative to this. */
export function payLinkBase(token: string): string {
  return `/${PLUGIN_ID}/pay/${encodeURIComponent(token)}/`;
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** HTML-escapes text for element content and quoted attribute values. */
export function esc(value: string | number | null | undefined): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** What the client reads for an invoice status (sent and viewed are both simply "Due"). */
export function statusLabel(status: ClientInvoiceStatus, t: Translate): string {
  switch (status) {
    case 'draft':
      return t('status.draft');
    case 'partially_paid':
      return t('status.partially_paid');
    case 'paid':
      return t('status.paid');
    case 'void':
      return t('status.void');
    default:
      return t('status.due');
  }
}

export function badge(status: ClientInvoiceStatus, label: string, t: Translate, id?: string): string {
  return `<span class="badge badge-${esc(status)}"${id ? ` id="${esc(id)}"` : ''}><span class="sr-only">${esc(t('status.label'))}</span>${esc(label)}</span>`;
}

function row(label: string, value: string | null, cls = ''): string {
  return value === null ? '' : `<div class="${cls}"><dt>${esc(label)}</dt><dd>${esc(value)}</dd></div>`;
}

export function payButtonLabel(amountFormatted: string, t: Translate): string {
  return t('page.pay', { amount: amountFormatted });
}

/** What a customer still has to do, from the provider-neutral next action (pay page and drawer). */
export interface NextStep {
  kind: 'authentication' | 'qr_code' | 'voucher' | 'bank_transfer' | 'verify_microdeposits' | 'other';
  url: string | null;
  expiresAt: number | null;
}

/** The sentence shown instead of "Payment successful" while a payment waits on the customer. */
export function nextStepText(step: NextStep, amountFormatted: string, t: Translate): string {
  const until = step.expiresAt
    ? t('step.before', { date: new Date(step.expiresAt * 1000).toISOString().slice(0, 10) })
    : '';
  const amount = amountFormatted;
  switch (step.kind) {
    case 'voucher':
      return t('step.voucher', { amount, until });
    case 'bank_transfer':
      return t('step.bankTransfer', { amount, until });
    case 'verify_microdeposits':
      return t('step.microdeposits');
    case 'authentication':
    case 'qr_code':
      return t('step.confirm');
    default:
      return t('step.other', { amount });
  }
}

/** The link under a next step's sentence. */
export function nextStepLinkText(step: NextStep, t: Translate): string {
  return step.kind === 'verify_microdeposits' ? t('step.verifyLink') : t('step.instructionsLink');
}

const multiline = (value: string) => esc(value).replace(/\r?\n/g, '<br>');

/** The seller's block at the top (Settings → Branding); nothing for the neutral look. */
export function renderSeller(v: { seller?: InvoiceView['seller'] }, t: Translate): string {
  const s = v.seller;
  if (!s || (!s.name && !s.address && !s.taxId && !s.logoUrl)) return '';
  const logo = s.logoUrl
    ? `<img class="seller-logo" src="${esc(s.logoUrl)}" alt="${esc(s.name ?? t('page.logo'))}">`
    : '';
  const lines = [
    s.name ? `<strong class="seller-name">${esc(s.name)}</strong>` : '',
    s.address ? `<span class="muted">${multiline(s.address)}</span>` : '',
    s.taxId ? `<span class="muted">${esc(t('page.taxId', { taxId: s.taxId }))}</span>` : '',
  ].filter(Boolean);
  return `<section class="seller" id="seller" aria-label="${esc(t('page.from'))}">${logo}<p class="seller-lines">${lines.join('<br>')}</p></section>\n`;
}

/** Downloads: the invoice PDF and a receipt per received payment (pay-link pages only). */
function renderDocuments(v: InvoiceView, linkBase: string | undefined, t: Translate): string {
  if (!v.documents || !linkBase) return '';
  const receipts = v.documents.receipts
    .map((r) => `<li><a href="${esc(linkBase + r.file)}" class="receipt-link" download>${esc(r.label)}</a></li>`)
    .join('');
  return `<section class="downloads" id="downloads" aria-label="${esc(t('page.downloads'))}">
<a href="${esc(linkBase + v.documents.pdf)}" id="download-pdf" class="download-link" download>${esc(t('page.downloadPdf'))}</a>
${receipts ? `<ul class="receipts" id="receipts">${receipts}</ul>` : ''}
</section>`;
}

/**
 * The invoice itself: header, parties, line items, totals, and the Pay button when payable.
 * `linkBase` (payLinkBase(token)): where the downloads are, on pages reached through the pay link.
 */
export function renderInvoice(v: InvoiceView, t: Translate, opts: { linkBase?: string } = {}): string {
  const col = {
    description: esc(t('page.description')),
    quantity: esc(t('page.quantity')),
    unitPrice: esc(t('page.unitPrice')),
    amount: esc(t('page.amount')),
  };
  const lines = v.lines
    .map(
      (l) =>
        `<tr><td data-label="${col.description}">${esc(l.description)}</td><td class="num" data-label="${col.quantity}">${esc(l.quantity)}</td><td class="num" data-label="${col.unitPrice}">${esc(l.unitAmount)}</td><td class="num" data-label="${col.amount}">${esc(l.amount)}</td></tr>`,
    )
    .join('');
  const billed =
    v.billingName || v.billingEmail
      ? `<div><dt>${esc(t('page.billedTo'))}</dt><dd>${esc(v.billingName)}${v.billingName && v.billingEmail ? '<br>' : ''}${v.billingEmail ? `<span class="muted">${esc(v.billingEmail)}</span>` : ''}</dd></div>`
      : '';
  const pay = v.pay
    ? `<div class="pay-area">
<button type="button" class="pay-button" id="pay-button" disabled>${esc(payButtonLabel(v.pay.amountFormatted, t))}</button>
${v.pay.feeFormatted ? `<p class="fee-note" id="fee-note">${esc(t('page.feeNote', { fee: v.pay.feeFormatted }))}</p>` : ''}
<noscript><p class="notice">${esc(t('page.noscript'))}</p></noscript>
<p class="message" id="page-message" role="alert" hidden></p>
</div>
<section id="checkout-embed" class="checkout-embed" aria-label="${esc(t('page.secureCheckout'))}" hidden></section>`
    : '';
  return `${renderSeller(v, t)}<header class="inv-head">
<div><p class="eyebrow">${esc(t('page.invoice'))}</p><h1 id="invoice-title" tabindex="-1">${esc(v.number)}</h1></div>
${badge(v.state, v.stateLabel, t, 'invoice-status')}
</header>
<dl class="meta">${billed}${row(t('page.issued'), v.issueDate)}${row(t('page.dueDate'), v.dueDate)}</dl>
<table class="lines">
<caption class="sr-only">${esc(t('page.lineItems'))}</caption>
<thead><tr><th scope="col">${col.description}</th><th scope="col" class="num">${col.quantity}</th><th scope="col" class="num">${col.unitPrice}</th><th scope="col" class="num">${col.amount}</th></tr></thead>
<tbody>${lines}</tbody>
</table>
<dl class="totals">${row(t('page.subtotal'), v.subtotal)}${row(t('page.discount'), v.discount)}${row(v.taxRate ? t('page.taxRate', { rate: v.taxRate }) : t('page.tax'), v.tax)}${row(t('page.total'), v.total, 'total')}${row(t('page.paid'), v.amountPaid)}${row(t('page.refunded'), v.amountRefunded)}${row(t('page.balanceDue'), v.balanceDue, 'balance')}</dl>
${v.notes ? `<section class="notes" aria-label="${esc(t('page.notes'))}"><p>${esc(v.notes)}</p></section>` : ''}
${v.notice ? `<p class="notice" id="invoice-notice">${esc(v.notice)}</p>` : ''}
${v.pending ? `<p class="notice notice-pending" id="payment-pending" role="status">${esc(v.pending.text)}</p>` : ''}
${pay}
${renderDocuments(v, opts.linkBase, t)}
${renderSellerFooter(v)}`;
}

/** The seller's footer text (Settings → Branding), at the bottom of every branded page. */
export function renderSellerFooter(v: { seller?: InvoiceView['seller'] }): string {
  return v.seller?.footerText ? `<footer class="seller-footer">${multiline(v.seller.footerText)}</footer>` : '';
}

/**
 * The payment drawer (card payments): a modal dialog that slides in from the right. The Payment
 * Element mounts in #payment-element; the amount field exists only with partial payments on.
 */
export function renderDrawer(v: InvoiceView, t: Translate): string {
  const pay = v.pay!;
  const major = pay.partial
    ? `<div class="field">
<label for="pay-amount">${esc(t('drawer.amountToPay', { currency: v.currency }))}</label>
<input id="pay-amount" name="amount" inputmode="decimal" autocomplete="off" aria-describedby="pay-amount-hint pay-amount-error" required>
<p class="hint" id="pay-amount-hint">${esc(t('drawer.amountHint', { min: pay.partial.minFormatted, balance: v.balanceDue }))}</p>
<p class="field-error" id="pay-amount-error" hidden></p>
</div>`
    : '';
  return `<div class="drawer-backdrop" id="drawer-backdrop" hidden></div>
<div class="drawer" id="drawer" role="dialog" aria-modal="true" aria-labelledby="drawer-title" aria-describedby="drawer-amount-line" hidden>
<header class="drawer-head">
<div><h2 id="drawer-title">${esc(t('page.invoiceNumber', { number: v.number }))}</h2>${v.billingName ? `<p class="muted">${esc(v.billingName)}</p>` : ''}</div>
<button type="button" class="icon-button" id="drawer-close" aria-label="${esc(t('drawer.close'))}">&times;</button>
</header>
<p class="amount-due" id="drawer-amount-line"><span class="label">${esc(t('drawer.amountDue'))}</span> <span class="big" id="drawer-amount">${esc(v.balanceDue)}</span></p>
<form id="pay-form" novalidate>
${major}
<div class="field">
<label for="pay-email">${esc(t('drawer.email'))}</label>
<input id="pay-email" name="email" type="email" autocomplete="email" value="${esc(v.billingEmail)}">
</div>
<p class="fee-line" id="fee-line" hidden></p>
<p class="muted" id="payment-element-loading" role="status">${esc(t('drawer.loading'))}</p>
<div class="payment-element" id="payment-element"></div>
${
  pay.canSaveMethod
    ? `<div class="field save-method"><label for="pay-save"><input id="pay-save" name="save" type="checkbox"> ${esc(t('drawer.save'))}</label>
<p class="hint" id="pay-save-hint">${esc(t('drawer.saveHint'))}</p></div>`
    : ''
}
<p class="message" id="pay-message" role="alert" hidden></p>
<button type="submit" class="pay-button wide" id="drawer-pay" disabled><span class="spinner" aria-hidden="true" hidden></span><span class="label" id="drawer-pay-label">${esc(payButtonLabel(pay.amountFormatted, t))}</span></button>
<p class="sr-only" id="pay-status" role="status" aria-live="polite"></p>
</form>
</div>`;
}
