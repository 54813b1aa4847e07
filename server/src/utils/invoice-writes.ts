import type { Core, Modules } from '@strapi/strapi';
import { UID } from './plugin-id';
import { withInvoiceLock } from './lock';
import { getService } from './get-service';
import { newPayToken, type InvoiceRow } from '../services/invoices';

type Data = Record<string, unknown>;
type Doc = { id: number } & Data;

/** The answer carries the totals `recompute` wrote, not the ones read before it ran. */
function copyTotals(doc: Data, fresh: InvoiceRow, fields: readonly string[]): void {
  const source = fresh as unknown as Data;
  for (const key of [...fields, 'state', 'paidAt']) if (key in source) doc[key] = source[key];
}

/**
 * Invoices written through the document service (the Content Manager, the plugin's own editor,
 * any content API): the requested change is checked against the stored invoice and its ledger,
 * written, then the totals are recomputed (services/invoices.ts recompute), all in one
 * transaction holding the invoice lock. The plugin's payment code never writes invoices through
 * the document service: it calls `recompute` itself under the lock.
 *
 * Registered after the ledger guard (which drops what no caller may set) and after the
 * middleware that ends open payment attempts once a total changed, so that one sees the new total.
 */
export function invoiceWrites(strapi: Core.Strapi): Modules.Documents.Middleware.Middleware {
  const invoices = () => getService(strapi, 'invoices');
  return async (context, next) => {
    if (context.uid !== UID.invoice) return next();
    const params = (context.params ?? {}) as { data?: unknown; documentId?: string };
    const input: Data = typeof params.data === 'object' && params.data !== null ? { ...(params.data as Data) } : {};
    const fields = invoices().DERIVED_FIELDS;

    if (context.action === 'create') {
      await invoices().checkWrite(input, null);
      context.params = { ...params, data: input } as typeof context.params;
      return strapi.db.transaction(async () => {
        const created = await next();
        const doc = created as unknown as Doc | null;
        if (doc) copyTotals(doc, await invoices().recompute(doc.id), fields);
        return created;
      });
    }

    if (context.action === 'clone') {
      // Strapi's clone copies the source's columns: a new pay link, and totals from its own (empty) ledger.
      context.params = { ...params, data: { ...input, payToken: newPayToken() } } as typeof context.params;
      return strapi.db.transaction(async () => {
        const cloned = await next();
        for (const entry of (cloned as unknown as { entries?: Doc[] } | null)?.entries ?? [])
          copyTotals(entry, await invoices().recompute(entry.id), fields);
        return cloned;
      });
    }

    if (context.action === 'update' && params.documentId) {
      let ran = false;
      const result = await withInvoiceLock(strapi, params.documentId, async (existing) => {
        ran = true;
        await invoices().checkWrite(input, existing);
        context.params = { ...params, data: input } as typeof context.params;
        const updated = await next();
        if (updated) copyTotals(updated as unknown as Doc, await invoices().recompute(existing.id), fields);
        return updated;
      });
      // No such invoice: Strapi answers as it does for any missing document.
      return ran ? result : next();
    }
    return next();
  };
}
