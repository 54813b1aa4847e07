import path from 'node:path';
import { Writable } from 'node:stream';
import type { Core, createStrapi as CreateStrapi } from '@strapi/strapi';
import type { winston as Winston } from '@strapi/logger';
import request from 'supertest';
import { createTestDatabase, type TestDatabase } from './database';
import { strapiSecrets, TEST_ENCRYPTION_KEY } from './env';
import { appendLine, captureFile, captureResponses } from './log-scan';

export const APP_DIR = path.resolve(__dirname, '..', 'app');

/** What tests/support/integration-environment.js gives the files that boot Strapi in-process. */
interface WorkerProcess {
  require: NodeJS.Require;
  guardListeners(): { loaded(): void; destroy(run: () => Promise<void>): Promise<void> };
}
declare const workerProcess: WorkerProcess | undefined;

/**
 * Strapi's modules through Node's own require, once per jest worker, in the environment that offers
 * it (jest's own registry otherwise: once per file). Objects Strapi returns then belong to the
 * worker's main context: `instanceof`, `toStrictEqual` and `expect.any(X)` against a test's own
 * globals fail on them (`toEqual`, `toMatchObject` and `toThrow(message)` do not care).
 */
const worker = typeof workerProcess === 'object' ? workerProcess : undefined;
const loadStrapi = () => (worker?.require ?? require)('@strapi/strapi') as { createStrapi: typeof CreateStrapi };
const loadLogger = () => (worker?.require ?? require)('@strapi/logger') as { winston: typeof Winston };

export interface BootOptions {
  /** Extra env for this Strapi (e.g. STRIPE_API_BASE). `null` removes a variable. */
  env?: Record<string, string | null>;
  /** Reuse a database from an earlier boot (to test restarts); it is then not dropped on close. */
  db?: TestDatabase;
  /** Listen on a real port (for callers outside the process, e.g. the Stripe stand-in's webhooks). */
  listen?: boolean;
}

export interface TestStrapi {
  strapi: Core.Strapi;
  db: TestDatabase;
  http: () => ReturnType<typeof request>;
  /** http://127.0.0.1:<port> when booted with `listen: true`. */
  url: string | null;
  /** Every line Strapi logged while it ran (all levels). */
  logs: string[];
  close(): Promise<void>;
}

function applyEnv(env: Record<string, string | null>) {
  for (const [k, v] of Object.entries(env)) {
    if (v === null) delete process.env[k];
    else process.env[k] = v;
  }
}

/**
 * Boots the real test app once per test file: its own database, the plugin from dist/, the
 * HTTP server mounted (supertest talks to it without a port). Strapi's log is captured in `logs`
 * and not printed, unless TEST_VERBOSE=1.
 */
export async function bootStrapi(options: BootOptions = {}): Promise<TestStrapi> {
  const ownsDb = !options.db;
  const db = options.db ?? (await createTestDatabase());
  applyEnv({
    NODE_ENV: 'test',
    STRAPI_TELEMETRY_DISABLED: 'true',
    STRAPI_LOG_LEVEL: process.env.STRAPI_LOG_LEVEL ?? 'warn',
    INVOICE_PAYMENTS_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    ...strapiSecrets(),
    ...db.env,
    ...(options.env ?? {}),
  });

  const logs: string[] = [];
  // Every log line and response also goes to the run's secret scan (tests/support/log-scan.ts).
  const scanFile = captureFile('strapi');

  const { createStrapi } = loadStrapi();
  const listeners = worker?.guardListeners();
  const strapi = createStrapi({ appDir: APP_DIR, distDir: APP_DIR });
  // Capture every log record as Strapi formats it (the console transport may bypass stdout under jest).
  const { winston } = loadLogger();
  strapi.log.add(
    new winston.transports.Stream({
      level: 'silly',
      stream: new Writable({
        write(chunk, _enc, done) {
          logs.push(String(chunk));
          appendLine(scanFile, String(chunk));
          done();
        },
      }),
    }),
  );
  if (process.env.TEST_VERBOSE !== '1') {
    for (const t of [...strapi.log.transports]) if (t instanceof winston.transports.Console) strapi.log.remove(t);
  }
  const destroy = () => (listeners ? listeners.destroy(() => strapi.destroy()) : strapi.destroy());
  try {
    await strapi.load();
  } catch (error) {
    listeners?.loaded();
    // A half-loaded Strapi still holds its pool and signal handlers.
    await destroy().catch(() => undefined);
    if (ownsDb) await db.drop().catch(() => undefined);
    throw error;
  }
  listeners?.loaded();
  strapi.server.mount();
  captureResponses(strapi.server.httpServer, scanFile);
  let url: string | null = null;
  if (options.listen) {
    const server = strapi.server.httpServer;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    url = typeof address === 'object' && address ? `http://127.0.0.1:${address.port}` : null;
  }

  return {
    strapi,
    db,
    logs,
    url,
    http: () => request(strapi.server.httpServer),
    async close() {
      await new Promise<void>((resolve) => {
        const server = strapi.server.httpServer;
        if (server.listening) server.close(() => resolve());
        else resolve();
      });
      await settleConnections(strapi);
      await destroy();
      if (ownsDb) await db.drop();
    },
  };
}

/** The parts of knex's tarn pool read here (knex types the pool loosely). */
interface PoolProbe {
  numUsed(): number;
  numPendingAcquires(): number;
  numPendingCreates(): number;
}

/**
 * Waits until no query is running or waiting for a connection, before Strapi closes its pool.
 * Strapi's Document Service emits its entry events after the commit without awaiting them
 * (core/services/document-service/events.ts), so a test's last create can still be reading when
 * the test ends. Closed under it, that read waits the pool's acquire timeout and then fails as an
 * unhandled rejection inside whichever file the jest worker runs next (seen on PostgreSQL).
 * Gives up after a few seconds: a query that never ends is the next test's error to show, not a hang.
 */
async function settleConnections(strapi: Core.Strapi, timeoutMs = 5_000): Promise<void> {
  const client = strapi.db?.connection?.client as { pool?: PoolProbe } | undefined;
  const pool = client?.pool;
  if (!pool) return;
  const deadline = Date.now() + timeoutMs;
  let quiet = 0;
  while (quiet < 3 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    const busy = pool.numUsed() + pool.numPendingAcquires() + pool.numPendingCreates();
    quiet = busy === 0 ? quiet + 1 : 0;
  }
}
