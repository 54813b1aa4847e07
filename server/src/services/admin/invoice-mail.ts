import type { Core } from '@strapi/strapi';
import type { InvoiceStatus } from '../../domain';
import { UID } from '../../utils/plugin-id';
import { withInvoiceLock } from '../../utils/lock';
import { getService } from '../../utils/get-service';
import { badGateway, badRequest, conflict } from '../../utils/errors';
import type { Actor } from '../settings';
import { newPayToken } from '../invoices';
import type { AdminView } from './presentation';

/** The invoice email with its pay link, and issuing a new pay link. */
export default ({ strapi }: { strapi: Core.Strapi }, view: AdminView) => {
  const audit = () => getService(strapi, 'audit');
  const { invoiceOr404 } = view;

  return {
    /**
     * Sends the invoice email with its pay link; a draft becomes "sent" only once the email
     * provider accepted it. A failure changes nothing, is audited, and answers 502.
     */
    async send(documentId: string, actor: Actor) {
      const invoice = await invoiceOr404(documentId);
      if (!invoice.billingEmail)
        throw badRequest('Add a billing email to the invoice before sending it.', [
          { path: ['billingEmail'], message: 'Required.' },
        ]);
      if (invoice.state === 'void') throw conflict('A voided invoice cannot be sent.', 'InvoiceNotSendable');
      const result = await getService(strapi, 'notifications').trySendInvoice(invoice as never);
      if (!result.ok) {
        await audit().log({
          action: 'invoice.send_failed',
          actor,
          outcome: 'failed',
          invoice: { documentId, number: invoice.number },
          details: { to: invoice.billingEmail, reason: result.reason },
        });
        throw badGateway(
          `The invoice email could not be sent (${result.reason}); the invoice was not marked as sent. Check the email provider in Settings → Email (host, port, sender, credentials), then send it again.`,
          { reason: result.reason },
        );
      }
      if ((invoice.state as InvoiceStatus) === 'draft') {
        // Under the lock: a payment booked meanwhile is not overwritten, and the state is derived again.
        await withInvoiceLock(strapi, documentId, async (current) => {
          if (current.state !== 'draft') return;
          await strapi.db
            .query(UID.invoice)
            .update({ where: { id: current.id }, data: { state: 'sent', sentAt: new Date() } });
          await getService(strapi, 'invoices').recompute(current.id);
        });
      }
      await audit().log({
        action: 'invoice.sent',
        actor,
        invoice: { documentId, number: invoice.number },
        details: { to: invoice.billingEmail },
      });
      return view.getInvoice(documentId);
    },

    /** Issues a new pay link; the old one stops working at once. */
    async regeneratePayLink(documentId: string, actor: Actor) {
      const invoice = await invoiceOr404(documentId);
      // Straight to the column: no write through the document service may set a pay token (utils/invoice-writes.ts).
      await strapi.db
        .connection('invoice_payments_invoices')
        .where({ id: invoice.id })
        .update({ pay_token: newPayToken() });
      await audit().log({
        action: 'invoice.pay_link_regenerated',
        actor,
        invoice: { documentId, number: invoice.number },
      });
      return view.getInvoice(documentId);
    },
  };
};
