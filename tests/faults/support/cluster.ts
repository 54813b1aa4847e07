import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import {
  appSecrets,
  registerAdmin,
  saveSettings,
  startStrapiProcess,
  type StrapiProcess,
} from '../../support/processes';
import { startStripeStandin, type StripeStandin } from '../../support/stripe-standin';
import { openDb, seedOpenInvoices, TABLES, type BenchDb, type SeededInvoice } from '../../../bench/lib/db';
import { inPool, paidIntents, signedDelivery, standinClient, type StripeEvent } from '../../../bench/lib/fixtures';

export { inPool };
import { startSmtpSink } from '../../../bench/lib/smtp-sink';
import { appendLine, captureFile } from '../../support/log-scan';

let responsesFile: string | null | undefined;
/** Every answer the tests got from a Strapi process also goes to the run's secret scan. */
export function recordResponse(method: string, path: string, status: number | null, body: string): void {
  if (responsesFile === undefined) responsesFile = captureFile('faults-responses');
  appendLine(responsesFile, `--- response ${method} ${path.split('?')[0]} ${status}\n${body.slice(0, 256 * 1024)}`);
}

/**
 * A small deployment for fault tests: one PostgreSQL database (created per test file), the Stripe
 * stand-in and an SMTP sink in the test process, and N real Strapi processes of the test app
 * (`strapi start`) on random ports, sharing secrets. Webhooks are delivered by the tests
 * themselves (signed like Stripe), so each test decides which instance gets which copy and when.
 */
export const KEYS = {
  publishableKey: 'pk_test_51FaultsPublishable0000000000',
  secretKey: 'sk_test' + '_51FaultsSecretKey00000000000000',
  webhookSecret: 'whsec' + '_faultsSigningSecret000000000000000',
};

export const WEBHOOK_PATH = '/api/invoice-payments/webhooks/stripe';

export interface Cluster {
  database: TestDatabase;
  db: BenchDb;
  standin: StripeStandin;
  smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  env: Record<string, string>;
  /** Every Stripe API call the instances made (through a recording proxy), in order. */
  stripeCalls: StripeCall[];
  instances: StrapiProcess[];
  auth: { Authorization: string };
  /** Starts one more instance (or restarts one, on its old port). */
  start(name: string, extraEnv?: Record<string, string>, port?: number): Promise<StrapiProcess>;
  close(): Promise<void>;
}

export interface StripeCall {
  method: string;
  path: string;
  idempotencyKey: string | null;
  status: number | null;
}

/**
 * A pass-through proxy in front of the stand-in that records each call (method, path,
 * Idempotency-Key, status). A caller that gives up (timeout) closes the upstream request too, so
 * the stand-in sees what Stripe would see.
 */
async function recordingProxy(target: string, calls: StripeCall[]): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    const call: StripeCall = {
      method: req.method ?? 'GET',
      path: (req.url ?? '/').split('?')[0]!,
      idempotencyKey: (req.headers['idempotency-key'] as string | undefined) ?? null,
      status: null,
    };
    calls.push(call);
    const out = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (upRes) => {
        call.status = upRes.statusCode ?? null;
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    res.on('close', () => {
      if (!res.writableFinished) out.destroy();
    });
    req.pipe(out);
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface ClusterOptions {
  instances: number;
  env?: Record<string, string>;
  settings?: Record<string, unknown>;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  if (process.env.DATABASE_CLIENT !== 'postgres') process.env.DATABASE_CLIENT = 'postgres';
  const database = await createTestDatabase();
  const standin = await startStripeStandin({ autoSettleDelayMs: 0 });
  const stripeCalls: StripeCall[] = [];
  const proxy = await recordingProxy(standin.url, stripeCalls);
  const smtp = await startSmtpSink();
  const secrets = appSecrets();
  const env: Record<string, string> = {
    ...database.env,
    STRIPE_API_BASE: proxy.url,
    // The processes run with NODE_ENV=production: the stand-in is there on purpose (test keys only).
    INVOICE_PAYMENTS_ALLOW_STRIPE_STANDIN: 'true',
    SMTP_PORT: String(smtp.port),
    STRAPI_LOG_LEVEL: 'info',
    WORKER_INTERVAL_MS: '250',
    WORKER_BACKOFF_MS: '200',
    WORKER_MAX_BACKOFF_MS: '1000',
    WORKER_LOCK_MS: '4000',
    // Emails a killed process did not send are sent by the worker after this long (the outbox).
    NOTICE_RETRY_AFTER_MS: '10000',
    ...(options.env ?? {}),
  };
  const instances: StrapiProcess[] = [];
  const start = async (name: string, extraEnv: Record<string, string> = {}, port?: number) => {
    const p = await startStrapiProcess({ name, env: { ...env, ...extraEnv }, secrets, port });
    instances.push(p);
    return p;
  };
  let db: BenchDb | null = null;
  try {
    // The first instance creates the schema; the others start once it is there.
    const first = await start('a');
    const auth = await registerAdmin(first.url);
    await saveSettings(first.url, auth, { ...KEYS, ...(options.settings ?? {}) });
    for (let i = 1; i < options.instances; i += 1) await start(String.fromCharCode(97 + i));
    db = await openDb(database.env);
    const cluster: Cluster = {
      database,
      db,
      standin,
      smtp,
      env,
      stripeCalls,
      instances,
      auth,
      start,
      async close() {
        await Promise.all(instances.map((p) => p.stop()));
        await db?.close();
        await proxy.close();
        await standin.close();
        await smtp.close();
        await database.drop();
      },
    };
    return cluster;
  } catch (error) {
    await Promise.all(instances.map((p) => p.kill()));
    await db?.close();
    await proxy.close();
    await standin.close();
    await smtp.close();
    await database.drop().catch(() => undefined);
    throw error;
  }
}

/**
 * Every fault test's frame: 240 s per test, one cluster started before the file's tests and
 * closed after them. Returns the cluster (read it inside hooks and tests, once it is started).
 */
export function useCluster(options: ClusterOptions): () => Cluster {
  let cluster: Cluster | undefined;
  jest.setTimeout(240_000);
  beforeAll(async () => {
    cluster = await startCluster(options);
  });
  afterAll(async () => {
    await cluster?.close();
  });
  return () => {
    if (!cluster) throw new Error('the cluster is not started yet (read it in a hook or a test)');
    return cluster;
  };
}

/** `count` open invoices, one succeeded PaymentIntent each, and their payment_intent.succeeded events. */
export async function paidInvoicesWithEvents(
  cluster: Cluster,
  count: number,
  prefix: string,
): Promise<{ invoices: SeededInvoice[]; events: StripeEvent[] }> {
  const invoices = await seedOpenInvoices(cluster.db, count, prefix, (i) => 5_000 + ((i * 7919) % 100_000));
  const stripe = standinClient(cluster.standin.url, KEYS.secretKey);
  const intents = await paidIntents(stripe, invoices, 8);
  const byIntent = new Map(
    cluster.standin.control
      .events()
      .filter((e) => e.type === 'payment_intent.succeeded')
      .map((e) => [(e.data as { object: { id: string } }).object.id, e as unknown as StripeEvent]),
  );
  const events = invoices.map((inv) => {
    const e = byIntent.get(intents.get(inv.documentId)!);
    if (!e) throw new Error(`no event for ${inv.number}`);
    return e;
  });
  return { invoices, events };
}

export interface DeliveryResult {
  eventId: string;
  status: number | null;
  error: string | null;
  body: string;
}

/** One delivery as Stripe makes it: the pretty-printed event, signed with each given secret. */
export async function deliver(
  url: string,
  event: StripeEvent,
  secrets: string | string[] = KEYS.webhookSecret,
  timeoutMs = 15_000,
): Promise<DeliveryResult> {
  const { body, signature } = signedDelivery(event, secrets);
  try {
    const res = await fetch(`${url}${WEBHOOK_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    recordResponse('POST', WEBHOOK_PATH, res.status, text);
    return { eventId: event.id, status: res.status, error: null, body: text };
  } catch (error) {
    return { eventId: event.id, status: null, error: error instanceof Error ? error.message : String(error), body: '' };
  }
}

/** Redelivers (as Stripe retries) until every event got a 2xx; returns the number of extra attempts. */
export async function redeliverUntilAccepted(
  url: () => string,
  events: StripeEvent[],
  maxRounds = 20,
): Promise<number> {
  let pending = events;
  let attempts = 0;
  for (let round = 0; round < maxRounds && pending.length; round += 1) {
    const results = await inPool(pending, 8, (e) => deliver(url(), e));
    attempts += results.length;
    pending = pending.filter(
      (_e, i) => !(results[i]!.status !== null && results[i]!.status! >= 200 && results[i]!.status! < 300),
    );
    if (pending.length) await new Promise((r) => setTimeout(r, 300));
  }
  if (pending.length) throw new Error(`${pending.length} events were never accepted`);
  return attempts;
}

/** Polls until `check` is true, or fails with the last value. */
export async function waitFor<T>(
  read: () => Promise<T>,
  check: (v: T) => boolean,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const started = Date.now();
  let value = await read();
  while (!check(value)) {
    if (Date.now() - started > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
    value = await read();
  }
  return value;
}

export const SQL = {
  eventStatus: (db: BenchDb) =>
    db.query<{ status: string; n: number }>(
      `SELECT status, COUNT(*)::int AS n FROM ${TABLES.events} GROUP BY status ORDER BY status`,
    ),
  storedEventIds: async (db: BenchDb) =>
    new Set((await db.query<{ id: string }>(`SELECT provider_event_id AS id FROM ${TABLES.events}`)).map((r) => r.id)),
  pending: (db: BenchDb) => db.count(TABLES.events, "status IN ('received', 'processing', 'failed')"),
};

/**
 * The ledger's view of the given invoices: state, amount paid, card payments booked, and the
 * sum of succeeded payments (what Stripe says was paid must equal what the ledger holds).
 */
export async function ledger(db: BenchDb, prefix: string) {
  const invoices = await db.query<{
    number: string;
    state: string;
    total: number;
    amount_paid: number;
    balance_due: number;
    payments: number;
    paid_sum: number | null;
  }>(
    `SELECT i.number, i.state, i.total, i.amount_paid, i.balance_due,
            COUNT(p.id)::int AS payments, SUM(CASE WHEN p.status = 'succeeded' THEN p.amount ELSE 0 END)::int AS paid_sum
     FROM ${TABLES.invoices} i
     LEFT JOIN ${TABLES.paymentInvoice} l ON l.invoice_id = i.id
     LEFT JOIN ${TABLES.payments} p ON p.id = l.payment_id
     WHERE i.number LIKE ?
     GROUP BY i.id ORDER BY i.number`,
    [`${prefix}-%`],
  );
  return invoices;
}

/** Until no stored event is left to process (received, processing or failed). */
export function allProcessed(cluster: Cluster, timeoutMs: number, what: string): Promise<number> {
  return waitFor(
    () => SQL.pending(cluster.db),
    (n) => n === 0,
    timeoutMs,
    what,
  );
}

/** The invoices of `prefix` not paid by exactly one payment of their total: [] when every one is. */
export async function notPaidOnce(db: BenchDb, prefix: string) {
  return (await ledger(db, prefix)).filter((r) => r.state !== 'paid' || r.payments !== 1 || r.paid_sum !== r.total);
}

/**
 * Waits until every invoice's confirmation email went out, at least once and never three times.
 * Says how long that took, how many went twice (a kill between SMTP hand-off and bookkeeping)
 * and how many the worker sent from the outbox (NOTICE_RETRY_AFTER_MS) rather than settlement.
 */
export async function confirmationEmails(
  cluster: Cluster,
  invoices: SeededInvoice[],
): Promise<{ seconds: number; twice: number; fromOutbox: number }> {
  const started = Date.now();
  const sent = (inv: SeededInvoice) => cluster.smtp.recipients.get(inv.email) ?? 0;
  await waitFor(
    async () => invoices.filter((inv) => !sent(inv)).length,
    (n) => n === 0,
    60_000,
    'every confirmation email',
  );
  const seconds = (Date.now() - started) / 1000;
  // A later copy can only come from an event not yet settled or an outbox row still due (its
  // sender killed between SMTP hand-off and bookkeeping; a row is marked sent only after the hand-off).
  await waitFor(
    async () =>
      (await SQL.pending(cluster.db)) + (await cluster.db.count('invoice_payments_notices', "status = 'due'")),
    (n) => n === 0,
    60_000,
    'no event left to settle and no email still due, before counting copies',
  );
  expect(invoices.filter((inv) => sent(inv) > 2)).toEqual([]);
  const [{ n: fromOutbox }] = await cluster.db.query<{ n: number }>(
    `SELECT COUNT(*)::int AS n FROM invoice_payments_notices WHERE status = 'sent' AND sent_at - created_at > interval '8 seconds'`,
  );
  return { seconds, twice: invoices.filter((inv) => sent(inv) > 1).length, fromOutbox };
}
