import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * One fresh database per test file: a temp SQLite file by default, or a database created (and
 * dropped afterwards) on the PostgreSQL / MariaDB server named by DATABASE_CLIENT and friends.
 */
export type DatabaseClient = 'sqlite' | 'postgres' | 'mysql';

export interface TestDatabase {
  client: DatabaseClient;
  env: Record<string, string>;
  drop(): Promise<void>;
}

export function databaseClient(): DatabaseClient {
  const c = process.env.DATABASE_CLIENT ?? 'sqlite';
  if (c === 'sqlite' || c === 'postgres' || c === 'mysql') return c;
  throw new Error(`DATABASE_CLIENT must be sqlite, postgres or mysql (got "${c}").`);
}

const serverEnv = (client: 'postgres' | 'mysql') => ({
  host: process.env.DATABASE_HOST ?? '127.0.0.1',
  port: Number(process.env.DATABASE_PORT ?? (client === 'postgres' ? 5432 : 3306)),
  user: process.env.DATABASE_USERNAME ?? (client === 'postgres' ? 'postgres' : 'root'),
  password: process.env.DATABASE_PASSWORD ?? '',
});

export async function createTestDatabase(): Promise<TestDatabase> {
  const client = databaseClient();
  const name = `ip_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  if (client === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'ip-sqlite-'));
    return {
      client,
      env: { DATABASE_CLIENT: 'sqlite', DATABASE_FILENAME: path.join(dir, 'data.db') },
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const conn = serverEnv(client);
  if (client === 'postgres') {
    const { Client } = await import('pg');
    const admin = new Client({ ...conn, database: 'postgres' });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.end();
    return {
      client,
      env: {
        DATABASE_CLIENT: 'postgres',
        DATABASE_NAME: name,
        DATABASE_HOST: conn.host,
        DATABASE_PORT: String(conn.port),
        DATABASE_USERNAME: conn.user,
        DATABASE_PASSWORD: conn.password,
      },
      drop: async () => {
        const c = new Client({ ...conn, database: 'postgres' });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        await c.end();
      },
    };
  }
  const mysql = await import('mysql2/promise');
  const admin = await mysql.createConnection(conn);
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.end();
  return {
    client,
    env: {
      DATABASE_CLIENT: 'mysql',
      DATABASE_NAME: name,
      DATABASE_HOST: conn.host,
      DATABASE_PORT: String(conn.port),
      DATABASE_USERNAME: conn.user,
      DATABASE_PASSWORD: conn.password,
    },
    drop: async () => {
      const c = await mysql.createConnection(conn);
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    },
  };
}
