import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describeCalls, STRIPE_LIMITS } from './stripe-calls';
import type { BenchOutput, DbResult, Scenario } from './types';

export type { BenchOutput } from './types';

/**
 * Turns bench results into the table printed at the end of `npm run bench`, the generated block of
 * docs/performance.md (between the bench:results markers) and two hand-drawn SVG charts.
 */
const LABEL: Record<string, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL' };
const n0 = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '–' : Math.round(v).toLocaleString('en'));
const n2 = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(2));
const ms = (v: number | undefined) => (v === undefined ? '–' : v < 10 ? v.toFixed(1) : String(Math.round(v)));
const lat = (s: Scenario | undefined) => (s ? `${ms(s.latencyMs.p50)} / ${ms(s.latencyMs.p99)}` : '–');
const pass = (ok: boolean | undefined) => (ok === undefined ? '' : ok ? ' ✅' : ' ❌');
/** A target check, absent (no mark) when the measure is. */
const okIf = (v: number, test: (v: number) => boolean) => (Number.isFinite(v) ? test(v) : undefined);
/** "small / full" per round, or '–' when the results predate the field. */
const perRound = (r: DbResult, cell: (w: Scenario) => string | undefined) => {
  const small = r.rounds?.small ?? [];
  const cells = small.map((w, i) => {
    const a = cell(w);
    const l = r.rounds.large[i];
    const b = l ? cell(l) : undefined;
    return a === undefined && b === undefined ? undefined : `${a ?? '–'} / ${b ?? '–'}`;
  });
  return cells.some((c) => c !== undefined) ? cells.map((c) => c ?? '–').join(', ') : '–';
};

export interface Derived {
  ackRatio: number;
  settledRatio: number;
  growthP50: number;
  growthP99: number;
  intentRatio: number;
  /** Each round's webhook p99 ÷ that round's floor p99 (small and full history), and the worst. */
  roundRatios: { small: number[]; large: number[]; worst: number };
  /** Server-side Stripe calls per paid invoice: creating the intent plus settling it. */
  callsPerInvoice: number;
}

/** The offered rate of the fixed-rate rounds (older results: the one --rate of the run). */
export const rateOf = (out: BenchOutput, r: DbResult): number | undefined =>
  r.rate?.offered ?? out.meta.args.rate ?? undefined;

/**
 * Per-round p99 ratios: as recorded, or (results from before they were) from the rounds, whose
 * floor and webhook runs share an index.
 */
function roundRatios(r: DbResult): Derived['roundRatios'] {
  const of = (runs: Scenario[]) =>
    runs.map((w, i) => {
      if (w.p99VsFloor !== undefined) return w.p99VsFloor;
      const f = r.rounds.floor[i];
      return f ? w.latencyMs.p99 / f.latencyMs.p99 : NaN;
    });
  const small = of(r.rounds?.small ?? []);
  const large = of(r.rounds?.large ?? []);
  const all = [...small, ...large].filter(Number.isFinite);
  return { small, large, worst: r.p99VsFloor?.worst ?? (all.length ? Math.max(...all) : NaN) };
}

export function derive(r: DbResult): Derived {
  const s = r.scenarios;
  return {
    roundRatios: roundRatios(r),
    callsPerInvoice: r.stripeCalls?.ceiling?.total ?? NaN,
    ackRatio: s.webhookMax && s.floorMax ? s.webhookMax.rps / s.floorMax.rps : NaN,
    settledRatio: s.webhookMax?.settledPerS && s.floorMax ? s.webhookMax.settledPerS / s.floorMax.rps : NaN,
    growthP50:
      s.webhookRateLarge && s.webhookRateSmall
        ? s.webhookRateLarge.latencyMs.p50 / s.webhookRateSmall.latencyMs.p50
        : NaN,
    growthP99:
      s.webhookRateLarge && s.webhookRateSmall
        ? s.webhookRateLarge.latencyMs.p99 / s.webhookRateSmall.latencyMs.p99
        : NaN,
    intentRatio: s.intentMax && s.floorMax ? s.intentMax.rps / s.floorMax.rps : NaN,
  };
}

export function markdownTable(out: BenchOutput): string {
  const dbs = Object.keys(out.results);
  const row = (label: string, cell: (r: DbResult, d: Derived) => string, target = '') =>
    `| ${label} | ${dbs.map((k) => cell(out.results[k]!, derive(out.results[k]!))).join(' | ')} | ${target} |`;
  const events = out.meta.args.events.toLocaleString('en');
  const invoices = out.meta.args.invoices.toLocaleString('en');
  const lines = [
    `| Measure | ${dbs.map((k) => LABEL[k] ?? k).join(' | ')} | Target |`,
    `|---|${dbs.map(() => '---:').join('|')}|---|`,
    row('Floor (one insert): max throughput, req/s', (r) => n0(r.scenarios.floorMax?.rps)),
    row('Webhook: max throughput, acknowledged events/s', (r) => n0(r.scenarios.webhookMax?.rps)),
    row('Webhook: max throughput, settled events/s (end to end)', (r) => n0(r.scenarios.webhookMax?.settledPerS)),
    row(
      'Webhook ÷ floor (acknowledged)',
      (_r, d) => `${n2(d.ackRatio)}${pass(okIf(d.ackRatio, (v) => v >= 0.5))}`,
      '≥ 0.5',
    ),
    row(
      'Webhook ÷ floor (settled end to end)',
      (_r, d) => `${n2(d.settledRatio)}${pass(okIf(d.settledRatio, (v) => v >= 0.5))}`,
      '≥ 0.5',
    ),
    row('Webhook max: backlog when the load stopped, events / drained in, s', (r) =>
      r.scenarios.webhookMax?.pendingAtStop === undefined
        ? '–'
        : `${n0(r.scenarios.webhookMax.pendingAtStop)} / ${r.scenarios.webhookMax.drainSeconds ?? '–'}`,
    ),
    row('Webhook max: earlier emails unsent when it was ready / waited for, s', (r) =>
      r.scenarios.webhookMax?.emailsUnsentAtStart === undefined
        ? '–'
        : `${n0(r.scenarios.webhookMax.emailsUnsentAtStart)} / ${r.scenarios.webhookMax.emailsWaitSeconds}`,
    ),
    row('Fixed-rate rounds: offered rate, req/s', (r) => {
      const rate = rateOf(out, r);
      if (!r.rate) return `${n0(rate)} (fixed)`;
      if (r.rate.source === 'floor max')
        return `${n0(rate)} (${r.rate.fraction} × this run's floor max ${n0(r.rate.mainFloorMax)})`;
      return r.rate.source === 'calibration'
        ? `${n0(rate)} (${r.rate.fraction} × calibration floor max ${n0(r.rate.calibrationFloorMax)})`
        : `${n0(rate)} (--rate)`;
    }),
    row('… rounds × seconds each', (r) => {
      const f = r.rounds?.floor ?? [];
      return f.length ? `${f.length} × ${Math.round(f[0]!.requests / (f[0]!.offeredRate || 1))}` : '–';
    }),
    row('Floor at the offered rate (median round): p50 / p99, ms', (r) => lat(r.scenarios.floorRate)),
    row('Webhook at the offered rate, 1,000 stored events (median round): p50 / p99, ms', (r) =>
      lat(r.scenarios.webhookRateSmall),
    ),
    row(
      `Webhook at the offered rate, ${events} stored events + ${invoices} invoices (median round): p50 / p99, ms`,
      (r) => lat(r.scenarios.webhookRateLarge),
    ),
    row(
      'Webhook p99 ÷ floor p99 at the same rate, worst round',
      // Checked only where the rounds ran at the floor-derived rate, isolated (older results: shown, not checked).
      (r, d) => `${n2(d.roundRatios.worst)}${r.p99VsFloor ? pass(okIf(d.roundRatios.worst, (v) => v <= 3)) : ''}`,
      '≤ 3 in every round',
    ),
    row('… each round, small / full history', (_r, d) =>
      d.roundRatios.small.map((v, i) => `${n2(v)} / ${n2(d.roundRatios.large[i])}`).join(', '),
    ),
    row(`… each round (small → full history), p99 ms`, (r) =>
      r.rounds.small.map((sm, i) => `${ms(sm.latencyMs.p99)}→${ms(r.rounds.large[i]?.latencyMs.p99)}`).join(', '),
    ),
    row('… each round, backlog when the load stopped, events (small / full)', (r) =>
      perRound(r, (w) => (w.pendingAtStop === undefined ? undefined : n0(w.pendingAtStop))),
    ),
    row('… each round, drained in, s (last response → last event settled; small / full)', (r) =>
      perRound(r, (w) => (w.drainSeconds === undefined ? undefined : String(w.drainSeconds))),
    ),
    row('… each round, earlier emails unsent when it was ready / waited for, s (small / full)', (r) =>
      perRound(r, (w) =>
        w.emailsUnsentAtStart === undefined ? undefined : `${n0(w.emailsUnsentAtStart)} / ${w.emailsWaitSeconds}`,
      ),
    ),
    row(
      '… rounds that started with a backlog or did not drain',
      (r) => {
        const rounds = [...(r.rounds?.small ?? []), ...(r.rounds?.large ?? [])];
        if (!rounds.some((w) => w.pendingAtStart !== undefined)) return '–';
        const bad = rounds.filter((w) => (w.pendingAtStart ?? 0) !== 0 || (w.pendingAfter ?? 0) !== 0).length;
        return `${bad}${pass(bad === 0)}`;
      },
      '0',
    ),
    row(
      'Growth (full ÷ small history): p50 / p99',
      (_r, d) => `${n2(d.growthP50)} / ${n2(d.growthP99)}${pass(d.growthP50 < 1.2 && d.growthP99 < 1.2)}`,
      '< 1.2',
    ),
    row('Machine load average (1 min) at each round', (r) => r.loadAverage.map((l) => l.toFixed(1)).join(', ')),
    // Stripe calls by the server, from the stand-in's per-key counters; the ceilings are Stripe's
    // documented limits divided by them (https://docs.stripe.com/rate-limits).
    row('Stripe API calls by the server per paid invoice: settling (webhook max run), by endpoint', (r) =>
      describeCalls(r.stripeCalls?.settleMax),
    ),
    row('… settling at the offered rate (all rounds)', (r) => describeCalls(r.stripeCalls?.settleAtRate)),
    row('… creating the payment intent, per payment-intent request (max run)', (r) =>
      describeCalls(r.stripeCalls?.intentMax),
    ),
    row(
      '… both: calls per paid invoice (busiest endpoint)',
      (r, d) => {
        const c = r.stripeCalls?.ceiling;
        return c
          ? `${c.total.toFixed(2)} (${c.busiestEndpoint} ${c.busiestPerInvoice.toFixed(2)})${pass(okIf(d.callsPerInvoice, (v) => v <= 3))}`
          : '–';
      },
      '≤ 3',
    ),
    row(
      `Settlement ceiling from Stripe's limits, payments/s: ${STRIPE_LIMITS.perEndpoint}/s per endpoint ÷ busiest endpoint; ${STRIPE_LIMITS.liveGlobal}/s live, ${STRIPE_LIMITS.sandboxGlobal}/s sandbox ÷ all calls`,
      (r) => {
        const c = r.stripeCalls?.ceiling;
        return c ? `${c.endpointCeiling}; ${c.liveCeiling} live, ${c.sandboxCeiling} sandbox` : '–';
      },
    ),
    row(
      'Payment intent: max throughput, req/s (p99 ms)',
      (r) => `${n0(r.scenarios.intentMax?.rps)} (${ms(r.scenarios.intentMax?.latencyMs.p99)})`,
    ),
    row('Payment intent ÷ floor', (_r, d) => n2(d.intentRatio)),
    row('Payment intent at 50/s: p50 / p99, ms', (r) => lat(r.scenarios.intentRate)),
    row(`Admin: GET /admin/users/me (Strapi's own, the floor) at 10/s: p50 / p99, ms`, (r) =>
      lat(r.scenarios.adminFloorRate),
    ),
    row(
      `Admin invoice list, page 1 at 10/s (${invoices} invoices): p50 / p99, ms`,
      (r) =>
        `${lat(r.scenarios.adminListRate)}${pass(r.scenarios.adminListRate ? r.scenarios.adminListRate.latencyMs.p99 < 100 : undefined)}`,
      'p99 < 100',
    ),
    row('Admin list, a page in the middle at 10/s: p50 / p99, ms', (r) => lat(r.scenarios.adminListDeep)),
    row('Admin list, search by number at 10/s: p50 / p99, ms', (r) => lat(r.scenarios.adminListSearch)),
    row('Admin list, state=paid at 10/s: p50 / p99, ms', (r) => lat(r.scenarios.adminListStatus)),
    row('Admin list, page 1 at 50/s: p50 / p99, ms', (r) => lat(r.scenarios.adminList50)),
    row(
      'Admin list page 1 / GET /admin/users/me: max throughput, req/s',
      (r) => `${n0(r.scenarios.adminListMax?.rps)} / ${n0(r.scenarios.adminFloorMax?.rps)}`,
    ),
    row(
      'Rows in the full-history database (events / invoices / payments)',
      (r) => `${n0(r.counts.large.webhookEvents)} / ${n0(r.counts.large.invoices)} / ${n0(r.counts.large.payments)}`,
    ),
    row(`Seeding ${events} events, s`, (r) => n0(r.seeding.events?.seconds)),
    row(`Seeding ${invoices} invoices (half paid, with ledger), s`, (r) => n0(r.seeding.invoices?.seconds)),
    row('Seeded data written to disk before the rounds (CHECKPOINT, sync), s', (r) => n0(r.seeding.flush?.seconds)),
    row('5xx answers during the run', (r) => String(r.checks['5xx'] ?? '–'), '0'),
    row(
      'Scenario events stored / settled / invoices paid / emails',
      (r) =>
        `${n0(r.checks.storedEvents as number)} / ${n0(r.checks.processedEvents as number)} / ${n0(r.checks.invoicesPaidByWebhook as number)} / ${n0(r.checks.confirmationEmails as number)}`,
      'all equal',
    ),
  ];
  return lines.join('\n');
}

// ---------- SVG ----------
const COLORS = ['#64748b', '#2563eb', '#16a34a', '#d97706', '#9333ea'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

interface Group {
  label: string;
  bars: Array<{ label: string; value: number }>;
}

function barChart(
  title: string,
  unit: string,
  groups: Group[],
  opts: { target?: { value: number; label: string }; width?: number } = {},
): string {
  // Room for the longest label at 13 px (about 7.4 px a character), then the plot.
  const left = Math.max(160, Math.ceil(Math.max(0, ...groups.map((g) => g.label.length)) * 7.4) + 24);
  const width = opts.width ?? left + 520;
  const right = 70;
  const barH = 18;
  const gap = 4;
  const groupGap = 18;
  const top = 48;
  const series = groups[0]?.bars.map((b) => b.label) ?? [];
  const maxValue =
    Math.max(opts.target?.value ?? 0, ...groups.flatMap((g) => g.bars.map((b) => b.value)).filter(Number.isFinite)) *
      1.08 || 1;
  const plotW = width - left - right;
  const x = (v: number) => left + (Math.max(0, v) / maxValue) * plotW;
  let y = top;
  const parts: string[] = [];
  for (const g of groups) {
    const gh = g.bars.length * (barH + gap) - gap;
    parts.push(
      `<text x="${left - 10}" y="${y + gh / 2 + 4}" text-anchor="end" font-size="13" fill="#0f172a">${esc(g.label)}</text>`,
    );
    g.bars.forEach((b, i) => {
      const w = Number.isFinite(b.value) ? Math.max(1, x(b.value) - left) : 0;
      parts.push(
        `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${COLORS[i % COLORS.length]}" rx="2"><title>${esc(`${g.label} · ${b.label}: ${b.value} ${unit}`)}</title></rect>`,
      );
      parts.push(
        `<text x="${(left + w + 4).toFixed(1)}" y="${y + barH - 5}" font-size="11" fill="#334155">${Number.isFinite(b.value) ? (b.value < 10 ? b.value.toFixed(1) : Math.round(b.value).toLocaleString('en')) : 'n/a'}</text>`,
      );
      y += barH + gap;
    });
    y += groupGap;
  }
  const height = y + 36;
  const axis: string[] = [];
  const ticks = 5;
  for (let i = 0; i <= ticks; i += 1) {
    const v = (maxValue / ticks) * i;
    const tx = x(v);
    axis.push(
      `<line x1="${tx.toFixed(1)}" y1="${top - 6}" x2="${tx.toFixed(1)}" y2="${y - groupGap + 4}" stroke="#e2e8f0"/>`,
    );
    axis.push(
      `<text x="${tx.toFixed(1)}" y="${y - groupGap + 18}" text-anchor="middle" font-size="11" fill="#64748b">${Math.round(v).toLocaleString('en')}</text>`,
    );
  }
  if (opts.target) {
    const tx = x(opts.target.value);
    axis.push(
      `<line x1="${tx.toFixed(1)}" y1="${top - 10}" x2="${tx.toFixed(1)}" y2="${y - groupGap + 4}" stroke="#dc2626" stroke-dasharray="5,4" stroke-width="1.5"/>`,
    );
    axis.push(
      `<text x="${tx.toFixed(1)}" y="${top - 14}" text-anchor="middle" font-size="11" fill="#dc2626">${esc(opts.target.label)}</text>`,
    );
  }
  const legend = series
    .map(
      (s, i) =>
        `<rect x="${left + i * 150}" y="${height - 22}" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/><text x="${left + i * 150 + 16}" y="${height - 12}" font-size="12" fill="#0f172a">${esc(s)}</text>`,
    )
    .join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="16" y="24" font-size="15" font-weight="600" fill="#0f172a">${esc(title)}</text>`,
    `<text x="${width - 16}" y="24" text-anchor="end" font-size="12" fill="#64748b">${esc(unit)}</text>`,
    ...axis,
    ...parts,
    legend,
    '</svg>',
    '',
  ].join('\n');
}

export function throughputChart(out: BenchOutput): string {
  const groups: Group[] = [];
  for (const [k, r] of Object.entries(out.results)) {
    const s = r.scenarios;
    groups.push({
      label: `${LABEL[k] ?? k}`,
      bars: [
        { label: 'floor (1 insert)', value: s.floorMax?.rps ?? NaN },
        { label: 'webhook acked', value: s.webhookMax?.rps ?? NaN },
        { label: 'webhook settled', value: s.webhookMax?.settledPerS ?? NaN },
        { label: 'payment intent', value: s.intentMax?.rps ?? NaN },
      ],
    });
  }
  return barChart('Max throughput on 2 cores (higher is better)', 'requests / s', groups);
}

export function latencyChart(out: BenchOutput): string {
  const groups: Group[] = [];
  for (const [k, r] of Object.entries(out.results)) {
    const s = r.scenarios;
    const rate = n0(rateOf(out, r));
    const g = (label: string, sc: Scenario | undefined) =>
      groups.push({
        label: `${LABEL[k] ?? k} · ${label}`,
        bars: [
          { label: 'p50', value: sc?.latencyMs.p50 ?? NaN },
          { label: 'p99', value: sc?.latencyMs.p99 ?? NaN },
        ],
      });
    g(`floor ${rate}/s`, s.floorRate);
    g(`webhook ${rate}/s, 1k events`, s.webhookRateSmall);
    g(`webhook ${rate}/s, ${(out.meta.args.events / 1e6).toLocaleString('en')}M events`, s.webhookRateLarge);
    g('admin list 10/s', s.adminListRate);
  }
  return barChart('Latency at the offered rate, median round (lower is better)', 'milliseconds', groups);
}

export function renderReport(out: BenchOutput, opts: { writeDocs: boolean; root: string }): { table: string } {
  const table = markdownTable(out);
  if (opts.writeDocs) {
    writeFileSync(path.join(opts.root, 'docs', 'bench-throughput.svg'), throughputChart(out));
    writeFileSync(path.join(opts.root, 'docs', 'bench-latency.svg'), latencyChart(out));
    const file = path.join(opts.root, 'docs', 'performance.md');
    const doc = readFileSync(file, 'utf8');
    const startMark = '<!-- bench:results:start -->';
    const endMark = '<!-- bench:results:end -->';
    const a = doc.indexOf(startMark);
    const b = doc.indexOf(endMark);
    if (a >= 0 && b > a) {
      const m = out.meta;
      const versions = Object.values(out.results)
        .map((r) => r.version)
        .join(', ');
      const block = [
        startMark,
        `_Generated by \`npm run bench\` on ${m.startedAt.slice(0, 16).replace('T', ' ')} UTC (commit ${m.commit}): ${m.cpus}, ${m.memoryGiB} GiB, Node ${m.node}, ${versions}, ${m.tool}. Raw numbers: [bench/results/latest.json](../bench/results/latest.json)._`,
        '',
        table,
        '',
        '![Max throughput](bench-throughput.svg)',
        '',
        '![Latency at a fixed rate](bench-latency.svg)',
        endMark,
      ].join('\n');
      writeFileSync(file, doc.slice(0, a) + block + doc.slice(b + endMark.length));
    }
  }
  return { table };
}

if (require.main === module) {
  // Re-render docs from a results file: tsx bench/lib/report.ts [bench/results/latest.json] [--no-docs]
  const root = path.resolve(__dirname, '..', '..');
  const file =
    process.argv.slice(2).find((a) => !a.startsWith('--')) ?? path.join(root, 'bench', 'results', 'latest.json');
  const out = JSON.parse(readFileSync(file, 'utf8')) as BenchOutput;
  // As in the run itself: a quick run's numbers never replace the full run's in the docs.
  const writeDocs = !out.meta.args.quick && !process.argv.includes('--no-docs');
  process.stdout.write(`${renderReport(out, { writeDocs, root }).table}\n`);
  if (!writeDocs)
    process.stderr.write('[bench] table only: docs/performance.md and the charts were left as they were\n');
}
