import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { errors } from '@strapi/utils';
import {
  addDays,
  formatMinor,
  invoiceToForm,
  isMoneyOnItsWay,
  parseInvoiceForm,
  SUPPORTED_CURRENCIES,
  currencyExponent,
  type InvoiceData,
} from '../domain';
import { UID } from '../utils/plugin-id';
import { getService } from '../utils/get-service';
import { badRequest, conflict, notFound } from '../utils/errors';
import { fromZod } from '../utils/respond';
// An edit racing a client's payment (both lock the invoice row) can be a deadlock victim on MariaDB or PostgreSQL.
import { retryAfterDeadlock } from '../utils/unique-violation';
import type { Actor } from './settings';

interface InvoiceRecord {
  id: number;
  documentId: string;
  number: string;
  state: string;
  currency: string;
  total: number;
  amountPaid: number;
  amountRefunded: number;
  balanceDue: number;
  billingName: string | null;
  billingEmail: string | null;
  customer?: { id: number; email?: string; username?: string } | null;
  lineItems: unknown;
  taxRateBps: number | null;
  discountAmount: number | null;
  issueDate: string | null;
  dueDate: string | null;
  notes: string | null;
  language?: string | null;
  createdAt: string | Date;
}

const voidSchema = z
  .object({
    reason: z
      .string({ message: 'Say why the invoice is voided.' })
      .trim()
      .min(3, 'Say why the invoice is voided (at least 3 characters).')
      .max(500, 'Keep the reason under 500 characters.'),
  })
  .strict();
const clientQuery = z.object({ q: z.string().trim().max(100).optional().default('') });

const today = () => new Date().toISOString().slice(0, 10);

/** The unique-number refusal (register.ts turns both the index's and Strapi's own into this). */
const isNumberTaken = (error: unknown) =>
  error instanceof errors.ValidationError &&
  (error.details as { errors?: Array<{ path?: string[] }> } | undefined)?.errors?.some(
    (e) => e.path?.[0] === 'number',
  ) === true;

/**
 * The plugin's own invoice editor and invoice actions (create, edit, mark as sent, void,
 * duplicate). Input is checked by the same rules the admin form uses (domain/invoice-form);
 * invoices are written through the document service, whose middlewares check the change and
 * recompute the money under the invoice lock (utils/invoice-writes.ts), then end open payment
 * attempts after a void or a new total (register.ts).
 */
export default ({ strapi }: { strapi: Core.Strapi }) => {
  const audit = () => getService(strapi, 'audit');
  const documents = () => strapi.documents(UID.invoice as never);

  async function load(documentId: string): Promise<InvoiceRecord> {
    const row = (await strapi.db.query(UID.invoice).findOne({
      where: { documentId },
      populate: { customer: { select: ['id', 'email', 'username'] } },
    })) as InvoiceRecord | null;
    if (!row) throw notFound('No such invoice.');
    return row;
  }

  function checked(input: unknown): InvoiceData {
    const result = parseInvoiceForm(input);
    if (!result.ok) {
      const first = result.problems[0];
      throw badRequest(
        result.problems.length === 1 && first
          ? first.message
          : `${result.problems.length} fields need a fix: ${result.problems.map((p) => p.message).join(' ')}`,
        result.problems,
      );
    }
    return result.data;
  }

  async function customerExists(id: number | null): Promise<void> {
    if (id === null) return;
    const user = await strapi.db.query('plugin::users-permissions.user').findOne({ where: { id }, select: ['id'] });
    if (!user)
      throw badRequest('That client no longer exists. Choose another one.', [
        { path: ['customer'], message: 'That client no longer exists. Choose another one.' },
      ]);
  }

  /** The next free number after the most recent one ("INV-1005" → "INV-1006"). */
  async function nextNumber(): Promise<string> {
    const last = (await strapi.db
      .query(UID.invoice)
      .findOne({ select: ['number'], orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] })) as { number: string } | null;
    const m = last ? /^(.*?)(\d+)$/.exec(last.number) : null;
    const prefix = m ? m[1]! : 'INV-';
    let n = m ? Number(m[2]) + 1 : 1001;
    const width = m ? m[2]!.length : 4;
    for (let tries = 0; tries < 50; tries += 1, n += 1) {
      const candidate = `${prefix}${String(n).padStart(width, '0')}`;
      if ((await strapi.db.query(UID.invoice).count({ where: { number: candidate } })) === 0) return candidate;
    }
    return `${prefix}${Date.now()}`;
  }

  /** What the form may change on this invoice: with payments, the currency is fixed and the total has a floor. */
  function limits(row: InvoiceRecord | null) {
    const netPaid = row ? row.amountPaid - row.amountRefunded : 0;
    return {
      editable: !row || row.state !== 'void',
      currencyLocked: !!row && row.amountPaid > 0,
      minimumTotal: Math.max(0, netPaid),
      minimumTotalFormatted: row && netPaid > 0 ? formatMinor(netPaid, row.currency) : null,
    };
  }

  const data = (d: InvoiceData) => ({ ...d, customer: d.customer });

  return {
    nextNumber,

    /** The editor's starting point: a blank form with today's dates and the default term, or an invoice's values. */
    async form(documentId?: string) {
      const settings = await getService(strapi, 'settings').load();
      const currencies = SUPPORTED_CURRENCIES.map((code) => ({ code, exponent: currencyExponent(code) }));
      if (!documentId) {
        const issueDate = today();
        return {
          values: {
            number: await nextNumber(),
            currency: settings.defaultCurrency,
            customer: null,
            billingName: '',
            billingEmail: '',
            issueDate,
            dueDate: addDays(issueDate, settings.paymentTermDays),
            lines: [{ description: '', quantity: '1', unitPrice: '' }],
            taxRate: '',
            discount: '',
            notes: '',
            // A new invoice starts in the site's default client language; the admin can change it.
            language: settings.defaultLanguage,
          },
          client: null,
          paymentTermDays: settings.paymentTermDays,
          defaultLanguage: settings.defaultLanguage,
          currencies,
          limits: limits(null),
        };
      }
      const row = await load(documentId);
      const values = invoiceToForm(row);
      // Invoices made before the editor (or in the Content Manager) may have no issue date: the day they were made.
      if (!values.issueDate) values.issueDate = new Date(row.createdAt).toISOString().slice(0, 10);
      return {
        values,
        client: row.customer
          ? { id: row.customer.id, email: row.customer.email ?? null, username: row.customer.username ?? null }
          : null,
        state: row.state,
        paymentTermDays: settings.paymentTermDays,
        defaultLanguage: settings.defaultLanguage,
        currencies,
        limits: limits(row),
      };
    },

    async create(input: unknown, actor: Actor) {
      const d = checked(input);
      await customerExists(d.customer);
      const created = (await documents().create({ data: { ...data(d), state: 'draft' } as never })) as unknown as {
        documentId: string;
        number: string;
        total: number;
        currency: string;
      };
      await audit().log({
        action: 'invoice.created',
        actor,
        invoice: { documentId: created.documentId, number: created.number },
        details: { total: created.total, currency: created.currency, lines: d.lineItems.length },
      });
      return { documentId: created.documentId };
    },

    async update(documentId: string, input: unknown, actor: Actor) {
      const row = await load(documentId);
      if (row.state === 'void')
        throw conflict('A voided invoice cannot be edited. Duplicate it to bill again.', 'InvoiceVoided');
      const d = checked(input);
      if (d.currency !== row.currency && row.amountPaid > 0) {
        throw badRequest('The currency cannot change once the invoice has payments.', [
          { path: ['currency'], message: 'Locked by payments.' },
        ]);
      }
      await customerExists(d.customer);
      // The document middleware (utils/invoice-writes.ts) refuses a total below what was paid (refund first),
      // with a field message.
      const updated = (await retryAfterDeadlock(() =>
        documents().update({ documentId, data: data(d) as never }),
      )) as unknown as { total: number; currency: string };
      await audit().log({
        action: 'invoice.updated',
        actor,
        invoice: { documentId, number: d.number },
        details: { total: updated.total, previousTotal: row.total, currency: updated.currency },
      });
      return { documentId };
    },

    /** Draft → sent without an email (the invoice went out another way). */
    async markSent(documentId: string, actor: Actor) {
      const row = await load(documentId);
      if (row.state !== 'draft')
        throw conflict(
          `Only a draft can be marked as sent; this invoice is ${row.state.replace('_', ' ')}.`,
          'InvoiceNotDraft',
        );
      // The change and its audit entry (and event out, invoice.sent) commit together or not at all.
      await strapi.db.transaction(async () => {
        await documents().update({ documentId, data: { state: 'sent' } as never });
        await audit().log({ action: 'invoice.marked_sent', actor, invoice: { documentId, number: row.number } });
      });
      return { documentId };
    },

    /**
     * Voids an unpaid invoice. Refused while money is held (paid and not refunded) or may still
     * arrive (a payment processing, a voucher or transfer waiting): the client would have paid an
     * invoice that no longer exists. The open payment attempts are ended right after (register.ts).
     */
    async void(documentId: string, input: unknown, actor: Actor) {
      const parsed = voidSchema.safeParse(input ?? {});
      if (!parsed.success) throw fromZod(parsed.error);
      const row = await load(documentId);
      if (row.state === 'void') throw conflict('This invoice is already void.', 'InvoiceVoided');
      const netPaid = row.amountPaid - row.amountRefunded;
      if (netPaid > 0) {
        throw conflict(
          `${formatMinor(netPaid, row.currency)} has been paid on this invoice. Refund it from the payment history first, then void the invoice.`,
          'InvoiceHasMoney',
          { held: netPaid },
        );
      }
      const payments = (await strapi.db.query(UID.payment).findMany({
        where: { invoice: { id: row.id }, voidedAt: null },
        select: ['status', 'amount', 'currency', 'nextActionType', 'mismatch', 'provider'],
      })) as Array<{
        provider?: string | null;
        status: string;
        amount: number;
        currency: string;
        nextActionType?: string | null;
        mismatch?: string | null;
      }>;
      const moving = payments.find(isMoneyOnItsWay);
      if (moving) {
        throw conflict(
          `A payment of ${formatMinor(moving.amount, moving.currency)} is still on its way (${moving.status === 'processing' ? `${getService(strapi, 'providers').label(moving.provider)} is processing it` : 'the client has a voucher or transfer to complete'}). Void the invoice once it has failed or been refunded.`,
          'InvoiceHasMoney',
        );
      }
      await documents().update({
        documentId,
        data: { state: 'void', voidReason: parsed.data.reason, voidedAt: new Date() } as never,
      });
      await audit().log({
        action: 'invoice.voided',
        actor,
        invoice: { documentId, number: row.number },
        details: { reason: parsed.data.reason, total: row.total, currency: row.currency },
      });
      return { documentId };
    },

    /** A new draft with the same client, lines and terms: no payments, no pay link of the original, dated today. */
    async duplicate(documentId: string, actor: Actor) {
      const row = await load(documentId);
      const settings = await getService(strapi, 'settings').load();
      const issueDate = today();
      // The admin did not choose the number: when another invoice takes it meanwhile (two duplicates
      // at once), the next free one is taken instead of reporting a clash.
      let created: { documentId: string; number: string } | null = null;
      for (let attempt = 1; !created; attempt += 1) {
        const d = checked({
          ...invoiceToForm(row),
          number: await nextNumber(),
          issueDate,
          dueDate: addDays(issueDate, settings.paymentTermDays),
        });
        try {
          created = (await documents().create({ data: { ...data(d), state: 'draft' } as never })) as unknown as {
            documentId: string;
            number: string;
          };
        } catch (error) {
          if (attempt >= 5 || !isNumberTaken(error)) throw error;
        }
      }
      await audit().log({
        action: 'invoice.duplicated',
        actor,
        invoice: { documentId: created.documentId, number: created.number },
        details: { from: row.number, fromDocumentId: documentId },
      });
      return { documentId: created.documentId };
    },

    /** The admin copied the pay link (it lets anyone pay, so who took it is worth knowing). */
    async linkCopied(documentId: string, actor: Actor) {
      const row = await load(documentId);
      await audit().log({ action: 'invoice.link_copied', actor, invoice: { documentId, number: row.number } });
      return { documentId };
    },

    /** Site users to bill (users-permissions), by email or username. */
    async searchClients(query: unknown) {
      const parsed = clientQuery.safeParse(query);
      if (!parsed.success) throw fromZod(parsed.error);
      const q = parsed.data.q;
      const where = q ? { $or: [{ email: { $containsi: q } }, { username: { $containsi: q } }] } : {};
      const users = (await strapi.db
        .query('plugin::users-permissions.user')
        .findMany({ where, select: ['id', 'email', 'username'], orderBy: { email: 'asc' }, limit: 20 })) as Array<{
        id: number;
        email: string;
        username: string;
      }>;
      return { results: users };
    },
  };
};
