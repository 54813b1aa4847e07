import type { Core } from '@strapi/strapi';
import { UID } from './plugin-id';
import { getService } from './get-service';
import type { InvoiceRow } from '../services/invoices';

/**
 * Runs `work` in one transaction holding the invoice's row lock (FOR UPDATE on PostgreSQL and
 * MariaDB; SQLite serializes transactions on its single connection). Every write that changes an
 * invoice's money goes through here, so concurrent webhooks, confirm calls and admin actions
 * apply one after the other and each sees the previous one's ledger.
 */
export async function withInvoiceLock<T>(
  strapi: Core.Strapi,
  documentId: string,
  work: (invoice: InvoiceRow) => Promise<T>,
): Promise<T | null> {
  return strapi.db.transaction(async () => {
    // The locking read returns the whole row (what findOne would): one query instead of two.
    const invoice = (await strapi.db
      .queryBuilder(UID.invoice)
      .where({ documentId })
      .forUpdate()
      .first()
      .execute()) as InvoiceRow | null;
    if (!invoice) return null;
    // The events out this change records (the recompute's, the audit's) go in one INSERT at the end.
    return getService(strapi, 'events-out').together(() => work(invoice));
  });
}
