import { payableInvoice, readInvoice } from '../support/payments';
import { screenshot } from '../support/browser';
import {
  bootPayBrowser,
  CARDS,
  expectCleanRun,
  expectText,
  until,
  type PayBrowser,
} from '../support/stripe-js-standin/pay-harness';

/**
 * The client's language in Chromium: a French invoice's pay page, its drawer and the paid state
 * are French, although the browser asks for English; the card form is told French too.
 */
jest.setTimeout(60_000);
let pb: PayBrowser;
beforeAll(async () => {
  pb = await bootPayBrowser();
}, 120_000);
afterAll(async () => {
  await pb?.close();
}, 60_000);

/** Intl's no-break spaces (1 827,50 €) as plain spaces, for comparing text. */
const norm = (s: string | null) => (s ?? '').replace(/[\u00a0\u202f]/g, ' ');

it('French pay page with the drawer: French labels, pays through the stand-in, French paid state', async () => {
  const inv = await payableInvoice(pb.env, {
    language: 'fr',
    currency: 'EUR',
    billingName: 'Marie Curie',
    billingEmail: 'marie@example.test',
  });
  const { page, watch } = await pb.open(`/invoice-payments/pay/${inv.token}`, { locale: 'en-US' });
  expect(await page.locator('html').getAttribute('lang')).toBe('fr');
  await expectText(page.locator('#invoice-status'), 'Statut : À payer');
  expect(norm(await page.locator('.totals').textContent())).toContain('Reste à payer1 827,50 €');
  expect(await page.locator('thead').textContent()).toBe('DescriptionQtéPrix unitaireMontant');
  await expectText(page.locator('#download-pdf'), 'Télécharger le PDF');
  const pay = page.getByRole('button', { name: /^Payer 1.827,50.€$/ });
  await until(() => pay.isEnabled(), Boolean, 'the Payer button to be ready');
  await screenshot(page, 'pay', 'fr-invoice-page');

  await pay.click();
  const drawer = page.getByRole('dialog', { name: `Facture ${inv.row.number}` });
  await drawer.getByLabel('Card number').waitFor();
  expect(
    await page.evaluate(() => (window as unknown as { __stripeElementsLocale?: string }).__stripeElementsLocale),
  ).toBe('fr');
  expect(await drawer.getByLabel('E-mail pour le reçu').inputValue()).toBe('marie@example.test');
  expect(norm(await drawer.locator('#drawer-amount-line').textContent())).toBe('Montant dû 1 827,50 €');
  await expect(drawer.getByRole('button', { name: 'Fermer le paiement' }).count()).resolves.toBe(1);
  // Let the slide-in finish before the screenshot.
  await until(
    async () => (await drawer.boundingBox())?.x ?? -1,
    (x) => Math.abs(x - (page.viewportSize()!.width > 600 ? page.viewportSize()!.width - 500 : 0)) < 1,
    'the drawer to slide in',
  );
  await screenshot(page, 'pay', 'fr-drawer-open');

  await drawer.getByLabel('Card number').fill(CARDS.visa);
  const submit = drawer.getByRole('button', { name: /^Payer 1.827,50.€$/ });
  await until(() => submit.isEnabled(), Boolean, 'the drawer’s Payer button to be enabled');
  await submit.click();
  await expectText(drawer.getByRole('alert'), 'Paiement réussi ! La facture est marquée comme payée.');
  await screenshot(page, 'pay', 'fr-success');
  await drawer.waitFor({ state: 'hidden', timeout: 8000 });
  // The script re-renders the invoice with the page's French strings, not English ones.
  await expectText(page.locator('#invoice-status'), 'Statut : Payée');
  await expectText(page.locator('#invoice-notice'), 'Cette facture est entièrement payée. Merci !');
  expect(await page.getByText('Balance due').count()).toBe(0);
  expect(norm(await page.locator('#receipts').textContent())).toMatch(/^Reçu : 1 827,50 €, /);
  await screenshot(page, 'pay', 'fr-paid');
  expect(await readInvoice(pb.env, inv.documentId)).toMatchObject({ state: 'paid', balanceDue: 0 });

  await page.reload();
  await expectText(page.locator('#invoice-status'), 'Statut : Payée');
  expectCleanRun(watch);
});

it("the logged-in client's page follows the invoice's language, not the browser's", async () => {
  const role = await pb.env.app.strapi.db
    .query('plugin::users-permissions.role')
    .findOne({ where: { type: 'authenticated' } });
  const user = await pb.env.app.strapi.db.query('plugin::users-permissions.user').create({
    data: {
      username: `hans${Date.now()}`,
      email: `hans${Date.now()}@example.test`,
      provider: 'local',
      confirmed: true,
      role: role.id,
    },
  });
  const jwt = pb.env.app.strapi.plugin('users-permissions').service('jwt').issue({ id: user.id }) as string;
  const inv = await payableInvoice(pb.env, { language: 'de', currency: 'EUR', customer: user.id });
  const { page, watch } = await pb.open(`/invoice-payments/pay/invoice/${inv.documentId}#jwt=${jwt}`, {
    locale: 'en-US',
  });
  // First drawn in the browser's English, then once again in the invoice's German.
  await until(
    () => page.locator('html').getAttribute('lang'),
    (lang) => lang === 'de',
    'the page in German',
  );
  await expectText(page.locator('#invoice-status'), 'Status: Offen');
  await page.getByRole('button', { name: /^1.827,50.€ jetzt bezahlen$/ }).waitFor();
  expect(new URL(page.url()).searchParams.get('lang')).toBe('de');
  await screenshot(page, 'pay', 'de-customer-page');
  expectCleanRun(watch);
});
