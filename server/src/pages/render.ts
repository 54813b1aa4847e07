/**
 * Invoice markup as strings, shared by the server (first render of the pay page) and the browser
 * bundle (the logged-in client's page, and the refresh after a payment), so both always show the
 * same thing. Every value goes through `esc`; nothing here touches the DOM or Node.
 */
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

export const STATUS_LABELS: Record<ClientInvoiceStatus, string> = {
  draft: 'Draft',
  sent: 'Due',
  viewed: 'Due',
  partially_paid: 'Partially paid',
  paid: 'Paid',
  void: 'Void',
};

export function badge(status: ClientInvoiceStatus, label: string, id?: string): string {
  return `<span class="badge badge-${esc(status)}"${id ? ` id="${esc(id)}"` : ''}><span class="sr-only">Status: </span>${esc(label)}</span>`;
}

function row(label: string, value: string | null, cls = ''): string {
  return value === null ? '' : `<div class="${cls}"><dt>${esc(label)}</dt><dd>${esc(value)}</dd></div>`;
}

export function payButtonLabel(amountFormatted: string): string {
  return `Pay ${amountFormatted}`;
}

/** What a customer still has to do, from the provider-neutral next action (pay page and drawer). */
export interface NextStep {
  kind: 'authentication' | 'qr_code' | 'voucher' | 'bank_transfer' | 'verify_microdeposits' | 'other';
  url: string | null;
  expiresAt: number | null;
}

/** The sentence shown instead of "Payment successful" while a payment waits on the customer. */
export function nextStepText(step: NextStep, amountFormatted: string): string {
  const until = step.expiresAt ? ` before ${new Date(step.expiresAt * 1000).toISOString().slice(0, 10)}` : '';
  switch (step.kind) {
    case 'voucher':
      return `Your voucher for ${amountFormatted} is ready. Pay it${until} at one of the listed stores or banks; the invoice is marked paid once the payment arrives.`;
    case 'bank_transfer':
      return `To finish, transfer ${amountFormatted} to the bank account in the instructions${until}. The invoice is marked paid once the transfer arrives.`;
    case 'verify_microdeposits':
      return 'Check your email to verify your bank account: two small deposits will arrive in 1–2 business days. Your payment continues once the account is verified.';
    case 'authentication':
    case 'qr_code':
      return 'Your payment still needs your confirmation. Follow the prompt from your bank or app to finish it.';
    default:
      return `Your payment of ${amountFormatted} is waiting for one more step on your side. Follow the instructions you received to finish it.`;
  }
}

const multiline = (value: string) => esc(value).replace(/\r?\n/g, '<br>');

/** The seller's block at the top (Settings → Branding); nothing for the neutral look. */
function renderSeller(v: InvoiceView): string {
  const s = v.seller;
  if (!s || (!s.name && !s.address && !s.taxId && !s.logoUrl)) return '';
  const logo = s.logoUrl ? `<img class="seller-logo" src="${esc(s.logoUrl)}" alt="${esc(s.name ?? 'Logo')}">` : '';
  const lines = [
    s.name ? `<strong class="seller-name">${esc(s.name)}</strong>` : '',
    s.address ? `<span class="muted">${multiline(s.address)}</span>` : '',
    s.taxId ? `<span class="muted">Tax id: ${esc(s.taxId)}</span>` : '',
  ].filter(Boolean);
  return `<section class="seller" id="seller" aria-label="From">${logo}<p class="seller-lines">${lines.join('<br>')}</p></section>\n`;
}

/** Downloads: the invoice PDF and a receipt per received payment (pay-link pages only). */
function renderDocuments(v: InvoiceView, linkBase: string | undefined): string {
  if (!v.documents || !linkBase) return '';
  const receipts = v.documents.receipts
    .map((r) => `<li><a href="${esc(linkBase + r.file)}" class="receipt-link" download>${esc(r.label)}</a></li>`)
    .join('');
  return `<section class="downloads" id="downloads" aria-label="Downloads">
<a href="${esc(linkBase + v.documents.pdf)}" id="download-pdf" class="download-link" download>Download PDF</a>
${receipts ? `<ul class="receipts" id="receipts">${receipts}</ul>` : ''}
</section>`;
}

/**
 * The invoice itself: header, parties, line items, totals, and the Pay button when payable.
 * `linkBase` (payLinkBase(token)): where the downloads are, on pages reached through the pay link.
 */
export function renderInvoice(v: InvoiceView, opts: { linkBase?: string } = {}): string {
  const lines = v.lines
    .map(
      (l) =>
        `<tr><td data-label="Description">${esc(l.description)}</td><td class="num" data-label="Qty">${esc(l.quantity)}</td><td class="num" data-label="Unit price">${esc(l.unitAmount)}</td><td class="num" data-label="Amount">${esc(l.amount)}</td></tr>`,
    )
    .join('');
  const billed =
    v.billingName || v.billingEmail
      ? `<div><dt>Billed to</dt><dd>${esc(v.billingName)}${v.billingName && v.billingEmail ? '<br>' : ''}${v.billingEmail ? `<span class="muted">${esc(v.billingEmail)}</span>` : ''}</dd></div>`
      : '';
  const pay = v.pay
    ? `<div class="pay-area">
<button type="button" class="pay-button" id="pay-button" disabled>${esc(payButtonLabel(v.pay.amountFormatted))}</button>
${v.pay.feeFormatted ? `<p class="fee-note" id="fee-note">Includes a card processing fee of ${esc(v.pay.feeFormatted)}.</p>` : ''}
<noscript><p class="notice">Paying online needs JavaScript. Please enable it, or contact the sender.</p></noscript>
<p class="message" id="page-message" role="alert" hidden></p>
</div>
<section id="checkout-embed" class="checkout-embed" aria-label="Secure checkout" hidden></section>`
    : '';
  return `${renderSeller(v)}<header class="inv-head">
<div><p class="eyebrow">Invoice</p><h1 id="invoice-title" tabindex="-1">${esc(v.number)}</h1></div>
${badge(v.state, v.stateLabel, 'invoice-status')}
</header>
<dl class="meta">${billed}${row('Issued', v.issueDate)}${row('Due date', v.dueDate)}</dl>
<table class="lines">
<caption class="sr-only">Line items</caption>
<thead><tr><th scope="col">Description</th><th scope="col" class="num">Qty</th><th scope="col" class="num">Unit price</th><th scope="col" class="num">Amount</th></tr></thead>
<tbody>${lines}</tbody>
</table>
<dl class="totals">${row('Subtotal', v.subtotal)}${row('Discount', v.discount)}${row(v.taxRate ? `Tax (${v.taxRate})` : 'Tax', v.tax)}${row('Total', v.total, 'total')}${row('Paid', v.amountPaid)}${row('Refunded', v.amountRefunded)}${row('Balance due', v.balanceDue, 'balance')}</dl>
${v.notes ? `<section class="notes" aria-label="Notes"><p>${esc(v.notes)}</p></section>` : ''}
${v.notice ? `<p class="notice" id="invoice-notice">${esc(v.notice)}</p>` : ''}
${v.pending ? `<p class="notice notice-pending" id="payment-pending" role="status">${esc(v.pending.text)}</p>` : ''}
${pay}
${renderDocuments(v, opts.linkBase)}
${v.seller?.footerText ? `<footer class="seller-footer">${multiline(v.seller.footerText)}</footer>` : ''}`;
}

/**
 * The payment drawer (card payments): a modal dialog that slides in from the right. The Payment
 * Element mounts in #payment-element; the amount field exists only with partial payments on.
 */
export function renderDrawer(v: InvoiceView): string {
  const pay = v.pay!;
  const major = pay.partial
    ? `<div class="field">
<label for="pay-amount">Amount to pay (${esc(v.currency)})</label>
<input id="pay-amount" name="amount" inputmode="decimal" autocomplete="off" aria-describedby="pay-amount-hint pay-amount-error" required>
<p class="hint" id="pay-amount-hint">From ${esc(pay.partial.minFormatted)} up to the balance due, ${esc(v.balanceDue)}.</p>
<p class="field-error" id="pay-amount-error" hidden></p>
</div>`
    : '';
  return `<div class="drawer-backdrop" id="drawer-backdrop" hidden></div>
<div class="drawer" id="drawer" role="dialog" aria-modal="true" aria-labelledby="drawer-title" aria-describedby="drawer-amount-line" hidden>
<header class="drawer-head">
<div><h2 id="drawer-title">Invoice ${esc(v.number)}</h2>${v.billingName ? `<p class="muted">${esc(v.billingName)}</p>` : ''}</div>
<button type="button" class="icon-button" id="drawer-close" aria-label="Close payment">&times;</button>
</header>
<p class="amount-due" id="drawer-amount-line"><span class="label">Amount due</span> <span class="big" id="drawer-amount">${esc(v.balanceDue)}</span></p>
<form id="pay-form" novalidate>
${major}
<div class="field">
<label for="pay-email">Email for the receipt</label>
<input id="pay-email" name="email" type="email" autocomplete="email" value="${esc(v.billingEmail)}">
</div>
<p class="fee-line" id="fee-line" hidden></p>
<p class="muted" id="payment-element-loading" role="status">Loading secure card form…</p>
<div class="payment-element" id="payment-element"></div>
${
  pay.canSaveMethod
    ? `<div class="field save-method"><label for="pay-save"><input id="pay-save" name="save" type="checkbox"> Save for future invoices</label>
<p class="hint" id="pay-save-hint">Your payment details stay with the payment provider. You can remove them in your account at any time; if automatic payment is set up for you, invoices are charged on their due date.</p></div>`
    : ''
}
<p class="message" id="pay-message" role="alert" hidden></p>
<button type="submit" class="pay-button wide" id="drawer-pay" disabled><span class="spinner" aria-hidden="true" hidden></span><span class="label" id="drawer-pay-label">${esc(payButtonLabel(pay.amountFormatted))}</span></button>
<p class="sr-only" id="pay-status" role="status" aria-live="polite"></p>
</form>
</div>`;
}
