/**
 * The CSV exports and the dashboard on a large table: `npx tsx bench/export.ts [--invoices=100000]`
 * (DATABASE_CLIENT=postgres for PostgreSQL; build the plugin first). Runs the test app with
 * `strapi start` in its own process, bulk-seeds the invoices (half paid, with their ledger:
 * bench/lib/db.ts), then downloads both exports over HTTP as an admin would, sampling the Strapi
 * process's resident memory (/proc/<pid>/status) while they stream.
 * Prints JSON and writes bench/results/export-<db>-latest.json; docs/performance.md quotes it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createTestDatabase } from '../tests/support/database';
import { appSecrets, registerAdmin, startStrapiProcess, type StrapiProcess } from '../tests/support/processes';
import { openDb, seedHistoryInvoices } from './lib/db';

/** Resident memory of a process, in bytes (Linux). */
const rssOf = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;

const arg = (name: string, fallback: number) =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const mb = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;

async function download(url: string, auth: Record<string, string>, pid: number) {
  const started = performance.now();
  let firstByte = 0;
  let bytes = 0;
  let lines = 0;
  const baseRss = rssOf(pid);
  let peakRss = baseRss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, rssOf(pid));
  }, 20);
  const res = await fetch(url, { headers: auth });
  if (!res.ok || !res.body) throw new Error(`${url}: ${res.status}`);
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    if (!firstByte) firstByte = performance.now() - started;
    bytes += chunk.byteLength;
    for (const b of chunk) if (b === 10) lines += 1;
  }
  clearInterval(sampler);
  return {
    rows: lines - 1,
    megabytes: mb(bytes),
    firstByteMs: Math.round(firstByte),
    totalMs: Math.round(performance.now() - started),
    serverRssBeforeMb: mb(baseRss),
    serverRssPeakMb: mb(peakRss),
  };
}

async function main() {
  const invoices = arg('invoices', 100_000);
  const database = await createTestDatabase();
  // Schema and the first admin through the app; stopped while the rows are bulk-seeded, then
  // started again with the same secrets and port (the admin token stays valid).
  const secrets = appSecrets();
  const start = (port?: number) =>
    startStrapiProcess({
      name: 'bench-export',
      env: { ...database.env, WORKER_ENABLED: 'false', RECONCILE_ENABLED: 'false' },
      secrets,
      port,
      logFile: null,
    });
  let app: StrapiProcess | null = await start();
  try {
    const auth = await registerAdmin(app.url);
    const port = app.port;
    await app.stop();
    app = null;
    const db = await openDb(database.env);
    const seedStart = performance.now();
    await seedHistoryInvoices(db, invoices, 'EXP');
    await db.analyze();
    const seedMs = Math.round(performance.now() - seedStart);
    await db.close();
    app = await start(port);
    const invoicesCsv = await download(`${app.url}/invoice-payments/exports/invoices.csv`, auth, app.pid);
    const paymentsCsv = await download(`${app.url}/invoice-payments/exports/payments.csv`, auth, app.pid);
    const dashStart = performance.now();
    const dash = await fetch(`${app.url}/invoice-payments/dashboard`, { headers: auth });
    if (!dash.ok) throw new Error(`dashboard: ${dash.status}`);
    await dash.json();
    const result = {
      date: new Date().toISOString(),
      database: database.client,
      node: process.version,
      invoices,
      payments: Math.floor(invoices / 2),
      exportPageSize: 500,
      seedMs,
      invoicesCsv,
      paymentsCsv,
      dashboardMs: Math.round(performance.now() - dashStart),
    };
    console.log(JSON.stringify(result, null, 2));
    writeFileSync(
      path.join(__dirname, 'results', `export-${database.client}-latest.json`),
      `${JSON.stringify(result, null, 2)}\n`,
    );
  } catch (error) {
    console.error(app?.logs.slice(-30).join('\n'));
    throw error;
  } finally {
    await app?.stop();
    await database.drop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
