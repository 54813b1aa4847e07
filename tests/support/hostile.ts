import fc from 'fast-check';
import { TEST_ENCRYPTION_KEY } from './env';
import { KEYS, type PaymentsEnv } from './payments';
import { PROPERTY } from './property';

/**
 * Shared by tests/integration/hostile-*.test.ts: what a response must never be (a 5xx, a secret, a stack
 * trace), the state that hostile input must never change, and generators of hostile input.
 * (Not a test file: jest only runs *.test.ts.)
 */
/** Fixed seed in `npm test` and CI, random in `npm run test:explore` (tests/support/property.ts). */
export const FAST_CHECK = { numRuns: PROPERTY.runs(Number(process.env.HOSTILE_RUNS ?? 60)), seed: PROPERTY.seed };

const SECRETS = [KEYS.secretKey, KEYS.webhookSecret, TEST_ENCRYPTION_KEY];
const STACK = /\bat (?:async )?[\w$.<>]+ \(|\bat .*\.(?:js|ts|mjs|cjs):\d+:\d+|node_modules\//;

export interface Answer {
  status: number;
  text: string;
}

/** Never a 5xx, never a secret, never a stack trace. Returns the answer for more checks. */
export function assertSafe(res: Answer, what: string): Answer {
  if (res.status >= 500) throw new Error(`${what}: answered ${res.status}: ${res.text.slice(0, 300)}`);
  for (const s of SECRETS) if (res.text.includes(s)) throw new Error(`${what}: the response contains a secret`);
  if (STACK.test(res.text)) throw new Error(`${what}: the response contains a stack trace: ${res.text.slice(0, 300)}`);
  return res;
}

export const INVOICE = 'plugin::invoice-payments.invoice';
const PAYMENT = 'plugin::invoice-payments.payment';
const REFUND = 'plugin::invoice-payments.refund';
const EVENT = 'plugin::invoice-payments.webhook-event';

/**
 * Everything a request could change: invoices (money, state, token, views), the ledger, refunds,
 * stored webhook events, and what was created at Stripe. (Audit entries are a log: rejected
 * webhooks are recorded there on purpose.)
 */
export async function stateOf(env: PaymentsEnv) {
  const q = (uid: string) => env.app.strapi.db.query(uid as never);
  return {
    invoices: await q(INVOICE).findMany({
      select: [
        'documentId',
        'state',
        'amountPaid',
        'balanceDue',
        'amountRefunded',
        'payToken',
        'viewedAt',
        'needsAttention',
      ],
      orderBy: { id: 'asc' },
    }),
    payments: await q(PAYMENT).findMany({
      select: ['id', 'status', 'amount', 'amountRefunded', 'providerPaymentId', 'checkoutSessionId'],
      orderBy: { id: 'asc' },
    }),
    refunds: await q(REFUND).count(),
    events: await q(EVENT).count(),
    stripe: env.standin.control.stats().created,
  };
}

// ---------- generators ----------
const hugeString = fc.integer({ min: 2_000, max: 20_000 }).map((n) => 'x'.repeat(n));
const nasty = fc.constantFrom(
  '',
  ' ',
  '../../../../etc/passwd',
  '..%2F..%2Fetc%2Fpasswd',
  "' OR 1=1 --",
  '"; DROP TABLE invoice_payments_invoices; --',
  '<script>alert(1)</script>',
  '${jndi:ldap://x}',
  '{{7*7}}',
  '\u0000',
  '\u202e\u0644\u0627',
  '😀💳🧾',
  'Ω≈ç√∫˜µ≤≥÷',
  'null',
  'undefined',
  'NaN',
  '__proto__',
  'constructor',
  '-1',
  '1e400',
  '0x7fffffff',
);
/** Strings a client could put anywhere: unicode, control characters, injections, huge. */
export const hostileString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }),
  nasty,
  hugeString,
);
/** An invoice id in a path. */
export const hostileId = fc.oneof(
  hostileString,
  fc.stringMatching(/^[a-z0-9]{24}$/),
  fc.integer().map(String),
  fc.bigInt().map(String),
);
/** An amount a client should never get away with (never a valid partial amount). */
export const hostileAmount = fc.oneof(
  fc.integer({ max: 0 }),
  fc.integer({ min: 100_000_000 }),
  fc.double({ noDefaultInfinity: true, noNaN: true }).filter((d) => !Number.isInteger(d)),
  fc.constantFrom(
    -0.5,
    0.1,
    49.99,
    2 ** 53,
    2 ** 53 + 2,
    -(2 ** 53),
    1e21,
    1e308,
    -1e308,
    Number.MIN_VALUE,
    Number.EPSILON,
  ),
  hostileString,
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.integer(), { maxKeys: 3 }),
  fc.boolean(),
);
/** Raw JSON texts whose numbers overflow or lose precision when parsed. */
export const overflowingJson = fc.constantFrom(
  '1e400',
  '-1e400',
  '9007199254740993',
  '123456789012345678901234567890',
  '-0',
  '1.0000000000000002',
  '0.1e-400',
  '4e1000000',
);
/** Any JSON value, including deep and wide ones. */
export const anyJson = fc.oneof(
  fc.jsonValue({ maxDepth: 6 }),
  fc.object({ maxDepth: 4 }),
  fc.anything({ maxDepth: 3 }).map((v) => {
    try {
      return JSON.parse(JSON.stringify(v) ?? 'null');
    } catch {
      return null;
    }
  }),
);
/** Content types a client might send instead of application/json. */
export const contentType = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=utf-16',
    'text/plain',
    'text/html',
    'application/xml',
    'application/x-www-form-urlencoded',
    'multipart/form-data',
    'multipart/form-data; boundary=xyz',
    'application/octet-stream',
    'application/vnd.api+json',
    '*/*',
    'garbage',
    '',
  ),
  fc.stringMatching(/^[a-z]{1,10}\/[a-z0-9.+-]{1,20}$/),
);
/** Header values a client might send (printable ASCII only: anything else is refused by Node itself). */
export const headerValue = fc.oneof(
  fc.stringMatching(/^[\x20-\x7e]{0,200}$/),
  fc.constantFrom('t=1,v1=deadbeef', 't=,v1=', 'v1=' + 'a'.repeat(64), 'Bearer x.y.z', 'Bearer ' + 'a'.repeat(2000)),
);
