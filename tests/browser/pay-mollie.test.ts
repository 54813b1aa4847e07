import { payableInvoice, readInvoice, PAYMENT } from '../support/payments';
import { screenshot } from '../support/browser';
import { startMollieStandin, type MollieStandin } from '../support/mollie-standin';
import {
  bootPayBrowser,
  expectCleanRun,
  expectText,
  until,
  type PayBrowser,
} from '../support/stripe-js-standin/pay-harness';

/**
 * An invoice whose pay link is on Mollie: the pay page's Pay button goes to Mollie's hosted
 * checkout (the Mollie stand-in's test-mode page), the client picks iDEAL and "paid", and comes
 * back to the success page, which shows the invoice paid once Mollie's webhook was re-read.
 */
jest.setTimeout(60_000);
let mollie: MollieStandin;
let pb: PayBrowser;
beforeAll(async () => {
  mollie = await startMollieStandin();
  pb = await bootPayBrowser({ env: { MOLLIE_API_ENDPOINT: mollie.apiEndpoint } });
  await pb.settings({
    mollieApiKey: 'test_browserMollieKey0000000000000000',
    payLinkProvider: 'mollie',
    checkoutMode: 'payment_element',
  });
}, 120_000);
afterAll(async () => {
  await pb?.close();
  await mollie?.close();
}, 60_000);

it('pays an invoice through Mollie’s hosted checkout', async () => {
  const inv = await payableInvoice(pb.env, {
    currency: 'EUR',
    billingName: 'Ada Lovelace',
    billingEmail: 'ada@example.test',
    lineItems: [{ description: 'Analytical engine notes', quantity: 1, unitAmount: 25000 }],
  });
  const { page, watch } = await pb.open(`/invoice-payments/pay/${inv.token}`);
  await screenshot(page, 'pay', 'mollie-invoice');
  const pay = page.getByRole('button', { name: /^Pay €250\.00$/ });
  await until(() => pay.isEnabled(), Boolean, 'the Pay button');
  await pay.click();

  await page.waitForURL((url) => url.href.startsWith(`${mollie.url}/checkout/tr_`));
  await expectText(page.getByRole('heading', { level: 1 }), 'Pay EUR 250.00');
  await page.getByLabel('ideal').check();
  await page.getByLabel('paid').check();
  await screenshot(page, 'pay', 'mollie-checkout');
  await page.getByRole('button', { name: 'Continue' }).click();

  await page.waitForURL((url) => url.pathname === '/invoice-payments/pay/success');
  await expectText(page.getByRole('heading', { level: 1 }), 'Payment received');
  await expectText(page.locator('#invoice-status'), 'Status: Paid');
  await screenshot(page, 'pay', 'mollie-success');
  expect(await readInvoice(pb.env, inv.documentId)).toMatchObject({ state: 'paid', balanceDue: 0, amountPaid: 25000 });
  const rows = await pb.env.app.strapi.db
    .query(PAYMENT)
    .findMany({ where: { invoice: { documentId: inv.documentId } } });
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({ provider: 'mollie', status: 'succeeded', amount: 25000 });
  expectCleanRun(watch);
});
