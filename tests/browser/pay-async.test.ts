import path from 'node:path';
import type { Page } from 'playwright-core';
import { ARTIFACTS, loginAdmin, screenshot } from '../support/browser';
import { payableInvoice, readInvoice, PAYMENT } from '../support/payments';
import {
  bootPayBrowser,
  expectCleanRun,
  expectText,
  until,
  type PayBrowser,
} from '../support/stripe-js-standin/pay-harness';

/**
 * Bank debits and bank redirects in Chromium (issue 13): a SEPA Direct Debit paid in the drawer
 * shows "Payment pending" on the pay page and in the admin (invoice detail and its payments), and
 * the invoice is paid only once the debit settles; an iDEAL payment leaves for the bank's page,
 * comes back to the return page and shows paid.
 */
jest.setTimeout(120_000);
const GROUP = 'pay-async';
let pb: PayBrowser;
let admin: Page;

beforeAll(async () => {
  pb = await bootPayBrowser({ env: { SERVE_ADMIN_PANEL: 'true' } });
  ({ page: admin } = await pb.open('/admin/auth/login'));
  admin.setDefaultTimeout(20_000);
  await loginAdmin(admin, pb.base, pb.env.admin);
}, 180_000);
afterAll(async () => {
  await pb?.close();
}, 60_000);

const EUR = { currency: 'EUR', billingEmail: 'ada-async@example.test', billingName: 'Ada Client' };
const paymentsOf = (documentId: string) =>
  pb.env.app.strapi.db.query(PAYMENT).findMany({ where: { invoice: { documentId } }, orderBy: { id: 'asc' } });

async function openDrawer(page: Page, number: string) {
  const pay = page.getByRole('button', { name: 'Pay €1,827.50' });
  await until(() => pay.isEnabled(), Boolean, 'the Pay button to be ready');
  await pay.click();
  const drawer = page.getByRole('dialog', { name: `Invoice ${number}` });
  await drawer.getByLabel('Card number').waitFor();
  return drawer;
}

describe('SEPA Direct Debit', () => {
  it('shows Payment pending on the pay page and in the admin until the debit settles', async () => {
    const inv = await payableInvoice(pb.env, EUR);
    const { page, watch } = await pb.open(`/invoice-payments/pay/${inv.token}`);
    const drawer = await openDrawer(page, inv.row.number);
    await drawer.getByLabel('SEPA Debit').check();
    await drawer.getByLabel('IBAN').fill('AT61 1904 3002 3457 3201');
    await screenshot(page, GROUP, 'sepa-drawer');
    await drawer.getByRole('button', { name: 'Pay €1,827.50' }).click();
    await expectText(drawer.getByRole('alert'), /^Payment pending, usually 3–5 business days: €1,827\.50/);
    await screenshot(page, GROUP, 'sepa-drawer-pending');
    await drawer.waitFor({ state: 'hidden', timeout: 8000 });

    // The invoice page: pending, no Pay button, still due (also after a reload).
    await page.reload();
    await expectText(page.locator('#payment-pending'), /^Payment pending, usually 3–5 business days: €1,827\.50/);
    await expectText(page.locator('#invoice-status'), 'Status: Due');
    expect(await page.getByRole('button', { name: /^Pay / }).count()).toBe(0);
    await screenshot(page, GROUP, 'sepa-pay-page-pending');
    const [payment] = await paymentsOf(inv.documentId);
    expect(payment).toMatchObject({ status: 'processing', method: 'sepa_debit' });
    expect((await readInvoice(pb.env, inv.documentId)).state).not.toBe('paid');

    // The admin: a banner on the invoice and the payment's row say it is pending.
    await admin.goto(`${pb.base}/admin/plugins/invoice-payments/invoices/${inv.documentId}`);
    await expectText(
      admin.getByTestId('invoice-pending').locator('p').first(),
      /Payment pending, usually 3–5 business days: €1,827\.50/,
    );
    await expectText(admin.getByTestId('payment-pending'), 'Payment pending, usually 3–5 business days');
    await expectText(admin.getByTestId('payment-row').getByTestId('payment-status'), 'Processing');
    await expectText(admin.getByTestId('payment-row').locator('td').nth(1), 'SEPA Direct Debit');
    await screenshot(admin, GROUP, 'sepa-admin-pending');
    await admin.getByTestId('payment-row').scrollIntoViewIfNeeded();
    // The admin scrolls inside its own layout: a viewport shot shows the payments table.
    await admin.screenshot({ path: path.join(ARTIFACTS, GROUP, 'sepa-admin-payments-pending.png') });

    // Days later the money arrives: paid, and the pending notes are gone.
    pb.env.standin.control.settleDelayed(payment.providerPaymentId, 'succeed');
    await until(
      async () => (await readInvoice(pb.env, inv.documentId)).state,
      (s) => s === 'paid',
      'the invoice to be paid',
    );
    await page.reload();
    await expectText(page.locator('#invoice-status'), 'Status: Paid');
    expect(await page.locator('#payment-pending').count()).toBe(0);
    await admin.reload();
    await expectText(admin.getByTestId('payment-row').getByTestId('payment-status'), 'Succeeded');
    expect(await admin.getByTestId('invoice-pending').count()).toBe(0);
    expectCleanRun(watch);
  });
});

describe('SEPA Direct Debit saved for future invoices', () => {
  it('lists the saved IBAN with its mandate reference on the client’s page', async () => {
    const strapi = pb.env.app.strapi;
    const role = await strapi.db.query('plugin::users-permissions.role').findOne({ where: { type: 'authenticated' } });
    const user = (await strapi.db.query('plugin::users-permissions.user').create({
      data: {
        username: 'Ada Client',
        email: 'ada-sepa@example.test',
        provider: 'local',
        confirmed: true,
        role: role.id,
      },
    })) as { id: number };
    const jwt = strapi.plugin('users-permissions').service('jwt').issue({ id: user.id }) as string;
    const inv = await payableInvoice(pb.env, { ...EUR, customer: user.id });
    const { page, watch } = await pb.open(`/invoice-payments/pay/invoice/${inv.documentId}#jwt=${jwt}`);
    const drawer = await openDrawer(page, inv.row.number);
    await drawer.getByLabel('SEPA Debit').check();
    await drawer.getByLabel('IBAN').fill('AT61 1904 3002 3457 3201');
    await drawer.getByLabel('Save for future invoices').check();
    await drawer.getByRole('button', { name: 'Pay €1,827.50' }).click();
    await expectText(drawer.getByRole('alert'), /^Payment pending/);
    await drawer.waitFor({ state: 'hidden', timeout: 8000 });
    const [payment] = await paymentsOf(inv.documentId);
    pb.env.standin.control.settleDelayed(payment.providerPaymentId, 'succeed');
    await until(
      async () => (await readInvoice(pb.env, inv.documentId)).state,
      (s) => s === 'paid',
      'the invoice to be paid',
    );
    const charges = await pb.env.stripe.charges.list({ payment_intent: payment.providerPaymentId });
    const mandate = await pb.env.stripe.mandates.retrieve(
      String(charges.data[0].payment_method_details?.sepa_debit?.mandate),
    );
    const reference = String(mandate.payment_method_details.sepa_debit?.reference);

    await page.reload();
    const saved = page.locator('#saved-methods li.method');
    await until(
      () => saved.count(),
      (n) => n === 1,
      'the saved IBAN listed',
    );
    await expectText(saved.first().locator('.method-mandate'), `Mandate reference ${reference}`);
    await saved.first().scrollIntoViewIfNeeded();
    await screenshot(page, GROUP, 'sepa-saved-mandate');
    expectCleanRun(watch);
  });
});

describe('ACH Direct Debit saved for future invoices', () => {
  it('lists the saved bank account with its mandate on the client’s page', async () => {
    // Saved while paying (the drawer's box, sent the way the drawer sends it), verified instantly:
    // ACH mandates have no bank reference, so the page names Stripe's mandate id.
    const strapi = pb.env.app.strapi;
    const http = pb.env.app.http;
    const role = await strapi.db.query('plugin::users-permissions.role').findOne({ where: { type: 'authenticated' } });
    const user = (await strapi.db.query('plugin::users-permissions.user').create({
      data: { username: 'Ada ACH', email: 'ada-ach@example.test', provider: 'local', confirmed: true, role: role.id },
    })) as { id: number };
    const jwt = strapi.plugin('users-permissions').service('jwt').issue({ id: user.id }) as string;
    const inv = await payableInvoice(pb.env, {
      currency: 'USD',
      billingEmail: 'ada-ach@example.test',
      customer: user.id,
    });
    const made = await http()
      .post(`/api/invoice-payments/invoices/${inv.documentId}/payment-intent`)
      .set('Authorization', `Bearer ${jwt}`)
      .send({});
    const pid = made.body.data.providerPaymentId as string;
    const save = await http()
      .post(`/api/invoice-payments/invoices/${inv.documentId}/save-method`)
      .set('Authorization', `Bearer ${jwt}`)
      .send({ providerPaymentId: pid, save: true });
    expect(save.status).toBe(200);
    await pb.env.stripe.paymentIntents.confirm(pid, { payment_method: 'pm_usBankAccount_success' });
    pb.env.standin.control.settleDelayed(pid, 'succeed');
    await until(
      async () => (await readInvoice(pb.env, inv.documentId)).state,
      (s) => s === 'paid',
      'the invoice to be paid',
    );
    const charges = await pb.env.stripe.charges.list({ payment_intent: pid });
    const mandateId = String(charges.data[0].payment_method_details?.us_bank_account?.mandate);
    expect(mandateId).toMatch(/^mandate_/);

    const { page, watch } = await pb.open(`/invoice-payments/pay/invoice/${inv.documentId}#jwt=${jwt}`);
    const saved = page.locator('#saved-methods li.method');
    await until(
      () => saved.count(),
      (n) => n === 1,
      'the saved bank account listed',
    );
    await expectText(saved.first().locator('.method-name'), /STRIPE TEST BANK.*6789/);
    await expectText(saved.first().locator('.method-mandate'), `Mandate ${mandateId}`);
    await saved.first().scrollIntoViewIfNeeded();
    await screenshot(page, GROUP, 'ach-saved-mandate');
    expectCleanRun(watch);
  });
});

describe('iDEAL', () => {
  it('leaves for the bank, returns to the return page and shows paid', async () => {
    const inv = await payableInvoice(pb.env, EUR);
    const { page, watch } = await pb.open(`/invoice-payments/pay/${inv.token}`);
    const drawer = await openDrawer(page, inv.row.number);
    await drawer.getByLabel('iDEAL').check();
    await drawer.getByRole('button', { name: 'Pay €1,827.50' }).click();

    // The bank's page (the stand-in's), then back to the plugin's return page.
    await page.waitForURL(/\/_standin\/redirect\//);
    await screenshot(page, GROUP, 'ideal-bank');
    await page.getByRole('button', { name: 'Authorize test payment' }).click();
    await page.waitForURL(/\/invoice-payments\/pay\/return\?/);
    const url = new URL(page.url());
    expect(url.searchParams.get('invoice')).toBe(inv.documentId);
    expect(url.searchParams.get('redirect_status')).toBe('succeeded');
    expect(url.searchParams.get('payment_intent')).toMatch(/^pi_/);
    // The pay-link token never went to the provider.
    expect(page.url()).not.toContain(inv.token);

    await expectText(page.getByRole('heading', { level: 1 }), 'Payment received');
    await expectText(page.locator('#invoice-status'), 'Status: Paid');
    await screenshot(page, GROUP, 'ideal-returned-paid');
    expect(await readInvoice(pb.env, inv.documentId)).toMatchObject({ state: 'paid', balanceDue: 0 });
    const [payment] = await paymentsOf(inv.documentId);
    expect(payment).toMatchObject({ status: 'succeeded', method: 'ideal' });

    // "Return to your invoice" leads back to the pay page, which shows Paid.
    await page.getByRole('link', { name: 'Return to your invoice' }).click();
    await expectText(page.locator('#invoice-status'), 'Status: Paid');
    expectCleanRun(watch);
  });
});
