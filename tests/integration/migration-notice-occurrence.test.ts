import type { Core } from '@strapi/strapi';
import type { TestStrapi } from '../support/strapi';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { bootAfterUpgrade, MIGRATIONS_TABLE, restart, uniqueIndexes } from '../support/migrations';
import { isUniqueViolation } from '../../server/src/utils/unique-violation';

/**
 * Upgrading an email outbox that is unique per (payment, kind) to one unique per (payment, kind,
 * occurrence): a bank debit retried on the same payment and refused again gets a second failure
 * email. The old index must go (Strapi's schema sync never drops one by itself), every row is kept,
 * and the same failure is still refused twice.
 */
const MIGRATION = 'invoice-payments-0.4.0-01-notice-occurrence-unique';
const NOTICE = 'plugin::invoice-payments.notice';
const TABLE = 'invoice_payments_notices';
/** Written out on purpose: what the previous version made, and what this one makes. */
const WAS = 'invoice_payments_notices_payment_kind_uq';
const NOW = 'invoice_payments_notices_payment_kind_occ_uq';
const PAYMENT_ID = 990_001;

let db: TestDatabase;
let app: TestStrapi | undefined;
let legacyId = 0;

/** The outbox as the previous version left it: no occurrence column, unique on (payment, kind). */
async function toPreviousVersion(strapi: Core.Strapi) {
  legacyId = (
    await strapi.db.query(NOTICE).create({
      data: { paymentId: PAYMENT_ID, kind: 'failure', status: 'sent', attempts: 1 },
    })
  ).id as number;
  const knex = strapi.db.connection;
  await knex.schema.alterTable(TABLE, (t) => t.dropUnique(['payment_id', 'kind', 'occurrence'], NOW));
  await knex.schema.alterTable(TABLE, (t) => t.dropColumn('occurrence'));
  await knex.schema.alterTable(TABLE, (t) => t.unique(['payment_id', 'kind'], { indexName: WAS }));
  const stored = await knex('strapi_database_schema').first();
  const text = typeof stored.schema === 'string' ? stored.schema : JSON.stringify(stored.schema);
  await knex('strapi_database_schema').update({
    schema: text.split(`"${NOW}"`).join(`"${WAS}"`),
    hash: 'previous-version',
  });
}

const uniques = (strapi: Core.Strapi) => uniqueIndexes(strapi, TABLE);

const rows = (strapi: Core.Strapi) =>
  strapi.db.query(NOTICE).findMany({
    where: { paymentId: PAYMENT_ID },
    select: ['id', 'kind', 'occurrence', 'status'],
    orderBy: { id: 'asc' },
  });

interface OutboxApi {
  queueFailureNotice(kind: 'failure' | 'failure_client', paymentId: number, occurrence: string): Promise<unknown>;
}

beforeAll(async () => {
  db = await createTestDatabase();
  app = await bootAfterUpgrade(db, MIGRATION, async (strapi) => {
    await toPreviousVersion(strapi);
    expect((await uniques(strapi)).map((u) => u.name)).toContain(WAS);
  });
}, 180_000);

afterAll(async () => {
  await app?.close();
  await db?.drop();
});

describe('the email outbox: unique per payment, kind and occurrence', () => {
  it('keeps every row, and has one unique index, the new one', async () => {
    expect(await rows(app!.strapi)).toEqual([{ id: legacyId, kind: 'failure', occurrence: null, status: 'sent' }]);
    expect(await uniques(app!.strapi)).toEqual(
      expect.arrayContaining([{ name: NOW, columns: ['kind', 'occurrence', 'payment_id'] }]),
    );
    expect((await uniques(app!.strapi)).map((u) => u.name)).not.toContain(WAS);
    expect(await app!.strapi.db.connection(MIGRATIONS_TABLE).where({ name: MIGRATION })).toHaveLength(1);
  });

  it("queues a second failure's email for the same payment, and refuses the same failure twice", async () => {
    const outbox = app!.strapi.plugin('invoice-payments').service('notifications') as unknown as OutboxApi;
    expect(await outbox.queueFailureNotice('failure', PAYMENT_ID, 'ch_second')).not.toBeNull();
    expect(await outbox.queueFailureNotice('failure', PAYMENT_ID, 'ch_second')).toBeNull();
    let error: unknown = null;
    await app!.strapi.db
      .query(NOTICE)
      .create({ data: { paymentId: PAYMENT_ID, kind: 'failure', occurrence: 'ch_second', status: 'due', attempts: 0 } })
      .catch((e: unknown) => (error = e));
    expect(isUniqueViolation(error)).toBe(true);
    expect((await rows(app!.strapi)).map((r: { occurrence: string | null }) => r.occurrence)).toEqual([
      null,
      'ch_second',
    ]);
  });

  it('changes nothing on a second start, nor when the migration runs again', async () => {
    const before = { rows: await rows(app!.strapi), uniques: await uniques(app!.strapi) };
    app = await restart(app!);
    expect({ rows: await rows(app.strapi), uniques: await uniques(app.strapi) }).toEqual(before);
    app = await restart(app, MIGRATION);
    expect({ rows: await rows(app.strapi), uniques: await uniques(app.strapi) }).toEqual(before);
  }, 120_000);
});
