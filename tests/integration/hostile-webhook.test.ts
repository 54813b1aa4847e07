import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import Stripe from 'stripe';
import { bootPayments, KEYS, payableInvoice, type PaymentsEnv } from '../support/payments';
import { anyJson, assertSafe, contentType, FAST_CHECK, headerValue, hostileString, stateOf, type Answer } from '../support/hostile';
import { scanDir } from '../support/log-scan';
import { waitForIdle } from '../support/idle';

/**
 * Hostile input on POST /api/invoice-payments/webhooks/stripe. Unsigned or badly signed requests
 * (random bodies, signatures, content types, sizes) are refused with a 4xx and store nothing.
 * Correctly signed but malformed events (only someone holding the signing secret can send those)
 * never cause a 5xx and never move money.
 */
let env: PaymentsEnv;
let baseline: Awaited<ReturnType<typeof stateOf>>;
const WEBHOOK = '/api/invoice-payments/webhooks/stripe';

beforeAll(async () => {
  env = await bootPayments({ env: { STRAPI_LOG_LEVEL: 'debug' } });
  env.standin.control.setWebhook({ enabled: false });
  await payableInvoice(env);
  baseline = await stateOf(env);
}, 120_000);

afterAll(async () => {
  await env?.close();
});

async function post(body: string | Buffer, headers: Record<string, string>): Promise<Answer> {
  const res = await fetch(`${env.app.url}${WEBHOOK}`, { method: 'POST', headers, body: Buffer.isBuffer(body) ? new Uint8Array(body) : body });
  return { status: res.status, text: await res.text() };
}
const sign = (payload: string, secret = KEYS.webhookSecret, timestamp?: number) => Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });

const eventLike = fc.record(
  {
    id: fc.oneof(fc.string(), fc.stringMatching(/^evt_[A-Za-z0-9]{1,30}$/), anyJson),
    object: fc.oneof(fc.constant('event'), anyJson),
    type: fc.oneof(fc.constantFrom('payment_intent.succeeded', 'charge.refunded', 'checkout.session.completed', 'charge.dispute.created', 'refund.updated'), hostileString, anyJson),
    created: fc.oneof(fc.integer(), anyJson),
    livemode: fc.oneof(fc.boolean(), anyJson),
    api_version: fc.oneof(fc.string(), anyJson),
    data: fc.oneof(anyJson, fc.record({ object: fc.oneof(anyJson, fc.record({ id: fc.oneof(hostileString, anyJson), object: fc.oneof(fc.string(), anyJson), metadata: fc.oneof(anyJson, fc.dictionary(fc.string(), fc.string())) }, { requiredKeys: [] })) }, { requiredKeys: [] })),
  },
  { requiredKeys: [] },
);

describe('unsigned or badly signed', () => {
  it('random bodies and signatures: 400, nothing stored', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(anyJson.map((v) => JSON.stringify(v)), eventLike.map((v) => JSON.stringify(v)), hostileString), fc.oneof(headerValue, fc.constant(undefined)), async (body, signature) => {
        const res = assertSafe(await post(body, { 'content-type': 'application/json', ...(signature === undefined ? {} : { 'stripe-signature': signature }) }), 'webhook');
        expect(res.status).toBe(400);
      }),
      FAST_CHECK,
    );
    expect(await stateOf(env)).toEqual(baseline);
  });

  // (A timestamp in the future is not on this list: only a holder of the secret can sign one, and
  // Stripe's SDK accepts it too; that case is "correctly signed" below.)
  it('a valid-looking event signed with another secret, a stale timestamp or a signature for other bytes: 400', async () => {
    await fc.assert(
      fc.asyncProperty(eventLike, fc.constantFrom('other-secret', 'stale', 'other-bytes', 'v0-only'), async (event, how) => {
        const body = JSON.stringify(event);
        const now = Math.floor(Date.now() / 1000);
        const signature =
          how === 'other-secret' ? sign(body, 'whsec' + '_notTheRightSecret0000000000000')
          : how === 'stale' ? sign(body, KEYS.webhookSecret, now - 3600)
          : how === 'other-bytes' ? sign(`${body} `)
          : sign(body).replace('v1=', 'v0=');
        const res = assertSafe(await post(body, { 'content-type': 'application/json', 'stripe-signature': signature }), how);
        expect(res.status).toBe(400);
      }),
      FAST_CHECK,
    );
    expect(await stateOf(env)).toEqual(baseline);
  });

  it('wrong content types and raw bytes: 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(contentType.filter((t) => !t.startsWith('application/json')), fc.oneof(hostileString, fc.uint8Array({ maxLength: 4000 }).map((a) => Buffer.from(a))), async (type, body) => {
        const text = typeof body === 'string' ? body : body.toString('latin1');
        const res = assertSafe(await post(body, { ...(type ? { 'content-type': type } : {}), 'stripe-signature': sign(text) }), type);
        expect(res.status).toBeGreaterThanOrEqual(400);
      }),
      FAST_CHECK,
    );
    expect(await stateOf(env)).toEqual(baseline);
  });

  it('huge and deeply nested bodies: 4xx (signed or not)', async () => {
    const bodies = [
      JSON.stringify({ id: 'evt_huge', type: 'payment_intent.succeeded', data: { object: { id: 'pi_x', pad: 'x'.repeat(3 * 1024 * 1024) } } }),
      `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
      `{"id":"evt_nested","data":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`,
    ];
    for (const body of bodies) {
      for (const signature of [sign(body), 't=1,v1=00']) {
        const res = assertSafe(await post(body, { 'content-type': 'application/json', 'stripe-signature': signature }), `${body.length} bytes`);
        expect(res.status).toBeGreaterThanOrEqual(400);
      }
    }
    expect(await stateOf(env)).toEqual(baseline);
  });
});

describe('correctly signed but malformed', () => {
  it('never a 5xx, and never a change to invoices, payments or refunds', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(eventLike.map((v) => JSON.stringify(v)), anyJson.map((v) => JSON.stringify(v)), fc.constantFrom('null', '[]', '"evt"', '1', 'true', '{}', '{"id":null}', '{"id":"evt_1"}', '{"id":"evt_2","type":null}')), async (body) => {
        const res = assertSafe(await post(body, { 'content-type': 'application/json', 'stripe-signature': sign(body) }), `signed ${body.slice(0, 60)}`);
        expect([200, 400]).toContain(res.status);
      }),
      FAST_CHECK,
    );
    // Once in-process settlement and the retry worker are idle: the money is untouched.
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    const after = await stateOf(env);
    expect({ ...after, events: 0 }).toEqual({ ...baseline, events: 0 });
  });
});

describe('the secret scan', () => {
  it('finds a secret planted in a log file (so a clean scan means something)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ip-scan-'));
    try {
      writeFileSync(path.join(dir, 'a.log'), 'masked sk_test_••••4242 and whsec_••••cdef are fine\n');
      expect(scanDir(dir).findings).toEqual([]);
      writeFileSync(path.join(dir, 'b.log'), `line\nStripe said: ${KEYS.secretKey}\n{"secret":"${KEYS.webhookSecret}"}\n`);
      const { findings } = scanDir(dir);
      expect(findings.map((f) => [f.file, f.line, f.what])).toEqual([
        ['b.log', 2, 'Stripe secret key'],
        ['b.log', 3, 'webhook signing secret'],
      ]);
      expect(JSON.stringify(findings)).not.toContain(KEYS.secretKey);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
