import type { Core } from '@strapi/strapi';
import type { TestStrapi } from '../support/strapi';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { bootAfterUpgrade, MIGRATIONS_TABLE, restart, uniqueIndexes } from '../support/migrations';
import { isUniqueViolation } from '../../server/src/utils/unique-violation';
import type { ProviderEvent, WebhookParser } from '../../server/src/providers/types';

/**
 * Upgrading a database whose webhook events are unique by event id alone to the neutral design:
 * unique by (provider, event id). Every row is kept, rows stored before the `provider` column are
 * Stripe's, and the webhook's duplicate path matches on both columns.
 */
const MIGRATION = 'invoice-payments-0.3.0-02-webhook-event-provider-unique';
const EVENT = 'plugin::invoice-payments.webhook-event';
const TABLE = 'invoice_payments_webhook_events';
/** Written out on purpose: what the previous version made, and what this one makes. */
const WAS = 'invoice_payments_webhook_events_provider_uq';
const NOW = 'invoice_payments_webhook_events_provider_event_uq';

let db: TestDatabase;
let app: TestStrapi | undefined;
const ids: Record<string, number> = {};

async function seed(strapi: Core.Strapi) {
  const make = async (providerEventId: string, provider: string) =>
    (
      await strapi.db.query(EVENT).create({
        data: { providerEventId, provider, type: 'payment.changed', status: 'processed', objectId: 'x' },
      })
    ).id as number;
  ids.legacy = await make('evt_legacy_unique_1', 'stripe');
  ids.stripe = await make('evt_stripe_unique_2', 'stripe');
  ids.mollie = await make('tr_uniqueMig1:abc', 'mollie');
  // Stored before the `provider` column existed.
  await strapi.db.connection(TABLE).where({ id: ids.legacy }).update({ provider: null });
}

/** The index the previous version had, and Strapi's record of its schema. */
async function toPreviousIndex(strapi: Core.Strapi) {
  const knex = strapi.db.connection;
  await knex.schema.alterTable(TABLE, (t) => t.dropUnique(['provider', 'provider_event_id'], NOW));
  await knex.schema.alterTable(TABLE, (t) => t.unique(['provider_event_id'], { indexName: WAS }));
  const stored = await knex('strapi_database_schema').first();
  const text = typeof stored.schema === 'string' ? stored.schema : JSON.stringify(stored.schema);
  await knex('strapi_database_schema').update({
    schema: text.split(`"${NOW}"`).join(`"${WAS}"`),
    hash: 'previous-version',
  });
}

async function rows(strapi: Core.Strapi) {
  return strapi.db.query(EVENT).findMany({
    where: { id: { $in: Object.values(ids) } },
    select: ['id', 'providerEventId', 'provider', 'type', 'status'],
    orderBy: { id: 'asc' },
  });
}

const uniques = (strapi: Core.Strapi) => uniqueIndexes(strapi, TABLE);

beforeAll(async () => {
  db = await createTestDatabase();
  app = await bootAfterUpgrade(db, MIGRATION, async (strapi) => {
    await seed(strapi);
    await toPreviousIndex(strapi);
    expect((await uniques(strapi)).map((u) => u.name)).toContain(WAS);
  });
}, 180_000);

afterAll(async () => {
  await app?.close();
  await db?.drop();
});

describe('webhook events: unique per provider', () => {
  it('keeps every row; rows from before the provider column are Stripe’s', async () => {
    expect(await rows(app!.strapi)).toEqual([
      {
        id: ids.legacy,
        providerEventId: 'evt_legacy_unique_1',
        provider: 'stripe',
        type: 'payment.changed',
        status: 'processed',
      },
      {
        id: ids.stripe,
        providerEventId: 'evt_stripe_unique_2',
        provider: 'stripe',
        type: 'payment.changed',
        status: 'processed',
      },
      {
        id: ids.mollie,
        providerEventId: 'tr_uniqueMig1:abc',
        provider: 'mollie',
        type: 'payment.changed',
        status: 'processed',
      },
    ]);
    expect(await app!.strapi.db.connection(MIGRATIONS_TABLE).where({ name: MIGRATION })).toHaveLength(1);
  });

  it('has one unique index, on (provider, provider_event_id), and no old one', async () => {
    expect(await uniques(app!.strapi)).toEqual([{ name: NOW, columns: ['provider', 'provider_event_id'] }]);
  });

  it('the same event id is refused for one provider and accepted for another', async () => {
    const events = app!.strapi.db.query(EVENT);
    let error: unknown = null;
    await events
      .create({ data: { providerEventId: 'evt_stripe_unique_2', provider: 'stripe', type: 't', status: 'received' } })
      .catch((e: unknown) => (error = e));
    expect(isUniqueViolation(error)).toBe(true);
    const other = await events.create({
      data: { providerEventId: 'evt_stripe_unique_2', provider: 'mollie', type: 't', status: 'processed' },
    });
    expect(other.id).toBeGreaterThan(0);
    await events.delete({ where: { id: other.id } });
  });

  it("receive(): a duplicate is one of the same provider's, and only its row counts the redelivery", async () => {
    const service = app!.strapi.plugin('invoice-payments').service('webhook-events');
    const parser = (id: string): WebhookParser => ({
      id,
      label: id,
      parseWebhook: async () => {
        throw new Error('not used');
      },
      webhookAction: (e: ProviderEvent) => ({ kind: 'not_supported', objectId: null, eventId: e.id, reason: 'test' }),
    });
    const event: ProviderEvent = {
      id: 'evt_shared_between_providers',
      type: 'test.event',
      created: 1,
      livemode: false,
      apiVersion: null,
      objectId: null,
      objectType: null,
      payload: {},
    };
    expect((await service.receive(event, parser('stripe'))).duplicate).toBe(false);
    expect((await service.receive(event, parser('mollie'))).duplicate).toBe(false);
    expect((await service.receive(event, parser('mollie'))).duplicate).toBe(true);
    const stored = await app!.strapi.db.query(EVENT).findMany({
      where: { providerEventId: event.id },
      select: ['provider', 'deliveries'],
      orderBy: { provider: 'asc' },
    });
    expect(stored).toEqual([
      { provider: 'mollie', deliveries: 2 },
      { provider: 'stripe', deliveries: 1 },
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
