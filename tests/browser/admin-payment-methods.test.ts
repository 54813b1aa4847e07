import type { Browser, Page } from 'playwright-core';
import { launchBrowser, loginAdmin, screenshot } from '../support/browser';
import { bootPayments, payableInvoice, type PaymentsEnv } from '../support/payments';

/**
 * Settings → Payment methods in Debian's Chromium: the admin narrows the payment methods to the
 * Stripe configuration "Cards and wallets" and registers the pay pages' domain for Apple Pay and
 * Google Pay, all through the screen; then a client's new payment carries that configuration.
 */
// Kept in the repository with the other admin screenshots (.gitignore keeps tests/artifacts/admin/).
const GROUP = 'admin/payment-methods';
const SITE = 'billing.example.test';
jest.setTimeout(120_000);

let env: PaymentsEnv;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  env = await bootPayments({
    env: { SERVE_ADMIN_PANEL: 'true', INVOICE_PAYMENTS_PUBLIC_URL: `https://${SITE}` },
  });
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

const section = () => page.getByTestId('payment-methods-section');
const badges = async () =>
  (await section().getByTestId('pmc-methods').locator('[data-testid^="pmc-method-"]').allTextContents()).map((s) =>
    s.trim(),
  );

it('picks the "Cards and wallets" configuration and shows what it turns on', async () => {
  await page.goto(`${env.app.url}/admin/settings/invoice-payments/stripe`);
  await section().getByText('Payment methods', { exact: true }).waitFor();
  const select = section().getByRole('combobox', { name: 'Payment method configuration' });
  await select.waitFor();
  expect(await select.innerText()).toContain('Stripe account default');
  // The account default's methods, in plain words.
  await section().getByTestId('pmc-method-us_bank_account').waitFor();
  expect(await badges()).toEqual(
    expect.arrayContaining(['Cards', 'Apple Pay', 'Google Pay', 'ACH Direct Debit (US bank account)', 'OXXO']),
  );
  await section().scrollIntoViewIfNeeded();
  await screenshot(page, GROUP, '01-account-default');

  await select.click();
  await page.getByRole('option', { name: 'Cards and wallets' }).click();
  await section().getByTestId('pmc-method-link').waitFor();
  // Sorted by name as the admin reads them.
  expect(await badges()).toEqual(['Apple Pay', 'Cards', 'Google Pay', 'Link']);
  await screenshot(page, GROUP, '02-cards-and-wallets-picked');
  await section().getByRole('button', { name: 'Use for new payments' }).click();
  await page.getByText('New payments will offer these payment methods.').waitFor();
  expect(await section().getByRole('button', { name: 'Use for new payments' }).isDisabled()).toBe(true);

  const cardsId = (await env.app.strapi.plugin('invoice-payments').service('payment-methods').configurationId()) as
    string | null;
  expect(cardsId).toMatch(/^pmc_/);
  // It survives a reload.
  await page.reload();
  await section().getByRole('combobox', { name: 'Payment method configuration' }).waitFor();
  expect(await section().getByRole('combobox', { name: 'Payment method configuration' }).innerText()).toContain(
    'Cards and wallets',
  );

  // A client's new payment now names that configuration (what the stand-in received).
  const { documentId, token } = await payableInvoice(env);
  const opened = await env.app
    .http()
    .post(`/api/invoice-payments/invoices/${documentId}/payment-intent`)
    .send({ token });
  expect(opened.status).toBe(200);
  const sent = env.standin.control.requestLog('POST /v1/payment_intents').at(-1)!.params;
  expect(sent.payment_method_configuration).toBe(cardsId);
  expect(sent).not.toHaveProperty('payment_method_types');
});

it('registers the domain for Apple Pay and Google Pay with one click', async () => {
  const wallets = section().getByTestId('wallet-domain');
  await wallets.getByTestId('wallet-unregistered').waitFor();
  expect(await wallets.getByTestId('wallet-domain-name').inputValue()).toBe(SITE);
  await wallets.scrollIntoViewIfNeeded();
  await screenshot(page, GROUP, '03-domain-not-registered');
  await wallets.getByRole('button', { name: `Register ${SITE} with Stripe` }).click();
  await wallets.getByText('Apple Pay: ready on this domain').waitFor();
  await wallets.getByText('Google Pay: ready on this domain').waitFor();
  await page.getByText('Domain registered with Stripe.').waitFor();
  await screenshot(page, GROUP, '04-domain-registered');
  const created = env.standin.control.requestLog('POST /v1/payment_method_domains');
  expect(created.map((r) => r.params.domain_name)).toEqual([SITE]);

  // Still registered after a reload (read back from Stripe), and no Register button any more.
  await page.reload();
  await section().getByTestId('wallet-registered').waitFor();
  expect(
    await section()
      .getByRole('button', { name: /^Register / })
      .count(),
  ).toBe(0);
  const entries = await env.app.strapi.db
    .query('plugin::invoice-payments.audit-entry')
    .findMany({ where: { action: { $startsWith: 'settings.payment_method' } } });
  expect(entries.map((e: { action: string }) => e.action).sort()).toEqual([
    'settings.payment_method_domain.registered',
    'settings.payment_methods.updated',
  ]);
});
