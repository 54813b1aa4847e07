import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { amountStep, currencyExponent, formatMinor, refundKey, splitRefundFee, type InvoiceStatus } from '../domain';
import { ProviderRequestError } from '../providers/types';
import { stripeDashboardUrl, type DashboardKind } from '../providers/stripe/provider';
import { UID, PLUGIN_ID } from '../utils/plugin-id';
import { withInvoiceLock } from '../utils/lock';
import { getService } from '../utils/get-service';
import { badGateway, badRequest, conflict, notFound, PluginError } from '../utils/errors';
import { fromZod } from '../utils/respond';
import type { Actor } from './settings';
import type { InvoiceRow } from './invoices';
import { newPayToken } from './invoices';
import type { PaymentRecord } from './settlement';

const manualSchema = z
  .object({
    amount: z.number().int('The amount must be whole minor units (1050 for 10.50).').positive('The amount must be above zero.').optional(),
    date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'Use a date like 2026-11-22.').optional(),
    method: z.enum(['check', 'ach', 'wire', 'cash', 'other'], { message: 'Method must be check, ach, wire, cash or other.' }),
    reference: z.string().trim().max(200).optional(),
  })
  .strict();

const refundSchema = z
  .object({
    amount: z.number().int('The amount must be whole minor units.').positive('The amount must be above zero.').optional(),
    reason: z.enum(['duplicate', 'fraudulent', 'requested_by_customer']).optional(),
    idempotencyKey: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/).optional(),
  })
  .strict();

const listSchema = z.object({
  status: z.enum(['draft', 'sent', 'viewed', 'partially_paid', 'paid', 'void']).optional(),
  q: z.string().trim().max(100).optional(),
  overdue: z.enum(['true', 'false']).optional(),
  page: z.coerce.number().int().min(1).max(100000).optional(),
  pageSize: z.coerce.number().int().min(1).max(100).optional(),
  sort: z.enum(['createdAt:desc', 'createdAt:asc', 'dueDate:asc', 'dueDate:desc', 'number:asc', 'number:desc', 'balanceDue:desc']).optional(),
});

const LIST_FIELDS = ['documentId', 'number', 'status', 'currency', 'total', 'balanceDue', 'amountPaid', 'dueDate', 'issueDate', 'billingName', 'billingEmail', 'needsAttention', 'disputeOpen', 'createdAt'];

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const audit = () => getService(strapi, 'audit');
  const today = () => new Date().toISOString().slice(0, 10);

  async function invoiceOr404(documentId: string): Promise<InvoiceRow & Record<string, unknown>> {
    const invoice = await strapi.db.query(UID.invoice).findOne({ where: { documentId } });
    if (!invoice) throw notFound('No such invoice.');
    return invoice;
  }

  const withLink = (kind: DashboardKind, id: string | null, livemode: boolean) => (id ? stripeDashboardUrl(kind, id, livemode) : null);

  /** What the refund dialog may offer; refund() re-checks under the lock, pending refunds included. */
  function refundableOf(p: PaymentRecord): number {
    return p.kind !== 'manual' && ['succeeded', 'partially_refunded'].includes(p.status) ? p.amount - p.amountRefunded : 0;
  }

  async function syncAfter(paymentIntentId: string | null, actor: Actor) {
    if (!paymentIntentId) return;
    try {
      await getService(strapi, 'settlement').syncPayment(paymentIntentId, { actor });
    } catch (error) {
      // The webhook or the reconciliation sweep will settle it; the refund itself is recorded.
      strapi.log.warn(`[invoice-payments] sync after refund failed: ${error instanceof Error ? error.message : 'unknown error'}`);
    }
  }

  return {
    async listInvoices(query: unknown) {
      const parsed = listSchema.safeParse(query);
      if (!parsed.success) throw fromZod(parsed.error);
      const { status, q, overdue, page = 1, pageSize = 25, sort = 'createdAt:desc' } = parsed.data;
      const where: Record<string, unknown> = {};
      if (status) where.status = status;
      if (q) where.$or = [{ number: { $startsWith: q } }, { billingName: { $containsi: q } }, { billingEmail: { $startsWith: q.toLowerCase() } }];
      if (overdue === 'true') Object.assign(where, { dueDate: { $lt: today() }, status: { $in: ['sent', 'viewed', 'partially_paid'] } });
      const [field, dir] = sort.split(':') as [string, 'asc' | 'desc'];
      const [results, total] = await Promise.all([
        strapi.db.query(UID.invoice).findMany({ where, select: LIST_FIELDS, orderBy: [{ [field]: dir }, { id: dir }], offset: (page - 1) * pageSize, limit: pageSize }),
        strapi.db.query(UID.invoice).count({ where }),
      ]);
      const now = today();
      return {
        results: results.map((r: Record<string, unknown>) => ({
          ...r,
          overdue: typeof r.dueDate === 'string' && r.dueDate < now && ['sent', 'viewed', 'partially_paid'].includes(r.status as string),
          totalFormatted: formatMinor(r.total as number, r.currency as string),
          balanceFormatted: formatMinor(r.balanceDue as number, r.currency as string),
        })),
        pagination: { page, pageSize, total, pageCount: Math.ceil(total / pageSize) },
      };
    },

    async getInvoice(documentId: string) {
      const invoice = await invoiceOr404(documentId);
      const payments = (await strapi.db.query(UID.payment).findMany({ where: { invoice: { id: invoice.id } }, orderBy: { id: 'asc' } })) as Array<PaymentRecord & Record<string, unknown>>;
      const refunds = await strapi.db.query(UID.refund).findMany({ where: { payment: { id: { $in: payments.map((p) => p.id) } } }, populate: ['payment'], orderBy: { id: 'asc' } });
      const auditTrail = await audit().list({ invoice: documentId, pageSize: 100 });
      const { payToken, ...rest } = invoice;
      return {
        invoice: {
          ...rest,
          totalFormatted: formatMinor(invoice.total, invoice.currency),
          balanceFormatted: formatMinor(invoice.balanceDue, invoice.currency),
          // The admin screens show every total and convert typed amounts (major units) to minor units.
          subtotalFormatted: formatMinor(Number(invoice.subtotal ?? 0), invoice.currency),
          taxFormatted: formatMinor(Number(invoice.tax ?? 0), invoice.currency),
          discountFormatted: formatMinor(Number(invoice.discountAmount ?? 0), invoice.currency),
          amountPaidFormatted: formatMinor(Number(invoice.amountPaid ?? 0), invoice.currency),
          amountRefundedFormatted: formatMinor(Number(invoice.amountRefunded ?? 0), invoice.currency),
          currencyExponent: currencyExponent(invoice.currency),
          amountStep: amountStep(invoice.currency),
          payLink: payToken ? getService(strapi, "notifications").payLink({ ...(invoice as unknown as Record<string, unknown>), payToken } as never) : null,
        },
        payments: payments.map((p) => ({
          ...p,
          amountFormatted: formatMinor(p.amount, p.currency),
          feeFormatted: p.fee ? formatMinor(p.fee, p.currency) : null,
          refundable: refundableOf(p),
          refundableFormatted: formatMinor(refundableOf(p), p.currency),
          dashboardUrl: withLink(p.kind === 'checkout' && !p.paymentIntentId ? 'checkout' : 'payment', p.paymentIntentId ?? p.checkoutSessionId, p.livemode),
          disputeUrl: withLink('dispute', p.disputeId, p.livemode),
          refunds: refunds
            .filter((r: { payment?: { id: number } }) => r.payment?.id === p.id)
            .map((r: { stripeRefundId: string | null; amount: number; currency: string; status: string; createdAt: string; reason: string | null }) => ({
              id: r.stripeRefundId,
              amount: r.amount,
              amountFormatted: formatMinor(r.amount, r.currency),
              status: r.status,
              reason: r.reason,
              createdAt: r.createdAt,
              dashboardUrl: withLink('refund', r.stripeRefundId, p.livemode),
            })),
        })),
        audit: auditTrail.results,
      };
    },

    /** "Mark as paid": a payment made outside Stripe, booked in the ledger. */
    async recordManualPayment(documentId: string, body: unknown, actor: Actor) {
      const parsed = manualSchema.safeParse(body ?? {});
      if (!parsed.success) throw fromZod(parsed.error);
      const input = parsed.data;
      if (input.date && input.date > today()) throw badRequest('The payment date cannot be in the future.', [{ path: ['date'], message: 'In the future.' }]);
      const result = await withInvoiceLock(strapi, documentId, async (invoice) => {
        if (invoice.status === 'void') throw conflict('This invoice has been voided.', 'InvoiceNotPayable');
        if (invoice.balanceDue <= 0) throw conflict('This invoice has nothing left to pay.', 'InvoiceNotPayable');
        const amount = input.amount ?? invoice.balanceDue;
        if (amount > invoice.balanceDue) {
          throw badRequest(`That is more than the balance due (${formatMinor(invoice.balanceDue, invoice.currency)}).`, [{ path: ['amount'], message: 'More than the balance.' }], 'Overpayment');
        }
        const payment = await strapi.db.query(UID.payment).create({
          data: {
            invoice: invoice.id,
            kind: 'manual',
            provider: 'manual',
            method: input.method,
            status: 'succeeded',
            amount,
            fee: 0,
            currency: invoice.currency,
            reference: input.reference ?? null,
            paidAt: new Date(`${input.date ?? today()}T12:00:00Z`),
            recordedBy: actor.label ?? String(actor.id ?? ''),
            notifiedAt: new Date(),
          },
        });
        const updated = (await strapi.db.query(UID.invoice).update({ where: { id: invoice.id }, data: {} })) as InvoiceRow;
        await audit().log({ action: 'payment.manual', actor, invoice: { documentId, number: invoice.number }, details: { paymentId: payment.id, amount, method: input.method, reference: input.reference ?? null, date: input.date ?? today() } });
        return { payment, invoice: updated };
      });
      if (!result) throw notFound('No such invoice.');
      // The balance changed outside the provider: no older attempt may charge the old amount.
      await getService(strapi, 'attempts').endOthers(documentId, null, actor);
      return result;
    },

    async voidManualPayment(paymentDocumentId: string, body: { reason?: unknown } | undefined, actor: Actor) {
      const payment = await strapi.db.query(UID.payment).findOne({ where: { documentId: paymentDocumentId }, populate: ['invoice'] });
      if (!payment || !payment.invoice) throw notFound('No such payment.');
      if (payment.kind !== 'manual') throw conflict('Only manual payments can be voided. Refund card payments instead.', 'NotVoidable');
      if (payment.voidedAt) throw conflict('This payment is already voided.', 'NotVoidable');
      const reason = typeof body?.reason === 'string' ? body.reason.slice(0, 500) : null;
      const result = await withInvoiceLock(strapi, payment.invoice.documentId, async (invoice) => {
        await strapi.db.query(UID.payment).update({ where: { id: payment.id }, data: { voidedAt: new Date(), voidReason: reason } });
        const updated = await strapi.db.query(UID.invoice).update({ where: { id: invoice.id }, data: {} });
        await audit().log({ action: 'payment.manual_voided', actor, invoice: { documentId: invoice.documentId, number: invoice.number }, details: { paymentId: payment.id, amount: payment.amount, reason } });
        return updated;
      });
      return { invoice: result };
    },

    /** Refunds (part of) a card payment through the provider, with a deterministic idempotency key. */
    async refund(paymentDocumentId: string, body: unknown, actor: Actor) {
      const parsed = refundSchema.safeParse(body ?? {});
      if (!parsed.success) throw fromZod(parsed.error);
      const input = parsed.data;
      const payment = await strapi.db.query(UID.payment).findOne({ where: { documentId: paymentDocumentId }, populate: ['invoice'] });
      if (!payment || !payment.invoice) throw notFound('No such payment.');
      if (payment.kind === 'manual') throw conflict('Manual payments are refunded outside Stripe; void the entry instead.', 'NotRefundable');
      const settings = await getService(strapi, 'settings').load();
      const provider = await getService(strapi, 'stripe').currentProvider();
      const outcome = await withInvoiceLock(strapi, payment.invoice.documentId, async (invoice) => {
        const row = (await strapi.db.query(UID.payment).findOne({ where: { id: payment.id } })) as PaymentRecord;
        if (row.status === 'refunded') throw conflict('This payment has been refunded in full already.', 'NotRefundable');
        if (!['succeeded', 'partially_refunded'].includes(row.status) || !row.paymentIntentId) {
          throw conflict(`This payment cannot be refunded: it is ${row.status.replace('_', ' ')}.`, 'NotRefundable');
        }
        const pendingRefunds = await strapi.db.query(UID.refund).findMany({ where: { payment: { id: row.id }, status: 'pending' } });
        const pendingPortion = pendingRefunds.reduce((s: number, r: { amount: number; feeAmount: number | null }) => s + r.amount - (r.feeAmount ?? 0), 0);
        const refundable = row.amount - row.amountRefunded - pendingPortion;
        const amount = input.amount ?? refundable;
        if (refundable <= 0) throw conflict('This payment has been refunded in full already.', 'NotRefundable');
        if (amount > refundable) {
          throw badRequest(`You can refund at most ${formatMinor(refundable, row.currency)} of this payment.`, [{ path: ['amount'], message: 'More than refundable.' }]);
        }
        const feePart = splitRefundFee({ refundAmount: amount, amount: row.amount, fee: row.fee, amountAlreadyRefunded: row.amountRefunded + pendingPortion, feeAlreadyRefunded: row.feeRefunded, policy: settings.refundFeePolicy, currency: row.currency });
        // Without a key from the client: the n-th refund requested here, for this amount. Refunds
        // the webhook booked (requestedBy 'stripe') do not count, so retrying a refund whose answer
        // was lost (Stripe made it, the webhook booked it) reuses the key instead of refunding twice.
        const seq = (await strapi.db.query(UID.refund).count({ where: { payment: { id: row.id }, requestedBy: { $ne: 'stripe' } } })) + 1;
        const key = input.idempotencyKey ? `ip-rf-${row.id}-${input.idempotencyKey}` : `${refundKey(String(row.id), seq)}-${amount}`;
        const refund = await provider.createRefund(row.paymentIntentId, amount + feePart, { invoice_payments_invoice: invoice.documentId, invoice_payments_payment: String(row.id) }, key);
        const booked = (await strapi.db.query(UID.refund).findOne({ where: { stripeRefundId: refund.id } })) as { id: number; requestedBy: string | null } | null;
        if (!booked) {
          await strapi.db.query(UID.refund).create({
            data: { payment: row.id, invoiceDocumentId: invoice.documentId, stripeRefundId: refund.id, status: refund.status, amount: refund.amount, feeAmount: feePart, currency: row.currency, reason: input.reason ?? null, requestedBy: actor.label ?? 'admin' },
          });
        } else if (booked.requestedBy === 'stripe') {
          // The webhook booked it after an earlier try's answer was lost: it is this admin's refund.
          await strapi.db.query(UID.refund).update({ where: { id: booked.id }, data: { feeAmount: feePart, reason: input.reason ?? null, requestedBy: actor.label ?? 'admin' } });
        }
        await audit().log({ action: 'refund.requested', actor, invoice: { documentId: invoice.documentId, number: invoice.number }, outcome: refund.status, details: { refundId: refund.id, amount, fee: feePart, paymentIntentId: row.paymentIntentId } });
        return { refund, paymentIntentId: row.paymentIntentId };
      }).catch((error: unknown) => {
        if (error instanceof PluginError) throw error;
        if (error instanceof ProviderRequestError) throw badGateway(error.retryable ? 'Stripe did not confirm the refund: it is not answering right now. Try the same refund again in a moment; Stripe makes it only once.' : error.message, { code: error.code });
        throw error;
      });
      if (!outcome) throw notFound('No such invoice.');
      await syncAfter(outcome.paymentIntentId, actor);
      return { refund: outcome.refund, ...(await this.getInvoice(payment.invoice.documentId)) };
    },

    /** Re-reads every provider payment of the invoice and settles it. */
    async resync(documentId: string, actor: Actor) {
      const invoice = await invoiceOr404(documentId);
      const rows = (await strapi.db.query(UID.payment).findMany({ where: { invoice: { id: invoice.id }, kind: { $in: ['card', 'checkout'] } } })) as PaymentRecord[];
      const settlement = getService(strapi, 'settlement');
      try {
        for (const row of rows) {
          if (row.paymentIntentId) await settlement.syncPayment(row.paymentIntentId, { actor });
          else if (row.checkoutSessionId) await settlement.syncCheckoutSession(row.checkoutSessionId, { actor });
        }
      } catch (error) {
        if (error instanceof ProviderRequestError) throw badGateway('Stripe could not be reached; nothing changed. Try again in a moment.');
        throw error;
      }
      await audit().log({ action: 'invoice.resynced', actor, invoice: { documentId, number: invoice.number }, details: { payments: rows.length } });
      return this.getInvoice(documentId);
    },

    /** Sends the invoice email with its pay link; a draft becomes "sent". */
    async send(documentId: string, actor: Actor) {
      let invoice = await invoiceOr404(documentId);
      if (!invoice.billingEmail) throw badRequest('Add a billing email to the invoice before sending it.', [{ path: ['billingEmail'], message: 'Required.' }]);
      if (invoice.status === 'void') throw conflict('A voided invoice cannot be sent.', 'InvoiceNotSendable');
      if ((invoice.status as InvoiceStatus) === 'draft') {
        invoice = await strapi.db.query(UID.invoice).update({ where: { id: invoice.id }, data: { status: 'sent' } });
      }
      const sent = await getService(strapi, 'notifications').sendInvoice(invoice as never);
      if (!sent) throw badGateway('The email could not be sent. Check the email provider settings.');
      await audit().log({ action: 'invoice.sent', actor, invoice: { documentId, number: invoice.number }, details: { to: invoice.billingEmail } });
      return this.getInvoice(documentId);
    },

    /** Issues a new pay link; the old one stops working at once. */
    async regeneratePayLink(documentId: string, actor: Actor) {
      const invoice = await invoiceOr404(documentId);
      // Straight to the column: the invoice lifecycle refuses pay tokens from any input.
      await strapi.db.connection('invoice_payments_invoices').where({ id: invoice.id }).update({ pay_token: newPayToken() });
      await audit().log({ action: 'invoice.pay_link_regenerated', actor, invoice: { documentId, number: invoice.number } });
      return this.getInvoice(documentId);
    },

    pluginId: PLUGIN_ID,
  };
};
