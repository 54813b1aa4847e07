import type { Page } from 'playwright-core';
import { loginAdmin, screenshot } from '../support/browser';
import { INVOICE, readInvoice } from '../support/payments';
import { bootPayBrowser, expectText, until, type PayBrowser } from '../support/stripe-js-standin/pay-harness';

/**
 * The client's language in the admin panel: Settings' "Default client language", and the invoice
 * editor's "Client language" (new invoices start in the default; "Site default" follows it).
 */
jest.setTimeout(90_000);
let pb: PayBrowser;
let admin: Page;

beforeAll(async () => {
  pb = await bootPayBrowser({ env: { SERVE_ADMIN_PANEL: 'true' } });
  ({ page: admin } = await pb.open('/admin/auth/login', { viewport: { width: 1280, height: 900 } }));
  admin.setDefaultTimeout(20_000);
  await loginAdmin(admin, pb.base, pb.env.admin);
}, 180_000);
afterAll(async () => {
  await pb?.close();
}, 60_000);

const settings = () =>
  pb.env.app.strapi.plugin('invoice-payments').service('settings') as { load(): Promise<{ defaultLanguage: string }> };

it('Settings: the default client language is chosen and saved', async () => {
  await admin.goto(`${pb.base}/admin/settings/invoice-payments/stripe`);
  const field = admin.getByRole('combobox', { name: 'Default client language' });
  await expectText(field, 'English');
  await field.click();
  await admin.getByRole('option', { name: 'Français' }).click();
  await admin.getByRole('button', { name: 'Save', exact: true }).click();
  await until(
    async () => (await settings().load()).defaultLanguage,
    (l) => l === 'fr',
    'the setting to be saved',
  );
  await field.scrollIntoViewIfNeeded();
  await screenshot(admin, 'admin', 'settings-default-language');
});

it('the editor starts in the default, and saves the language picked for the client', async () => {
  await admin.goto(`${pb.base}/admin/plugins/invoice-payments/invoices`);
  await admin.getByRole('link', { name: 'Create invoice' }).click();
  await expectText(admin.getByRole('heading', { level: 1 }), 'New invoice');
  const language = admin.getByRole('combobox', { name: 'Client language' });
  await expectText(language, 'Français');
  await language.click();
  // "Site default" names what it means.
  await admin.getByRole('option', { name: 'Site default (Français)' }).waitFor();
  await admin.getByRole('option', { name: 'Deutsch' }).click();
  await admin.getByLabel('Bill to').fill('Käthe Müller');
  await admin.getByLabel('Email').fill('kaethe@example.test');
  const line = admin.getByTestId('line-0');
  await line.getByLabel('Description').fill('Beratung');
  await line.getByLabel('Quantity').fill('2');
  await line.getByLabel(/^Unit price/).fill('150.00');
  await screenshot(admin, 'admin', 'invoice-editor-language');
  const before = await pb.env.app.strapi.db.query(INVOICE).count({});
  await admin.getByRole('button', { name: 'Create draft' }).click();
  await admin.waitForURL(/\/plugins\/invoice-payments\/invoices\/[a-z0-9]{20,}$/);
  expect(await pb.env.app.strapi.db.query(INVOICE).count({})).toBe(before + 1);
  const id = admin.url().split('/').pop()!;
  expect(await readInvoice(pb.env, id)).toMatchObject({ language: 'de', billingName: 'Käthe Müller' });
});

it("the admin panel offers French (the plugin's admin translations): the invoice list in French", async () => {
  await admin.goto(`${pb.base}/admin/me`);
  const language = admin.getByRole('combobox', { name: 'Interface language' });
  await language.click();
  await admin.getByRole('option', { name: 'Français' }).click();
  await admin.getByRole('button', { name: 'Save', exact: true }).click();
  await admin.goto(`${pb.base}/admin/plugins/invoice-payments/invoices`);
  await expectText(admin.getByRole('heading', { level: 1 }), 'Paiement des factures');
  await screenshot(admin, 'admin', 'invoices-in-french');
  // Back to English for whoever runs next with this admin.
  await admin.goto(`${pb.base}/admin/me`);
  await admin.getByRole('combobox', { name: "Langue de l'interface" }).click();
  await admin.getByRole('option', { name: 'English' }).click();
  await admin.getByRole('button', { name: 'Enregistrer', exact: true }).click();
  await expectText(admin.getByRole('combobox', { name: 'Interface language' }), 'English');
});
