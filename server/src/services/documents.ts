import type { Core } from '@strapi/strapi';
import { formatMinor } from '../domain';
import { createHash } from 'node:crypto';
import { brandKey, type Brand } from '../branding/brand';
import { PdfCache } from '../documents/cache';
import { renderInvoicePdf, renderReceiptPdf, type ReceiptPdfInput } from '../documents/pdf';
import { getService } from '../utils/get-service';
import { PLUGIN_ID, UID } from '../utils/plugin-id';
import type { ClientInvoiceRow, ClientLocale, LocaleRequest } from './pages';
import { translator, type MessageKey, type Translate } from '../i18n';
import type { DocumentLinks } from '../pages/view';
import { publicBaseUrl } from '../utils/public-url';

/** Ledger statuses of a payment that came in (a receipt exists for it, even if refunded later). */
export const RECEIPT_STATUSES = ['succeeded', 'partially_refunded', 'refunded', 'disputed'] as const;

export interface ReceiptPayment {
  id: number;
  documentId: string;
  kind: 'card' | 'checkout' | 'manual';
  status: string;
  amount: number;
  fee: number | null;
  amountRefunded: number | null;
  currency: string;
  method: string | null;
  methodLabel?: string | null;
  methodLast4?: string | null;
  reference: string | null;
  providerPaymentId: string | null;
  checkoutSessionId: string | null;
  paidAt: string | Date | null;
  createdAt?: string | Date | null;
  updatedAt?: string | Date | null;
  voidedAt?: string | Date | null;
}

/** Method names that are words (translated); brand names (iDEAL, PayPal) are the same everywhere. */
const METHOD_LABELS: Record<string, MessageKey | { brand: string }> = {
  card: 'method.card',
  check: 'method.check',
  ach: 'method.ach',
  wire: 'method.wire',
  cash: 'method.cash',
  other: 'method.other',
  sepa_debit: 'method.sepa_debit',
  us_bank_account: 'method.us_bank_account',
  ideal: { brand: 'iDEAL' },
  bancontact: { brand: 'Bancontact' },
  creditcard: 'method.card',
  banktransfer: 'method.banktransfer',
  paypal: { brand: 'PayPal' },
};

export function methodLabel(p: Pick<ReceiptPayment, 'kind' | 'method'>, t: Translate = translator('en')): string {
  const known =
    p.method && Object.prototype.hasOwnProperty.call(METHOD_LABELS, p.method) ? METHOD_LABELS[p.method] : undefined;
  if (known) return typeof known === 'string' ? t(known) : known.brand;
  if (p.method) return p.method.replace(/_/g, ' ');
  return p.kind === 'manual' ? t('method.manual') : t('method.online');
}

/** Card networks as gateways name them (Stripe: `card.brand`), as people write them. */
const CARD_BRANDS: Record<string, string> = {
  amex: 'American Express',
  cartes_bancaires: 'Cartes Bancaires',
  diners: 'Diners Club',
  discover: 'Discover',
  eftpos_au: 'eftpos',
  jcb: 'JCB',
  mastercard: 'Mastercard',
  unionpay: 'UnionPay',
  visa: 'Visa',
};

/** "Visa •••• 4242", "ING •••• 3000": brand or bank and the last four digits, when the gateway said. */
export function methodDetail(p: Pick<ReceiptPayment, 'methodLabel' | 'methodLast4'>): string | null {
  const label = p.methodLabel ? (CARD_BRANDS[p.methodLabel.toLowerCase()] ?? p.methodLabel) : null;
  const last4 = p.methodLast4 ? `•••• ${p.methodLast4}` : null;
  return [label, last4].filter(Boolean).join(' ') || null;
}

/** A cache key from everything a document shows (the logo by its hash, not its bytes). */
function versionKey(kind: string, input: { brand: Brand }): string {
  const { brand, ...rest } = input;
  return `${kind}:${createHash('sha256').update(JSON.stringify(rest)).update(brandKey(brand)).digest('hex')}`;
}

/** A file name a browser keeps as it is: the invoice number without path or quote characters. */
export function pdfFileName(kind: 'invoice' | 'receipt', number: string, suffix = ''): string {
  const safe = number.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 60) || 'document';
  return `${kind}-${safe}${suffix}.pdf`;
}

/**
 * Invoice and receipt PDFs, rendered on demand and cached in memory by version: the invoice's
 * updatedAt and amounts, the payment's, the branding and the locale are all in the key, so any
 * change renders anew and an unchanged invoice is served from memory. Authorisation is the
 * caller's (controllers/pages: the pay-link token or the customer's JWT; controllers/admin).
 */
export default ({ strapi }: { strapi: Core.Strapi }) => {
  const cache = new PdfCache();
  const pages = () => getService(strapi, 'pages');

  async function brandAndSettings() {
    const settings = await getService(strapi, 'settings').stored();
    const brand = await getService(strapi, 'branding').current(settings.branding);
    return { settings, brand };
  }

  return {
    /** For tests and the bench: how many PDFs are in memory. */
    cachedCount: () => cache.size,

    async invoicePdf(
      invoice: ClientInvoiceRow,
      chosen: ClientLocale | LocaleRequest | string,
    ): Promise<{ pdf: Buffer; fileName: string }> {
      const { settings, brand } = await brandAndSettings();
      const { intl: locale, language } = await pages().toClientLocale(invoice, chosen);
      const view = await pages().buildView(invoice, { intl: locale, language });
      const payLink =
        view.pay && invoice.payToken
          ? getService(strapi, 'notifications').payLink({ ...invoice, payToken: invoice.payToken })
          : null;
      const instructions = settings.branding.paymentInstructions ?? null;
      const input = {
        view,
        brand,
        payLink,
        paymentInstructions: instructions,
        amountPaid: formatMinor(invoice.amountPaid, invoice.currency, locale),
      };
      // The key is what the PDF shows: any change to it (even within the same second, which is
      // all MySQL's updatedAt can tell) renders anew.
      const pdf = await cache.get(versionKey('invoice', input), () => renderInvoicePdf(input));
      return { pdf, fileName: pdfFileName('invoice', invoice.number) };
    },

    /** Payments of the invoice that have a receipt, oldest first. */
    async receiptPayments(invoiceId: number): Promise<ReceiptPayment[]> {
      const rows = (await strapi.db.query(UID.payment).findMany({
        where: { invoice: { id: invoiceId }, status: { $in: [...RECEIPT_STATUSES] }, voidedAt: { $null: true } },
        orderBy: [{ paidAt: 'asc' }, { id: 'asc' }],
      })) as ReceiptPayment[];
      return rows;
    },

    /** The receipt of one payment of this invoice; null when it is not one of its received payments. */
    async receiptPdf(
      invoice: ClientInvoiceRow,
      paymentDocumentId: string,
      chosen: ClientLocale | LocaleRequest | string,
    ): Promise<{ pdf: Buffer; fileName: string } | null> {
      if (!/^[a-z0-9]{10,40}$/.test(paymentDocumentId)) return null;
      const payment = (await strapi.db.query(UID.payment).findOne({
        where: { documentId: paymentDocumentId, invoice: { id: invoice.id } },
      })) as ReceiptPayment | null;
      if (!payment || payment.voidedAt || !(RECEIPT_STATUSES as readonly string[]).includes(payment.status))
        return null;
      const { brand } = await brandAndSettings();
      const { intl: locale, language } = await pages().toClientLocale(invoice, chosen);
      const t = translator(language);
      const money = (minor: number, currency = payment.currency) => formatMinor(minor, currency, locale);
      const paid = payment.paidAt ?? payment.createdAt ?? null;
      const paidOn = paid
        ? new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }).format(
            new Date(paid),
          ) + ' UTC'
        : '-';
      const refunded = payment.amountRefunded ?? 0;
      const input: ReceiptPdfInput = {
        brand,
        invoiceNumber: invoice.number,
        billingName: invoice.billingName ?? null,
        billingEmail: invoice.billingEmail ?? null,
        // What the client paid, card fee included.
        amount: money(payment.amount + (payment.fee ?? 0)),
        currency: payment.currency,
        paidOn,
        method: methodLabel(payment, t),
        methodDetail: methodDetail(payment),
        reference: payment.reference || payment.providerPaymentId || payment.checkoutSessionId || payment.documentId,
        remainingBalance: money(Math.max(0, invoice.balanceDue), invoice.currency),
        note: refunded > 0 ? t('pdf.refundedSince', { amount: money(refunded) }) : null,
        language,
      };
      const pdf = await cache.get(versionKey('receipt', input), () => renderReceiptPdf(input));
      return { pdf, fileName: pdfFileName('receipt', invoice.number, `-${payment.documentId.slice(0, 8)}`) };
    },

    /**
     * The pay-link page's downloads: the invoice PDF and a receipt per received payment, as paths
     * under the pay link (the token is the key; the view never carries it), so only for pages
     * reached through it.
     */
    async tokenLinks(invoice: ClientInvoiceRow, chosen: ClientLocale | LocaleRequest | string): Promise<DocumentLinks> {
      const { intl: locale, language } = await pages().toClientLocale(invoice, chosen);
      const t = translator(language);
      const date = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' });
      const receipts = (await this.receiptPayments(invoice.id)).map((p) => {
        const when = p.paidAt ?? p.createdAt;
        const amount = formatMinor(p.amount + (p.fee ?? 0), p.currency, locale);
        return {
          label: when
            ? t('page.receiptOn', { amount, date: date.format(new Date(when)) })
            : t('page.receipt', { amount }),
          file: `receipts/${p.documentId}.pdf`,
        };
      });
      return { pdf: 'invoice.pdf', receipts };
    },

    /** The receipt URL of one payment under the invoice's pay link (emails, the Checkout success page). */
    receiptUrl(payToken: string, paymentDocumentId: string, absolute = false): string {
      const path = `/${PLUGIN_ID}/pay/${encodeURIComponent(payToken)}/receipts/${paymentDocumentId}.pdf`;
      return absolute ? `${publicBaseUrl(strapi)}${path}` : path;
    },
  };
};
