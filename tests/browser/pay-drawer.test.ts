import type { Page } from 'playwright-core';
import { feeSurcharge } from '../../server/src/domain';
import { payableInvoice, readInvoice, PAYMENT } from '../support/payments';
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
 * The payment drawer in Chromium: the pay page, Stripe.js (stand-in) and the Stripe stand-in,
 * against the real app. Every test checks the database and the page after a reload.
 */
jest.setTimeout(60_000);
let pb: PayBrowser;
beforeAll(async () => {
  pb = await bootPayBrowser();
}, 120_000);
afterAll(async () => {
  await pb?.close();
}, 60_000);

const payUrl = (token: string) => `/invoice-payments/pay/${token}`;
const paymentsOf = (documentId: string) =>
  pb.env.app.strapi.db.query(PAYMENT).findMany({ where: { invoice: { documentId } }, orderBy: { id: 'asc' } });

async function openDrawer(page: Page, number: string, payLabel: string) {
  const pay = page.getByRole('button', { name: payLabel });
  await until(() => pay.isEnabled(), Boolean, 'the Pay button to be ready');
  await pay.click();
  const drawer = page.getByRole('dialog', { name: `Invoice ${number}` });
  await drawer.getByLabel('Card number').waitFor();
  // Wait for the slide-in to finish, so screenshots and clicks see the final layout.
  const width = page.viewportSize()!.width;
  const restingX = width > 600 ? width - 500 : 0;
  await until(
    async () => (await drawer.boundingBox())?.x ?? -1,
    (x) => Math.abs(x - restingX) < 1,
    'the drawer to slide in',
  );
  return drawer;
}

async function payIn(drawer: ReturnType<Page['getByRole']>, card: string, payLabel: string) {
  await drawer.getByLabel('Card number').fill(card);
  const button = drawer.getByRole('button', { name: payLabel });
  await until(() => button.isEnabled(), Boolean, `${payLabel} to be enabled`);
  await button.click();
}

describe('paying in the drawer', () => {
  it('pays in full with the success card; the page shows Paid, also after a reload', async () => {
    const inv = await payableInvoice(pb.env, { billingEmail: 'ada-full@example.test' });
    const { page, watch } = await pb.open(payUrl(inv.token));
    await expectText(page.getByRole('heading', { level: 1 }), inv.row.number);
    await expectText(page.locator('#invoice-status'), 'Status: Due');
    await screenshot(page, 'pay', 'invoice-page');

    const drawer = await openDrawer(page, inv.row.number, 'Pay $1,827.50');
    expect(await drawer.getByLabel('Email for the receipt').inputValue()).toBe('ada-full@example.test');
    await expectText(drawer.locator('#drawer-amount'), '$1,827.50');
    await screenshot(page, 'pay', 'drawer-open');

    await payIn(drawer, CARDS.visa, 'Pay $1,827.50');
    await expectText(drawer.getByRole('alert'), 'Payment successful! Invoice marked as paid.');
    await screenshot(page, 'pay', 'success');
    // The drawer closes by itself after a few seconds and the invoice shows Paid.
    await drawer.waitFor({ state: 'hidden', timeout: 8000 });
    await expectText(page.locator('#invoice-status'), 'Status: Paid');
    expect(await page.getByRole('button', { name: /^Pay / }).count()).toBe(0);

    const row = await readInvoice(pb.env, inv.documentId);
    expect(row).toMatchObject({ state: 'paid', balanceDue: 0, amountPaid: 182750 });
    const [payment] = await paymentsOf(inv.documentId);
    expect(payment).toMatchObject({ status: 'succeeded', amount: 182750 });
    expect((await pb.env.stripe.paymentIntents.retrieve(payment.providerPaymentId)).receipt_email).toBe(
      'ada-full@example.test',
    );

    await page.reload();
    await expectText(page.locator('#invoice-status'), 'Status: Paid');
    await expectText(page.locator('#invoice-notice'), 'This invoice is paid in full. Thank you!');
    expect(await page.getByRole('button', { name: /^Pay / }).count()).toBe(0);
    expectCleanRun(watch);
  });

  it('shows the decline reason, then a retry with another card succeeds', async () => {
    const inv = await payableInvoice(pb.env);
    const { page, watch } = await pb.open(payUrl(inv.token));
    const drawer = await openDrawer(page, inv.row.number, 'Pay $1,827.50');

    await payIn(drawer, CARDS.declined, 'Pay $1,827.50');
    const alert = drawer.getByRole('alert');
    await expectText(alert, 'Your card was declined.');
    expect(await alert.getAttribute('class')).toContain('message-error');
    await screenshot(page, 'pay', 'failure-declined');

    await payIn(drawer, CARDS.insufficientFunds, 'Pay $1,827.50');
    await expectText(alert, 'Your card has insufficient funds.');
    expect((await readInvoice(pb.env, inv.documentId)).balanceDue).toBe(182750);

    await payIn(drawer, CARDS.visa, 'Pay $1,827.50');
    await expectText(alert, 'Payment successful! Invoice marked as paid.');
    expect(await readInvoice(pb.env, inv.documentId)).toMatchObject({ state: 'paid', balanceDue: 0 });
    // One PaymentIntent all along: the declines left it open for the retry.
    const payments = await paymentsOf(inv.documentId);
    expect(payments).toHaveLength(1);
    expect(payments[0].status).toBe('succeeded');
    await page.reload();
    await expectText(page.locator('#invoice-status'), 'Status: Paid');
    expectCleanRun(watch);
  });

  it('passes a 3D Secure challenge', async () => {
    const inv = await payableInvoice(pb.env);
    const { page, watch } = await pb.open(payUrl(inv.token));
    const drawer = await openDrawer(page, inv.row.number, 'Pay $1,827.50');
    await payIn(drawer, CARDS.threeDSecure, 'Pay $1,827.50');
    const challenge = page.getByRole('dialog', { name: '3D Secure authentication' });
    await challenge.waitFor();
    await screenshot(page, 'pay', '3ds-challenge');
    await challenge.getByRole('button', { name: 'Complete authentication' }).click();
    await expectText(drawer.getByRole('alert'), 'Payment successful! Invoice marked as paid.');
    expect((await readInvoice(pb.env, inv.documentId)).state).toBe('paid');
    expectCleanRun(watch);
  });

  it('closing the drawer mid-payment cancels nothing: the payment completes and the page shows it', async () => {
    const inv = await payableInvoice(pb.env);
    const { page, watch } = await pb.open(payUrl(inv.token));
    const drawer = await openDrawer(page, inv.row.number, 'Pay $1,827.50');
    await payIn(drawer, CARDS.threeDSecure, 'Pay $1,827.50');
    const challenge = page.getByRole('dialog', { name: '3D Secure authentication' });
    await challenge.waitFor();
    await page.getByRole('button', { name: 'Close payment' }).click();
    await drawer.waitFor({ state: 'hidden' });
    await challenge.getByRole('button', { name: 'Complete authentication' }).click();
    await expectText(page.locator('#invoice-status'), 'Status: Paid');
    expect((await readInvoice(pb.env, inv.documentId)).state).toBe('paid');
    expectCleanRun(watch);
  });

  it('fails a 3D Secure challenge: nothing is paid and the client can try again', async () => {
    const inv = await payableInvoice(pb.env);
    const { page, watch } = await pb.open(payUrl(inv.token));
    const drawer = await openDrawer(page, inv.row.number, 'Pay $1,827.50');
    await payIn(drawer, CARDS.threeDSecure, 'Pay $1,827.50');
    await page
      .getByRole('dialog', { name: '3D Secure authentication' })
      .getByRole('button', { name: 'Fail authentication' })
      .click();
    await expectText(drawer.getByRole('alert'), /unable to authenticate your payment method/);
    await screenshot(page, 'pay', 'failure-3ds');
    expect(await drawer.getByRole('button', { name: 'Pay $1,827.50' }).isEnabled()).toBe(true);
    const row = await readInvoice(pb.env, inv.documentId);
    expect(row.balanceDue).toBe(182750);
    expect(['sent', 'viewed']).toContain(row.state);
    await page.reload();
    await expectText(page.locator('#invoice-status'), 'Status: Due');
    expectCleanRun(watch);
  });
});

describe('amounts', () => {
  afterEach(async () => {
    await pb.settings({ partialPayments: false, feePercentBps: 0, feeFixedAmount: 0 });
  });

  it('pays part of the balance when partial payments are on', async () => {
    await pb.settings({ partialPayments: true });
    const inv = await payableInvoice(pb.env);
    const { page, watch } = await pb.open(payUrl(inv.token));
    const drawer = await openDrawer(page, inv.row.number, 'Pay $1,827.50');
    const amount = drawer.getByLabel('Amount to pay (USD)');
    expect(await amount.inputValue()).toBe('1827.50');

    await amount.fill('0.10');
    await amount.press('Tab');
    await expectText(drawer.locator('#pay-amount-error'), 'The amount must be at least $0.50.');
    expect(await amount.getAttribute('aria-invalid')).toBe('true');

    await amount.fill('500');
    await amount.press('Tab');
    // A new amount is a new payment (the old one is cancelled): the card form reloads for it first.
    await until(
      () => drawer.getByRole('button', { name: 'Pay $500.00' }).isEnabled(),
      Boolean,
      'the card form to reload for $500.00',
    );
    await payIn(drawer, CARDS.visa, 'Pay $500.00');
    await expectText(drawer.getByRole('alert'), 'Payment successful! Remaining balance: $1,327.50.');
    await drawer.waitFor({ state: 'hidden', timeout: 8000 });
    await expectText(page.locator('#invoice-status'), 'Status: Partially paid');
    await page.getByRole('button', { name: 'Pay $1,327.50' }).waitFor();

    expect(await readInvoice(pb.env, inv.documentId)).toMatchObject({
      state: 'partially_paid',
      amountPaid: 50000,
      balanceDue: 132750,
    });
    await page.reload();
    await expectText(page.locator('#invoice-status'), 'Status: Partially paid');
    await page.getByRole('button', { name: 'Pay $1,327.50' }).waitFor();
    expectCleanRun(watch);
  });

  it('shows the card fee before paying, and books only the invoice portion', async () => {
    await pb.settings({ feePercentBps: 290, feeFixedAmount: 30 });
    const fee = feeSurcharge(182750, 'USD', { percentBps: 290, fixedMinor: 30 });
    const total = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).format((182750 + fee) / 100);
    const feeText = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).format(fee / 100);
    const inv = await payableInvoice(pb.env);
    const { page, watch } = await pb.open(payUrl(inv.token));
    await expectText(page.locator('#fee-note'), `Includes a card processing fee of ${feeText}.`);
    const drawer = await openDrawer(page, inv.row.number, `Pay ${total}`);
    await expectText(drawer.locator('#fee-line'), `Includes a card processing fee of ${feeText}.`);
    await payIn(drawer, CARDS.visa, `Pay ${total}`);
    await expectText(drawer.getByRole('alert'), 'Payment successful! Invoice marked as paid.');
    expect(await readInvoice(pb.env, inv.documentId)).toMatchObject({
      state: 'paid',
      amountPaid: 182750,
      balanceDue: 0,
    });
    const [payment] = await paymentsOf(inv.documentId);
    expect(payment).toMatchObject({ amount: 182750, fee });
    expect((await pb.env.stripe.paymentIntents.retrieve(payment.providerPaymentId)).amount).toBe(182750 + fee);
    expectCleanRun(watch);
  });

  it('charges a JPY invoice in whole yen', async () => {
    const inv = await payableInvoice(pb.env, {
      currency: 'JPY',
      lineItems: [{ description: 'Design', quantity: 3, unitAmount: 1500 }],
    });
    const { page, watch } = await pb.open(payUrl(inv.token));
    await expectText(page.locator('.balance dd'), '¥4,500');
    const drawer = await openDrawer(page, inv.row.number, 'Pay ¥4,500');
    await payIn(drawer, CARDS.visa, 'Pay ¥4,500');
    await expectText(drawer.getByRole('alert'), 'Payment successful! Invoice marked as paid.');
    expect(await readInvoice(pb.env, inv.documentId)).toMatchObject({
      state: 'paid',
      amountPaid: 4500,
      balanceDue: 0,
      currency: 'JPY',
    });
    const [payment] = await paymentsOf(inv.documentId);
    const pi = await pb.env.stripe.paymentIntents.retrieve(payment.providerPaymentId);
    expect({ amount: pi.amount, currency: pi.currency }).toEqual({ amount: 4500, currency: 'jpy' });
    await page.reload();
    await expectText(page.locator('#invoice-status'), 'Status: Paid');
    expectCleanRun(watch);
  });
});

describe('keyboard, screen readers and small screens', () => {
  it('traps focus in the open drawer, closes on Escape, and closing cancels nothing', async () => {
    const inv = await payableInvoice(pb.env);
    const { page, watch } = await pb.open(payUrl(inv.token));
    const pay = page.getByRole('button', { name: 'Pay $1,827.50' });
    await until(() => pay.isEnabled(), Boolean, 'the Pay button');
    await pay.focus();
    await page.keyboard.press('Enter');
    const drawer = page.getByRole('dialog', { name: `Invoice ${inv.row.number}` });
    await drawer.getByLabel('Card number').waitFor();
    await until(() => drawer.getByRole('button', { name: 'Pay $1,827.50' }).isEnabled(), Boolean, 'the card form');
    // Focus starts in the drawer and Tab never leaves it.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('pay-email');
    for (let i = 0; i < 8; i += 1) {
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => Boolean(document.activeElement?.closest('#drawer')))).toBe(true);
    }
    await page.keyboard.press('Shift+Tab');
    expect(await page.evaluate(() => Boolean(document.activeElement?.closest('#drawer')))).toBe(true);
    // The invoice behind is inert while the drawer is open.
    expect(
      await page.evaluate(() => (document.getElementById('invoice') as HTMLElement & { inert: boolean }).inert),
    ).toBe(true);

    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'hidden' });
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('pay-button');
    expect(
      await page.evaluate(() => (document.getElementById('invoice') as HTMLElement & { inert: boolean }).inert),
    ).toBe(false);

    // Reopening reuses the same PaymentIntent: closing canceled nothing.
    const before = await paymentsOf(inv.documentId);
    await pay.click();
    await drawer.getByLabel('Card number').waitFor();
    await page.getByRole('button', { name: 'Close payment' }).click();
    await drawer.waitFor({ state: 'hidden' });
    const after = await paymentsOf(inv.documentId);
    expect(after.map((p: { providerPaymentId: string; status: string }) => [p.providerPaymentId, p.status])).toEqual(
      before.map((p: { providerPaymentId: string; status: string }) => [p.providerPaymentId, p.status]),
    );
    expect(after).toHaveLength(1);
    expectCleanRun(watch);
  });

  it('works on a phone: full-width Pay button and drawer', async () => {
    const inv = await payableInvoice(pb.env, {
      lineItems: [
        { description: 'Website redesign, phase 1', quantity: 1, unitAmount: 120000 },
        { description: 'Hosting (12 months)', quantity: 12, unitAmount: 5229 },
      ],
    });
    const { page, watch } = await pb.open(payUrl(inv.token), { viewport: { width: 390, height: 844 }, mobile: true });
    const pay = page.getByRole('button', { name: 'Pay $1,827.48' });
    await until(() => pay.isEnabled(), Boolean, 'the Pay button');
    const box = await pay.boundingBox();
    expect(box!.width).toBeGreaterThan(330);
    await screenshot(page, 'pay', 'mobile-invoice-page');
    await pay.tap();
    const drawer = page.getByRole('dialog', { name: `Invoice ${inv.row.number}` });
    await drawer.getByLabel('Card number').waitFor();
    await until(
      async () => (await drawer.boundingBox())?.x ?? -1,
      (x) => x === 0,
      'the drawer to cover the screen',
    );
    expect((await drawer.boundingBox())!.width).toBe(390);
    await screenshot(page, 'pay', 'mobile-drawer-open');
    await payIn(drawer, CARDS.visa, 'Pay $1,827.48');
    await expectText(drawer.getByRole('alert'), 'Payment successful! Invoice marked as paid.');
    await screenshot(page, 'pay', 'mobile-success');
    expect((await readInvoice(pb.env, inv.documentId)).state).toBe('paid');
    expectCleanRun(watch);
  });

  it('a voucher already under way: the drawer shows how to pay it instead of a new form, and nothing is cancelled', async () => {
    const inv = await payableInvoice(pb.env, {
      currency: 'MXN',
      lineItems: [{ description: 'Consulting', quantity: 1, unitAmount: 50000 }],
    });
    // The client chose OXXO earlier: Stripe is waiting for the voucher to be paid at a store.
    const first = await pb.env.app
      .http()
      .post(`/api/invoice-payments/invoices/${inv.documentId}/payment-intent`)
      .send({ token: inv.token });
    const pi = first.body.data.providerPaymentId as string;
    await pb.env.stripe.paymentIntents.confirm(pi, {
      payment_method: 'pm_oxxo',
      return_url: 'http://localhost/return',
    });

    const { page, watch } = await pb.open(payUrl(inv.token));
    const pay = page.getByRole('button', { name: /^Pay / });
    await until(() => pay.isEnabled(), Boolean, 'the Pay button to be ready');
    await pay.click();
    const drawer = page.getByRole('dialog', { name: `Invoice ${inv.row.number}` });
    await expectText(
      drawer.getByRole('alert'),
      /^Your voucher for MX\$500\.00 is ready\. Pay it before \d{4}-\d{2}-\d{2} at one of the listed stores or banks/,
    );
    expect(await drawer.getByRole('link', { name: 'Open the instructions' }).getAttribute('href')).toMatch(
      /^https:\/\//,
    );
    expect(await drawer.getByLabel('Card number').count()).toBe(0);
    expect(await drawer.getByRole('button', { name: /^Pay / }).isVisible()).toBe(false);
    await screenshot(page, 'pay', 'voucher-next-step');
    expect((await pb.env.stripe.paymentIntents.retrieve(pi)).status).toBe('requires_action');
    const rows = await paymentsOf(inv.documentId);
    expect(rows.map((r: { providerPaymentId: string }) => r.providerPaymentId)).toEqual([pi]);
    expectCleanRun(watch);
  });
});
