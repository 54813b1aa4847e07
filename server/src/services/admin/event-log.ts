/**
 * The admin's list of webhook deliveries (the Webhooks screen), filterable by provider, status and
 * type. A read of stored rows only: the queue and its workers live in services/webhook-events.ts.
 */
import type { Core } from '@strapi/strapi';
import { LEGACY_PROVIDER_ID, providerEntry } from '../../providers/registry';
import { UID } from '../../utils/plugin-id';

export interface EventListQuery {
  status?: string;
  type?: string;
  /** A provider id (`stripe`, `mollie`); an unknown one is ignored, as any unknown filter is. */
  provider?: string;
  page?: number;
  pageSize?: number;
}

const EVENT_LIST_FIELDS = [
  'documentId',
  'providerEventId',
  'provider',
  'type',
  'status',
  'attempts',
  'deliveries',
  'lastError',
  'ignoredReason',
  'createdAt',
  'processedAt',
  'invoiceDocumentId',
  'livemode',
  'objectId',
];

export async function listEvents(strapi: Core.Strapi, query: EventListQuery) {
  const events = strapi.db.query(UID.webhookEvent);
  const page = Math.max(1, query.page ?? 1);
  const pageSize = Math.min(100, Math.max(1, query.pageSize ?? 25));
  const where: Record<string, unknown> = {};
  if (query.status) where.status = query.status;
  if (query.type) where.type = { $startsWith: query.type };
  if (query.provider && providerEntry(query.provider)) {
    // Rows stored before events recorded their provider are Stripe's (LEGACY_PROVIDER_ID).
    if (query.provider === LEGACY_PROVIDER_ID)
      where.$or = [{ provider: query.provider }, { provider: { $null: true } }];
    else where.provider = query.provider;
  }
  const [results, total] = await Promise.all([
    events.findMany({
      where,
      orderBy: { id: 'desc' },
      offset: (page - 1) * pageSize,
      limit: pageSize,
      select: EVENT_LIST_FIELDS,
    }),
    events.count({ where }),
  ]);
  return { results, pagination: { page, pageSize, total, pageCount: Math.ceil(total / pageSize) } };
}
