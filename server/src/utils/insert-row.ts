import type { Core, UID as StrapiUID } from '@strapi/strapi';

/**
 * Inserts one row and returns its id, without create()'s read of the row back when that is safe.
 * Inside a transaction (settlement's), createMany's INSERT is part of it and the caller's commit
 * decides. Outside one, create(): its INSERT commits on its own. createMany would open a
 * transaction of its own, and Strapi reports such a transaction as committed when its connection
 * dropped before the commit (a completed knex transaction is skipped, not checked): a row
 * reported written and lost (seen in tests/faults/db-connection-killed).
 */
export async function insertRow(
  strapi: Core.Strapi,
  uid: StrapiUID.Schema,
  data: Record<string, unknown>,
): Promise<number> {
  if (strapi.db.inTransaction()) {
    const { ids } = await strapi.db.query(uid).createMany({ data: [data] });
    return Number(ids[0]);
  }
  const row = (await strapi.db.query(uid).create({ data, select: ['id'] })) as { id: number };
  return row.id;
}

/**
 * Inserts rows in one statement (chunked by the dialect's batch size), inside the caller's
 * transaction only: its commit decides, for the reason given at insertRow.
 */
export async function insertRows(
  strapi: Core.Strapi,
  uid: StrapiUID.Schema,
  data: Array<Record<string, unknown>>,
): Promise<void> {
  if (data.length === 0) return;
  if (!strapi.db.inTransaction()) throw new Error('insertRows runs inside a transaction only.');
  await strapi.db.query(uid).createMany({ data });
}
