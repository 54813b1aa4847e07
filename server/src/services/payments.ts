import type { Core } from '@strapi/strapi';
import {
  amountStep,
  feeSurcharge,
  formatMinor,
  isDomainError,
  minimumChargeMinor,
  partialMinimum,
  payabilityProblem,
  validateChargeAmount,
  type InvoiceStatus,
  type NextAction,
} from '../domain';
import { ProviderRequestError, type PaymentProvider, type ProviderPayment } from '../providers/types';
import { UID } from '../utils/plugin-id';
import { getService } from '../utils/get-service';
import { badGateway, badRequest, conflict, notFound, isAnswerable, serviceUnavailable } from '../utils/errors';
import type { Actor } from './settings';
import type { StoredSettings } from './settings-schema';
import type { InvoiceRow } from './invoices';
import { translator, type ClientLocale } from '../i18n';
import { FALLBACK_LANGUAGE } from '../i18n/messages';

export interface IntentResponse {
  providerPaymentId: string;
  clientSecret: string;
  publishableKey: string;
  amount: number;
  portion: number;
  fee: number;
  currency: string;
  amountFormatted: string;
  feeFormatted: string | null;
  reused: boolean;
  /** The payment's status now: `requires_action` with `nextAction` while the customer has a step to take. */
  status: string;
  nextAction: NextAction | null;
}

/**
 * Refusals a provider makes itself before asking its gateway (providers/mollie: a currency or amount
 * it cannot take, an open payment it may not cancel, a flow it lacks). The invoice or the request is
 * the problem, not the gateway: a 4xx, not a 502.
 */
const LOCAL_REFUSALS: Readonly<Record<string, 'bad_request' | 'conflict'>> = {
  unsupported_by_provider: 'bad_request',
  currency_not_supported: 'conflict',
  amount_invalid: 'conflict',
  not_cancelable: 'conflict',
};

function providerFailure(error: unknown): never {
  if (isAnswerable(error)) throw error;
  if (
    error instanceof ProviderRequestError &&
    !error.retryable &&
    error.code &&
    Object.prototype.hasOwnProperty.call(LOCAL_REFUSALS, error.code)
  ) {
    if (LOCAL_REFUSALS[error.code] === 'bad_request') throw badRequest(error.message);
    throw conflict(error.message, 'PaymentNotPossible', { code: error.code });
  }
  if (error instanceof ProviderRequestError) {
    throw badGateway(
      error.retryable
        ? 'The payment provider is not answering right now. Nothing was charged; please try again in a moment.'
        : error.message,
      { code: error.code },
    );
  }
  throw error;
}

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const settingsService = () => getService(strapi, 'settings');

  async function ready() {
    const settings = await settingsService().load();
    const link = getService(strapi, 'providers').payLink(settings);
    if (!link)
      throw serviceUnavailable('Online payment is not available for this invoice yet. Please contact the sender.');
    return { settings, link, provider: await getService(strapi, 'providers').forNewPayments() };
  }

  function checkPayable(invoice: InvoiceRow) {
    const problem = payabilityProblem(invoice.state as InvoiceStatus, invoice.balanceDue);
    if (problem) throw conflict(problem, 'InvoiceNotPayable', { state: invoice.state });
    // Past its payment deadline (payables' expiresAt, e.g. a booking held 15 minutes) it is about
    // to be voided by the expiry job: no new payment in between.
    const expiresAt = (invoice as { expiresAt?: string | Date | null }).expiresAt;
    if (expiresAt && new Date(expiresAt).getTime() <= Date.now())
      throw conflict(
        'This invoice can no longer be paid online: its payment deadline has passed. Please contact the sender.',
        'InvoiceNotPayable',
        { state: invoice.state },
      );
  }

  /** The invoice portion to charge now: the balance, or a partial amount if allowed. */
  function portionFor(
    invoice: InvoiceRow,
    requested: unknown,
    settings: Pick<
      StoredSettings,
      'partialPayments' | 'partialMinimumAmount' | 'partialMinimumPercent' | 'defaultCurrency'
    >,
  ): number {
    const partialAllowed = settings.partialPayments;
    if (requested === undefined || requested === null || requested === invoice.balanceDue) return invoice.balanceDue;
    if (!partialAllowed)
      throw badRequest('Partial payments are not enabled: pay the full balance.', [
        { path: ['amount'], message: 'Not allowed.' },
      ]);
    if (typeof requested !== 'number' || !Number.isSafeInteger(requested)) {
      throw badRequest('The amount must be a whole number of minor units (for example 1050 for 10.50).', [
        { path: ['amount'], message: 'Not an integer.' },
      ]);
    }
    // The provider's minimum and the admin's limits (an amount, a share of the balance).
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
    if (requested < min)
      throw badRequest(`The amount must be at least ${formatMinor(min, invoice.currency)}.`, [
        { path: ['amount'], message: 'Below minimum.' },
      ]);
    if (requested > invoice.balanceDue)
      throw badRequest(
        `The amount cannot be more than the balance due, ${formatMinor(invoice.balanceDue, invoice.currency)}.`,
        [{ path: ['amount'], message: 'Above balance.' }],
      );
    if (requested % amountStep(invoice.currency) !== 0)
      throw badRequest(`${invoice.currency} amounts must be a multiple of ${amountStep(invoice.currency)}.`, [
        { path: ['amount'], message: 'Bad step.' },
      ]);
    return requested;
  }

  function feeFor(
    portion: number,
    currency: string,
    settings: { feePercentBps: number; feeFixedAmount: number; defaultCurrency: string },
  ) {
    // The fixed fee is in the default currency's minor units; other currencies get the percentage only.
    const fixedMinor = currency === settings.defaultCurrency ? settings.feeFixedAmount : 0;
    return feeSurcharge(portion, currency, { percentBps: settings.feePercentBps, fixedMinor });
  }

  function response(
    p: ProviderPayment,
    portion: number,
    fee: number,
    publishableKey: string,
    reused: boolean,
  ): IntentResponse {
    return {
      providerPaymentId: p.id,
      clientSecret: p.clientSecret ?? '',
      publishableKey,
      amount: portion + fee,
      portion,
      fee,
      currency: p.currency,
      amountFormatted: formatMinor(portion + fee, p.currency),
      feeFormatted: fee > 0 ? formatMinor(fee, p.currency) : null,
      reused,
      status: p.status,
      nextAction: p.nextAction,
    };
  }

  function chargeable(invoice: InvoiceRow, portion: number, fee: number) {
    try {
      validateChargeAmount(portion + fee, invoice.currency);
    } catch (error) {
      if (isDomainError(error)) throw badRequest(error.message, [{ path: ['amount'], message: error.message }]);
      throw error;
    }
  }

  /**
   * Whether Checkout offers "save for future invoices", as the drawer's box does (pages
   * canSaveMethod): on the logged-in client's own page only (the actor clientInvoice gives the
   * invoice's customer), never on a pay link, which can be forwarded and whose holder's card would
   * become the one autopay charges; and only with a provider that keeps saved methods. The client's
   * provider customer is made first (outside any lock); the client ticks the box on Checkout itself.
   */
  async function checkoutSaving(actor: Actor, provider: PaymentProvider, locale?: ClientLocale) {
    if (actor.type !== 'client' || actor.label !== 'customer' || typeof actor.id !== 'number') return undefined;
    if (!provider.savedMethods) return undefined;
    const customerId = await getService(strapi, 'saved-methods')
      .ensureCustomer(actor.id, provider)
      .catch(providerFailure);
    const notice = translator(locale?.language ?? FALLBACK_LANGUAGE)('drawer.saveHint');
    return { customerId, notice };
  }

  return {
    /**
     * The client's card/wallet payment for the balance (or a partial amount): one live attempt per
     * invoice, reused, updated or made new by the attempts service (never two payable at once).
     */
    async createIntent(invoiceDocumentId: string, body: { amount?: unknown }, actor: Actor): Promise<IntentResponse> {
      const { settings } = await ready();
      const opened = await getService(strapi, 'attempts')
        .open(
          invoiceDocumentId,
          (invoice) => {
            checkPayable(invoice);
            const portion = portionFor(invoice, body.amount, settings);
            const fee = feeFor(portion, invoice.currency, settings);
            chargeable(invoice, portion, fee);
            return { mode: 'element', portion, fee };
          },
          actor,
        )
        .catch(providerFailure);
      return response(opened.payment!, opened.portion, opened.fee, settings.publishableKey!, opened.reused);
    },

    /** The client says it paid: ask the provider and settle through the same path as the webhook. */
    async confirm(invoice: InvoiceRow, providerPaymentId: unknown, actor: Actor) {
      // The shape is checked against every provider's ids before the database is asked.
      const providers = getService(strapi, 'providers');
      if (
        typeof providerPaymentId !== 'string' ||
        !providers.ids().some((id) => providers.traits(id)?.looksLikePaymentId(providerPaymentId))
      ) {
        throw badRequest('providerPaymentId is required (the id of the payment that was confirmed).', [
          { path: ['providerPaymentId'], message: 'Required.' },
        ]);
      }
      const row = (await strapi.db
        .query(UID.payment)
        .findOne({ where: { providerPaymentId, invoice: { id: invoice.id } } })) as { provider: string | null } | null;
      if (!row) throw notFound('No such payment on this invoice.');
      await ready();
      const provider = await providers.forRow(row);
      const result = await getService(strapi, 'settlement')
        .syncPayment(providerPaymentId, { provider, actor })
        .catch(providerFailure);
      if (result.outcome !== 'settled') throw conflict(result.reason, 'PaymentNotSettled');
      return {
        paymentStatus: result.payment.status,
        failureCode: result.payment.failureCode,
        failureMessage:
          result.payment.status === 'failed'
            ? ((result.payment as unknown as { failureMessage?: string | null }).failureMessage ?? null)
            : null,
        nextAction: result.nextAction ?? null,
        invoice: {
          state: result.invoice.state,
          balanceDue: result.invoice.balanceDue,
          amountPaid: result.invoice.amountPaid,
          currency: result.invoice.currency,
        },
      };
    },

    /** A Checkout session for the balance, hosted (url) or embedded (client secret). */
    /** `locale`: the client's language, for the gateway's own page (Checkout, Mollie). */
    async createCheckout(invoiceDocumentId: string, uiModeRequested: unknown, actor: Actor, locale?: ClientLocale) {
      const { settings, link, provider } = await ready();
      if (
        uiModeRequested !== undefined &&
        uiModeRequested !== null &&
        uiModeRequested !== 'hosted' &&
        uiModeRequested !== 'embedded'
      ) {
        throw badRequest(
          'uiMode must be "hosted" (the payment provider\'s page) or "embedded" (on this page), or left out for the site\'s setting.',
          [{ path: ['uiMode'], message: 'Must be hosted or embedded.' }],
        );
      }
      const ui =
        uiModeRequested === 'embedded' || uiModeRequested === 'hosted'
          ? uiModeRequested
          : link.mode === 'embedded'
            ? 'embedded'
            : 'hosted';
      const saveTo = await checkoutSaving(actor, provider, locale);
      const opened = await getService(strapi, 'attempts')
        .open(
          invoiceDocumentId,
          (invoice) => {
            checkPayable(invoice);
            const portion = invoice.balanceDue;
            const fee = feeFor(portion, invoice.currency, settings);
            chargeable(invoice, portion, fee);
            return { mode: 'checkout', portion, fee, ui, ...(locale ? { locale } : {}), ...(saveTo ? { saveTo } : {}) };
          },
          actor,
        )
        .catch(providerFailure);
      const session = opened.session!;
      return {
        checkoutSessionId: session.id,
        uiMode: ui,
        url: session.url,
        clientSecret: session.clientSecret,
        publishableKey: settings.publishableKey,
        amount: opened.portion + opened.fee,
        currency: opened.invoice.currency,
        amountFormatted: formatMinor(opened.portion + opened.fee, opened.invoice.currency),
        reused: opened.reused,
      };
    },
  };
};
