import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { screenshot } from '../support/browser';
import { INVOICE, PAYMENT, payableInvoice, readInvoice } from '../support/payments';
import { waitForIdle } from '../support/idle';
import {
  bootPayBrowser,
  CARDS,
  expectCleanRun,
  expectText,
  until,
  type PayBrowser,
} from '../support/stripe-js-standin/pay-harness';

/**
 * The client portal in Chromium: a client logs in (users-permissions, POST /api/auth/local), opens
 * /invoice-payments/portal, ticks two open invoices, pays both with one card payment in the drawer,
 * sees both flip to Paid, and downloads a receipt.
 */
jest.setTimeout(120_000);
const GROUP = 'portal';
let pb: PayBrowser;

beforeAll(async () => {
  pb = await bootPayBrowser();
}, 180_000);
afterAll(async () => {
  await pb?.close();
}, 60_000);

async function download(page: Page, click: () => Promise<void>): Promise<{ pdf: Buffer; name: string }> {
  const [file] = await Promise.all([page.waitForEvent('download', { timeout: 10_000 }), click()]);
  const saved = await file.path();
  return { pdf: readFileSync(saved), name: file.suggestedFilename() };
}

it('a logged-in client pays two invoices at once; both show Paid; a receipt downloads', async () => {
  const strapi = pb.env.app.strapi;
  const role = await strapi.db.query('plugin::users-permissions.role').findOne({ where: { type: 'authenticated' } });
  await strapi.plugin('users-permissions').service('user').add({
    username: 'grace',
    email: 'grace-portal@example.test',
    password: 'Correct-Horse-9',
    provider: 'local',
    confirmed: true,
    role: role.id,
  });
  const user = await strapi.db.query('plugin::users-permissions.user').findOne({ where: { username: 'grace' } });
  // The client logs in as a site's front end would.
  const login = await pb.env.app
    .http()
    .post('/api/auth/local')
    .send({ identifier: 'grace-portal@example.test', password: 'Correct-Horse-9' });
  expect(login.status).toBe(200);
  const jwt = login.body.jwt as string;

  const mk = async (amount: number, issueDate: string, dueDate: string) => {
    const inv = await payableInvoice(pb.env, {
      customer: user.id,
      billingName: 'Grace Hopper',
      billingEmail: 'grace-portal@example.test',
      lineItems: [{ description: 'Consulting', quantity: 1, unitAmount: amount }],
    });
    await strapi.db.query(INVOICE).update({ where: { id: inv.row.id }, data: { issueDate, dueDate } });
    return inv;
  };
  const a = await mk(12000, '2026-01-05', '2026-02-04');
  const b = await mk(3450, '2026-02-05', '2099-03-07');
  const other = await mk(999, '2026-02-06', '2099-03-08');

  const { page, watch } = await pb.open(`/invoice-payments/portal#jwt=${jwt}`);
  await expectText(page.getByRole('heading', { level: 1 }), 'Your invoices');
  // The JWT left the address bar at once.
  expect(page.url()).not.toContain('jwt=');
  const rowOf = (inv: { documentId: string }) => page.locator(`#inv-${inv.documentId}`);
  await expectText(rowOf(a), /Overdue/);
  await expectText(rowOf(b), /Open/);
  await expectText(page.locator('#portal-totals'), /Open: \$164\.49/);
  await screenshot(page, GROUP, 'portal-list');

  await rowOf(a).getByRole('checkbox').check();
  await rowOf(b).getByRole('checkbox').check();
  const pay = page.getByRole('button', { name: 'Pay $154.50' });
  await until(() => pay.isEnabled(), Boolean, 'the Pay button for both invoices');
  await pay.click();
  const drawer = page.getByRole('dialog');
  await drawer.getByLabel('Card number').fill(CARDS.visa);
  await screenshot(page, GROUP, 'portal-drawer');
  const button = drawer.getByRole('button', { name: 'Pay $154.50' });
  await until(() => button.isEnabled(), Boolean, 'Pay in the drawer');
  await button.click();
  await expectText(drawer.getByRole('alert'), /Payment successful/);
  await drawer.waitFor({ state: 'hidden', timeout: 8000 });

  await expectText(rowOf(a), /Paid/);
  await expectText(rowOf(b), /Paid/);
  await expectText(rowOf(other), /Open/);
  await screenshot(page, GROUP, 'portal-paid');

  // One PaymentIntent for both, one ledger entry per invoice.
  await waitForIdle(strapi, 10_000, pb.env.standin);
  expect(await readInvoice(pb.env, a.documentId)).toMatchObject({ state: 'paid', balanceDue: 0 });
  expect(await readInvoice(pb.env, b.documentId)).toMatchObject({ state: 'paid', balanceDue: 0 });
  const rows = await strapi.db.query(PAYMENT).findMany({ where: { invoice: { id: { $in: [a.row.id, b.row.id] } } } });
  expect(rows).toHaveLength(2);
  expect(new Set(rows.map((r: { sharedPaymentId: string }) => r.sharedPaymentId)).size).toBe(1);

  // The receipt of the older invoice.
  await rowOf(a).getByRole('button', { name: 'Receipts' }).click();
  const receipt = rowOf(a).getByRole('button', { name: /Receipt 1/ });
  await receipt.waitFor();
  const file = await download(page, () => receipt.click());
  expect(file.pdf.subarray(0, 5).toString()).toBe('%PDF-');
  expect(file.name).toMatch(/^receipt-.*\.pdf$/);
  const invoicePdf = await download(page, () => rowOf(b).getByRole('button', { name: 'Download PDF' }).click());
  expect(invoicePdf.pdf.subarray(0, 5).toString()).toBe('%PDF-');
  await screenshot(page, GROUP, 'portal-receipts');

  // With partial payments allowed, an amount of the client's choosing (within the admin's limits).
  await pb.settings({ partialPayments: true, partialMinimumAmount: 300, partialMinimumPercent: 0 });
  await page.reload();
  await expectText(rowOf(other), /Open/);
  await rowOf(other).getByRole('checkbox').check();
  const amount = rowOf(other).getByRole('textbox', { name: /Amount to pay on invoice/ });
  await amount.fill('2');
  await until(() => page.getByRole('button', { name: 'Pay $2.00' }).isEnabled(), Boolean, 'Pay $2.00');
  await page.getByRole('button', { name: 'Pay $2.00' }).click();
  // Below the admin's minimum: the server's message, nothing created.
  await expectText(page.getByRole('dialog').getByRole('alert'), /at least \$3\.00/);
  await screenshot(page, GROUP, 'portal-partial-refused');
  await page.getByRole('dialog').getByRole('button', { name: 'Close payment' }).click();
  await amount.fill('5.00');
  await page.getByRole('button', { name: 'Pay $5.00' }).click();
  const partialDrawer = page.getByRole('dialog');
  await partialDrawer.getByLabel('Card number').fill(CARDS.visa);
  const payPartial = partialDrawer.getByRole('button', { name: 'Pay $5.00' });
  await until(() => payPartial.isEnabled(), Boolean, 'Pay $5.00 in the drawer');
  await payPartial.click();
  await expectText(partialDrawer.getByRole('alert'), /Payment successful/);
  await partialDrawer.waitFor({ state: 'hidden', timeout: 8000 });
  await expectText(rowOf(other), /\$4\.99/);
  await screenshot(page, GROUP, 'portal-partial-paid');
  expect(await readInvoice(pb.env, other.documentId)).toMatchObject({ state: 'partially_paid', balanceDue: 499 });
  expectCleanRun(watch);
});
