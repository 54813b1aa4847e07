import type { Core } from '@strapi/strapi';

const POLL_MS = 25;

/** How many of this database's transactions are waiting for a row lock, as the server itself sees it. */
async function lockWaiters(strapi: Core.Strapi): Promise<number> {
  const knex = strapi.db.connection;
  switch (strapi.db.dialect.client) {
    case 'postgres': {
      // https://www.postgresql.org/docs/current/monitoring-stats.html#WAIT-EVENT-LOCK-TABLE
      const res = (await knex.raw(
        `SELECT COUNT(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      )) as { rows: { n: number }[] };
      return res.rows[0]?.n ?? 0;
    }
    case 'mysql': {
      // https://mariadb.com/kb/en/information-schema-innodb_trx-table/
      const [rows] = (await knex.raw(
        `SELECT COUNT(*) AS n FROM information_schema.innodb_trx t
           JOIN information_schema.processlist p ON p.id = t.trx_mysql_thread_id
          WHERE t.trx_state = 'LOCK WAIT' AND p.db = DATABASE()`,
      )) as [{ n: number | string }[]];
      return Number(rows[0]?.n ?? 0);
    }
    default:
      throw new Error(`waitForLockWaiter(): no lock view on ${strapi.db.dialect.client} (one connection there)`);
  }
}

/**
 * Waits until a transaction on this test's database waits for a row lock (PostgreSQL, MariaDB),
 * so a test that makes two writers race knows the second one really is queued behind the first.
 * Throws on timeout: a race that did not happen is a failed test, not a pass.
 */
export async function waitForLockWaiter(strapi: Core.Strapi, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await lockWaiters(strapi)) === 0) {
    if (Date.now() > deadline)
      throw new Error(`waitForLockWaiter(): ${what} was not waiting for a lock after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
