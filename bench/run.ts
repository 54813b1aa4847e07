/**
 * `npm run bench`: the plugin's numbers, side by side with a floor, on SQLite and PostgreSQL.
 *
 *   node scripts/run-bench.js [--db=sqlite,postgres] [--events=1000000] [--invoices=100000]
 *                             [--rate=N] [--quick] [--no-docs]
 *
 * Per database: a fresh database, the Stripe stand-in and Strapi (the test app, `strapi start`)
 * each in their own process, autocannon in this one. A calibration phase first measures the
 * floor's max throughput on the empty small site; the fixed-rate rounds then offer half of it
 * (RATE_FRACTION; `--rate=N` overrides), so the targets are ratios that hold on any machine.
 * Then two sites side by side: a small history (1,000 stored events) and the full history
 * (default 1,000,000 events and 100,000 invoices, bulk-seeded), each round drained before the
 * next. Results: bench/results/latest.json (+ a dated copy),
 * a table on stdout, and the results section and charts of docs/performance.md.
 */
import { version as autocannonVersion } from 'autocannon/package.json';
import { execSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '../tests/support/database';
import {
  appSecrets,
  registerAdmin,
  saveSettings,
  startStandinProcess,
  startStrapiProcess,
  type StandinProcess,
  type StrapiProcess,
} from '../tests/support/processes';
import { startSmtpSink as startSmtp } from './lib/smtp-sink';
import {
  openDb,
  pendingEvents,
  unsentEmails,
  seedEvents,
  seedHistoryInvoices,
  seedOpenInvoices,
  TABLES,
  type BenchDb,
  type Client,
  type SeededInvoice,
} from './lib/db';
import { eventTemplate, signedDelivery, standinClient, PaidEventFeed, type StripeEvent } from './lib/fixtures';
import { runLoad } from './lib/load';
import type { DbResult, Scenario } from './lib/types';
import { renderReport } from './lib/report';
import { callsBetween, paymentCeiling, serverCalls } from './lib/stripe-calls';

const ROOT = path.resolve(__dirname, '..');
const BENCH_KEYS = {
  publishableKey: 'pk_test_51BenchPublishable00000000000',
  secretKey: 'sk_test' + '_51BenchSecretKey000000000000000',
  webhookSecret: 'whsec' + '_benchSigningSecret0000000000000000',
};
/**
 * The bench's own key for the stand-in (paying invoices, as the customer's side would): the
 * stand-in counts requests per key, so the server's Stripe calls are told apart from the bench's.
 * The stand-in shares objects across keys, as one Stripe account does across its keys.
 */
const DRIVER_KEY = 'sk_test' + '_51BenchDriverKey00000000000000Drvr';
/** Issue 14: the fixed-rate rounds offer this fraction of the floor's max throughput. */
const RATE_FRACTION = 0.5;

interface Args {
  dbs: Client[];
  events: number;
  invoices: number;
  /** `--rate=N`; null: RATE_FRACTION × the calibration phase's floor max. */
  rate: number | null;
  quick: boolean;
  docs: boolean;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const quick = argv.includes('--quick');
  const dbs = (get('db') ?? 'sqlite,postgres').split(',').map((s) => s.trim()) as Client[];
  for (const d of dbs)
    if (d !== 'sqlite' && d !== 'postgres') throw new Error(`--db takes sqlite and/or postgres, not ${d}`);
  const rate = get('rate');
  if (rate !== undefined && !(Number.isInteger(Number(rate)) && Number(rate) > 0))
    throw new Error(`--rate takes a whole number of requests per second, not ${rate}`);
  return {
    dbs,
    events: Number(get('events') ?? (quick ? 20_000 : 1_000_000)),
    invoices: Number(get('invoices') ?? (quick ? 5_000 : 100_000)),
    rate: get('rate') === undefined ? null : Number(get('rate')),
    quick,
    docs: !argv.includes('--no-docs'),
  };
}

const log = (msg: string) => process.stdout.write(`[bench] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const secs = (ms: number) => Math.round(ms / 100) / 10;
/** Emails to the clients of the invoices the webhook scenarios pay (seedOpenInvoices 'WHA'/'WHB'). */
const scenarioEmails = (recipients: Map<string, number>) =>
  [...recipients].filter(([to]) => /^wh[ab]-\d+@example\.test$/.test(to)).reduce((n, [, count]) => n + count, 0);

/**
 * Polls `count` until it is 0; returns when that happened, what it was first and what was left. A
 * backlog at a slow rate can take many minutes, so it gives up only once the count stopped falling
 * for `stallMs` (or after `maxMs` in all).
 */
async function untilNone(
  count: () => Promise<number>,
  stallMs = 120_000,
  maxMs = 3_600_000,
): Promise<{ at: number; first: number; left: number }> {
  const started = Date.now();
  const first = await count();
  let lowest = first;
  let progressAt = started;
  for (let left = first; ; left = await count()) {
    if (left === 0) return { at: Date.now(), first, left };
    if (left < lowest) {
      lowest = left;
      progressAt = Date.now();
    }
    if (Date.now() - progressAt > stallMs || Date.now() - started > maxMs) return { at: Date.now(), first, left };
    await sleep(50);
  }
}

/** Waits until every stored event reached a final state (untilNone); `pending` is what was left. */
async function drain(db: BenchDb): Promise<{ at: number; pending: number }> {
  const { at, left } = await untilNone(() => pendingEvents(db));
  return { at, pending: left };
}

/**
 * Waits until no earlier email is left to send on any of the sites (one outbox each), so a run does
 * not share the machine with the previous run's email backlog. Returns what was unsent at the start
 * and how long it took.
 */
async function drainEmails(dbs: BenchDb[]): Promise<{ unsent: number; seconds: number }> {
  const started = Date.now();
  const { at, first } = await untilNone(async () =>
    (await Promise.all(dbs.map(unsentEmails))).reduce((a, b) => a + b, 0),
  );
  return { unsent: first, seconds: secs(at - started) };
}

function webhookFeed(events: StripeEvent[]) {
  let i = 0;
  return () => {
    const e = events[i % events.length]!;
    i += 1;
    const { body, signature } = signedDelivery(e, BENCH_KEYS.webhookSecret);
    return { body, headers: { 'stripe-signature': signature } };
  };
}

function floorFeed(sample: StripeEvent, tag: string) {
  const template = JSON.stringify(sample, null, 2).split(sample.id).join('__ID__');
  let i = 0;
  return () => {
    i += 1;
    return { body: template.split('__ID__').join(`evt_floor_${tag}_${i}`) };
  };
}

function intentFeed(invoices: SeededInvoice[]) {
  let i = 0;
  return () => {
    const inv = invoices[i % invoices.length]!;
    i += 1;
    return {
      path: `/api/invoice-payments/invoices/${inv.documentId}/payment-intent`,
      body: JSON.stringify({ token: inv.token }),
    };
  };
}

async function counts(db: BenchDb): Promise<Record<string, number>> {
  return {
    webhookEvents: await db.count(TABLES.events),
    invoices: await db.count(TABLES.invoices),
    payments: await db.count(TABLES.payments),
    auditEntries: await db.count(TABLES.audit),
  };
}

/** The run whose p99 is the median of the rounds, with the median p50 as well. */
function median(runs: Scenario[], name: string): Scenario {
  const mid = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  const byP99 = [...runs].sort((x, y) => x.latencyMs.p99 - y.latencyMs.p99)[Math.floor(runs.length / 2)]!;
  return {
    ...byP99,
    name,
    latencyMs: { ...byP99.latencyMs, p50: mid(runs.map((r) => r.latencyMs.p50)), p99: byP99.latencyMs.p99 },
  };
}

interface Site {
  name: 'small' | 'large';
  database: TestDatabase;
  db: BenchDb;
  app: StrapiProcess | null;
}

async function benchDatabase(client: Client, args: Args): Promise<DbResult> {
  process.env.DATABASE_CLIENT = client;
  const standin: StandinProcess = await startStandinProcess({ heapMb: 12_288 });
  const smtp = await startSmtp();
  const secrets = appSecrets();
  const logDir = path.join(ROOT, 'bench', 'results', 'logs');
  mkdirSync(logDir, { recursive: true });
  const stripeCalls: NonNullable<DbResult['stripeCalls']> = {};
  const result: DbResult = {
    client,
    version: '',
    seeding: {},
    counts: { small: {}, large: {} },
    scenarios: {},
    rounds: { small: [], large: [], floor: [] },
    stripeCalls,
    checks: {},
    loadAverage: [],
  };
  const stripe = standinClient(standin.url, DRIVER_KEY);
  const calls = () => serverCalls(standin.url, BENCH_KEYS.secretKey);
  const q = args.quick;
  const sizes = {
    warm: q ? 300 : 1000,
    webhookMax: q ? 1000 : 3000,
    // Issue 14: each fixed-rate round is sustained for 60 s.
    rateSeconds: q ? 10 : 60,
    rounds: q ? 1 : 3,
    piMax: q ? 400 : 2000,
    piRate: 50,
    piRateS: q ? 5 : 10,
  };
  const sites: Site[] = [];
  const start = (site: Site) => {
    const logFile = path.join(logDir, `${client}-${site.name}.log`);
    writeFileSync(logFile, '');
    return startStrapiProcess({
      name: `bench-${client}-${site.name}`,
      env: {
        ...site.database.env,
        STRIPE_API_BASE: standin.url,
        INVOICE_PAYMENTS_ALLOW_STRIPE_STANDIN: 'true',
        SMTP_PORT: String(smtp.port),
        SMTP_POOL: process.env.SMTP_POOL ?? 'true',
        BENCH_FLOOR: 'true',
        STRAPI_LOG_LEVEL: 'warn',
      },
      secrets,
      logFile,
      // BENCH_PROF=<dir>: a V8 CPU profile of each site's app, written there when it stops.
      nodeArgs: process.env.BENCH_PROF
        ? [
            '--cpu-prof',
            `--cpu-prof-dir=${process.env.BENCH_PROF}`,
            `--cpu-prof-name=${client}-${site.name}.cpuprofile`,
          ]
        : [],
    });
  };
  const floor = (
    url: string,
    name: string,
    tag: string,
    sample: StripeEvent,
    extra: Partial<Parameters<typeof runLoad>[0]>,
  ) => runLoad({ name, url, path: '/api/bench-rows', next: floorFeed(sample, tag), connections: 32, ...extra });
  /** Set by the small site's calibration phase (or --rate). */
  const calibration: { floorMax?: Scenario } = {};
  const site = async (name: 'small' | 'large', calibrate?: { sample: StripeEvent }): Promise<Site> => {
    const database = await createTestDatabase();
    const s: Site = { name, database, db: null as unknown as BenchDb, app: null };
    sites.push(s);
    // Schema, first admin and Stripe keys, through the app itself; then stopped for seeding.
    const t = Date.now();
    s.app = await start(s);
    log(`${client}/${name}: Strapi up in ${secs(Date.now() - t)} s`);
    await saveSettings(s.app.url, await registerAdmin(s.app.url), { ...BENCH_KEYS });
    if (calibrate) {
      // Calibration: the floor at max, after the same floor warm-up as the main run, so the
      // rounds' rate is known before their events are seeded.
      log(`${client}: calibration, floor at max`);
      await floor(s.app.url, 'warm', 'calW', calibrate.sample, { connections: 8, amount: sizes.warm });
      await sleep(1000);
      calibration.floorMax = await floor(s.app.url, 'floor max (calibration)', 'cal', calibrate.sample, {
        connections: 16,
        durationS: q ? 5 : 10,
      });
    }
    await s.app.stop();
    s.app = null;
    s.db = await openDb(database.env);
    return s;
  };
  const webhook = (url: string, name: string, events: StripeEvent[], extra: Partial<Parameters<typeof runLoad>[0]>) =>
    runLoad({
      name,
      url,
      path: '/api/invoice-payments/webhooks/stripe',
      next: webhookFeed(events),
      connections: 32,
      amount: events.length,
      ...extra,
    });

  try {
    // ---------- two databases side by side: a small and a full history ----------
    // The floor's body is a payment_intent.succeeded event; calibration runs before any invoice is
    // seeded, so it pays one invoice that exists only at the stand-in for a sample of the same shape.
    const calibrationInvoice: SeededInvoice = {
      documentId: 'calibrationsample00000000',
      token: 'none',
      number: 'CAL-000001',
      total: 12_345,
      email: 'calibration@example.test',
    };
    const feed = new PaidEventFeed(stripe, standin.url);
    const [calibrationSample] = await feed.pay([calibrationInvoice]);
    const small = await site('small', args.rate === null ? { sample: calibrationSample! } : undefined);
    const calibrationFloorMax = calibration.floorMax;
    if (args.rate === null && !calibrationFloorMax?.ok) throw new Error('the calibration floor run answered nothing');
    // Invoices are seeded for the calibration's rate plus a margin; the rounds run at RATE_FRACTION
    // × this run's own floor max (measured below, on the same app as the rounds), within that.
    const seedRate = args.rate ?? Math.max(1, Math.round(RATE_FRACTION * calibrationFloorMax!.rps * 1.5));
    let rate = args.rate ?? Math.max(1, Math.round(RATE_FRACTION * calibrationFloorMax!.rps));
    result.rate = {
      offered: rate,
      source: args.rate === null ? 'calibration' : 'argument',
      fraction: RATE_FRACTION,
      ...(calibrationFloorMax ? { calibrationFloorMax: calibrationFloorMax.rps } : {}),
    };
    if (calibrationFloorMax) result.scenarios.floorMaxCalibration = calibrationFloorMax;
    log(
      `${client}: fixed-rate rounds at ${rate}/s${calibrationFloorMax ? ` (${RATE_FRACTION} × calibration floor max ${calibrationFloorMax.rps} req/s)` : ' (--rate)'}`,
    );
    const seededRateEvents = seedRate * sizes.rateSeconds;
    let rateEvents = rate * sizes.rateSeconds;
    const large = await site('large');
    const paidByWebhook = async () =>
      (await small.db.count(TABLES.invoices, "number LIKE 'WHA-%' AND state = 'paid'")) +
      (await large.db.count(TABLES.invoices, "number LIKE 'WHB-%' AND state = 'paid'"));
    result.version =
      client === 'postgres'
        ? String((await small.db.query<{ v: string }>('SELECT version() AS v'))[0]!.v).split(' on ')[0]!
        : `SQLite ${String((await small.db.query<{ v: string }>('SELECT sqlite_version() AS v'))[0]!.v)}`;

    let t = Date.now();
    const openSmall = await seedOpenInvoices(
      small.db,
      sizes.warm + sizes.webhookMax + sizes.rounds * seededRateEvents + 100,
      'WHA',
    );
    const piInvoices = await seedOpenInvoices(
      small.db,
      sizes.warm + sizes.piMax + sizes.piRate * sizes.piRateS + 100,
      'PIA',
    );
    const openLarge = await seedOpenInvoices(large.db, sizes.warm + sizes.rounds * seededRateEvents + 100, 'WHB');
    // Invoices are paid at the stand-in as their events are used (PaidEventFeed): the warm-up's now.
    t = Date.now();
    const warmSmall = await feed.pay(openSmall.slice(0, sizes.warm));
    const warmLarge = await feed.pay(openLarge.slice(0, sizes.warm));
    log(`${client}: ${2 * sizes.warm} invoices paid at the stand-in for the warm-up in ${secs(Date.now() - t)} s`);
    const template = eventTemplate(warmSmall[0]!);
    const sample = warmSmall[0]!;

    // Small history: 1,000 stored events and 1,000 invoices (half paid).
    const smallEvents = Math.min(1000, args.events);
    t = Date.now();
    await seedHistoryInvoices(small.db, Math.min(1000, args.invoices), 'HIST');
    await seedEvents(small.db, smallEvents, 'hist', template);
    result.seeding.smallHistory = { rows: smallEvents + Math.min(1000, args.invoices), seconds: secs(Date.now() - t) };
    await small.db.analyze();

    // Full history, bulk-inserted at database speed.
    const historyInvoices = Math.max(0, args.invoices - openLarge.length);
    log(
      `${client}: seeding ${args.events.toLocaleString('en')} events and ${historyInvoices.toLocaleString('en')} invoices`,
    );
    t = Date.now();
    let lastReport = Date.now();
    await seedEvents(large.db, args.events, 'hist', template, (done) => {
      if (Date.now() - lastReport > 15_000) {
        lastReport = Date.now();
        log(`${client}:   ${done.toLocaleString('en')} events (${secs(Date.now() - t)} s)`);
      }
    });
    result.seeding.events = { rows: args.events, seconds: secs(Date.now() - t) };
    t = Date.now();
    await seedHistoryInvoices(large.db, historyInvoices, 'HISTB');
    result.seeding.invoices = { rows: historyInvoices, seconds: secs(Date.now() - t) };
    t = Date.now();
    await large.db.analyze();
    result.seeding.analyze = { rows: 0, seconds: secs(Date.now() - t) };
    log(
      `${client}: seeded in ${secs((result.seeding.events.seconds + result.seeding.invoices.seconds) * 1000)} s (+ ANALYZE ${result.seeding.analyze.seconds} s)`,
    );
    result.counts.small = await counts(small.db);
    result.counts.large = await counts(large.db);
    /**
     * The writes seeding left in memory (PostgreSQL's dirty shared buffers, the OS's dirty pages)
     * go to disk before anything is measured, so that no round pays for seeding's writes (a
     * checkpoint or the kernel's writeback in the middle of a round stalls every commit's flush).
     */
    const flushWrites = async () => {
      const t0 = Date.now();
      try {
        // A CHECKPOINT is server-wide (both sites' databases); it needs a superuser or
        // pg_checkpoint, so a bench user without it measures without it rather than stopping.
        await large.db.checkpoint();
        execSync('sync');
      } catch (error) {
        log(`${client}: seeded data not flushed to disk (${error instanceof Error ? error.message : String(error)})`);
      }
      return secs(Date.now() - t0);
    };
    result.seeding.flush = { rows: 0, seconds: await flushWrites() };
    log(`${client}: seeded data written to disk in ${result.seeding.flush.seconds} s`);

    small.app = await start(small);
    large.app = await start(large);
    const S = small.app.url;
    const L = large.app.url;
    // Registered now; logged in again before the admin scenarios (a Strapi admin session's access
    // token expires in 30 minutes, less than a full run on PostgreSQL: its admin requests got 401).
    let adminLarge = await registerAdmin(L);

    log(`${client}: warm-up`);
    let si = sizes.warm;
    let li = sizes.warm;
    /** The next n open invoices of a site, paid at the stand-in now (outside any measured window). */
    const take = async (open: readonly SeededInvoice[], from: number, n: number) => {
      const t0 = Date.now();
      const events = await feed.pay(open.slice(from, from + n));
      if (events.length < n) throw new Error(`only ${events.length} open invoices left for ${n} events`);
      if (n >= 10_000) log(`${client}:   ${n} invoices paid at the stand-in in ${secs(Date.now() - t0)} s`);
      return events;
    };
    const takeSmall = (n: number) => take(openSmall, (si += n) - n, n);
    const takeLarge = (n: number) => take(openLarge, (li += n) - n, n);
    await floor(S, 'warm', 'warmS', sample, { connections: 8, amount: sizes.warm });
    await floor(L, 'warm', 'warmL', sample, { connections: 8, amount: sizes.warm });
    // Both sites get the same warm-up (JIT, connection pools, caches) before they are compared.
    await webhook(S, 'warm', warmSmall, { connections: 16 });
    await webhook(L, 'warm', warmLarge, { connections: 16 });
    await drain(small.db);
    await drain(large.db);
    await runLoad({
      name: 'warm',
      url: S,
      path: '/',
      next: intentFeed(piInvoices.slice(0, sizes.warm)),
      connections: 4,
      amount: sizes.warm,
    });
    await sleep(1000);

    log(`${client}: floor, max throughput`);
    result.scenarios.floorMax = await floor(S, 'floor max', 'max', sample, { connections: 16, durationS: q ? 5 : 10 });
    result.rate.mainFloorMax = result.scenarios.floorMax.rps;
    if (args.rate === null && result.scenarios.floorMax.ok) {
      // The floor max of this run, on the app the rounds use (the calibration ran on a fresh one).
      rate = Math.max(1, Math.min(seedRate, Math.round(RATE_FRACTION * result.scenarios.floorMax.rps)));
      rateEvents = rate * sizes.rateSeconds;
      result.rate.offered = rate;
      result.rate.source = 'floor max';
      log(`${client}: fixed-rate rounds at ${rate}/s (${RATE_FRACTION} × this run's floor max)`);
    }
    await sleep(1000);

    // Growth: the same fixed-rate run on the small and the full history, alternating, so both
    // see the same machine; the table shows the medians.
    // Stripe calls by the server while settling the rounds' events (read after each drain).
    const roundsCallsBefore = await calls();
    const roundsPaidBefore = await paidByWebhook();
    // Rounds are isolated: each starts with no backlog (the previous round's events were drained;
    // what is still pending at the start is recorded), and the drain after each webhook run is timed
    // from its last response to the last event settled.
    const webhookRound = async (s: Site, name: string, events: StripeEvent[]): Promise<Scenario> => {
      const pendingAtStart = (await drain(s.db)).pending;
      // Nor with either site's emails still going out (the other site's run just ended).
      const emails = await drainEmails([small.db, large.db]);
      // Each run starts without the disk's backlog (the previous run's drain), as the floor does.
      await flushWrites();
      await sleep(1000);
      const w = await webhook(s.app!.url, name, events, { overallRate: rate });
      const pendingAtStop = await pendingEvents(s.db);
      const drained = await drain(s.db);
      return {
        ...w,
        pendingAtStart,
        emailsUnsentAtStart: emails.unsent,
        emailsWaitSeconds: emails.seconds,
        pendingAtStop,
        drainSeconds: Math.max(0, Math.round((drained.at - w.lastResponseAt) / 100) / 10),
        pendingAfter: drained.pending,
      };
    };
    const ratio = (w: Scenario, f: Scenario) => Math.round((w.latencyMs.p99 / f.latencyMs.p99) * 100) / 100;
    for (let round = 1; round <= sizes.rounds; round += 1) {
      log(
        `${client}: round ${round}/${sizes.rounds} at ${rate}/s for ${sizes.rateSeconds} s: floor, small, full history`,
      );
      result.loadAverage.push(Math.round(os.loadavg()[0]! * 100) / 100);
      await drain(small.db);
      await drain(large.db);
      // The floor too starts with no email of the previous round left to send.
      await drainEmails([small.db, large.db]);
      await flushWrites();
      const f = await floor(S, `floor ${rate}/s`, `rate${round}`, sample, { overallRate: rate, amount: rateEvents });
      result.rounds.floor.push(f);
      await sleep(1000);
      // Odd rounds start with the small history, even rounds with the full one.
      const runs = [
        async () => {
          const ws = await webhookRound(small, `webhook ${rate}/s (1,000 events)`, await takeSmall(rateEvents));
          result.rounds.small.push({ ...ws, p99VsFloor: ratio(ws, f) });
          log(
            `${client}:   small: p99 ${ws.latencyMs.p99} ms (${ratio(ws, f)}× floor), ${ws.pendingAtStop} pending at stop, drained in ${ws.drainSeconds} s`,
          );
        },
        async () => {
          const wl = await webhookRound(large, `webhook ${rate}/s (full history)`, await takeLarge(rateEvents));
          result.rounds.large.push({ ...wl, p99VsFloor: ratio(wl, f) });
          log(
            `${client}:   full: p99 ${wl.latencyMs.p99} ms (${ratio(wl, f)}× floor), ${wl.pendingAtStop} pending at stop, drained in ${wl.drainSeconds} s`,
          );
        },
      ];
      for (const run of round % 2 === 1 ? runs : [...runs].reverse()) {
        await run();
        await sleep(2000);
      }
    }
    const smallRatios = result.rounds.small.map((r) => r.p99VsFloor!);
    const largeRatios = result.rounds.large.map((r) => r.p99VsFloor!);
    result.p99VsFloor = { small: smallRatios, large: largeRatios, worst: Math.max(...smallRatios, ...largeRatios) };
    stripeCalls.settleAtRate = callsBetween(
      roundsCallsBefore,
      await calls(),
      (await paidByWebhook()) - roundsPaidBefore,
      'paid invoice',
    );
    result.scenarios.floorRate = median(result.rounds.floor, `floor ${rate}/s`);
    result.scenarios.webhookRateSmall = median(result.rounds.small, `webhook ${rate}/s, small history`);
    result.scenarios.webhookRateLarge = median(result.rounds.large, `webhook ${rate}/s, full history`);

    log(`${client}: webhook, max throughput (${sizes.webhookMax} distinct events)`);
    const maxEvents = await takeSmall(sizes.webhookMax);
    const mailsBefore = smtp.count();
    const settleCallsBefore = await calls();
    const settlePaidBefore = await paidByWebhook();
    const maxPendingAtStart = (await drain(small.db)).pending;
    // And with no email of the rounds still going out (a full run's rounds send tens of thousands).
    const maxEmails = await drainEmails([small.db, large.db]);
    const started = Date.now();
    const wmax = await webhook(S, 'webhook max', maxEvents, { connections: 16 });
    const maxPendingAtStop = await pendingEvents(small.db);
    const drained = await drain(small.db);
    // Settlement is over once the events are drained, so every call it made is counted.
    stripeCalls.settleMax = callsBetween(
      settleCallsBefore,
      await calls(),
      (await paidByWebhook()) - settlePaidBefore,
      'paid invoice',
    );
    const wmaxResult: Scenario = {
      ...wmax,
      settleSeconds: secs(drained.at - started),
      settledPerS: Math.round((wmax.ok / ((drained.at - started) / 1000)) * 10) / 10,
      pendingAfter: drained.pending,
      pendingAtStart: maxPendingAtStart,
      emailsUnsentAtStart: maxEmails.unsent,
      emailsWaitSeconds: maxEmails.seconds,
      pendingAtStop: maxPendingAtStop,
      drainSeconds: Math.max(0, Math.round((drained.at - wmax.lastResponseAt) / 100) / 10),
      emails: smtp.count() - mailsBefore,
    };
    result.scenarios.webhookMax = wmaxResult;
    await sleep(1000);

    log(`${client}: payment intent, max throughput and at ${sizes.piRate}/s`);
    const piMaxInv = piInvoices.slice(sizes.warm, sizes.warm + sizes.piMax);
    let before = await calls();
    result.scenarios.intentMax = await runLoad({
      name: 'payment-intent max',
      url: S,
      path: '/',
      next: intentFeed(piMaxInv),
      connections: 8,
      amount: piMaxInv.length,
    });
    // Each request is a different open invoice: one payment intent per invoice that will be paid.
    stripeCalls.intentMax = callsBetween(
      before,
      await calls(),
      result.scenarios.intentMax.ok,
      'payment-intent request',
    );
    await sleep(1000);
    const piRateInv = piInvoices.slice(sizes.warm + sizes.piMax);
    before = await calls();
    result.scenarios.intentRate = await runLoad({
      name: `payment-intent ${sizes.piRate}/s`,
      url: S,
      path: '/',
      next: intentFeed(piRateInv),
      connections: 16,
      overallRate: sizes.piRate,
      amount: sizes.piRate * sizes.piRateS,
    });
    stripeCalls.intentRate = callsBetween(
      before,
      await calls(),
      result.scenarios.intentRate.ok,
      'payment-intent request',
    );
    stripeCalls.ceiling = paymentCeiling(stripeCalls.intentMax, stripeCalls.settleMax);
    await sleep(1000);

    const totalInvoices = await large.db.count(TABLES.invoices);
    const deepPage = Math.max(1, Math.floor(totalInvoices / 25 / 2));
    log(`${client}: admin invoice list (${totalInvoices.toLocaleString('en')} invoices)`);
    adminLarge = await registerAdmin(L);
    const list = (query: string) => `/invoice-payments/invoices?${query}`;
    const admin = (name: string, query: string, extra: Partial<Parameters<typeof runLoad>[0]>) =>
      runLoad({ name, url: L, method: 'GET', path: list(query), headers: adminLarge, connections: 8, ...extra });
    // An admin list is paged by people, not by load generators: the target applies at 10 pages/s;
    // 50/s and the maximum show the headroom. The floor for admin routes is Strapi's own
    // GET /admin/users/me (the same admin authentication and permission checks, one query).
    const listRuns = q ? 100 : 300;
    await admin('warm', 'page=1&pageSize=25', { connections: 4, amount: 200 });
    result.scenarios.adminFloorRate = await runLoad({
      name: 'GET /admin/users/me 10/s',
      url: L,
      method: 'GET',
      path: '/admin/users/me',
      headers: adminLarge,
      connections: 4,
      overallRate: 10,
      amount: listRuns,
    });
    result.scenarios.adminListRate = await admin('admin list p1 10/s', 'page=1&pageSize=25', {
      connections: 4,
      overallRate: 10,
      amount: listRuns,
    });
    result.scenarios.adminListDeep = await admin(`admin list p${deepPage} 10/s`, `page=${deepPage}&pageSize=25`, {
      connections: 4,
      overallRate: 10,
      amount: listRuns,
    });
    result.scenarios.adminListSearch = await admin('admin list search 10/s', 'q=HISTB-00042&pageSize=25', {
      connections: 4,
      overallRate: 10,
      amount: listRuns,
    });
    result.scenarios.adminListStatus = await admin('admin list state=paid 10/s', 'state=paid&page=3&pageSize=25', {
      connections: 4,
      overallRate: 10,
      amount: listRuns,
    });
    result.scenarios.adminList50 = await admin('admin list p1 50/s', 'page=1&pageSize=25', {
      overallRate: 50,
      amount: listRuns,
    });
    result.scenarios.adminFloorMax = await runLoad({
      name: 'GET /admin/users/me max',
      url: L,
      method: 'GET',
      path: '/admin/users/me',
      headers: adminLarge,
      connections: 8,
      durationS: q ? 5 : 10,
    });
    result.scenarios.adminListMax = await admin('admin list p1 max', 'page=1&pageSize=25', { durationS: q ? 5 : 10 });

    // What was measured also has to be right: every stored event settled once, one email each.
    // Seeded history ids are evt_hist_<n>; Stripe's (the stand-in's) are evt_<24 base62>, no
    // underscore. (Not LIKE: SQLite's is case-insensitive, and evt_HiSt… happens.)
    const scenarioEvents = "substr(provider_event_id, 1, 9) <> 'evt_hist_'";
    const both = async (f: (db: BenchDb) => Promise<number>) => (await f(small.db)) + (await f(large.db));
    result.checks = {
      storedEvents: await both((db) => db.count(TABLES.events, scenarioEvents)),
      processedEvents: await both((db) => db.count(TABLES.events, `${scenarioEvents} AND status = 'processed'`)),
      invoicesPaidByWebhook: await both((db) =>
        db.count(TABLES.invoices, "(number LIKE 'WHA-%' OR number LIKE 'WHB-%') AND state = 'paid'"),
      ),
      pendingEvents: await both((db) => pendingEvents(db)),
      failedOrDeadLettered: await both((db) =>
        db.count(TABLES.events, `${scenarioEvents} AND status IN ('failed', 'dead_lettered')`),
      ),
      // To the scenario invoices' clients only (wha-N@, whb-N@): the seeded history's open invoices
      // fall due during a full run, and the reminders they get (to clientN@) are not confirmations.
      confirmationEmails: scenarioEmails(smtp.recipients),
      otherEmails: smtp.count() - scenarioEmails(smtp.recipients),
      // Rounds that started with a backlog or whose backlog did not drain (the run is then wrong).
      roundsNotDrained: [...result.rounds.small, ...result.rounds.large, wmaxResult].filter(
        (r) => (r.pendingAtStart ?? 0) !== 0 || (r.pendingAfter ?? 0) !== 0,
      ).length,
      '5xx': [
        ...Object.values(result.scenarios),
        ...result.rounds.small,
        ...result.rounds.large,
        ...result.rounds.floor,
      ].reduce((n, r) => n + r.status5xx, 0),
    };
    return result;
  } finally {
    for (const s of sites) {
      if (s.app) await s.app.stop().catch(() => undefined);
      await s.db?.close().catch(() => undefined);
      await s.database.drop().catch(() => undefined);
    }
    await standin.stop();
    await smtp.close();
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const startedAt = new Date();
  const results: Record<string, DbResult> = {};
  for (const client of args.dbs) {
    const t = Date.now();
    log(`=== ${client} ===`);
    results[client] = await benchDatabase(client, args);
    log(`${client}: done in ${secs(Date.now() - t)} s`);
  }
  let commit = 'unknown';
  try {
    commit = execSync('git rev-parse --short HEAD', { cwd: ROOT }).toString().trim();
  } catch {
    // not a git checkout
  }
  const output = {
    meta: {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      commit,
      node: process.version,
      cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}`,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      args,
      tool: `autocannon ${autocannonVersion}`,
    },
    results,
  };
  const dir = path.join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const json = `${JSON.stringify(output, null, 2)}\n`;
  // A quick run (a smoke test, CI) never replaces the full run's numbers.
  writeFileSync(path.join(dir, args.quick ? 'latest-quick.json' : 'latest.json'), json);
  writeFileSync(
    path.join(dir, `${startedAt.toISOString().replace(/[:.]/g, '-')}${args.quick ? '-quick' : ''}.json`),
    json,
  );
  const { table } = renderReport(output, { writeDocs: args.docs && !args.quick, root: ROOT });
  process.stdout.write(`\n${table}\n`);
  log(
    `results: bench/results/${args.quick ? 'latest-quick' : 'latest'}.json${args.docs && !args.quick ? ', docs/performance.md, docs/bench-*.svg' : ''}`,
  );

  // Speed is reported, never asserted; correctness is: a run whose events were not all settled
  // exactly once, that saw a 5xx, or a round that did not start empty and drain, fails (so CI's
  // quick run catches a broken pipeline).
  const wrong = Object.entries(results).flatMap(([db, r]) => {
    const c = r.checks;
    const problems: string[] = [];
    if (c['5xx'] !== 0) problems.push(`${c['5xx']} answers were 5xx`);
    if (c.roundsNotDrained !== 0)
      problems.push(`${c.roundsNotDrained} webhook rounds started with a backlog or did not drain`);
    if (c.pendingEvents !== 0 || c.failedOrDeadLettered !== 0)
      problems.push(`${c.pendingEvents} events pending, ${c.failedOrDeadLettered} failed`);
    if (
      c.processedEvents !== c.storedEvents ||
      c.invoicesPaidByWebhook !== c.storedEvents ||
      c.confirmationEmails !== c.storedEvents
    ) {
      problems.push(
        `stored ${c.storedEvents}, processed ${c.processedEvents}, invoices paid ${c.invoicesPaidByWebhook}, emails ${c.confirmationEmails}`,
      );
    }
    return problems.map((p) => `${db}: ${p}`);
  });
  if (wrong.length) {
    process.stderr.write(`[bench] the run was not correct:\n  ${wrong.join('\n  ')}\n`);
    process.exit(1);
  }
}

main().catch((error) => {
  process.stderr.write(`[bench] failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
