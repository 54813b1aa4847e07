import type { Core } from '@strapi/strapi';
import { UID } from '../utils/plugin-id';
import type { Actor } from './settings';

export interface AuditInput {
  action: string;
  actor: Actor;
  outcome?: string;
  invoice?: { documentId?: string | null; number?: string | null } | null;
  details?: Record<string, unknown>;
}

export interface AuditQuery {
  invoice?: string;
  actorType?: string;
  action?: string;
  page?: number;
  pageSize?: number;
}

export default ({ strapi }: { strapi: Core.Strapi }) => ({
  async log(entry: AuditInput): Promise<void> {
    // createMany: one INSERT, without create()'s read of the row back (nobody needs it).
    await strapi.db.query(UID.auditEntry).createMany({
      data: [
        {
          action: entry.action,
          actorType: entry.actor.type,
          actorId: entry.actor.id == null ? null : String(entry.actor.id),
          actorLabel: entry.actor.label ?? null,
          ip: entry.actor.ip ?? null,
          invoiceDocumentId: entry.invoice?.documentId ?? null,
          invoiceNumber: entry.invoice?.number ?? null,
          outcome: entry.outcome ?? 'ok',
          details: entry.details ?? {},
        },
      ],
    });
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
});
