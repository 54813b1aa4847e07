import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { screenshot } from '../support/browser';
import { pdfToText } from '../support/pdf';
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
 * The client portal in Chromium, in German (issue 12's proof): a client whose browser asks for
 * German (Accept-Language de-DE) logs in (users-permissions, POST /api/auth/local), opens
 * /invoice-payments/portal, ticks two open invoices, pays both with one card payment in the drawer,
 * sees both flip to "Bezahlt", and downloads a German receipt. Then ?lang=en gives English.
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

/** Intl's no-break spaces (154,50 $) as plain spaces, for comparing text. */
const norm = (s: string | null) => (s ?? '').replace(/[\u00a0\u202f]/g, ' ');
/** A German amount as Intl writes it (de-DE, US dollars), for labels matched as a whole. */
const usd = (minor: number) =>
  new Intl.NumberFormat('de-DE', { style: 'currency', currency: 'USD' }).format(minor / 100);

/** A whole accessible name, whatever space Intl put in the amount (no-break, narrow no-break, plain). */
const exactly = (text: string) =>
  new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\$]/g, '\\$&').replace(/[\s\u00a0\u202f]/g, '\\s')}$`);
/** The drawer's own Pay label ("154,50 $ jetzt bezahlen"), which starts with the amount. */
const startsWith = (text: string) => new RegExp(exactly(text).source.slice(0, -1));

/** Lets the drawer's slide-in finish before a screenshot. */
async function slidIn(page: Page): Promise<void> {
  const width = page.viewportSize()!.width;
  await until(
    async () => (await page.getByRole('dialog').boundingBox())?.x ?? -1,
    (x) => Math.abs(x - (width > 600 ? width - 500 : 0)) < 1,
    'the drawer to slide in',
  );
}

async function download(page: Page, click: () => Promise<void>): Promise<{ pdf: Buffer; name: string }> {
  const [file] = await Promise.all([page.waitForEvent('download', { timeout: 10_000 }), click()]);
  const saved = await file.path();
  return { pdf: readFileSync(saved), name: file.suggestedFilename() };
}

it('a client in German pays two invoices at once in the portal and downloads the receipt', async () => {
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

  // The browser asks for German; the invoices name no language of their own (the site's default).
  const { page, watch } = await pb.open(`/invoice-payments/portal#jwt=${jwt}`, { locale: 'de-DE' });
  expect(await page.locator('html').getAttribute('lang')).toBe('de');
  expect(await page.title()).toBe('Ihre Rechnungen');
  await expectText(page.getByRole('heading', { level: 1 }), 'Ihre Rechnungen');
  // The JWT left the address bar at once.
  expect(page.url()).not.toContain('jwt=');
  const rowOf = (inv: { documentId: string }) => page.locator(`#inv-${inv.documentId}`);
  await expectText(rowOf(a), /Überfällig/);
  await expectText(rowOf(b), /Offen/);
  expect(await page.locator('#portal-invoices thead').textContent()).toBe(
    'AuswahlRechnungAusgestelltFälligGesamtOffenStatusDokumente',
  );
  // Dates and amounts as written in Germany.
  expect(norm(await rowOf(a).textContent())).toContain('05.01.2026');
  expect(norm(await rowOf(a).textContent())).toContain(norm(usd(12000)));
  expect(norm(await page.locator('#portal-totals').textContent())).toContain(`Offen: ${norm(usd(16449))}`);
  await expectText(page.getByRole('button', { name: 'Rechnungen zum Bezahlen auswählen' }), /auswählen/);
  await expectText(rowOf(a).getByRole('button', { name: 'PDF herunterladen' }), 'PDF herunterladen');
  await screenshot(page, GROUP, 'portal-list-de');

  await rowOf(a)
    .getByRole('checkbox', { name: `Rechnung ${a.row.number} zum Bezahlen auswählen` })
    .check();
  await rowOf(b).getByRole('checkbox').check();
  // The sum of both, as Intl writes it in de-DE ("154,50 $"), in the German label.
  const sum = usd(15450);
  expect(norm(sum)).toBe('154,50 $');
  const pay = page.getByRole('button', { name: exactly(`${sum} bezahlen`) });
  await until(() => pay.isEnabled(), Boolean, 'the Pay button for both invoices');
  await pay.click();
  const drawer = page.getByRole('dialog');
  await expectText(drawer.locator('#drawer-title'), `Rechnungen ${b.row.number}, ${a.row.number}`);
  await drawer.getByLabel('Card number').fill(CARDS.visa);
  expect(
    await page.evaluate(() => (window as unknown as { __stripeElementsLocale?: string }).__stripeElementsLocale),
  ).toBe('de');
  await slidIn(page);
  await screenshot(page, GROUP, 'portal-drawer-de');
  const button = drawer.getByRole('button', { name: startsWith(sum) });
  await until(() => button.isEnabled(), Boolean, 'Pay in the drawer');
  await button.click();
  await expectText(
    drawer.getByRole('alert'),
    'Zahlung erfolgreich! Die ausgewählten Rechnungen sind als bezahlt markiert.',
  );
  await drawer.waitFor({ state: 'hidden', timeout: 8000 });

  await expectText(rowOf(a), /Bezahlt/);
  await expectText(rowOf(b), /Bezahlt/);
  await expectText(rowOf(other), /Offen/);
  await screenshot(page, GROUP, 'portal-paid-de');

  // One PaymentIntent for both, one ledger entry per invoice.
  await waitForIdle(strapi, 10_000, pb.env.standin);
  expect(await readInvoice(pb.env, a.documentId)).toMatchObject({ state: 'paid', balanceDue: 0 });
  expect(await readInvoice(pb.env, b.documentId)).toMatchObject({ state: 'paid', balanceDue: 0 });
  const rows = await strapi.db.query(PAYMENT).findMany({ where: { invoice: { id: { $in: [a.row.id, b.row.id] } } } });
  expect(rows).toHaveLength(2);
  expect(new Set(rows.map((r: { sharedPaymentId: string }) => r.sharedPaymentId)).size).toBe(1);

  // The receipt of the older invoice, in German.
  await rowOf(a).getByRole('button', { name: 'Belege' }).click();
  const receipt = rowOf(a).getByRole('button', { name: /^Beleg 1 \(/ });
  await receipt.waitFor();
  expect(norm(await receipt.textContent())).toBe(`Beleg 1 (${norm(usd(12000))})`);
  const file = await download(page, () => receipt.click());
  expect(file.pdf.subarray(0, 5).toString()).toBe('%PDF-');
  expect(file.name).toMatch(/^receipt-.*\.pdf$/);
  const receiptText = norm(pdfToText(file.pdf));
  expect(receiptText).toMatch(new RegExp(`^\\s*Zahlungsbeleg\\s+Rechnung ${a.row.number}`));
  expect(receiptText).toMatch(/Zahlungsart\s+Karte/);
  expect(receiptText).toContain('Vielen Dank für Ihre Zahlung.');
  expect(receiptText).toContain(norm(usd(12000)));
  expect(receiptText).not.toContain('Receipt');
  const invoicePdf = await download(page, () => rowOf(b).getByRole('button', { name: 'PDF herunterladen' }).click());
  expect(invoicePdf.pdf.subarray(0, 5).toString()).toBe('%PDF-');
  expect(norm(pdfToText(invoicePdf.pdf))).toContain('Gesamtbetrag');
  await screenshot(page, GROUP, 'portal-receipts-de');

  // With partial payments allowed, an amount of the client's choosing (within the admin's limits).
  await pb.settings({ partialPayments: true, partialMinimumAmount: 300, partialMinimumPercent: 0 });
  await page.reload();
  await expectText(rowOf(other), /Offen/);
  await rowOf(other).getByRole('checkbox').check();
  const amount = rowOf(other).getByRole('textbox', { name: /Zu zahlender Betrag für Rechnung/ });
  expect(await amount.inputValue()).toBe('9,99');
  await amount.fill('2');
  const pay2 = page.getByRole('button', { name: exactly(`${usd(200)} bezahlen`) });
  await until(() => pay2.isEnabled(), Boolean, 'Pay 2,00 $');
  await pay2.click();
  // Below the admin's minimum: the server's message, in German, nothing created.
  await expectText(
    page.getByRole('dialog').getByRole('alert'),
    `Der Betrag für Rechnung ${other.row.number} muss mindestens ${norm(usd(300))} betragen.`,
  );
  await slidIn(page);
  await screenshot(page, GROUP, 'portal-partial-refused-de');
  await page.getByRole('dialog').getByRole('button', { name: 'Zahlung schließen' }).click();
  // A German decimal comma is understood.
  await amount.fill('5,00');
  await page.getByRole('button', { name: exactly(`${usd(500)} bezahlen`) }).click();
  const partialDrawer = page.getByRole('dialog');
  await partialDrawer.getByLabel('Card number').fill(CARDS.visa);
  const payPartial = partialDrawer.getByRole('button', { name: startsWith(usd(500)) });
  await until(() => payPartial.isEnabled(), Boolean, 'Pay 5,00 $ in the drawer');
  await payPartial.click();
  await expectText(partialDrawer.getByRole('alert'), /Zahlung erfolgreich/);
  await partialDrawer.waitFor({ state: 'hidden', timeout: 8000 });
  await until(
    async () => norm(await rowOf(other).textContent()),
    (text) => text.includes(norm(usd(499))),
    'the balance 4,99 $',
  );
  await screenshot(page, GROUP, 'portal-partial-paid-de');
  expect(await readInvoice(pb.env, other.documentId)).toMatchObject({ state: 'partially_paid', balanceDue: 499 });
  expectCleanRun(watch);

  // ?lang= wins over the browser: the same portal in English, amounts and dates as in en-US.
  const en = await pb.open(`/invoice-payments/portal?lang=en#jwt=${jwt}`, { locale: 'de-DE' });
  expect(await en.page.locator('html').getAttribute('lang')).toBe('en');
  await expectText(en.page.getByRole('heading', { level: 1 }), 'Your invoices');
  const enRow = en.page.locator(`#inv-${a.documentId}`);
  await expectText(enRow, /Paid/);
  expect(await enRow.textContent()).toContain('Jan 5, 2026');
  await en.page.locator(`#inv-${other.documentId}`).getByRole('checkbox').check();
  await expectText(en.page.getByRole('button', { name: 'Pay $4.99' }), 'Pay $4.99');
  await screenshot(en.page, GROUP, 'portal-list-en');
  expectCleanRun(en.watch);
});
