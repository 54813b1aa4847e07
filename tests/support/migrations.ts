import type { Core } from '@strapi/strapi';
import type { Knex } from 'knex';
import { bootStrapi, type TestStrapi } from './strapi';
import type { TestDatabase } from './database';

/** Strapi's record of the internal migrations it ran (one row per migration name). */
export const MIGRATIONS_TABLE = 'strapi_migrations_internal';

/** Makes Strapi run a plugin migration again on its next start, as on a database that never saw it. */
export async function forgetMigration(knex: Knex, name: string): Promise<void> {
  await knex(MIGRATIONS_TABLE).where({ name }).del();
}

/** A table's unique indexes, each with its columns sorted (Strapi's PostgreSQL inspector lists them in table order). */
export async function uniqueIndexes(
  strapi: Core.Strapi,
  table: string,
): Promise<Array<{ name: string; columns: string[] }>> {
  return (await strapi.db.dialect.schemaInspector.getIndexes(table))
    .filter((i) => i.type === 'unique')
    .map((i) => ({ name: i.name, columns: [...i.columns].sort() }));
}

/**
 * An upgrade, in one call: boots the plugin on `db`, lets `prepare` put the database into the state
 * an older version left (data, old columns), forgets `migration`, stops, and boots again: the
 * returned Strapi is the new version's first start on that database.
 */
export async function bootAfterUpgrade(
  db: TestDatabase,
  migration: string,
  prepare: (strapi: Core.Strapi) => Promise<void>,
): Promise<TestStrapi> {
  const first = await bootStrapi({ db });
  try {
    await prepare(first.strapi);
    await forgetMigration(first.strapi.db.connection, migration);
  } finally {
    await first.close();
  }
  return bootStrapi({ db });
}

/** Restarts the app on the same database (optionally forgetting a migration so it runs again). */
export async function restart(app: TestStrapi, forget?: string): Promise<TestStrapi> {
  if (forget) await forgetMigration(app.strapi.db.connection, forget);
  await app.close();
  return bootStrapi({ db: app.db });
}
