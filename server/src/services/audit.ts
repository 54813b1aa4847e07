import type { Core } from '@strapi/strapi';
import { insertRow, insertRows } from '../utils/insert-row';
import { UID } from '../utils/plugin-id';
import type { Actor } from './settings';
import type { InvoiceLike, OutEvent } from './events-out';
import { getService } from '../utils/get-service';
import { formatMinor } from '../domain';

export interface AuditInput {
  action: string;
  actor: Actor;
  outcome?: string;
  invoice?: { documentId?: string | null; number?: string | null } | null;
  details?: Record<string, unknown>;
  /**
   * The invoice as the change left it, when the caller has the row at hand (settlement, under the
   * invoice's lock): its events out are built from it instead of reading the invoice again.
   */
  invoiceAfter?: InvoiceLike;
}

export interface AuditQuery {
  invoice?: string;
  actorType?: string;
  action?: string;
  page?: number;
  pageSize?: number;
}

/** A refused webhook delivery (a forged or malformed call), for the aggregated audit entry. */
export interface RejectedDelivery {
  provider: string;
  actor: Actor;
  reason: string;
  code: string | null;
}

/** Refused deliveries of one provider are counted in one audit entry per this window. */
export const REJECTED_WINDOW_MS = 60_000;
/** How often a window's entry is rewritten with its count while refusals keep coming. */
const REJECTED_FLUSH_MS = 1_000;
/** Distinct addresses kept in an entry (the first ones seen in its window). */
const REJECTED_MAX_IPS = 10;

interface RejectedWindow {
  startedAt: number;
  created: Promise<number | null>;
  count: number;
  codes: Record<string, number>;
  reason: string;
  code: string | null;
  ips: string[];
  timer: NodeJS.Timeout | null;
}

const rejectedDetails = (provider: string, w: RejectedWindow) => ({
  provider,
  reason: w.reason,
  code: w.code,
  count: w.count,
  codes: w.codes,
  ips: w.ips,
  windowStart: new Date(w.startedAt).toISOString(),
});

const auditRow = (entry: AuditInput) => ({
  action: entry.action,
  actorType: entry.actor.type,
  actorId: entry.actor.id == null ? null : String(entry.actor.id),
  actorLabel: entry.actor.label ?? null,
  ip: entry.actor.ip ?? null,
  invoiceDocumentId: entry.invoice?.documentId ?? null,
  invoiceNumber: entry.invoice?.number ?? null,
  outcome: entry.outcome ?? 'ok',
  details: entry.details ?? {},
});

/**
 * Audit actions that are events out (services/events-out.ts), written in the same transaction as the
 * entry (the state change's). Invoice money states (paid, partially paid, refunded, disputed) come
 * from invoices.ts, where they are derived.
 */
const EVENTS_OF: Readonly<Record<string, readonly OutEvent[]>> = {
  'invoice.sent': ['invoice.sent'],
  'invoice.marked_sent': ['invoice.sent'],
  'invoice.viewed': ['invoice.viewed'],
  // invoice.voided: recorded with the change itself (register.ts, the invoice's document middleware).
  'payment.succeeded': ['payment.succeeded'],
  'payment.manual': ['payment.succeeded'],
  'payment.failed': ['payment.failed', 'invoice.payment-failed'],
  // payment.refunded: one per refund that succeeds (refunds.ts), not per payment status change.
};

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const windows = new Map<string, RejectedWindow>();

  async function recordEvents(entry: AuditInput): Promise<void> {
    const events = EVENTS_OF[entry.action];
    const documentId = entry.invoice?.documentId;
    if (!events || !documentId) return;
    const out = getService(strapi, 'events-out');
    const invoice =
      entry.invoiceAfter?.documentId === documentId ? entry.invoiceAfter : await out.invoiceFor(documentId);
    if (!invoice) return;
    const d = entry.details ?? {};
    const currency = (typeof d.currency === 'string' ? d.currency : invoice.currency).toUpperCase();
    const amount = typeof d.amount === 'number' ? d.amount : 0;
    const payment = {
      providerPaymentId: typeof d.providerPaymentId === 'string' ? d.providerPaymentId : null,
      status: entry.action === 'payment.manual' ? 'succeeded' : entry.action.slice('payment.'.length),
      currency,
      amount: { amount, formatted: formatMinor(amount, currency) },
      failureCode: typeof d.failureCode === 'string' ? d.failureCode : null,
    };
    for (const event of events) await out.record(event, invoice, entry.action.startsWith('payment.') ? payment : null);
  }

  const api = {
    async log(entry: AuditInput): Promise<void> {
      await insertRow(strapi, UID.auditEntry, auditRow(entry));
      await recordEvents(entry);
    },

    /**
     * Several entries in one INSERT, inside the caller's transaction (a settled batch's), with
     * their events out as log() records them.
     */
    async logMany(entries: readonly AuditInput[]): Promise<void> {
      await insertRows(strapi, UID.auditEntry, entries.map(auditRow));
      for (const entry of entries) await recordEvents(entry);
    },

    async list(query: AuditQuery) {
      const page = Math.max(1, query.page ?? 1);
      const pageSize = Math.min(100, Math.max(1, query.pageSize ?? 25));
      const where: Record<string, unknown> = {};
      if (query.invoice) where.$or = [{ invoiceDocumentId: query.invoice }, { invoiceNumber: query.invoice }];
      if (query.actorType) where.actorType = query.actorType;
      if (query.action) where.action = { $startsWith: query.action };
      const [results, total] = await Promise.all([
        strapi.db.query(UID.auditEntry).findMany({
          where,
          orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
          offset: (page - 1) * pageSize,
          limit: pageSize,
        }),
        strapi.db.query(UID.auditEntry).count({ where }),
      ]);
      return { results, pagination: { page, pageSize, total, pageCount: Math.ceil(total / pageSize) } };
    },

    /**
     * Records a refused webhook delivery. Anyone can post to a webhook URL (Mollie's are unsigned),
     * so one entry per refusal would let a stranger grow the table at will: refusals of a provider
     * are counted in one entry per minute (per process), written at the first and brought up to
     * date at most once a second (its `details.count`, the latest reason, the refusal codes and the
     * first addresses). Never throws: losing a count must not turn a refusal into a 5xx.
     */
    async rejected(delivery: RejectedDelivery): Promise<void> {
      const now = Date.now();
      let w = windows.get(delivery.provider);
      const fresh = !w || now - w.startedAt >= REJECTED_WINDOW_MS;
      if (!w || fresh) {
        w = {
          startedAt: now,
          created: Promise.resolve(null),
          count: 0,
          codes: {},
          reason: delivery.reason,
          code: delivery.code,
          ips: [],
          timer: null,
        };
        windows.set(delivery.provider, w);
      }
      const win = w;
      win.count += 1;
      const code = delivery.code ?? 'unknown';
      win.codes[code] = (win.codes[code] ?? 0) + 1;
      win.reason = delivery.reason;
      win.code = delivery.code;
      const ip = delivery.actor.ip;
      if (ip && win.ips.length < REJECTED_MAX_IPS && !win.ips.includes(ip)) win.ips.push(ip);
      if (fresh) {
        win.created = strapi.db
          .query(UID.auditEntry)
          .create({
            data: {
              action: 'webhook.rejected',
              actorType: delivery.actor.type,
              actorId: null,
              actorLabel: delivery.actor.label ?? null,
              ip: ip ?? null,
              invoiceDocumentId: null,
              invoiceNumber: null,
              outcome: 'rejected',
              details: rejectedDetails(delivery.provider, win),
            },
          })
          .then((row: { id: number }) => row.id)
          .catch(() => null);
        await win.created;
        return;
      }
      if (win.timer) return;
      win.timer = setTimeout(() => {
        win.timer = null;
        void win.created.then(async (id) => {
          if (id === null) return;
          try {
            await strapi.db
              .query(UID.auditEntry)
              .update({ where: { id }, data: { details: rejectedDetails(delivery.provider, win) } });
          } catch {
            // The count is lost (the database dropped, the app stopping): the entry keeps the last one written.
          }
        });
      }, REJECTED_FLUSH_MS);
      win.timer.unref();
    },
  };
  return api;
};
