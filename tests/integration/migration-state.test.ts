import type { TestStrapi } from '../support/strapi';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { adminSession } from '../support/admin';
import { createInvoice, INVOICE_UID } from '../support/invoices';
import { bootAfterUpgrade, MIGRATIONS_TABLE } from '../support/migrations';

/**
 * Upgrading from a version whose invoice attribute was `status` (it collided with Strapi 5's own
 * draft/publish `status`): the column is renamed in place before Strapi's schema sync, so every
 * invoice keeps its state, and the Content Manager can edit invoices afterwards.
 */
const TABLE = 'invoice_payments_invoices';
const MIGRATION = 'invoice-payments-0.2.0-01-invoice-status-to-state';
let db: TestDatabase;
let app: TestStrapi | undefined;
const states = ['draft', 'sent', 'viewed', 'void'] as const;
const created: Record<string, string> = {};

beforeAll(async () => {
  db = await createTestDatabase();
  // A database as the old version left it: the column is `status`, the migration never ran.
  app = await bootAfterUpgrade(db, MIGRATION, async (strapi) => {
    for (const state of states) created[state] = (await createInvoice(strapi, { state })).documentId as string;
    const knex = strapi.db.connection;
    await knex.schema.alterTable(TABLE, (t) => t.renameColumn('state', 'status'));
    expect(await knex.schema.hasColumn(TABLE, 'state')).toBe(false);
  });
}, 120_000);

afterAll(async () => {
  await app?.close();
  await db?.drop();
});

describe('invoice status → state migration', () => {
  it('keeps every invoice state, drops the old column and records itself once', async () => {
    const knex = app!.strapi.db.connection;
    expect(await knex.schema.hasColumn(TABLE, 'status')).toBe(false);
    for (const state of states) {
      const row = await app!.strapi.db.query(INVOICE_UID).findOne({ where: { documentId: created[state] } });
      expect([state, row.state]).toEqual([state, state]);
    }
    const ran = await knex(MIGRATIONS_TABLE).where({ name: MIGRATION });
    expect(ran).toHaveLength(1);
  });

  it("lets the Content Manager edit a migrated invoice: the state is not Strapi's draft/publish status", async () => {
    const admin = await adminSession(app!.strapi);
    const url = `/content-manager/collection-types/${INVOICE_UID}/${created.draft}`;
    const read = await app!.http().get(url).set(admin.auth);
    expect(read.status).toBe(200);
    expect(read.body.data.state).toBe('draft');
    const saved = await app!
      .http()
      .put(url)
      .set(admin.auth)
      .send({ ...pick(read.body.data), notes: 'Edited after the upgrade', state: 'sent' });
    expect([saved.status, saved.body.error?.message]).toEqual([200, undefined]);
    expect(saved.body.data).toMatchObject({ state: 'sent', notes: 'Edited after the upgrade' });
  });
});

/** The editable fields the Content Manager sends back on save. */
function pick(data: Record<string, unknown>) {
  const { number, currency, lineItems, taxRateBps, discountAmount, issueDate, dueDate, billingName, billingEmail } =
    data;
  return { number, currency, lineItems, taxRateBps, discountAmount, issueDate, dueDate, billingName, billingEmail };
}
