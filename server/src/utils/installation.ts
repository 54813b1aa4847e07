import { randomBytes } from 'node:crypto';
import type { Core } from '@strapi/strapi';
import { PLUGIN_ID } from './plugin-id';

/** The core-store key `strapi.store({ type: 'plugin', name }).get({ key: 'installation' })` reads. */
const STORE_KEY = `plugin_${PLUGIN_ID}_installation`;
const CORE_STORE = 'strapi::core-store';

interface StoreRow {
  id: number;
  value: string | null;
}

function parse(row: StoreRow): string | null {
  if (!row.value) return null;
  try {
    const value: unknown = JSON.parse(row.value);
    return typeof value === 'string' && /^[A-Za-z0-9_]{8,64}$/.test(value) ? value : null;
  } catch {
    return null;
  }
}

async function oldest(strapi: Core.Strapi): Promise<string | null> {
  const rows = (await strapi.db.query(CORE_STORE).findMany({
    where: { key: STORE_KEY, environment: null, tag: null },
    orderBy: { id: 'asc' },
  })) as StoreRow[];
  // A row that is not one of ours (edited by hand) is passed over, never used as a key part.
  for (const row of rows) {
    const id = parse(row);
    if (id) return id;
  }
  return null;
}

/**
 * This site's own random id, made once and kept in Strapi's core store (where the plugin store
 * keeps its values). It goes into idempotency keys otherwise derived from database ids, such as a
 * client's numeric id: Stripe keeps keys per account, not per site
 * (https://docs.stripe.com/api/idempotent_requests), so two sites sharing one Stripe account, or a
 * site reinstalled with its ids starting again at 1, would replay each other's answers.
 *
 * Two instances starting on a fresh database may each write one: the oldest row wins for everyone.
 * It is read each time (no cache), so an instance never keeps using a losing id.
 */
export async function installationId(strapi: Core.Strapi): Promise<string> {
  const found = await oldest(strapi);
  if (found) return found;
  await strapi.db.query(CORE_STORE).create({
    data: {
      key: STORE_KEY,
      value: JSON.stringify(randomBytes(12).toString('base64url').replace(/-/g, '_')),
      type: 'string',
      environment: null,
      tag: null,
    },
  });
  const made = await oldest(strapi);
  if (!made) throw new Error('invoice-payments: the installation id could not be stored.');
  return made;
}
