import type { Core } from '@strapi/strapi';
import type { Knex } from 'knex';
import type { TestStrapi } from '../support/strapi';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { createInvoice, INVOICE_UID } from '../support/invoices';
import { bootAfterUpgrade, forgetMigration, MIGRATIONS_TABLE, restart } from '../support/migrations';
import { isUniqueViolation } from '../../server/src/utils/unique-violation';

/**
 * Upgrading a database made by the Stripe-named schema (before issue 14): the columns are renamed
 * in place, so every payment, refund and webhook event keeps its values under the neutral names,
 * and the unique indexes are renamed with them and still refuse duplicates.
 */
const MIGRATION = 'invoice-payments-0.3.0-01-provider-neutral-columns';
const PAYMENT = 'plugin::invoice-payments.payment';
const REFUND = 'plugin::invoice-payments.refund';
const EVENT = 'plugin::invoice-payments.webhook-event';

/** The schema as the previous version created it: column and unique-index names, written out here on purpose. */
const LEGACY = [
  {
    table: 'invoice_payments_payments',
    columns: {
      provider_payment_id: 'payment_intent_id',
      provider_fee: 'stripe_fee',
      provider_fee_currency: 'stripe_fee_currency',
    },
    unique: {
      now: 'invoice_payments_payments_provider_payment_uq',
      was: 'invoice_payments_payments_pi_uq',
      column: 'payment_intent_id',
    },
  },
  {
    table: 'invoice_payments_refunds',
    columns: { provider_refund_id: 'stripe_refund_id', provider_payment_id: 'payment_intent_id' },
    unique: {
      now: 'invoice_payments_refunds_provider_uq',
      was: 'invoice_payments_refunds_stripe_uq',
      column: 'stripe_refund_id',
    },
  },
  {
    table: 'invoice_payments_webhook_events',
    columns: { provider_event_id: 'stripe_event_id', provider_created: 'stripe_created' },
    unique: {
      // Since webhookEventProviderUnique (forgotten too below), unique per provider.
      now: 'invoice_payments_webhook_events_provider_event_uq',
      nowColumns: ['provider', 'provider_event_id'],
      was: 'invoice_payments_webhook_events_evt_uq',
      column: 'stripe_event_id',
    },
  },
] as const;
const EVENT_UNIQUE_MIGRATION = 'invoice-payments-0.3.0-02-webhook-event-provider-unique';

let db: TestDatabase;
let app: TestStrapi | undefined;
const ids: { invoice?: number; payment?: number; refund?: number; event?: number } = {};

/** Turns a database synced by this version into the one the previous version left, data included. */
async function toLegacySchema(strapi: Core.Strapi) {
  const knex = strapi.db.connection;
  for (const { table, columns, unique } of LEGACY) {
    const [neutral] = Object.entries(columns).find(([, old]) => old === unique.column)!;
    // The same knex calls Strapi's schema builder makes for a unique index.
    await knex.schema.alterTable(table, (t) => t.dropUnique([neutral], unique.now));
    for (const [neutral, old] of Object.entries(columns))
      await knex.schema.alterTable(table, (t) => t.renameColumn(neutral, old));
    await knex.schema.alterTable(table, (t) => t.unique([unique.column], { indexName: unique.was }));
  }
  // Strapi's record of the schema it last synced, as the previous version wrote it.
  const stored = await knex('strapi_database_schema').first();
  let text = typeof stored.schema === 'string' ? stored.schema : JSON.stringify(stored.schema);
  for (const { columns, unique } of LEGACY) {
    text = text.split(`"${unique.now}"`).join(`"${unique.was}"`);
    for (const [neutral, old] of Object.entries(columns)) text = text.split(`"${neutral}"`).join(`"${old}"`);
  }
  await knex('strapi_database_schema').update({ schema: text, hash: 'previous-version' });
}

async function seed(strapi: Core.Strapi) {
  const invoice = await createInvoice(strapi, { state: 'sent' });
  ids.invoice = (await strapi.db.query(INVOICE_UID).findOne({ where: { documentId: invoice.documentId } })).id;
  const payment = await strapi.db.query(PAYMENT).create({
    data: {
      invoice: ids.invoice,
      kind: 'card',
      provider: 'stripe',
      status: 'succeeded',
      amount: 5000,
      currency: 'USD',
      providerPaymentId: 'pi_legacy_1',
      chargeId: 'ch_legacy_1',
      providerFee: 175,
      providerFeeCurrency: 'EUR',
      amountRefunded: 1000,
    },
  });
  ids.payment = payment.id;
  ids.refund = (
    await strapi.db.query(REFUND).create({
      data: {
        payment: payment.id,
        invoiceDocumentId: invoice.documentId,
        providerRefundId: 're_legacy_1',
        providerPaymentId: 'pi_legacy_1',
        status: 'succeeded',
        amount: 1000,
        currency: 'USD',
      },
    })
  ).id;
  ids.event = (
    await strapi.db.query(EVENT).create({
      data: {
        providerEventId: 'evt_legacy_1',
        type: 'payment_intent.succeeded',
        providerCreated: 1_760_000_000,
        objectId: 'pi_legacy_1',
        status: 'processed',
      },
    })
  ).id;
}

/** Every value the migration must keep, read through the neutral attribute names. */
async function snapshot(strapi: Core.Strapi) {
  return {
    payment: await strapi.db.query(PAYMENT).findOne({
      where: { id: ids.payment },
      select: [
        'providerPaymentId',
        'providerFee',
        'providerFeeCurrency',
        'chargeId',
        'amount',
        'amountRefunded',
        'status',
      ],
    }),
    refund: await strapi.db
      .query(REFUND)
      .findOne({ where: { id: ids.refund }, select: ['providerRefundId', 'providerPaymentId', 'amount', 'status'] }),
    event: await strapi.db
      .query(EVENT)
      .findOne({ where: { id: ids.event }, select: ['providerEventId', 'providerCreated', 'type', 'status'] }),
  };
}

async function structure(strapi: Core.Strapi) {
  const inspector = strapi.db.dialect.schemaInspector;
  const out: Record<string, { columns: string[]; uniques: Array<{ name: string; columns: string[] }> }> = {};
  for (const { table } of LEGACY) {
    const columns = Object.keys(await strapi.db.connection(table).columnInfo()).sort();
    const uniques = (await inspector.getIndexes(table))
      .filter((i) => i.type === 'unique')
      // Strapi's PostgreSQL inspector lists an index's columns in table order, not index order.
      .map((i) => ({ name: i.name, columns: [...i.columns].sort() }))
      .sort((a, b) => a.name.localeCompare(b.name));
    out[table] = { columns, uniques };
  }
  return out;
}

async function insertFails(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('The duplicate was stored: the unique index is gone.');
}

const knexOf = (): Knex => app!.strapi.db.connection;

beforeAll(async () => {
  db = await createTestDatabase();
  app = await bootAfterUpgrade(db, MIGRATION, async (strapi) => {
    await seed(strapi);
    await toLegacySchema(strapi);
    await forgetMigration(strapi.db.connection, EVENT_UNIQUE_MIGRATION);
    expect(await strapi.db.connection.schema.hasColumn('invoice_payments_webhook_events', 'stripe_event_id')).toBe(
      true,
    );
    expect(await strapi.db.connection.schema.hasColumn('invoice_payments_webhook_events', 'provider_event_id')).toBe(
      false,
    );
  });
}, 180_000);

afterAll(async () => {
  await app?.close();
  await db?.drop();
});

describe('Stripe-named columns → provider-neutral names', () => {
  it('keeps every payment, refund and webhook event value under the new names', async () => {
    expect(await snapshot(app!.strapi)).toEqual({
      payment: {
        providerPaymentId: 'pi_legacy_1',
        providerFee: 175,
        providerFeeCurrency: 'EUR',
        chargeId: 'ch_legacy_1',
        amount: 5000,
        amountRefunded: 1000,
        status: 'succeeded',
      },
      refund: { providerRefundId: 're_legacy_1', providerPaymentId: 'pi_legacy_1', amount: 1000, status: 'succeeded' },
      // biginteger comes back as a string on PostgreSQL and MariaDB.
      event: {
        providerEventId: 'evt_legacy_1',
        providerCreated: expect.anything(),
        type: 'payment_intent.succeeded',
        status: 'processed',
      },
    });
    expect(Number((await snapshot(app!.strapi)).event.providerCreated)).toBe(1_760_000_000);
    const ran = await knexOf()(MIGRATIONS_TABLE).where({ name: MIGRATION });
    expect(ran).toHaveLength(1);
  });

  it('leaves no old column and exactly the renamed unique indexes, on the new columns', async () => {
    const now = await structure(app!.strapi);
    for (const { table, columns, unique } of LEGACY) {
      for (const [neutral, old] of Object.entries(columns)) {
        expect([table, old, now[table]!.columns.includes(old)]).toEqual([table, old, false]);
        expect([table, neutral, now[table]!.columns.includes(neutral)]).toEqual([table, neutral, true]);
      }
      const neutralColumn = Object.entries(columns).find(([, old]) => old === unique.column)![0];
      // One unique index on the id column, under the new name (the table's other unique indexes aside).
      const ours = now[table]!.uniques.filter(
        (i) => i.name === unique.now || i.name === unique.was || i.columns.includes(neutralColumn),
      );
      const nowColumns = 'nowColumns' in unique ? [...unique.nowColumns] : [neutralColumn];
      expect(ours).toEqual([{ name: unique.now, columns: nowColumns }]);
    }
  });

  it('refuses a duplicate provider event, refund or payment id at the database', async () => {
    const strapi = app!.strapi;
    const event = await insertFails(() =>
      strapi.db
        .query(EVENT)
        .create({ data: { providerEventId: 'evt_legacy_1', type: 'payment_intent.succeeded', status: 'received' } }),
    );
    expect([isUniqueViolation(event), String(event)]).toEqual([true, String(event)]);
    const refund = await insertFails(() =>
      strapi.db
        .query(REFUND)
        .create({ data: { providerRefundId: 're_legacy_1', status: 'pending', amount: 1, currency: 'USD' } }),
    );
    expect([isUniqueViolation(refund), String(refund)]).toEqual([true, String(refund)]);
    const payment = await insertFails(() =>
      strapi.db.query(PAYMENT).create({
        data: {
          kind: 'card',
          provider: 'stripe',
          status: 'pending',
          amount: 1,
          currency: 'USD',
          providerPaymentId: 'pi_legacy_1',
        },
      }),
    );
    expect([isUniqueViolation(payment), String(payment)]).toEqual([true, String(payment)]);
  });

  it('changes nothing on a second start, nor when the migration runs again', async () => {
    const before = { rows: await snapshot(app!.strapi), structure: await structure(app!.strapi) };
    app = await restart(app!);
    expect({ rows: await snapshot(app.strapi), structure: await structure(app.strapi) }).toEqual(before);
    app = await restart(app, MIGRATION);
    expect({ rows: await snapshot(app.strapi), structure: await structure(app.strapi) }).toEqual(before);
    expect(await knexOf()(MIGRATIONS_TABLE).where({ name: MIGRATION })).toHaveLength(1);
  }, 120_000);

  it('finishes a half-done upgrade: both columns present, the new one empty, is filled from the old one', async () => {
    const table = 'invoice_payments_webhook_events';
    const before = await structure(app!.strapi);
    // A build with the new names started without the migration: it added `provider_event_id` empty
    // beside the old column (which still holds the id and its old unique index).
    await knexOf().schema.alterTable(table, (t) => t.string('stripe_event_id'));
    await knexOf().schema.alterTable(table, (t) =>
      t.unique(['stripe_event_id'], { indexName: 'invoice_payments_webhook_events_evt_uq' }),
    );
    await knexOf()(table).where({ id: ids.event }).update({ stripe_event_id: 'evt_legacy_1', provider_event_id: null });
    app = await restart(app!, MIGRATION);
    const row = await app.strapi.db.query(EVENT).findOne({ where: { id: ids.event }, select: ['providerEventId'] });
    expect(row).toEqual({ providerEventId: 'evt_legacy_1' });
    expect(await structure(app.strapi)).toEqual(before);
  }, 120_000);
});
