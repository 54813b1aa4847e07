import type { Core } from '@strapi/strapi';
import { formatMinor } from '../domain';
import { UID, PLUGIN_ID } from '../utils/plugin-id';
import { getService } from '../utils/get-service';
import { publicBaseUrl } from './settings';

/**
 * Emails through Strapi's email plugin (any provider). Callers decide *whether* to send under the
 * invoice lock (a marker on the ledger entry), so each outcome is mailed exactly once.
 */
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export interface InvoiceForMail {
  documentId: string;
  number: string;
  currency: string;
  total: number;
  balanceDue: number;
  dueDate: string | null;
  billingName: string | null;
  billingEmail: string | null;
  payToken: string | null;
}

export default ({ strapi }: { strapi: Core.Strapi }) => {
  async function send(to: string, subject: string, text: string, html: string): Promise<boolean> {
    try {
      await strapi.plugin('email').service('email').send({ to, subject, text, html });
      return true;
    } catch (error) {
      strapi.log.warn(`[invoice-payments] email "${subject}" could not be sent: ${error instanceof Error ? error.message : 'unknown error'}`);
      return false;
    }
  }

  function payLink(invoice: InvoiceForMail): string {
    return `${publicBaseUrl(strapi)}/${PLUGIN_ID}/pay/${invoice.payToken}`;
  }

  return {
    payLink,

    async paymentNotice(kind: 'confirmation' | 'failure' | 'dispute', paymentId: number): Promise<void> {
      const payment = await strapi.db.query(UID.payment).findOne({ where: { id: paymentId }, populate: ['invoice'] });
      const invoice = payment?.invoice as InvoiceForMail | undefined;
      if (!payment || !invoice) return;
      const settings = await getService(strapi, 'settings').load();
      const amount = formatMinor(payment.amount + (payment.fee ?? 0), payment.currency);
      let sent = false;
      if (kind === 'confirmation' && invoice.billingEmail) {
        const subject = `Payment received for invoice ${invoice.number}`;
        const balance = formatMinor(Math.max(0, invoice.balanceDue), invoice.currency);
        const text = `Thank you${invoice.billingName ? `, ${invoice.billingName}` : ''}. We received ${amount} for invoice ${invoice.number}. Balance due: ${balance}.`;
        sent = await send(invoice.billingEmail, subject, text, `<p>${esc(text)}</p>`);
      } else if (kind === 'failure' && settings.sendFailureNotices && settings.notificationEmail) {
        const text = `A card payment of ${amount} on invoice ${invoice.number} failed: ${payment.failureMessage ?? payment.failureCode ?? 'unknown reason'}.`;
        sent = await send(settings.notificationEmail, `Payment failed on invoice ${invoice.number}`, text, `<p>${esc(text)}</p>`);
      } else if (kind === 'dispute' && settings.sendDisputeAlerts && settings.notificationEmail) {
        const text = `The client disputed the payment of ${amount} on invoice ${invoice.number} (dispute ${payment.disputeId}). Respond in the Stripe Dashboard before the deadline.`;
        sent = await send(settings.notificationEmail, `Dispute opened on invoice ${invoice.number}`, text, `<p>${esc(text)}</p>`);
      }
      if (sent) {
        await getService(strapi, 'audit').log({ action: `email.${kind}`, actor: { type: 'system' }, invoice: { documentId: invoice.documentId, number: invoice.number }, details: { paymentId } });
      }
    },

    /** The invoice email with its "Pay online" button. */
    async sendInvoice(invoice: InvoiceForMail): Promise<boolean> {
      if (!invoice.billingEmail) return false;
      const amount = formatMinor(invoice.balanceDue, invoice.currency);
      const link = payLink(invoice);
      const due = invoice.dueDate ? ` Due ${invoice.dueDate}.` : '';
      const text = `Invoice ${invoice.number}: ${amount} due.${due} Pay online: ${link}`;
      const html = `<p>Invoice <strong>${esc(invoice.number)}</strong>: ${esc(amount)} due.${esc(due)}</p><p><a href="${esc(link)}" style="display:inline-block;padding:12px 20px;background:#16a34a;color:#fff;border-radius:6px;text-decoration:none">Pay online ${esc(amount)}</a></p>`;
      return send(invoice.billingEmail, `Invoice ${invoice.number} — ${amount} due`, text, html);
    },
  };
};
