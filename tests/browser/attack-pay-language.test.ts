import { payableInvoice } from '../support/payments';
import { screenshot } from '../support/browser';
import {
  bootPayBrowser,
  expectCleanRun,
  expectText,
  until,
  type PayBrowser,
} from '../support/stripe-js-standin/pay-harness';

/**
 * Attacks on the client's language in Chromium (issue 12, independent review): a ?lang= the
 * plugin does not know on the logged-in client's page is ignored, as on the pay link's page.
 */
jest.setTimeout(60_000);
let pb: PayBrowser;
beforeAll(async () => {
  pb = await bootPayBrowser();
}, 120_000);
afterAll(async () => {
  await pb?.close();
}, 60_000);

it("an unknown ?lang= on the logged-in client's page does not override the invoice's language", async () => {
  const role = await pb.env.app.strapi.db
    .query('plugin::users-permissions.role')
    .findOne({ where: { type: 'authenticated' } });
  const user = await pb.env.app.strapi.db.query('plugin::users-permissions.user').create({
    data: {
      username: `klaus${Date.now()}`,
      email: `klaus${Date.now()}@example.test`,
      provider: 'local',
      confirmed: true,
      role: role.id,
    },
  });
  const jwt = pb.env.app.strapi.plugin('users-permissions').service('jwt').issue({ id: user.id }) as string;
  const inv = await payableInvoice(pb.env, { language: 'de', currency: 'EUR', customer: user.id });
  // The pay link's page: an unknown ?lang= is skipped, the invoice's German wins.
  const link = await pb.env.app.http().get(`/invoice-payments/pay/${inv.token}?lang=tlh`);
  expect(link.text).toContain('<html lang="de">');
  const { page, watch } = await pb.open(`/invoice-payments/pay/invoice/${inv.documentId}?lang=tlh#jwt=${jwt}`, {
    locale: 'en-US',
  });
  await until(
    () => page.locator('html').getAttribute('lang'),
    (lang) => lang === 'de',
    'the page in German',
  );
  await expectText(page.locator('#invoice-status'), 'Status: Offen');
  await page.getByRole('button', { name: /^1.827,50.€ jetzt bezahlen$/ }).waitFor();
  expect(new URL(page.url()).searchParams.get('lang')).toBe('de');
  await screenshot(page, 'pay', 'attack-unknown-lang-customer-page');
  expectCleanRun(watch);
});
