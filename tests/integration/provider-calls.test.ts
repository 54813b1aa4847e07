import { bootPayments, eventually, payableInvoice, payWith, readInvoice, type PaymentsEnv } from '../support/payments';
import { waitForIdle } from '../support/idle';

/**
 * How many Stripe API calls the server makes for one paid invoice (issue 14: at most 3), counted
 * by the stand-in. The client's own calls (Stripe.js confirming the intent in the browser, done
 * here with the SDK) are subtracted: they are the browser's, not the server's. Every webhook the
 * stand-in sends for the payment is delivered and settled before counting.
 */
let env: PaymentsEnv;
beforeAll(async () => {
  env = await bootPayments();
});
afterAll(async () => {
  await env?.close();
});

const requests = () => env.standin.control.stats().requestsByRoute;
const total = (byRoute: Record<string, number>) => Object.values(byRoute).reduce((a, b) => a + b, 0);
function diff(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [route, n] of Object.entries(after))
    if (n - (before[route] ?? 0) > 0) out[route] = n - (before[route] ?? 0);
  return out;
}

it('pays an invoice by card (Payment Element) with at most 3 server-side Stripe calls', async () => {
  const { documentId, token } = await payableInvoice(env);
  await waitForIdle(env.app.strapi, 10_000, env.standin);
  const before = requests();
  const opened = await env.app
    .http()
    .post(`/api/invoice-payments/invoices/${documentId}/payment-intent`)
    .send({ token });
  expect(opened.status).toBe(200);
  // The browser confirms the intent (Stripe.js): a client call, subtracted below.
  const paid = await payWith(env, opened.body.data.providerPaymentId, 'pm_card_visa');
  expect((paid as { status?: string }).status).toBe('succeeded');
  // The pay page then tells the server (the same settle path as the webhook).
  const confirmed = await env.app
    .http()
    .post(`/api/invoice-payments/invoices/${documentId}/confirm-payment`)
    .send({ token, providerPaymentId: opened.body.data.providerPaymentId });
  expect(confirmed.status).toBe(200);
  await eventually(
    () => readInvoice(env, documentId),
    (i) => i.state === 'paid',
    10_000,
    'the invoice to be paid',
  );
  await waitForIdle(env.app.strapi, 10_000, env.standin);
  const calls = diff(before, requests());
  const client = calls['POST /v1/payment_intents/:id/confirm'] ?? 0;
  expect(client).toBe(1);
  const server = total(calls) - client;
  // Printed so a regression shows which endpoint grew.
  process.stdout.write(`card flow, server-side Stripe calls: ${server} ${JSON.stringify(calls)}\n`);
  expect(server).toBeLessThanOrEqual(3);
});

it('pays an invoice through a hosted Checkout session with at most 3 server-side Stripe calls', async () => {
  const { documentId, token } = await payableInvoice(env);
  await waitForIdle(env.app.strapi, 10_000, env.standin);
  const before = requests();
  const opened = await env.app
    .http()
    .post(`/api/invoice-payments/invoices/${documentId}/checkout-session`)
    .send({ token, uiMode: 'hosted' });
  expect(opened.status).toBe(200);
  // The customer pays on Stripe's page (the stand-in's control, not an API call).
  env.standin.control.completeCheckout(opened.body.data.checkoutSessionId);
  await eventually(
    () => readInvoice(env, documentId),
    (i) => i.state === 'paid',
    10_000,
    'the invoice to be paid',
  );
  await waitForIdle(env.app.strapi, 10_000, env.standin);
  const calls = diff(before, requests());
  const server = total(calls);
  process.stdout.write(`checkout flow, server-side Stripe calls: ${server} ${JSON.stringify(calls)}\n`);
  expect(server).toBeLessThanOrEqual(3);
});
