import { spawn } from 'node:child_process';
import path from 'node:path';
import type Stripe from 'stripe';
import type { StripeStandin } from '../../support/stripe-standin';
import { asRecord, control, startStandin } from './helpers';

describe('control routes', () => {
  let standin: StripeStandin;
  let stripe: Stripe;

  beforeAll(async () => {
    ({ standin, stripe } = await startStandin());
  });
  afterAll(() => standin.close());

  it('stats counts created objects and requests per path and route; reset clears them', async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    await stripe.paymentIntents.retrieve(pi.id);
    await stripe.refunds.create({ payment_intent: pi.id, amount: 100 });
    const stats = asRecord((await control(standin, 'GET', '/_standin/stats')).json);
    expect(stats.created).toMatchObject({ payment_intents: 1, charges: 1, refunds: 1, events: 5 });
    expect(stats.requests).toMatchObject({
      'POST /v1/payment_intents': 1,
      [`GET /v1/payment_intents/${pi.id}`]: 1,
      'POST /v1/refunds': 1,
    });
    expect(stats.requestsByRoute).toMatchObject({ 'GET /v1/payment_intents/:id': 1 });

    expect((await control(standin, 'POST', '/_standin/reset')).status).toBe(200);
    const after = asRecord((await control(standin, 'GET', '/_standin/stats')).json);
    expect(after.created).toMatchObject({ payment_intents: 0, refunds: 0, events: 0 });
    expect(after.requests).toEqual({});
    const gone = await fetch(`${standin.url}/v1/payment_intents/${pi.id}`, {
      headers: { Authorization: 'Bearer sk_test_x' },
    });
    expect(gone.status).toBe(404);
  });

  it('validates control bodies and 404s unknown routes', async () => {
    const bad = await control(standin, 'POST', '/_standin/disputes/dp_x/close', { outcome: 'maybe' });
    expect(bad.status).toBe(400);
    const unknownControl = await control(standin, 'GET', '/_standin/nope');
    expect(unknownControl.status).toBe(404);
    const unknownApi = await fetch(`${standin.url}/v1/nope`, { headers: { Authorization: 'Bearer sk_test_x' } });
    expect(unknownApi.status).toBe(404);
    expect(asRecord(asRecord(await unknownApi.json()).error).message).toBe(
      'Unrecognized request URL (GET: /v1/nope). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.',
    );
  });
});

describe('cli', () => {
  it('starts on the given port and prints the URL', async () => {
    const root = path.join(__dirname, '..', '..', '..');
    const child = spawn(
      path.join(root, 'node_modules', '.bin', 'tsx'),
      [path.join(root, 'tests', 'support', 'stripe-standin', 'cli.ts'), '--port', '0'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, STANDIN_WEBHOOK_URL: '', STANDIN_WEBHOOK_SECRET: '' },
      },
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`cli did not print a URL: ${out}`)), 15_000);
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString('utf8');
          const match = /http:\/\/127\.0\.0\.1:\d+/.exec(out);
          if (match) {
            clearTimeout(timer);
            resolve(match[0]);
          }
        });
        child.once('exit', (code) => reject(new Error(`cli exited with ${String(code)}: ${out}`)));
      });
      const res = await fetch(`${url}/v1/account`, { headers: { Authorization: 'Bearer sk_test_cli' } });
      expect(res.status).toBe(200);
      expect(asRecord(await res.json()).object).toBe('account');
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  }, 20_000);
});
