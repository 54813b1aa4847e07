/**
 * What a client may see of an invoice: the shape the pay pages render and the JSON endpoints
 * return. Built from an allow-list of fields (services/pages.ts), so the pay-link token of an
 * invoice, its internal ids, attention flags and every secret stay on the server.
 *
 * Shared with the browser bundle (public/src): plain types only, no runtime code.
 */
import type { Language, Messages } from '../i18n/messages';

export type ClientInvoiceStatus = 'draft' | 'sent' | 'viewed' | 'partially_paid' | 'paid' | 'void';
export type PayMode = 'payment_element' | 'hosted' | 'embedded';

export interface InvoiceLineView {
  description: string;
  quantity: string;
  unitAmount: string;
  amount: string;
}

/** Present only when the client can pay online now: a balance, a payable status, Stripe set up. */
export interface PayOptions {
  mode: PayMode;
  publishableKey: string;
  /** What the Pay button charges for the full balance (card fee included), minor units. */
  amount: number;
  amountFormatted: string;
  /** The card fee included in `amount`, when fee passthrough is on. */
  feeFormatted: string | null;
  /** Partial payments: the client may type any amount in [min, balance], a multiple of `step`. */
  partial: { min: number; minFormatted: string; step: number } | null;
  /** The drawer offers "Save for future invoices": the invoice has a client and the provider saves methods. */
  canSaveMethod?: boolean;
}

/** The seller's branding as the pay page shows it (Settings → Branding); null: the neutral look. */
export interface SellerView {
  name: string | null;
  address: string | null;
  taxId: string | null;
  footerText: string | null;
  /** This plugin's versioned logo URL (same origin: the page's CSP allows only 'self'). */
  logoUrl: string | null;
  /** This plugin's versioned stylesheet with the accent colour, or null. */
  styleUrl: string | null;
}

/**
 * Downloads of a pay-link page: the invoice PDF and one receipt per received payment, as paths
 * relative to the pay link plus "/" (`/invoice-payments/pay/<token>/`), so the view never holds
 * the token (render.ts `payLinkBase`).
 */
export interface DocumentLinks {
  pdf: string;
  receipts: Array<{ label: string; file: string }>;
}

export interface InvoiceView {
  documentId: string;
  number: string;
  state: ClientInvoiceStatus;
  stateLabel: string;
  currency: string;
  /** Digits after the decimal point in this currency's minor unit (USD 2, JPY 0, KWD 3). */
  exponent: number;
  /** BCP 47 locale the amounts are formatted for. */
  locale: string;
  /** The language of every label (the invoice's, else the browser's, else the site default). */
  language: Language;
  billingName: string | null;
  billingEmail: string | null;
  issueDate: string | null;
  dueDate: string | null;
  notes: string | null;
  lines: InvoiceLineView[];
  subtotal: string;
  discount: string | null;
  tax: string | null;
  taxRate: string | null;
  total: string;
  amountPaid: string | null;
  amountRefunded: string | null;
  balanceDue: string;
  balanceDueMinor: number;
  /** Why there is no Pay button (draft, void, paid, online payment not set up), for the client. */
  notice: string | null;
  /**
   * A bank debit on its way (SEPA, ACH: `processing` for days): what it is for and the sentence to
   * show. While it is there, there is no Pay button (a second payment is refused until it settles).
   */
  pending: { amount: string; text: string } | null;
  pay: PayOptions | null;
  seller: SellerView | null;
  /** Only where the client's key is in the URL (pay-link pages and their JSON). */
  documents?: DocumentLinks | null;
}

/** Success and cancel pages: the invoice number and status, nothing else. */
export interface ResultView {
  documentId: string;
  language: Language;
  number: string;
  state: ClientInvoiceStatus;
  stateLabel: string;
  headline: string;
  message: string;
  tone: 'success' | 'info' | 'warning';
  /** The receipt of the payment just made, when it succeeded. */
  receiptUrl?: string | null;
  /** What the page's heading area shows for a payment that is pending (data-state on the page). */
  paymentState?: 'paid' | 'pending' | 'failed' | 'incomplete';
  /** The seller's branding, as on the pay page; null: the neutral look. */
  seller?: SellerView | null;
}

/** The JSON the server embeds in each page for its script (`<script type="application/json">`). */
export type PageData = (
  | { page: 'invoice'; view: InvoiceView; auth: { token: string } }
  | { page: 'customer'; documentId: string }
  | { page: 'result'; documentId: string }
  | { page: 'portal' }
) & {
  /** This plugin's content-API base, e.g. /api/invoice-payments (the /api prefix is configurable). */
  api: string;
  /** The page's language and the strings its script shows (i18n clientMessages): none are bundled. */
  language: Language;
  /** The Intl locale of numbers and dates the script formats itself (the portal), e.g. de-DE. */
  intl?: string;
  messages: Partial<Messages>;
  /**
   * Only with stripe.jsUrl (tests and the offline demo), only on pages that may pay: load Stripe.js
   * from here instead of js.stripe.com. The page's CSP allows this URL's origin and no Stripe one.
   */
  stripeJsUrl?: string;
};

export const PAGE_DATA_ID = 'ip-page-data';
