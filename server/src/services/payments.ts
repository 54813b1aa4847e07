import type { Core } from '@strapi/strapi';
import {
  amountStep,
  checkoutSessionKey,
  feeSurcharge,
  formatMinor,
  isDomainError,
  minimumChargeMinor,
  paymentIntentCancelKey,
  paymentIntentCreateKey,
  paymentIntentUpdateKey,
  payabilityProblem,
  validateChargeAmount,
  type InvoiceStatus,
} from '../domain';
import { ProviderRequestError, type PaymentMetadata, type ProviderPayment } from '../providers/types';
import { UID, PLUGIN_ID } from '../utils/plugin-id';
import { withInvoiceLock } from '../utils/lock';
import { getService } from '../utils/get-service';
import { badGateway, badRequest, conflict, notFound, PluginError, serviceUnavailable } from '../utils/errors';
import type { Actor } from './settings';
import type { InvoiceRow } from './invoices';
import type { PaymentRecord } from './settlement';
import { publicBaseUrl } from './settings';

/** Intents still open for a (new) payment method: never confirmed, or declined and back to the client. */
const UNCONFIRMED = new Set(['pending', 'failed']);

export interface IntentResponse {
  paymentIntentId: string;
  clientSecret: string;
  publishableKey: string;
  amount: number;
  portion: number;
  fee: number;
  currency: string;
  amountFormatted: string;
  feeFormatted: string | null;
  reused: boolean;
}

function providerFailure(error: unknown): never {
  if (error instanceof PluginError) throw error;
  if (error instanceof ProviderRequestError) {
    throw badGateway(error.retryable ? 'The payment provider is not answering right now. Nothing was charged; please try again in a moment.' : error.message, { code: error.code });
  }
  throw error;
}

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const settingsService = () => getService(strapi, 'settings');

  async function ready() {
    const settings = await settingsService().load();
    if (!settings.secretKeySealed || !settings.publishableKey) {
      throw serviceUnavailable('Online payment is not available for this invoice yet. Please contact the sender.');
    }
    return { settings, provider: await getService(strapi, 'stripe').currentProvider() };
  }

  function checkPayable(invoice: InvoiceRow) {
    const problem = payabilityProblem(invoice.status as InvoiceStatus, invoice.balanceDue);
    if (problem) throw conflict(problem, 'InvoiceNotPayable', { status: invoice.status });
  }

  /** The invoice portion to charge now: the balance, or a partial amount if allowed. */
  function portionFor(invoice: InvoiceRow, requested: unknown, partialAllowed: boolean): number {
    if (requested === undefined || requested === null || requested === invoice.balanceDue) return invoice.balanceDue;
    if (!partialAllowed) throw badRequest('Partial payments are not enabled: pay the full balance.', [{ path: ['amount'], message: 'Not allowed.' }]);
    if (typeof requested !== 'number' || !Number.isSafeInteger(requested)) {
      throw badRequest('The amount must be a whole number of minor units (for example 1050 for 10.50).', [{ path: ['amount'], message: 'Not an integer.' }]);
    }
    const min = minimumChargeMinor(invoice.currency);
    if (requested < min) throw badRequest(`The amount must be at least ${formatMinor(min, invoice.currency)}.`, [{ path: ['amount'], message: 'Below minimum.' }]);
    if (requested > invoice.balanceDue) throw badRequest(`The amount cannot be more than the balance due, ${formatMinor(invoice.balanceDue, invoice.currency)}.`, [{ path: ['amount'], message: 'Above balance.' }]);
    if (requested % amountStep(invoice.currency) !== 0) throw badRequest(`${invoice.currency} amounts must be a multiple of ${amountStep(invoice.currency)}.`, [{ path: ['amount'], message: 'Bad step.' }]);
    return requested;
  }

  function feeFor(portion: number, currency: string, settings: { feePercentBps: number; feeFixedAmount: number; defaultCurrency: string }) {
    // The fixed fee is in the default currency's minor units; other currencies get the percentage only.
    const fixedMinor = currency === settings.defaultCurrency ? settings.feeFixedAmount : 0;
    return feeSurcharge(portion, currency, { percentBps: settings.feePercentBps, fixedMinor });
  }

  function response(p: ProviderPayment, portion: number, fee: number, publishableKey: string, reused: boolean): IntentResponse {
    return {
      paymentIntentId: p.id,
      clientSecret: p.clientSecret ?? '',
      publishableKey,
      amount: portion + fee,
      portion,
      fee,
      currency: p.currency,
      amountFormatted: formatMinor(portion + fee, p.currency),
      feeFormatted: fee > 0 ? formatMinor(fee, p.currency) : null,
      reused,
    };
  }

  async function cardRows(invoiceId: number): Promise<PaymentRecord[]> {
    return (await strapi.db.query(UID.payment).findMany({ where: { invoice: { id: invoiceId }, kind: 'card' }, orderBy: { id: 'asc' } })) as PaymentRecord[];
  }

  return {
    /**
     * One live PaymentIntent per invoice: an open one for the same amount is reused, one whose
     * amount went stale is updated (or canceled and replaced once confirmed-but-abandoned), and a
     * new one gets an idempotency key derived from the invoice and attempt, so a retried request
     * can never create a second intent.
     */
    async createIntent(invoiceDocumentId: string, body: { amount?: unknown }, actor: Actor): Promise<IntentResponse> {
      const { settings, provider } = await ready();
      const outcome = await withInvoiceLock(strapi, invoiceDocumentId, async (invoice) => {
        checkPayable(invoice);
        const portion = portionFor(invoice, body.amount, settings.partialPayments);
        const fee = feeFor(portion, invoice.currency, settings);
        try {
          validateChargeAmount(portion + fee, invoice.currency);
        } catch (error) {
          if (isDomainError(error)) throw badRequest(error.message, [{ path: ['amount'], message: error.message }]);
          throw error;
        }
        const metadata: PaymentMetadata = { invoiceDocumentId: invoice.documentId, invoiceNumber: invoice.number, portion, fee };
        const rows = await cardRows(invoice.id);
        const live = rows.filter((r) => r.paymentIntentId && ['pending', 'failed', 'requires_action', 'processing'].includes(r.status));

        let reusable: { row: PaymentRecord; p: ProviderPayment } | null = null;
        for (const row of live) {
          const p = await provider.retrievePayment(row.paymentIntentId!);
          if (p.status === 'processing') {
            throw conflict('A payment for this invoice is already being processed. You will be notified when it completes.', 'PaymentProcessing');
          }
          if (p.status === 'succeeded') {
            throw conflict('A payment for this invoice has just succeeded. Reload the invoice to see its balance.', 'PaymentSucceeded');
          }
          if (!reusable && UNCONFIRMED.has(p.status)) {
            reusable = { row, p };
            continue;
          }
          // Any other open intent (3D Secure abandoned, or a second one) is canceled: one live intent.
          if (p.status !== 'canceled') await provider.cancelPayment(p.id, paymentIntentCancelKey(p.id));
          await strapi.db.query(UID.payment).update({ where: { id: row.id }, data: { status: 'canceled' } });
        }

        if (reusable) {
          const { row, p } = reusable;
          if (p.amount === portion + fee && row.amount === portion && row.fee === fee) {
            return { p, portion, fee, reused: true };
          }
          const revision = rows.length;
          const updated = await provider.updatePaymentAmount(p.id, portion + fee, metadata, paymentIntentUpdateKey(p.id, portion + fee, revision));
          await strapi.db.query(UID.payment).update({ where: { id: row.id }, data: { amount: portion, fee } });
          return { p: updated, portion, fee, reused: true };
        }

        const key = paymentIntentCreateKey(invoice.documentId, portion + fee, invoice.currency, rows.length);
        const created = await provider.createPayment({
          amount: portion + fee,
          currency: invoice.currency,
          metadata,
          description: `Invoice ${invoice.number}`,
          receiptEmail: (invoice as unknown as { billingEmail?: string | null }).billingEmail ?? null,
          idempotencyKey: key,
        });
        const existing = await strapi.db.query(UID.payment).findOne({ where: { paymentIntentId: created.id } });
        if (!existing) {
          await strapi.db.query(UID.payment).create({
            data: { invoice: invoice.id, kind: 'card', provider: 'stripe', status: 'pending', amount: portion, fee, currency: invoice.currency, paymentIntentId: created.id, livemode: created.livemode, idempotencyKey: key },
          });
        }
        return { p: created, portion, fee, reused: false };
      }).catch(providerFailure);
      if (!outcome) throw notFound('Invoice not found.');
      await getService(strapi, 'audit').log({
        action: 'payment.attempt',
        actor,
        invoice: { documentId: invoiceDocumentId, number: outcome.p.metadata?.invoiceNumber ?? null },
        outcome: outcome.reused ? 'reused' : 'created',
        details: { paymentIntentId: outcome.p.id, amount: outcome.portion + outcome.fee, currency: outcome.p.currency },
      });
      return response(outcome.p, outcome.portion, outcome.fee, settings.publishableKey!, outcome.reused);
    },

    /** The client says it paid: ask the provider and settle through the same path as the webhook. */
    async confirm(invoice: InvoiceRow, paymentIntentId: unknown, actor: Actor) {
      if (typeof paymentIntentId !== 'string' || !/^pi_[A-Za-z0-9_]+$/.test(paymentIntentId)) {
        throw badRequest('paymentIntentId is required (the id of the PaymentIntent that was confirmed).', [{ path: ['paymentIntentId'], message: 'Required.' }]);
      }
      const row = await strapi.db.query(UID.payment).findOne({ where: { paymentIntentId, invoice: { id: invoice.id } } });
      if (!row) throw notFound('No such payment on this invoice.');
      await ready();
      const result = await getService(strapi, 'settlement').syncPayment(paymentIntentId, { actor }).catch(providerFailure);
      if (result.outcome !== 'settled') throw conflict(result.reason, 'PaymentNotSettled');
      return {
        paymentStatus: result.payment.status,
        failureCode: result.payment.failureCode,
        failureMessage: (result.payment as unknown as { failureMessage?: string | null }).failureMessage ?? null,
        invoice: { status: result.invoice.status, balanceDue: result.invoice.balanceDue, amountPaid: result.invoice.amountPaid, currency: result.invoice.currency },
      };
    },

    /** A Checkout session for the balance, hosted (url) or embedded (client secret). */
    async createCheckout(invoiceDocumentId: string, uiModeRequested: unknown, actor: Actor) {
      const { settings, provider } = await ready();
      const uiMode = uiModeRequested === 'embedded' || uiModeRequested === 'hosted' ? uiModeRequested : settings.checkoutMode === 'embedded' ? 'embedded' : 'hosted';
      const base = `${publicBaseUrl(strapi)}/${PLUGIN_ID}/pay`;
      const outcome = await withInvoiceLock(strapi, invoiceDocumentId, async (invoice) => {
        checkPayable(invoice);
        const portion = invoice.balanceDue;
        const fee = feeFor(portion, invoice.currency, settings);
        const metadata: PaymentMetadata = { invoiceDocumentId: invoice.documentId, invoiceNumber: invoice.number, portion, fee };
        const attempt = await strapi.db.query(UID.payment).count({ where: { invoice: { id: invoice.id }, kind: 'checkout' } });
        const session = await provider.createCheckoutSession({
          amount: portion + fee,
          currency: invoice.currency,
          metadata,
          productName: `Invoice ${invoice.number}`,
          customerEmail: (invoice as unknown as { billingEmail?: string | null }).billingEmail ?? null,
          uiMode,
          successUrl: `${base}/success?session_id={CHECKOUT_SESSION_ID}`,
          cancelUrl: `${base}/cancel?invoice=${invoice.documentId}`,
          returnUrl: `${base}/success?session_id={CHECKOUT_SESSION_ID}`,
          idempotencyKey: `${checkoutSessionKey(invoice.documentId, portion + fee, attempt)}-${uiMode}`,
        });
        if (!(await strapi.db.query(UID.payment).findOne({ where: { checkoutSessionId: session.id } }))) {
          await strapi.db.query(UID.payment).create({
            data: { invoice: invoice.id, kind: 'checkout', provider: 'stripe', status: 'pending', amount: portion, fee, currency: invoice.currency, checkoutSessionId: session.id, livemode: session.livemode },
          });
        }
        return { session, portion, fee, invoice };
      }).catch(providerFailure);
      if (!outcome) throw notFound('Invoice not found.');
      await getService(strapi, 'audit').log({ action: 'payment.checkout', actor, invoice: { documentId: invoiceDocumentId, number: outcome.invoice.number }, outcome: 'created', details: { checkoutSessionId: outcome.session.id, uiMode } });
      return {
        checkoutSessionId: outcome.session.id,
        uiMode,
        url: outcome.session.url,
        clientSecret: outcome.session.clientSecret,
        publishableKey: settings.publishableKey,
        amount: outcome.portion + outcome.fee,
        currency: outcome.invoice.currency,
        amountFormatted: formatMinor(outcome.portion + outcome.fee, outcome.invoice.currency),
      };
    },
  };
};
