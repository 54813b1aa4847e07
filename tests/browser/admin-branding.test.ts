import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { ARTIFACTS, loginAdmin, screenshot } from '../support/browser';
import { payableInvoice, payWith } from '../support/payments';
import { pdfToPng, pdfToText, solidPng } from '../support/pdf';
import { bootPayBrowser, expectText, until, type PayBrowser } from '../support/stripe-js-standin/pay-harness';

/**
 * Seller branding and the invoice PDF through the admin's screens, in Chromium: Settings →
 * Branding refuses a bad colour on its field, uploads a logo to the media library and saves; the
 * invoice page's "Download PDF" gives the branded PDF, and a received payment's "Receipt" its receipt.
 */
jest.setTimeout(120_000);
let pb: PayBrowser;
const PAYMENT = 'plugin::invoice-payments.payment';
let admin: Page;

beforeAll(async () => {
  pb = await bootPayBrowser({ env: { SERVE_ADMIN_PANEL: 'true' } });
  ({ page: admin } = await pb.open('/admin/auth/login', { viewport: { width: 1280, height: 1000 } }));
  admin.setDefaultTimeout(20_000);
  await loginAdmin(admin, pb.base, pb.env.admin);
}, 180_000);
afterAll(async () => {
  await pb?.close();
}, 60_000);

const branding = async () =>
  (await pb.env.app.strapi.plugin('invoice-payments').service('settings').load()).branding as Record<string, unknown>;

it('Settings → Branding: a bad colour is refused on its field; name, logo upload and colour are saved', async () => {
  await admin.goto(`${pb.base}/admin/settings/invoice-payments/stripe`);
  const heading = admin.getByRole('heading', { name: 'Branding' });
  await heading.waitFor();
  await admin.getByLabel('Seller name').fill('Difference Engines plc');
  await admin.getByLabel('Tax id (VAT, EIN…)').fill('GB987654321');
  await admin.getByLabel('Accent colour').fill('red');
  await admin.getByRole('button', { name: 'Save branding' }).click();
  await expectText(admin.getByText(/a # and six hexadecimal digits/).first(), /#1f6feb/);
  // The notice says where to look; the field's message is under the field, not a path in a toast.
  await expectText(
    admin.getByText(/Branding was not saved/),
    'Branding was not saved: see the message under the field.',
  );
  expect(await admin.getByText(/branding\.accentColor/).count()).toBe(0);
  await expectText(admin.getByText(/^Use a colour such as/), /#1f6feb/);
  await screenshot(admin, 'admin', 'branding-bad-colour');
  expect((await branding()).name).toBeNull();

  await admin.getByLabel('Accent colour').fill('#7a1fa2');
  await admin.locator('input[name="branding-logo-upload"]').setInputFiles({
    name: 'difference-engines.png',
    mimeType: 'image/png',
    buffer: solidPng(180, 50, 0x7a1fa2),
  });
  await expectText(admin.getByRole('combobox', { name: 'Logo (media library)' }), /difference-engines/);
  await admin.getByRole('button', { name: 'Save branding' }).click();
  const saved = await until(branding, (b) => b.name === 'Difference Engines plc', 'the branding to be saved');
  expect(saved).toMatchObject({ taxId: 'GB987654321', accentColor: '#7a1fa2', logoFileId: expect.any(Number) });
  // Saving reloads the settings, which re-renders the section: scroll once it has settled.
  await until(
    () =>
      heading.scrollIntoViewIfNeeded({ timeout: 2000 }).then(
        () => true,
        () => false,
      ),
    (done) => done,
    'the Branding heading to settle after saving',
  );
  await screenshot(admin, 'admin', 'branding-settings');
});

it('the invoice page downloads the branded PDF', async () => {
  const inv = await payableInvoice(pb.env, { billingName: 'Charles Babbage' });
  await admin.goto(`${pb.base}/admin/plugins/invoice-payments/invoices/${inv.documentId}`);
  const button = admin.getByRole('button', { name: 'Download PDF' });
  await button.waitFor();
  const [file] = await Promise.all([admin.waitForEvent('download'), button.click()]);
  expect(file.suggestedFilename()).toMatch(/^invoice-.+\.pdf$/);
  const pdf = readFileSync((await file.path())!);
  const text = pdfToText(pdf);
  expect(text).toContain(inv.row.number);
  expect(text).toContain('Difference Engines plc');
  expect(text).toContain('Charles Babbage');
  expect(text).toMatch(/Total\s+\$1,827\.50/);
  pdfToPng(pdf, path.join(ARTIFACTS, 'admin', 'invoice-pdf-from-admin.png'), 1, 80);
  await screenshot(admin, 'admin', 'invoice-detail-download-pdf');
});

it('a received payment has a Receipt button on the invoice page: the PDF names the card by brand and last four', async () => {
  const inv = await payableInvoice(pb.env, { billingName: 'Augusta Ada King' });
  const intent = await pb.env.app
    .http()
    .post(`/api/invoice-payments/invoices/${inv.documentId}/payment-intent`)
    .send({ token: inv.token });
  expect(intent.status).toBe(200);
  const paid = await payWith(pb.env, intent.body.data.providerPaymentId as string, 'pm_card_visa');
  expect(paid).toMatchObject({ status: 'succeeded' });
  await until(
    () => pb.env.app.strapi.db.query(PAYMENT).findOne({ where: { invoice: { documentId: inv.documentId } } }),
    (p: { methodLast4?: string | null } | null) => p?.methodLast4 === '4242',
    'the payment and its card to be recorded',
  );
  await admin.goto(`${pb.base}/admin/plugins/invoice-payments/invoices/${inv.documentId}`);
  const button = admin.getByRole('button', { name: 'Receipt', exact: true });
  await button.waitFor();
  const [file] = await Promise.all([admin.waitForEvent('download'), button.click()]);
  expect(file.suggestedFilename()).toMatch(/^receipt-.+\.pdf$/);
  const pdf = readFileSync((await file.path())!);
  const text = pdfToText(pdf);
  expect(text).toContain(inv.row.number);
  expect(text).toMatch(/Amount paid\s+\$1,827\.50/);
  expect(text).toMatch(/Card \/ bank\s+Visa •••• 4242/);
  expect(text).toMatch(/Remaining balance\s+\$0\.00/);
  pdfToPng(pdf, path.join(ARTIFACTS, 'admin', 'receipt-from-admin.png'), 1, 80);
  await screenshot(admin, 'admin', 'invoice-detail-receipt-button');
});
