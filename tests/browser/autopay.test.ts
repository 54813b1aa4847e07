import type { Page } from 'playwright-core';
import { loginAdmin, screenshot } from '../support/browser';
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
 * Saved card and autopay, the whole job through the screens in Chromium: the client pays an invoice
 * on their customer page with "Save for future invoices" ticked and sees the card under "Saved
 * payment methods"; the admin turns autopay on for the client on another invoice's page; on that
 * invoice's due date the cron (its test hook, as the reminders tests use) charges the card off-session,
 * and the admin sees the invoice paid, the attempt and the payment.
 */
jest.setTimeout(120_000);
const GROUP = 'autopay';
let pb: PayBrowser;
let admin: Page;

interface AutopayApi {
  runDue(now?: Date): Promise<number>;
}

beforeAll(async () => {
  pb = await bootPayBrowser({ env: { SERVE_ADMIN_PANEL: 'true' } });
  await pb.settings({ autopay: { enabled: true, retryDays: [1, 3, 7], chargeHour: 9 } });
  ({ page: admin } = await pb.open('/admin/auth/login', { viewport: { width: 1280, height: 1000 } }));
  admin.setDefaultTimeout(20_000);
  await loginAdmin(admin, pb.base, pb.env.admin);
}, 180_000);
afterAll(async () => {
  await pb?.close();
}, 60_000);

it('a client saves a card while paying; autopay charges it on the next invoice’s due date; the admin sees it', async () => {
  const strapi = pb.env.app.strapi;
  const role = await strapi.db.query('plugin::users-permissions.role').findOne({ where: { type: 'authenticated' } });
  const user = (await strapi.db.query('plugin::users-permissions.user').create({
    data: {
      username: 'Ada Lovelace',
      email: 'ada-autopay@example.test',
      provider: 'local',
      confirmed: true,
      role: role.id,
    },
  })) as { id: number };
  const jwt = strapi.plugin('users-permissions').service('jwt').issue({ id: user.id }) as string;
  const first = await payableInvoice(pb.env, {
    customer: user.id,
    billingEmail: 'ada-autopay@example.test',
    billingName: 'Ada Lovelace',
  });

  // 1. The client pays on their page, with "Save for future invoices" ticked.
  const { page, watch } = await pb.open(`/invoice-payments/pay/invoice/${first.documentId}#jwt=${jwt}`);
  await expectText(page.getByRole('heading', { level: 1 }), first.row.number);
  const saved = page.locator('#saved-methods');
  await expectText(saved, /No saved payment methods yet/);
  const pay = page.getByRole('button', { name: 'Pay $1,827.50' });
  await until(() => pay.isEnabled(), Boolean, 'the Pay button to be ready');
  await pay.click();
  const drawer = page.getByRole('dialog', { name: `Invoice ${first.row.number}` });
  await drawer.getByLabel('Card number').fill(CARDS.visa);
  await drawer.getByLabel('Save for future invoices').check();
  await screenshot(page, GROUP, 'drawer-save-ticked');
  const button = drawer.getByRole('button', { name: 'Pay $1,827.50' });
  await until(() => button.isEnabled(), Boolean, 'Pay to be enabled');
  await button.click();
  await expectText(drawer.getByRole('alert'), 'Payment successful! Invoice marked as paid.');
  await drawer.waitFor({ state: 'hidden', timeout: 8000 });

  // 2. The card is listed under the invoice (after a reload: the server's list).
  await page.reload();
  const card = saved.locator('li.method');
  await until(
    () => card.count(),
    (n) => n === 1,
    'the saved card listed',
  );
  await expectText(card.first(), /^Visa ending in 4242, expires \d{2}\/\d{4}\s?Default\s?Remove$/);
  await saved.scrollIntoViewIfNeeded();
  await screenshot(page, GROUP, 'customer-saved-methods');
  expectCleanRun(watch);

  // 3. The admin turns autopay on for Ada on her next invoice's page.
  const next = await payableInvoice(pb.env, {
    customer: user.id,
    billingEmail: 'ada-autopay@example.test',
    billingName: 'Ada Lovelace',
  });
  await strapi.db.query(INVOICE).update({ where: { id: next.row.id }, data: { dueDate: '2031-06-30' } });
  await admin.goto(`${pb.base}/admin/plugins/invoice-payments/invoices/${next.documentId}`);
  const panel = admin.getByTestId('autopay-card');
  await panel.getByRole('heading', { name: 'Autopay' }).waitFor();
  await expectText(panel.getByTestId('autopay-method'), 'Visa •••• 4242');
  const toggle = panel.getByRole('checkbox', { name: 'Autopay for Ada Lovelace' });
  expect(await toggle.isChecked()).toBe(false);
  await toggle.click();
  await until(() => toggle.isChecked(), Boolean, 'the switch on');
  await expectText(panel.getByTestId('autopay-next'), /Jun 30, 2031/);
  await panel.scrollIntoViewIfNeeded();
  await screenshot(admin, GROUP, 'admin-autopay-on');

  // 4. The due date: the cron's run at 09:00 charges the saved card once.
  const autopay = strapi.plugin('invoice-payments').service('autopay') as unknown as AutopayApi;
  expect(await autopay.runDue(new Date('2031-06-30T09:00:30Z'))).toBe(1);
  expect(await autopay.runDue(new Date('2031-06-30T09:00:30Z'))).toBe(0);
  await waitForIdle(strapi);
  expect(await readInvoice(pb.env, next.documentId)).toMatchObject({ state: 'paid', balanceDue: 0 });
  const payments = await strapi.db.query(PAYMENT).findMany({ where: { invoice: { id: next.row.id } } });
  expect(payments).toHaveLength(1);
  expect(payments[0]).toMatchObject({ status: 'succeeded', kind: 'card', amount: 182750 });

  // 5. The admin sees it: Paid, the attempt "Charged", the payment in the history.
  await admin.reload();
  await panel.getByRole('heading', { name: 'Autopay' }).waitFor();
  const rows = panel.getByTestId('autopay-row');
  await until(
    () => rows.count(),
    (n) => n === 1,
    'one autopay attempt listed',
  );
  await expectText(rows.first(), /^On the due date.*Charged/);
  await admin.getByText('Paid', { exact: true }).first().waitFor();
  await admin
    .getByText(payments[0].providerPaymentId as string)
    .first()
    .waitFor();
  // The admin's content scrolls inside its own container: bring the card to the top first.
  await panel.evaluate((el) => el.scrollIntoView({ block: 'start' }));
  await screenshot(admin, GROUP, 'admin-autopay-charged');
});
