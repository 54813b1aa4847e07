import type { Page } from 'playwright-core';
import { loginAdmin, screenshot } from '../support/browser';
import { INVOICE, readInvoice } from '../support/payments';
import { bootPayBrowser, CARDS, expectText, until, type PayBrowser } from '../support/stripe-js-standin/pay-harness';

/**
 * A site admin's invoice job through the plugin's own screens, in Chromium: create an invoice in
 * the editor (three lines in USD, money typed as people write it), send it, the client pays it on
 * the pay link, refund part of it keeping it paid; a JPY invoice made, marked as sent and voided
 * with a reason. The admin and the client each have their own browser context.
 */
jest.setTimeout(120_000);
const GROUP = 'admin';
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

const invoices = () => pb.env.app.strapi.db.query(INVOICE).count({});
/** The id in /plugins/invoice-payments/invoices/<id> once the editor has navigated there. */
const openedInvoice = async () => {
  // A document id (24 characters), not /invoices/new.
  await admin.waitForURL(/\/plugins\/invoice-payments\/invoices\/[a-z0-9]{20,}$/);
  return admin.url().split('/').pop()!;
};

async function fillLine(i: number, description: string, quantity: string, unitPrice: string) {
  const line = admin.getByTestId(`line-${i}`);
  await line.getByLabel('Description').fill(description);
  await line.getByLabel('Quantity').fill(quantity);
  await line.getByLabel(/^Unit price/).fill(unitPrice);
}

async function closeToasts() {
  for (const button of await admin.getByRole('button', { name: 'Close' }).all())
    await button.click({ timeout: 1000 }).catch(() => undefined);
}

let usdId = '';

describe('Invoices → Create invoice', () => {
  it('builds a USD invoice from three lines typed in dollars, with live totals; bad lines are refused on the field and nothing is saved', async () => {
    await admin.goto(`${pb.base}/admin/plugins/invoice-payments/invoices`);
    await admin.getByRole('link', { name: 'Create invoice' }).click();
    await expectText(admin.getByRole('heading', { level: 1 }), 'New invoice');
    // Today and the default 14-day term are filled in.
    const today = new Date().toISOString().slice(0, 10);
    expect(await admin.locator('input[name="number"]').inputValue()).toMatch(/\d/);

    await admin.getByLabel('Bill to').fill('Ada Lovelace');
    await admin.getByLabel('Email').fill('ada.editor@example.test');
    await fillLine(0, 'Design', '3', '450.00');
    await admin.getByRole('button', { name: 'Add line' }).click();
    await fillLine(1, 'Hosting', '-1', '19.99');
    await admin.getByRole('button', { name: 'Add line' }).click();
    await fillLine(2, 'Domain', '1', '1,250.00');
    await admin.getByLabel('Tax rate (%)').fill('8.25');
    await admin.getByLabel('Discount').fill('10');

    const before = await invoices();
    await admin.getByRole('button', { name: 'Create draft' }).click();
    await expectText(admin.getByTestId('line-1'), /Give a quantity above zero\./);
    expect(await admin.getByTestId('editor-total').innerText()).toBe('—');
    expect(await invoices()).toBe(before);

    // "1,5" is one and a half, as a French keyboard writes it.
    await admin.getByTestId('line-1').getByLabel('Quantity').fill('1,5');
    // 3 × 450.00 + 1.5 × 19.99 + 1,250.00 = 2,629.99 − 10.00 = 2,619.99; + 8.25 % tax (216.15) = 2,836.14
    await expectText(admin.getByTestId('editor-subtotal'), '$2,629.99');
    await expectText(admin.getByTestId('editor-tax'), '$216.15');
    await expectText(admin.getByTestId('editor-total'), '$2,836.14');
    await expectText(admin.getByTestId('line-total-1'), '$29.99');
    await screenshot(admin, GROUP, 'invoice-editor');

    await admin.getByRole('button', { name: 'Create draft' }).click();
    usdId = await openedInvoice();
    await expectText(admin.getByTestId('invoice-total'), '$2,836.14');
    await expectText(admin.getByTestId('invoice-status').first(), /draft/i);
    const row = await readInvoice(pb.env, usdId);
    expect(row).toMatchObject({
      state: 'draft',
      currency: 'USD',
      total: 283614,
      subtotal: 262999,
      taxRateBps: 825,
      discountAmount: 1000,
      issueDate: today,
      billingEmail: 'ada.editor@example.test',
    });
    expect(row.lineItems.map((l: { unitAmount: number }) => l.unitAmount)).toEqual([45000, 1999, 125000]);
  });

  it('sends it by email: the state becomes Sent only once the email went out', async () => {
    const sent = pb.env.smtp.mails.length;
    await admin.getByRole('button', { name: 'Send invoice' }).click();
    await admin.getByRole('alertdialog').getByRole('button', { name: 'Confirm' }).click();
    await expectText(admin.getByTestId('invoice-status').first(), /^sent$/i);
    expect(pb.env.smtp.mails.length).toBe(sent + 1);
    expect(pb.env.smtp.mails.at(-1)!.to).toContain('ada.editor@example.test');
    await closeToasts();
  });

  it('the client pays "Pay $2,836.14" on the pay link, and the admin sees Paid', async () => {
    const link = await admin.getByTestId('pay-link').inputValue();
    const { page: client } = await pb.open(link);
    const pay = client.getByRole('button', { name: 'Pay $2,836.14' });
    await until(() => pay.isEnabled(), Boolean, 'the Pay button');
    await pay.click();
    const drawer = client.getByRole('dialog');
    await drawer.getByLabel('Card number').fill(CARDS.visa);
    const confirm = drawer.getByRole('button', { name: 'Pay $2,836.14' });
    await until(() => confirm.isEnabled(), Boolean, 'the drawer Pay button');
    await confirm.click();
    await expectText(drawer.getByRole('alert'), 'Payment successful! Invoice marked as paid.');
    await admin.reload();
    await expectText(admin.getByTestId('invoice-status').first(), /^paid$/i, 15_000);
    await expectText(admin.getByTestId('invoice-balance'), '$0.00');
  });

  it('refunds $100 keeping the invoice paid: the client is not asked to pay again', async () => {
    await admin.getByRole('button', { name: 'Refund' }).first().click();
    const dialog = admin.getByRole('dialog');
    await dialog.getByRole('radio', { name: 'Partial refund' }).click();
    await dialog.getByLabel(/^Amount to refund/).fill('100');
    await dialog.getByRole('radio', { name: 'Keep the invoice paid' }).click();
    await dialog.getByRole('button', { name: 'Continue' }).click();
    await expectText(dialog.getByTestId('refund-confirmation'), /stays paid/);
    await dialog.getByRole('button', { name: /^Refund \$100\.00/ }).click();
    await expectText(admin.getByTestId('invoice-refunded'), '$100.00', 15_000);
    await expectText(admin.getByTestId('invoice-status').first(), /^paid$/i);
    expect(await readInvoice(pb.env, usdId)).toMatchObject({ state: 'paid', balanceDue: 0, amountRefunded: 10000 });
    const { page: client } = await pb.open(await admin.getByTestId('pay-link').inputValue());
    await expectText(client.locator('#invoice-status'), 'Status: Paid');
    expect(await client.getByRole('button', { name: /^Pay / }).count()).toBe(0);
    await closeToasts();
  });
});

describe('a JPY invoice: marked as sent, then voided with a reason', () => {
  it('yen have no decimals; Mark as sent sends no email; Void asks why and closes the pay link', async () => {
    await admin.goto(`${pb.base}/admin/plugins/invoice-payments/invoices/new`);
    await admin.getByLabel('Bill to').fill('Tanaka Shoji K.K.');
    await admin.getByRole('combobox', { name: 'Currency' }).click();
    await admin.getByRole('option', { name: 'JPY', exact: true }).click();
    await fillLine(0, 'Tea ceremony', '2', '1500.5');
    await admin.getByRole('button', { name: 'Create draft' }).click();
    await expectText(admin.getByTestId('line-0'), /JPY amounts have no decimals\./);
    await admin
      .getByTestId('line-0')
      .getByLabel(/^Unit price/)
      .fill('1,500');
    await expectText(admin.getByTestId('editor-total'), '¥3,000');
    await admin.getByRole('button', { name: 'Create draft' }).click();
    const id = await openedInvoice();
    expect(await readInvoice(pb.env, id)).toMatchObject({ currency: 'JPY', total: 3000, state: 'draft' });

    const sent = pb.env.smtp.mails.length;
    await admin.getByRole('button', { name: 'More' }).click();
    await admin.getByRole('menuitem', { name: 'Mark as sent (no email)' }).click();
    await expectText(admin.getByTestId('invoice-status').first(), /^sent$/i);
    expect(pb.env.smtp.mails.length).toBe(sent);
    const link = await admin.getByTestId('pay-link').inputValue();
    await closeToasts();

    await admin.getByRole('button', { name: 'More' }).click();
    await admin.getByRole('menuitem', { name: 'Void invoice…' }).click();
    const dialog = admin.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Void invoice' }).click();
    await expectText(dialog, /Say why the invoice is voided/);
    await dialog.getByLabel('Reason').fill('Ordered twice by mistake');
    await screenshot(admin, GROUP, 'void-dialog');
    await dialog.getByRole('button', { name: 'Void invoice' }).click();
    await expectText(admin.getByTestId('invoice-status').first(), /^void$/i);
    await expectText(admin.getByTestId('void-reason'), 'Voided: Ordered twice by mistake');
    expect(await readInvoice(pb.env, id)).toMatchObject({ state: 'void', voidReason: 'Ordered twice by mistake' });

    const { page: client } = await pb.open(link);
    await expectText(client.locator('#invoice-status'), 'Status: Void');
    expect(await client.getByRole('button', { name: /^Pay / }).count()).toBe(0);
  });
});
