import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { TEST_ENCRYPTION_KEY } from './env';

/**
 * The end-of-run secret scan. Every Strapi the tests start (in-process through bootStrapi, or as a
 * process through tests/support/processes) appends each log line and each HTTP response it sends
 * to a file in IP_TEST_LOG_DIR (created per run by log-scan-setup.ts). log-scan-teardown.ts then
 * reads them all and fails the run if a Stripe secret key, restricted key, webhook signing secret
 * or the encryption key appears anywhere in the clear.
 */
const MAX_BODY = 256 * 1024;

export function logDir(): string | null {
  const dir = process.env.IP_TEST_LOG_DIR;
  if (!dir) return null;
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  return dir;
}

export function captureFile(kind: string): string | null {
  const dir = logDir();
  if (!dir) return null;
  const state = (globalThis as { expect?: { getState?: () => { testPath?: string } } }).expect?.getState?.();
  const test = path.basename(state?.testPath ?? 'unknown').replace(/[^\w.-]/g, '_');
  return path.join(dir, `${kind}-${test}-${process.pid}-${Date.now().toString(36)}.log`);
}

export function appendLine(file: string | null, line: string): void {
  if (!file) return;
  try {
    appendFileSync(file, line.endsWith('\n') ? line : `${line}\n`);
  } catch {
    // the scan reports missing files; a test never fails because of its own logging
  }
}

/** Records every response body this server sends (first 256 KB of each), with status and route. */
export function captureResponses(server: http.Server, file: string | null): void {
  if (!file) return;
  server.prependListener('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const keep = (chunk: unknown, encoding?: unknown) => {
      if (chunk == null || typeof chunk === 'function' || size >= MAX_BODY) return;
      const buf = Buffer.isBuffer(chunk)
        ? chunk
        : typeof chunk === 'string'
          ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
          : Buffer.from(chunk as Uint8Array);
      chunks.push(buf.subarray(0, MAX_BODY - size));
      size += buf.length;
    };
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    const end = res.end.bind(res) as (...args: unknown[]) => http.ServerResponse;
    (res as unknown as { write: (...args: unknown[]) => boolean }).write = (...args: unknown[]) => {
      keep(args[0], args[1]);
      return write(...args);
    };
    (res as unknown as { end: (...args: unknown[]) => http.ServerResponse }).end = (...args: unknown[]) => {
      keep(args[0], args[1]);
      const route = (req.url ?? '').split('?')[0];
      const headers = Object.entries(res.getHeaders())
        .map(([k, v]) => `${k}: ${String(v)}`)
        .join('\n');
      appendLine(
        file,
        `--- response ${req.method} ${route} ${res.statusCode}\n${headers}\n${Buffer.concat(chunks).toString('utf8')}`,
      );
      return end(...args);
    };
  });
}

export interface Finding {
  file: string;
  line: number;
  what: string;
  excerpt: string;
}

/** What counts as a secret in the clear. Masked forms (sk_test_••••4242) do not match. */
export const SECRET_PATTERNS: Array<{ what: string; re: RegExp }> = [
  { what: 'Stripe secret key', re: /\bsk_(?:test|live)_[A-Za-z0-9]{8,}/ },
  { what: 'Stripe restricted key', re: /\brk_(?:test|live)_[A-Za-z0-9]{8,}/ },
  { what: 'webhook signing secret', re: /\bwhsec_[A-Za-z0-9]{8,}/ },
  // https://docs.mollie.com/reference/authentication: test_/live_ + 30 characters (Stripe ids such as cs_test_… do not match: no word boundary after `_`).
  { what: 'Mollie API key', re: /\b(?:test|live)_[A-Za-z0-9]{30,}/ },
  {
    what: 'encryption key (INVOICE_PAYMENTS_ENCRYPTION_KEY)',
    re: new RegExp(TEST_ENCRYPTION_KEY.replace(/[+/=]/g, (c) => `\\${c}`)),
  },
];

const mask = (s: string) =>
  s
    .replace(/(sk|rk)_(test|live)_([A-Za-z0-9]{4})[A-Za-z0-9]+/g, '$1_$2_$3…')
    .replace(/whsec_([A-Za-z0-9]{4})[A-Za-z0-9]+/g, 'whsec_$1…')
    .replace(/\b(test|live)_([A-Za-z0-9]{4})[A-Za-z0-9]{26,}/g, '$1_$2…');

export function scanDir(dir: string): { files: number; lines: number; findings: Finding[] } {
  const findings: Finding[] = [];
  let files = 0;
  let lines = 0;
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    files += 1;
    const text = readFileSync(file, 'utf8').split('\n');
    lines += text.length;
    text.forEach((line, i) => {
      for (const p of SECRET_PATTERNS) {
        const m = p.re.exec(line);
        if (m) {
          const at = Math.max(0, m.index - 60);
          findings.push({ file: name, line: i + 1, what: p.what, excerpt: mask(line.slice(at, m.index + 80)) });
        }
      }
    });
  }
  return { files, lines, findings };
}
