import { screenshot } from '../support/browser';
import {
  bootPayBrowser,
  expectCleanRun,
  expectText,
  until,
  type PayBrowser,
} from '../support/stripe-js-standin/pay-harness';

/**
 * The booking example (tests/app/src/booking, docs/booking-example.md) as a client uses it: choose
 * a slot, pay in the embedded Checkout on the page; the booking is Confirmed on invoice.paid. A
 * declined card leaves the slot held (the client may try another card); once the hold expires
 * unpaid, the booking is Cancelled and the slot is free again.
 */
jest.setTimeout(60_000);
let pb: PayBrowser;
beforeAll(async () => {
  pb = await bootPayBrowser();
}, 120_000);
afterAll(async () => {
  await pb?.close();
}, 60_000);

const BOOKING = 'api::booking.booking';
const bookings = (slot: string) =>
  pb.env.app.strapi.db.query(BOOKING).findMany({ where: { slot }, orderBy: { id: 'asc' } }) as Promise<
    { documentId: string; status: string }[]
  >;
const invoiceOf = (documentId: string) =>
  pb.env.app.strapi.db
    .query('plugin::invoice-payments.invoice')
    .findOne({ where: { entityUid: BOOKING, entityDocumentId: documentId } }) as Promise<{
    documentId: string;
    state: string;
    expiredAt: string | null;
  }>;

it('choose a slot, pay in the page: the booking shows Confirmed and the slot is taken', async () => {
  const { page, watch } = await pb.open('/booking');
  await page.getByLabel('Email').fill('ada@example.test');
  await page.getByRole('button', { name: 'Book Saturday 10:00' }).click();
  await expectText(page.getByRole('status'), /^Saturday 10:00: held for you until .+\. Pay below to confirm it\.$/);
  const embed = page.getByRole('region', { name: 'Payment' });
  await embed.getByRole('button', { name: 'Pay with test card' }).waitFor();
  await screenshot(page, 'booking', 'held');

  await embed.getByRole('button', { name: 'Pay with test card' }).click();
  // Checkout returns the client to the plugin's receipt page; back on the booking page it is confirmed.
  await page.waitForURL((url) => url.pathname === '/invoice-payments/pay/success');
  await expectText(page.locator('#invoice-status'), 'Status: Paid');
  await page.goto(`${pb.base}/booking`);
  await expectText(page.getByRole('status'), 'Saturday 10:00: Confirmed. See you there!');
  await expectText(page.getByRole('button', { name: 'Saturday 10:00: taken' }), 'Saturday 10:00: taken');
  await screenshot(page, 'booking', 'confirmed');

  const [booking] = await bookings('Saturday 10:00');
  expect(booking.status).toBe('confirmed');
  expect((await invoiceOf(booking.documentId)).state).toBe('paid');
  expectCleanRun(watch);
});

it('a declined card keeps the slot held; past the hold it is Cancelled and the slot is free again', async () => {
  const { page, watch } = await pb.open('/booking');
  await page.getByLabel('Email').fill('grace@example.test');
  await page.getByRole('button', { name: 'Book Saturday 11:00' }).click();
  const embed = page.getByRole('region', { name: 'Payment' });
  await embed.getByRole('button', { name: 'Pay with declined test card' }).click();
  await expectText(embed.getByRole('alert'), 'Your card was declined.');
  await expectText(page.getByRole('status'), /^Saturday 11:00: held for you until /);
  await screenshot(page, 'booking', 'declined');

  const [booking] = await bookings('Saturday 11:00');
  const invoice = await invoiceOf(booking.documentId);
  // The decline reached the plugin (the webhook), and released nothing: still held, still payable.
  await until(
    () =>
      pb.env.app.strapi.db
        .query('plugin::invoice-payments.payment')
        .findMany({ where: { invoice: { documentId: invoice.documentId } } }),
    (rows: { status: string }[]) => rows.some((r) => r.status === 'failed'),
    'the failed payment recorded',
  );
  expect((await bookings('Saturday 11:00'))[0].status).toBe('held');
  expect((await invoiceOf(booking.documentId)).state).toBe('sent');

  // The hold ends: expiresAt passes, and the expiry job runs (as its cron tick would).
  await pb.env.app.strapi.db
    .query('plugin::invoice-payments.invoice')
    .update({ where: { documentId: invoice.documentId }, data: { expiresAt: new Date(Date.now() - 1000) } });
  await pb.env.app.strapi.plugin('invoice-payments').service('payables').expireDue();
  await expectText(
    page.getByRole('status'),
    'Saturday 11:00: Cancelled. It was not paid in time, and the slot is free again.',
  );
  await expectText(page.getByRole('button', { name: 'Book Saturday 11:00' }), 'Book Saturday 11:00');
  expect(await embed.getByRole('button').count()).toBe(0);
  await screenshot(page, 'booking', 'expired');
  expect((await bookings('Saturday 11:00'))[0].status).toBe('cancelled');
  expect(await invoiceOf(booking.documentId)).toMatchObject({ state: 'void', expiredAt: expect.anything() });
  expectCleanRun(watch);
});
