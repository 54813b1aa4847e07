import Stripe from 'stripe';
import { bootPayments, eventually, readInvoice, type PaymentsEnv } from '../support/payments';
import { stripeEvents, EVENT } from '../support/stripe-events';
import { waitForIdle } from '../support/idle';

/**
 * The Stripe API drift guard (issue 15): a webhook endpoint renders its events in its own pinned API
 * version (https://docs.stripe.com/webhooks/versioning); each stored event keeps it, the webhook
 * health answer reports versions other than the SDK's pin, and settings show the pin.
 */
let env: PaymentsEnv;
const events = stripeEvents(() => env);
const OTHER = '2025-03-31.basil';

beforeAll(async () => {
  env = await bootPayments();
});
afterAll(async () => {
  // Later files share nothing, but the stand-in is reset to the pinned version all the same.
  env?.standin.control.setWebhook({ apiVersion: Stripe.API_VERSION });
  await env?.close();
});

const health = async () => {
  const res = await env.app.http().get('/invoice-payments/webhook-events/health').set(env.admin.auth);
  expect(res.status).toBe(200);
  return res.body.data as {
    lastEventType: string | null;
    apiVersions: Array<{
      provider: string;
      label: string;
      pinned: string;
      upgradeGuideUrl: string;
      windowDays: number;
      others: Array<{ version: string; count: number; lastAt: string | null }>;
    }>;
  };
};

async function payAndSettle() {
  const paid = await events.paidAtStripe();
  // The stand-in holds nothing back here: its own delivery carries the endpoint's version.
  await eventually(
    () => readInvoice(env, paid.documentId),
    (inv) => inv.state === 'paid',
    10_000,
    'the invoice paid through the webhook',
  );
  return paid;
}

it('settings show the API version the SDK is pinned to, for Stripe only (Mollie does not version events)', async () => {
  const res = await env.app.http().get('/invoice-payments/settings').set(env.admin.auth);
  expect(res.status).toBe(200);
  expect(res.body.data.apiVersions).toEqual([
    {
      provider: 'stripe',
      label: 'Stripe',
      pinned: Stripe.API_VERSION,
      upgradeGuideUrl: 'https://docs.stripe.com/webhooks/versioning',
    },
  ]);
  expect(Stripe.API_VERSION).toBe('2026-10-28.endive');
});

it('no warning while events arrive in the pinned version; each event records its version', async () => {
  const paid = await payAndSettle();
  const row = await events.eventRow((paid.succeeded as { id: string }).id);
  expect(row.apiVersion).toBe(Stripe.API_VERSION);
  const [stripe] = (await health()).apiVersions;
  expect(stripe).toMatchObject({ provider: 'stripe', pinned: Stripe.API_VERSION, others: [] });
});

it('events of another version are stored with it, still settled, and reported with count and time', async () => {
  env.standin.control.setWebhook({ apiVersion: OTHER });
  const first = await payAndSettle();
  const second = await payAndSettle();
  await waitForIdle(env.app.strapi);
  for (const paid of [first, second]) {
    const row = await events.eventRow((paid.succeeded as { id: string }).id);
    expect(row.apiVersion).toBe(OTHER);
  }
  const stored = await env.app.strapi.db.query(EVENT).count({ where: { apiVersion: OTHER } });
  expect(stored).toBeGreaterThanOrEqual(2);
  const [stripe] = (await health()).apiVersions;
  expect(stripe!.others).toHaveLength(1);
  expect(stripe!.others[0]).toMatchObject({ version: OTHER, count: stored });
  expect(Date.now() - new Date(stripe!.others[0]!.lastAt!).getTime()).toBeLessThan(60_000);
});

it('a redelivery of the same event is not counted twice', async () => {
  const before = (await health()).apiVersions[0]!.others[0]!.count;
  const [one] = env.standin.control
    .events()
    .filter((e) => e.type === 'payment_intent.succeeded')
    .slice(-1);
  const stored = await events.eventRow(String(one!.id));
  const res = await events.postEvent({ ...stored.payload, api_version: OTHER });
  expect(res.status).toBe(200);
  expect((await health()).apiVersions[0]!.others[0]!.count).toBe(before);
});

it('the warning clears once no event of another version arrived within the window', async () => {
  const { windowDays } = (await health()).apiVersions[0]!;
  const old = new Date(Date.now() - (windowDays + 1) * 24 * 3600 * 1000);
  await env.app.strapi.db.query(EVENT).updateMany({ where: { apiVersion: OTHER }, data: { createdAt: old } });
  expect((await health()).apiVersions[0]!.others).toEqual([]);
});
