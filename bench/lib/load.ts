import autocannon from 'autocannon';

/**
 * Load generation with autocannon. Every request can carry its own path, body and headers
 * (distinct events, distinct invoices), produced by `next()`.
 *
 * Two modes:
 *  - as fast as the server answers (`connections`, `amount` or `durationS`): one autocannon run;
 *  - a fixed rate (`overallRate`): autocannon's own rate limit sends each connection's quota for a
 *    second back to back at the start of that second (so "200/s" arrives as one burst of 200 per
 *    second). To offer an even rate, the run is split over up to 50 autocannon instances, one
 *    request per second per connection, their starts staggered across the second: at 200/s that
 *    is 4 requests every 20 ms. Latencies are every response's own time, as autocannon reports it
 *    per response; percentiles are exact, over all of them.
 */
export interface LoadOptions {
  name: string;
  url: string;
  method?: 'GET' | 'POST' | 'PUT';
  /** Called once per request; return null to use `path`/`body` unchanged. */
  next?: () => { path?: string; body?: string; headers?: Record<string, string> } | null;
  path: string;
  body?: string;
  headers?: Record<string, string>;
  connections?: number;
  amount?: number;
  durationS?: number;
  /** Requests per second, spread evenly (see above). Needs `amount` (the run lasts amount / rate seconds). */
  overallRate?: number;
  timeoutS?: number;
}

export interface LoadResult {
  name: string;
  requests: number;
  ok: number;
  non2xx: number;
  status5xx: number;
  errors: number;
  timeouts: number;
  durationS: number;
  /** When the last response arrived (epoch ms): where a backlog's drain time starts. */
  lastResponseAt: number;
  /** Answered requests per second (2xx only). */
  rps: number;
  offeredRate: number | null;
  connections: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  statusCodes: Record<string, number>;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

function percentiles(samples: number[]) {
  if (!samples.length) return { p50: NaN, p90: NaN, p99: NaN, max: NaN, mean: NaN };
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
  return {
    p50: round2(at(50)),
    p90: round2(at(90)),
    p99: round2(at(99)),
    max: round2(sorted[sorted.length - 1]!),
    mean: round2(sorted.reduce((s, v) => s + v, 0) / sorted.length),
  };
}

function request(o: LoadOptions): autocannon.Request {
  const req: autocannon.Request = {
    method: o.method ?? 'POST',
    path: o.path,
    ...(o.body !== undefined ? { body: o.body } : {}),
    headers: { 'content-type': 'application/json', ...(o.headers ?? {}) },
  };
  if (o.next) {
    const next = o.next;
    req.setupRequest = (r) => {
      const n = next();
      if (!n) return r;
      return {
        ...r,
        ...(n.path ? { path: n.path } : {}),
        ...(n.body !== undefined ? { body: n.body } : {}),
        headers: { ...(r.headers ?? {}), ...(n.headers ?? {}) },
      };
    };
  }
  return req;
}

interface Tally {
  /** When the last response arrived (autocannon ends runs on whole seconds; throughput uses this). */
  lastAt: number;
  latencies: number[];
  codes: Record<string, number>;
  errors: number;
  timeouts: number;
}

function one(o: LoadOptions, opts: Partial<autocannon.Options>, tally: Tally): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { url: o.url, timeout: o.timeoutS ?? 30, requests: [request(o)], ...opts } as autocannon.Options,
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      tally.codes[statusCode] = (tally.codes[statusCode] ?? 0) + 1;
      tally.lastAt = Date.now();
      if (statusCode >= 200 && statusCode < 300) tally.latencies.push(responseTime);
    });
  });
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const tally: Tally = { lastAt: 0, latencies: [], codes: {}, errors: 0, timeouts: 0 };
  const started = Date.now();
  let connections: number;
  if (o.overallRate) {
    if (!o.amount) throw new Error(`${o.name}: a fixed-rate run needs an amount`);
    const rate = o.overallRate;
    const instances = Math.min(rate, 50);
    const seconds = Math.max(1, Math.round(o.amount / rate));
    // The rate is split exactly (171/s: 21 instances at 4/s and 29 at 3/s), never rounded up to a
    // multiple of the instance count, so the offered rate is the one asked for.
    const quota = (i: number) => Math.floor(rate / instances) + (i < rate % instances ? 1 : 0);
    connections = rate;
    const runs: Array<Promise<autocannon.Result>> = [];
    for (let i = 0; i < instances; i += 1) {
      await new Promise((r) => setTimeout(r, i === 0 ? 0 : 1000 / instances));
      const n = quota(i);
      runs.push(one(o, { connections: n, overallRate: n, amount: n * seconds }, tally));
    }
    for (const r of await Promise.all(runs)) {
      tally.errors += r.errors;
      tally.timeouts += r.timeouts;
    }
  } else {
    connections = o.connections ?? 10;
    const r = await one(
      o,
      { connections, ...(o.amount ? { amount: o.amount } : { duration: o.durationS ?? 10 }) },
      tally,
    );
    tally.errors += r.errors;
    tally.timeouts += r.timeouts;
  }
  const durationS = ((tally.lastAt || Date.now()) - started) / 1000;
  const total = Object.values(tally.codes).reduce((s, n) => s + n, 0);
  const count = (from: number, to: number) =>
    Object.entries(tally.codes)
      .filter(([c]) => Number(c) >= from && Number(c) < to)
      .reduce((s, [, n]) => s + n, 0);
  const ok = count(200, 300);
  return {
    name: o.name,
    requests: total,
    ok,
    non2xx: total - ok,
    status5xx: count(500, 600),
    errors: tally.errors,
    timeouts: tally.timeouts,
    durationS: round2(durationS),
    lastResponseAt: tally.lastAt || Date.now(),
    rps: round2(ok / durationS),
    offeredRate: o.overallRate ?? null,
    connections,
    latencyMs: percentiles(tally.latencies),
    statusCodes: tally.codes,
  };
}
