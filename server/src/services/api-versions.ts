import type { Core } from '@strapi/strapi';
import { LEGACY_PROVIDER_ID, pinnedApiVersions, type PinnedApiVersion } from '../providers/registry';
import { UID } from '../utils/plugin-id';

/** How far back the drift guard looks: long enough for a quiet site, short enough to clear after a fix. */
export const DRIFT_WINDOW_DAYS = 7;

export interface DriftVersion {
  version: string;
  count: number;
  lastAt: string | null;
}

/** One versioned gateway: the SDK's pin and the other versions its recent events came in. */
export interface ApiVersionReport extends PinnedApiVersion {
  provider: string;
  label: string;
  windowDays: number;
  /** Versions other than `pinned` seen in the window, most recent first; empty when all match. */
  others: DriftVersion[];
}

interface GroupRow {
  version: string;
  n: number | string;
  last: string | Date | number | null;
}

/** A datetime column as SQLite (epoch ms), PostgreSQL (Date) or MySQL (Date) returns it from raw knex. */
function isoOf(value: GroupRow['last']): string | null {
  if (value == null) return null;
  const date =
    value instanceof Date ? value : new Date(typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/**
 * The Stripe API drift guard (issue 15): a webhook endpoint renders its events in its own pinned API
 * version, or the account default (https://docs.stripe.com/webhooks/versioning), which may differ
 * from the version the SDK is pinned to and the code reads. Each stored event keeps its
 * `apiVersion`; this reports, per gateway that versions its events, which other versions arrived.
 */
export default ({ strapi }: { strapi: Core.Strapi }) => ({
  pinned: pinnedApiVersions,

  async report(now = new Date()): Promise<ApiVersionReport[]> {
    const since = new Date(now.getTime() - DRIFT_WINDOW_DAYS * 24 * 3600 * 1000);
    // A GROUP BY the query engine does not offer: knex, on the table and columns Strapi mapped.
    const meta = strapi.db.metadata.get(UID.webhookEvent) as unknown as {
      tableName: string;
      attributes: Record<string, { columnName?: string }>;
    };
    const col = (attribute: string) => meta.attributes[attribute]?.columnName ?? attribute;
    return Promise.all(
      pinnedApiVersions().map(async (entry) => {
        const rows = (await strapi.db
          .connection(meta.tableName)
          .select(`${col('apiVersion')} as version`)
          .count('* as n')
          .max(`${col('createdAt')} as last`)
          .where((q) => {
            q.where(col('provider'), entry.provider);
            // Rows stored before the provider column were all the legacy provider's.
            if (entry.provider === LEGACY_PROVIDER_ID) q.orWhereNull(col('provider'));
          })
          .andWhere(col('createdAt'), '>=', since)
          .whereNotNull(col('apiVersion'))
          .whereNot(col('apiVersion'), entry.pinned)
          .groupBy(col('apiVersion'))) as unknown as GroupRow[];
        const others = rows
          .map((r) => ({ version: String(r.version), count: Number(r.n), lastAt: isoOf(r.last) }))
          .sort((a, b) => (b.lastAt ?? '').localeCompare(a.lastAt ?? ''));
        return { ...entry, windowDays: DRIFT_WINDOW_DAYS, others };
      }),
    );
  },
});
