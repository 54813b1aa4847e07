import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { amountStep, currencyExponent, formatMinor, INVOICE_STATUSES, type InvoiceStatus } from '../domain';
import { ProviderRequestError } from '../providers/types';
import type { DashboardKind } from '../providers/types';
import { UID, PLUGIN_ID } from '../utils/plugin-id';
import { withInvoiceLock } from '../utils/lock';
import { getService } from '../utils/get-service';
import { badGateway, badRequest, conflict, notFound } from '../utils/errors';
import { fromZod } from '../utils/respond';
import type { Actor } from './settings';
import type { InvoiceRow } from './invoices';
import { newPayToken } from './invoices';
import type { PaymentRecord } from './settlement';
import { viewOf as refundView, type RefundRow } from './refunds';

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
    // What the refund means for the invoice; omitted = the "Refunds" setting's default.
    invoiceEffect: z.enum(['reopen', 'keep_paid'], { message: 'Choose whether the refund reopens the balance ("reopen") or keeps the invoice paid ("keep_paid").' }).optional(),
    idempotencyKey: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/).optional(),
  })
  .strict();

const listSchema = z.object({
  state: z.enum(INVOICE_STATUSES, { message: `Unknown invoice state. Use one of: ${INVOICE_STATUSES.join(', ')}.` }).optional(),
  q: z.string().trim().max(100).optional(),
  overdue: z.enum(['true', 'false']).optional(),
  page: z.coerce.number().int().min(1).max(100000).optional(),
  pageSize: z.coerce.number().int().min(1).max(100).optional(),
  sort: z.enum(['createdAt:desc', 'createdAt:asc', 'dueDate:asc', 'dueDate:desc', 'number:asc', 'number:desc', 'balanceDue:desc']).optional(),
})
  // An unknown filter (say the old `status`) would otherwise be ignored and list every invoice.
  .strict();

export type InvoiceListQuery = z.infer<typeof listSchema>;

/**
 * The admin invoice list's filters (state, search, overdue) as a query-engine `where`: the list,
 * the dashboard and the CSV exports read the same parameters the same way. Bad values: a 400.
 */
export function parseInvoiceFilters(query: unknown, today: string): { parsed: InvoiceListQuery; where: Record<string, unknown> } {
  const result = listSchema.safeParse(query ?? {});
  if (!result.success) throw fromZod(result.error);
  const { state, q, overdue } = result.data;
  const where: Record<string, unknown> = {};
  if (state) where.state = state;
  if (q) where.$or = [{ number: { $startsWith: q } }, { billingName: { $containsi: q } }, { billingEmail: { $startsWith: q.toLowerCase() } }];
  if (overdue === 'true') Object.assign(where, { dueDate: { $lt: today }, state: { $in: ['sent', 'viewed', 'partially_paid'] } });
  return { parsed: result.data, where };
}

const LIST_FIELDS = ['documentId', 'number', 'state', 'currency', 'total', 'balanceDue', 'amountPaid', 'dueDate', 'issueDate', 'billingName', 'billingEmail', 'needsAttention', 'disputeOpen', 'createdAt'];

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const audit = () => getService(strapi, 'audit');
  const today = () => new Date().toISOString().slice(0, 10);

  async function invoiceOr404(documentId: string): Promise<InvoiceRow & Record<string, unknown>> {
    const invoice = await strapi.db.query(UID.invoice).findOne({ where: { documentId } });
    if (!invoice) throw notFound('No such invoice.');
    return invoice;
  }

  /** A link into the dashboard of the provider holding the payment (none for manual entries). */
  const withLink = (provider: string | null | undefined, kind: DashboardKind, id: string | null, livemode: boolean) =>
    id ? (getService(strapi, 'providers').traits(provider)?.dashboardUrl(kind, id, livemode) ?? null) : null;

  return {
    async listInvoices(query: unknown) {
      const { parsed, where } = parseInvoiceFilters(query, today());
      const { page = 1, pageSize = 25, sort = 'createdAt:desc' } = parsed;
      const [field, dir] = sort.split(':') as [string, 'asc' | 'desc'];
      const [results, total] = await Promise.all([
        strapi.db.query(UID.invoice).findMany({ where, select: LIST_FIELDS, orderBy: [{ [field]: dir }, { id: dir }], offset: (page - 1) * pageSize, limit: pageSize }),
        strapi.db.query(UID.invoice).count({ where }),
      ]);
      const now = today();
      return {
        results: results.map((r: Record<string, unknown>) => ({
          ...r,
          overdue: typeof r.dueDate === 'string' && r.dueDate < now && ['sent', 'viewed', 'partially_paid'].includes(r.state as string),
          totalFormatted: formatMinor(r.total as number, r.currency as string),
          balanceFormatted: formatMinor(r.balanceDue as number, r.currency as string),
        })),
        pagination: { page, pageSize, total, pageCount: Math.ceil(total / pageSize) },
      };
    },

    async getInvoice(documentId: string) {
      const invoice = await invoiceOr404(documentId);
      const payments = (await strapi.db.query(UID.payment).findMany({ where: { invoice: { id: invoice.id } }, orderBy: { id: 'asc' } })) as Array<PaymentRecord & Record<string, unknown>>;
      const refunds = (await strapi.db.query(UID.refund).findMany({ where: { payment: { id: { $in: payments.map((p) => p.id) } } }, populate: ['payment'], orderBy: { id: 'asc' } })) as RefundRow[];
      // Refundable counts pending and in-flight refunds; failed and canceled ones give it back.
      const refundable = await getService(strapi, 'refunds').refundableMap(payments);
      const auditTrail = await audit().list({ invoice: documentId, pageSize: 100 });
      // The pay token goes out only inside payLink; the attempt lease is internal.
      const { payToken, attemptLockToken: _lease, attemptLockUntil: _leaseUntil, ...rest } = invoice;
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
          // What the refund dialog proposes for "what does this refund mean for the invoice".
          refundDefault: (await getService(strapi, 'settings').load()).refundPolicy,
          payLink: payToken ? getService(strapi, "notifications").payLink({ ...(invoice as unknown as Record<string, unknown>), payToken } as never) : null,
        },
        payments: payments.map((p) => ({
          ...p,
          amountFormatted: formatMinor(p.amount, p.currency),
          feeFormatted: p.fee ? formatMinor(p.fee, p.currency) : null,
          // Stripe's processing fee, in the balance transaction's currency (may differ from the payment's).
          providerFeeFormatted: p.providerFee != null ? formatMinor(p.providerFee, p.providerFeeCurrency ?? p.currency) : null,
          refundable: refundable.get(p.id) ?? 0,
          refundableFormatted: formatMinor(refundable.get(p.id) ?? 0, p.currency),
          dashboardUrl: withLink(p.provider, p.kind === 'checkout' && !p.providerPaymentId ? 'checkout' : 'payment', p.providerPaymentId ?? p.checkoutSessionId, p.livemode),
          disputeUrl: withLink(p.provider, 'dispute', p.disputeId, p.livemode),
          refunds: refunds
            .filter((r) => r.payment?.id === p.id)
            .map((r) => ({
              ...refundView(r),
              amountFormatted: formatMinor(r.amount, r.currency),
              createdAt: r.createdAt,
              dashboardUrl: withLink(p.provider, 'refund', r.providerRefundId, p.livemode),
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
        if (invoice.state === 'void') throw conflict('This invoice has been voided.', 'InvoiceNotPayable');
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
        await audit().log({ action: 'payment.manual', actor, invoice: { documentId, number: invoice.number }, details: { paymentId: payment.id, amount, currency: invoice.currency, method: input.method, reference: input.reference ?? null, date: input.date ?? today() } });
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
        await audit().log({ action: 'payment.manual_voided', actor, invoice: { documentId: invoice.documentId, number: invoice.number }, details: { paymentId: payment.id, amount: payment.amount, currency: payment.currency, reason } });
        return updated;
      });
      return { invoice: result };
    },

    /**
     * Refunds (part of) a card payment: reserved under the invoice lock, made at the provider
     * outside it, finished under it (services/refunds.ts). The dialog's key makes a retry safe.
     */
    async refund(paymentDocumentId: string, body: unknown, actor: Actor) {
      const parsed = refundSchema.safeParse(body ?? {});
      if (!parsed.success) throw fromZod(parsed.error);
      const input = parsed.data;
      const outcome = await getService(strapi, 'refunds').requestRefund({
        paymentDocumentId,
        amount: input.amount,
        reason: input.reason ?? null,
        invoiceEffect: input.invoiceEffect,
        actor,
        purpose: 'admin',
        clientKey: input.idempotencyKey ?? null,
      });
      return { refund: outcome.refund, replayed: outcome.replayed, ...(await this.getInvoice(outcome.invoiceDocumentId)) };
    },

    /** Re-reads every provider payment of the invoice and settles it. */
    async resync(documentId: string, actor: Actor) {
      const invoice = await invoiceOr404(documentId);
      const rows = (await strapi.db.query(UID.payment).findMany({ where: { invoice: { id: invoice.id }, kind: { $in: ['card', 'checkout'] } } })) as PaymentRecord[];
      const settlement = getService(strapi, 'settlement');
      const refundsService = getService(strapi, 'refunds');
      try {
        for (const row of rows) {
          // Refunds left unconfirmed (a 500, a timeout) are looked up at the provider and finished first.
          await refundsService.resolveOutstanding(row.id, actor);
          const ctx = { provider: await getService(strapi, 'providers').forRow(row), actor };
          const hasRefunds = (await strapi.db.query(UID.refund).count({ where: { payment: { id: row.id } } })) > 0;
          if (row.providerPaymentId && hasRefunds) await refundsService.syncPaymentRefunds(row.providerPaymentId, ctx);
          else if (row.providerPaymentId) await settlement.syncPayment(row.providerPaymentId, ctx);
          else if (row.checkoutSessionId) await settlement.syncCheckoutSession(row.checkoutSessionId, ctx);
        }
      } catch (error) {
        if (error instanceof ProviderRequestError) throw badGateway('The payment provider could not be reached; nothing changed. Try again in a moment.');
        throw error;
      }
      await audit().log({ action: 'invoice.resynced', actor, invoice: { documentId, number: invoice.number }, details: { payments: rows.length } });
      return this.getInvoice(documentId);
    },

    /**
     * Sends the invoice email with its pay link; a draft becomes "sent" only once the email
     * provider accepted it. A failure changes nothing, is audited, and answers 502.
     */
    async send(documentId: string, actor: Actor) {
      const invoice = await invoiceOr404(documentId);
      if (!invoice.billingEmail) throw badRequest('Add a billing email to the invoice before sending it.', [{ path: ['billingEmail'], message: 'Required.' }]);
      if (invoice.state === 'void') throw conflict('A voided invoice cannot be sent.', 'InvoiceNotSendable');
      const result = await getService(strapi, 'notifications').trySendInvoice(invoice as never);
      if (!result.ok) {
        await audit().log({ action: 'invoice.send_failed', actor, outcome: 'failed', invoice: { documentId, number: invoice.number }, details: { to: invoice.billingEmail, reason: result.reason } });
        throw badGateway(`The invoice email could not be sent (${result.reason}); the invoice was not marked as sent. Check the email provider in Settings → Email (host, port, sender, credentials), then send it again.`, { reason: result.reason });
      }
      if ((invoice.state as InvoiceStatus) === 'draft') {
        await strapi.db.query(UID.invoice).update({ where: { id: invoice.id }, data: { state: 'sent' } });
      }
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
