import type { Browser, Page } from 'playwright-core';
import { launchBrowser, screenshot, loginAdmin } from '../support/browser';
import { createInvoice } from '../support/invoices';
import { bootPayments, INVOICE, readInvoice, type PaymentsEnv } from '../support/payments';

/**
 * Strapi's own Content Manager on an invoice, in Debian's Chromium against the built admin panel
 * (tests/app/build): a super admin edits a line item in major units and saves.
 */
jest.setTimeout(120000);

let env: PaymentsEnv;
let browser: Browser;
let page: Page;
let base: string;
let invoice: { documentId: string; number: string; payToken: string };

beforeAll(async () => {
  env = await bootPayments({ env: { SERVE_ADMIN_PANEL: 'true' } });
  base = env.app.url!;
  const created = await createInvoice(env.app.strapi, {
    billingName: 'Ada Lovelace',
    lineItems: [
      { description: 'Consulting', quantity: 1, unitAmount: 182750 },
      { description: 'Hosting', quantity: 1, unitAmount: 1999 },
    ],
  });
  const row = await readInvoice(env, created.documentId);
  invoice = { documentId: created.documentId, number: row.number, payToken: row.payToken };
  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, locale: 'en-US' });
  page = await context.newPage();
  page.setDefaultTimeout(20000);
  await loginAdmin(page, base, env.admin);
});

afterAll(async () => {
  await browser?.close();
  await env?.close();
});

afterEach(async () => {
  const state = expect.getState();
  if (page && state.currentTestName && state.assertionCalls !== state.numPassingAsserts) {
    await screenshot(page, 'admin', `failed-content-manager-${state.currentTestName.replace(/\W+/g, '-')}`).catch(
      () => undefined,
    );
  }
});

it('edits a line item in major units, saves, and shows the new total; no pay token on the page', async () => {
  const answers: string[] = [];
  page.on('response', (res) => {
    if (res.url().includes('/content-manager/'))
      res.text().then(
        (t) => answers.push(t),
        () => undefined,
      );
  });
  await page.goto(`${base}/admin/content-manager/collection-types/${INVOICE}/${invoice.documentId}`);
  const price2 = page.getByLabel('Unit price of line 2');
  await price2.waitFor();
  expect(await page.getByLabel('Unit price of line 1').inputValue()).toBe('1827.50');
  expect(await price2.inputValue()).toBe('19.99');
  await page.getByText('Total: $1,847.49', { exact: true }).waitFor();
  // Internal fields are not on the form; computed ones are not editable inputs.
  for (const label of ['payToken', 'Pay token', 'attemptLockToken', 'payments', 'amountPaid', 'balanceDue']) {
    expect(await page.getByLabel(label, { exact: true }).count()).toBe(0);
  }

  await page.getByLabel('Quantity of line 2').fill('2');
  await price2.fill('250.75');
  await page.getByText('Total: $2,329.00', { exact: true }).waitFor();
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText(/Saved/).first().waitFor();
  // The server computed the same total from the stored minor units.
  const saved = await readInvoice(env, invoice.documentId);
  expect(saved.total).toBe(232900);
  expect(saved.lineItems).toEqual([
    expect.objectContaining({ description: 'Consulting', quantity: 1, unitAmount: 182750 }),
    expect.objectContaining({ description: 'Hosting', quantity: 2, unitAmount: 25075 }),
  ]);
  await page.reload();
  await page.getByLabel('Unit price of line 2').waitFor();
  expect(await page.getByLabel('Unit price of line 2').inputValue()).toBe('250.75');
  await page.getByText('Total: $2,329.00', { exact: true }).waitFor();
  await page.getByLabel('Invoice number').waitFor();
  await screenshot(page, 'admin', 'content-manager');

  expect(await page.content()).not.toContain(invoice.payToken);
  expect(answers.length).toBeGreaterThan(0);
  for (const text of answers) expect(text).not.toContain(invoice.payToken);
});
