import type { Core, UID as StrapiUID } from '@strapi/strapi';
import { UID } from '../utils/plugin-id';
import { getService } from '../utils/get-service';
import { badRequest, conflict, notFound } from '../utils/errors';
import { isAnswerable } from '../utils/errors';
import type { Actor } from './settings';

/** An entry of any content type: what an invoice is for (`api::booking.booking` + its documentId). */
export interface EntityRef {
  uid: string;
  documentId: string;
}

export interface PayableLine {
  description: string;
  quantity: number;
  /** Integer minor units (cents, yen, fils). */
  unitAmount: number;
}

export interface CreatePayableInput {
  entity: EntityRef;
  lineItems: PayableLine[];
  /** ISO 4217; the site's default currency when left out. */
  currency?: string;
  billingEmail?: string | null;
  billingName?: string | null;
  /** Unpaid past this moment, the invoice is voided and `invoice.expired` is emitted. */
  expiresAt?: Date | string | null;
  notes?: string | null;
  /** Who made it, for the audit log; a system actor named after the caller when left out. */
  actor?: Actor;
}

/** An invoice as the server API reports it. */
export interface PayableInvoice {
  documentId: string;
  number: string;
  state: string;
  currency: string;
  /** Integer minor units. */
  total: number;
  balanceDue: number;
  entity: EntityRef | null;
  expiresAt: string | null;
  /** The client's pay page (the plugin's pay link). */
  payLink: string;
}

/** States in which an invoice still waits for money: an entity has at most one of these. */
const OPEN_STATES = ['draft', 'sent', 'viewed', 'partially_paid'];
/** What an expired invoice's void reason says (and how the expiry job recognises its own voids). */
export const EXPIRED_REASON = 'Expired: not paid before its expiry time.';

interface InvoiceRow {
  id: number;
  documentId: string;
  number: string;
  state: string;
  currency: string;
  total: number;
  balanceDue: number;
  payToken: string;
  entityUid: string | null;
  entityDocumentId: string | null;
  expiresAt: string | Date | null;
  expiredAt: string | Date | null;
  voidReason: string | null;
}

const SYSTEM: Actor = { type: 'system', label: 'server API' };

/**
 * The server API (issue 15): other plugins and site code create and follow invoices for any entry,
 * `strapi.plugin('invoice-payments').service('payables')`. Errors are Strapi's application errors
 * with a message a developer can act on (400 bad input, 404 missing, 409 conflict).
 */
export default ({ strapi }: { strapi: Core.Strapi }) => {
  const invoices = () => strapi.db.query(UID.invoice);

  function view(row: InvoiceRow): PayableInvoice {
    return {
      documentId: row.documentId,
      number: row.number,
      state: row.state,
      currency: row.currency,
      total: Number(row.total),
      balanceDue: Number(row.balanceDue),
      entity: row.entityUid && row.entityDocumentId ? { uid: row.entityUid, documentId: row.entityDocumentId } : null,
      expiresAt: row.expiresAt ? new Date(row.expiresAt).toISOString() : null,
      payLink: getService(strapi, 'notifications').payLink({ payToken: row.payToken } as never),
    };
  }

  async function load(documentId: string): Promise<InvoiceRow> {
    if (typeof documentId !== 'string' || documentId === '') throw badRequest('documentId must be a non-empty string.');
    const row = (await invoices().findOne({ where: { documentId } })) as InvoiceRow | null;
    if (!row) throw notFound(`No invoice ${documentId}.`);
    return row;
  }

  async function checkEntity(entity: unknown): Promise<EntityRef> {
    const e = entity as Partial<EntityRef> | null | undefined;
    if (!e || typeof e.uid !== 'string' || typeof e.documentId !== 'string' || e.documentId === '')
      throw badRequest('entity must be { uid, documentId }, e.g. { uid: "api::booking.booking", documentId: "…" }.', [
        { path: ['entity'], message: 'Required: uid and documentId.' },
      ]);
    const contentType = strapi.contentTypes[e.uid as StrapiUID.ContentType];
    if (!contentType || contentType.kind !== 'collectionType')
      throw badRequest(`Unknown content type ${e.uid}: the entity must be an entry of a collection type.`, [
        { path: ['entity', 'uid'], message: 'Unknown collection type.' },
      ]);
    const found = await strapi.db
      .query(e.uid as StrapiUID.Schema)
      .findOne({ where: { documentId: e.documentId }, select: ['id'] });
    if (!found) throw notFound(`No ${contentType.info.displayName ?? e.uid} entry ${e.documentId}.`);
    return { uid: e.uid, documentId: e.documentId };
  }

  function checkExpiry(value: unknown): Date | null {
    if (value === undefined || value === null) return null;
    const date = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : null;
    if (!date || Number.isNaN(date.getTime()))
      throw badRequest('expiresAt must be a date or an ISO 8601 string.', [
        { path: ['expiresAt'], message: 'Not a date.' },
      ]);
    if (date.getTime() <= Date.now())
      throw badRequest('expiresAt is in the past.', [{ path: ['expiresAt'], message: 'Must be in the future.' }]);
    return date;
  }

  const api = {
    /**
     * Creates a sent invoice for an entry. Refused: an unknown content type, an entry that does not
     * exist, and a second invoice while the entry already has one waiting for money (void it first).
     */
    async create(input: CreatePayableInput): Promise<PayableInvoice> {
      if (!input || typeof input !== 'object') throw badRequest('create() needs an input object.');
      const entity = await checkEntity(input.entity);
      const expiresAt = checkExpiry(input.expiresAt);
      if (!Array.isArray(input.lineItems) || input.lineItems.length === 0)
        throw badRequest('lineItems must list at least one { description, quantity, unitAmount }.', [
          { path: ['lineItems'], message: 'At least one line.' },
        ]);
      const open = await invoices().findOne({
        where: { entityUid: entity.uid, entityDocumentId: entity.documentId, state: { $in: OPEN_STATES } },
        select: ['documentId', 'number', 'state'],
      });
      if (open)
        throw conflict(
          `${entity.uid} ${entity.documentId} already has invoice ${open.number} (${open.state}) waiting for payment. Void it before making another.`,
          'EntityHasOpenInvoice',
          { invoice: open.documentId },
        );
      const settings = await getService(strapi, 'settings').load();
      const number = await getService(strapi, 'invoice-editor').nextNumber();
      // The document service runs the plugin's checks (totals, currency, line items: register.ts).
      const created = (await strapi.documents(UID.invoice).create({
        data: {
          number,
          state: 'sent',
          currency: input.currency ?? settings.defaultCurrency,
          lineItems: input.lineItems,
          billingEmail: input.billingEmail ?? null,
          billingName: input.billingName ?? null,
          notes: input.notes ?? null,
          expiresAt,
        } as never,
      })) as unknown as { documentId: string };
      // Written by the plugin only (writable: false in the schema): not through the document service.
      await invoices().update({
        where: { documentId: created.documentId },
        data: { entityUid: entity.uid, entityDocumentId: entity.documentId },
      });
      const row = await load(created.documentId);
      await getService(strapi, 'audit').log({
        action: 'invoice.created',
        actor: input.actor ?? SYSTEM,
        invoice: { documentId: row.documentId, number: row.number },
        details: { entity, expiresAt: expiresAt?.toISOString() ?? null, via: 'server API' },
      });
      await getService(strapi, 'audit').log({
        action: 'invoice.sent',
        actor: input.actor ?? SYSTEM,
        invoice: { documentId: row.documentId, number: row.number },
        details: { via: 'server API' },
      });
      return view(row);
    },

    /** The invoice, its state and pay link. */
    async get(documentId: string): Promise<PayableInvoice> {
      return view(await load(documentId));
    },

    /** The entry's invoices, newest first. */
    async forEntity(entity: EntityRef): Promise<PayableInvoice[]> {
      const ref = await checkEntity(entity);
      const rows = (await invoices().findMany({
        where: { entityUid: ref.uid, entityDocumentId: ref.documentId },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      })) as InvoiceRow[];
      return rows.map(view);
    },

    /**
     * A Checkout session for the balance (`embedded`: its client secret for Stripe.js's embedded
     * Checkout; `hosted`: the URL of Stripe's page). One open attempt per invoice (attempts.ts).
     */
    async checkout(documentId: string, uiMode: 'hosted' | 'embedded' = 'embedded', actor: Actor = SYSTEM) {
      const row = await load(documentId);
      return getService(strapi, 'payments').createCheckout(row.documentId, uiMode, actor);
    },

    /** Voids the invoice (refused while money is held or on its way); its open attempts are ended. */
    async cancel(documentId: string, reason = 'Cancelled through the server API.', actor: Actor = SYSTEM) {
      await load(documentId);
      await getService(strapi, 'invoice-editor').void(documentId, { reason }, actor);
      return view(await load(documentId));
    },

    /**
     * Expires invoices whose `expiresAt` passed unpaid: voids each (which ends its open payment
     * attempt through the provider, outside any transaction: register.ts), then claims the expiry
     * and records `invoice.expired` in one transaction, so one instance emits it once. An invoice
     * with money on its way is left for a later tick.
     */
    async expireDue(now = new Date()): Promise<number> {
      const due = (await invoices().findMany({
        where: {
          expiresAt: { $lte: now },
          expiredAt: null,
          $or: [{ state: { $in: ['draft', 'sent', 'viewed'] } }, { state: 'void', voidReason: EXPIRED_REASON }],
        },
        orderBy: { id: 'asc' },
        limit: 50,
      })) as InvoiceRow[];
      let expired = 0;
      for (const row of due) {
        if (row.state !== 'void') {
          try {
            await getService(strapi, 'invoice-editor').void(
              row.documentId,
              { reason: EXPIRED_REASON },
              {
                type: 'system',
                label: 'expiry',
              },
            );
          } catch (error) {
            // Already void (another instance), or money on its way: look again at the next tick.
            const name = isAnswerable(error) ? (error as { name?: string }).name : null;
            if (name !== 'InvoiceVoided') {
              if (!isAnswerable(error)) throw error;
              continue;
            }
          }
        }
        const won = await strapi.db.transaction(async () => {
          const { count } = await invoices().updateMany({
            where: { id: row.id, expiredAt: null },
            data: { expiredAt: new Date() },
          });
          if (count !== 1) return false;
          const out = getService(strapi, 'events-out');
          const current = await out.invoiceFor(row.documentId);
          if (current) await out.record('invoice.expired', current);
          return true;
        });
        if (won) expired += 1;
      }
      return expired;
    },
  };
  return api;
};
