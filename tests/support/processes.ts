import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { strapiSecrets, TEST_ENCRYPTION_KEY } from './env';

/**
 * Real Strapi processes of the test app (`strapi start` in tests/app), for tests and benchmarks
 * that need what an in-process boot cannot give: several instances on one database, SIGKILL in
 * the middle of a burst, a restart on the same database, or a server that does not share the
 * load generator's event loop.
 */
export const ROOT = path.resolve(__dirname, '..', '..');
export const APP_DIR = path.join(ROOT, 'tests', 'app');
const STRAPI_BIN = path.join(ROOT, 'node_modules', '@strapi', 'strapi', 'bin', 'strapi.js');

export interface StrapiProcessOptions {
  /** Shown in log lines ("[a] ..."), and used in the log file name. */
  name: string;
  /** Database env (createTestDatabase().env) plus anything else: STRIPE_API_BASE, SMTP_PORT, WORKER_*... */
  env: Record<string, string>;
  /**
   * Secrets shared by every instance of one app (APP_KEYS, ADMIN_JWT_SECRET, ...): instances on
   * one database must agree on them (admin tokens). Default: a fresh set.
   */
  secrets?: Record<string, string>;
  /** Default: a free port. A restart can pass the previous one. */
  port?: number;
  readyTimeoutMs?: number;
  /** Also append every output line to this file (the secret scan reads these). */
  logFile?: string | null;
  /** Extra node flags (e.g. --cpu-prof). */
  nodeArgs?: string[];
}

export interface StrapiProcess {
  name: string;
  port: number;
  url: string;
  pid: number;
  /** Every stdout/stderr line so far. */
  logs: string[];
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL now (a crash); resolves when the process is gone. */
  kill(): Promise<void>;
}

/** Where the kernel takes ports for listen(0) and outgoing connections (Linux), if it says. */
function ephemeralLow(): number | null {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 0 ? low : null;
  } catch {
    return null;
  }
}

const bindable = (port: number) =>
  new Promise<number | null>((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(null));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : null;
      server.close(() => resolve(bound));
    });
  });

/**
 * A port free now, for a process that binds it a few seconds later (a Strapi start, a restart on
 * the same port). Taken below the kernel's ephemeral range when there is room, so no listen(0) or
 * outgoing connection elsewhere on the machine (another test suite running beside this one) can
 * take it in between; from the ephemeral range otherwise.
 */
export async function freePort(): Promise<number> {
  const low = ephemeralLow();
  if (low !== null && low > 11_000) {
    for (let tries = 0; tries < 50; tries += 1) {
      const port = await bindable(10_000 + Math.floor(Math.random() * (low - 10_000)));
      if (port !== null) return port;
    }
  }
  const port = await bindable(0);
  if (port === null) throw new Error('no free TCP port on 127.0.0.1');
  return port;
}

/** Secrets for one app (several instances share them). */
export function appSecrets(): Record<string, string> {
  return { ...strapiSecrets(), INVOICE_PAYMENTS_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY };
}

/** Where this run's process and Strapi logs go for the secret scan (set by tests/support/log-scan-setup). */
export function runLogFile(name: string): string | null {
  const dir = process.env.IP_TEST_LOG_DIR;
  if (!dir) return null;
  mkdirSync(dir, { recursive: true });
  return path.join(dir, `proc-${name}-${process.pid}-${Date.now().toString(36)}.log`);
}

async function waitReady(url: string, child: ChildProcess, logs: string[], timeoutMs: number): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `Strapi exited during start-up (code ${child.exitCode}, signal ${child.signalCode}):\n${logs.slice(-40).join('\n')}`,
      );
    }
    try {
      const res = await fetch(`${url}/_health`, { signal: AbortSignal.timeout(1000) });
      if (res.status === 204 || res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Strapi did not answer ${url}/_health within ${timeoutMs} ms:\n${logs.slice(-40).join('\n')}`);
}

/** Starts `strapi start` for the test app and resolves once it answers /_health. */
export async function startStrapiProcess(options: StrapiProcessOptions): Promise<StrapiProcess> {
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const logs: string[] = [];
  const logFile = options.logFile === undefined ? runLogFile(options.name) : options.logFile;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    NODE_ENV: 'production',
    STRAPI_TELEMETRY_DISABLED: 'true',
    STRAPI_LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: url,
    SERVE_ADMIN_PANEL: 'false',
    ...(options.secrets ?? appSecrets()),
    ...options.env,
  };
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), STRAPI_BIN, 'start'], {
    cwd: APP_DIR,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const onData = (stream: 'out' | 'err') => {
    let partial = '';
    return (chunk: Buffer) => {
      const text = partial + chunk.toString('utf8');
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const entry = `[${options.name}${stream === 'err' ? ':err' : ''}] ${line}`;
        logs.push(entry);
        if (logFile) appendFileSync(logFile, `${entry}\n`);
        if (process.env.TEST_VERBOSE === '1') process.stderr.write(`${entry}\n`);
      }
    };
  };
  child.stdout!.on('data', onData('out'));
  child.stderr!.on('data', onData('err'));

  const gone = async () => {
    await exited;
  };
  const proc: StrapiProcess = {
    name: options.name,
    port,
    url,
    pid: child.pid!,
    logs,
    exited,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await gone();
      clearTimeout(timer);
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await gone();
    },
  };
  try {
    await waitReady(url, child, logs, options.readyTimeoutMs ?? 90_000);
  } catch (error) {
    await proc.kill();
    throw error;
  }
  return proc;
}

/** The first admin of a fresh app, registered over HTTP; returns its bearer header. */
export async function registerAdmin(url: string): Promise<{ Authorization: string }> {
  const res = await fetch(`${url}/admin/register-admin`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      email: 'bench-admin@example.test',
      password: 'Bench-Admin-1234',
      firstname: 'Bench',
      lastname: 'Admin',
    }),
  });
  if (res.ok) {
    const body = (await res.json()) as { data: { token: string } };
    return { Authorization: `Bearer ${body.data.token}` };
  }
  // Already registered (a restart on the same database): log in instead.
  const login = await fetch(`${url}/admin/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: 'bench-admin@example.test', password: 'Bench-Admin-1234' }),
  });
  if (!login.ok) throw new Error(`admin register/login failed: ${res.status} / ${login.status} ${await login.text()}`);
  const body = (await login.json()) as { data: { token: string } };
  return { Authorization: `Bearer ${body.data.token}` };
}

/** Saves Stripe keys (and any other settings) through the admin API, as a site admin would. */
export async function saveSettings(
  url: string,
  auth: { Authorization: string },
  settings: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const res = await fetch(`${url}/invoice-payments/settings`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json', ...auth },
    body: JSON.stringify(settings),
  });
  const body = (await res.json()) as { data?: Record<string, unknown> };
  if (!res.ok) throw new Error(`saving settings failed: ${res.status} ${JSON.stringify(body)}`);
  return body.data ?? (body as Record<string, unknown>);
}

export interface StandinProcess {
  url: string;
  port: number;
  pid: number;
  logs: string[];
  stop(): Promise<void>;
}

/**
 * The Stripe stand-in in its own process (its CLI), so that its work does not share an event loop
 * with a load generator. Webhook delivery is off: callers fetch events and deliver them themselves.
 */
export async function startStandinProcess(
  options: {
    autoSettleMs?: number;
    name?: string;
    /** V8 heap limit (MB): a full bench keeps ~250,000 paid intents (~13 KB each), past the default. */
    heapMb?: number;
  } = {},
): Promise<StandinProcess> {
  const port = await freePort();
  const logs: string[] = [];
  const child = spawn(
    process.execPath,
    // `--import tsx` rather than the tsx CLI: no wrapper process, so signals reach the stand-in itself.
    [
      ...(options.heapMb ? [`--max-old-space-size=${options.heapMb}`] : []),
      '--import',
      'tsx',
      path.join(ROOT, 'tests', 'support', 'stripe-standin', 'cli.ts'),
      '--port',
      String(port),
      '--auto-settle-ms',
      String(options.autoSettleMs ?? 0),
    ],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stderr!.on('data', (c: Buffer) => logs.push(...c.toString('utf8').split('\n').filter(Boolean)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the Stripe stand-in did not start: ${logs.join('\n')}`)), 30_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) {
        clearTimeout(timer);
        resolve(line.trim());
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the Stripe stand-in exited (${code}): ${logs.join('\n')}`));
    });
  });
  return {
    url,
    port,
    pid: child.pid!,
    logs,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
