import type { Core } from '@strapi/strapi';

/** A knex instance, narrowed to what the migrations use (Strapi passes the transaction's knex). */
interface SchemaKnex {
  (table: string): { whereNull(column: string): { update(values: Record<string, unknown>): Promise<number> } };
  ref(column: string): unknown;
  raw(sql: string, bindings?: readonly unknown[]): Promise<unknown>;
  client: { dialect: string };
  schema: {
    hasTable(table: string): Promise<boolean>;
    hasColumn(table: string, column: string): Promise<boolean>;
    alterTable(
      table: string,
      build: (t: {
        renameColumn(from: string, to: string): void;
        unique(columns: string[], options: { indexName: string }): void;
      }) => void,
    ): Promise<void>;
  };
}

export interface PluginMigration {
  name: string;
  up(knex: SchemaKnex): Promise<void>;
  down(knex: SchemaKnex): Promise<void>;
}

const INVOICES = 'invoice_payments_invoices';

/**
 * Versions before 0.2 named the invoice's lifecycle attribute `status`, which is also the name of
 * Strapi 5's own draft/publish parameter: the Content Manager could not edit invoices. The column
 * is renamed in place (data, values and its index kept) before Strapi syncs the schema, which would
 * otherwise drop `status` and add an empty `state`.
 */
export const invoiceStatusToState: PluginMigration = {
  name: 'invoice-payments-0.2.0-01-invoice-status-to-state',
  async up(knex) {
    if (!(await knex.schema.hasTable(INVOICES))) return;
    if (!(await knex.schema.hasColumn(INVOICES, 'status'))) return;
    if (await knex.schema.hasColumn(INVOICES, 'state')) {
      // Both columns (a half-finished upgrade): keep every state already set, fill the rest from
      // `status`; the schema sync then drops `status`.
      await knex(INVOICES)
        .whereNull('state')
        .update({ state: knex.ref('status') });
      return;
    }
    await knex.schema.alterTable(INVOICES, (t) => t.renameColumn('status', 'state'));
  },
  async down(knex) {
    if (!(await knex.schema.hasTable(INVOICES))) return;
    if (!(await knex.schema.hasColumn(INVOICES, 'state')) || (await knex.schema.hasColumn(INVOICES, 'status'))) return;
    await knex.schema.alterTable(INVOICES, (t) => t.renameColumn('state', 'status'));
  },
};

type Dialect = 'sqlite' | 'postgres' | 'mysql';

function dialectOf(knex: SchemaKnex): Dialect {
  const d = knex.client.dialect;
  if (/sqlite/i.test(d)) return 'sqlite';
  if (/postgres|^pg$/i.test(d)) return 'postgres';
  if (/mysql|maria/i.test(d)) return 'mysql';
  throw new Error(`invoice-payments migration: unsupported database dialect "${d}".`);
}

/** Rows of a raw query, whatever shape the driver returns them in. */
function rowsOf(result: unknown): unknown[] {
  // sqlite: rows; mysql2: [rows, fields]
  if (Array.isArray(result)) return Array.isArray(result[0]) ? (result[0] as unknown[]) : result;
  return (result as { rows?: unknown[] }).rows ?? []; // pg
}

async function hasIndex(knex: SchemaKnex, dialect: Dialect, table: string, name: string): Promise<boolean> {
  const sql = {
    sqlite: `SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND name = ?`,
    postgres: `SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ? AND indexname = ?`,
    mysql: `SELECT index_name FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = ? AND index_name = ?`,
  }[dialect];
  return rowsOf(await knex.raw(sql, [table, name])).length > 0;
}

/** Drops a unique index; on PostgreSQL Strapi (through knex) made it as a table constraint. */
async function dropUniqueIndex(knex: SchemaKnex, dialect: Dialect, table: string, name: string): Promise<void> {
  if (dialect === 'postgres') {
    await knex.raw('ALTER TABLE ?? DROP CONSTRAINT IF EXISTS ??', [table, name]);
    await knex.raw('DROP INDEX IF EXISTS ??', [name]);
  } else if (dialect === 'mysql') {
    await knex.raw('ALTER TABLE ?? DROP INDEX ??', [table, name]);
  } else {
    await knex.raw('DROP INDEX IF EXISTS ??', [name]);
  }
}

/** Renames a unique index that already covers the (renamed) column, keeping it enforced throughout. */
async function renameUniqueIndex(
  knex: SchemaKnex,
  dialect: Dialect,
  table: string,
  from: string,
  to: string,
  column: string,
): Promise<void> {
  if (dialect === 'postgres') {
    // Renaming the index renames the constraint that owns it too (PostgreSQL's ALTER INDEX docs).
    await knex.raw('ALTER INDEX ?? RENAME TO ??', [from, to]);
  } else if (dialect === 'mysql') {
    await knex.raw('ALTER TABLE ?? RENAME INDEX ?? TO ??', [table, from, to]);
  } else {
    // SQLite cannot rename an index; inside the migration's transaction nothing sees the gap.
    await knex.raw('DROP INDEX ??', [from]);
    await knex.raw('CREATE UNIQUE INDEX ?? ON ?? (??)', [to, table, column]);
  }
}

interface NeutralTable {
  table: string;
  /** [old column, new column] */
  columns: Array<[string, string]>;
  /** The unique index on one of those columns: old name, new name, and its (new) column. */
  unique: { from: string; to: string; column: string };
}

/** The tables, columns and unique indexes that named Stripe before the provider-neutral rename (issue 14). */
export const NEUTRAL_RENAMES: readonly NeutralTable[] = [
  {
    table: 'invoice_payments_payments',
    columns: [
      ['payment_intent_id', 'provider_payment_id'],
      ['stripe_fee', 'provider_fee'],
      ['stripe_fee_currency', 'provider_fee_currency'],
    ],
    unique: {
      from: 'invoice_payments_payments_pi_uq',
      to: 'invoice_payments_payments_provider_payment_uq',
      column: 'provider_payment_id',
    },
  },
  {
    table: 'invoice_payments_refunds',
    columns: [
      ['stripe_refund_id', 'provider_refund_id'],
      ['payment_intent_id', 'provider_payment_id'],
    ],
    unique: {
      from: 'invoice_payments_refunds_stripe_uq',
      to: 'invoice_payments_refunds_provider_uq',
      column: 'provider_refund_id',
    },
  },
  {
    table: 'invoice_payments_webhook_events',
    columns: [
      ['stripe_event_id', 'provider_event_id'],
      ['stripe_created', 'provider_created'],
    ],
    unique: {
      from: 'invoice_payments_webhook_events_evt_uq',
      to: 'invoice_payments_webhook_events_provider_uq',
      column: 'provider_event_id',
    },
  },
];

/**
 * Stripe-named columns become provider-neutral (`payment_intent_id` → `provider_payment_id`, …),
 * renamed in place so every row keeps its values, before Strapi's schema sync (which would add the
 * new columns empty). The unique indexes are renamed too: the sync never drops an index by itself
 * (only with `forceMigration`), so an old-named one would stay beside the new one.
 *
 * A half-finished upgrade (both columns exist, e.g. a build with the new names started without
 * this migration) keeps every value already in the new column, fills the rest from the old one,
 * then drops the old index and column.
 */
export const providerNeutralColumns: PluginMigration = {
  name: 'invoice-payments-0.3.0-01-provider-neutral-columns',
  async up(knex) {
    const dialect = dialectOf(knex);
    for (const { table, columns, unique } of NEUTRAL_RENAMES) {
      if (!(await knex.schema.hasTable(table))) continue;
      const leftovers: string[] = [];
      for (const [from, to] of columns) {
        if (!(await knex.schema.hasColumn(table, from))) continue;
        if (await knex.schema.hasColumn(table, to)) {
          await knex(table)
            .whereNull(to)
            .update({ [to]: knex.ref(from) });
          leftovers.push(from);
        } else {
          await knex.schema.alterTable(table, (t) => t.renameColumn(from, to));
        }
      }
      if (await hasIndex(knex, dialect, table, unique.from)) {
        if (leftovers.length > 0 || (await hasIndex(knex, dialect, table, unique.to))) {
          // The old index still covers an old column (or the new one exists): the schema sync adds the new one.
          await dropUniqueIndex(knex, dialect, table, unique.from);
        } else {
          await renameUniqueIndex(knex, dialect, table, unique.from, unique.to, unique.column);
        }
      }
      for (const column of leftovers) await knex.raw('ALTER TABLE ?? DROP COLUMN ??', [table, column]);
    }
  },
  async down(knex) {
    const dialect = dialectOf(knex);
    for (const { table, columns, unique } of NEUTRAL_RENAMES) {
      if (!(await knex.schema.hasTable(table))) continue;
      for (const [from, to] of columns) {
        if (!(await knex.schema.hasColumn(table, to)) || (await knex.schema.hasColumn(table, from))) continue;
        await knex.schema.alterTable(table, (t) => t.renameColumn(to, from));
      }
      const column = columns.find(([, to]) => to === unique.column)![0];
      if ((await hasIndex(knex, dialect, table, unique.to)) && !(await hasIndex(knex, dialect, table, unique.from))) {
        await renameUniqueIndex(knex, dialect, table, unique.to, unique.from, column);
      }
    }
  },
};

const EVENTS = 'invoice_payments_webhook_events';
/** The unique index of webhook events before (the event id alone) and after (provider + event id). */
export const EVENT_UNIQUE = {
  was: 'invoice_payments_webhook_events_provider_uq',
  now: 'invoice_payments_webhook_events_provider_event_uq',
} as const;

/**
 * Event ids are unique per provider, not across providers (issue 14's neutral design): the unique
 * index on `provider_event_id` alone becomes one on (`provider`, `provider_event_id`). Rows stored
 * before the `provider` column have it null: they were all Stripe's (providers/registry.ts
 * LEGACY_PROVIDER_ID), and a null would escape a unique index (NULLs are distinct on all three
 * databases), so they are filled first. Every row is kept: the old index already made each event
 * id unique, so the new index cannot find duplicates. Runs after the column rename above; on a
 * database older than the `provider` column the schema sync adds it (with its default) and the
 * new index.
 */
export const webhookEventProviderUnique: PluginMigration = {
  name: 'invoice-payments-0.3.0-02-webhook-event-provider-unique',
  async up(knex) {
    const dialect = dialectOf(knex);
    if (!(await knex.schema.hasTable(EVENTS)) || !(await knex.schema.hasColumn(EVENTS, 'provider_event_id'))) return;
    const hasProvider = await knex.schema.hasColumn(EVENTS, 'provider');
    if (hasProvider) await knex(EVENTS).whereNull('provider').update({ provider: 'stripe' });
    // The old index is dropped only once the new one can replace it in the same transaction
    // (on MariaDB, DDL commits at once: in the worst case the schema sync adds the new one).
    if (await hasIndex(knex, dialect, EVENTS, EVENT_UNIQUE.was)) {
      await dropUniqueIndex(knex, dialect, EVENTS, EVENT_UNIQUE.was);
    }
    if (hasProvider && !(await hasIndex(knex, dialect, EVENTS, EVENT_UNIQUE.now))) {
      // The same knex call Strapi's schema builder makes for a unique index (a constraint on PostgreSQL).
      await knex.schema.alterTable(EVENTS, (t) =>
        t.unique(['provider', 'provider_event_id'], { indexName: EVENT_UNIQUE.now }),
      );
    }
  },
  async down(knex) {
    const dialect = dialectOf(knex);
    if (!(await knex.schema.hasTable(EVENTS))) return;
    if (await hasIndex(knex, dialect, EVENTS, EVENT_UNIQUE.now)) {
      await dropUniqueIndex(knex, dialect, EVENTS, EVENT_UNIQUE.now);
    }
    // Refused by the database if two providers stored the same event id meanwhile: nothing is lost.
    if (!(await hasIndex(knex, dialect, EVENTS, EVENT_UNIQUE.was))) {
      await knex.schema.alterTable(EVENTS, (t) => t.unique(['provider_event_id'], { indexName: EVENT_UNIQUE.was }));
    }
  },
};

const NOTICES = 'invoice_payments_notices';
/** The outbox's unique index before (payment, kind) and after (payment, kind, occurrence). */
export const NOTICE_UNIQUE = {
  was: 'invoice_payments_notices_payment_kind_uq',
  now: 'invoice_payments_notices_payment_kind_occ_uq',
} as const;

/**
 * Failure emails are one per failure, not one per payment (a bank debit retried on the same payment
 * and refused again is emailed again): the outbox's unique index on (payment, kind) becomes one on
 * (payment, kind, occurrence). The old index is dropped here, before the schema sync: the sync
 * drops an index only with `forceMigration` (Strapi's default, which a site may turn off) and only
 * when its stored schema names it, and a leftover would refuse the second failure's email (a
 * failed settlement). The sync then adds the `occurrence` column and the new index. Rows already in
 * the outbox have no occurrence (null): each was the only one of its payment and kind.
 */
export const noticeOccurrenceUnique: PluginMigration = {
  name: 'invoice-payments-0.4.0-01-notice-occurrence-unique',
  async up(knex) {
    const dialect = dialectOf(knex);
    if (!(await knex.schema.hasTable(NOTICES))) return;
    if (await hasIndex(knex, dialect, NOTICES, NOTICE_UNIQUE.was)) {
      await dropUniqueIndex(knex, dialect, NOTICES, NOTICE_UNIQUE.was);
    }
  },
  async down(knex) {
    const dialect = dialectOf(knex);
    if (!(await knex.schema.hasTable(NOTICES))) return;
    if (await hasIndex(knex, dialect, NOTICES, NOTICE_UNIQUE.now)) {
      await dropUniqueIndex(knex, dialect, NOTICES, NOTICE_UNIQUE.now);
    }
    // Refused by the database if a payment has had two failure emails meanwhile: nothing is lost.
    if (!(await hasIndex(knex, dialect, NOTICES, NOTICE_UNIQUE.was))) {
      await knex.schema.alterTable(NOTICES, (t) => t.unique(['payment_id', 'kind'], { indexName: NOTICE_UNIQUE.was }));
    }
  },
};

/**
 * Registered with Strapi's internal migration runner (as Strapi's own content-releases plugin
 * does): it runs once per database, in a transaction, before the schema sync, and is recorded in
 * `strapi_migrations_internal`.
 */
export function registerMigrations(strapi: Core.Strapi): void {
  for (const migration of [
    invoiceStatusToState,
    providerNeutralColumns,
    webhookEventProviderUnique,
    noticeOccurrenceUnique,
  ]) {
    // The runner's type wants Strapi's full Knex; ours narrows it to the calls above.
    strapi.db.migrations.providers.internal.register(
      migration as unknown as Parameters<typeof strapi.db.migrations.providers.internal.register>[0],
    );
  }
}
