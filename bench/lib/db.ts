import { randomBytes } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import type { Knex } from 'knex';

/**
 * Direct database access for seeding and checks, outside Strapi: bulk inserts at database speed
 * (server-side generate_series on PostgreSQL, prepared statements in one transaction on SQLite)
 * in the exact shape Strapi writes rows. Benchmarks and fault tests use it; the plugin never does.
 */
export type Client = 'sqlite' | 'postgres';
type SqliteDb = InstanceType<typeof BetterSqlite3>;

export interface BenchDb {
  client: Client;
  /** One row per result, keyed by column name. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  count(table: string, where?: string, params?: unknown[]): Promise<number>;
  /** Inserts JS rows (column names in snake_case) in batches. */
  insert(table: string, rows: Array<Record<string, unknown>>): Promise<void>;
  /** Refreshes planner statistics, as a long-lived database has them. */
  analyze(): Promise<void>;
  /** Writes what the database still holds in memory to its files (PostgreSQL: a CHECKPOINT). */
  checkpoint(): Promise<void>;
  close(): Promise<void>;
}

export async function openDb(env: Record<string, string>): Promise<BenchDb> {
  const client = (env.DATABASE_CLIENT ?? 'sqlite') as Client;
  if (client === 'sqlite') {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(env.DATABASE_FILENAME!);
    db.pragma('busy_timeout = 10000');
    const toSqlite = (v: unknown) =>
      v instanceof Date
        ? v.getTime()
        : typeof v === 'boolean'
          ? v
            ? 1
            : 0
          : v !== null && typeof v === 'object'
            ? JSON.stringify(v)
            : v;
    return {
      client,
      async query<T>(sql: string, params: unknown[] = []) {
        const stmt = db.prepare(sql);
        return (stmt.reader ? stmt.all(...params.map(toSqlite)) : (stmt.run(...params.map(toSqlite)), [])) as T[];
      },
      async count(table, where, params = []) {
        const row = db
          .prepare(`SELECT COUNT(*) AS n FROM ${table}${where ? ` WHERE ${where}` : ''}`)
          .get(...params.map(toSqlite)) as { n: number };
        return Number(row.n);
      },
      async insert(table, rows) {
        if (!rows.length) return;
        const cols = Object.keys(rows[0]!);
        const stmt = db.prepare(
          `INSERT INTO ${table} (${cols.map((c) => `"${c}"`).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`,
        );
        db.transaction((all: Array<Record<string, unknown>>) => {
          for (const r of all) stmt.run(...cols.map((c) => toSqlite(r[c])));
        })(rows);
      },
      async analyze() {
        db.exec('ANALYZE');
      },
      // Every commit is already in the file (rollback journal): what is left is the OS's (flushWrites).
      async checkpoint() {},
      async close() {
        db.close();
      },
      // Exposed for the fast SQLite seeding path below.
      ...({ native: db } as object),
    };
  }
  const { default: knexFactory } = await import('knex');
  const knex: Knex = knexFactory({
    client: 'pg',
    connection: {
      host: env.DATABASE_HOST,
      port: Number(env.DATABASE_PORT),
      user: env.DATABASE_USERNAME,
      password: env.DATABASE_PASSWORD,
      database: env.DATABASE_NAME,
      application_name: 'ip-observer',
    },
    pool: { min: 0, max: 2 },
  });
  const toPg = (v: unknown) => (v !== null && typeof v === 'object' && !(v instanceof Date) ? JSON.stringify(v) : v);
  return {
    client,
    async query<T>(sql: string, params: unknown[] = []) {
      // knex placeholders are `?`; callers write `?` for both clients.
      const res = await knex.raw(sql, params as Knex.RawBinding[]);
      return (res.rows ?? []) as T[];
    },
    async count(table, where, params = []) {
      const res = await knex.raw(
        `SELECT COUNT(*)::int AS n FROM ${table}${where ? ` WHERE ${where}` : ''}`,
        params as Knex.RawBinding[],
      );
      return Number(res.rows[0].n);
    },
    async insert(table, rows) {
      if (!rows.length) return;
      await knex.batchInsert(
        table,
        rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, toPg(v)]))),
        500,
      );
    },
    async analyze() {
      // What autovacuum leaves a long-lived database with: statistics and a visibility map.
      await knex.raw('VACUUM ANALYZE');
    },
    async checkpoint() {
      await knex.raw('CHECKPOINT');
    },
    async close() {
      await knex.destroy();
    },
    ...({ knex } as object),
  };
}

/** A Strapi-style documentId: 24 lowercase letters and digits. */
export function documentId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(24);
  let id = '';
  for (const b of bytes) id += alphabet[b % alphabet.length];
  return id;
}

export const payToken = () => randomBytes(24).toString('base64url');

export const TABLES = {
  invoices: 'invoice_payments_invoices',
  payments: 'invoice_payments_payments',
  paymentInvoice: 'invoice_payments_payments_invoice_lnk',
  events: 'invoice_payments_webhook_events',
  audit: 'invoice_payments_audit_entries',
  refunds: 'invoice_payments_refunds',
  notices: 'invoice_payments_notices',
  floor: 'bench_rows',
} as const;

export interface SeededInvoice {
  documentId: string;
  token: string;
  number: string;
  total: number;
  email: string;
}

const LINE = (amount: number) => [{ description: 'Consulting', quantity: 1, unitAmount: amount, lineTotal: amount }];

/**
 * Open ("sent") USD invoices with known documentId and pay token, as the Content Manager would
 * have created them (totals computed, pay token issued). Returns them for the load generator.
 */
export async function seedOpenInvoices(
  db: BenchDb,
  count: number,
  prefix: string,
  amountOf: number | ((i: number) => number) = 182750,
): Promise<SeededInvoice[]> {
  const now = new Date();
  const out: SeededInvoice[] = [];
  const rows: Array<Record<string, unknown>> = [];
  for (let i = 0; i < count; i += 1) {
    const amount = typeof amountOf === 'function' ? amountOf(i) : amountOf;
    const inv = {
      documentId: documentId(),
      token: payToken(),
      number: `${prefix}-${String(i).padStart(7, '0')}`,
      total: amount,
      email: `${prefix.toLowerCase()}-${i}@example.test`,
    };
    out.push(inv);
    rows.push({
      document_id: inv.documentId,
      number: inv.number,
      state: 'sent',
      currency: 'USD',
      line_items: LINE(amount),
      tax_rate_bps: 0,
      discount_amount: 0,
      subtotal: amount,
      tax: 0,
      total: amount,
      amount_paid: 0,
      amount_refunded: 0,
      balance_due: amount,
      issue_date: now.toISOString().slice(0, 10),
      due_date: new Date(now.getTime() + 30 * 86400_000).toISOString().slice(0, 10),
      billing_name: `Client ${i}`,
      billing_email: inv.email,
      pay_token: inv.token,
      needs_attention: false,
      dispute_open: false,
      sent_at: now,
      created_at: now,
      updated_at: now,
      published_at: now,
    });
  }
  for (let i = 0; i < rows.length; i += 5000) await db.insert(TABLES.invoices, rows.slice(i, i + 5000));
  return out;
}

/**
 * History: `count` invoices (half paid, each paid one with its card payment in the ledger), as a
 * site that has been running for a while has. Numbers are `${prefix}-<n>`.
 */
export async function seedHistoryInvoices(
  db: BenchDb,
  count: number,
  prefix: string,
  onProgress?: (done: number) => void,
): Promise<void> {
  if (count <= 0) return;
  const chunk = 20_000;
  if (db.client === 'postgres') {
    for (let from = 1; from <= count; from += chunk) {
      const to = Math.min(count, from + chunk - 1);
      await db.query(
        `INSERT INTO ${TABLES.invoices} (document_id, number, state, currency, line_items, tax_rate_bps, discount_amount, subtotal, tax, total, amount_paid, amount_refunded, balance_due, issue_date, due_date, billing_name, billing_email, pay_token, needs_attention, dispute_open, sent_at, paid_at, created_at, updated_at, published_at)
         SELECT substr(md5(random()::text || g::text), 1, 24), ? || '-' || lpad(g::text, 7, '0'), CASE WHEN g % 2 = 0 THEN 'paid' ELSE 'sent' END, 'USD',
                jsonb_build_array(jsonb_build_object('description', 'Consulting', 'quantity', 1, 'unitAmount', 10000 + g % 90000, 'lineTotal', 10000 + g % 90000)),
                0, 0, 10000 + g % 90000, 0, 10000 + g % 90000, CASE WHEN g % 2 = 0 THEN 10000 + g % 90000 ELSE 0 END, 0, CASE WHEN g % 2 = 0 THEN 0 ELSE 10000 + g % 90000 END,
                (now() - (g || ' minutes')::interval)::date, (now() - (g || ' minutes')::interval + interval '30 days')::date, 'Client ' || g, 'client' || g || '@example.test',
                md5(random()::text || g::text) || md5(g::text), false, false, now() - (g || ' minutes')::interval,
                CASE WHEN g % 2 = 0 THEN now() - (g || ' minutes')::interval ELSE NULL END,
                now() - (g || ' minutes')::interval, now() - (g || ' minutes')::interval, now() - (g || ' minutes')::interval
         FROM generate_series(?::int, ?::int) AS g`,
        [prefix, from, to],
      );
      // Payments and their invoice links in one statement (a join on the new payments would be
      // planned from stale statistics and crawl).
      await db.query(
        `WITH inv AS (SELECT id, total, paid_at, created_at FROM ${TABLES.invoices} WHERE number BETWEEN ? AND ? AND state = 'paid'),
              pay AS (
                INSERT INTO ${TABLES.payments} (document_id, kind, provider, method, status, amount, currency, fee, amount_refunded, fee_refunded, provider_payment_id, charge_id, paid_at, livemode, notified_at, disputed_amount, provider_fee, provider_fee_currency, created_at, updated_at, published_at)
                SELECT substr(md5(random()::text || inv.id::text), 1, 24), 'card', 'stripe', 'card', 'succeeded', inv.total, 'USD', 0, 0, 0, 'pi_seed_' || inv.id, 'ch_seed_' || inv.id, inv.paid_at, false, inv.paid_at, 0, round(inv.total * 0.029) + 30, 'USD', inv.created_at, inv.created_at, inv.created_at
                FROM inv RETURNING id, provider_payment_id)
         INSERT INTO ${TABLES.paymentInvoice} (payment_id, invoice_id, payment_ord) SELECT pay.id, substr(pay.provider_payment_id, 9)::int, 1 FROM pay`,
        [`${prefix}-${String(from).padStart(7, '0')}`, `${prefix}-${String(to).padStart(7, '0')}`],
      );
      onProgress?.(to);
    }
    return;
  }
  const native = (db as unknown as { native: SqliteDb }).native;
  const inv = native.prepare(
    `INSERT INTO ${TABLES.invoices} (document_id, number, state, currency, line_items, tax_rate_bps, discount_amount, subtotal, tax, total, amount_paid, amount_refunded, balance_due, issue_date, due_date, billing_name, billing_email, pay_token, needs_attention, dispute_open, sent_at, paid_at, created_at, updated_at, published_at)
     VALUES (?, ?, ?, 'USD', ?, 0, 0, ?, 0, ?, ?, 0, ?, ?, ?, ?, ?, ?, 0, 0, ?, ?, ?, ?, ?)`,
  );
  const pay = native.prepare(
    `INSERT INTO ${TABLES.payments} (document_id, kind, provider, method, status, amount, currency, fee, amount_refunded, fee_refunded, provider_payment_id, charge_id, paid_at, livemode, notified_at, disputed_amount, provider_fee, provider_fee_currency, created_at, updated_at, published_at)
     VALUES (?, 'card', 'stripe', 'card', 'succeeded', ?, 'USD', 0, 0, 0, ?, ?, ?, 0, ?, 0, ?, 'USD', ?, ?, ?)`,
  );
  const link = native.prepare(
    `INSERT INTO ${TABLES.paymentInvoice} (payment_id, invoice_id, payment_ord) VALUES (?, ?, 1)`,
  );
  const now = Date.now();
  for (let from = 1; from <= count; from += chunk) {
    const to = Math.min(count, from + chunk - 1);
    native.transaction(() => {
      for (let g = from; g <= to; g += 1) {
        const amount = 10000 + (g % 90000);
        const paid = g % 2 === 0;
        const at = now - g * 60_000;
        const day = new Date(at).toISOString().slice(0, 10);
        const due = new Date(at + 30 * 86400_000).toISOString().slice(0, 10);
        const r = inv.run(
          documentId(),
          `${prefix}-${String(g).padStart(7, '0')}`,
          paid ? 'paid' : 'sent',
          JSON.stringify(LINE(amount)),
          amount,
          amount,
          paid ? amount : 0,
          paid ? 0 : amount,
          day,
          due,
          `Client ${g}`,
          `client${g}@example.test`,
          payToken(),
          at,
          paid ? at : null,
          at,
          at,
          at,
        );
        if (paid) {
          const invoiceId = Number(r.lastInsertRowid);
          // With Stripe's fee, as a settled payment has it: the background job reads again only
          // payments still without one, and these ids do not exist at the stand-in.
          const fee = Math.round(amount * 0.029) + 30;
          const p = pay.run(
            documentId(),
            amount,
            `pi_seed_${invoiceId}`,
            `ch_seed_${invoiceId}`,
            at,
            at,
            fee,
            at,
            at,
            at,
          );
          link.run(Number(p.lastInsertRowid), invoiceId);
        }
      }
    })();
    onProgress?.(to);
  }
}

/**
 * Stored webhook history: `count` events, as a site that has received them over months has
 * (70 % payment_intent.succeeded, 20 % charge.succeeded processed, 10 % ignored types, a few
 * dead-lettered). The payload is a real stand-in event with its ids replaced (`template` holds
 * `__EVT__` and `__OBJ__` placeholders).
 */
export async function seedEvents(
  db: BenchDb,
  count: number,
  prefix: string,
  template: string,
  onProgress?: (done: number) => void,
): Promise<void> {
  if (count <= 0) return;
  const chunk = 50_000;
  if (db.client === 'postgres') {
    for (let from = 1; from <= count; from += chunk) {
      const to = Math.min(count, from + chunk - 1);
      await db.query(
        `INSERT INTO ${TABLES.events} (document_id, provider_event_id, type, livemode, api_version, provider_created, object_id, payload, status, attempts, deliveries, ignored_reason, next_attempt_at, processed_at, created_at, updated_at, published_at)
         SELECT substr(md5(random()::text || g::text), 1, 24), 'evt_' || ? || '_' || g,
                CASE WHEN g % 10 < 7 THEN 'payment_intent.succeeded' WHEN g % 10 < 9 THEN 'charge.succeeded' ELSE 'customer.created' END,
                false, '2026-10-28.endive', extract(epoch from now())::bigint - g, 'pi_' || ? || '_' || g,
                replace(replace(?::text, '__EVT__', 'evt_' || ? || '_' || g), '__OBJ__', 'pi_' || ? || '_' || g)::jsonb,
                CASE WHEN g % 10 = 9 THEN 'ignored' WHEN g % 10000 = 1 THEN 'dead_lettered' ELSE 'processed' END, 1, 1,
                CASE WHEN g % 10 = 9 THEN 'Event type customer.created is not used by invoice-payments.' ELSE NULL END,
                now() - (g || ' seconds')::interval, now() - (g || ' seconds')::interval, now() - (g || ' seconds')::interval, now() - (g || ' seconds')::interval, now() - (g || ' seconds')::interval
         FROM generate_series(?::int, ?::int) AS g`,
        [prefix, prefix, template, prefix, prefix, from, to],
      );
      onProgress?.(to);
    }
    return;
  }
  const native = (db as unknown as { native: SqliteDb }).native;
  const stmt = native.prepare(
    `INSERT INTO ${TABLES.events} (document_id, provider_event_id, type, livemode, api_version, provider_created, object_id, payload, status, attempts, deliveries, ignored_reason, next_attempt_at, processed_at, created_at, updated_at, published_at)
     VALUES (?, ?, ?, 0, '2026-10-28.endive', ?, ?, ?, ?, 1, 1, ?, ?, ?, ?, ?, ?)`,
  );
  const now = Date.now();
  for (let from = 1; from <= count; from += chunk) {
    const to = Math.min(count, from + chunk - 1);
    native.transaction(() => {
      for (let g = from; g <= to; g += 1) {
        const evt = `evt_${prefix}_${g}`;
        const obj = `pi_${prefix}_${g}`;
        const kind = g % 10;
        const type = kind < 7 ? 'payment_intent.succeeded' : kind < 9 ? 'charge.succeeded' : 'customer.created';
        const status = kind === 9 ? 'ignored' : g % 10000 === 1 ? 'dead_lettered' : 'processed';
        const at = now - g * 1000;
        stmt.run(
          documentId(),
          evt,
          type,
          Math.floor(at / 1000),
          obj,
          template.replace('__EVT__', evt).replace('__OBJ__', obj),
          status,
          kind === 9 ? 'Event type customer.created is not used by invoice-payments.' : null,
          at,
          at,
          at,
          at,
          at,
        );
      }
    })();
    onProgress?.(to);
  }
}

/** Emails in the outbox not sent yet (due: waiting in the process's pipeline or for the worker). */
export function unsentEmails(db: BenchDb): Promise<number> {
  return db.count(TABLES.notices, "status = 'due'");
}

/** Events not yet in a final state (received, processing, failed). */
export function pendingEvents(db: BenchDb): Promise<number> {
  return db.count(TABLES.events, "status IN ('received', 'processing', 'failed')");
}
