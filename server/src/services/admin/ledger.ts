import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { formatMinor } from '../../domain';
import { providerLabel } from '../../providers/registry';
import { ProviderRequestError } from '../../providers/types';
import { UID } from '../../utils/plugin-id';
import { withInvoiceLock } from '../../utils/lock';
import { getService } from '../../utils/get-service';
import { badGateway, badRequest, conflict, notFound } from '../../utils/errors';
import { fromZod } from '../../utils/respond';
import type { Actor } from '../settings';
import type { PaymentRecord } from '../settlement';
import type { AdminView } from './presentation';
const manualSchema = z
  .object({
    amount: z
      .number()
      .int('The amount must be whole minor units (1050 for 10.50).')
      .positive('The amount must be above zero.')
      .optional(),
    date: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'Use a date like 2026-11-22.')
      .optional(),
    method: z.enum(['check', 'ach', 'wire', 'cash', 'other'], {
      message: 'Method must be check, ach, wire, cash or other.',
    }),
    reference: z.string().trim().max(200).optional(),
  })
  .strict();

const refundSchema = z
  .object({
    amount: z
      .number()
      .int('The amount must be whole minor units.')
      .positive('The amount must be above zero.')
      .optional(),
    reason: z.enum(['duplicate', 'fraudulent', 'requested_by_customer']).optional(),
    // What the refund means for the invoice; omitted = the "Refunds" setting's default.
    invoiceEffect: z
      .enum(['reopen', 'keep_paid'], {
        message: 'Choose whether the refund reopens the balance ("reopen") or keeps the invoice paid ("keep_paid").',
      })
      .optional(),
    idempotencyKey: z
      .string()
      .regex(/^[A-Za-z0-9_-]{8,64}$/)
      .optional(),
  })
  .strict();

/** Voiding a manual payment: the reason is optional (kept up to 500 characters); anything else is no reason. */
const voidPaymentSchema = z.object({
  reason: z
    .string()
    .transform((r) => r.slice(0, 500))
    .nullable()
    .optional()
    .catch(null),
});

/**
 * The admin's ledger actions: manual payments and their voiding, refunds, resync with the provider.
 * Each answers the invoice as the admin sees it.
 */
export default ({ strapi }: { strapi: Core.Strapi }, view: AdminView) => {
  const audit = () => getService(strapi, 'audit');
  const today = () => new Date().toISOString().slice(0, 10);
  const { invoiceOr404 } = view;

  return {
    /** "Mark as paid": a payment made outside Stripe, booked in the ledger. */
    async recordManualPayment(documentId: string, body: unknown, actor: Actor) {
      const parsed = manualSchema.safeParse(body ?? {});
      if (!parsed.success) throw fromZod(parsed.error);
      const input = parsed.data;
      if (input.date && input.date > today())
        throw badRequest('The payment date cannot be in the future.', [{ path: ['date'], message: 'In the future.' }]);
      const result = await withInvoiceLock(strapi, documentId, async (invoice) => {
        if (invoice.state === 'void') throw conflict('This invoice has been voided.', 'InvoiceNotPayable');
        if (invoice.balanceDue <= 0) throw conflict('This invoice has nothing left to pay.', 'InvoiceNotPayable');
        // A debit the provider is processing (SEPA, ACH: days) is not in the balance yet and cannot
        // be stopped (Stripe cancels a `processing` intent only "in rare cases":
        // https://docs.stripe.com/api/payment_intents/cancel), so booking its part again by hand
        // would be an overpayment to refund once it arrives. Attempts still waiting for the client
        // (a voucher, microdeposits) are ended by endOthers below instead.
        const processing = (await strapi.db.query(UID.payment).findMany({
          where: { invoice: { id: invoice.id }, status: 'processing', voidedAt: { $null: true } },
          select: ['amount', 'provider', 'mismatch'],
        })) as Array<{ amount: number; provider: string | null; mismatch: string | null }>;
        const moving = processing.filter((p) => !p.mismatch);
        const inFlight = moving.reduce((sum, p) => sum + p.amount, 0);
        const open = invoice.balanceDue - inFlight;
        if (inFlight > 0 && (input.amount ?? invoice.balanceDue) > open) {
          const holders = [...new Set(moving.map((p) => providerLabel(p.provider)))].join(' or ');
          const rest =
            open > 0
              ? `At most ${formatMinor(open, invoice.currency)} can be marked as paid until it has arrived or failed.`
              : 'If the client paid another way, mark the invoice as paid once that debit has failed.';
          throw conflict(
            `${formatMinor(inFlight, invoice.currency)} is on its way from the client (${holders} is processing a bank debit). ${rest}`,
            'MoneyOnItsWay',
          );
        }
        const amount = input.amount ?? invoice.balanceDue;
        if (amount > invoice.balanceDue) {
          throw badRequest(
            `That is more than the balance due (${formatMinor(invoice.balanceDue, invoice.currency)}).`,
            [{ path: ['amount'], message: 'More than the balance.' }],
            'Overpayment',
          );
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
        const updated = await getService(strapi, 'invoices').recompute(invoice.id);
        await audit().log({
          action: 'payment.manual',
          actor,
          invoice: { documentId, number: invoice.number },
          details: {
            paymentId: payment.id,
            amount,
            currency: invoice.currency,
            method: input.method,
            reference: input.reference ?? null,
            date: input.date ?? today(),
          },
        });
        return { payment, invoice: updated };
      });
      if (!result) throw notFound('No such invoice.');
      // The balance changed outside the provider: no older attempt may charge the old amount.
      await getService(strapi, 'attempts').endOthers(documentId, null, actor);
      return result;
    },

    async voidManualPayment(paymentDocumentId: string, body: { reason?: unknown } | undefined, actor: Actor) {
      const payment = await strapi.db
        .query(UID.payment)
        .findOne({ where: { documentId: paymentDocumentId }, populate: ['invoice'] });
      if (!payment || !payment.invoice) throw notFound('No such payment.');
      if (payment.kind !== 'manual')
        throw conflict('Only manual payments can be voided. Refund card payments instead.', 'NotVoidable');
      if (payment.voidedAt) throw conflict('This payment is already voided.', 'NotVoidable');
      const reason = voidPaymentSchema.parse(body ?? {}).reason ?? null;
      const result = await withInvoiceLock(strapi, payment.invoice.documentId, async (invoice) => {
        await strapi.db
          .query(UID.payment)
          .update({ where: { id: payment.id }, data: { voidedAt: new Date(), voidReason: reason } });
        const updated = await getService(strapi, 'invoices').recompute(invoice.id);
        await audit().log({
          action: 'payment.manual_voided',
          actor,
          invoice: { documentId: invoice.documentId, number: invoice.number },
          details: { paymentId: payment.id, amount: payment.amount, currency: payment.currency, reason },
        });
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
      return {
        refund: outcome.refund,
        replayed: outcome.replayed,
        ...(await view.getInvoice(outcome.invoiceDocumentId)),
      };
    },

    /** Re-reads every provider payment of the invoice and settles it. */
    async resync(documentId: string, actor: Actor) {
      const invoice = await invoiceOr404(documentId);
      const rows = (await strapi.db
        .query(UID.payment)
        .findMany({ where: { invoice: { id: invoice.id }, kind: { $in: ['card', 'checkout'] } } })) as PaymentRecord[];
      const settlement = getService(strapi, 'settlement');
      const refundsService = getService(strapi, 'refunds');
      try {
        for (const row of rows) {
          // Refunds left unconfirmed (a 500, a timeout) are looked up at Stripe and finished first.
          await refundsService.resolveOutstanding(row.id, actor);
          const hasRefunds = (await strapi.db.query(UID.refund).count({ where: { payment: { id: row.id } } })) > 0;
          const ctx = { provider: await getService(strapi, 'providers').forRow(row), actor };
          // A share of a multi-invoice payment: the shared payment (it settles every invoice it paid).
          const paymentId = row.providerPaymentId ?? row.sharedPaymentId ?? null;
          if (paymentId && hasRefunds) await refundsService.syncPaymentRefunds(paymentId, ctx);
          else if (paymentId) await settlement.syncPayment(paymentId, ctx);
          else if (row.checkoutSessionId) await settlement.syncCheckoutSession(row.checkoutSessionId, ctx);
        }
      } catch (error) {
        if (error instanceof ProviderRequestError) {
          const gateways = [...new Set(rows.map((r) => getService(strapi, 'providers').label(r.provider)))];
          throw badGateway(`${gateways.join(' or ')} could not be reached; nothing changed. Try again in a moment.`);
        }
        throw error;
      }
      await audit().log({
        action: 'invoice.resynced',
        actor,
        invoice: { documentId, number: invoice.number },
        details: { payments: rows.length },
      });
      return view.getInvoice(documentId);
    },
  };
};
