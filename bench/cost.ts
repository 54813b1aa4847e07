/**
 * `npx tsx bench/cost.ts [--db=sqlite|postgres] [--events=1000]`: what one settled webhook event
 * costs the server, in CPU time, next to what one floor request costs (the same plain insert
 * route as `npm run bench`). CPU time of each process is read from /proc/<pid>/stat before and
 * after each phase, so the figures hold on a machine busy with other work, where throughput and
 * latency do not: a process only accumulates CPU time while it runs. Settlement that is CPU-bound
 * cannot settle faster than (floor CPU per request ÷ CPU per event) × the floor's throughput.
 *
 * Phases: the floor at max (16 connections), then `--events` distinct `payment_intent.succeeded`
 * deliveries at max, waiting until every event is settled and every email sent. `--statements`
 * lists the SQL statements per event; BENCH_PROF=<dir> writes a V8 CPU profile of the app there
 * (node --cpu-prof, on stop).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase } from '../tests/support/database';
import {
  appSecrets,
  registerAdmin,
  saveSettings,
  startStandinProcess,
  startStrapiProcess,
} from '../tests/support/processes';
import { startSmtpSink } from './lib/smtp-sink';
import { openDb, pendingEvents, seedOpenInvoices, type Client } from './lib/db';
import { eventTemplate, paidIntents, signedDelivery, standinClient, succeededEvents } from './lib/fixtures';
import { runLoad } from './lib/load';

const KEYS = {
  publishableKey: 'pk_test_51BenchPublishable00000000000',
  secretKey: 'sk_test' + '_51BenchSecretKey000000000000000',
  webhookSecret: 'whsec' + '_benchSigningSecret0000000000000000',
};
const DRIVER_KEY = 'sk_test' + '_51BenchDriverKey00000000000000Drvr';
const TICKS = 100; // USER_HZ on Linux

/** User + system CPU time of a process so far, in ms (`kind`: only user or only system time). */
function cpuMs(pid: number, kind: 'all' | 'user' | 'system' = 'all'): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const user = Number(fields[11]);
  const system = Number(fields[12]);
  return ((kind === 'user' ? user : kind === 'system' ? system : user + system) * 1000) / TICKS;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const argv = process.argv.slice(2);
  const get = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const client = (get('db') ?? 'sqlite') as Client;
  const n = Number(get('events') ?? 1000);
  process.env.DATABASE_CLIENT = client;
  const standin = await startStandinProcess();
  const smtp = await startSmtpSink();
  const database = await createTestDatabase();
  const secrets = appSecrets();
  const statsFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'cost-')), 'sql.json');
  /** The app's statement counts since the last call (tests/app/src/index.js, SIGUSR2). */
  const sqlSince = async (pid: number) => {
    process.kill(pid, 'SIGUSR2');
    for (let i = 0; i < 100 && !existsSync(statsFile); i += 1) await sleep(20);
    await sleep(50);
    const stats = JSON.parse(readFileSync(statsFile, 'utf8')) as {
      total: number;
      transactions: number;
      commits: number;
      byStatement: Record<string, number>;
    };
    rmSync(statsFile);
    return stats;
  };
  const start = () =>
    startStrapiProcess({
      name: `cost-${client}`,
      env: {
        ...database.env,
        STRIPE_API_BASE: standin.url,
        INVOICE_PAYMENTS_ALLOW_STRIPE_STANDIN: 'true',
        SMTP_PORT: String(smtp.port),
        SMTP_POOL: process.env.SMTP_POOL ?? 'true',
        BENCH_FLOOR: 'true',
        STRAPI_LOG_LEVEL: 'warn',
        SQL_STATS: statsFile,
      },
      secrets,
      nodeArgs: process.env.BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF}`] : [],
    });
  let app = await start();
  try {
    await saveSettings(app.url, await registerAdmin(app.url), { ...KEYS });
    await app.stop();
    const db = await openDb(database.env);
    const warm = 300;
    const invoices = await seedOpenInvoices(db, warm + n, 'WHA');
    await paidIntents(standinClient(standin.url, DRIVER_KEY), invoices);
    const events = await succeededEvents(standin.url, invoices);
    const template = eventTemplate(events[0]!);
    app = await start();
    const url = app.url;
    const floorFeed = (tag: string) => {
      let i = 0;
      return () => ({ body: template.split('__ID__').join(`evt_floor_${tag}_${(i += 1)}`) });
    };
    const hookFeed = (list: typeof events) => {
      let i = 0;
      return () => {
        const { body, signature } = signedDelivery(list[i++ % list.length]!, KEYS.webhookSecret);
        return { body, headers: { 'stripe-signature': signature } };
      };
    };
    /** Waits until every event is settled and every email sent; when each of the two happened (ms since epoch). */
    const settled = async () => {
      let eventsAt = 0;
      for (const t = Date.now(); Date.now() - t < 600_000; await sleep(50)) {
        if (!eventsAt && (await pendingEvents(db)) === 0) eventsAt = Date.now();
        if (eventsAt && smtp.count() >= sent + settledTarget) return { eventsAt, emailsAt: Date.now() };
      }
      throw new Error('events were not settled within 10 minutes');
    };
    let sent = 0;
    let settledTarget = 0;
    // Warm-up: JIT, pools, caches.
    await runLoad({ name: 'warm', url, path: '/api/bench-rows', next: floorFeed('w'), connections: 8, amount: warm });
    settledTarget = warm;
    await runLoad({
      name: 'warm',
      url,
      path: '/api/invoice-payments/webhooks/stripe',
      next: hookFeed(events.slice(0, warm)),
      connections: 16,
      amount: warm,
    });
    await settled();
    sent = smtp.count();
    settledTarget = 0;
    await sleep(1000);

    const phase = async (name: string, run: () => Promise<unknown>) => {
      const a = { app: cpuMs(app.pid), sys: cpuMs(app.pid, 'system'), standin: cpuMs(standin.pid), wall: Date.now() };
      const result = await run();
      return {
        name,
        result,
        wallMs: Date.now() - a.wall,
        appCpuMs: cpuMs(app.pid) - a.app,
        appSystemMs: cpuMs(app.pid, 'system') - a.sys,
        standinCpuMs: cpuMs(standin.pid) - a.standin,
      };
    };
    await sqlSince(app.pid);
    const floor = await phase('floor', () =>
      runLoad({ name: 'floor', url, path: '/api/bench-rows', next: floorFeed('m'), connections: 16, amount: n }),
    );
    const floorSql = await sqlSince(app.pid);
    await sleep(1000);
    settledTarget = n;
    await sqlSince(app.pid);
    const hook = await phase('webhook', async () => {
      const startedAt = Date.now();
      const r = await runLoad({
        name: 'webhook',
        url,
        path: '/api/invoice-payments/webhooks/stripe',
        next: hookFeed(events.slice(warm)),
        connections: 16,
        amount: n,
      });
      const acked = Date.now();
      const { eventsAt, emailsAt } = await settled();
      return { ...r, ackMs: acked - startedAt, drainMs: eventsAt - acked, emailDrainMs: emailsAt - acked };
    });
    const hookSql = await sqlSince(app.pid);
    const hookResult = hook.result as { ackMs: number; drainMs: number; emailDrainMs: number };
    const per = (ms: number) => Math.round((ms / n) * 100) / 100;
    const f = per(floor.appCpuMs);
    const w = per(hook.appCpuMs);
    const out = {
      client,
      events: n,
      loadAverage: os.loadavg()[0],
      floor: {
        statementsPerRequest: per(floorSql.total),
        commitsPerRequest: per(floorSql.commits),
        cpuMsPerRequest: f,
        systemMsPerRequest: per(floor.appSystemMs),
        wallS: floor.wallMs / 1000,
        rps: Math.round(n / (floor.wallMs / 1000)),
      },
      webhook: {
        statementsPerEvent: per(hookSql.total),
        transactionsPerEvent: per(hookSql.transactions),
        commitsPerEvent: per(hookSql.commits),
        cpuMsPerEvent: w,
        systemMsPerEvent: per(hook.appSystemMs),
        standinCpuMsPerEvent: per(hook.standinCpuMs),
        wallS: hook.wallMs / 1000,
        // Events settled (no event pending) and emails sent are timed apart: either may be the last.
        settledPerS: Math.round(n / ((hookResult.drainMs + hookResult.ackMs) / 1000)),
        drainS: hookResult.drainMs / 1000,
        emailsSentPerS: Math.round(n / (hook.wallMs / 1000)),
        emailDrainS: hookResult.emailDrainMs / 1000,
        ack5xx: (hook.result as { status5xx: number }).status5xx,
      },
      cpuRatio: Math.round((f / w) * 100) / 100,
      settledRatio: Math.round((floor.wallMs / (hookResult.ackMs + hookResult.drainMs)) * 100) / 100,
    };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    if (argv.includes('--statements'))
      process.stdout.write(
        `${Object.entries(hookSql.byStatement)
          .map(([sql, count]) => `${(count / n).toFixed(2).padStart(6)}  ${sql}`)
          .join('\n')}\n`,
      );
    await db.close();
  } finally {
    await app.stop();
    await standin.stop();
    await smtp.close();
    await database.drop();
  }
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
