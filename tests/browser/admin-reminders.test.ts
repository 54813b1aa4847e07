import type { Page } from 'playwright-core';
import { loginAdmin, screenshot } from '../support/browser';
import { INVOICE, payableInvoice, readInvoice } from '../support/payments';
import { waitForIdle } from '../support/idle';
import { bootPayBrowser, expectText, until, type PayBrowser } from '../support/stripe-js-standin/pay-harness';

/**
 * Payment reminders through the admin's screens, in Chromium: Settings → Payment reminders shows
 * and saves the schedule; an invoice's page shows its next reminder and the one already sent, and
 * the admin switches reminders off for that invoice there.
 */
jest.setTimeout(120_000);
const GROUP = 'admin';
let pb: PayBrowser;
let admin: Page;

interface RemindersApi {
  runDue(now?: Date): Promise<number>;
}

beforeAll(async () => {
  pb = await bootPayBrowser({ env: { SERVE_ADMIN_PANEL: 'true' } });
  await pb.settings({
    reminders: {
      enabled: true,
      beforeDays: [3],
      onDueDate: true,
      afterDays: [7, 14],
      timeZone: 'Europe/Amsterdam',
      sendHour: 9,
    },
  });
  ({ page: admin } = await pb.open('/admin/auth/login', { viewport: { width: 1280, height: 1000 } }));
  admin.setDefaultTimeout(20_000);
  await loginAdmin(admin, pb.base, pb.env.admin);
}, 180_000);
afterAll(async () => {
  await pb?.close();
}, 60_000);

it('Settings → Payment reminders: shows the schedule, refuses a bad day list on the field, saves 7, 14, 30', async () => {
  await admin.goto(`${pb.base}/admin/settings/invoice-payments/stripe`);
  await admin.getByRole('heading', { name: 'Payment reminders' }).waitFor();
  const after = admin.getByLabel('Days after the due date', { exact: true });
  expect(await after.inputValue()).toBe('7, 14');
  expect(await admin.getByLabel('Time zone').inputValue()).toBe('Europe/Amsterdam');
  await after.fill('7, 7');
  await admin.getByRole('button', { name: 'Save', exact: true }).click();
  await expectText(admin.getByText(/Up to 5 different whole numbers of days/).first(), /separated by commas/);
  await after.fill('7, 14, 30');
  await admin.getByRole('button', { name: 'Save', exact: true }).click();
  await until(
    async () => (await pb.env.app.strapi.plugin('invoice-payments').service('settings').load()).reminders.afterDays,
    (days: number[]) => days.join() === '7,14,30',
    'reminder days saved',
  );
  await admin.getByRole('heading', { name: 'Payment reminders' }).scrollIntoViewIfNeeded();
  await screenshot(admin, GROUP, 'reminders-settings');
});

it("an invoice's page: the next reminder and the one sent; switched off there, no reminder comes", async () => {
  const email = 'reminders-browser@example.test';
  const inv = await payableInvoice(pb.env, { billingEmail: email, billingName: 'Grace Hopper' });
  await pb.env.app.strapi.db
    .query(INVOICE)
    .update({ where: { id: inv.row.id }, data: { dueDate: '2031-03-20', sentAt: new Date('2031-03-01T10:00:00Z') } });
  const reminders = pb.env.app.strapi.plugin('invoice-payments').service('reminders') as unknown as RemindersApi;
  // The cron's run on 17 March 2031 at 09:00 in Amsterdam: the "3 days before" reminder.
  expect(await reminders.runDue(new Date('2031-03-17T08:00:30Z'))).toBe(1);
  await waitForIdle(pb.env.app.strapi);
  expect(pb.env.smtp.mails.filter((m) => m.to.includes(email))).toHaveLength(1);

  await admin.goto(`${pb.base}/admin/plugins/invoice-payments/invoices/${inv.documentId}`);
  const card = admin.getByTestId('reminders-card');
  await card.getByRole('heading', { name: 'Payment reminders' }).waitFor();
  // The page reads the real clock: the due-date reminder is next, at 09:00 Amsterdam time.
  await expectText(
    card.getByTestId('next-reminder'),
    /^On the due date: Mar 20, 2031, 9:00\s?AM \(Europe\/Amsterdam\)$/,
  );
  const rows = card.getByTestId('reminder-row');
  await until(
    () => rows.count(),
    (n) => n === 1,
    'one reminder in the history',
  );
  // Due from (Amsterdam time), the outcome, and when the outbox handed it over (the real clock).
  await expectText(rows.first(), /^3 days before the due date\s?Mar 17, 2031, 9:00\s?AM\s?Sent\s?\w{3} \d{1,2}, \d{4}/);
  await card.scrollIntoViewIfNeeded();
  await screenshot(admin, GROUP, 'reminders-invoice-on');

  const toggle = card.getByRole('checkbox', { name: 'Send reminders for this invoice' });
  expect(await toggle.isChecked()).toBe(true);
  await toggle.click();
  await expectText(card.getByTestId('next-reminder'), 'Reminders are switched off for this invoice.');
  expect(await toggle.isChecked()).toBe(false);
  await until(
    async () => (await readInvoice(pb.env, inv.documentId)).remindersEnabled,
    (v) => v === false,
    'the switch saved',
  );
  // The audit trail below shows who switched it off.
  await admin
    .getByText(/Reminders switched off for this invoice by admin-/)
    .first()
    .waitFor();
  await card.scrollIntoViewIfNeeded();
  await screenshot(admin, GROUP, 'reminders-invoice-off');

  // On the due date the cron sends this invoice nothing.
  expect(await reminders.runDue(new Date('2031-03-20T08:00:30Z'))).toBe(0);
  await waitForIdle(pb.env.app.strapi);
  expect(pb.env.smtp.mails.filter((m) => m.to.includes(email))).toHaveLength(1);
});
