import type { Core } from '@strapi/strapi';

/** A knex instance, narrowed to what the migrations use (Strapi passes the transaction's knex). */
interface SchemaKnex {
  (table: string): { whereNull(column: string): { update(values: Record<string, unknown>): Promise<number> } };
  ref(column: string): unknown;
  schema: {
    hasTable(table: string): Promise<boolean>;
    hasColumn(table: string, column: string): Promise<boolean>;
    alterTable(table: string, build: (t: { renameColumn(from: string, to: string): void }) => void): Promise<void>;
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
      await knex(INVOICES).whereNull('state').update({ state: knex.ref('status') });
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

/**
 * Registered with Strapi's internal migration runner (as Strapi's own content-releases plugin
 * does): it runs once per database, in a transaction, before the schema sync, and is recorded in
 * `strapi_migrations_internal`.
 */
export function registerMigrations(strapi: Core.Strapi): void {
  for (const migration of [invoiceStatusToState]) {
    // The runner's type wants Strapi's full Knex; ours narrows it to the calls above.
    strapi.db.migrations.providers.internal.register(migration as unknown as Parameters<typeof strapi.db.migrations.providers.internal.register>[0]);
  }
}
