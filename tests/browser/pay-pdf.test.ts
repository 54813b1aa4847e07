import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import type { Page } from 'playwright-core';
import { ARTIFACTS, screenshot } from '../support/browser';
import { PAYMENT, payableInvoice } from '../support/payments';
import { pdfToPng, pdfToText, solidPng } from '../support/pdf';
import {
  bootPayBrowser,
  CARDS,
  expectCleanRun,
  expectText,
  until,
  type PayBrowser,
} from '../support/stripe-js-standin/pay-harness';

/**
 * The client's documents, as a client gets them: the seller's branding on the pay page, the
 * invoice PDF downloaded with "Download PDF", and after paying in the drawer the receipt from the
 * page's success state. Each PDF is read back (pdftotext) and turned into an image (pdftoppm),
 * kept in tests/artifacts/pdf/.
 */
jest.setTimeout(90_000);
let pb: PayBrowser;
beforeAll(async () => {
  pb = await bootPayBrowser();
  const upload = await request(pb.env.app.strapi.server.httpServer)
    .post('/upload')
    .set(pb.env.admin.auth)
    .attach('files', solidPng(160, 48, 0x0b5cad), { filename: 'seller-logo.png', contentType: 'image/png' });
  if (upload.status !== 201) throw new Error(`logo upload failed: ${upload.status}`);
  await pb.settings({
    branding: {
      name: 'Babbage & Lovelace Ltd',
      address: '12 St James’s Square\nLondon SW1Y 4JH',
      taxId: 'GB123456789',
      logoFileId: upload.body[0].id,
      accentColor: '#0b5cad',
      footerText: 'Registered in England No. 1843 · billing@babbage.example',
      paymentInstructions: 'Bank transfer: IBAN GB29 NWBK 6016 1331 9268 19',
    },
  });
}, 120_000);
afterAll(async () => {
  await pb?.close();
}, 60_000);

const out = (name: string) => path.join(ARTIFACTS, 'pdf', name);

async function download(page: Page, click: () => Promise<void>): Promise<{ pdf: Buffer; name: string }> {
  const [file] = await Promise.all([page.waitForEvent('download', { timeout: 10_000 }), click()]);
  const saved = await file.path();
  return { pdf: readFileSync(saved), name: file.suggestedFilename() };
}

it('shows the branded pay page, downloads the invoice PDF, pays, and downloads the receipt', async () => {
  const inv = await payableInvoice(pb.env, {
    billingName: 'Ada Lovelace',
    billingEmail: 'ada-pdf@example.test',
    lineItems: [
      { description: 'Analytical Engine programme (Bernoulli numbers)', quantity: 1, unitAmount: 150000 },
      { description: 'Notes and translation', quantity: 2, unitAmount: 16375 },
    ],
  });
  const { page, watch } = await pb.open(`/invoice-payments/pay/${inv.token}`);
  await expectText(page.getByRole('heading', { level: 1 }), inv.row.number);
  await expectText(page.locator('.seller-name'), 'Babbage & Lovelace Ltd');
  // The logo is served by the plugin (same origin, so the page's CSP allows it) and has loaded.
  await until(
    () => page.locator('.seller-logo').evaluate((img) => (img as HTMLImageElement).naturalWidth),
    (w) => w === 160,
    'the logo to load',
  );
  await screenshot(page, 'pdf', 'pay-page-branded');

  const invoicePdf = await download(page, () => page.getByRole('link', { name: 'Download PDF' }).click());
  expect(invoicePdf.name).toMatch(/^invoice-.+\.pdf$/);
  const text = pdfToText(invoicePdf.pdf);
  expect(text).toContain(inv.row.number);
  expect(text).toMatch(/Total\s+\$1,827\.50/);
  expect(text).toMatch(/Balance due\s+\$1,827\.50/);
  expect(text).toContain('Babbage & Lovelace Ltd');
  expect(text).toContain('Ada Lovelace');
  pdfToPng(invoicePdf.pdf, out('invoice-page-1.png'), 1, 90);

  // Pay in the drawer; the page's success state lists the receipt.
  const pay = page.getByRole('button', { name: 'Pay $1,827.50' });
  await until(() => pay.isEnabled(), Boolean, 'the Pay button to be ready');
  await pay.click();
  const drawer = page.getByRole('dialog', { name: `Invoice ${inv.row.number}` });
  await drawer.getByLabel('Card number').fill(CARDS.visa);
  const confirm = drawer.getByRole('button', { name: 'Pay $1,827.50' });
  await until(() => confirm.isEnabled(), Boolean, 'the drawer Pay button');
  await confirm.click();
  await expectText(drawer.getByRole('alert'), 'Payment successful! Invoice marked as paid.');
  await drawer.waitFor({ state: 'hidden', timeout: 8000 });
  await expectText(page.locator('#invoice-status'), 'Status: Paid');
  const receiptLink = page.locator('#receipts a');
  await expectText(receiptLink, /^Receipt: \$1,827\.50, /);
  await screenshot(page, 'pdf', 'pay-page-paid-with-receipt');

  // The ledger learns the method with the charge, which may come with a later event.
  await until(
    () => pb.env.app.strapi.db.query(PAYMENT).findOne({ where: { invoice: { documentId: inv.documentId } } }),
    (p: { method?: string | null } | null) => p?.method === 'card',
    'the payment method to be recorded',
  );
  const receipt = await download(page, () => receiptLink.click());
  expect(receipt.name).toMatch(/^receipt-.+\.pdf$/);
  const r = pdfToText(receipt.pdf);
  expect(r).toMatch(/Amount paid\s+\$1,827\.50/);
  expect(r).toMatch(/Payment method\s+Card/);
  expect(r).toMatch(/Remaining balance\s+\$0\.00/);
  expect(r).toContain(inv.row.number);
  pdfToPng(receipt.pdf, out('receipt-page-1.png'), 1, 90);

  // The paid invoice's PDF is a new version: paid in full, nothing left to pay.
  const paidPdf = await download(page, () => page.getByRole('link', { name: 'Download PDF' }).click());
  expect(pdfToText(paidPdf.pdf)).toMatch(/Balance due\s+\$0\.00/);
  expectCleanRun(watch);
});
