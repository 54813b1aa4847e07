import type { Browser, Page } from 'playwright-core';
import Stripe from 'stripe';
import { launchBrowser, loginAdmin, screenshot } from '../support/browser';
import { bootPayments, eventually, readInvoice, type PaymentsEnv } from '../support/payments';
import { stripeEvents } from '../support/stripe-events';

/**
 * The Stripe API drift guard in Debian's Chromium: Stripe's webhook endpoint is pinned to an older
 * API version than the SDK; after payments, the Webhooks screen warns, says what it means and links
 * Stripe's guide, and Settings → Stripe shows the version the plugin is built for.
 */
const GROUP = 'admin/api-drift';
const OTHER = '2025-03-31.basil';
jest.setTimeout(120_000);

let env: PaymentsEnv;
let browser: Browser;
let page: Page;
const events = stripeEvents(() => env);

beforeAll(async () => {
  env = await bootPayments({ env: { SERVE_ADMIN_PANEL: 'true' } });
  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, locale: 'en-US' });
  page = await context.newPage();
  page.setDefaultTimeout(20_000);
  await loginAdmin(page, env.app.url!, env.admin);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await env?.close();
}, 60_000);

async function paidThroughWebhook() {
  const paid = await events.paidAtStripe();
  await eventually(
    () => readInvoice(env, paid.documentId),
    (inv) => inv.state === 'paid',
    10_000,
    'paid',
  );
}

it('shows no drift warning while events come in the pinned version', async () => {
  await paidThroughWebhook();
  await page.goto(`${env.app.url}/admin/plugins/invoice-payments/webhooks`);
  await page.getByTestId('webhook-health').waitFor();
  // The health answer carrying the (empty) drift report has been rendered with the health line.
  expect(await page.getByTestId('api-drift-stripe').count()).toBe(0);
});

it('warns when events arrive in another API version, explains it and links Stripe’s guide', async () => {
  env.standin.control.setWebhook({ apiVersion: OTHER });
  await paidThroughWebhook();
  await page.goto(`${env.app.url}/admin/plugins/invoice-payments/webhooks`);
  const notice = page.getByTestId('api-drift-stripe');
  await notice.waitFor();
  const text = await notice.innerText();
  expect(text).toContain(
    `Stripe sends events in API version ${OTHER}, but this plugin is built for ${Stripe.API_VERSION}.`,
  );
  expect(text).toMatch(new RegExp(`${OTHER.replace('.', '\\.')}: \\d+ events?, last`));
  expect(text).toContain('payments may be read wrongly or ignored');
  const link = notice.getByRole('link', { name: /change a webhook endpoint’s API version/ });
  expect(await link.getAttribute('href')).toBe('https://docs.stripe.com/webhooks/versioning');
  await screenshot(page, GROUP, '01-webhooks-drift-warning');
});

it('Settings → Stripe shows the pinned API version', async () => {
  await page.goto(`${env.app.url}/admin/settings/invoice-payments/stripe`);
  const field = page.getByTestId('stripe-api-version');
  await field.waitFor();
  expect(await field.inputValue()).toBe(Stripe.API_VERSION);
  await field.scrollIntoViewIfNeeded();
  await screenshot(page, GROUP, '02-settings-pinned-version');
});
