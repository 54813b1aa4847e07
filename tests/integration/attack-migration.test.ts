import type { TestStrapi } from '../support/strapi';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { createInvoice, INVOICE_UID } from '../support/invoices';
import { bootAfterUpgrade, restart } from '../support/migrations';

/**
 * Review of the status → state migration: a database where both columns exist (a half-finished
 * upgrade, or an earlier build that synced `state` before the migration existed), and re-running.
 */
const TABLE = 'invoice_payments_invoices';
const MIGRATION = 'invoice-payments-0.2.0-01-invoice-status-to-state';
let db: TestDatabase;
let app: TestStrapi | undefined;
const states = ['sent', 'viewed', 'void'] as const;
const created: Record<string, string> = {};

beforeAll(async () => {
  db = await createTestDatabase();
  app = await bootAfterUpgrade(db, MIGRATION, async (strapi) => {
    for (const state of states) created[state] = (await createInvoice(strapi, { state })).documentId as string;
    const knex = strapi.db.connection;
    // The old column with the real states, and a `state` column that a schema sync added empty.
    await knex.schema.alterTable(TABLE, (t) => t.string('status'));
    for (const state of states)
      await knex(TABLE).where({ document_id: created[state] }).update({ status: state, state: null });
  });
}, 120_000);

afterAll(async () => {
  await app?.close();
  await db?.drop();
});

describe('status → state migration, both columns present', () => {
  it('DEFECT: keeps the states held in `status` instead of letting the schema sync drop them', async () => {
    const got: Record<string, unknown> = {};
    for (const state of states)
      got[state] = (await app!.strapi.db.query(INVOICE_UID).findOne({ where: { documentId: created[state] } }))?.state;
    expect(got).toEqual({ sent: 'sent', viewed: 'viewed', void: 'void' });
  });

  it('held: re-running the migration on an already migrated database changes nothing', async () => {
    const knex = app!.strapi.db.connection;
    const before = await knex(TABLE).select('document_id', 'state').orderBy('id');
    app = await restart(app!, MIGRATION);
    const after = await app.strapi.db.connection(TABLE).select('document_id', 'state').orderBy('id');
    expect(after).toEqual(before);
  });
});
