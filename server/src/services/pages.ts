import type { Core } from '@strapi/strapi';
import {
  amountStep,
  currencyExponent,
  feeSurcharge,
  formatMinor,
  minimumChargeMinor,
  partialMinimum,
  payabilityProblem,
  type InvoiceStatus,
} from '../domain';
import {
  asLanguage,
  intlLocale,
  languageFromAcceptLanguage,
  resolveLocale,
  translator,
  type ClientLocale,
  type Translate,
} from '../i18n';
import { ProviderRequestError } from '../providers/types';
import { LEGACY_PROVIDER_ID, providerEntry } from '../providers/registry';
import { statusLabel } from '../pages/render';
import type { InvoiceView, PayOptions, ResultView, SellerView } from '../pages/view';
import { PLUGIN_ID, UID } from '../utils/plugin-id';
import type { Brand } from '../branding/brand';
import { getService } from '../utils/get-service';
import { withInvoiceLock } from '../utils/lock';
import { sameToken } from '../utils/client';
import type { InvoiceRow } from './invoices';
import type { Actor } from './settings';
import type { StoredSettings } from './settings-schema';

/** An invoice row with the fields the client pages show. */
export interface ClientInvoiceRow extends InvoiceRow {
  subtotal: number;
  tax: number;
  amountRefunded: number;
  issueDate: string | null;
  dueDate: string | null;
  billingName: string | null;
  billingEmail: string | null;
  notes: string | null;
  /** The client's language (en, fr, de, es); null: the site's default client language. */
  language?: string | null;
  customer?: { id: number } | null;
}

/** What a page request says about language: `?lang=` (wins) and the browser's Accept-Language. */
export interface LocaleRequest {
  lang?: string | null;
  acceptLanguage?: string | null;
}

export type { ClientLocale };

/** Pay-link tokens are 32 base64url characters (services/invoices newPayToken); allow some slack. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;
const DOCUMENT_ID_PATTERN = /^[a-z0-9]{10,40}$/;

/** What the client reads when there is no Pay button. */
function noticeFor(status: InvoiceStatus, balance: number, t: Translate): string | null {
  switch (status) {
    case 'draft':
      return t('page.noticeDraft');
    case 'void':
      return t('page.noticeVoid');
    case 'paid':
      return t('page.noticePaid');
    default:
      return balance > 0 ? null : t('page.noticeNothingLeft');
  }
}

function formatDate(value: string | null, locale: string): string | null {
  if (!value) return null;
  const date = new Date(`${String(value).slice(0, 10)}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) return null;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' }).format(date);
}

function lineItems(
  value: unknown,
): Array<{ description: string; quantity: number | string; unitAmount: number; lineTotal: number }> {
  const items = typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
  if (!Array.isArray(items)) return [];
  return (items as unknown[]).map((raw) => {
    const item = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    return {
      description: String(item.description ?? ''),
      quantity: typeof item.quantity === 'number' || typeof item.quantity === 'string' ? item.quantity : 1,
      unitAmount: Number(item.unitAmount ?? 0),
      lineTotal: Number(item.lineTotal ?? 0),
    };
  });
}

/** The brand on the pay page; null when nothing is set (the neutral look). */
function sellerView(brand: Brand): SellerView | null {
  if (!brand.name && !brand.address && !brand.taxId && !brand.footerText && !brand.logo && !brand.accentColor)
    return null;
  return {
    name: brand.name,
    address: brand.address,
    taxId: brand.taxId,
    footerText: brand.footerText,
    logoUrl: brand.logo ? `/${PLUGIN_ID}/pay/brand/logo?v=${brand.logo.hash}` : null,
    styleUrl: brand.accentColor ? `/${PLUGIN_ID}/pay/brand/style.css?v=${brand.accentColor.slice(1)}` : null,
  };
}

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const invoices = () => strapi.db.query(UID.invoice);

  /**
   * The client's language: `?lang=` → the invoice's own → the browser's Accept-Language (first
   * shipped language of its list) → Settings' default client language → English. Unknown values
   * are skipped, never an error. A plain string is an Accept-Language header (older callers).
   */
  async function clientLocale(
    invoice: { language?: string | null } | null,
    request: LocaleRequest | string = {},
  ): Promise<ClientLocale> {
    const req = typeof request === 'string' ? { acceptLanguage: request } : request;
    const fromRequest = asLanguage(req.lang) ?? asLanguage(invoice?.language);
    const language =
      fromRequest ??
      languageFromAcceptLanguage(req.acceptLanguage) ??
      // stored(): the language alone, without load()'s read of the connection check.
      resolveLocale((await getService(strapi, 'settings').stored()).defaultLanguage);
    return { language, intl: intlLocale(language, req.acceptLanguage) };
  }

  async function toClientLocale(
    invoice: { language?: string | null },
    locale: ClientLocale | LocaleRequest | string,
  ): Promise<ClientLocale> {
    return typeof locale === 'object' && 'intl' in locale ? locale : clientLocale(invoice, locale);
  }

  /** Same surcharge as the charge itself (services/payments feeFor): fixed part only in the default currency. */
  function feeFor(balance: number, currency: string, settings: StoredSettings): number {
    const fixedMinor = currency === settings.defaultCurrency ? settings.feeFixedAmount : 0;
    return feeSurcharge(balance, currency, { percentBps: settings.feePercentBps, fixedMinor });
  }

  function payOptions(
    invoice: ClientInvoiceRow,
    settings: StoredSettings,
    locale: string,
    asClient: boolean,
  ): PayOptions | null {
    if (payabilityProblem(invoice.state, invoice.balanceDue) !== null) return null;
    const link = getService(strapi, 'providers').payLink(settings);
    if (!link) return null;
    const fee = feeFor(invoice.balanceDue, invoice.currency, settings);
    // The provider's minimum charge and the admin's partial-payment limits (domain partialMinimum).
    const min = partialMinimum(
      invoice.balanceDue,
      invoice.currency,
      {
        minimumAmount: settings.partialMinimumAmount ?? 0,
        minimumPercent: settings.partialMinimumPercent ?? 0,
        defaultCurrency: settings.defaultCurrency,
      },
      { providerMinimum: minimumChargeMinor(invoice.currency), step: amountStep(invoice.currency) },
    );
    return {
      mode: link.mode,
      publishableKey: link.publishableKey,
      amount: invoice.balanceDue + fee,
      amountFormatted: formatMinor(invoice.balanceDue + fee, invoice.currency, locale),
      feeFormatted: fee > 0 ? formatMinor(fee, invoice.currency, locale) : null,
      // Partial amounts only make sense where the balance leaves room above the minimum charge;
      // Checkout always charges the balance (services/payments createCheckout).
      partial:
        settings.partialPayments && link.mode === 'payment_element' && invoice.balanceDue > min
          ? { min, minFormatted: formatMinor(min, invoice.currency, locale), step: amountStep(invoice.currency) }
          : null,
      // Only on the client's own page: a pay link can be forwarded (services/saved-methods).
      canSaveMethod:
        asClient &&
        link.mode === 'payment_element' &&
        Boolean(invoice.customer?.id) &&
        providerEntry(settings.payLinkProvider || LEGACY_PROVIDER_ID)?.savesMethods === true,
    };
  }

  /**
   * `asClient`: the logged-in client's page (may save a method), not a pay link. `chosen`: the
   * page's language (clientLocale), or what the request said about it.
   */
  async function buildView(
    invoice: ClientInvoiceRow,
    chosen: ClientLocale | LocaleRequest | string,
    asClient = false,
  ): Promise<InvoiceView> {
    const settings = await getService(strapi, 'settings').load();
    const { language, intl: locale } = await toClientLocale(invoice, chosen);
    const t = translator(language);
    const money = (minor: number) => formatMinor(minor, invoice.currency, locale);
    const quantity = new Intl.NumberFormat(locale, { maximumFractionDigits: 3 });
    const discount = invoice.discountAmount ?? 0;
    // A bank debit on its way: shown instead of the Pay button, which the API would refuse anyway
    // (services/attempts: one live attempt per invoice, a processing one blocks).
    const processing = (await strapi.db.query(UID.payment).findMany({
      where: { invoice: { id: invoice.id }, status: 'processing' },
      select: ['amount', 'fee'],
    })) as Array<{ amount: number; fee: number | null }>;
    const pendingMinor = processing.reduce((sum, p) => sum + p.amount + (p.fee ?? 0), 0);
    const pending =
      processing.length > 0
        ? { amount: money(pendingMinor), text: t('pending.text', { amount: money(pendingMinor) }) }
        : null;
    const pay = pending ? null : payOptions(invoice, settings, locale, asClient);
    const notice =
      noticeFor(invoice.state, invoice.balanceDue, t) ?? (pay || pending ? null : t('page.noticeUnavailable'));
    return {
      documentId: invoice.documentId,
      number: invoice.number,
      state: invoice.state,
      stateLabel: statusLabel(invoice.state, t),
      currency: invoice.currency,
      exponent: currencyExponent(invoice.currency),
      locale,
      language,
      billingName: invoice.billingName ?? null,
      billingEmail: invoice.billingEmail ?? null,
      issueDate: formatDate(invoice.issueDate, locale),
      dueDate: formatDate(invoice.dueDate, locale),
      notes: invoice.notes ?? null,
      lines: lineItems(invoice.lineItems).map((l) => ({
        description: l.description,
        quantity: quantity.format(Number(l.quantity)),
        unitAmount: money(l.unitAmount),
        amount: money(l.lineTotal),
      })),
      subtotal: money(invoice.subtotal ?? 0),
      discount: discount > 0 ? `−${money(discount)}` : null,
      tax: invoice.tax ? money(invoice.tax) : null,
      taxRate: invoice.taxRateBps
        ? new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 3 }).format(
            invoice.taxRateBps / 10000,
          )
        : null,
      total: money(invoice.total),
      // What came in and what went back, each on its own line: after a refund the client sees both.
      amountPaid: invoice.amountPaid > 0 ? money(invoice.amountPaid) : null,
      amountRefunded: (invoice.amountRefunded ?? 0) > 0 ? `−${money(invoice.amountRefunded ?? 0)}` : null,
      balanceDue: money(Math.max(0, invoice.balanceDue)),
      balanceDueMinor: Math.max(0, invoice.balanceDue),
      notice,
      pending,
      pay,
      seller: sellerView(await getService(strapi, 'branding').current(settings.branding)),
    };
  }

  /** The seller's branding for a result page (Checkout return, bank redirect, cancel), as on the pay page. */
  async function resultSeller(): Promise<SellerView | null> {
    const settings = await getService(strapi, 'settings').load();
    return sellerView(await getService(strapi, 'branding').current(settings.branding));
  }

  return {
    buildView,
    clientLocale,
    toClientLocale,

    async findByToken(token: string): Promise<ClientInvoiceRow | null> {
      if (!TOKEN_PATTERN.test(token)) return null;
      const row = (await invoices().findOne({
        where: { payToken: token },
        populate: ['customer'],
      })) as ClientInvoiceRow | null;
      // The database may compare case-insensitively (MySQL/MariaDB collations): the token must match exactly.
      return row?.payToken && sameToken(row.payToken, token) ? row : null;
    },

    /** The invoice if `userId` is its customer; null for anyone else (same answer as missing). */
    async findForCustomer(documentId: string, userId: number): Promise<ClientInvoiceRow | null> {
      if (!DOCUMENT_ID_PATTERN.test(documentId)) return null;
      const invoice = (await invoices().findOne({
        where: { documentId },
        populate: ['customer'],
      })) as ClientInvoiceRow | null;
      return invoice && invoice.customer?.id === userId ? invoice : null;
    },

    /**
     * The client opened their invoice: `sent` becomes `viewed` (once, under the invoice lock so a
     * concurrent payment or void is never overwritten) and the audit log says who and when.
     */
    async markViewed(invoice: ClientInvoiceRow, actor: Actor): Promise<ClientInvoiceRow> {
      if (invoice.state !== 'sent') return invoice;
      const updated = await withInvoiceLock(strapi, invoice.documentId, async (current) => {
        if (current.state !== 'sent') return null;
        await invoices().update({ where: { id: current.id }, data: { state: 'viewed', viewedAt: new Date() } });
        const recomputed = (await getService(strapi, 'invoices').recompute(current.id)) as unknown as ClientInvoiceRow;
        // In the lock's transaction: the change and its event out (invoice.viewed) commit together.
        await getService(strapi, 'audit').log({
          action: 'invoice.viewed',
          actor,
          invoice: { documentId: invoice.documentId, number: invoice.number },
        });
        return recomputed;
      });
      if (!updated)
        return ((await invoices().findOne({ where: { id: invoice.id } })) as ClientInvoiceRow | null) ?? invoice;
      return { ...invoice, ...updated };
    },

    /**
     * Back from Checkout: the session id in the URL is only a question. The answer comes from
     * the provider (syncCheckoutSession re-reads the session and settles its payment), and only the
     * invoice number and status are shown. Unknown or foreign sessions give null (a 404 page).
     */
    async checkoutResult(sessionId: string, actor: Actor, request: LocaleRequest = {}): Promise<ResultView | null> {
      // The provider of the session's ledger entry; before it is recorded, the one whose ids look like it.
      const providers = getService(strapi, 'providers');
      const local = (await strapi.db
        .query(UID.payment)
        .findOne({ where: { checkoutSessionId: sessionId }, select: ['id', 'provider'] })) as {
        provider: string | null;
      } | null;
      const providerId =
        local?.provider ?? providers.ids().find((id) => providers.traits(id)?.looksLikeCheckoutId(sessionId));
      if (!providerId || !providers.traits(providerId)?.looksLikeCheckoutId(sessionId)) return null;
      // The session's own provider must be set up (a site may use Mollie only, or Stripe only).
      const settings = await getService(strapi, 'settings').load();
      if (!providers.entry(providerId)?.canRead(settings)) return null;
      let synced;
      try {
        const provider = await providers.forId(providerId);
        synced = await getService(strapi, 'settlement').syncCheckoutSession(sessionId, { provider, actor });
      } catch (error) {
        // No such session (another account, another mode, made up): the same 404 as a bad link.
        if (error instanceof ProviderRequestError && (error.httpStatus === 404 || error.code === 'resource_missing'))
          return null;
        throw error;
      }
      if (synced.outcome !== 'settled') return null;
      const { invoice, payment } = synced;
      const { language, intl } = await clientLocale(invoice as { language?: string | null }, request);
      const t = translator(language);
      const base = {
        documentId: invoice.documentId,
        language,
        number: invoice.number,
        state: invoice.state,
        stateLabel: statusLabel(invoice.state, t),
        seller: await resultSeller(),
      };
      if (['succeeded', 'partially_refunded', 'refunded', 'disputed'].includes(payment.status)) {
        return {
          ...base,
          headline: t('result.received'),
          message: t('result.receivedText', { number: invoice.number }),
          tone: 'success',
          receiptUrl:
            invoice.payToken && payment.documentId
              ? getService(strapi, 'documents').receiptUrl(invoice.payToken, payment.documentId)
              : null,
        };
      }
      if (payment.status === 'processing') {
        // A bank debit paid through Checkout: the same words as the pay page (days, not seconds).
        return {
          ...base,
          headline: t('pending.headline'),
          message: t('pending.text', {
            amount: formatMinor(payment.amount + (payment.fee ?? 0), payment.currency, intl),
          }),
          tone: 'info',
          paymentState: 'pending',
        };
      }
      return {
        ...base,
        headline: t('result.notCompleted'),
        message: t('result.checkoutNotCompleted'),
        tone: 'warning',
      };
    },

    /**
     * Back from a bank redirect (iDEAL, Bancontact) or a 3-D Secure page: the provider appended the
     * payment's id (and its own idea of the outcome, `redirect_status`, which is never trusted). The
     * payment must be a ledger entry of the named invoice; its state is read again from the provider
     * and settled by the webhook's own path (settlement.syncPayment). Null for anything unknown (404).
     */
    async paymentResult(
      documentId: string,
      providerPaymentId: string,
      actor: Actor,
      request: LocaleRequest = {},
    ): Promise<ResultView | null> {
      if (!DOCUMENT_ID_PATTERN.test(documentId) || !/^[A-Za-z0-9_]{3,255}$/.test(providerPaymentId)) return null;
      const row = (await strapi.db.query(UID.payment).findOne({
        where: { providerPaymentId, invoice: { documentId } },
        select: ['id', 'provider'],
      })) as { provider: string | null } | null;
      if (!row) return null;
      const providers = getService(strapi, 'providers');
      let synced;
      try {
        const provider = await providers.forRow(row);
        synced = await getService(strapi, 'settlement').syncPayment(providerPaymentId, { provider, actor });
      } catch (error) {
        if (error instanceof ProviderRequestError && (error.httpStatus === 404 || error.code === 'resource_missing'))
          return null;
        throw error;
      }
      if (synced.outcome !== 'settled') return null;
      const { invoice, payment } = synced;
      const { language, intl } = await clientLocale(invoice as { language?: string | null }, request);
      const t = translator(language);
      const base = {
        documentId: invoice.documentId,
        language,
        number: invoice.number,
        state: invoice.state,
        stateLabel: statusLabel(invoice.state, t),
        seller: await resultSeller(),
      };
      const amount = formatMinor(payment.amount + (payment.fee ?? 0), payment.currency, intl);
      if (['succeeded', 'partially_refunded', 'refunded', 'disputed'].includes(payment.status)) {
        return {
          ...base,
          headline: t('result.received'),
          message: t('result.receivedAmount', { amount, number: invoice.number }),
          tone: 'success',
          paymentState: 'paid',
        };
      }
      if (payment.status === 'processing') {
        return {
          ...base,
          headline: t('pending.headline'),
          message: t('pending.text', { amount }),
          tone: 'info',
          paymentState: 'pending',
        };
      }
      if (payment.status === 'failed') {
        const why = (payment as { failureMessage?: string | null }).failureMessage;
        return {
          ...base,
          headline: t('result.failed'),
          message: why ? t('result.failedReason', { amount, reason: why }) : t('result.failedText', { amount }),
          tone: 'warning',
          paymentState: 'failed',
        };
      }
      return {
        ...base,
        headline: t('result.notCompleted'),
        message: t('result.incompleteText', { amount }),
        tone: 'warning',
        paymentState: 'incomplete',
      };
    },

    /** Left Checkout without paying: the invoice number and its current status. */
    async cancelResult(documentId: string, request: LocaleRequest = {}): Promise<ResultView | null> {
      if (!DOCUMENT_ID_PATTERN.test(documentId)) return null;
      const invoice = (await invoices().findOne({
        where: { documentId },
        select: ['documentId', 'number', 'state', 'language'],
      })) as (Pick<InvoiceRow, 'documentId' | 'number' | 'state'> & { language: string | null }) | null;
      if (!invoice) return null;
      const { language } = await clientLocale(invoice, request);
      const t = translator(language);
      return {
        documentId: invoice.documentId,
        language,
        number: invoice.number,
        state: invoice.state,
        stateLabel: statusLabel(invoice.state, t),
        seller: await resultSeller(),
        headline: t('result.canceled'),
        message: t('result.canceledText'),
        tone: 'info',
      };
    },
  };
};
